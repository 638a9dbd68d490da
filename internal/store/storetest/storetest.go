// Package storetest is the conformance suite for store.Store backends, in the
// manner of testing/fstest: a backend's test calls Run with a function that
// opens a Store on a fresh, empty database, and every method of the contract
// is exercised against it. The helpers MigrateConcurrently and
// AppendConcurrently check what one Store cannot: several instances sharing
// one database.
package storetest

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Run runs the conformance suite. open must return a Store on a fresh,
// empty database for each subtest and arrange (t.Cleanup) for it to be
// closed and removed; Run calls Migrate itself.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Migrate", testMigrate},
		{"Tenants", testTenants},
		{"TenantErrors", testTenantErrors},
		{"Users", testUsers},
		{"UserErrors", testUserErrors},
		{"LoginCounters", testLoginCounters},
		{"Memberships", testMemberships},
		{"Oversight", testOversight},
		{"CascadeDeleteTenant", testCascade},
		{"Sessions", testSessions},
		{"SessionExpiry", testSessionExpiry},
		{"Tokens", testTokens},
		{"TokenTenantScope", testTokenScope},
		{"AuditAppend", testAuditAppend},
		{"AuditFilters", testAuditFilters},
		{"AuditLimits", testAuditLimits},
		{"AuditConcurrent", testAuditConcurrent},
	}
	tests = append(tests, eventTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			tt.fn(t, s)
		})
	}
	runSiteTests(t, open)
	runCaseTests(t, open)
	runRemoteReportTests(t, open)
	runAlertTests(t, open)
	runNotifyTests(t, open)
}

// MigrateConcurrently runs Migrate on every store at once (they must share
// one fresh database) and fails unless every call succeeds and the schema
// then works. The caller checks, in its own SQL, that each migration was
// recorded once.
func MigrateConcurrently(t *testing.T, stores []store.Store) {
	t.Helper()
	ctx := t.Context()
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		wg.Go(func() {
			<-start
			errs[i] = s.Migrate(ctx)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate on store %d: %v", i, err)
		}
	}
	if t.Failed() {
		return
	}
	for i, s := range stores {
		tn := &store.Tenant{Slug: fmt.Sprintf("after-migrate-%d", i), Name: "M", Kind: store.KindPort}
		if err := s.CreateTenant(ctx, tn); err != nil {
			t.Errorf("store %d after Migrate: CreateTenant: %v", i, err)
		}
	}
	got, err := stores[0].ListTenants(ctx)
	if err != nil || len(got) != len(stores) {
		t.Errorf("ListTenants = %d tenants, %v; want %d", len(got), err, len(stores))
	}
}

// AppendConcurrently appends perWorker entries from two goroutines on each
// store at once (the stores share one migrated database holding no audit
// entries yet) and checks that the result is one chain: Seq 1..n with no
// gap or repeat, and VerifyAudit intact.
func AppendConcurrently(t *testing.T, stores []store.Store, perWorker int) {
	t.Helper()
	const workersPerStore = 2
	ctx := t.Context()
	type result struct {
		seqs []int64
		err  error
	}
	results := make(chan result, len(stores)*workersPerStore)
	var wg sync.WaitGroup
	for i, s := range stores {
		for w := range workersPerStore {
			wg.Go(func() {
				var r result
				for n := range perWorker {
					e := &store.AuditEntry{
						ActorID: fmt.Sprintf("worker-%d-%d", i, w), Action: "test.append",
						Object: fmt.Sprintf("n:%d", n), Detail: `{"n":` + fmt.Sprint(n) + `}`,
					}
					if err := s.AppendAudit(ctx, e); err != nil {
						r.err = err
						break
					}
					r.seqs = append(r.seqs, e.Seq)
				}
				results <- r
			})
		}
	}
	wg.Wait()
	close(results)
	var seqs []int64
	for r := range results {
		if r.err != nil {
			t.Errorf("AppendAudit: %v", r.err)
		}
		seqs = append(seqs, r.seqs...)
	}
	checkContiguous(t, seqs, len(stores)*workersPerStore*perWorker)
	for i, s := range stores {
		if bad, err := s.VerifyAudit(ctx); bad != 0 || err != nil {
			t.Errorf("store %d: VerifyAudit = %d, %v; want 0, nil", i, bad, err)
		}
	}
}

// checkContiguous fails unless seqs is a permutation of 1..n.
func checkContiguous(t *testing.T, seqs []int64, n int) {
	t.Helper()
	sorted := append([]int64(nil), seqs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	if len(sorted) != n {
		t.Errorf("got %d seqs, want %d", len(sorted), n)
	}
	for i, v := range sorted {
		if v != int64(i+1) {
			t.Errorf("sorted seqs[%d] = %d, want %d (gap or repeat)", i, v, i+1)
			return
		}
	}
}

// ms is t at the millisecond precision the stores keep, in UTC.
func ms(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// must fails the test now when err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkV7 fails unless id is a UUIDv7.
func checkV7(t *testing.T, id string) {
	t.Helper()
	u, err := uuid.Parse(id)
	if err != nil || u.Version() != 7 {
		t.Errorf("id %q is not a UUIDv7 (err %v)", id, err)
	}
}

// checkRecent fails unless tm is within a minute of now, in UTC, at
// millisecond precision or finer.
func checkRecent(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if d := time.Since(tm); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, not near now", what, tm)
	}
	if tm.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, tm.Location())
	}
}

func newTenant(t *testing.T, s store.Store, slug string, kind store.TenantKind) *store.Tenant {
	t.Helper()
	tn := &store.Tenant{Slug: slug, Name: "Tenant " + slug, Kind: kind, Country: "IT", Locale: "it"}
	must(t, "CreateTenant "+slug, s.CreateTenant(t.Context(), tn))
	return tn
}

func newUser(t *testing.T, s store.Store, username string) *store.User {
	t.Helper()
	u := &store.User{Username: username, DisplayName: "User " + username, PasswordHash: "$argon2id$v=19$x"}
	must(t, "CreateUser "+username, s.CreateUser(t.Context(), u))
	return u
}

func testMigrate(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, "second Migrate", s.Migrate(ctx))
	must(t, "Ping", s.Ping(ctx))
	tn := newTenant(t, s, "after-migrate", store.KindPort)
	must(t, "third Migrate", s.Migrate(ctx))
	if _, err := s.GetTenant(ctx, tn.ID); err != nil {
		t.Errorf("Migrate lost data: GetTenant: %v", err)
	}
}
