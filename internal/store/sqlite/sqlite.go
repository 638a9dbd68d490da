// Package sqlite is the embedded store.Store backend on modernc.org/sqlite
// (pure Go, so the binary stays static).
//
// A Store holds two pools on one database file: a writer with a single
// connection whose transactions start with BEGIN IMMEDIATE (_txlock), so
// every write in this process queues in database/sql and writers in other
// processes wait on busy_timeout instead of failing with SQLITE_BUSY on a
// lock upgrade; and a read pool whose connections are query_only. The file
// runs in WAL mode with synchronous=NORMAL and foreign keys on, so readers
// never block the writer.
//
// ":memory:" is accepted for quick tools: it opens one connection used for
// reads and writes alike (each new connection to ":memory:" would be an
// empty database). Tests use a file under t.TempDir instead, to exercise the
// split.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeoutMS is how long a connection waits for another process's write
// lock before giving up with SQLITE_BUSY.
const busyTimeoutMS = 10000

// Store is the SQLite backend; its methods are those of store.Store.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the database file at path. It does not
// migrate: call Migrate. path may not contain '?'.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if path == "" || strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: open: bad path %q", path)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=1", busyTimeoutMS)
	w, err := sql.Open("sqlite", path+"?"+common+"&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r := w
	if path != ":memory:" {
		r, err = sql.Open("sqlite", path+"?"+common+"&_query_only=1")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("sqlite: open reader: %w", err)
		}
		n := max(4, runtime.GOMAXPROCS(0))
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		if err := r.PingContext(ctx); err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("sqlite: open reader %s: %w", path, err)
		}
	}
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		w.Close()
		if r != w {
			r.Close()
		}
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	d := sqlstore.Dialect{
		Name:       "sqlite",
		Migrations: sub,
		Classify:   classify,
		Events:     eventDialect(),
	}
	return &Store{sqlstore.New(w, r, d, logger.With("component", "store", "backend", "sqlite"))}, nil
}

// classify maps SQLite's extended constraint codes to the store sentinels.
func classify(err error) error {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return store.ErrConflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return store.ErrNotFound
	}
	return nil
}
