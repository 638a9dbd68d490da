package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// adriaticCoast is a coarse polyline along both Adriatic shores, from
// Otranto up the Italian side to Trieste and down the eastern side to
// Durrës.
var adriaticCoast = []orb.Point{
	{18.49, 40.15}, {17.94, 40.64}, {16.87, 41.13}, {15.90, 41.62}, {14.21, 42.46},
	{13.50, 43.62}, {12.28, 44.42}, {12.33, 45.44}, {13.77, 45.65}, {13.63, 45.08},
	{14.44, 45.33}, {15.23, 44.11}, {16.44, 43.51}, {18.09, 42.65}, {19.09, 42.09}, {19.45, 41.32},
}

// randomCoastPoint picks a point on the coast polyline jittered by up to
// ~10 km.
func randomCoastPoint(r *rand.Rand) orb.Point {
	i := r.IntN(len(adriaticCoast) - 1)
	a, b := adriaticCoast[i], adriaticCoast[i+1]
	t := r.Float64()
	return orb.Point{
		a[0] + t*(b[0]-a[0]) + (r.Float64()-0.5)*0.25,
		a[1] + t*(b[1]-a[1]) + (r.Float64()-0.5)*0.18,
	}
}

// randomZone is a star-shaped polygon of 5–16 vertices and 20–400 m radius
// around c, with a hole in one zone out of ten.
func randomZone(r *rand.Rand, id int, c orb.Point) Zone {
	n := 5 + r.IntN(12)
	radius := 20 + r.Float64()*380
	kLon := 1 / (111320 * math.Cos(c[1]*math.Pi/180))
	kLat := 1 / 110540.0
	ring := make(orb.Ring, 0, n+1)
	for j := range n {
		a := 2 * math.Pi * (float64(j) + 0.8*r.Float64()) / float64(n)
		d := radius * (0.5 + 0.5*r.Float64())
		ring = append(ring, orb.Point{c[0] + d*math.Cos(a)*kLon, c[1] + d*math.Sin(a)*kLat})
	}
	ring = append(ring, ring[0])
	poly := orb.Polygon{ring}
	if id%10 == 0 {
		h := radius * 0.2
		poly = append(poly, orb.Ring{
			{c[0] - h*kLon, c[1] - h*kLat}, {c[0] - h*kLon, c[1] + h*kLat},
			{c[0] + h*kLon, c[1] + h*kLat}, {c[0] + h*kLon, c[1] - h*kLat}, {c[0] - h*kLon, c[1] - h*kLat},
		})
	}
	types := ZoneTypes()
	return Zone{
		ID:       fmt.Sprintf("z%05d", id),
		Name:     fmt.Sprintf("zone %d", id),
		Type:     types[r.IntN(len(types)-2)], // no municipality, no other
		SiteID:   fmt.Sprintf("site%03d", id/100),
		Geometry: orb.MultiPolygon{poly},
	}
}

// benchZones returns 10,000 synthetic zones plus the real municipality
// boundaries, and query points of which about half hit a synthetic zone.
func benchZones(b *testing.B) ([]Zone, []orb.Point) {
	r := rand.New(rand.NewPCG(7, 11))
	zones := loadProvinces(b, provinceFiles...)
	var pts []orb.Point
	for i := range 10000 {
		c := randomCoastPoint(r)
		zones = append(zones, randomZone(r, i, c))
		if i%2 == 0 {
			pts = append(pts, c)
		} else {
			pts = append(pts, randomCoastPoint(r))
		}
	}
	// Some queries over the real municipalities (Liguria, Tuscany).
	for range 1000 {
		pts = append(pts, orb.Point{8.6 + r.Float64()*2, 43.4 + r.Float64()*1.2})
	}
	return zones, pts
}

func BenchmarkContaining(b *testing.B) {
	zones, pts := benchZones(b)
	ix, err := NewIndex(zones)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("evenodd", func(b *testing.B) {
		b.ReportAllocs()
		var buf []Zone
		hits, i := 0, 0
		for b.Loop() {
			buf = ix.AppendContaining(buf[:0], pts[i%len(pts)])
			hits += len(buf)
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
		b.ReportMetric(float64(hits)/float64(i), "hits/lookup")
	})
	b.Run("evenodd-alloc", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = ix.Containing(pts[i%len(pts)])
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("planar", func(b *testing.B) {
		// Same R-tree filter, exact test by orb/planar instead.
		s := ix.cur.Load()
		b.ReportAllocs()
		var buf []Zone
		i := 0
		for b.Loop() {
			pt := pts[i%len(pts)]
			buf = buf[:0]
			s.tree.Search(pt, pt, func(_, _ [2]float64, p *prepared) bool {
				if planar.MultiPolygonContains(p.zone.Geometry, pt) {
					buf = append(buf, p.zone)
				}
				return true
			})
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
	})
}

func BenchmarkLocate(b *testing.B) {
	zones, pts := benchZones(b)
	ix, err := NewIndex(zones)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = ix.Locate(pts[i%len(pts)])
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
}

func BenchmarkNewIndex(b *testing.B) {
	zones, _ := benchZones(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewIndex(zones); err != nil {
			b.Fatal(err)
		}
	}
}
