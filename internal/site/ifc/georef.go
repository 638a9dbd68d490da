package ifc

import (
	"math"

	"github.com/paulmach/orb"
)

// georef turns model positions in metres into WGS84 longitude/latitude.
type georef struct {
	mapConv bool
	// Map conversion to UTM.
	zone             int
	e0, n0           float64
	cosR, sinR, scal float64
	// Site reference: the origin's position and true north in model XY.
	lat0, lon0 float64
	northX     float64
	northY     float64
}

func (g *georef) lonLat(x, y float64) orb.Point {
	if g.mapConv {
		e := g.e0 + g.scal*(g.cosR*x-g.sinR*y)
		n := g.n0 + g.scal*(g.sinR*x+g.cosR*y)
		return utmInverse(g.zone, e, n)
	}
	east, north := g.planVector(x, y)
	const mPerDeg = 6371008.8 * math.Pi / 180
	lat := g.lat0 + north/mPerDeg
	lon := g.lon0 + east/(mPerDeg*math.Cos(g.lat0*math.Pi/180))
	return orb.Point{lon, lat}
}

// planVector turns a model XY direction into east and north components
// (grid east/north with a map conversion).
func (g *georef) planVector(x, y float64) (east, north float64) {
	if g.mapConv {
		return g.cosR*x - g.sinR*y, g.sinR*x + g.cosR*y
	}
	return x*g.northY - y*g.northX, x*g.northX + y*g.northY
}

// georeference sets x.geo and the model's Georef, CRS and site reference.
func (x *extractor) georeference() error {
	if err := x.siteReference(); err != nil {
		return err
	}
	for _, mc := range x.byType["IFCMAPCONVERSION"] {
		crs, err := x.ref(mc, 1, false)
		if err != nil {
			return err
		}
		name := arg(crs, 0).Text()
		if crs.Type != "IFCPROJECTEDCRS" {
			return x.errAt(mc, "target CRS #%d is not an IfcProjectedCRS", crs.ID)
		}
		var vals [6]float64
		defs := [6]float64{0, 0, 0, 1, 0, 1}
		for i := range vals {
			if vals[i], err = x.number(mc, 2+i, defs[i]); err != nil {
				return err
			}
		}
		ok, err := x.useMapConversion(mc, name, vals)
		if ok || err != nil {
			return err
		}
		break
	}
	if x.m.Georef == "" && len(x.byType["IFCMAPCONVERSION"]) == 0 {
		// IFC2X3 files carry the same data in property sets
		// (buildingSMART "ePSet_MapConversion" / "ePSet_ProjectedCRS").
		mc, vals, name, found, err := x.psetMapConversion()
		if err != nil {
			return err
		}
		if found {
			ok, err := x.useMapConversion(mc, name, vals)
			if ok || err != nil {
				return err
			}
		}
	}
	if !x.m.Site.HasRef {
		x.warnf("no IfcMapConversion and no site RefLatitude/RefLongitude: the model is not georeferenced")
		return nil
	}
	nx, ny, err := x.trueNorth()
	if err != nil {
		return err
	}
	x.geo = georef{lat0: x.m.Site.RefLatitude, lon0: x.m.Site.RefLongitude, northX: nx, northY: ny}
	x.m.Georef = "site_reference"
	return nil
}

// useMapConversion validates map conversion values (Eastings, Northings,
// OrthogonalHeight, XAxisAbscissa, XAxisOrdinate, Scale) and makes them the
// georeferencing. It reports false, with a warning, for an unsupported CRS.
func (x *extractor) useMapConversion(mc *Entity, name string, vals [6]float64) (bool, error) {
	zone, err := utmZone(name)
	if err != nil {
		x.warnf("line %d: map conversion to %q not supported, using the site reference", mc.Line, name)
		return false, nil
	}
	for i, v := range vals {
		if math.IsInf(v, 0) || math.Abs(v) > 1e9 {
			return false, x.errAt(mc, "map conversion value %d out of range", i+1)
		}
	}
	e0, n0, ax, ay, scale := vals[0], vals[1], vals[3], vals[4], vals[5]
	r := math.Hypot(ax, ay)
	if r == 0 || !(scale > 0) {
		return false, x.errAt(mc, "degenerate rotation or scale")
	}
	// Model positions are already in metres; a Scale equal to the length
	// unit (0.001 for millimetres) only restates that.
	if x.unit != 1 && math.Abs(scale-x.unit) < 1e-12 {
		scale = 1
	}
	x.geo = georef{mapConv: true, zone: zone, e0: e0, n0: n0, cosR: ax / r, sinR: ay / r, scal: scale}
	x.m.Georef, x.m.CRS = "map_conversion", name
	return true, nil
}

// psetMapConversion reads the ePSet_MapConversion and ePSet_ProjectedCRS
// property sets; found is false unless both are present.
func (x *extractor) psetMapConversion() (mc *Entity, vals [6]float64, crs string, found bool, err error) {
	var conv, proj *Entity
	for _, ps := range x.byType["IFCPROPERTYSET"] {
		switch arg(ps, 2).Text() {
		case "ePSet_MapConversion":
			conv = ps
		case "ePSet_ProjectedCRS":
			proj = ps
		}
	}
	if conv == nil || proj == nil {
		return nil, vals, "", false, nil
	}
	props := func(ps *Entity) (map[string]Value, error) {
		list, err := x.refs(ps, 4)
		if err != nil {
			return nil, err
		}
		out := make(map[string]Value, len(list))
		for _, p := range list {
			if p.Type == "IFCPROPERTYSINGLEVALUE" {
				out[arg(p, 0).Text()] = arg(p, 2)
			}
		}
		return out, nil
	}
	cp, err := props(conv)
	if err != nil {
		return nil, vals, "", false, err
	}
	pp, err := props(proj)
	if err != nil {
		return nil, vals, "", false, err
	}
	crs = pp["Name"].Text()
	names := [6]string{"Eastings", "Northings", "OrthogonalHeight", "XAxisAbscissa", "XAxisOrdinate", "Scale"}
	defs := [6]float64{0, 0, 0, 1, 0, 1}
	for i, n := range names {
		v, ok := cp[n]
		if !ok || v.Kind == KindNull {
			vals[i] = defs[i]
			continue
		}
		f, ok := v.Float()
		if !ok {
			return nil, vals, "", false, x.errAt(conv, "property %s is not a number", n)
		}
		vals[i] = f
	}
	return conv, vals, crs, true, nil
}

// siteReference reads RefLatitude, RefLongitude and RefElevation of the
// first IfcSite.
func (x *extractor) siteReference() error {
	sites := x.byType["IFCSITE"]
	if len(sites) == 0 {
		return nil
	}
	s := sites[0]
	lat, okLat, err := x.compoundAngle(s, 9, 90)
	if err != nil {
		return err
	}
	lon, okLon, err := x.compoundAngle(s, 10, 180)
	if err != nil {
		return err
	}
	elev, err := x.number(s, 11, 0)
	if err != nil {
		return err
	}
	x.m.Site.RefElevation = elev * x.unit
	if okLat && okLon {
		x.m.Site.RefLatitude, x.m.Site.RefLongitude, x.m.Site.HasRef = lat, lon, true
	}
	return nil
}

// compoundAngle reads an IfcCompoundPlaneAngleMeasure (degrees, minutes,
// seconds and optionally millionths of a second, all of the same sign).
func (x *extractor) compoundAngle(e *Entity, i int, limit float64) (float64, bool, error) {
	v := arg(e, i)
	if v.Kind == KindNull {
		return 0, false, nil
	}
	if v.Kind == KindTyped && len(v.List) == 1 {
		v = v.List[0]
	}
	if v.Kind != KindList || len(v.List) < 3 || len(v.List) > 4 {
		return 0, false, x.errAt(e, "attribute %d is not a compound plane angle", i+1)
	}
	div := [4]float64{1, 60, 3600, 3600e6}
	bound := [4]int64{int64(limit), 59, 59, 999999}
	deg := 0.0
	for j, c := range v.List {
		if c.Kind != KindInteger {
			return 0, false, x.errAt(e, "attribute %d: compound angle part %d is not an integer", i+1, j+1)
		}
		if c.Int > bound[j] || c.Int < -bound[j] {
			return 0, false, x.errAt(e, "attribute %d: compound angle part %d (%d) out of range", i+1, j+1, c.Int)
		}
		deg += float64(c.Int) / div[j]
	}
	if math.Abs(deg) > limit {
		return 0, false, x.errAt(e, "attribute %d: angle %g out of range", i+1, deg)
	}
	return deg, true, nil
}

// trueNorth returns the unit true-north direction in model XY from the
// 3D model context (default +Y).
func (x *extractor) trueNorth() (float64, float64, error) {
	for _, c := range x.byType["IFCGEOMETRICREPRESENTATIONCONTEXT"] {
		d, err := x.ref(c, 5, true)
		if err != nil {
			return 0, 0, err
		}
		if d == nil {
			continue
		}
		v, err := x.direction(d)
		if err != nil {
			return 0, 0, err
		}
		n := math.Hypot(v[0], v[1])
		if n < 1e-9 {
			return 0, 0, x.errAt(d, "TrueNorth has no horizontal component")
		}
		return v[0] / n, v[1] / n, nil
	}
	return 0, 1, nil
}
