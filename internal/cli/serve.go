package cli

import (
	"fmt"
	"os"

	"github.com/vedetta-sec/vedetta/internal/app"
)

// ServeCmd runs the server.
type ServeCmd struct {
	configFlag
}

// Run implements the command.
func (c *ServeCmd) Run(g *Globals) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	logger := app.NewLogger(cfg.Log, os.Stderr)
	a, err := app.Open(g.ctx, cfg, logger, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(g.ctx, func(url string) { fmt.Fprintf(g.stdout, "Vedetta is listening on %s\n", url) })
}

// MigrateCmd applies migrations.
type MigrateCmd struct {
	configFlag
}

// Run implements the command.
func (c *MigrateCmd) Run(g *Globals) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	st, err := app.OpenStore(g.ctx, cfg, app.NewLogger(cfg.Log, g.stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintln(g.stdout, "migrations applied")
	return nil
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run implements the command.
func (c *VersionCmd) Run(g *Globals) error {
	fmt.Fprintf(g.stdout, "vedetta %s\n", app.Version)
	return nil
}
