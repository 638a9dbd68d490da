package postgres_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver for raw access

	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/postgres"
	"github.com/vedetta-sec/vedetta/internal/store/storetest"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// freshDB creates an empty database vedetta_test_<random> on the test
// server, drops it when the test ends, and returns its DSN.
func freshDB(t testing.TB) string {
	t.Helper()
	base := testenv.PostgresDSN(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	name := "vedetta_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		testenv.Unavailable(t, "cannot create a test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return withDBName(t, base, name)
}

// withDBName points dsn (URL or key=value form) at database name.
func withDBName(t testing.TB, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("bad DSN: %v", err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

// openAt opens a Store on dsn and closes it when the test ends (before
// freshDB's cleanup drops the database).
func openAt(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn, nil)
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

// migrated opens and migrates a Store on a fresh database.
func migrated(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	dsn := freshDB(t)
	s := openAt(t, dsn)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, dsn
}

// rawDB opens a plain connection pool to dsn, bypassing the Store.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, freshDB(t))
	})
}

func TestOpenBadDSN(t *testing.T) {
	for _, dsn := range []string{"postgres://%zz", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"} {
		if s, err := postgres.Open(t.Context(), dsn, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", dsn)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	dsn := freshDB(t)
	var stores []store.Store
	for range 4 {
		stores = append(stores, openAt(t, dsn))
	}
	storetest.MigrateConcurrently(t, stores)
	var n, versions int
	if err := rawDB(t, dsn).QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_version`).Scan(&n, &versions); err != nil {
		t.Fatal(err)
	}
	if n != versions || versions < 1 {
		t.Errorf("schema_version holds %d rows for %d versions, want one row per version", n, versions)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	s, dsn := migrated(t)
	if _, err := rawDB(t, dsn).Exec(`INSERT INTO schema_version (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	err := s.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate on a newer schema = %v, want a refusal", err)
	}
}

// TestAppendAcrossStores stands in for several processes: each Store has
// its own pool, so only the advisory lock keeps the chain single.
func TestAppendAcrossStores(t *testing.T) {
	_, dsn := migrated(t)
	stores := []store.Store{openAt(t, dsn), openAt(t, dsn), openAt(t, dsn)}
	storetest.AppendConcurrently(t, stores, 20)
}

func appendN(t *testing.T, s store.Store, n int) {
	t.Helper()
	for i := range n {
		e := store.AuditEntry{ActorID: "u1", Action: "user.update", Object: fmt.Sprintf("user:%d", i), Detail: `{"field":"email"}`}
		if err := s.AppendAudit(t.Context(), &e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
}

func TestAuditAppendOnly(t *testing.T) {
	s, dsn := migrated(t)
	appendN(t, s, 3)
	db := rawDB(t, dsn)
	for _, q := range []string{
		`UPDATE audit_log SET detail = '{}' WHERE seq = 2`,
		`DELETE FROM audit_log WHERE seq = 2`,
		`TRUNCATE audit_log`,
	} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only trigger to refuse", q, err)
		}
	}
	if bad, err := s.VerifyAudit(t.Context()); bad != 0 || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want 0, nil", bad, err)
	}
}

// TestAuditTamper plays a superuser who disables the triggers (what the
// table owner or a DBA can always do) and checks that VerifyAudit names the
// first entry that no longer fits.
func TestAuditTamper(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string
		wantSeq int64
	}{
		{"detail altered", `UPDATE audit_log SET detail = '{"field":"password"}' WHERE seq = 3`, 3},
		{"actor altered", `UPDATE audit_log SET actor_id = 'u2' WHERE seq = 1`, 1},
		{"time altered by 1ns", `UPDATE audit_log SET time_ns = time_ns + 1 WHERE seq = 4`, 4},
		{"row deleted", `DELETE FROM audit_log WHERE seq = 3`, 4},
		{"first row deleted", `DELETE FROM audit_log WHERE seq = 1`, 2},
		{"row rehashed but link kept", `UPDATE audit_log SET detail = '{}', hash = 'f00' WHERE seq = 2`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dsn := migrated(t)
			appendN(t, s, 5)
			db := rawDB(t, dsn)
			q := `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change; ` + tt.tamper +
				`; ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			bad, err := s.VerifyAudit(t.Context())
			if err != nil || bad != tt.wantSeq {
				t.Errorf("VerifyAudit = %d, %v; want %d", bad, err, tt.wantSeq)
			}
		})
	}
	t.Run("session_replication_role", func(t *testing.T) {
		s, dsn := migrated(t)
		appendN(t, s, 4)
		// One connection, so the SET applies to the DELETE.
		conn, err := rawDB(t, dsn).Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, q := range []string{`SET session_replication_role = replica`, `DELETE FROM audit_log WHERE seq = 2`} {
			if _, err := conn.ExecContext(t.Context(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if bad, err := s.VerifyAudit(t.Context()); err != nil || bad != 3 {
			t.Errorf("VerifyAudit = %d, %v; want 3", bad, err)
		}
	})
}

func TestConstraintErrors(t *testing.T) {
	s, _ := migrated(t)
	ctx := t.Context()
	if err := s.CreateTenant(ctx, &store.Tenant{Slug: "dup", Name: "D", Kind: store.KindPort}); err != nil {
		t.Fatal(err)
	}
	err := s.CreateTenant(ctx, &store.Tenant{Slug: "dup", Name: "D", Kind: store.KindPort})
	if !errors.Is(err, store.ErrConflict) || !strings.HasPrefix(err.Error(), "postgres: create tenant: ") {
		t.Errorf("err = %v, want a postgres-prefixed ErrConflict", err)
	}
}

func BenchmarkAppendAudit(b *testing.B) {
	s, _ := migrated(b)
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
	_, dsn := migrated(t)
	storetest.Secrets(t, func(t *testing.T) storetest.SecretStore { return openAt(t, dsn) }, rawDB(t, dsn))
}
