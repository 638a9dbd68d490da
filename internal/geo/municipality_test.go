package geo

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// provinceFiles are the openpolis municipality files in the shared data.
var provinceFiles = []string{
	"limits_P_10_municipalities.geojson", // Genova
	"limits_P_11_municipalities.geojson", // La Spezia
	"limits_P_45_municipalities.geojson", // Massa-Carrara
	"limits_P_49_municipalities.geojson", // Livorno
}

func loadProvinces(tb testing.TB, files ...string) []Zone {
	tb.Helper()
	dir := testenv.SharedData(tb, "geojson-italy/geojson")
	var all []Zone
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		zs, err := LoadMunicipalities(f)
		f.Close()
		if err != nil {
			tb.Fatalf("LoadMunicipalities(%s): %v", name, err)
		}
		all = append(all, zs...)
	}
	return all
}

func TestLoadMunicipalitiesLaSpezia(t *testing.T) {
	zones := loadProvinces(t, "limits_P_11_municipalities.geojson")
	if len(zones) != 32 {
		t.Errorf("La Spezia province has %d municipalities, want 32", len(zones))
	}
	ix, err := NewIndex(zones)
	if err != nil {
		t.Fatal(err)
	}
	// The ISTAT boundaries follow the coastline: the port basin of La
	// Spezia (44.10 N 9.83 E) is water about 330 m off the municipality's
	// boundary, and the given Portovenere point about 130 m off it.
	tests := []struct {
		name     string
		pt       orb.Point
		want     string
		offshore bool
	}{
		{"port of La Spezia", orb.Point{9.83, 44.10}, "La Spezia", true},
		{"La Spezia town", orb.Point{9.825, 44.11}, "La Spezia", false},
		{"Portovenere harbour", orb.Point{9.835, 44.05}, "Portovenere", true},
		{"Portovenere village", orb.Point{9.836, 44.055}, "Portovenere", false},
		{"Lerici", orb.Point{9.912, 44.076}, "Lerici", false},
		{"Sarzana", orb.Point{9.96, 44.113}, "Sarzana", false},
		{"open sea", orb.Point{9.6, 43.9}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := ix.Locate(tt.pt)
			if loc.Municipality.Name != tt.want {
				t.Errorf("Locate(%v) municipality = %q, want %q", tt.pt, loc.Municipality.Name, tt.want)
			}
			if offshore := loc.MunicipalityDistance > 0; offshore != tt.offshore {
				t.Errorf("Locate(%v) distance = %.0f m, want offshore %v", tt.pt, loc.MunicipalityDistance, tt.offshore)
			}
			if loc.MunicipalityDistance > DefaultOffshoreTolerance {
				t.Errorf("Locate(%v) distance %.0f m beyond the tolerance", tt.pt, loc.MunicipalityDistance)
			}
		})
	}
	strict, err := NewIndex(zones, WithOffshoreTolerance(0))
	if err != nil {
		t.Fatal(err)
	}
	if got := strict.Locate(orb.Point{9.83, 44.10}).Municipality.Name; got != "" {
		t.Errorf("Locate in the port basin without offshore tolerance = %q, want none", got)
	}
	z, ok := ix.Zone("istat:011015")
	if !ok || z.Name != "La Spezia" || z.Properties["prov_acr"] != "SP" {
		t.Errorf("Zone(istat:011015) = %q %v, want La Spezia with prov_acr SP", z.Name, z.Properties["prov_acr"])
	}
}

func TestLoadMunicipalitiesAllProvinces(t *testing.T) {
	ix, err := NewIndex(loadProvinces(t, provinceFiles...))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pt   orb.Point
		want string
	}{
		{orb.Point{8.93, 44.41}, "Genova"},
		{orb.Point{10.31, 43.55}, "Livorno"},
		{orb.Point{10.10, 44.08}, "Carrara"},
		{orb.Point{10.14, 44.035}, "Massa"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := ix.Locate(tt.pt).Municipality.Name; got != tt.want {
				t.Errorf("Locate(%v) = %q, want %q", tt.pt, got, tt.want)
			}
		})
	}
	// Near Portovenere but out at sea: the nearest municipality is a
	// positive distance away.
	z, d, ok := ix.Nearest(orb.Point{9.80, 44.03}, ZoneMunicipality)
	if !ok || z.Name != "Portovenere" || d <= 0 || d > 5000 {
		t.Errorf("Nearest municipality to the sea off Portovenere = %q at %.0f m", z.Name, d)
	}
}

// TestEvenOddMatchesPlanar checks the index's point-in-polygon test against
// orb/planar on the real municipality boundaries.
func TestEvenOddMatchesPlanar(t *testing.T) {
	zones := loadProvinces(t, provinceFiles...)
	r := rand.New(rand.NewPCG(1, 2))
	for _, z := range zones {
		p, err := prepare(z)
		if err != nil {
			t.Fatal(err)
		}
		b := p.bound
		for range 200 {
			pt := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
			if got, want := p.contains(pt), planar.MultiPolygonContains(z.Geometry, pt); got != want {
				t.Errorf("%s: contains(%v) = %v, planar says %v", z.Name, pt, got, want)
			}
		}
	}
}

func TestLoadMunicipalitiesMalformed(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"not json", `{`, "decode"},
		{"not a collection", `{"type":"Feature"}`, "not a FeatureCollection"},
		{"point geometry", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, "not a polygon"},
		{"bad coordinates", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[["a"]]}}]}`, "feature 0"},
		{"out of range", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,95],[0,0]]]}}]}`, "out of range"},
		{"duplicate code", `{"type":"FeatureCollection","features":[` +
			`{"type":"Feature","properties":{"name":"x","com_istat_code":"1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},` +
			`{"type":"Feature","properties":{"name":"y","com_istat_code":"1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}`, "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zs, err := LoadMunicipalities(strings.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to mention %q", err, tt.want)
			}
			if zs != nil {
				t.Errorf("zones returned with an error")
			}
		})
	}
}

func FuzzLoadMunicipalities(f *testing.F) {
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x","com_istat_code":"1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}`)
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"m"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1]]],[[[2,2],[3,2],[3,3]]]]}}]}`)
	f.Add(`{"type":"FeatureCollection","features":[{"geometry":null}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		zs, err := LoadMunicipalities(strings.NewReader(s))
		if err != nil {
			return
		}
		ix, err := NewIndex(zs)
		if err != nil && !errors.Is(err, ErrDuplicateID) {
			t.Fatalf("loaded zones do not index: %v", err)
		}
		if ix != nil {
			for _, z := range zs {
				ix.Containing(z.Geometry[0][0][0])
			}
		}
	})
}
