package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/normalize"
)

// ParseCmd runs a parser over lines on standard input, so that a user can
// check a format on their own logs before configuring a source.
type ParseCmd struct {
	Format   string            `short:"f" required:"" help:"Parser name, see below (aliases: nginx, apache, combined, common, rfc5424, rfc3164, winlogbeat, nxlog, sysmon)."`
	Map      map[string]string `help:"Field mapping for --format json: source path=ECS field, e.g. --map src.addr=source.ip --map ts=@timestamp."`
	Category string            `help:"Retention category for --format json (default system)."`
	Timezone string            `help:"IANA zone of timestamps without offset (RFC 3164, IIS); default UTC."`
	DropRaw  bool              `help:"Leave out the original line (event.original)."`
	Tenant   string            `default:"cli" help:"Tenant id written into the events."`
	Source   string            `default:"stdin" help:"Source id written into the events."`
	Strict   bool              `help:"Exit with an error when any line does not parse."`
}

// Help lists the formats.
func (c *ParseCmd) Help() string {
	return "Reads newline-delimited records on stdin and writes one normalised event per line as NDJSON on stdout; " +
		"a line that does not parse becomes {\"error\":\"…\",\"line\":n} in the same stream. A summary goes to stderr.\n\n" +
		"Formats: " + strings.Join(normalize.Formats(), ", ")
}

// Run implements the command.
func (c *ParseCmd) Run(g *Globals) error {
	opts := normalize.Options{DropRaw: c.DropRaw, FieldMap: c.Map, Category: c.Category}
	if c.Timezone != "" {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return fmt.Errorf("parse: --timezone: %w", err)
		}
		opts.Location = loc
	}
	p, err := normalize.New(c.Format, opts)
	if err != nil {
		return fmt.Errorf("parse: %w (formats: %s)", err, strings.Join(normalize.Formats(), ", "))
	}
	ok, bad, err := normalize.ParseStream(p, g.stdin, g.stdout, c.Tenant, c.Source)
	if err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	fmt.Fprintf(g.stderr, "%d events, %d lines not parsed\n", ok, bad)
	if c.Strict && bad > 0 {
		return fmt.Errorf("parse: %d lines not parsed", bad)
	}
	return nil
}
