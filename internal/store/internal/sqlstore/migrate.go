package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
)

// Migration is one numbered SQL file.
type Migration struct {
	Version int64
	Name    string // file name, e.g. "0001_init.sql"
	SQL     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4,})_[a-z0-9_]+\.sql$`)

// LoadMigrations reads the NNNN_name.sql files at the root of fsys in
// version order. Any other file, a duplicate version or version 0 is an
// error, so a misnamed migration can never be skipped silently.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var ms []Migration
	seen := map[int64]string{}
	for _, e := range entries {
		name := e.Name()
		m := migrationName.FindStringSubmatch(name)
		if e.IsDir() || m == nil {
			return nil, fmt.Errorf("migrations: unexpected entry %q (want NNNN_name.sql)", name)
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("migrations: bad version in %q", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations: %q and %q share version %d", prev, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, path.Clean(name))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

const createSchemaVersion = `CREATE TABLE IF NOT EXISTS schema_version (
	version BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// Migrate applies the pending migrations, each in its own transaction, and
// records each in schema_version. Under Dialect.LockMigrations the whole run
// is exclusive; without it every migration re-checks schema_version inside
// its (immediate) transaction, so two instances never apply one twice. A
// database that already holds a version this binary does not know is
// refused.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := LoadMigrations(s.d.Migrations)
	if err != nil {
		return fmt.Errorf("%s: %w", s.d.Name, err)
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return s.fail("migrate", err)
	}
	defer conn.Close()
	if s.d.LockMigrations != nil {
		unlock, err := s.d.LockMigrations(ctx, conn)
		if err != nil {
			return s.fail("migrate: lock", err)
		}
		defer func() {
			if err := unlock(); err != nil {
				s.log.Error("migration lock release failed", "err", err)
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, createSchemaVersion); err != nil {
		return s.fail("migrate: schema_version", err)
	}
	var newest sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&newest); err != nil {
		return s.fail("migrate: schema_version", err)
	}
	if len(ms) > 0 && newest.Int64 > ms[len(ms)-1].Version {
		return fmt.Errorf("%s: migrate: database is at schema version %d, newer than this binary's %d",
			s.d.Name, newest.Int64, ms[len(ms)-1].Version)
	}
	for _, m := range ms {
		applied, err := s.apply(ctx, conn, m)
		if err != nil {
			return err
		}
		if applied {
			s.log.Info("migration applied", "dialect", s.d.Name, "version", m.Version, "name", m.Name)
		}
	}
	return nil
}

// apply runs one migration unless schema_version already lists it.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, m Migration) (bool, error) {
	op := "migrate " + m.Name
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, s.fail(op, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return false, s.fail(op, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, s.fail(op, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, s.now().UnixMilli()); err != nil {
		return false, s.fail(op, err)
	}
	if err := tx.Commit(); err != nil {
		return false, s.fail(op, err)
	}
	return true, nil
}
