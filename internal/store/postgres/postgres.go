// Package postgres is the scale-out store.Store backend on PostgreSQL,
// through pgx/v5's database/sql driver.
//
// Several vedetta processes may share one database. Migrate holds a
// session-level pg_advisory_lock for the whole run, so instances starting
// together apply each migration once; AppendAudit takes a transaction-level
// pg_advisory_xact_lock before reading the chain head, so appends from every
// process form one chain. Advisory lock keys are per database.
//
// The audit_log table rejects UPDATE, DELETE and TRUNCATE with triggers. A
// superuser or the table owner can disable them; VerifyAudit is what
// detects the tampering then.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys ("vedetta" in ASCII, then a purpose byte).
const (
	migrateLockKey int64 = 0x7665646574746101
	auditLockKey   int64 = 0x7665646574746102
)

// Store is the PostgreSQL backend; its methods are those of store.Store.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as pgx accepts) and checks that it answers. It does
// not migrate: call Migrate.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	d := sqlstore.Dialect{
		Name:           "postgres",
		Migrations:     sub,
		LockMigrations: lockMigrations,
		LockAudit:      lockAudit,
		Classify:       classify,
		Events:         eventDialect(),
	}
	return &Store{sqlstore.New(db, db, d, logger.With("component", "store", "backend", "postgres"))}, nil
}

// lockMigrations takes the session-level migration lock on conn. If the
// release fails the connection is discarded rather than returned to the
// pool still holding the lock (closing the session releases it).
func lockMigrations(ctx context.Context, conn *sql.Conn) (func() error, error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return nil, err
	}
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, migrateLockKey)
		if err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return fmt.Errorf("postgres: release migration lock: %w", err)
		}
		return nil
	}, nil
}

// lockAudit serialises appends to the audit chain until tx ends.
func lockAudit(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLockKey)
	return err
}

// classify maps PostgreSQL SQLSTATEs to the store sentinels.
func classify(err error) error {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code {
	case "23505": // unique_violation
		return store.ErrConflict
	case "23503": // foreign_key_violation
		return store.ErrNotFound
	}
	return nil
}
