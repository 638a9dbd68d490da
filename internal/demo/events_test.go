package demo

import (
	"context"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestDemoEvents checks that the demo entities have sources with a day of
// searchable events, and that the one meant to look silent is flagged.
func TestDemoEvents(t *testing.T) {
	ctx := context.Background()
	st := seeded(t)
	lerici, err := st.GetTenantBySlug(ctx, "comune-lerici")
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := st.ListSources(ctx, lerici.ID)
	if err != nil || len(srcs) != 3 {
		t.Fatalf("Lerici sources = %d, %v; want 3", len(srcs), err)
	}
	hs, err := st.ListSourceHealth(ctx, lerici.ID)
	if err != nil {
		t.Fatal(err)
	}
	health := map[string]store.SourceHealth{}
	for _, h := range hs {
		health[h.SourceID] = h
	}
	silent := 0
	for _, s := range srcs {
		if s.Silent(health[s.ID], time.Now()) {
			silent++
		}
	}
	if silent != 1 {
		t.Errorf("%d silent sources, want the domain controller only", silent)
	}
	for _, q := range []store.EventQuery{
		{Since: time.Now().Add(-24 * time.Hour)},
		{Fields: map[string]string{"url.path": "/wp-login.php"}},
		{Fields: map[string]string{"source.ip": demoScanners[0]}},
		{Text: "deny"},
	} {
		evs, err := st.SearchEvents(ctx, lerici.ID, q)
		if err != nil || len(evs) == 0 {
			t.Errorf("SearchEvents(%+v) = %d events, %v", q, len(evs), err)
		}
	}
}
