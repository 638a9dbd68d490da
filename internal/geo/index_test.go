package geo

import (
	"errors"
	"math"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

// square returns a closed counter-clockwise square ring.
func square(minLon, minLat, maxLon, maxLat float64) orb.Ring {
	return orb.Ring{{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}
}

func testZones() []Zone {
	return []Zone{
		{ID: "port", Name: "Port", Type: ZoneRestrictedArea, SiteID: "sp",
			Geometry: orb.MultiPolygon{{square(9.80, 44.08, 9.86, 44.12), square(9.82, 44.09, 9.83, 44.10)}}},
		{ID: "quay", Name: "Quay", Type: ZoneQuay, SiteID: "sp",
			Geometry: orb.MultiPolygon{{square(9.84, 44.10, 9.85, 44.11)}}},
		{ID: "islands", Name: "Islands", Type: ZoneOther,
			Geometry: orb.MultiPolygon{{square(9.0, 44.0, 9.1, 44.1)}, {square(9.2, 44.0, 9.3, 44.1)}}},
		// An unclosed triangle: rings need not repeat their first position.
		{ID: "tri", Name: "Triangle", Type: ZoneParking,
			Geometry: orb.MultiPolygon{{orb.Ring{{10, 44}, {10.2, 44}, {10.1, 44.2}}}}},
		{ID: "comune", Name: "Comune", Type: ZoneMunicipality,
			Geometry: orb.MultiPolygon{{square(9.5, 43.9, 10.0, 44.3)}}},
	}
}

func ids(zs []Zone) []string {
	var out []string
	for _, z := range zs {
		out = append(out, z.ID)
	}
	sort.Strings(out)
	return out
}

func TestContaining(t *testing.T) {
	ix, err := NewIndex(testZones())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pt   orb.Point
		want []string
	}{
		{"inside port and municipality", orb.Point{9.81, 44.085}, []string{"comune", "port"}},
		{"in the hole", orb.Point{9.825, 44.095}, []string{"comune"}},
		{"quay inside port", orb.Point{9.845, 44.105}, []string{"comune", "port", "quay"}},
		{"second polygon of multipolygon", orb.Point{9.25, 44.05}, []string{"islands"}},
		{"between the two polygons", orb.Point{9.15, 44.05}, nil},
		{"inside unclosed triangle", orb.Point{10.1, 44.1}, []string{"tri"}},
		{"in triangle bbox but outside", orb.Point{10.01, 44.19}, nil},
		{"far away", orb.Point{-70, -30}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(ix.Containing(tt.pt))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Containing(%v) mismatch (-want +got):\n%s", tt.pt, diff)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	// One degree of a great circle.
	if got, want := Distance(orb.Point{0, 0}, orb.Point{1, 0}), EarthRadius*math.Pi/180; math.Abs(got-want) > 1e-6 {
		t.Errorf("Distance along the equator = %v, want %v", got, want)
	}
	if got, want := Distance(orb.Point{9.83, 44.0}, orb.Point{9.83, 45.0}), EarthRadius*math.Pi/180; math.Abs(got-want) > 1e-6 {
		t.Errorf("Distance along a meridian = %v, want %v", got, want)
	}
	if got := Distance(orb.Point{9.83, 44.1}, orb.Point{9.83, 44.1}); got != 0 {
		t.Errorf("Distance to itself = %v, want 0", got)
	}
}

func TestDistanceTo(t *testing.T) {
	ix, err := NewIndex(testZones())
	if err != nil {
		t.Fatal(err)
	}
	deg := EarthRadius * math.Pi / 180
	tests := []struct {
		name string
		pt   orb.Point
		zone string
		want float64
		tol  float64
	}{
		{"inside", orb.Point{9.81, 44.085}, "port", 0, 0},
		{"north of the port", orb.Point{9.83, 44.13}, "port", 0.01 * deg, 1},
		{"in the hole, nearest hole edge", orb.Point{9.825, 44.0999}, "port", 0.0001 * deg, 0.5},
		{"west of the port", orb.Point{9.79, 44.10}, "port", 0.01 * deg * math.Cos(44.10*math.Pi/180), 2},
		{"nearest corner", orb.Point{9.87, 44.13}, "port", Distance(orb.Point{9.87, 44.13}, orb.Point{9.86, 44.12}), 1},
		// Perpendicular distance to the closing edge (10.1,44.2)→(10,44); without
		// that edge the nearest would be the southern edge, 11 km away.
		{"closing edge of unclosed ring", orb.Point{10.0, 44.1}, "tri", 3758, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ix.DistanceTo(tt.pt, tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("DistanceTo(%v, %q) = %.2f m, want %.2f ± %.2f", tt.pt, tt.zone, got, tt.want, tt.tol)
			}
		})
	}
	if _, err := ix.DistanceTo(orb.Point{0, 0}, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DistanceTo(unknown) error = %v, want ErrNotFound", err)
	}
}

func TestNearest(t *testing.T) {
	ix, err := NewIndex(testZones())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		pt     orb.Point
		types  []ZoneType
		wantID string
		wantOK bool
	}{
		{"inside quay", orb.Point{9.845, 44.105}, []ZoneType{ZoneQuay}, "quay", true},
		{"quay from the hole", orb.Point{9.825, 44.095}, []ZoneType{ZoneQuay}, "quay", true},
		{"any type, inside municipality", orb.Point{9.6, 44.0}, nil, "comune", true},
		{"between islands", orb.Point{9.16, 44.05}, []ZoneType{ZoneOther}, "islands", true},
		{"parking from far away", orb.Point{12, 40}, []ZoneType{ZoneParking}, "tri", true},
		{"no gate anywhere", orb.Point{9.8, 44.1}, []ZoneType{ZoneGate}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, d, ok := ix.Nearest(tt.pt, tt.types...)
			if ok != tt.wantOK || z.ID != tt.wantID {
				t.Fatalf("Nearest = %q, %v, want %q, %v", z.ID, ok, tt.wantID, tt.wantOK)
			}
			if ok {
				want, _ := ix.DistanceTo(tt.pt, z.ID)
				if d != want {
					t.Errorf("Nearest distance = %v, want DistanceTo = %v", d, want)
				}
			}
		})
	}
}

func TestLocate(t *testing.T) {
	ix, err := NewIndex(testZones())
	if err != nil {
		t.Fatal(err)
	}
	loc := ix.Locate(orb.Point{9.845, 44.105})
	if loc.SiteID != "sp" || loc.Municipality.ID != "comune" {
		t.Errorf("Locate = site %q municipality %q, want sp, comune", loc.SiteID, loc.Municipality.ID)
	}
	if diff := cmp.Diff([]string{"quay", "port", "comune"}, zoneIDsInOrder(loc.Zones)); diff != "" {
		t.Errorf("Locate zones not smallest first (-want +got):\n%s", diff)
	}
	loc = ix.Locate(orb.Point{9.6, 44.0})
	if loc.SiteID != "" || loc.Municipality.ID != "comune" {
		t.Errorf("Locate outside site = %q %q", loc.SiteID, loc.Municipality.ID)
	}
}

func zoneIDsInOrder(zs []Zone) []string {
	var out []string
	for _, z := range zs {
		out = append(out, z.ID)
	}
	return out
}

func TestNewIndexInvalid(t *testing.T) {
	good := square(0, 0, 1, 1)
	tests := []struct {
		name  string
		zones []Zone
		want  error
	}{
		{"empty id", []Zone{{Type: ZoneOther, Geometry: orb.MultiPolygon{{good}}}}, ErrInvalidZone},
		{"unknown type", []Zone{{ID: "a", Type: "moat", Geometry: orb.MultiPolygon{{good}}}}, ErrInvalidZone},
		{"no geometry", []Zone{{ID: "a", Type: ZoneOther}}, ErrInvalidZone},
		{"polygon without rings", []Zone{{ID: "a", Type: ZoneOther, Geometry: orb.MultiPolygon{{}}}}, ErrInvalidZone},
		{"degenerate ring", []Zone{{ID: "a", Type: ZoneOther, Geometry: orb.MultiPolygon{{{{0, 0}, {1, 1}, {0, 0}}}}}}, ErrInvalidZone},
		{"latitude out of range", []Zone{{ID: "a", Type: ZoneOther, Geometry: orb.MultiPolygon{{square(0, 0, 1, 91)}}}}, ErrInvalidZone},
		{"NaN", []Zone{{ID: "a", Type: ZoneOther, Geometry: orb.MultiPolygon{{square(0, 0, math.NaN(), 1)}}}}, ErrInvalidZone},
		{"duplicate id", []Zone{
			{ID: "a", Type: ZoneOther, Geometry: orb.MultiPolygon{{good}}},
			{ID: "a", Type: ZoneOther, Geometry: orb.MultiPolygon{{good}}},
		}, ErrDuplicateID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := NewIndex(tt.zones)
			if !errors.Is(err, tt.want) {
				t.Fatalf("NewIndex error = %v, want %v", err, tt.want)
			}
			if ix != nil {
				t.Errorf("NewIndex returned an index with an error")
			}
		})
	}
}

func TestEdits(t *testing.T) {
	ix, err := NewIndex(testZones())
	if err != nil {
		t.Fatal(err)
	}
	pt := orb.Point{9.845, 44.105}
	moved := Zone{ID: "quay", Name: "Quay", Type: ZoneQuay, Geometry: orb.MultiPolygon{{square(0, 0, 1, 1)}}}
	if err := ix.Upsert(moved); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"comune", "port"}, ids(ix.Containing(pt))); diff != "" {
		t.Errorf("after moving the quay (-want +got):\n%s", diff)
	}
	if got := ids(ix.Containing(orb.Point{0.5, 0.5})); !cmp.Equal(got, []string{"quay"}) {
		t.Errorf("moved quay not found at its new place: %v", got)
	}
	if err := ix.Delete("port"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete("port"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete error = %v, want ErrNotFound", err)
	}
	if diff := cmp.Diff([]string{"comune"}, ids(ix.Containing(pt))); diff != "" {
		t.Errorf("after deleting the port (-want +got):\n%s", diff)
	}
	if err := ix.Upsert(Zone{ID: "bad", Type: ZoneOther}); !errors.Is(err, ErrInvalidZone) {
		t.Errorf("Upsert(invalid) error = %v", err)
	}
	if err := ix.Reload([]Zone{{ID: "x", Type: "bad"}}); err == nil {
		t.Errorf("Reload(invalid) succeeded")
	}
	if diff := cmp.Diff([]string{"comune", "islands", "quay", "tri"}, zoneIDsInOrder(ix.Zones())); diff != "" {
		t.Errorf("Zones after failed edits (-want +got):\n%s", diff)
	}
	if err := ix.Reload(testZones()[:1]); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 1 || len(ix.Zones()) != 1 {
		t.Errorf("Len after Reload = %d", ix.Len())
	}
	if _, ok := ix.Zone("port"); !ok {
		t.Errorf("Zone(port) missing after Reload")
	}
}

// TestConcurrentReload runs readers against a writer that keeps swapping
// zones; under -race it checks the snapshot discipline, and each reader
// checks it always sees one consistent snapshot.
func TestConcurrentReload(t *testing.T) {
	a := []Zone{{ID: "a", Type: ZoneOther, Geometry: orb.MultiPolygon{{square(0, 0, 1, 1)}}}}
	b := []Zone{
		{ID: "b1", Type: ZoneOther, Geometry: orb.MultiPolygon{{square(0, 0, 1, 1)}}},
		{ID: "b2", Type: ZoneGate, Geometry: orb.MultiPolygon{{square(0, 0, 2, 2)}}},
	}
	ix, err := NewIndex(a)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			var buf []Zone
			for {
				select {
				case <-stop:
					return
				default:
				}
				buf = ix.AppendContaining(buf[:0], orb.Point{0.5, 0.5})
				if n := len(buf); n != 1 && n != 2 {
					t.Errorf("saw %d zones, want 1 or 2", n)
					return
				}
			}
		})
	}
	for i := range 200 {
		zs := a
		if i%2 == 0 {
			zs = b
		}
		if err := ix.Reload(zs); err != nil {
			t.Fatal(err)
		}
		if err := ix.Upsert(Zone{ID: "c", Type: ZoneOther, Geometry: orb.MultiPolygon{{square(5, 5, 6, 6)}}}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestZeroIndex(t *testing.T) {
	var ix Index
	if got := ix.Containing(orb.Point{1, 1}); got != nil || ix.Len() != 0 {
		t.Errorf("zero index: %v, %d", got, ix.Len())
	}
	if _, _, ok := ix.Nearest(orb.Point{1, 1}); ok {
		t.Errorf("zero index found a nearest zone")
	}
	if err := ix.Upsert(testZones()[0]); err != nil {
		t.Fatal(err)
	}
	if got := ids(ix.Containing(orb.Point{9.81, 44.085})); !cmp.Equal(got, []string{"port"}) {
		t.Errorf("after Upsert: %v", got)
	}
}
