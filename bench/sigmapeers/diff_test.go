package sigmapeers

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/detect/sigma"
)

var update = flag.Bool("update", false, "rewrite testdata/disagreements from this run (verdicts of known rules are kept)")

const fixtureDir = "testdata/disagreements"

// disagreement is one fixture: a rule on which the engines disagree, in
// one direction, with every event concerned.
type disagreement struct {
	Rule    string `json:"rule"` // file under rules/windows
	RuleID  string `json:"rule_id"`
	Title   string `json:"title"`
	Ours    bool   `json:"ours"`     // our engine matches
	SigmaGo bool   `json:"sigma_go"` // sigma-go matches
	// SigmaGoError is sigma-go's evaluation error, when it had one.
	SigmaGoError string `json:"sigma_go_error,omitempty"`
	// Right names the engine the Sigma specification agrees with: "ours",
	// "sigma-go" or "undecided"; Why says which part of the specification
	// decides it.
	Right string `json:"right"`
	Why   string `json:"why"`
	// Events are the events concerned, as capture file:line under
	// ../shared/data/security-datasets/extracted. The events themselves
	// are third-party data and are not copied into the repository.
	Events []string `json:"events"`
}

func (d *disagreement) key() string {
	return fmt.Sprintf("%s-%s", strings.TrimSuffix(filepath.Base(d.Rule), ".yml"), map[bool]string{true: "ours", false: "sigmago"}[d.Ours])
}

// TestDifferential runs both engines over every Windows event of the
// Security-Datasets captures with the rules of rules/windows whose
// logsource fits the event, and compares every disagreement with the
// recorded fixtures. -update rewrites them (keeping recorded verdicts).
func TestDifferential(t *testing.T) {
	dir, files := ruleFiles(t, "sigma/rules/windows", 0)
	rs, oursFailed := ours(t, files)
	parsed, sgFailed := parseSigmaGo(t, files)
	recs := windowsEvents(t)
	type sgRule struct {
		r    sigmaGoRule
		eval *evaluator.RuleEvaluator
	}
	var sg []sgRule
	for _, p := range parsed {
		if rs.Rule(p.Rule.ID) == nil {
			continue // compared only where both engines load the rule
		}
		sg = append(sg, sgRule{p, evaluator.ForRule(p.Rule)})
	}
	t.Logf("%d rule files: ours loads %d (%d failed), sigma-go parses %d (%d failed), %d compared; %d events",
		len(files), len(rs.Rules()), oursFailed, len(parsed), sgFailed, len(sg), len(recs))
	m := rs.NewMatcher()
	ctx := context.Background()
	found := map[string]*disagreement{}
	pairs, agreeMatch := 0, 0
	for _, rec := range recs {
		ev := sigma.Map(rec.Ev)
		src := sigma.RouteWindows(ev)
		hit := map[string]bool{}
		for _, r := range m.Match(ev, src) {
			hit[r.ID] = true
		}
		for _, s := range sg {
			if !routes(s.r.Rule.Logsource, src) {
				continue
			}
			pairs++
			res, err := s.eval.Matches(ctx, rec.Ev)
			theirs := err == nil && res.Match
			if theirs == hit[s.r.Rule.ID] {
				if theirs {
					agreeMatch++
				}
				continue
			}
			d := &disagreement{Rule: strings.TrimPrefix(s.r.File, dir+"/"), RuleID: s.r.Rule.ID, Title: s.r.Rule.Title,
				Ours: hit[s.r.Rule.ID], SigmaGo: theirs}
			if err != nil {
				d.SigmaGoError = err.Error()
			}
			if old, ok := found[d.key()]; ok {
				d = old
			} else {
				found[d.key()] = d
			}
			d.Events = append(d.Events, fmt.Sprintf("%s:%d", rec.File, rec.Line))
		}
	}
	t.Logf("%d (event, rule) pairs evaluated, %d matched by both, %d rules disagree", pairs, agreeMatch, len(found))

	recorded := readFixtures(t)
	if *update {
		writeFixtures(t, found, recorded)
		return
	}
	verdicts := map[string]int{}
	for k, d := range found {
		old, ok := recorded[k]
		if !ok {
			t.Errorf("new disagreement on %s (%s): ours %v, sigma-go %v on %d events: run with -update and decide which engine is right",
				d.Rule, d.Title, d.Ours, d.SigmaGo, len(d.Events))
			continue
		}
		if diff := cmp.Diff(old.Events, d.Events); diff != "" {
			t.Errorf("%s: the events concerned changed (-recorded +now):\n%s", k, diff)
		}
		verdicts[old.Right]++
		if old.Right == "" || old.Why == "" {
			t.Errorf("%s: no verdict recorded", k)
		}
	}
	for k := range recorded {
		if _, ok := found[k]; !ok {
			t.Errorf("recorded disagreement %s no longer occurs: delete its fixture (an engine changed)", k)
		}
	}
	t.Logf("verdicts: %v", verdicts)
}

func readFixtures(t *testing.T) map[string]*disagreement {
	t.Helper()
	out := map[string]*disagreement{}
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d disagreement
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = &d
	}
	return out
}

func writeFixtures(t *testing.T, found, recorded map[string]*disagreement) {
	t.Helper()
	if err := os.RemoveAll(fixtureDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d := found[k]
		if old, ok := recorded[k]; ok && old.Right != "" {
			d.Right, d.Why = old.Right, old.Why
		} else {
			d.Right, d.Why = classify(d)
		}
		data, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(fixtureDir, k+".json"), append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d fixtures", len(keys))
}
