package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/detect/sigma"
)

// SigmaCmd groups the commands for people who write Sigma rules.
type SigmaCmd struct {
	Check SigmaCheckCmd `cmd:"" help:"Load every rule under DIR and report each one that cannot be loaded, and why."`
	Test  SigmaTestCmd  `cmd:"" help:"Match events (NDJSON or concatenated JSON objects) against rules; print one JSON line per match."`
}

// sigmaFields selects how rule field names reach event fields.
type sigmaFields struct {
	Fields string `help:"Field names: raw (as written in the rules, for raw Windows/Sysmon JSON) or ecs (Vedetta's normalised events)." enum:"raw,ecs" default:"raw"`
}

func (f sigmaFields) config() *sigma.Config {
	if f.Fields == "ecs" {
		return &sigma.Config{Fields: sigma.ECSFields}
	}
	return &sigma.Config{}
}

// SigmaCheckCmd is "vedetta sigma check DIR".
type SigmaCheckCmd struct {
	Dir string `arg:"" help:"Directory of rules (.yml, .yaml), searched recursively." type:"existingdir"`
	sigmaFields
}

// ErrRulesFailed reports that some rules could not be loaded.
var ErrRulesFailed = errors.New("cli: some rules could not be loaded")

// Run checks the rules. It fails when any rule cannot be loaded, so the
// command can gate a rule repository's CI.
func (c *SigmaCheckCmd) Run(g *Globals) error {
	_, failed, err := sigma.Check(c.Dir, g.stdout, c.config())
	if err != nil {
		return fmt.Errorf("cli: sigma check: %w", err)
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d", ErrRulesFailed, failed)
	}
	return nil
}

// SigmaTestCmd is "vedetta sigma test --rules DIR --events FILE".
type SigmaTestCmd struct {
	Rules   []string `help:"Directory of rules (repeatable)." type:"existingdir"`
	Builtin bool     `help:"Also load Vedetta's own rules (they use ECS field names: add --fields ecs)."`
	Events  string   `required:"" help:"File of events, NDJSON or concatenated JSON objects; - reads stdin."`
	sigmaFields
}

// Run matches the events and prints the matches. Rules that cannot be
// loaded are reported on stderr and left out.
func (c *SigmaTestCmd) Run(g *Globals) error {
	if len(c.Rules) == 0 && !c.Builtin {
		return errors.New("cli: sigma test: give --rules DIR or --builtin")
	}
	cfg := c.config()
	var all []*sigma.Rule
	add := func(rs *sigma.Ruleset, errs []*sigma.ParseError) {
		for _, e := range errs {
			fmt.Fprintln(g.stderr, e)
		}
		all = append(all, rs.Rules()...)
		all = append(all, rs.Correlations()...)
	}
	if c.Builtin {
		add(sigma.LoadFS(detect.BuiltinRules(), cfg))
	}
	for _, dir := range c.Rules {
		add(sigma.LoadDir(dir, cfg))
	}
	rs, err := sigma.NewRuleset(all, cfg)
	if err != nil {
		return fmt.Errorf("cli: sigma test: %w", err)
	}
	var r io.Reader = g.stdin
	if c.Events != "-" {
		f, err := os.Open(c.Events)
		if err != nil {
			return fmt.Errorf("cli: sigma test: %w", err)
		}
		defer f.Close()
		r = f
	}
	if err := sigma.TestEvents(rs, r, g.stdout); err != nil {
		return fmt.Errorf("cli: sigma test: %w", err)
	}
	return nil
}
