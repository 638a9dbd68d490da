package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

func testAuditAppend(t *testing.T, s store.Store) {
	ctx := t.Context()
	if bad, err := s.VerifyAudit(ctx); bad != 0 || err != nil {
		t.Errorf("VerifyAudit on an empty log = %d, %v; want 0, nil", bad, err)
	}
	if got, err := s.ListAudit(ctx, store.AuditFilter{}); err != nil || len(got) != 0 {
		t.Errorf("ListAudit on an empty log = %v, %v", got, err)
	}

	// Nanoseconds and a non-UTC zone: the time must come back as the
	// same instant, in UTC, to the nanosecond, or the hash would not
	// verify.
	when := time.Date(2026, 11, 24, 13, 0, 0, 123456789, time.FixedZone("CET", 3600))
	entries := []*store.AuditEntry{
		{Time: when, ActorID: "0190-anna", ActorName: "Anna Rossi", TenantID: "t-bari", Action: "user.create",
			Object: "user:0190-bob", Detail: `{"username":"bob","role":"analyst"}`, IP: "192.0.2.7"},
		{ActorID: "system", Action: "session.sweep", Detail: `{"deleted":3}`},
		{ActorID: "token:0190-tok", ActorName: "siem export", TenantID: "t-bari", Action: "personal_data.read",
			Object: "event:42", Detail: `{"fields":["user.name","source.ip"],"note":"città"}`, IP: "2001:db8::1"},
	}
	prev := ""
	for i, e := range entries {
		input := *e
		must(t, "AppendAudit", s.AppendAudit(ctx, e))
		if e.Seq != int64(i+1) {
			t.Errorf("entry %d: Seq = %d, want %d", i, e.Seq, i+1)
		}
		if e.PrevHash != prev {
			t.Errorf("entry %d: PrevHash = %q, want the previous Hash %q", i, e.PrevHash, prev)
		}
		if want := store.AuditHash(prev, e); e.Hash != want {
			t.Errorf("entry %d: Hash = %q, want AuditHash = %q", i, e.Hash, want)
		}
		if input.Time.IsZero() {
			checkRecent(t, "Time set by AppendAudit", e.Time)
		} else if !e.Time.Equal(input.Time) || e.Time.Location() != time.UTC {
			t.Errorf("entry %d: Time = %v, want %v in UTC", i, e.Time, input.Time)
		}
		// Everything else is kept as given.
		input.Seq, input.Time, input.PrevHash, input.Hash = e.Seq, e.Time, e.PrevHash, e.Hash
		if diff := cmp.Diff(&input, e); diff != "" {
			t.Errorf("entry %d changed by AppendAudit (-want +got):\n%s", i, diff)
		}
		prev = e.Hash
	}
	got, err := s.ListAudit(ctx, store.AuditFilter{})
	must(t, "ListAudit", err)
	want := []store.AuditEntry{*entries[2], *entries[1], *entries[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListAudit, newest first (-want +got):\n%s", diff)
	}
	if bad, err := s.VerifyAudit(ctx); bad != 0 || err != nil {
		t.Errorf("VerifyAudit = %d, %v; want 0, nil", bad, err)
	}

	for _, bad := range []store.AuditEntry{
		{ActorID: "system"},
		{Action: "user.create"},
		{ActorID: "system", Action: "user.create", Detail: `{"unterminated":`},
		{ActorID: "system", Action: "user.create", Detail: `not json`},
		{ActorID: "system", Action: "user.create", Object: "user:\x00"},
		{ActorID: "system", Action: "user.create", ActorName: "bad \xff utf-8"},
	} {
		e := bad
		wantErr(t, fmt.Sprintf("AppendAudit %+v", bad), s.AppendAudit(ctx, &e), store.ErrInvalid)
		if e.Seq != 0 || e.Hash != "" {
			t.Errorf("refused AppendAudit assigned Seq %d, Hash %q", e.Seq, e.Hash)
		}
	}
	next := &store.AuditEntry{ActorID: "system", Action: "audit.verify"}
	must(t, "AppendAudit after refusals", s.AppendAudit(ctx, next))
	if next.Seq != 4 || next.PrevHash != entries[2].Hash {
		t.Errorf("after refused appends: Seq %d PrevHash %q; want 4 and %q", next.Seq, next.PrevHash, entries[2].Hash)
	}
}

func testAuditFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	base := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for i, e := range []store.AuditEntry{
		{TenantID: "A", ActorID: "u1", Action: "user.create"},
		{TenantID: "B", ActorID: "u2", Action: "user.update"},
		{TenantID: "", ActorID: "system", Action: "session.sweep"},
		{TenantID: "A", ActorID: "u2", Action: "User.create"},
		{TenantID: "C", ActorID: "u1", Action: "personal_data.read"},
		{TenantID: "A", ActorID: "u1", Action: "user"},
	} {
		e.Time = base.Add(time.Duration(i) * time.Second)
		must(t, "AppendAudit", s.AppendAudit(ctx, &e))
	}
	at := func(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }
	tests := []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"everything", store.AuditFilter{}, []int64{6, 5, 4, 3, 2, 1}},
		{"empty tenant list matches nothing", store.AuditFilter{TenantIDs: []string{}}, nil},
		{"one tenant", store.AuditFilter{TenantIDs: []string{"A"}}, []int64{6, 4, 1}},
		{"two tenants", store.AuditFilter{TenantIDs: []string{"A", "B"}}, []int64{6, 4, 2, 1}},
		{"platform level", store.AuditFilter{TenantIDs: []string{""}}, []int64{3}},
		{"unknown tenant", store.AuditFilter{TenantIDs: []string{"Z"}}, nil},
		{"actor", store.AuditFilter{ActorID: "u1"}, []int64{6, 5, 1}},
		{"action prefix with dot", store.AuditFilter{Action: "user."}, []int64{2, 1}},
		{"action prefix", store.AuditFilter{Action: "user"}, []int64{6, 2, 1}},
		{"action prefix is case-sensitive", store.AuditFilter{Action: "User."}, []int64{4}},
		{"whole action", store.AuditFilter{Action: "personal_data.read"}, []int64{5}},
		{"action longer than any", store.AuditFilter{Action: "personal_data.read.more"}, nil},
		{"action with LIKE wildcards", store.AuditFilter{Action: "user%"}, nil},
		{"since is inclusive", store.AuditFilter{Since: at(2)}, []int64{6, 5, 4, 3}},
		{"until is exclusive", store.AuditFilter{Until: at(2)}, []int64{2, 1}},
		{"window", store.AuditFilter{Since: at(1), Until: at(3)}, []int64{3, 2}},
		{"before seq", store.AuditFilter{BeforeSeq: 4}, []int64{3, 2, 1}},
		{"limit", store.AuditFilter{Limit: 2}, []int64{6, 5}},
		{"page", store.AuditFilter{BeforeSeq: 5, Limit: 2}, []int64{4, 3}},
		{"combined", store.AuditFilter{TenantIDs: []string{"A", "C"}, ActorID: "u1", Action: "user.", Since: at(0)}, []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAudit(ctx, tt.f)
			must(t, "ListAudit", err)
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if diff := cmp.Diff(tt.want, seqs); diff != "" {
				t.Errorf("seqs (-want +got):\n%s", diff)
			}
		})
	}

	for _, f := range []store.AuditFilter{
		{Action: "user\xff"},
		{Action: "user\x00"},
		{ActorID: "u1\x00"},
		{TenantIDs: []string{"A", "\xc3"}},
	} {
		got, err := s.ListAudit(ctx, f)
		wantErr(t, fmt.Sprintf("ListAudit(%+v)", f), err, store.ErrInvalid)
		if got != nil {
			t.Errorf("ListAudit(%+v) returned %d entries with its error", f, len(got))
		}
	}

	// Paging backwards through everything, two at a time.
	var seqs []int64
	f := store.AuditFilter{Limit: 2}
	for range 10 {
		page, err := s.ListAudit(ctx, f)
		must(t, "ListAudit page", err)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			seqs = append(seqs, e.Seq)
		}
		f.BeforeSeq = page[len(page)-1].Seq
	}
	if diff := cmp.Diff([]int64{6, 5, 4, 3, 2, 1}, seqs); diff != "" {
		t.Errorf("paging (-want +got):\n%s", diff)
	}
}

func testAuditLimits(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 1001
	for i := range n {
		e := &store.AuditEntry{ActorID: "system", Action: "test.fill", Object: fmt.Sprint(i)}
		must(t, "AppendAudit", s.AppendAudit(ctx, e))
	}
	for _, tt := range []struct {
		limit, want int
	}{
		{0, 100}, {-5, 100}, {7, 7}, {1000, 1000}, {5000, 1000},
	} {
		got, err := s.ListAudit(ctx, store.AuditFilter{Limit: tt.limit})
		must(t, "ListAudit", err)
		if len(got) != tt.want {
			t.Errorf("Limit %d: %d entries, want %d", tt.limit, len(got), tt.want)
		} else if got[0].Seq != n {
			t.Errorf("Limit %d: first Seq %d, want the newest %d", tt.limit, got[0].Seq, n)
		}
	}
	if bad, err := s.VerifyAudit(ctx); bad != 0 || err != nil {
		t.Errorf("VerifyAudit over %d entries = %d, %v", n, bad, err)
	}
}

func testAuditConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const workers, each = 8, 25
	var mu sync.Mutex
	var seqs []int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := &store.AuditEntry{ActorID: fmt.Sprintf("w%d", w), Action: "test.concurrent", Detail: fmt.Sprintf(`{"i":%d}`, i)}
				if err := s.AppendAudit(ctx, e); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seqs = append(seqs, e.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("AppendAudit: %v", err)
	}
	checkContiguous(t, seqs, workers*each)
	if bad, err := s.VerifyAudit(ctx); bad != 0 || err != nil {
		t.Errorf("VerifyAudit after concurrent appends = %d, %v; want 0, nil", bad, err)
	}
	all, err := s.ListAudit(ctx, store.AuditFilter{Limit: 1000})
	must(t, "ListAudit", err)
	if len(all) != workers*each {
		t.Errorf("ListAudit = %d entries, want %d", len(all), workers*each)
	}
	for i, e := range all {
		if want := int64(workers*each - i); e.Seq != want {
			t.Fatalf("ListAudit[%d].Seq = %d, want %d", i, e.Seq, want)
		}
	}
}
