package geo

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Index answers spatial queries over a set of zones. The zero value is an
// empty index with no offshore tolerance; NewIndex sets the defaults.
type Index struct {
	mu  sync.Mutex // serialises writers; readers never take it
	cur atomic.Pointer[snapshot]

	offshore float64 // see WithOffshoreTolerance; immutable after NewIndex
}

// DefaultOffshoreTolerance is the default of WithOffshoreTolerance, in
// metres.
const DefaultOffshoreTolerance = 1500

// Option configures an Index.
type Option func(*Index)

// WithOffshoreTolerance sets how far outside every municipality boundary a
// point may be for Locate to assign it to the nearest municipality. ISTAT
// boundaries follow the coastline, so quays, port basins and moorings lie
// a few hundred metres outside them; 0 disables the fallback.
func WithOffshoreTolerance(metres float64) Option {
	return func(ix *Index) { ix.offshore = metres }
}

// snapshot is an immutable view of the indexed zones.
type snapshot struct {
	tree rtree.RTreeG[*prepared]
	byID map[string]*prepared
}

// prepared is a zone with the bounding boxes its exact tests need.
type prepared struct {
	zone  Zone
	bound orb.Bound
	polys []preparedPolygon
}

type preparedPolygon struct {
	bound orb.Bound
	rings []orb.Ring
	ringB []orb.Bound
}

func prepare(z Zone) (*prepared, error) {
	if err := z.Validate(); err != nil {
		return nil, err
	}
	p := &prepared{zone: z, bound: z.Geometry.Bound()}
	p.polys = make([]preparedPolygon, len(z.Geometry))
	for i, poly := range z.Geometry {
		pp := preparedPolygon{bound: poly.Bound(), rings: poly, ringB: make([]orb.Bound, len(poly))}
		for j, r := range poly {
			pp.ringB[j] = r.Bound()
		}
		p.polys[i] = pp
	}
	return p, nil
}

// snap returns the current snapshot (an empty one for a zero Index).
func (ix *Index) snap() *snapshot {
	if s := ix.cur.Load(); s != nil {
		return s
	}
	return &snapshot{}
}

// NewIndex indexes zones. It fails if a zone is invalid or an ID repeats.
func NewIndex(zones []Zone, opts ...Option) (*Index, error) {
	s, err := build(zones)
	if err != nil {
		return nil, err
	}
	ix := &Index{offshore: DefaultOffshoreTolerance}
	for _, o := range opts {
		o(ix)
	}
	ix.cur.Store(s)
	return ix, nil
}

func build(zones []Zone) (*snapshot, error) {
	s := &snapshot{byID: make(map[string]*prepared, len(zones))}
	for _, z := range zones {
		p, err := prepare(z)
		if err != nil {
			return nil, err
		}
		if _, dup := s.byID[z.ID]; dup {
			return nil, fmt.Errorf("geo: %w: %q", ErrDuplicateID, z.ID)
		}
		s.byID[z.ID] = p
		s.tree.Insert(p.bound.Min, p.bound.Max, p)
	}
	return s, nil
}

// Reload replaces every zone atomically. On error the index is unchanged.
func (ix *Index) Reload(zones []Zone) error {
	s, err := build(zones)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	ix.cur.Store(s)
	ix.mu.Unlock()
	return nil
}

// Upsert adds z or replaces the zone with the same ID.
func (ix *Index) Upsert(z Zone) error {
	p, err := prepare(z)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old := ix.snap()
	s := &snapshot{tree: *old.tree.Copy(), byID: make(map[string]*prepared, len(old.byID)+1)}
	for id, q := range old.byID {
		s.byID[id] = q
	}
	if q, ok := s.byID[z.ID]; ok {
		s.tree.Delete(q.bound.Min, q.bound.Max, q)
	}
	s.byID[z.ID] = p
	s.tree.Insert(p.bound.Min, p.bound.Max, p)
	ix.cur.Store(s)
	return nil
}

// Delete removes the zone with the given ID; the error wraps ErrNotFound
// if there is none.
func (ix *Index) Delete(id string) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old := ix.snap()
	q, ok := old.byID[id]
	if !ok {
		return fmt.Errorf("geo: delete %q: %w", id, ErrNotFound)
	}
	s := &snapshot{tree: *old.tree.Copy(), byID: make(map[string]*prepared, len(old.byID))}
	for k, v := range old.byID {
		if k != id {
			s.byID[k] = v
		}
	}
	s.tree.Delete(q.bound.Min, q.bound.Max, q)
	ix.cur.Store(s)
	return nil
}

// Len returns the number of indexed zones.
func (ix *Index) Len() int { return len(ix.snap().byID) }

// Zone returns the zone with the given ID.
func (ix *Index) Zone(id string) (Zone, bool) {
	p, ok := ix.snap().byID[id]
	if !ok {
		return Zone{}, false
	}
	return p.zone, true
}

// Zones returns every indexed zone, ordered by ID.
func (ix *Index) Zones() []Zone {
	s := ix.snap()
	out := make([]Zone, 0, len(s.byID))
	for _, p := range s.byID {
		out = append(out, p.zone)
	}
	slices.SortFunc(out, func(a, b Zone) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Containing returns the zones that contain pt (a WGS84 [lon, lat]), in no
// particular order. A point exactly on a boundary may fall on either side.
func (ix *Index) Containing(pt orb.Point) []Zone {
	return ix.AppendContaining(nil, pt)
}

// AppendContaining appends the zones that contain pt to dst and returns the
// extended slice; with a reused dst a lookup does not allocate.
func (ix *Index) AppendContaining(dst []Zone, pt orb.Point) []Zone {
	s := ix.snap()
	s.tree.Search(pt, pt, func(_, _ [2]float64, p *prepared) bool {
		if p.contains(pt) {
			dst = append(dst, p.zone)
		}
		return true
	})
	return dst
}

// contains is the exact even-odd point-in-zone test.
func (p *prepared) contains(pt orb.Point) bool {
	for i := range p.polys {
		if p.polys[i].contains(pt) {
			return true
		}
	}
	return false
}

func (pp *preparedPolygon) contains(pt orb.Point) bool {
	if !pp.bound.Contains(pt) {
		return false
	}
	in := false
	for i, r := range pp.rings {
		// A point outside a ring's bounding box crosses that ring an even
		// number of times, so the ring cannot change the parity.
		if !pp.ringB[i].Contains(pt) {
			if i == 0 {
				return false
			}
			continue
		}
		if ringOdd(r, pt) {
			in = !in
		}
	}
	return in
}

// ringOdd reports whether a ray from pt towards +x crosses r an odd number
// of times. The ring is treated as closed whether or not it repeats its
// first position.
func ringOdd(r orb.Ring, pt orb.Point) bool {
	x, y := pt[0], pt[1]
	in := false
	j := len(r) - 1
	for i := 0; i < len(r); i++ {
		xi, yi := r[i][0], r[i][1]
		xj, yj := r[j][0], r[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
		j = i
	}
	return in
}
