package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vedetta-sec/vedetta/internal/site/geojsonio"
	"github.com/vedetta-sec/vedetta/internal/site/ifc"
	"github.com/vedetta-sec/vedetta/internal/store"
)

const quay = `{"type":"Polygon","coordinates":[[[9.834,44.05],[9.836,44.05],[9.836,44.051],[9.834,44.05]]]}`

// normJSON re-encodes a JSON text so equal objects compare equal.
func normJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestGeoJSONRoundTrip(t *testing.T) {
	feats := []store.SiteFeature{
		{ID: "z1", SiteID: "s1", Kind: store.FeatureZone, Type: "restricted_area", Name: "Area ISPS", Geometry: quay, Properties: `{"isps":true,"note":"varco 2"}`},
		{ID: "p1", SiteID: "s1", Kind: store.FeaturePoint, Type: "door", Name: "Porta", Geometry: `{"type":"Point","coordinates":[9.835,44.0505]}`,
			Properties: `{}`, BuildingID: "b1", StoreyID: "st1"},
		{ID: "l1", SiteID: "s1", Kind: store.FeatureLine, Type: "fence", Name: "Recinzione", Geometry: `{"type":"LineString","coordinates":[[9.83,44.05],[9.84,44.06]]}`, Properties: `{"height_m":2.5}`},
	}
	assets := []store.Asset{
		{ID: "a1", SiteID: "s1", Name: "TVCC Molo", Type: store.AssetCamera, Criticality: 4, Status: store.AssetOffline, Owner: "PFSO",
			Description: "Telecamera", HasPoint: true, Lon: 9.8351, Lat: 44.0507, ZoneID: "z1", StoreyID: "st1", SpaceID: "sp1",
			Identifiers: []store.Identifier{{Kind: store.IdentCameraID, Value: "cam-01"}, {Kind: store.IdentIP, Value: "192.0.2.7"}},
			Tags:        []string{"isps", "tvcc"}},
		{ID: "a2", Name: "no point", Type: store.AssetServer, Criticality: 1, Status: store.AssetActive},
	}
	gf, err := Export(feats, assets)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := geojsonio.Write(&buf, gf); err != nil {
		t.Fatal(err)
	}
	read, err := geojsonio.Read(&buf, geojsonio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gotF, gotA, err := Import(read)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(fs []store.SiteFeature) []store.SiteFeature {
		out := make([]store.SiteFeature, len(fs))
		for i, f := range fs {
			f.Geometry, f.Properties = normJSON(t, f.Geometry), normJSON(t, f.Properties)
			out[i] = f
		}
		return out
	}
	if diff := cmp.Diff(norm(feats), norm(gotF)); diff != "" {
		t.Errorf("features (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(assets[:1], gotA, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("assets with a point (-want +got):\n%s", diff)
	}
}

func TestImportMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"asset as polygon", `{"type":"Feature","properties":{"type":"quay","name":"x","layer":"asset"},"geometry":` + quay + `}`, "an asset must be a Point"},
		{"asset type", `{"type":"Feature","properties":{"type":"toaster","name":"x","layer":"asset"},"geometry":{"type":"Point","coordinates":[9,44]}}`, `unknown asset type "toaster"`},
		{"asset name", `{"type":"Feature","properties":{"type":"camera","layer":"asset"},"geometry":{"type":"Point","coordinates":[9,44]}}`, "an asset needs a name"},
		{"criticality", `{"type":"Feature","properties":{"type":"camera","name":"x","layer":"asset","criticality":2.5},"geometry":{"type":"Point","coordinates":[9,44]}}`, "property criticality is not a whole number"},
		{"identifier", `{"type":"Feature","properties":{"type":"camera","name":"x","layer":"asset","identifiers":{"ip":["nope"]}},"geometry":{"type":"Point","coordinates":[9,44]}}`, `malformed ip "nope"`},
		{"identifier kind", `{"type":"Feature","properties":{"type":"camera","name":"x","layer":"asset","identifiers":{"phone":["1"]}},"geometry":{"type":"Point","coordinates":[9,44]}}`, `unknown identifier kind "phone"`},
		{"building id", `{"type":"Feature","properties":{"type":"door","building_id":7},"geometry":{"type":"Point","coordinates":[9,44]}}`, "property building_id is not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"type":"quay"},"geometry":` + quay + `},` + tt.in + `]}`
			fs, err := geojsonio.Read(strings.NewReader(fc), geojsonio.Options{})
			if err != nil {
				t.Fatalf("geojsonio.Read: %v", err)
			}
			feats, assets, err := Import(fs)
			if feats != nil || assets != nil {
				t.Errorf("Import returned data with an error")
			}
			var verr *geojsonio.ValidationError
			if !errors.As(err, &verr) || len(verr.Features) != 1 || verr.Features[0].Index != 1 || verr.Features[0].Reason != tt.want {
				t.Errorf("err = %v, want feature 1: %s", err, tt.want)
			}
		})
	}
}

func TestValidateFeature(t *testing.T) {
	tests := []struct {
		name string
		f    store.SiteFeature
		kind store.FeatureKind
		ok   bool
	}{
		{"zone", store.SiteFeature{Type: "quay", Geometry: quay}, store.FeatureZone, true},
		{"unknown zone type", store.SiteFeature{Type: "beach", Geometry: quay}, "", false},
		{"open ring", store.SiteFeature{Type: "quay", Geometry: `{"type":"Polygon","coordinates":[[[9,44],[9.1,44],[9.1,44.1]]]}`}, "", false},
		{"point", store.SiteFeature{Type: "door", Geometry: `{"type":"Point","coordinates":[9,44]}`}, store.FeaturePoint, true},
		{"out of range", store.SiteFeature{Type: "door", Geometry: `{"type":"Point","coordinates":[190,44]}`}, "", false},
		{"not json", store.SiteFeature{Type: "quay", Geometry: `{`}, "", false},
		{"properties", store.SiteFeature{Type: "door", Geometry: `{"type":"Point","coordinates":[9,44]}`, Properties: `[1]`}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateFeature(&tt.f)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && tt.f.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", tt.f.Kind, tt.kind)
			}
		})
	}
}

func TestZones(t *testing.T) {
	zs, err := Zones([]store.SiteFeature{
		{ID: "z1", SiteID: "s1", Kind: store.FeatureZone, Type: "quay", Geometry: quay, Properties: `{"a":1}`},
		{ID: "p1", Kind: store.FeaturePoint, Type: "door", Geometry: `{"type":"Point","coordinates":[9,44]}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) != 1 || zs[0].ID != "z1" || zs[0].SiteID != "s1" || len(zs[0].Geometry) != 1 {
		t.Fatalf("Zones = %+v", zs)
	}
	if err := zs[0].Validate(); err != nil {
		t.Errorf("converted zone invalid: %v", err)
	}
	if _, err := Zones([]store.SiteFeature{{ID: "z", Kind: store.FeatureZone, Geometry: `{"type":"Point","coordinates":[9,44]}`}}); err == nil {
		t.Error("a point stored as a zone was accepted")
	}
}

func TestFromIFC(t *testing.T) {
	f, err := os.Open("../ifc/testdata/harbour_office_ifc2x3.ifc")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ifc.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	imps, err := FromIFC(m, "site-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(imps) != 1 {
		t.Fatalf("%d buildings, want 1", len(imps))
	}
	b := imps[0]
	var storeys []string
	for _, st := range b.Building.Storeys {
		storeys = append(storeys, st.Name)
	}
	if diff := cmp.Diff([]string{"Piano terra", "Primo piano"}, storeys); diff != "" {
		t.Errorf("storeys (-want +got):\n%s", diff)
	}
	if n := len(b.Building.Storeys[0].Spaces); n != 2 {
		t.Errorf("ground floor has %d spaces, want 2", n)
	}
	if b.Building.Storeys[0].Spaces[0].Geometry == "" {
		t.Errorf("reception has no footprint")
	}
	var doors []string
	for _, f := range b.Features {
		doors = append(doors, f.Name)
		if f.StoreyID != b.Building.Storeys[0].ID {
			t.Errorf("door %s not on the ground floor", f.Name)
		}
	}
	if diff := cmp.Diff([]string{"Porta ingresso", "Porta CED"}, doors); diff != "" {
		t.Errorf("doors (-want +got):\n%s", diff)
	}
	type asset struct {
		Name    string
		Type    store.AssetType
		Storey  int
		InSpace bool
	}
	storeyIdx := map[string]int{"": -1}
	for i, st := range b.Building.Storeys {
		storeyIdx[st.ID] = i
	}
	var got []asset
	for _, a := range b.Assets {
		got = append(got, asset{a.Name, a.Type, storeyIdx[a.StoreyID], a.SpaceID != ""})
		if !a.HasPoint || a.Lat < 44 || a.Lat > 44.2 || a.Lon < 9.7 || a.Lon > 9.9 {
			t.Errorf("asset %s placed at %v,%v", a.Name, a.Lon, a.Lat)
		}
	}
	want := []asset{
		{"TVCC-01", store.AssetCamera, 0, true},
		{"Rilevatore fumo", store.AssetSensor, 1, true},
		{"TVCC-Molo", store.AssetCamera, -1, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("assets (-want +got):\n%s", diff)
	}
	if b.Assets[0].Identifiers[0] != (store.Identifier{Kind: store.IdentCameraID, Value: "CAM-01"}) {
		t.Errorf("camera identifiers = %+v", b.Assets[0].Identifiers)
	}
	if _, err := FromIFC(&ifc.Model{Buildings: []ifc.Building{{Name: "x"}}}, "s"); !errors.Is(err, ErrNotGeoreferenced) {
		t.Errorf("ungeoreferenced model: err = %v", err)
	}
}

func FuzzGeometry(f *testing.F) {
	f.Add(quay)
	f.Add(`{"type":"Point","coordinates":[9,44,12]}`)
	f.Add(`{"type":"MultiPolygon","coordinates":[[[[1,2],[3,4]]]]}`)
	f.Add(`{"type":"GeometryCollection","geometries":[]}`)
	f.Add(`{"type":"LineString","coordinates":null}`)
	f.Fuzz(func(t *testing.T, in string) {
		g, err := Geometry(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		text, err := GeometryText(g)
		if err != nil {
			return // NaN/Inf cannot be encoded: refused, not corrupted
		}
		again, err := Geometry(text)
		if err != nil {
			t.Fatalf("re-reading %s: %v", text, err)
		}
		if diff := cmp.Diff(g, again); diff != "" {
			t.Fatalf("round trip changed the geometry (-first +second):\n%s", diff)
		}
	})
}
