package ifc

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
)

// Model is the spatial structure of an IFC file, georeferenced.
type Model struct {
	Schema    string
	Project   Project
	Site      Site
	Buildings []Building
	// Georef says how positions were computed: "map_conversion",
	// "site_reference" or "" when the model is not georeferenced (then
	// every Point is zero and only Local is meaningful).
	Georef string
	// CRS is the projected CRS name of the map conversion, if used.
	CRS string
	// Warnings are problems that did not stop the extraction.
	Warnings []string
}

// Project is the IfcProject.
type Project struct {
	GlobalID, Name, LongName string
	// LengthUnit is the size of the model's length unit in metres.
	LengthUnit float64
}

// Site is the IfcSite.
type Site struct {
	GlobalID, Name, LongName string
	// RefLatitude and RefLongitude are in decimal degrees; HasRef tells
	// whether the file gave them.
	RefLatitude, RefLongitude float64
	HasRef                    bool
	RefElevation              float64
	// Point is the position of the site's placement origin.
	Point    orb.Point
	Elements []Element
}

// Building is an IfcBuilding.
type Building struct {
	GlobalID, Name, LongName string
	Point                    orb.Point
	Storeys                  []Storey
	Elements                 []Element // contained directly in the building
}

// Storey is an IfcBuildingStorey.
type Storey struct {
	GlobalID, Name, LongName string
	// Elevation is the storey's Elevation attribute in metres.
	Elevation float64
	Spaces    []Space
	// Elements are the products contained in the storey or in one of its
	// spaces (then Element.Space names it).
	Elements []Element
}

// Space is an IfcSpace.
type Space struct {
	GlobalID, Name, LongName string
	// Point is the position of the space's placement origin.
	Point orb.Point
	// Footprint is the plan outline (closed ring) from an extruded-area
	// body representation, or nil when none could be derived.
	Footprint orb.Polygon
}

// Element is a named product contained in the spatial structure.
type Element struct {
	// Kind is a short classification: door, window, camera, sensor,
	// alarm, actuator, controller, communications, access_control,
	// flow_terminal, structure, furniture, or the lower-case IFC type
	// name without its "ifc" prefix.
	Kind     string
	Type     string // the IFC entity name, e.g. IFCDOOR
	Name     string
	GlobalID string
	Tag      string
	// Space is the name of the space containing the element, if any.
	Space string
	Point orb.Point
	// Heading is the direction of the element's local X axis in plan, in
	// degrees clockwise from north (from grid north with a map
	// conversion); 0 when the model is not georeferenced or the axis is
	// vertical. A camera modelled looking along its X axis points there.
	Heading float64
	// Local is the position in model coordinates, in metres.
	Local [3]float64
}

// DefaultMaxBytes is the default input size limit of Parse. Parsing holds
// the whole file in memory and needs about 15 times its size.
const DefaultMaxBytes = 128 << 20

type options struct {
	maxBytes int64
}

// Option configures Parse.
type Option func(*options)

// WithMaxBytes sets the largest input Parse accepts (DefaultMaxBytes if
// n <= 0).
func WithMaxBytes(n int64) Option {
	return func(o *options) { o.maxBytes = n }
}

// Parse reads an IFC STEP file and extracts its Model.
func Parse(r io.Reader, opts ...Option) (*Model, error) {
	o := options{maxBytes: DefaultMaxBytes}
	for _, fn := range opts {
		fn(&o)
	}
	if o.maxBytes <= 0 {
		o.maxBytes = DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, o.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("ifc: read: %w", err)
	}
	if int64(len(data)) > o.maxBytes {
		return nil, fmt.Errorf("ifc: %w: more than %d bytes", ErrTooLarge, o.maxBytes)
	}
	f, err := ParseSTEP(data)
	if err != nil {
		return nil, err
	}
	return Extract(f)
}

// extractor holds the state of one Extract call.
type extractor struct {
	f      *File
	m      *Model
	byType map[string][]*Entity
	unit   float64
	geo    georef

	placements map[int64]xform
	inProgress map[int64]bool
}

// Extract builds the Model of a parsed STEP file.
func Extract(f *File) (*Model, error) {
	if len(f.Schemas) == 0 {
		return nil, fmt.Errorf("ifc: %w: no FILE_SCHEMA in the header", ErrModel)
	}
	schema := f.Schemas[0]
	if !strings.HasPrefix(schema, "IFC2X3") && !strings.HasPrefix(schema, "IFC4") {
		return nil, fmt.Errorf("ifc: %w: unsupported schema %q", ErrModel, schema)
	}
	x := &extractor{
		f:          f,
		m:          &Model{Schema: schema},
		byType:     make(map[string][]*Entity),
		unit:       1,
		placements: make(map[int64]xform),
		inProgress: make(map[int64]bool),
	}
	for _, e := range f.Entities {
		x.byType[e.Type] = append(x.byType[e.Type], e)
	}
	for _, list := range x.byType {
		slices.SortFunc(list, func(a, b *Entity) int { return cmp.Compare(a.ID, b.ID) })
	}
	if err := x.extract(); err != nil {
		return nil, err
	}
	return x.m, nil
}

func (x *extractor) errAt(e *Entity, format string, args ...any) error {
	return fmt.Errorf("ifc: line %d: #%d %s: %s: %w", e.Line, e.ID, e.Type, fmt.Sprintf(format, args...), ErrModel)
}

func (x *extractor) warnf(format string, args ...any) {
	x.m.Warnings = append(x.m.Warnings, fmt.Sprintf(format, args...))
}

func arg(e *Entity, i int) Value {
	if i < len(e.Args) {
		return e.Args[i]
	}
	return Value{Kind: KindNull}
}

// ref resolves parameter i of e, which must be a reference (or $ when
// optional).
func (x *extractor) ref(e *Entity, i int, optional bool) (*Entity, error) {
	v := arg(e, i)
	if v.Kind == KindNull || v.Kind == KindDerived {
		if optional {
			return nil, nil
		}
		return nil, x.errAt(e, "attribute %d is missing", i+1)
	}
	if v.Kind != KindRef {
		return nil, x.errAt(e, "attribute %d is not a reference", i+1)
	}
	t, ok := x.f.Entities[v.Ref]
	if !ok {
		return nil, x.errAt(e, "reference to undefined #%d", v.Ref)
	}
	return t, nil
}

// refs resolves parameter i of e, a list of references.
func (x *extractor) refs(e *Entity, i int) ([]*Entity, error) {
	v := arg(e, i)
	if v.Kind == KindNull {
		return nil, nil
	}
	if v.Kind != KindList {
		return nil, x.errAt(e, "attribute %d is not a list", i+1)
	}
	out := make([]*Entity, 0, len(v.List))
	for _, it := range v.List {
		if it.Kind != KindRef {
			return nil, x.errAt(e, "attribute %d holds a non-reference", i+1)
		}
		t, ok := x.f.Entities[it.Ref]
		if !ok {
			return nil, x.errAt(e, "reference to undefined #%d", it.Ref)
		}
		out = append(out, t)
	}
	return out, nil
}

func (x *extractor) number(e *Entity, i int, def float64) (float64, error) {
	v := arg(e, i)
	if v.Kind == KindNull || v.Kind == KindDerived {
		return def, nil
	}
	f, ok := v.Float()
	if !ok {
		return 0, x.errAt(e, "attribute %d is not a number", i+1)
	}
	return f, nil
}

func (x *extractor) extract() error {
	projects := x.byType["IFCPROJECT"]
	if len(projects) != 1 {
		return fmt.Errorf("ifc: %w: %d IfcProject instances, want 1", ErrModel, len(projects))
	}
	p := projects[0]
	x.m.Project = Project{GlobalID: arg(p, 0).Text(), Name: arg(p, 2).Text(), LongName: arg(p, 5).Text()}
	if err := x.units(p); err != nil {
		return err
	}
	x.m.Project.LengthUnit = x.unit

	tree, err := x.aggregation()
	if err != nil {
		return err
	}
	if err := x.georeference(); err != nil {
		return err
	}
	return x.spatial(p, tree)
}

// units reads the length unit of the project's unit assignment.
func (x *extractor) units(p *Entity) error {
	ua, err := x.ref(p, 8, true)
	if err != nil || ua == nil {
		return err
	}
	units, err := x.refs(ua, 0)
	if err != nil {
		return err
	}
	for _, u := range units {
		if arg(u, 1).Kind != KindEnum || arg(u, 1).Str != "LENGTHUNIT" {
			continue
		}
		scale, err := x.unitScale(u, 0)
		if err != nil {
			return err
		}
		x.unit = scale
		return nil
	}
	return nil
}

var siPrefix = map[string]float64{
	"EXA": 1e18, "PETA": 1e15, "TERA": 1e12, "GIGA": 1e9, "MEGA": 1e6, "KILO": 1e3, "HECTO": 1e2, "DECA": 1e1,
	"DECI": 1e-1, "CENTI": 1e-2, "MILLI": 1e-3, "MICRO": 1e-6, "NANO": 1e-9, "PICO": 1e-12, "FEMTO": 1e-15, "ATTO": 1e-18,
}

func (x *extractor) unitScale(u *Entity, depth int) (float64, error) {
	if depth > 4 {
		return 0, x.errAt(u, "unit conversion chain too deep")
	}
	switch u.Type {
	case "IFCSIUNIT":
		if arg(u, 3).Str != "METRE" {
			return 0, x.errAt(u, "length unit %s is not METRE", arg(u, 3).Str)
		}
		pre := arg(u, 2)
		if pre.Kind != KindEnum {
			return 1, nil
		}
		s, ok := siPrefix[pre.Str]
		if !ok {
			return 0, x.errAt(u, "unknown SI prefix %s", pre.Str)
		}
		return s, nil
	case "IFCCONVERSIONBASEDUNIT", "IFCCONVERSIONBASEDUNITWITHOFFSET":
		mwu, err := x.ref(u, 3, false)
		if err != nil {
			return 0, err
		}
		v, ok := arg(mwu, 0).Float()
		if !ok || !(v > 0) || math.IsInf(v, 0) {
			return 0, x.errAt(mwu, "bad conversion factor")
		}
		base, err := x.ref(mwu, 1, false)
		if err != nil {
			return 0, err
		}
		s, err := x.unitScale(base, depth+1)
		return v * s, err
	}
	return 0, x.errAt(u, "unsupported length unit")
}

// tree is the decomposition (IfcRelAggregates) of spatial elements.
type tree struct {
	children  map[int64][]*Entity
	contained map[int64][]*Entity // IfcRelContainedInSpatialStructure
	relOrder  []int64             // structures in containment order
}

func (x *extractor) aggregation() (*tree, error) {
	t := &tree{children: make(map[int64][]*Entity), contained: make(map[int64][]*Entity)}
	parent := make(map[int64]int64)
	for _, rel := range x.byType["IFCRELAGGREGATES"] {
		whole, err := x.ref(rel, 4, false)
		if err != nil {
			return nil, err
		}
		parts, err := x.refs(rel, 5)
		if err != nil {
			return nil, err
		}
		for _, part := range parts {
			if part.ID == whole.ID {
				return nil, x.errAt(rel, "#%d aggregates itself", part.ID)
			}
			if old, ok := parent[part.ID]; ok && old != whole.ID {
				return nil, x.errAt(rel, "#%d is already part of #%d", part.ID, old)
			}
			parent[part.ID] = whole.ID
			t.children[whole.ID] = append(t.children[whole.ID], part)
		}
	}
	// Every chain of parents must end: a cycle would make the spatial
	// walk loop.
	state := make(map[int64]uint8) // 1 on the current chain, 2 done
	for id := range parent {
		var chain []int64
		for cur := id; ; {
			if state[cur] == 2 {
				break
			}
			if state[cur] == 1 {
				e := x.f.Entities[cur]
				return nil, x.errAt(e, "aggregation cycle through #%d", cur)
			}
			state[cur] = 1
			chain = append(chain, cur)
			next, ok := parent[cur]
			if !ok {
				break
			}
			cur = next
		}
		for _, c := range chain {
			state[c] = 2
		}
	}
	for _, rel := range x.byType["IFCRELCONTAINEDINSPATIALSTRUCTURE"] {
		elems, err := x.refs(rel, 4)
		if err != nil {
			return nil, err
		}
		st, err := x.ref(rel, 5, false)
		if err != nil {
			return nil, err
		}
		if _, seen := t.contained[st.ID]; !seen {
			t.relOrder = append(t.relOrder, st.ID)
		}
		t.contained[st.ID] = append(t.contained[st.ID], elems...)
	}
	return t, nil
}

// where locates a spatial element in the output.
type where struct {
	site     bool
	building int
	storey   int // -1: the building itself
	space    string
}

func (x *extractor) spatial(p *Entity, t *tree) error {
	m := x.m
	loc := make(map[int64]where)
	var buildings []*Entity
	for _, c := range t.children[p.ID] {
		switch c.Type {
		case "IFCSITE":
			if m.Site.GlobalID != "" {
				x.warnf("line %d: second IfcSite #%d ignored", c.Line, c.ID)
				continue
			}
			if err := x.site(c); err != nil {
				return err
			}
			loc[c.ID] = where{site: true}
			for _, b := range t.children[c.ID] {
				if b.Type == "IFCBUILDING" {
					buildings = append(buildings, b)
				}
			}
		case "IFCBUILDING":
			buildings = append(buildings, c)
		}
	}
	for bi, b := range buildings {
		pt, _, err := x.position(b)
		if err != nil {
			return err
		}
		m.Buildings = append(m.Buildings, Building{GlobalID: arg(b, 0).Text(), Name: arg(b, 2).Text(), LongName: arg(b, 7).Text(), Point: pt})
		loc[b.ID] = where{building: bi, storey: -1}
		for _, s := range t.children[b.ID] {
			if s.Type != "IFCBUILDINGSTOREY" {
				continue
			}
			elev, err := x.number(s, 9, 0)
			if err != nil {
				return err
			}
			st := Storey{GlobalID: arg(s, 0).Text(), Name: arg(s, 2).Text(), LongName: arg(s, 7).Text(), Elevation: elev * x.unit}
			si := len(m.Buildings[bi].Storeys)
			loc[s.ID] = where{building: bi, storey: si}
			// Spaces may be decomposed into further spaces; the
			// aggregation check above guarantees this walk ends.
			queue := append([]*Entity(nil), t.children[s.ID]...)
			for len(queue) > 0 {
				sp := queue[0]
				queue = queue[1:]
				if sp.Type != "IFCSPACE" {
					continue
				}
				space, err := x.space(sp)
				if err != nil {
					return err
				}
				st.Spaces = append(st.Spaces, space)
				loc[sp.ID] = where{building: bi, storey: si, space: space.Name}
				queue = append(queue, t.children[sp.ID]...)
			}
			m.Buildings[bi].Storeys = append(m.Buildings[bi].Storeys, st)
		}
	}
	for _, sid := range t.relOrder {
		w, ok := loc[sid]
		if !ok {
			st := x.f.Entities[sid]
			x.warnf("line %d: elements contained in #%d %s, which is not in the spatial tree, ignored", st.Line, st.ID, st.Type)
			continue
		}
		for _, e := range t.contained[sid] {
			name := arg(e, 2).Text()
			if name == "" || len(e.Args) < 7 {
				continue
			}
			pt, local, err := x.position(e)
			if err != nil {
				return err
			}
			el := Element{
				Kind: kindOf(e), Type: e.Type, Name: name, GlobalID: arg(e, 0).Text(),
				Tag: arg(e, 7).Text(), Space: w.space, Point: pt, Local: local,
			}
			if el.Heading, err = x.heading(e); err != nil {
				return err
			}
			switch {
			case w.site:
				m.Site.Elements = append(m.Site.Elements, el)
			case w.storey < 0:
				m.Buildings[w.building].Elements = append(m.Buildings[w.building].Elements, el)
			default:
				s := &m.Buildings[w.building].Storeys[w.storey]
				s.Elements = append(s.Elements, el)
			}
		}
	}
	return nil
}

func (x *extractor) site(s *Entity) error {
	m := x.m
	m.Site.GlobalID, m.Site.Name, m.Site.LongName = arg(s, 0).Text(), arg(s, 2).Text(), arg(s, 7).Text()
	pt, _, err := x.position(s)
	if err != nil {
		return err
	}
	m.Site.Point = pt
	return nil
}

func (x *extractor) space(sp *Entity) (Space, error) {
	s := Space{GlobalID: arg(sp, 0).Text(), Name: arg(sp, 2).Text(), LongName: arg(sp, 7).Text()}
	pt, _, err := x.position(sp)
	if err != nil {
		return s, err
	}
	s.Point = pt
	if x.m.Georef == "" {
		return s, nil
	}
	ring, err := x.footprint(sp)
	if err != nil {
		return s, err
	}
	if ring != nil {
		s.Footprint = orb.Polygon{ring}
	}
	return s, nil
}

// position returns a product's placement origin, georeferenced and local.
func (x *extractor) position(e *Entity) (orb.Point, [3]float64, error) {
	pl, err := x.ref(e, 5, true)
	if err != nil {
		return orb.Point{}, [3]float64{}, err
	}
	var xf xform
	if pl == nil {
		xf = identity()
	} else if xf, err = x.placement(pl, 0); err != nil {
		return orb.Point{}, [3]float64{}, err
	}
	local := [3]float64{xf.t[0] * x.unit, xf.t[1] * x.unit, xf.t[2] * x.unit}
	pt, err := x.toLonLat(e, local)
	return pt, local, err
}

// heading returns the plan bearing of a product's local X axis.
func (x *extractor) heading(e *Entity) (float64, error) {
	pl, err := x.ref(e, 5, true)
	if err != nil || pl == nil || x.m.Georef == "" {
		return 0, err
	}
	xf, err := x.placement(pl, 0)
	if err != nil {
		return 0, err
	}
	ax, ay := xf.r[0][0], xf.r[1][0]
	if math.Hypot(ax, ay) < 1e-9 {
		return 0, nil
	}
	east, north := x.geo.planVector(ax, ay)
	h := math.Atan2(east, north) * 180 / math.Pi
	if h < 0 {
		h += 360
	}
	return h, nil
}

// toLonLat georeferences a model position in metres.
func (x *extractor) toLonLat(e *Entity, p [3]float64) (orb.Point, error) {
	if x.m.Georef == "" {
		return orb.Point{}, nil
	}
	pt := x.geo.lonLat(p[0], p[1])
	if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
		return orb.Point{}, x.errAt(e, "position (%g, %g) m is outside the Earth", p[0], p[1])
	}
	return pt, nil
}

// kindOf classifies a product for the map.
func kindOf(e *Entity) string {
	objType := strings.ToLower(arg(e, 4).Text())
	name := strings.ToLower(arg(e, 2).Text())
	predef := ""
	if v := arg(e, 8); v.Kind == KindEnum { // IFC4 PredefinedType of distribution elements
		predef = v.Str
	}
	looksCamera := func() bool {
		for _, s := range []string{"camera", "cctv", "telecamera", "videocamera"} {
			if strings.Contains(objType, s) || strings.Contains(name, s) {
				return true
			}
		}
		return false
	}
	switch e.Type {
	case "IFCDOOR", "IFCDOORSTANDARDCASE":
		return "door"
	case "IFCWINDOW", "IFCWINDOWSTANDARDCASE":
		return "window"
	case "IFCAUDIOVISUALAPPLIANCE":
		if predef == "CAMERA" || looksCamera() {
			return "camera"
		}
		return "audiovisual"
	case "IFCSENSOR":
		if looksCamera() {
			return "camera"
		}
		return "sensor"
	case "IFCALARM":
		return "alarm"
	case "IFCACTUATOR":
		return "actuator"
	case "IFCCONTROLLER", "IFCUNITARYCONTROLELEMENT":
		return "controller"
	case "IFCCOMMUNICATIONSAPPLIANCE":
		if looksCamera() {
			return "camera"
		}
		return "communications"
	case "IFCFLOWTERMINAL", "IFCDISTRIBUTIONCONTROLELEMENT", "IFCBUILDINGELEMENTPROXY", "IFCELECTRICAPPLIANCE":
		if looksCamera() {
			return "camera"
		}
		if strings.Contains(objType, "access") || strings.Contains(objType, "badge") || strings.Contains(objType, "card reader") {
			return "access_control"
		}
		if e.Type == "IFCFLOWTERMINAL" {
			return "flow_terminal"
		}
		if e.Type == "IFCDISTRIBUTIONCONTROLELEMENT" {
			return "control"
		}
		return strings.ToLower(strings.TrimPrefix(e.Type, "IFC"))
	case "IFCWALL", "IFCWALLSTANDARDCASE", "IFCSLAB", "IFCBEAM", "IFCCOLUMN", "IFCMEMBER", "IFCPLATE",
		"IFCCOVERING", "IFCROOF", "IFCSTAIR", "IFCSTAIRFLIGHT", "IFCRAMP", "IFCRAMPFLIGHT", "IFCRAILING",
		"IFCFOOTING", "IFCPILE", "IFCCURTAINWALL":
		return "structure"
	case "IFCFURNISHINGELEMENT", "IFCFURNITURE":
		return "furniture"
	}
	return strings.ToLower(strings.TrimPrefix(e.Type, "IFC"))
}
