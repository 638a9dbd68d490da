package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
	"github.com/vedetta-sec/vedetta/internal/store/storetest"
)

// openAt opens a Store on path and closes it when the test ends.
func openAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// migrated opens and migrates a Store on a new file, returning its path too.
func migrated(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vedetta.db")
	s := openAt(t, path)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, path
}

// rawDB opens a plain connection to the file, bypassing the Store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, filepath.Join(t.TempDir(), "vedetta.db"))
	})
}

func TestPragmas(t *testing.T) {
	_, path := migrated(t)
	db := rawDB(t, path)
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func TestMemory(t *testing.T) {
	s := openAt(t, ":memory:")
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	tn := &store.Tenant{Slug: "mem", Name: "Mem", Kind: store.KindPort}
	if err := s.CreateTenant(ctx, tn); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	got, err := s.GetTenant(ctx, tn.ID)
	if err != nil {
		t.Fatalf("GetTenant on :memory: (reads must see writes): %v", err)
	}
	if diff := cmp.Diff(tn, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, path := range []string{"", "x.db?_txlock=deferred", filepath.Join(t.TempDir(), "missing-dir", "x.db")} {
		if s, err := sqlite.Open(t.Context(), path, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vedetta.db")
	var stores []store.Store
	for range 4 {
		stores = append(stores, openAt(t, path))
	}
	storetest.MigrateConcurrently(t, stores)
	var n, versions int
	if err := rawDB(t, path).QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_version`).Scan(&n, &versions); err != nil {
		t.Fatal(err)
	}
	if n != versions || versions < 1 {
		t.Errorf("schema_version holds %d rows for %d versions, want one row per version", n, versions)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	s, path := migrated(t)
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_version (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	err := s.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate on a newer schema = %v, want a refusal", err)
	}
}

func TestAppendAcrossStores(t *testing.T) {
	_, path := migrated(t)
	stores := []store.Store{openAt(t, path), openAt(t, path), openAt(t, path)}
	storetest.AppendConcurrently(t, stores, 20)
}

// appendN appends n entries and returns them.
func appendN(t *testing.T, s store.Store, n int) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	for i := range n {
		e := store.AuditEntry{ActorID: "u1", Action: "user.update", Object: fmt.Sprintf("user:%d", i), Detail: `{"field":"email"}`}
		if err := s.AppendAudit(t.Context(), &e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func TestAuditAppendOnly(t *testing.T) {
	s, path := migrated(t)
	appendN(t, s, 3)
	db := rawDB(t, path)
	for _, q := range []string{
		`UPDATE audit_log SET detail = '{}' WHERE seq = 2`,
		`DELETE FROM audit_log WHERE seq = 2`,
	} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only trigger to refuse", q, err)
		}
	}
	if bad, err := s.VerifyAudit(t.Context()); bad != 0 || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want 0, nil", bad, err)
	}
}

func TestAuditTamper(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string // run after the triggers are dropped
		wantSeq int64
	}{
		{"detail altered", `UPDATE audit_log SET detail = '{"field":"password"}' WHERE seq = 3`, 3},
		{"actor altered", `UPDATE audit_log SET actor_id = 'u2' WHERE seq = 1`, 1},
		{"time altered by 1ns", `UPDATE audit_log SET time_ns = time_ns + 1 WHERE seq = 4`, 4},
		{"row deleted", `DELETE FROM audit_log WHERE seq = 3`, 4},
		{"first row deleted", `DELETE FROM audit_log WHERE seq = 1`, 2},
		{"row rehashed but link kept", `UPDATE audit_log SET detail = '{}', hash = 'f00' WHERE seq = 2`, 2},
		{"seq renumbered to hide a deletion", `DELETE FROM audit_log WHERE seq = 3; UPDATE audit_log SET seq = seq - 1 WHERE seq > 3`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := migrated(t)
			appendN(t, s, 5)
			db := rawDB(t, path)
			for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, tt.tamper} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			bad, err := s.VerifyAudit(t.Context())
			if err != nil || bad != tt.wantSeq {
				t.Errorf("VerifyAudit = %d, %v; want %d", bad, err, tt.wantSeq)
			}
		})
	}
}

func TestConstraintErrors(t *testing.T) {
	// The wrapped driver error stays reachable next to the sentinel.
	s, _ := migrated(t)
	ctx := t.Context()
	tn := &store.Tenant{Slug: "dup", Name: "D", Kind: store.KindPort}
	if err := s.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	err := s.CreateTenant(ctx, &store.Tenant{Slug: "dup", Name: "D", Kind: store.KindPort})
	if !errors.Is(err, store.ErrConflict) || !strings.HasPrefix(err.Error(), "sqlite: create tenant: ") {
		t.Errorf("err = %v, want a sqlite-prefixed ErrConflict", err)
	}
}

// FuzzListAuditAction checks the Action filter, which comes from request
// parameters, against strings.HasPrefix over a fixed log: any valid prefix
// (wildcards, quotes, accents) selects exactly the entries a Go prefix test
// selects, and one with NUL or invalid UTF-8 is ErrInvalid.
func FuzzListAuditAction(f *testing.F) {
	for _, seed := range []string{"", "user", "user.", "User", "%", "_", "user%", "u_er", "'", "' OR 1=1 --",
		"città", "cit", "\x00", "\xff", "personal_data.read", "personal_data.read.x"} {
		f.Add(seed)
	}
	s, _ := migrated(f)
	actions := []string{"user.create", "user.update", "User.create", "user", "session.login", "personal_data.read",
		"città.update", "user%create", "u_er.x"}
	for _, a := range actions {
		if err := s.AppendAudit(f.Context(), &store.AuditEntry{ActorID: "system", Action: a}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, prefix string) {
		got, err := s.ListAudit(t.Context(), store.AuditFilter{Action: prefix, Limit: 1000})
		if !utf8.ValidString(prefix) || strings.IndexByte(prefix, 0) >= 0 {
			if !errors.Is(err, store.ErrInvalid) || got != nil {
				t.Fatalf("ListAudit(%q) = %v, %v; want ErrInvalid", prefix, got, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ListAudit(%q): %v", prefix, err)
		}
		var want, have []string
		for i := len(actions) - 1; i >= 0; i-- {
			if strings.HasPrefix(actions[i], prefix) {
				want = append(want, actions[i])
			}
		}
		for _, e := range got {
			have = append(have, e.Action)
		}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("Action %q (-want +got):\n%s", prefix, diff)
		}
	})
}

func BenchmarkAppendAudit(b *testing.B) {
	path := filepath.Join(b.TempDir(), "vedetta.db")
	s := openAt(b, path)
	if err := s.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		e := &store.AuditEntry{
			ActorID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", ActorName: "Anna Rossi",
			TenantID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", Action: "user.update", Object: "user:0190",
			Detail: `{"field":"email"}`, IP: "192.0.2.7",
		}
		if err := s.AppendAudit(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSecretsSealedAtRest(t *testing.T) {
	_, path := migrated(t)
	storetest.Secrets(t, func(t *testing.T) storetest.SecretStore { return openAt(t, path) }, rawDB(t, path))
}
