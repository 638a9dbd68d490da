package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const testQuay = `{"type":"Polygon","coordinates":[[[9.834,44.05],[9.836,44.05],[9.836,44.051],[9.834,44.05]]]}`

// seedSites gives tenant B a site with a zone, a building with a storey
// and a space, and an asset, all carrying the marker, and hands their ids
// to the walker.
func (f *crossTenantFixture) seedSites(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	st := f.e.st
	x := &store.Site{TenantID: f.b.ID, Name: "Site " + marker, Kind: store.SitePortFacility, Lon: 9.83, Lat: 44.05, Description: marker}
	if err := st.CreateSite(ctx, x); err != nil {
		t.Fatal(err)
	}
	z := &store.SiteFeature{TenantID: f.b.ID, SiteID: x.ID, Kind: store.FeatureZone, Type: "restricted_area", Name: "Zone " + marker, Geometry: testQuay}
	if err := st.CreateFeature(ctx, z); err != nil {
		t.Fatal(err)
	}
	bi := &store.BuildingImport{Building: store.Building{SiteID: x.ID, Name: "Building " + marker, Source: "ifc",
		Storeys: []store.Storey{{ID: "b-storey-1", Name: "Storey " + marker, Spaces: []store.Space{{ID: "b-space-1", Name: "Space " + marker}}}}},
		Features: []store.SiteFeature{{ID: "b-door-1", Kind: store.FeaturePoint, Type: "door", Name: "Door " + marker, StoreyID: "b-storey-1",
			Geometry: `{"type":"Point","coordinates":[9.835,44.0505]}`}}}
	if err := st.ImportBuilding(ctx, f.b.ID, bi); err != nil {
		t.Fatal(err)
	}
	a := &store.Asset{TenantID: f.b.ID, SiteID: x.ID, Name: "Camera " + marker, Type: store.AssetCamera, Criticality: 4, Status: store.AssetActive,
		Owner: marker, HasPoint: true, Lon: 9.835, Lat: 44.0505, ZoneID: z.ID, StoreyID: "b-storey-1", SpaceID: "b-space-1",
		Identifiers: []store.Identifier{{Kind: store.IdentCameraID, Value: "cam-" + marker}, {Kind: store.IdentIP, Value: "198.51.100.9"}}}
	if err := st.CreateAsset(ctx, a); err != nil {
		t.Fatal(err)
	}
	f.wildcard["site"] = []string{x.ID}
	f.wildcard["feature"] = []string{z.ID, "b-door-1"}
	f.wildcard["asset"] = []string{a.ID}
	f.wildcard["building"] = []string{bi.Building.ID}
}

// snapshotSites captures tenant B's sites, layers, buildings and assets.
func (f *crossTenantFixture) snapshotSites(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	sites, _ := f.e.st.ListSites(ctx, f.b.ID)
	fs, _ := f.e.st.ListFeatures(ctx, f.b.ID, "")
	bs, _ := f.e.st.ListBuildings(ctx, f.b.ID, "")
	as, _ := f.e.st.ListAssets(ctx, f.b.ID, store.AssetFilter{})
	fmt.Fprintf(&b, "sites %+v\nfeatures %+v\nbuildings %+v\nassets %+v\n", sites, fs, bs, as)
	return b.String()
}

// siteEnv is a tenant with a site manager and a viewer, logged in.
type siteEnv struct {
	e        *testEnv
	tenant   *store.Tenant
	admin    *browser
	viewer   *browser
	secret   string
	roSecret string
}

func newSiteEnv(t *testing.T) *siteEnv {
	e := newTestEnv(t)
	ten := e.tenant("porto", store.KindPort)
	e.user("pfso", false, ten.ID, store.RoleAdmin)
	e.user("guardia", false, ten.ID, store.RoleViewer)
	_, secret := e.token(ten.ID, store.RoleAdmin, "gis")
	_, ro := e.token(ten.ID, store.RoleViewer, "ro")
	se := &siteEnv{e: e, tenant: ten, admin: e.browser(), viewer: e.browser(), secret: secret, roSecret: ro}
	se.admin.login("pfso")
	se.viewer.login("guardia")
	return se
}

func TestSitePagesAndForms(t *testing.T) {
	se := newSiteEnv(t)
	resp, body := se.admin.post("/sites", url.Values{"name": {"Porto di Portovenere"}, "kind": {"port_facility"}, "lat": {"44,0505"}, "lon": {"9.8345"}, "isps_level": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create site: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	siteID := strings.TrimPrefix(strings.Split(loc, "?")[0], "/sites/")
	if _, body := se.admin.get("/sites/" + siteID); !strings.Contains(body, "Porto di Portovenere") {
		t.Errorf("site page lacks the name")
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no name", url.Values{"name": {""}, "kind": {"other"}, "lat": {"1"}, "lon": {"1"}}, "The name must be"},
		{"bad kind", url.Values{"name": {"x"}, "kind": {"castle"}, "lat": {"1"}, "lon": {"1"}}, "Unknown kind"},
		{"bad position", url.Values{"name": {"x"}, "kind": {"other"}, "lat": {"91"}, "lon": {"1"}}, "decimal degrees"},
	} {
		resp, body := se.admin.do("POST", "/sites", tt.form, map[string]string{"Accept-Language": "en"})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 400 with %q", tt.name, resp.StatusCode, tt.want)
		}
	}
	// A viewer reads but cannot change.
	if resp, _ := se.viewer.get("/sites/" + siteID + "/map"); resp.StatusCode != http.StatusOK {
		t.Errorf("viewer map: %d", resp.StatusCode)
	}
	if resp, _ := se.viewer.post("/sites", url.Values{"name": {"x"}, "kind": {"other"}, "lat": {"1"}, "lon": {"1"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer create site: %d, want 403", resp.StatusCode)
	}
	// The map page passes its data through attributes, with no inline script.
	_, page := se.admin.get("/sites/" + siteID + "/map")
	for _, want := range []string{`data-layers-url="/sites/` + siteID + `/layers.json"`, `data-csrf="`, "js/map.js", "vendor/leaflet/leaflet.js"} {
		if !strings.Contains(page, want) {
			t.Errorf("map page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "style=") {
		t.Errorf("map page has inline script or style")
	}
	if _, page := se.admin.get("/map"); !strings.Contains(page, siteID) {
		t.Errorf("/map does not show the tenant's site")
	}
}

// TestZoneDrawingJSON draws a zone the way map.js does: JSON with the CSRF
// token in a header; without the token it is refused.
func TestZoneDrawingJSON(t *testing.T) {
	se := newSiteEnv(t)
	x := &store.Site{TenantID: se.tenant.ID, Name: "Porto", Kind: store.SitePortFacility, Lon: 9.8345, Lat: 44.0505}
	if err := se.e.st.CreateSite(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	post := func(path, body, csrf string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", se.e.ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := se.admin.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return resp, buf.String()
	}
	zone := `{"type":"restricted_area","name":"Area ISPS","geometry":` + testQuay + `}`
	if resp, _ := post("/sites/"+x.ID+"/features", zone, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF header: %d, want 403", resp.StatusCode)
	}
	if resp, _ := post("/sites/"+x.ID+"/features", zone, "wrong"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("with a wrong CSRF header: %d, want 403", resp.StatusCode)
	}
	resp, body := post("/sites/"+x.ID+"/features", zone, se.admin.csrf)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create zone: %d %s", resp.StatusCode, body)
	}
	var created struct{ ID, Kind string }
	json.Unmarshal([]byte(body), &created)
	if created.Kind != "zone" {
		t.Errorf("created kind %q", created.Kind)
	}
	bad := `{"type":"restricted_area","name":"x","geometry":{"type":"Polygon","coordinates":[[[9,44],[9.1,44],[9.1,44.1]]]}}`
	if resp, body := post("/sites/"+x.ID+"/features", bad, se.admin.csrf); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "map.bad_feature") {
		t.Errorf("open ring: %d %s", resp.StatusCode, body)
	}
	moved := `{"type":"quay","name":"Calata","geometry":{"type":"Polygon","coordinates":[[[9.8,44.0],[9.81,44.0],[9.81,44.01],[9.8,44.0]]]}}`
	if resp, body := post("/features/"+created.ID, moved, se.admin.csrf); resp.StatusCode != http.StatusOK {
		t.Fatalf("update zone: %d %s", resp.StatusCode, body)
	}
	got, _ := se.e.st.GetFeature(context.Background(), se.tenant.ID, created.ID)
	if got.Type != "quay" || !strings.Contains(got.Geometry, "9.81") {
		t.Errorf("after update: %+v", got)
	}
	_, layers := se.admin.get("/sites/" + x.ID + "/layers.json")
	if !strings.Contains(layers, `"Calata"`) {
		t.Errorf("layers.json lacks the zone: %s", layers)
	}
	if resp, _ := post("/features/"+created.ID+"/delete", "{}", se.admin.csrf); resp.StatusCode != http.StatusOK {
		t.Errorf("delete zone: %d", resp.StatusCode)
	}
	if _, err := se.e.st.GetFeature(context.Background(), se.tenant.ID, created.ID); err == nil {
		t.Errorf("zone still there after delete")
	}
}

func multipartFile(t *testing.T, csrf, name string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (b *browser) upload(path, name string, content []byte) (*http.Response, string) {
	b.e.t.Helper()
	body, ct := multipartFile(b.e.t, b.csrf, name, content)
	req, _ := http.NewRequest("POST", b.e.ts.URL+path, body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Accept-Language", "en")
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp, out.String()
}

func TestUploads(t *testing.T) {
	se := newSiteEnv(t)
	ctx := context.Background()
	x := &store.Site{TenantID: se.tenant.ID, Name: "Porto", Kind: store.SitePortFacility, Lon: 9.8345, Lat: 44.0505}
	if err := se.e.st.CreateSite(ctx, x); err != nil {
		t.Fatal(err)
	}
	// CSV: a bad row refuses the whole file, with the row's reason.
	csv := "name,type,criticality,ips\nfw-01,firewall,5,192.0.2.1\nsrv,server,7,10.0.0.300\n"
	resp, body := se.admin.upload("/assets/import", "assets.csv", []byte(csv))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "line 3, column criticality") || !strings.Contains(body, `malformed ip &#34;10.0.0.300&#34;`) {
		t.Errorf("bad CSV: %d\n%s", resp.StatusCode, body)
	}
	if as, _ := se.e.st.ListAssets(ctx, se.tenant.ID, store.AssetFilter{}); len(as) != 0 {
		t.Errorf("a refused CSV imported %d assets", len(as))
	}
	csv = "name,type,criticality,ips,site_id,lon,lat\nfw-01,firewall,5,192.0.2.1," + x.ID + ",9.8345,44.0505\nsrv,server,3,10.0.0.3,,,\n"
	if resp, body := se.admin.upload("/assets/import", "assets.csv", []byte(csv)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good CSV: %d %s", resp.StatusCode, body)
	}
	// CSV export round trip.
	resp, exported := se.admin.get("/assets?format=csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(exported, "fw-01,firewall,5,active") {
		t.Errorf("CSV export: %d %s", resp.StatusCode, exported)
	}
	if resp, body := se.admin.upload("/assets/import", "again.csv", []byte(exported)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("re-importing the export: %d %s", resp.StatusCode, body)
	}
	if as, _ := se.e.st.ListAssets(ctx, se.tenant.ID, store.AssetFilter{}); len(as) != 2 {
		t.Errorf("after re-import: %d assets, want 2 (updated, not duplicated)", len(as))
	}
	// IFC: a truncated model is refused with its line; a good one lands.
	bad, err := os.ReadFile("../site/ifc/testdata/malformed_truncated.ifc")
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := se.admin.upload("/sites/"+x.ID+"/import/ifc", "bad.ifc", bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "line") {
		t.Errorf("bad IFC: %d %s", resp.StatusCode, body)
	}
	good, err := os.ReadFile("../site/ifc/testdata/harbour_office_ifc2x3.ifc")
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := se.admin.upload("/sites/"+x.ID+"/import/ifc", "office.ifc", good); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("IFC: %d %s", resp.StatusCode, body)
	}
	bs, _ := se.e.st.ListBuildings(ctx, se.tenant.ID, x.ID)
	if len(bs) != 1 || len(bs[0].Storeys) != 2 {
		t.Fatalf("buildings after IFC import: %+v", bs)
	}
	if cams, _ := se.e.st.FindAssetsByIdentifier(ctx, se.tenant.ID, store.IdentCameraID, "CAM-01"); len(cams) != 1 || cams[0].StoreyID == "" {
		t.Errorf("IFC camera not imported as a placed asset: %+v", cams)
	}
	// GeoJSON: export, then a file with one bad feature is refused whole.
	_, gj := se.admin.get("/sites/" + x.ID + "/layers.geojson")
	if !strings.Contains(gj, `"FeatureCollection"`) || !strings.Contains(gj, `"fw-01"`) {
		t.Errorf("GeoJSON export: %s", gj)
	}
	badGJ := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"type":"quay","name":"ok"},"geometry":` + testQuay + `},
		{"type":"Feature","properties":{"type":"beach"},"geometry":` + testQuay + `}]}`
	if resp, body := se.admin.upload("/sites/"+x.ID+"/import/geojson", "z.geojson", []byte(badGJ)); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `feature 1: unknown zone type &#34;beach&#34;`) {
		t.Errorf("bad GeoJSON: %d %s", resp.StatusCode, body)
	}
	fsBefore, _ := se.e.st.ListFeatures(ctx, se.tenant.ID, x.ID)
	if resp, body := se.admin.upload("/sites/"+x.ID+"/import/geojson", "z.geojson", []byte(gj)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("re-importing the GeoJSON export: %d %s", resp.StatusCode, body)
	}
	fsAfter, _ := se.e.st.ListFeatures(ctx, se.tenant.ID, x.ID)
	if len(fsAfter) != len(fsBefore) {
		t.Errorf("GeoJSON re-import changed the feature count %d → %d", len(fsBefore), len(fsAfter))
	}
}

func TestSiteAndAssetAPI(t *testing.T) {
	se := newSiteEnv(t)
	resp, body := apiDo(t, se.e, "POST", "/api/v1/sites", se.secret, `{"name":"Municipio","kind":"town_hall","lon":9.9115,"lat":44.0757}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create site: %d %s", resp.StatusCode, body)
	}
	var site apiSite
	json.Unmarshal([]byte(body), &site)
	if resp, _ := apiDo(t, se.e, "POST", "/api/v1/sites", se.roSecret, `{"name":"x","kind":"other"}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer token creates a site: %d", resp.StatusCode)
	}
	if resp, body := apiDo(t, se.e, "PUT", "/api/v1/sites/"+site.ID, se.secret, `{"name":"Municipio di Lerici","kind":"town_hall","lon":9.9115,"lat":44.0757,"isps_level":0}`); resp.StatusCode != http.StatusOK || !strings.Contains(body, "di Lerici") {
		t.Errorf("update site: %d %s", resp.StatusCode, body)
	}
	resp, body = apiDo(t, se.e, "POST", "/api/v1/assets", se.secret, `{"name":"www","type":"website","criticality":4,"site_id":"`+site.ID+`","identifiers":{"url":["https://www.comune.lerici.example/"],"hostname":["WWW.Comune.Lerici.Example"]},"tags":["pa"]}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create asset: %d %s", resp.StatusCode, body)
	}
	var a apiAsset
	json.Unmarshal([]byte(body), &a)
	if a.Status != store.AssetActive || a.Identifiers["hostname"][0] != "www.comune.lerici.example" {
		t.Errorf("created asset = %+v", a)
	}
	if resp, body := apiDo(t, se.e, "GET", "/api/v1/assets?identifier_kind=hostname&identifier=www.comune.lerici.example", se.roSecret, ""); resp.StatusCode != http.StatusOK || !strings.Contains(body, a.ID) {
		t.Errorf("lookup by identifier: %d %s", resp.StatusCode, body)
	}
	if resp, body := apiDo(t, se.e, "POST", "/api/v1/assets", se.secret, `{"name":"x","type":"toaster"}`); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "asset.bad_type") {
		t.Errorf("bad asset: %d %s", resp.StatusCode, body)
	}
	if resp, body := apiDo(t, se.e, "POST", "/api/v1/assets/import", se.secret, "name,type\nok,server\n,router\n"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "line 3") {
		t.Errorf("bad CSV via API: %d %s", resp.StatusCode, body)
	}
	fc := `{"type":"FeatureCollection","features":[{"type":"Feature","id":"piazza","properties":{"type":"public_space","name":"Piazza Garibaldi"},"geometry":{"type":"Polygon","coordinates":[[[9.911,44.075],[9.912,44.075],[9.912,44.076],[9.911,44.075]]]}}]}`
	if resp, body := apiDo(t, se.e, "POST", "/api/v1/sites/"+site.ID+"/layers", se.secret, fc); resp.StatusCode != http.StatusOK {
		t.Errorf("import layers: %d %s", resp.StatusCode, body)
	}
	if resp, body := apiDo(t, se.e, "GET", "/api/v1/sites/"+site.ID+"/layers", se.roSecret, ""); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Piazza Garibaldi") {
		t.Errorf("layers: %d %s", resp.StatusCode, body)
	}
	if resp, _ := apiDo(t, se.e, "DELETE", "/api/v1/assets/"+a.ID, se.secret, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete asset: %d", resp.StatusCode)
	}
	if resp, _ := apiDo(t, se.e, "DELETE", "/api/v1/sites/"+site.ID, se.secret, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete site: %d", resp.StatusCode)
	}
	if resp, _ := apiDo(t, se.e, "GET", "/api/v1/sites/"+site.ID, se.secret, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted site: %d, want 404", resp.StatusCode)
	}
}
