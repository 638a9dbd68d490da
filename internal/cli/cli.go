// Package cli implements the subcommands of the vedetta binary, one file
// each, on kong. Run is the only entry point; it never calls os.Exit so that
// tests can drive every command.
package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/user"

	"github.com/alecthomas/kong"

	"github.com/vedetta-sec/vedetta/internal/app"
	"github.com/vedetta-sec/vedetta/internal/config"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Globals are passed to every command.
type Globals struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// configFlag is embedded by commands that read the configuration.
type configFlag struct {
	Config string `short:"c" help:"YAML configuration file (VEDETTA_* environment variables override it)." type:"path" env:"VEDETTA_CONFIG"`
}

func (c configFlag) load() (config.Config, error) { return config.Load(c.Config, nil) }

// CLI is the command tree.
type CLI struct {
	Serve   ServeCmd   `cmd:"" help:"Run Vedetta with a configuration file."`
	Demo    DemoCmd    `cmd:"" help:"Run Vedetta on embedded defaults with realistic demo entities, users and data."`
	Migrate MigrateCmd `cmd:"" help:"Apply pending database migrations and exit."`
	Tenant  TenantCmd  `cmd:"" help:"Manage tenants (entities)."`
	User    UserCmd    `cmd:"" help:"Manage users."`
	Token   TokenCmd   `cmd:"" help:"Manage API tokens."`
	Audit   AuditCmd   `cmd:"" help:"Inspect the audit log."`
	Version VersionCmd `cmd:"" help:"Print the version."`
	Site    SiteCmd    `cmd:"" help:"Import and export assets, load municipality boundaries, locate a point."`
	Sigma   SigmaCmd   `cmd:"" help:"Check Sigma rules and test them against events."`
	Parse   ParseCmd   `cmd:"" help:"Parse log lines from stdin with a Vedetta parser and print normalised events as NDJSON."`
}

// Run parses args and runs the chosen command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cli CLI
	exited := false
	parser, err := kong.New(&cli,
		kong.Name("vedetta"),
		kong.Description("Vedetta: a security operations centre in one binary for small ports, municipalities, post offices and the police centres that protect them."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(int) { exited = true }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if exited {
		return nil // --help
	}
	if err != nil {
		return err
	}
	return kctx.Run(&Globals{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr})
}

// withStore opens the configured store for an administrative command.
func withStore(g *Globals, cf configFlag, fn func(st store.Store) error) error {
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := app.OpenStore(g.ctx, cfg, logger)
	if err != nil {
		return err
	}
	return errors.Join(fn(st), st.Close())
}

// cliActor is how command-line actions appear in the audit log.
func cliActor() (id, name string) {
	name = "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		name += "@" + h
	}
	return "cli", name
}

func auditCLI(g *Globals, st store.Store, tenantID, action, object, detail string) error {
	id, name := cliActor()
	if detail == "" {
		detail = "{}"
	}
	return st.AppendAudit(g.ctx, &store.AuditEntry{ActorID: id, ActorName: name, TenantID: tenantID, Action: action, Object: object, Detail: detail, IP: "local"})
}
