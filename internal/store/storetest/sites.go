package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// runSiteTests runs the SiteStore part of the contract.
func runSiteTests(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Sites", testSites},
		{"SiteFeatures", testSiteFeatures},
		{"SiteBuildings", testSiteBuildings},
		{"Assets", testAssets},
		{"AssetImportAtomic", testAssetImportAtomic},
		{"SiteTenantScope", testSiteTenantScope},
		{"Boundaries", testBoundaries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			tt.fn(t, s)
		})
	}
}

const quayGeometry = `{"type":"Polygon","coordinates":[[[9.834,44.050],[9.836,44.050],[9.836,44.051],[9.834,44.051],[9.834,44.050]]]}`

func newSite(t *testing.T, s store.Store, tenantID, name string) *store.Site {
	t.Helper()
	x := &store.Site{TenantID: tenantID, Name: name, Kind: store.SitePortFacility, Lon: 9.8345, Lat: 44.0505, ISPSLevel: 1}
	must(t, "CreateSite "+name, s.CreateSite(t.Context(), x))
	return x
}

func testSites(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "porto-a", store.KindPort)
	x := newSite(t, s, tn.ID, "Porto")
	checkV7(t, x.ID)
	checkRecent(t, "CreatedAt", x.CreatedAt)
	got, err := s.GetSite(ctx, tn.ID, x.ID)
	must(t, "GetSite", err)
	if diff := cmp.Diff(x, got); diff != "" {
		t.Errorf("GetSite (-want +got):\n%s", diff)
	}
	x.Name, x.Kind, x.ISPSLevel, x.Description = "Porto di Portovenere", store.SiteOther, 2, "Calata Doria"
	must(t, "UpdateSite", s.UpdateSite(ctx, x))
	got, err = s.GetSite(ctx, tn.ID, x.ID)
	must(t, "GetSite", err)
	if diff := cmp.Diff(x, got); diff != "" {
		t.Errorf("GetSite after update (-want +got):\n%s", diff)
	}
	newSite(t, s, tn.ID, "Altro")
	list, err := s.ListSites(ctx, tn.ID)
	must(t, "ListSites", err)
	if len(list) != 2 || list[0].Name != "Altro" {
		t.Errorf("ListSites = %+v, want 2 sorted by name", list)
	}
	for _, bad := range []store.Site{
		{TenantID: tn.ID, Name: "", Kind: store.SiteOther},
		{TenantID: tn.ID, Name: "x", Kind: "castle"},
		{TenantID: tn.ID, Name: "x", Kind: store.SiteOther, Lat: 91},
		{TenantID: tn.ID, Name: "x", Kind: store.SiteOther, ISPSLevel: 4},
	} {
		wantErr(t, "CreateSite invalid", s.CreateSite(ctx, &bad), store.ErrInvalid)
	}
	must(t, "DeleteSite", s.DeleteSite(ctx, tn.ID, x.ID))
	_, err = s.GetSite(ctx, tn.ID, x.ID)
	wantErr(t, "GetSite deleted", err, store.ErrNotFound)
	wantErr(t, "DeleteSite twice", s.DeleteSite(ctx, tn.ID, x.ID), store.ErrNotFound)
}

func testSiteFeatures(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "porto-f", store.KindPort)
	x := newSite(t, s, tn.ID, "Porto")
	f := &store.SiteFeature{TenantID: tn.ID, SiteID: x.ID, Kind: store.FeatureZone, Type: "quay", Name: "Calata Doria", Geometry: quayGeometry}
	must(t, "CreateFeature", s.CreateFeature(ctx, f))
	if f.Properties != "{}" {
		t.Errorf("empty properties stored as %q, want {}", f.Properties)
	}
	got, err := s.GetFeature(ctx, tn.ID, f.ID)
	must(t, "GetFeature", err)
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("GetFeature (-want +got):\n%s", diff)
	}
	f.Type, f.Properties = "restricted_area", `{"isps":true}`
	must(t, "UpdateFeature", s.UpdateFeature(ctx, f))
	got, _ = s.GetFeature(ctx, tn.ID, f.ID)
	if got.Type != "restricted_area" || got.Properties != `{"isps":true}` {
		t.Errorf("after update: %+v", got)
	}
	for name, bad := range map[string]store.SiteFeature{
		"kind":       {TenantID: tn.ID, SiteID: x.ID, Kind: "blob", Type: "quay", Geometry: quayGeometry},
		"geometry":   {TenantID: tn.ID, SiteID: x.ID, Kind: store.FeatureZone, Type: "quay", Geometry: `[1,2]`},
		"properties": {TenantID: tn.ID, SiteID: x.ID, Kind: store.FeatureZone, Type: "quay", Geometry: quayGeometry, Properties: `"x"`},
		"no site":    {TenantID: tn.ID, SiteID: "nope", Kind: store.FeatureZone, Type: "quay", Geometry: quayGeometry},
		"building":   {TenantID: tn.ID, SiteID: x.ID, Kind: store.FeaturePoint, Type: "door", Geometry: `{"type":"Point","coordinates":[9.8,44]}`, BuildingID: "nope"},
	} {
		wantErr(t, "CreateFeature "+name, s.CreateFeature(ctx, &bad), store.ErrInvalid)
	}
	// Import: one update, one new; then a batch with a bad feature
	// changes nothing.
	batch := []store.SiteFeature{
		{ID: f.ID, Kind: store.FeatureZone, Type: "quay", Name: "Calata Doria", Geometry: quayGeometry},
		{Kind: store.FeatureLine, Type: "fence", Name: "Recinzione", Geometry: `{"type":"LineString","coordinates":[[9.83,44.05],[9.84,44.05]]}`},
	}
	must(t, "ImportFeatures", s.ImportFeatures(ctx, tn.ID, x.ID, batch))
	list, err := s.ListFeatures(ctx, tn.ID, x.ID)
	must(t, "ListFeatures", err)
	if len(list) != 2 {
		t.Fatalf("ListFeatures after import: %d features, want 2", len(list))
	}
	bad := []store.SiteFeature{
		{Kind: store.FeatureZone, Type: "berth", Name: "ok", Geometry: quayGeometry},
		{Kind: store.FeatureZone, Type: "berth", Name: "bad", Geometry: `nope`},
	}
	wantErr(t, "ImportFeatures with a bad feature", s.ImportFeatures(ctx, tn.ID, x.ID, bad), store.ErrInvalid)
	if list, _ := s.ListFeatures(ctx, tn.ID, ""); len(list) != 2 {
		t.Errorf("a refused import stored %d features, want still 2", len(list))
	}
	// ImportSitePlan: a bad asset keeps the good features out too.
	planF := []store.SiteFeature{{Kind: store.FeatureZone, Type: "gate", Name: "Varco", Geometry: quayGeometry}}
	planA := []store.Asset{{Name: "cam", Type: store.AssetCamera, Criticality: 9, Status: store.AssetActive}}
	wantErr(t, "ImportSitePlan with a bad asset", s.ImportSitePlan(ctx, tn.ID, x.ID, planF, planA), store.ErrInvalid)
	if list, _ := s.ListFeatures(ctx, tn.ID, ""); len(list) != 2 {
		t.Errorf("a refused site plan stored features: %d, want 2", len(list))
	}
	planA[0].Criticality = 2
	must(t, "ImportSitePlan", s.ImportSitePlan(ctx, tn.ID, x.ID, planF, planA))
	if as, _ := s.ListAssets(ctx, tn.ID, store.AssetFilter{SiteID: x.ID}); len(as) != 1 {
		t.Errorf("ImportSitePlan: %d assets on the site, want 1", len(as))
	}
	must(t, "DeleteFeature", s.DeleteFeature(ctx, tn.ID, f.ID))
	wantErr(t, "DeleteFeature twice", s.DeleteFeature(ctx, tn.ID, f.ID), store.ErrNotFound)
}

func testSiteBuildings(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "porto-b", store.KindPort)
	x := newSite(t, s, tn.ID, "Porto")
	bi := &store.BuildingImport{
		Building: store.Building{ID: "b1", SiteID: x.ID, Name: "Capitaneria", Source: "ifc", ExternalID: "1kTv", Lon: 9.835, Lat: 44.051,
			Storeys: []store.Storey{
				{ID: "s0", Name: "Piano terra", Elevation: 0, Ordinal: 0, Spaces: []store.Space{
					{ID: "r1", Name: "001", LongName: "Reception", Geometry: quayGeometry, Lon: 9.835, Lat: 44.051},
				}},
				{ID: "s1", Name: "Primo piano", Elevation: 3.5, Ordinal: 1},
			}},
		Features: []store.SiteFeature{{Kind: store.FeaturePoint, Type: "door", Name: "Ingresso", StoreyID: "s0",
			Geometry: `{"type":"Point","coordinates":[9.835,44.051]}`}},
		Assets: []store.Asset{{Name: "TVCC-01", Type: store.AssetCamera, Criticality: 3, Status: store.AssetActive,
			HasPoint: true, Lon: 9.835, Lat: 44.051, StoreyID: "s0", SpaceID: "r1"}},
	}
	must(t, "ImportBuilding", s.ImportBuilding(ctx, tn.ID, bi))
	b, err := s.GetBuilding(ctx, tn.ID, "b1")
	must(t, "GetBuilding", err)
	if diff := cmp.Diff(&bi.Building, b, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("GetBuilding (-want +got):\n%s", diff)
	}
	fs, _ := s.ListFeatures(ctx, tn.ID, x.ID)
	if len(fs) != 1 || fs[0].BuildingID != "b1" || fs[0].StoreyID != "s0" {
		t.Errorf("indoor features = %+v", fs)
	}
	// A second import whose asset names another storey is refused whole.
	bad := &store.BuildingImport{
		Building: store.Building{SiteID: x.ID, Name: "Magazzino", Storeys: []store.Storey{{Name: "PT"}}},
		Assets:   []store.Asset{{Name: "x", Type: store.AssetSensor, Criticality: 1, Status: store.AssetActive, StoreyID: "s1", SpaceID: "r1"}},
	}
	wantErr(t, "ImportBuilding with a bad asset", s.ImportBuilding(ctx, tn.ID, bad), store.ErrInvalid)
	if bs, _ := s.ListBuildings(ctx, tn.ID, ""); len(bs) != 1 {
		t.Errorf("refused import left %d buildings, want 1", len(bs))
	}
	// Deleting the building cascades to features and unplaces the asset.
	must(t, "DeleteBuilding", s.DeleteBuilding(ctx, tn.ID, "b1"))
	if fs, _ := s.ListFeatures(ctx, tn.ID, x.ID); len(fs) != 0 {
		t.Errorf("indoor features survived their building: %+v", fs)
	}
	as, _ := s.ListAssets(ctx, tn.ID, store.AssetFilter{})
	if len(as) != 1 || as[0].StoreyID != "" || as[0].SpaceID != "" || !as[0].HasPoint {
		t.Errorf("asset after building deletion = %+v", as)
	}
}

func testAssets(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "comune-a", store.KindMunicipality)
	x := newSite(t, s, tn.ID, "Municipio")
	zone := &store.SiteFeature{TenantID: tn.ID, SiteID: x.ID, Kind: store.FeatureZone, Type: "public_space", Geometry: quayGeometry}
	must(t, "CreateFeature", s.CreateFeature(ctx, zone))
	a := &store.Asset{TenantID: tn.ID, SiteID: x.ID, Name: "srv-protocollo", Type: store.AssetServer, Criticality: 5,
		Owner: "CED", Status: store.AssetActive, ZoneID: zone.ID, Tags: []string{"pa", "dmz", "pa", " "},
		Identifiers: []store.Identifier{
			{Kind: store.IdentIP, Value: "192.0.2.10"}, {Kind: store.IdentHostname, Value: "Protocollo.Comune.Example."},
			{Kind: store.IdentMAC, Value: "00-1A-2B-3C-4D-5E"}, {Kind: store.IdentIP, Value: "::ffff:192.0.2.11"},
		}}
	must(t, "CreateAsset", s.CreateAsset(ctx, a))
	wantIDs := []store.Identifier{
		{Kind: store.IdentHostname, Value: "protocollo.comune.example"},
		{Kind: store.IdentIP, Value: "192.0.2.10"}, {Kind: store.IdentIP, Value: "192.0.2.11"},
		{Kind: store.IdentMAC, Value: "00:1a:2b:3c:4d:5e"},
	}
	if diff := cmp.Diff(wantIDs, a.Identifiers); diff != "" {
		t.Errorf("normalised identifiers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dmz", "pa"}, a.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	got, err := s.GetAsset(ctx, tn.ID, a.ID)
	must(t, "GetAsset", err)
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("GetAsset (-want +got):\n%s", diff)
	}
	for _, q := range []struct {
		kind  store.IdentifierKind
		value string
		n     int
	}{
		{store.IdentIP, "192.0.2.10", 1}, {store.IdentIP, "::ffff:192.0.2.10", 1}, {store.IdentHostname, "PROTOCOLLO.comune.example", 1},
		{store.IdentMAC, "001a.2b3c.4d5e", 1}, {store.IdentIP, "192.0.2.99", 0}, {store.IdentIP, "not an ip", 0}, {"bogus", "x", 0},
	} {
		found, err := s.FindAssetsByIdentifier(ctx, tn.ID, q.kind, q.value)
		must(t, "FindAssetsByIdentifier", err)
		if len(found) != q.n || (q.n == 1 && found[0].ID != a.ID) {
			t.Errorf("FindAssetsByIdentifier(%s, %q) = %d assets, want %d", q.kind, q.value, len(found), q.n)
		}
		if q.n == 1 && len(found) == 1 && len(found[0].Identifiers) != 4 {
			t.Errorf("found asset has %d identifiers, want 4", len(found[0].Identifiers))
		}
	}
	a.Identifiers = []store.Identifier{{Kind: store.IdentURL, Value: "https://www.comune.example/"}}
	a.Status, a.HasPoint, a.Lon, a.Lat = store.AssetMaintenance, true, 9.9, 44.07
	must(t, "UpdateAsset", s.UpdateAsset(ctx, a))
	if found, _ := s.FindAssetsByIdentifier(ctx, tn.ID, store.IdentIP, "192.0.2.10"); len(found) != 0 {
		t.Errorf("old identifier still finds the asset after update")
	}
	got, _ = s.GetAsset(ctx, tn.ID, a.ID)
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("GetAsset after update (-want +got):\n%s", diff)
	}
	cam := &store.Asset{TenantID: tn.ID, Name: "Telecamera piazza", Type: store.AssetCamera, Criticality: 2, Status: store.AssetOffline, Tags: []string{"tvcc"}}
	must(t, "CreateAsset camera", s.CreateAsset(ctx, cam))
	for _, f := range []struct {
		f    store.AssetFilter
		want int
	}{
		{store.AssetFilter{}, 2}, {store.AssetFilter{Type: store.AssetCamera}, 1}, {store.AssetFilter{Status: store.AssetMaintenance}, 1},
		{store.AssetFilter{Tag: "tvcc"}, 1}, {store.AssetFilter{Tag: "tv"}, 0}, {store.AssetFilter{Text: "PIAZZA"}, 1},
		{store.AssetFilter{Text: "%"}, 0}, {store.AssetFilter{SiteID: x.ID}, 1}, {store.AssetFilter{Limit: 1}, 1},
	} {
		list, err := s.ListAssets(ctx, tn.ID, f.f)
		must(t, "ListAssets", err)
		if len(list) != f.want {
			t.Errorf("ListAssets(%+v) = %d, want %d", f.f, len(list), f.want)
		}
	}
	for name, bad := range map[string]store.Asset{
		"type":        {TenantID: tn.ID, Name: "x", Type: "toaster", Criticality: 1, Status: store.AssetActive},
		"criticality": {TenantID: tn.ID, Name: "x", Type: store.AssetServer, Criticality: 6, Status: store.AssetActive},
		"status":      {TenantID: tn.ID, Name: "x", Type: store.AssetServer, Criticality: 1, Status: "lost"},
		"ip":          {TenantID: tn.ID, Name: "x", Type: store.AssetServer, Criticality: 1, Status: store.AssetActive, Identifiers: []store.Identifier{{Kind: store.IdentIP, Value: "999.1.1.1"}}},
		"zone":        {TenantID: tn.ID, Name: "x", Type: store.AssetServer, Criticality: 1, Status: store.AssetActive, ZoneID: "nope"},
		"point":       {TenantID: tn.ID, Name: "x", Type: store.AssetServer, Criticality: 1, Status: store.AssetActive, HasPoint: true, Lon: 200},
	} {
		wantErr(t, "CreateAsset "+name, s.CreateAsset(ctx, &bad), store.ErrInvalid)
	}
	// Deleting the zone keeps the asset, without the zone.
	must(t, "DeleteFeature", s.DeleteFeature(ctx, tn.ID, zone.ID))
	got, _ = s.GetAsset(ctx, tn.ID, a.ID)
	if got.ZoneID != "" {
		t.Errorf("asset keeps deleted zone %q", got.ZoneID)
	}
	must(t, "DeleteAsset", s.DeleteAsset(ctx, tn.ID, a.ID))
	wantErr(t, "DeleteAsset twice", s.DeleteAsset(ctx, tn.ID, a.ID), store.ErrNotFound)
	if found, _ := s.FindAssetsByIdentifier(ctx, tn.ID, store.IdentURL, "https://www.comune.example/"); len(found) != 0 {
		t.Errorf("identifiers survived their asset")
	}
}

func testAssetImportAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "comune-i", store.KindMunicipality)
	first := []store.Asset{
		{ID: "a1", Name: "fw", Type: store.AssetFirewall, Criticality: 4, Status: store.AssetActive},
		{Name: "www", Type: store.AssetWebsite, Criticality: 3, Status: store.AssetActive, Identifiers: []store.Identifier{{Kind: store.IdentURL, Value: "https://comune.example"}}},
	}
	must(t, "ImportAssets", s.ImportAssets(ctx, tn.ID, first))
	second := []store.Asset{
		{ID: "a1", Name: "fw renamed", Type: store.AssetFirewall, Criticality: 4, Status: store.AssetActive},
		{Name: "bad", Type: store.AssetServer, Criticality: 0, Status: store.AssetActive},
	}
	wantErr(t, "ImportAssets with a bad row", s.ImportAssets(ctx, tn.ID, second), store.ErrInvalid)
	got, err := s.GetAsset(ctx, tn.ID, "a1")
	must(t, "GetAsset", err)
	if got.Name != "fw" {
		t.Errorf("a refused import renamed the asset to %q", got.Name)
	}
	list, _ := s.ListAssets(ctx, tn.ID, store.AssetFilter{})
	if len(list) != 2 {
		t.Errorf("after a refused import: %d assets, want 2", len(list))
	}
	second[1].Criticality = 1
	must(t, "ImportAssets corrected", s.ImportAssets(ctx, tn.ID, second))
	if got, _ := s.GetAsset(ctx, tn.ID, "a1"); got.Name != "fw renamed" {
		t.Errorf("import did not update a1: %q", got.Name)
	}
}

func testSiteTenantScope(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "tenant-a", store.KindPort)
	b := newTenant(t, s, "tenant-b", store.KindPort)
	sb := newSite(t, s, b.ID, "B site")
	fb := &store.SiteFeature{TenantID: b.ID, SiteID: sb.ID, Kind: store.FeatureZone, Type: "quay", Geometry: quayGeometry}
	must(t, "CreateFeature", s.CreateFeature(ctx, fb))
	ab := &store.Asset{TenantID: b.ID, Name: "B cam", Type: store.AssetCamera, Criticality: 1, Status: store.AssetActive,
		Identifiers: []store.Identifier{{Kind: store.IdentCameraID, Value: "cam-b"}}}
	must(t, "CreateAsset", s.CreateAsset(ctx, ab))

	_, err := s.GetSite(ctx, a.ID, sb.ID)
	wantErr(t, "GetSite other tenant", err, store.ErrNotFound)
	_, err = s.GetFeature(ctx, a.ID, fb.ID)
	wantErr(t, "GetFeature other tenant", err, store.ErrNotFound)
	_, err = s.GetAsset(ctx, a.ID, ab.ID)
	wantErr(t, "GetAsset other tenant", err, store.ErrNotFound)
	if found, _ := s.FindAssetsByIdentifier(ctx, a.ID, store.IdentCameraID, "cam-b"); len(found) != 0 {
		t.Errorf("FindAssetsByIdentifier crossed tenants")
	}
	wantErr(t, "DeleteSite other tenant", s.DeleteSite(ctx, a.ID, sb.ID), store.ErrNotFound)
	wantErr(t, "DeleteFeature other tenant", s.DeleteFeature(ctx, a.ID, fb.ID), store.ErrNotFound)
	wantErr(t, "DeleteAsset other tenant", s.DeleteAsset(ctx, a.ID, ab.ID), store.ErrNotFound)
	up := *sb
	up.TenantID, up.Name = a.ID, "hijacked"
	wantErr(t, "UpdateSite other tenant", s.UpdateSite(ctx, &up), store.ErrNotFound)
	// References into another tenant are refused.
	sa := newSite(t, s, a.ID, "A site")
	wantErr(t, "feature on B's site", s.CreateFeature(ctx, &store.SiteFeature{TenantID: a.ID, SiteID: sb.ID, Kind: store.FeatureZone, Type: "quay", Geometry: quayGeometry}), store.ErrInvalid)
	wantErr(t, "asset in B's zone", s.CreateAsset(ctx, &store.Asset{TenantID: a.ID, SiteID: sa.ID, Name: "x", Type: store.AssetSensor, Criticality: 1, Status: store.AssetActive, ZoneID: fb.ID}), store.ErrInvalid)
	wantErr(t, "import into B's site", s.ImportFeatures(ctx, a.ID, sb.ID, nil), store.ErrInvalid)
	// Importing with B's ids neither updates nor reveals B's objects.
	err = s.ImportAssets(ctx, a.ID, []store.Asset{{ID: ab.ID, Name: "hijack", Type: store.AssetCamera, Criticality: 1, Status: store.AssetActive}})
	if err == nil {
		t.Errorf("ImportAssets with another tenant's id succeeded")
	}
	got, _ := s.GetAsset(ctx, b.ID, ab.ID)
	if got.Name != "B cam" {
		t.Errorf("B's asset renamed to %q", got.Name)
	}
	if list, _ := s.ListSites(ctx, a.ID); len(list) != 1 {
		t.Errorf("ListSites(A) = %d sites, want 1", len(list))
	}
	// Deleting tenant B removes its sites and assets.
	must(t, "DeleteTenant", s.DeleteTenant(ctx, b.ID))
	if found, _ := s.FindAssetsByIdentifier(ctx, b.ID, store.IdentCameraID, "cam-b"); len(found) != 0 {
		t.Errorf("assets survived their tenant")
	}
}

func testBoundaries(t *testing.T, s store.Store) {
	ctx := t.Context()
	bs := []store.Boundary{
		{ID: "istat:011022", Name: "Portovenere", Geometry: quayGeometry, Properties: `{"prov_acr":"SP"}`},
		{ID: "istat:011016", Name: "Lerici", Geometry: quayGeometry},
	}
	must(t, "ReplaceBoundaries", s.ReplaceBoundaries(ctx, "municipality", bs))
	got, err := s.ListBoundaries(ctx, "municipality")
	must(t, "ListBoundaries", err)
	if len(got) != 2 || got[0].Name != "Lerici" || got[1].Properties != `{"prov_acr":"SP"}` || got[0].Properties != "{}" {
		t.Errorf("ListBoundaries = %+v", got)
	}
	wantErr(t, "ReplaceBoundaries bad", s.ReplaceBoundaries(ctx, "municipality", []store.Boundary{{ID: "x", Name: "x", Geometry: "nope"}}), store.ErrInvalid)
	if got, _ := s.ListBoundaries(ctx, "municipality"); len(got) != 2 {
		t.Errorf("a refused replacement changed the boundaries: %d", len(got))
	}
	must(t, "ReplaceBoundaries empty", s.ReplaceBoundaries(ctx, "municipality", nil))
	if got, _ := s.ListBoundaries(ctx, "municipality"); len(got) != 0 {
		t.Errorf("boundaries after clearing: %d", len(got))
	}
}
