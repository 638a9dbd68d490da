package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// EarthRadius is the mean Earth radius in metres used for distances.
const EarthRadius = 6371008.8

const rad = math.Pi / 180

// Distance returns the great-circle (haversine) distance in metres between
// two WGS84 [lon, lat] points.
func Distance(a, b orb.Point) float64 {
	lat1, lat2 := a[1]*rad, b[1]*rad
	dLat := lat2 - lat1
	dLon := (b[0] - a[0]) * rad
	s1 := math.Sin(dLat / 2)
	s2 := math.Sin(dLon / 2)
	h := s1*s1 + math.Cos(lat1)*math.Cos(lat2)*s2*s2
	if h > 1 {
		h = 1
	}
	return 2 * EarthRadius * math.Asin(math.Sqrt(h))
}

// DistanceTo returns the distance in metres from pt to the zone with the
// given ID: 0 inside the zone, otherwise the haversine distance to the
// nearest point of its boundary. The error wraps ErrNotFound.
func (ix *Index) DistanceTo(pt orb.Point, zoneID string) (float64, error) {
	p, ok := ix.snap().byID[zoneID]
	if !ok {
		return 0, fmt.Errorf("geo: distance to %q: %w", zoneID, ErrNotFound)
	}
	return p.distance(pt), nil
}

// Nearest returns the zone nearest to pt and its distance in metres (0 if
// pt is inside it). With types given, only zones of those types count. It
// reports false when no zone matches.
func (ix *Index) Nearest(pt orb.Point, types ...ZoneType) (Zone, float64, bool) {
	return ix.snap().nearest(pt, types, math.Inf(1))
}

// nearestWithin returns the nearest zone of type typ at most maxDist metres
// from pt. It searches the box around pt rather than walking the tree in
// distance order, which would visit every node when nothing matches.
func (s *snapshot) nearestWithin(pt orb.Point, typ ZoneType, maxDist float64) (Zone, float64, bool) {
	dLat := maxDist / (EarthRadius * rad)
	dLon := 180.0
	if c := math.Cos(pt[1] * rad); c > 1e-9 {
		dLon = math.Min(180, dLat/c)
	}
	var (
		best  *prepared
		bestD = math.Inf(1)
	)
	s.tree.Search([2]float64{pt[0] - dLon, pt[1] - dLat}, [2]float64{pt[0] + dLon, pt[1] + dLat},
		func(_, _ [2]float64, p *prepared) bool {
			if p.zone.Type != typ {
				return true
			}
			if d := p.distance(pt); d <= maxDist && d < bestD {
				best, bestD = p, d
			}
			return true
		})
	if best == nil {
		return Zone{}, 0, false
	}
	return best.zone, bestD, true
}

// nearest is Nearest limited to zones at most maxDist metres away.
func (s *snapshot) nearest(pt orb.Point, types []ZoneType, maxDist float64) (Zone, float64, bool) {
	var (
		best  *prepared
		bestD float64
	)
	s.tree.Nearby(
		func(min, max [2]float64, p *prepared, item bool) float64 {
			if item {
				if !matchType(p.zone.Type, types) {
					return math.Inf(1)
				}
				return p.distance(pt)
			}
			// A slightly shrunk box distance keeps it a lower bound of the
			// exact distance despite the flat-Earth clamp.
			return 0.99 * Distance(pt, clampToBox(pt, min, max))
		},
		func(_, _ [2]float64, p *prepared, d float64) bool {
			if d > maxDist || math.IsInf(d, 1) {
				return false
			}
			best, bestD = p, d
			return false
		},
	)
	if best == nil {
		return Zone{}, 0, false
	}
	return best.zone, bestD, true
}

func matchType(t ZoneType, types []ZoneType) bool {
	if len(types) == 0 {
		return true
	}
	for _, u := range types {
		if t == u {
			return true
		}
	}
	return false
}

func clampToBox(pt orb.Point, min, max [2]float64) orb.Point {
	return orb.Point{math.Max(min[0], math.Min(pt[0], max[0])), math.Max(min[1], math.Min(pt[1], max[1]))}
}

// distance is 0 inside the zone, else the distance to its nearest edge.
func (p *prepared) distance(pt orb.Point) float64 {
	if p.contains(pt) {
		return 0
	}
	best := math.Inf(1)
	for _, poly := range p.polys {
		for _, r := range poly.rings {
			n := len(r)
			for i := 0; i < n; i++ {
				a, b := r[i], r[(i+1)%n]
				if d := segmentDistance(pt, a, b); d < best {
					best = d
				}
			}
		}
	}
	return best
}

// segmentDistance returns the haversine distance from pt to the nearest
// point of segment ab, found in a local equirectangular projection centred
// on pt (exact enough for the short edges of zone boundaries).
func segmentDistance(pt, a, b orb.Point) float64 {
	k := math.Cos(pt[1] * rad)
	ax, ay := (a[0]-pt[0])*k, a[1]-pt[1]
	bx, by := (b[0]-pt[0])*k, b[1]-pt[1]
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = -(ax*dx + ay*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	q := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	return Distance(pt, q)
}

// Location tells where a point is: in which site and municipality.
type Location struct {
	// SiteID is the site of the first zone in Zones that has one, or ""
	// if none does.
	SiteID string
	// Municipality is the municipality zone containing the point or,
	// failing that, the nearest one within the index's offshore tolerance;
	// its ID is "" if there is none.
	Municipality Zone
	// MunicipalityDistance is 0 when Municipality contains the point, else
	// the distance in metres to its boundary.
	MunicipalityDistance float64
	// Zones are all the zones containing the point, smallest bounding
	// box first (a berth before its quay before its port).
	Zones []Zone
}

// Locate returns the site and municipality pt is in. A point at sea just off
// the coast (a port basin) gets the nearest municipality within the offshore
// tolerance.
func (ix *Index) Locate(pt orb.Point) Location {
	s := ix.snap()
	var hits []*prepared
	s.tree.Search(pt, pt, func(_, _ [2]float64, p *prepared) bool {
		if p.contains(pt) {
			hits = append(hits, p)
		}
		return true
	})
	// Insertion sort by bounding-box area: hit lists are short.
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && boxArea(hits[j].bound) < boxArea(hits[j-1].bound); j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	var loc Location
	for _, p := range hits {
		loc.Zones = append(loc.Zones, p.zone)
		if p.zone.Type == ZoneMunicipality {
			if loc.Municipality.ID == "" {
				loc.Municipality = p.zone
			}
			continue
		}
		if loc.SiteID == "" && p.zone.SiteID != "" {
			loc.SiteID = p.zone.SiteID
		}
	}
	if loc.Municipality.ID == "" && ix.offshore > 0 {
		if z, d, ok := s.nearestWithin(pt, ZoneMunicipality, ix.offshore); ok {
			loc.Municipality, loc.MunicipalityDistance = z, d
		}
	}
	return loc
}

func boxArea(b orb.Bound) float64 { return (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]) }
