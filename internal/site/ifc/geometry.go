package ifc

import (
	"math"

	"github.com/paulmach/orb"
)

// xform is a rigid placement: columns of r are the local axes in the
// parent system, t the local origin (in model length units).
type xform struct {
	r [3][3]float64 // r[row][col]
	t [3]float64
}

func identity() xform {
	return xform{r: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
}

func (a xform) apply(p [3]float64) [3]float64 {
	var out [3]float64
	for i := range 3 {
		out[i] = a.r[i][0]*p[0] + a.r[i][1]*p[1] + a.r[i][2]*p[2] + a.t[i]
	}
	return out
}

// then returns the placement b expressed in a's parent system.
func (a xform) then(b xform) xform {
	var c xform
	for i := range 3 {
		for j := range 3 {
			c.r[i][j] = a.r[i][0]*b.r[0][j] + a.r[i][1]*b.r[1][j] + a.r[i][2]*b.r[2][j]
		}
	}
	c.t = a.apply(b.t)
	return c
}

// maxPlacementDepth bounds IfcLocalPlacement chains.
const maxPlacementDepth = 64

// placement resolves an IfcObjectPlacement to model coordinates.
func (x *extractor) placement(pl *Entity, depth int) (xform, error) {
	if xf, ok := x.placements[pl.ID]; ok {
		return xf, nil
	}
	if x.inProgress[pl.ID] {
		return xform{}, x.errAt(pl, "placement cycle")
	}
	if depth > maxPlacementDepth {
		return xform{}, x.errAt(pl, "placement chain deeper than %d", maxPlacementDepth)
	}
	x.inProgress[pl.ID] = true
	defer delete(x.inProgress, pl.ID)
	var xf xform
	switch pl.Type {
	case "IFCLOCALPLACEMENT":
		parent := identity()
		rel, err := x.ref(pl, 0, true)
		if err != nil {
			return xform{}, err
		}
		if rel != nil {
			if parent, err = x.placement(rel, depth+1); err != nil {
				return xform{}, err
			}
		}
		ax, err := x.ref(pl, 1, false)
		if err != nil {
			return xform{}, err
		}
		local, err := x.axisPlacement(ax)
		if err != nil {
			return xform{}, err
		}
		xf = parent.then(local)
	default:
		// IfcGridPlacement and others: not resolved.
		x.warnf("line %d: #%d %s not supported, origin used", pl.Line, pl.ID, pl.Type)
		xf = identity()
	}
	x.placements[pl.ID] = xf
	return xf, nil
}

// axisPlacement reads an IfcAxis2Placement3D or IfcAxis2Placement2D.
func (x *extractor) axisPlacement(ax *Entity) (xform, error) {
	xf := identity()
	var loc, axis, refDir *Entity
	var err error
	switch ax.Type {
	case "IFCAXIS2PLACEMENT3D":
		if loc, err = x.ref(ax, 0, false); err != nil {
			return xf, err
		}
		if axis, err = x.ref(ax, 1, true); err != nil {
			return xf, err
		}
		if refDir, err = x.ref(ax, 2, true); err != nil {
			return xf, err
		}
	case "IFCAXIS2PLACEMENT2D":
		if loc, err = x.ref(ax, 0, false); err != nil {
			return xf, err
		}
		if refDir, err = x.ref(ax, 1, true); err != nil {
			return xf, err
		}
	default:
		return xf, x.errAt(ax, "not an axis placement")
	}
	p, err := x.point(loc)
	if err != nil {
		return xf, err
	}
	xf.t = p
	z := [3]float64{0, 0, 1}
	if axis != nil {
		if z, err = x.direction(axis); err != nil {
			return xf, err
		}
	}
	xa := [3]float64{1, 0, 0}
	if refDir != nil {
		if xa, err = x.direction(refDir); err != nil {
			return xf, err
		}
	}
	// Orthonormalise: x loses its component along z.
	d := dot(xa, z)
	xa = [3]float64{xa[0] - d*z[0], xa[1] - d*z[1], xa[2] - d*z[2]}
	if norm(xa) < 1e-9 {
		return xf, x.errAt(ax, "RefDirection parallel to Axis")
	}
	xa = unit(xa)
	y := cross(z, xa)
	for i := range 3 {
		xf.r[i][0], xf.r[i][1], xf.r[i][2] = xa[i], y[i], z[i]
	}
	return xf, nil
}

// coords reads the coordinate list of an IfcCartesianPoint or the ratios
// of an IfcDirection (2 or 3 finite numbers).
func (x *extractor) coords(e *Entity) ([3]float64, error) {
	var out [3]float64
	v := arg(e, 0)
	if v.Kind != KindList || len(v.List) < 2 || len(v.List) > 3 {
		return out, x.errAt(e, "want 2 or 3 coordinates")
	}
	for i, c := range v.List {
		f, ok := c.Float()
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e12 {
			return out, x.errAt(e, "coordinate %d is not a usable number", i+1)
		}
		out[i] = f
	}
	return out, nil
}

func (x *extractor) point(e *Entity) ([3]float64, error) {
	if e.Type != "IFCCARTESIANPOINT" {
		return [3]float64{}, x.errAt(e, "not an IfcCartesianPoint")
	}
	return x.coords(e)
}

func (x *extractor) direction(e *Entity) ([3]float64, error) {
	if e.Type != "IFCDIRECTION" {
		return [3]float64{}, x.errAt(e, "not an IfcDirection")
	}
	d, err := x.coords(e)
	if err != nil {
		return d, err
	}
	if norm(d) < 1e-12 {
		return d, x.errAt(e, "zero direction")
	}
	return unit(d), nil
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func norm(a [3]float64) float64   { return math.Sqrt(dot(a, a)) }
func unit(a [3]float64) [3]float64 {
	n := norm(a)
	return [3]float64{a[0] / n, a[1] / n, a[2] / n}
}
func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// maxFootprintPoints bounds the outline of one space.
const maxFootprintPoints = 100_000

// footprint derives a space's plan outline from its first extruded-area
// solid, or returns nil when the representation is of another kind.
func (x *extractor) footprint(sp *Entity) (orb.Ring, error) {
	shape, err := x.ref(sp, 6, true)
	if err != nil || shape == nil || shape.Type != "IFCPRODUCTDEFINITIONSHAPE" {
		return nil, err
	}
	reps, err := x.refs(shape, 2)
	if err != nil {
		return nil, err
	}
	pl, err := x.ref(sp, 5, true)
	if err != nil {
		return nil, err
	}
	obj := identity()
	if pl != nil {
		if obj, err = x.placement(pl, 0); err != nil {
			return nil, err
		}
	}
	for _, rep := range reps {
		if rep.Type != "IFCSHAPEREPRESENTATION" {
			continue
		}
		items, err := x.refs(rep, 3)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			ring, err := x.solidOutline(sp, it, obj, 0)
			if err != nil || ring != nil {
				return ring, err
			}
		}
	}
	return nil, nil
}

func (x *extractor) solidOutline(sp, it *Entity, obj xform, depth int) (orb.Ring, error) {
	if depth > 8 {
		return nil, x.errAt(it, "boolean results nested too deep")
	}
	switch it.Type {
	case "IFCBOOLEANRESULT", "IFCBOOLEANCLIPPINGRESULT":
		first, err := x.ref(it, 1, false)
		if err != nil {
			return nil, err
		}
		return x.solidOutline(sp, first, obj, depth+1)
	case "IFCEXTRUDEDAREASOLID":
	default:
		return nil, nil
	}
	prof, err := x.ref(it, 0, false)
	if err != nil {
		return nil, err
	}
	posE, err := x.ref(it, 1, true)
	if err != nil {
		return nil, err
	}
	pos := identity()
	if posE != nil {
		if pos, err = x.axisPlacement(posE); err != nil {
			return nil, err
		}
	}
	pts, err := x.profile(prof)
	if err != nil || pts == nil {
		return nil, err
	}
	full := obj.then(pos)
	ring := make(orb.Ring, 0, len(pts)+1)
	for _, p := range pts {
		w := full.apply(p)
		ll, err := x.toLonLat(sp, [3]float64{w[0] * x.unit, w[1] * x.unit, w[2] * x.unit})
		if err != nil {
			return nil, err
		}
		ring = append(ring, ll)
	}
	if len(ring) < 3 {
		x.warnf("line %d: space #%d outline has fewer than 3 points, ignored", sp.Line, sp.ID)
		return nil, nil
	}
	if ring[0] != ring[len(ring)-1] {
		ring = append(ring, ring[0])
	}
	return ring, nil
}

// profile returns the 2D outline points of a profile definition, in the
// profile's own coordinates (z = 0).
func (x *extractor) profile(prof *Entity) ([][3]float64, error) {
	switch prof.Type {
	case "IFCRECTANGLEPROFILEDEF", "IFCROUNDEDRECTANGLEPROFILEDEF":
		xd, err := x.number(prof, 3, 0)
		if err != nil {
			return nil, err
		}
		yd, err := x.number(prof, 4, 0)
		if err != nil {
			return nil, err
		}
		if !(xd > 0 && yd > 0) || math.IsInf(xd, 0) || math.IsInf(yd, 0) {
			return nil, x.errAt(prof, "bad rectangle dimensions %g × %g", xd, yd)
		}
		pos := identity()
		if pe, err := x.ref(prof, 2, true); err != nil {
			return nil, err
		} else if pe != nil {
			if pos, err = x.axisPlacement(pe); err != nil {
				return nil, err
			}
		}
		hx, hy := xd/2, yd/2
		corners := [][3]float64{{-hx, -hy, 0}, {hx, -hy, 0}, {hx, hy, 0}, {-hx, hy, 0}}
		for i, c := range corners {
			corners[i] = pos.apply(c)
		}
		return corners, nil
	case "IFCARBITRARYCLOSEDPROFILEDEF", "IFCARBITRARYPROFILEDEFWITHVOIDS":
		curve, err := x.ref(prof, 2, false)
		if err != nil {
			return nil, err
		}
		return x.curvePoints(curve)
	}
	return nil, nil
}

func (x *extractor) curvePoints(curve *Entity) ([][3]float64, error) {
	switch curve.Type {
	case "IFCPOLYLINE":
		pts, err := x.refs(curve, 0)
		if err != nil {
			return nil, err
		}
		if len(pts) > maxFootprintPoints {
			return nil, x.errAt(curve, "more than %d points", maxFootprintPoints)
		}
		out := make([][3]float64, 0, len(pts))
		for _, pe := range pts {
			p, err := x.point(pe)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	case "IFCINDEXEDPOLYCURVE": // IFC4: straight segments assumed
		list, err := x.ref(curve, 0, false)
		if err != nil {
			return nil, err
		}
		v := arg(list, 0)
		if list.Type != "IFCCARTESIANPOINTLIST2D" || v.Kind != KindList {
			return nil, x.errAt(list, "not a 2D point list")
		}
		if len(v.List) > maxFootprintPoints {
			return nil, x.errAt(list, "more than %d points", maxFootprintPoints)
		}
		out := make([][3]float64, 0, len(v.List))
		for i, c := range v.List {
			if c.Kind != KindList || len(c.List) != 2 {
				return nil, x.errAt(list, "point %d is not a coordinate pair", i+1)
			}
			px, ok1 := c.List[0].Float()
			py, ok2 := c.List[1].Float()
			if !ok1 || !ok2 || math.Abs(px) > 1e12 || math.Abs(py) > 1e12 {
				return nil, x.errAt(list, "point %d is not a usable coordinate pair", i+1)
			}
			out = append(out, [3]float64{px, py, 0})
		}
		return out, nil
	}
	return nil, nil
}
