// Package app wires Vedetta's parts together from a config.Config: the store
// (SQLite or PostgreSQL), the event bus (embedded or external NATS
// JetStream), the web server, metrics and background jobs. It owns their
// lifecycle: Open starts them in order, Close stops them in reverse.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/config"
	"github.com/vedetta-sec/vedetta/internal/secret"
	"github.com/vedetta-sec/vedetta/internal/site/sitegeo"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/postgres"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
	"github.com/vedetta-sec/vedetta/internal/web"
)

// Version is set at build time with -ldflags "-X …/app.Version=…".
var Version = "dev"

// NewLogger builds the process logger from the config.
func NewLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// OpenStore opens and migrates the configured storage backend.
func OpenStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (store.Store, error) {
	var (
		st  store.Store
		err error
	)
	if cfg.IsPostgres() {
		st, err = postgres.Open(ctx, cfg.DB.DSN, logger)
	} else {
		path := cfg.SQLitePath()
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("app: data directory: %w", err)
		}
		st, err = sqlite.Open(ctx, path, logger)
	}
	if err != nil {
		return nil, fmt.Errorf("app: open store: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("app: migrate: %w", err)
	}
	if err := sealSecrets(ctx, cfg, st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// sealSecrets gives the store the key that seals the credentials it
// keeps, then seals those still stored in clear.
func sealSecrets(ctx context.Context, cfg config.Config, st store.Store) error {
	ss, ok := st.(interface {
		SetSecrets(*secret.Box)
		SealStoredSecrets(context.Context) (int, error)
	})
	if !ok {
		return fmt.Errorf("app: the %T store cannot seal credentials", st)
	}
	key, err := secret.LoadOrCreateKey(cfg.SecretsKeyFile())
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	box, err := secret.New(key)
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	ss.SetSecrets(box)
	if _, err := ss.SealStoredSecrets(ctx); err != nil {
		if errors.Is(err, secret.ErrOpen) {
			return fmt.Errorf("app: %w; restore the key file %s saved with this database (secrets.key_file)", err, cfg.SecretsKeyFile())
		}
		return fmt.Errorf("app: sealing stored credentials: %w", err)
	}
	return nil
}

// App is a running Vedetta process.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Store    store.Store
	Bus      *natsbus.Bus
	Web      *web.Server
	Geo      *sitegeo.Service // zone, site and municipality queries (sites.go)
	Registry *prometheus.Registry
	// Hasher hashes passwords; tests use a cheap one.
	Hasher auth.Hasher

	closers []func() error
	wg      sync.WaitGroup
}

// Options adjusts Open for tests and the demo.
type Options struct {
	Hasher *auth.Hasher // nil: auth.DefaultHasher()
}

// Open starts every component.
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger, opt Options) (*App, error) {
	a := &App{Config: cfg, Log: logger, Registry: prometheus.NewRegistry(), Hasher: auth.DefaultHasher()}
	if opt.Hasher != nil {
		a.Hasher = *opt.Hasher
	}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if a.Store, err = OpenStore(ctx, cfg, logger); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Store.Close)

	if err := a.openBus(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.startDetect(ctx); err != nil {
		a.Close()
		return nil, err
	}
	ingestHTTP, err := a.openIngest(ctx)
	if err != nil {
		a.Close()
		return nil, err
	}
	if err := a.openSites(ctx); err != nil {
		a.Close()
		return nil, err
	}

	cases, err := a.openIncident(ctx)
	if err != nil {
		a.Close()
		return nil, err
	}

	a.Web, err = web.New(web.Options{
		Store: a.Store, Logger: logger, Hasher: a.Hasher,
		SecureCookies: cfg.SecureCookies(),
		IdleTimeout:   time.Duration(cfg.Session.Idle), Absolute: time.Duration(cfg.Session.Absolute),
		TileURL: cfg.Map.TileURL, Version: Version, Registry: a.Registry,
		Cases:  cases,
		Ingest: ingestHTTP, Geo: a.Geo, Live: a.Bus,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.startJobs(ctx)
	a.startPipeline(ctx)
	a.startNotify(ctx)
	return a, nil
}

func (a *App) openBus(ctx context.Context) error {
	opts := natsbus.Options{Name: "vedetta"}
	var err error
	if a.Config.Bus.URL != "" {
		a.Bus, err = natsbus.OpenURL(ctx, a.Config.Bus.URL, opts, a.Log)
	} else {
		opts.StoreDir = filepath.Join(a.Config.DataDir, "nats")
		opts.MaxStore = a.Config.Bus.MaxBytes
		a.Bus, err = natsbus.OpenEmbedded(ctx, opts, a.Log)
	}
	if err != nil {
		return fmt.Errorf("app: bus: %w", err)
	}
	a.closers = append(a.closers, a.Bus.Close)
	return nil
}

// startJobs runs the periodic housekeeping: expired sessions are deleted.
func (a *App) startJobs(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.closers = append(a.closers, func() error { cancel(); a.wg.Wait(); return nil })
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		t := time.NewTicker(5 * time.Minute)
		defer t.Stop()
		for {
			n, err := a.Store.DeleteExpiredSessions(ctx, time.Now(), time.Duration(a.Config.Session.Idle))
			if err != nil && ctx.Err() == nil {
				a.Log.Warn("session cleanup failed", "err", err)
			} else if n > 0 {
				a.Log.Info("expired sessions deleted", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Handler is the whole HTTP surface: the web server plus /metrics.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	mux.Handle("/", a.Web.Handler())
	return mux
}

// Serve listens on the configured address until ctx ends, then shuts down
// gracefully. ready, when non-nil, receives the bound address.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Config.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("app: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if a.Config.HTTP.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(a.Config.HTTP.TLSCert, a.Config.HTTP.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("app: tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	addr := ln.Addr().String()
	a.Log.Info("listening", "url", scheme+"://"+addr)
	if ready != nil {
		ready(scheme + "://" + addr)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("app: serve: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("app: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops every component in reverse order of start.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}

// IsLoopbackAddr reports whether a listen address is on loopback.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
