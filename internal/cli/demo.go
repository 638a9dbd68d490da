package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/vedetta-sec/vedetta/internal/app"
	"github.com/vedetta-sec/vedetta/internal/config"
	"github.com/vedetta-sec/vedetta/internal/demo"
)

// DemoCmd runs the demo.
type DemoCmd struct {
	Addr string `default:"127.0.0.1:8080" help:"Listen address (loopback only)."`
	Data string `default:"vedetta-demo-data" type:"path" help:"Data directory (created if missing; delete it to start afresh)."`
}

// Run implements the command.
func (c *DemoCmd) Run(g *Globals) error {
	if !app.IsLoopbackAddr(c.Addr) {
		return fmt.Errorf("--addr %s: the demo listens on loopback only (its passwords are public)", c.Addr)
	}
	cfg := config.Default()
	cfg.DataDir, cfg.HTTP.Addr = c.Data, c.Addr
	cfg.Log.Format, cfg.Log.Level = "text", "warn"
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(c.Data, 0o750); err != nil {
		return err
	}
	logger := app.NewLogger(cfg.Log, g.stderr)
	a, err := app.Open(g.ctx, cfg, logger, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	created, err := demo.Seed(g.ctx, a.Store, a.Hasher)
	if err != nil {
		return err
	}
	defer demo.StartStream(g.ctx, a.Store, a.Bus, logger, demo.StreamOptions{})() // live events; not in serve
	abs, _ := filepath.Abs(c.Data)
	return a.Serve(g.ctx, func(url string) {
		fmt.Fprintf(g.stdout, "\nVedetta demo is running: open %s\n", url)
		if created {
			fmt.Fprintf(g.stdout, "Demo data installed in %s\n", abs)
		} else {
			fmt.Fprintf(g.stdout, "Using the demo data in %s\n", abs)
		}
		fmt.Fprintf(g.stdout, "\nEvery demo user has the password %q:\n\n", demo.Password)
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  USER\tWHO\tENTITY:ROLE")
		for _, u := range demo.Users {
			ms := ""
			for slug, role := range u.Memberships {
				ms += slug + ":" + string(role) + " "
			}
			if u.PlatformAdmin {
				ms += "(platform administrator)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", u.Username, u.DisplayName, ms)
		}
		tw.Flush()
		fmt.Fprintln(g.stdout, "\nPress Ctrl-C to stop.")
	})
}
