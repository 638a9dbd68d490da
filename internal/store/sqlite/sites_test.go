package sqlite_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestIdentifierLookupUsesIndex checks that the event path's lookup of an
// asset by identifier is answered through asset_identifiers_lookup rather
// than a scan.
func TestIdentifierLookupUsesIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	s := openAt(t, path)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	rows, err := rawDB(t, path).Query(`EXPLAIN QUERY PLAN SELECT a.id FROM asset_identifiers i JOIN assets a ON a.id = i.asset_id
		WHERE i.tenant_id = 't' AND i.kind = 'ip' AND i.value = '192.0.2.1' AND a.tenant_id = 't'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "asset_identifiers_lookup") || strings.Contains(got, "SCAN i") {
		t.Errorf("query plan %q does not use the identifier index", got)
	}
}

// BenchmarkFindAssetsByIdentifier looks IPs up among 5,000 assets of one
// tenant (and as many of another), as the event path does per event.
func BenchmarkFindAssetsByIdentifier(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "v.db"))
	ctx := b.Context()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	const n = 5000
	var tenants []string
	for _, slug := range []string{"porto", "comune"} {
		tn := &store.Tenant{Slug: slug, Name: slug, Kind: store.KindPort}
		if err := s.CreateTenant(ctx, tn); err != nil {
			b.Fatal(err)
		}
		as := make([]store.Asset, n)
		for i := range as {
			as[i] = store.Asset{Name: fmt.Sprintf("host-%d", i), Type: store.AssetServer, Criticality: 3, Status: store.AssetActive,
				Identifiers: []store.Identifier{
					{Kind: store.IdentIP, Value: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)},
					{Kind: store.IdentHostname, Value: fmt.Sprintf("host-%d.%s.example", i, slug)},
				}}
		}
		if err := s.ImportAssets(ctx, tn.ID, as); err != nil {
			b.Fatal(err)
		}
		tenants = append(tenants, tn.ID)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ip := fmt.Sprintf("10.0.%d.%d", (i%n)>>8&255, (i%n)&255)
		got, err := s.FindAssetsByIdentifier(ctx, tenants[0], store.IdentIP, ip)
		if err != nil || len(got) != 1 {
			b.Fatalf("lookup %s: %d assets, %v", ip, len(got), err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
}
