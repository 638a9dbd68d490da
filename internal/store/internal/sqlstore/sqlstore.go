// Package sqlstore holds the SQL that the SQLite and PostgreSQL backends
// share. Both engines bind $1..$n by number, store timestamps as BIGINT Unix
// milliseconds (audit times as Unix nanoseconds, so AuditHash round-trips
// exactly) and ids as TEXT, so one query text serves both; what differs (the
// migrations, advisory locks, how a driver reports a unique or foreign-key
// violation) comes in through a Dialect.
//
// Writes go through the writer *sql.DB, reads through the reader; for SQLite
// the writer holds a single connection that opens BEGIN IMMEDIATE
// transactions, for PostgreSQL both are the same pool.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/secret"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Dialect is what one database engine contributes.
type Dialect struct {
	// Name prefixes every error ("sqlite", "postgres").
	Name string
	// Migrations holds the numbered NNNN_name.sql files at its root.
	Migrations fs.FS
	// LockMigrations, when set, takes a session lock on conn that keeps
	// other instances out of the whole migration run and returns the
	// function that releases it. When nil, each migration's transaction is
	// the only serialisation (SQLite: BEGIN IMMEDIATE).
	LockMigrations func(ctx context.Context, conn *sql.Conn) (unlock func() error, err error)
	// LockAudit, when set, runs first in every AppendAudit transaction and
	// must block until no other transaction, in any process, is appending.
	LockAudit func(ctx context.Context, tx *sql.Tx) error
	// Classify returns store.ErrConflict for a unique violation,
	// store.ErrNotFound for a foreign-key violation (the referenced row is
	// missing) and nil for anything else.
	Classify func(err error) error
	// Events is the engine's part of the event store (events.go).
	Events EventDialect
}

// Store implements store.Store over database/sql.
type Store struct {
	w, r *sql.DB
	d    Dialect
	log  *slog.Logger
	now  func() time.Time
	// box seals the credentials kept in the database (SetSecrets); nil
	// until set, when they are written in clear.
	box *secret.Box
}

var _ store.Store = (*Store)(nil)

// New returns a Store that writes through w and reads through r (which may
// be w). The Store owns both and closes them in Close.
func New(w, r *sql.DB, d Dialect, logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{w: w, r: r, d: d, log: logger, now: time.Now}
}

// Ping checks that both pools reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: ping: %w", s.d.Name, err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("%s: ping reader: %w", s.d.Name, err)
		}
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if err != nil {
		return fmt.Errorf("%s: close: %w", s.d.Name, err)
	}
	return nil
}

// fail wraps err with the dialect name and the operation, mapping "no rows"
// to store.ErrNotFound and constraint violations through Classify. It
// returns nil for a nil err.
func (s *Store) fail(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %s: %w", s.d.Name, op, store.ErrNotFound)
	}
	if c := s.d.Classify(err); c != nil {
		return fmt.Errorf("%s: %s: %w: %w", s.d.Name, op, c, err)
	}
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, err)
}

// notFound is the error for an update or delete that matched no row.
func (s *Store) notFound(op string) error {
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, store.ErrNotFound)
}

// invalid is the error for a record refused before it reaches the database.
func (s *Store) invalid(op, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s: %w", s.d.Name, op, fmt.Sprintf(format, args...), store.ErrInvalid)
}

// execOne runs a write that must touch exactly one row; zero rows is
// ErrNotFound.
func (s *Store) execOne(ctx context.Context, op, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return s.notFound(op)
	}
	return nil
}

// inTx runs fn in a write transaction and commits it when fn succeeds.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(op, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// newID returns a fresh UUIDv7 (time-ordered) id.
func (s *Store) newID(op string) (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("%s: %s: new id: %w", s.d.Name, op, err)
	}
	return id.String(), nil
}

// nowMS is the current time at the millisecond precision the database keeps.
func (s *Store) nowMS() time.Time { return fromMS(s.now().UnixMilli()) }

// toMS converts t for a BIGINT column: Unix milliseconds, 0 for the zero
// time.
func toMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of toMS; times come back in UTC.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect runs a query on the reader and scans every row with scan.
func collect[T any](ctx context.Context, s *Store, op, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// stamp is toMS(t), or now when t is zero.
func (s *Store) stamp(t time.Time) int64 {
	if t.IsZero() {
		return s.now().UnixMilli()
	}
	return t.UnixMilli()
}
