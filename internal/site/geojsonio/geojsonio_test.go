package geojsonio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/vedetta-sec/vedetta/internal/geo"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func readFile(t *testing.T, path string) []Feature {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := Read(f, Options{})
	if err != nil {
		t.Fatalf("Read(%s): %v", path, err)
	}
	return fs
}

func TestRead(t *testing.T) {
	fs := readFile(t, "testdata/harbour.geojson")
	want := []Feature{
		{ID: "quay-1", Type: "quay", Name: "Molo Garibaldi", SiteID: "port-sp",
			Geometry:   orb.Polygon{{{9.840, 44.100}, {9.850, 44.100}, {9.850, 44.104}, {9.840, 44.104}, {9.840, 44.100}}},
			Properties: map[string]any{"max_draught_m": 11.5}},
		{ID: "ra-1", Type: "restricted_area", Name: "ISPS area", SiteID: "port-sp",
			Geometry: orb.MultiPolygon{
				{{{9.83, 44.09}, {9.86, 44.09}, {9.86, 44.12}, {9.83, 44.12}, {9.83, 44.09}}, {{9.84, 44.10}, {9.845, 44.10}, {9.845, 44.105}, {9.84, 44.10}}},
				{{{9.90, 44.09}, {9.91, 44.09}, {9.91, 44.10}, {9.90, 44.09}}},
			},
			Properties: map[string]any{"isps": true, "levels": []any{1.0, 2.0, 3.0}}},
		{ID: "7", Type: "camera", Name: "CAM-07", Geometry: orb.Point{9.8451, 44.1012},
			Properties: map[string]any{"vendor": map[string]any{"make": "Axis", "model": "Q6135"}}},
		{ID: "fence-north", Type: "perimeter_fence", Geometry: orb.LineString{{9.83, 44.12}, {9.86, 44.12}}},
		{Type: "cable", Geometry: orb.MultiLineString{{{9.83, 44.09}, {9.84, 44.09}}, {{9.85, 44.09}, {9.86, 44.09}}},
			Properties: map[string]any{"note": nil}},
	}
	if diff := cmp.Diff(want, fs); diff != "" {
		t.Errorf("Read mismatch (-want +got):\n%s", diff)
	}
}

func TestRoundTrip(t *testing.T) {
	first := readFile(t, "testdata/harbour.geojson")
	var buf bytes.Buffer
	if err := Write(&buf, first); err != nil {
		t.Fatal(err)
	}
	second, err := Read(&buf, Options{})
	if err != nil {
		t.Fatalf("re-read: %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("round trip mismatch (-first +second):\n%s", diff)
	}
}

func TestZones(t *testing.T) {
	fs := readFile(t, "testdata/harbour.geojson")
	if _, err := ToZones(fs, "z"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ToZones with points and lines: error = %v, want ErrInvalid", err)
	}
	zones, err := ToZones(fs[:2], "z")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := geo.NewIndex(zones)
	if err != nil {
		t.Fatal(err)
	}
	loc := ix.Locate(orb.Point{9.848, 44.102})
	if loc.SiteID != "port-sp" || len(loc.Zones) != 2 {
		t.Errorf("Locate on the quay = %+v", loc)
	}
	back := FromZones(zones)
	if diff := cmp.Diff(fs[:2], back); diff != "" {
		t.Errorf("FromZones(ToZones(x)) != x (-want +got):\n%s", diff)
	}
	// FromZones closes open rings so the result is writable.
	open := []geo.Zone{{ID: "t", Type: geo.ZoneGate, Geometry: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}}}}}}
	if err := Write(&bytes.Buffer{}, FromZones(open)); err != nil {
		t.Errorf("Write(FromZones(open ring)): %v", err)
	}
}

func TestReadMalformedDocument(t *testing.T) {
	tests := []struct {
		name  string
		input string
		opts  Options
	}{
		{"empty", "", Options{}},
		{"not json", "{", Options{}},
		{"feature not collection", `{"type":"Feature","geometry":null,"properties":{}}`, Options{}},
		{"too large", `{"type":"FeatureCollection","features":[]}`, Options{MaxBytes: 10}},
		{"too many features", `{"type":"FeatureCollection","features":[{},{},{}]}`, Options{MaxFeatures: 2}},
		{"huge number", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1e999,1]},"properties":{"type":"camera"}}]}`, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := Read(strings.NewReader(tt.input), tt.opts)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid", err)
			}
			if fs != nil {
				t.Errorf("features returned with an error")
			}
		})
	}
}

// TestReadMalformedFeatures puts one bad feature between two good ones and
// checks that the whole read fails, naming the bad feature's index and
// reason.
func TestReadMalformedFeatures(t *testing.T) {
	good := `{"type":"Feature","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"type":"camera"}}`
	tests := []struct {
		name    string
		feature string
		reason  string
	}{
		{"not an object", `[1,2]`, "not a feature object"},
		{"wrong feature type", `{"type":"Thing","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"type":"camera"}}`, `type "Thing" is not Feature`},
		{"bad id", `{"type":"Feature","id":{},"geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"type":"camera"}}`, "id is neither"},
		{"missing geometry", `{"type":"Feature","properties":{"type":"camera"}}`, "missing geometry"},
		{"null geometry", `{"type":"Feature","geometry":null,"properties":{"type":"camera"}}`, "missing geometry"},
		{"bad geometry type", `{"type":"Feature","geometry":{"type":"Circle","coordinates":[9.8,44.1]},"properties":{"type":"camera"}}`, `unsupported geometry type "Circle"`},
		{"geometry collection", `{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]},"properties":{"type":"camera"}}`, "unsupported geometry type"},
		{"unclosed ring", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]},"properties":{"type":"quay"}}`, "unclosed ring"},
		{"short ring", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]},"properties":{"type":"quay"}}`, "want at least 4"},
		{"degenerate ring", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0],[0,0]]]},"properties":{"type":"quay"}}`, "fewer than 3"},
		{"longitude out of range", `{"type":"Feature","geometry":{"type":"Point","coordinates":[190,44]},"properties":{"type":"camera"}}`, "out of range"},
		{"latitude out of range", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[9,44],[9,-91]]},"properties":{"type":"fence"}}`, "out of range"},
		{"one-number position", `{"type":"Feature","geometry":{"type":"Point","coordinates":[9]},"properties":{"type":"camera"}}`, "has 1 numbers"},
		{"string coordinates", `{"type":"Feature","geometry":{"type":"Point","coordinates":["9","44"]},"properties":{"type":"camera"}}`, "Point coordinates"},
		{"one-point line", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[9,44]]},"properties":{"type":"fence"}}`, "at least 2"},
		{"empty multipolygon", `{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[]},"properties":{"type":"quay"}}`, "no polygons"},
		{"missing type", `{"type":"Feature","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"name":"x"}}`, "missing required property type"},
		{"no properties", `{"type":"Feature","geometry":{"type":"Point","coordinates":[9.8,44.1]}}`, "missing required property type"},
		{"numeric type", `{"type":"Feature","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"type":3}}`, "type is not a string"},
		{"numeric name", `{"type":"Feature","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"type":"camera","name":1}}`, "name is not a string"},
		{"unknown zone type", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"type":"moat"}}`, `unknown zone type "moat"`},
		{"bad point kind", `{"type":"Feature","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"type":"Camera!"}}`, "not a lowercase identifier"},
		{"properties not an object", `{"type":"Feature","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":[1]}`, "properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"type":"FeatureCollection","features":[` + good + "," + tt.feature + "," + good + `]}`
			fs, err := Read(strings.NewReader(doc), Options{})
			if fs != nil {
				t.Errorf("features returned with an error")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error = %v, want a *ValidationError wrapping ErrInvalid", err)
			}
			if len(ve.Features) != 1 || ve.Features[0].Index != 1 || !strings.Contains(ve.Features[0].Reason, tt.reason) {
				t.Errorf("errors = %+v, want one for feature 1 containing %q", ve.Features, tt.reason)
			}
		})
	}
}

func TestReadListsEveryBadFeature(t *testing.T) {
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"type":"camera"}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[999,44.1]},"properties":{"type":"camera"}},
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[9.8,44.1]},"properties":{"type":"camera"}},
{"type":"Feature","id":"d","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{}}
]}`
	_, err := Read(strings.NewReader(doc), Options{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want *ValidationError", err)
	}
	want := []FeatureError{
		{Index: 1, ID: "b", Reason: "Point coordinates: coordinate [999, 44.1] out of range"},
		{Index: 2, ID: "a", Reason: "duplicate id (also feature 0)"},
		{Index: 3, ID: "d", Reason: "missing required property type"},
	}
	if diff := cmp.Diff(want, ve.Features); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), `feature 2 (id "a"): duplicate id`) {
		t.Errorf("message %q does not name feature 2", err)
	}
}

func TestWriteRejectsInvalid(t *testing.T) {
	fs := []Feature{
		{ID: "ok", Type: "camera", Geometry: orb.Point{1, 2}},
		{ID: "open", Type: "quay", Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}},
		{ID: "none", Type: "camera"},
	}
	var buf bytes.Buffer
	err := Write(&buf, fs)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Features) != 2 {
		t.Fatalf("Write error = %v, want 2 feature errors", err)
	}
	if buf.Len() != 0 {
		t.Errorf("Write wrote %d bytes despite invalid features", buf.Len())
	}
}

// TestRealMunicipalities reads the openpolis boundaries: they are valid
// GeoJSON but lack the required type property, so every feature is listed.
func TestRealMunicipalities(t *testing.T) {
	dir := testenv.SharedData(t, "geojson-italy/geojson")
	data, err := os.ReadFile(filepath.Join(dir, "limits_P_11_municipalities.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Read(bytes.NewReader(data), Options{})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Features) != 32 {
		t.Fatalf("error = %v, want 32 features missing type", err)
	}
	for _, fe := range ve.Features {
		if fe.Reason != "missing required property type" {
			t.Errorf("feature %d: %s", fe.Index, fe.Reason)
		}
	}
	// With the type added they read, and round-trip.
	fixed := bytes.ReplaceAll(data, []byte(`"properties":{`), []byte(`"properties":{"type":"municipality",`))
	fs, err := Read(bytes.NewReader(fixed), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, fs); err != nil {
		t.Fatal(err)
	}
	again, err := Read(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fs, again); diff != "" {
		t.Errorf("round trip of the real file differs:\n%s", diff)
	}
}

func FuzzRead(f *testing.F) {
	if data, err := os.ReadFile("testdata/harbour.geojson"); err == nil {
		f.Add(string(data))
	}
	f.Add(`{"type":"FeatureCollection","features":[]}`)
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","id":1,"geometry":{"type":"Point","coordinates":[1,2,3]},"properties":{"type":"x"}}]}`)
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]},"properties":{"type":"quay"}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := Read(strings.NewReader(s), Options{MaxBytes: 1 << 20})
		if err != nil {
			if fs != nil {
				t.Fatal("features returned with an error")
			}
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, fs); err != nil {
			t.Fatalf("Write of read features: %v", err)
		}
		again, err := Read(&buf, Options{})
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if diff := cmp.Diff(fs, again); diff != "" {
			t.Fatalf("round trip differs:\n%s", diff)
		}
	})
}
