package demo

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/site/sitegeo"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func seeded(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Seed(ctx, st, auth.TestHasher()); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestDemoGeography checks the demo port and town: the harbour office is
// imported from its IFC model with two storeys, the ISPS zone contains the
// berth cameras, and the assets the event path will look up are found.
func TestDemoGeography(t *testing.T) {
	ctx := context.Background()
	st := seeded(t)
	port, err := st.GetTenantBySlug(ctx, "porto-portovenere")
	if err != nil {
		t.Fatal(err)
	}
	sites, _ := st.ListSites(ctx, port.ID)
	if len(sites) != 1 || sites[0].Kind != store.SitePortFacility {
		t.Fatalf("port sites = %+v", sites)
	}
	bs, _ := st.ListBuildings(ctx, port.ID, sites[0].ID)
	if len(bs) != 1 || bs[0].Source != "ifc" || len(bs[0].Storeys) != 2 {
		t.Fatalf("harbour office = %+v", bs)
	}
	if n := len(bs[0].Storeys[0].Spaces); n != 4 {
		t.Errorf("ground floor has %d rooms, want 4", n)
	}
	servers, _ := st.FindAssetsByIdentifier(ctx, port.ID, store.IdentHostname, "srv-porto-01.porto.portovenere.example")
	if len(servers) != 1 || servers[0].SpaceID == "" {
		t.Errorf("srv-porto-01 not placed in the server room: %+v", servers)
	}
	if cams, _ := st.FindAssetsByIdentifier(ctx, port.ID, store.IdentMQTTTopic, "frigate/cam-varco/events"); len(cams) != 1 {
		t.Errorf("gate camera not found by its MQTT topic")
	}
	if ifcCams, _ := st.FindAssetsByIdentifier(ctx, port.ID, store.IdentCameraID, "cam-capitaneria-ingresso"); len(ifcCams) != 1 || ifcCams[0].StoreyID == "" {
		t.Errorf("IFC camera not imported on its storey: %+v", ifcCams)
	}
	svc := sitegeo.New(st, sitegeo.Options{})
	all, _ := st.ListAssets(ctx, port.ID, store.AssetFilter{Type: store.AssetCamera})
	for _, a := range all {
		if a.Name != "TVCC Ormeggi" {
			continue
		}
		loc, err := svc.Locate(ctx, port.ID, orb.Point{a.Lon, a.Lat})
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, z := range loc.Zones {
			types = append(types, string(z.Type))
		}
		if loc.SiteID != sites[0].ID || !contains(types, "restricted_area") {
			t.Errorf("berth camera located in %v (site %q), want inside the ISPS area", types, loc.SiteID)
		}
	}
	town, _ := st.GetTenantBySlug(ctx, "comune-lerici")
	townSites, _ := st.ListSites(ctx, town.ID)
	if len(townSites) != 2 {
		t.Errorf("Lerici has %d sites, want the town hall and the square", len(townSites))
	}
	web, _ := st.ListAssets(ctx, town.ID, store.AssetFilter{Type: store.AssetWebsite})
	mail, _ := st.ListAssets(ctx, town.ID, store.AssetFilter{Type: store.AssetMailDomain})
	if len(web) != 1 || len(mail) != 1 {
		t.Errorf("Lerici website/mail domain: %d/%d", len(web), len(mail))
	}
}

// TestDemoBoundaries: with the shared data present, the demo loads the
// municipality boundaries and the port's assets land in Portovenere.
func TestDemoBoundaries(t *testing.T) {
	testenv.SharedData(t, "geojson-italy/geojson/limits_P_11_municipalities.geojson")
	ctx := context.Background()
	st := seeded(t)
	bs, err := st.ListBoundaries(ctx, "municipality")
	if err != nil || len(bs) < 32 {
		t.Fatalf("boundaries: %d, %v", len(bs), err)
	}
	svc := sitegeo.New(st, sitegeo.Options{})
	for _, tt := range []struct {
		slug, want string
		pt         orb.Point
	}{
		{"porto-portovenere", "Portovenere", orb.Point{9.8335, 44.0509}},
		{"comune-lerici", "Lerici", orb.Point{9.9115, 44.0757}},
		{"comune-lerici", "La Spezia", orb.Point{9.83, 44.10}},
	} {
		tn, _ := st.GetTenantBySlug(ctx, tt.slug)
		loc, err := svc.Locate(ctx, tn.ID, tt.pt)
		if err != nil {
			t.Fatal(err)
		}
		if loc.Municipality.Name != tt.want {
			t.Errorf("%v is in %q, want %q", tt.pt, loc.Municipality.Name, tt.want)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
