package sitegeo

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/geo"
	"github.com/vedetta-sec/vedetta/internal/site/plan"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// square is a closed square polygon of side 2d degrees around (lon, lat).
func square(lon, lat, d float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		lon-d, lat-d, lon+d, lat-d, lon+d, lat+d, lon-d, lat+d, lon-d, lat-d)
}

func TestServiceTenantZones(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a := &store.Tenant{Slug: "porto", Name: "Porto", Kind: store.KindPort}
	b := &store.Tenant{Slug: "altro", Name: "Altro", Kind: store.KindPort}
	for _, tn := range []*store.Tenant{a, b} {
		if err := st.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	site := &store.Site{TenantID: a.ID, Name: "Portovenere", Kind: store.SitePortFacility, Lon: 9.8345, Lat: 44.0505}
	if err := st.CreateSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	quay := &store.SiteFeature{TenantID: a.ID, SiteID: site.ID, Kind: store.FeatureZone, Type: "quay", Name: "Calata", Geometry: square(9.8345, 44.0505, 0.001)}
	isps := &store.SiteFeature{TenantID: a.ID, SiteID: site.ID, Kind: store.FeatureZone, Type: "restricted_area", Name: "ISPS", Geometry: square(9.8345, 44.0505, 0.0002)}
	for _, f := range []*store.SiteFeature{quay, isps} {
		if err := st.CreateFeature(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	svc := New(st, Options{Now: func() time.Time { return now }})
	pt := orb.Point{9.8345, 44.0505}
	loc, err := svc.Locate(ctx, a.ID, pt)
	if err != nil {
		t.Fatal(err)
	}
	if loc.SiteID != site.ID || len(loc.Zones) != 2 || loc.Zones[0].ID != isps.ID {
		t.Errorf("Locate = %+v, want site %s and the ISPS zone first", loc, site.ID)
	}
	if zs, _ := svc.Containing(ctx, b.ID, pt); len(zs) != 0 {
		t.Errorf("tenant B sees %d of A's zones", len(zs))
	}
	d, err := svc.DistanceTo(ctx, a.ID, orb.Point{9.8345, 44.0525}, quay.ID)
	if err != nil || math.Abs(d-111) > 5 {
		t.Errorf("DistanceTo = %v, %v; want about 111 m", d, err)
	}
	// An edit is seen after Invalidate, not before (within MaxAge).
	if err := st.DeleteFeature(ctx, a.ID, isps.ID); err != nil {
		t.Fatal(err)
	}
	if zs, _ := svc.Containing(ctx, a.ID, pt); len(zs) != 2 {
		t.Errorf("before Invalidate: %d zones, want the cached 2", len(zs))
	}
	svc.Invalidate(a.ID)
	if zs, _ := svc.Containing(ctx, a.ID, pt); len(zs) != 1 {
		t.Errorf("after Invalidate: %d zones, want 1", len(zs))
	}
	// And after MaxAge without Invalidate.
	if err := st.DeleteFeature(ctx, a.ID, quay.ID); err != nil {
		t.Fatal(err)
	}
	now = now.Add(DefaultMaxAge + time.Second)
	if zs, _ := svc.Containing(ctx, a.ID, pt); len(zs) != 0 {
		t.Errorf("after MaxAge: %d zones, want 0", len(zs))
	}
}

// TestLaSpeziaMunicipality is the done-when check through the
// whole path: the province boundaries are imported into the store, the
// service loads them, and the port of La Spezia is located.
func TestLaSpeziaMunicipality(t *testing.T) {
	path := testenv.SharedData(t, "geojson-italy/geojson/limits_P_11_municipalities.geojson")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zones, err := geo.LoadMunicipalities(f)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := plan.Boundaries(zones)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := openStore(t)
	if err := st.ReplaceBoundaries(ctx, string(geo.ZoneMunicipality), bs); err != nil {
		t.Fatal(err)
	}
	svc := New(st, Options{})
	if err := svc.LoadBoundaries(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pt   orb.Point
		want string
	}{
		{"port of La Spezia", orb.Point{9.83, 44.10}, "La Spezia"},
		{"Lerici town hall", orb.Point{9.9115, 44.0757}, "Lerici"},
		{"Portovenere harbour", orb.Point{9.8345, 44.0505}, "Portovenere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := svc.Locate(ctx, "no-tenant", tt.pt)
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Municipality.Name; got != tt.want {
				t.Errorf("municipality of %v = %q (%.0f m away), want %q", tt.pt, got, loc.MunicipalityDistance, tt.want)
			}
		})
	}
}

func TestConcurrentQueriesAndInvalidate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tn := &store.Tenant{Slug: "p", Name: "P", Kind: store.KindPort}
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	site := &store.Site{TenantID: tn.ID, Name: "S", Kind: store.SiteOther}
	if err := st.CreateSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateFeature(ctx, &store.SiteFeature{TenantID: tn.ID, SiteID: site.ID, Kind: store.FeatureZone, Type: "quay", Geometry: square(9, 44, 0.01)}); err != nil {
		t.Fatal(err)
	}
	svc := New(st, Options{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 50 {
				if i == 0 {
					svc.Invalidate(tn.ID)
				}
				zs, err := svc.Containing(ctx, tn.ID, orb.Point{9, 44})
				if err != nil || len(zs) != 1 {
					t.Errorf("Containing = %d zones, %v", len(zs), err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// fakeSource serves synthetic zones without a database.
type fakeSource struct{ fs []store.SiteFeature }

func (f fakeSource) ListFeatures(context.Context, string, string) ([]store.SiteFeature, error) {
	return f.fs, nil
}
func (f fakeSource) ListBoundaries(context.Context, string) ([]store.Boundary, error) {
	return nil, nil
}

// BenchmarkServiceContaining measures the event-path query through the
// service (tenant index cached) with 10,000 zones of one tenant.
func BenchmarkServiceContaining(b *testing.B) {
	fs := make([]store.SiteFeature, 0, 10000)
	for i := range 10000 {
		lon, lat := 8+float64(i%100)*0.05, 43+float64(i/100)*0.02
		fs = append(fs, store.SiteFeature{ID: fmt.Sprintf("z%d", i), SiteID: "s", Kind: store.FeatureZone, Type: "quay", Geometry: square(lon, lat, 0.004)})
	}
	svc := New(fakeSource{fs}, Options{})
	ctx := context.Background()
	if _, err := svc.Index(ctx, "t"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i, hits := 0, 0
	for b.Loop() {
		pt := orb.Point{8 + float64(i%100)*0.05 + 0.001, 43 + float64((i/100)%100)*0.02}
		zs, err := svc.Containing(ctx, "t", pt)
		if err != nil {
			b.Fatal(err)
		}
		hits += len(zs)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
	b.ReportMetric(float64(hits)/float64(i), "hits/lookup")
}
