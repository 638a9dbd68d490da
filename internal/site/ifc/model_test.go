package ifc

import (
	"bytes"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
	"github.com/vedetta-sec/vedetta/internal/geo"
)

func parseFile(t *testing.T, path string) *Model {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Parse(f)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return m
}

// summary is the part of a Model compared exactly.
type summary struct {
	Building string
	Storey   string
	Elev     float64
	Spaces   []string
	Elements []string // kind/name/space/tag
}

func summarize(m *Model) []summary {
	var out []summary
	for _, b := range m.Buildings {
		for _, s := range b.Storeys {
			sm := summary{Building: b.Name, Storey: s.Name, Elev: s.Elevation}
			for _, sp := range s.Spaces {
				sm.Spaces = append(sm.Spaces, sp.Name+" "+sp.LongName)
			}
			for _, e := range s.Elements {
				sm.Elements = append(sm.Elements, e.Kind+"/"+e.Name+"/"+e.Space+"/"+e.Tag)
			}
			out = append(out, sm)
		}
	}
	return out
}

func allElements(m *Model) []Element {
	out := append([]Element(nil), m.Site.Elements...)
	for _, b := range m.Buildings {
		out = append(out, b.Elements...)
		for _, s := range b.Storeys {
			out = append(out, s.Elements...)
		}
	}
	return out
}

func near(a, b orb.Point, tolDeg float64) bool {
	return math.Abs(a[0]-b[0]) <= tolDeg && math.Abs(a[1]-b[1]) <= tolDeg
}

func TestParseHarbourOfficeIFC2X3(t *testing.T) {
	m := parseFile(t, "testdata/harbour_office_ifc2x3.ifc")
	if m.Schema != "IFC2X3" || m.Georef != "site_reference" || m.Project.LengthUnit != 0.001 {
		t.Errorf("schema %q georef %q unit %v", m.Schema, m.Georef, m.Project.LengthUnit)
	}
	if m.Project.Name != "Porto della Spezia" || m.Site.Name != "Molo Garibaldi" {
		t.Errorf("project %q site %q", m.Project.Name, m.Site.Name)
	}
	if !m.Site.HasRef || m.Site.RefLatitude != 44.1 || m.Site.RefLongitude != 9.83 || m.Site.RefElevation != 2 {
		t.Errorf("site reference = %v %v %v %v", m.Site.HasRef, m.Site.RefLatitude, m.Site.RefLongitude, m.Site.RefElevation)
	}
	want := []summary{
		{Building: "Palazzina Uffici", Storey: "Piano terra", Elev: 0,
			Spaces: []string{"001 Ingresso e reception", "002 Sala server / CED"},
			Elements: []string{
				"door/Porta ingresso//D-001",
				"door/Porta CED/002/D-002",
				"camera/TVCC-01/001/CAM-01",
			}},
		{Building: "Palazzina Uffici", Storey: "Primo piano", Elev: 3.5,
			Spaces:   []string{"101 Sala controllo è operativa"},
			Elements: []string{"control/Rilevatore fumo/101/SD-101"}},
	}
	if diff := cmp.Diff(want, summarize(m)); diff != "" {
		t.Errorf("structure mismatch (-want +got):\n%s", diff)
	}
	if len(m.Site.Elements) != 1 || m.Site.Elements[0].Name != "TVCC-Molo" || m.Site.Elements[0].Kind != "camera" {
		t.Errorf("site elements = %+v", m.Site.Elements)
	}

	origin := orb.Point{9.83, 44.1}
	if m.Site.Point != origin {
		t.Errorf("site point = %v, want %v", m.Site.Point, origin)
	}
	// Model positions are accumulated placements in metres; true north
	// is model +X, so north = x and east = -y.
	wantLocal := map[string][3]float64{
		"Porta ingresso":  {16, 20, 0},
		"Porta CED":       {23, 21, 0},
		"TVCC-01":         {21.5, 27.5, 2.8},
		"Rilevatore fumo": {12, 23, 6.2},
		"TVCC-Molo":       {-50, 0, 8},
	}
	for _, e := range allElements(m) {
		wl, ok := wantLocal[e.Name]
		if !ok {
			t.Errorf("unexpected element %q", e.Name)
			continue
		}
		for i := range 3 {
			if math.Abs(e.Local[i]-wl[i]) > 1e-9 {
				t.Errorf("%s: local = %v, want %v", e.Name, e.Local, wl)
				break
			}
		}
		if d, want := geo.Distance(origin, e.Point), math.Hypot(wl[0], wl[1]); math.Abs(d-want) > 0.01 {
			t.Errorf("%s: %.3f m from the site origin, want %.3f", e.Name, d, want)
		}
		if north := e.Point[1] - origin[1]; math.Signbit(north) != math.Signbit(wl[0]) {
			t.Errorf("%s: latitude offset %g has the wrong sign", e.Name, north)
		}
		if east := e.Point[0] - origin[0]; wl[1] != 0 && math.Signbit(east) != math.Signbit(-wl[1]) {
			t.Errorf("%s: longitude offset %g has the wrong sign", e.Name, east)
		}
	}

	// Headings: the elements' X axes are model +X (north) except the
	// camera's, model (-1, -1): south-east.
	for _, e := range allElements(m) {
		want := 0.0
		if e.Name == "TVCC-01" {
			want = 135
		}
		if math.Abs(e.Heading-want) > 1e-9 {
			t.Errorf("%s heading = %v, want %v", e.Name, e.Heading, want)
		}
	}

	// The reception outline is the model rectangle (10..22, 20..28) m.
	st := m.Buildings[0].Storeys[0]
	rec, srv := st.Spaces[0].Footprint, st.Spaces[1].Footprint
	if len(rec) != 1 || len(rec[0]) != 5 || len(srv) != 1 || len(srv[0]) != 5 {
		t.Fatalf("footprints = %v / %v", rec, srv)
	}
	ix, err := geo.NewIndex([]geo.Zone{
		{ID: "rec", Type: geo.ZoneBuildingFootprint, Geometry: orb.MultiPolygon{rec}},
		{ID: "srv", Type: geo.ZoneBuildingFootprint, Geometry: orb.MultiPolygon{srv}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range allElements(m) {
		var got []string
		for _, z := range ix.Containing(e.Point) {
			got = append(got, z.ID)
		}
		// Footprints are plans: the first-floor smoke detector lies
		// above the reception.
		want := map[string][]string{"TVCC-01": {"rec"}, "Porta CED": {"srv"}, "Rilevatore fumo": {"rec"}}[e.Name]
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s lies in footprints %v, want %v", e.Name, got, want)
		}
	}
	// Ring sides are 12 m and 8 m (reception), 6 m and 8 m (server room).
	for _, c := range []struct {
		ring orb.Ring
		w, h float64
	}{{rec[0], 12, 8}, {srv[0], 6, 8}} {
		if d := geo.Distance(c.ring[0], c.ring[1]); math.Abs(d-c.w) > 0.01 && math.Abs(d-c.h) > 0.01 {
			t.Errorf("first side %.3f m, want %v or %v", d, c.w, c.h)
		}
	}
	if len(m.Buildings[0].Storeys[1].Spaces[0].Footprint) != 0 {
		t.Errorf("a space without representation got a footprint")
	}
}

// TestParseFerryTerminalIFC4 checks the IfcMapConversion path against
// positions computed by PROJ 9.1.1 (cs2cs EPSG:32633 EPSG:4326).
func TestParseFerryTerminalIFC4(t *testing.T) {
	m := parseFile(t, "testdata/ferry_terminal_ifc4.ifc")
	if m.Schema != "IFC4" || m.Georef != "map_conversion" || m.CRS != "EPSG:32633" {
		t.Errorf("schema %q georef %q crs %q", m.Schema, m.Georef, m.CRS)
	}
	want := []summary{{
		Building: "Terminal traghetti", Storey: "Piano terra",
		Spaces: []string{"S01 Sala imbarchi"},
		Elements: []string{
			"door/Varco imbarco//G-01",
			"sensor/Sensore presenza/S01/PIR-01",
			"alarm/Sirena/S01/AL-01",
		},
	}}
	if diff := cmp.Diff(want, summarize(m)); diff != "" {
		t.Errorf("structure mismatch (-want +got):\n%s", diff)
	}
	const tol = 1e-8 // degrees, about a millimetre
	points := map[string]orb.Point{
		"Telecamera banchina": {13.5010618019, 43.6204641275}, // model (100, 0)
		"Varco imbarco":       {13.4996805616, 43.6203856898}, // model (0, 50)
		"Sensore presenza":    {0, 0},                         // checked against the footprint below
		"Sirena":              {0, 0},
	}
	for _, e := range allElements(m) {
		p, ok := points[e.Name]
		if !ok {
			t.Errorf("unexpected element %q", e.Name)
			continue
		}
		if p != (orb.Point{}) && !near(e.Point, p, tol) {
			t.Errorf("%s at %.10f, %.10f, want %v", e.Name, e.Point[1], e.Point[0], p)
		}
	}
	// Model +X is 30° north of grid east: a heading of 60°.
	if cam := m.Site.Elements; len(cam) != 1 || cam[0].Kind != "camera" || math.Abs(cam[0].Heading-60) > 1e-6 {
		t.Errorf("site elements = %+v", cam)
	}
	if !near(m.Site.Point, orb.Point{13.5, 43.62}, tol) {
		t.Errorf("site origin = %v", m.Site.Point)
	}
	fp := m.Buildings[0].Storeys[0].Spaces[0].Footprint
	if len(fp) != 1 || len(fp[0]) != 5 {
		t.Fatalf("footprint = %v", fp)
	}
	wantRing := orb.Ring{
		{13.5, 43.62},
		{13.5002123588, 43.6200928259}, // model (20, 0)
		{13.5001484717, 43.6201699641}, // model (20, 10)
	}
	for i, p := range wantRing {
		if !near(fp[0][i], p, tol) {
			t.Errorf("footprint vertex %d = %v, want %v", i, fp[0][i], p)
		}
	}
	// The sensor sits 5 m, 5 m into the hall: inside its footprint.
	ix, err := geo.NewIndex([]geo.Zone{{ID: "hall", Type: geo.ZoneBuildingFootprint, Geometry: orb.MultiPolygon{fp}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Buildings[0].Storeys[0].Elements {
		inside := len(ix.Containing(e.Point)) == 1
		if inside != (e.Space == "S01") {
			t.Errorf("%s inside the hall = %v", e.Name, inside)
		}
	}
}

// model builds an IFC4 file around DATA lines; the project, units and a
// site come first (lines 7–11), so added DATA starts on line 12.
func model(data string) string {
	return wrap(`
#1=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);
#2=IFCUNITASSIGNMENT((#1));
#3=IFCPROJECT('p',$,'P',$,$,$,$,$,#2);
#4=IFCSITE('s',$,'S',$,$,$,$,$,.ELEMENT.,(44,6,0),(9,49,48),$,$,$);
#5=IFCRELAGGREGATES('r',$,$,$,#3,(#4));` + data)
}

func TestParseMalformedModels(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts []Option
		want error
		msg  string
	}{
		{"too large", model(""), []Option{WithMaxBytes(100)}, ErrTooLarge, "more than 100 bytes"},
		{"syntax", model("\n#9=X("), nil, ErrSyntax, "line 13"},
		{"no schema", strings.Replace(model(""), "FILE_SCHEMA(('IFC4'));", "", 1), nil, ErrModel, "no FILE_SCHEMA"},
		{"other schema", strings.Replace(model(""), "'IFC4'", "'AP214'", 1), nil, ErrModel, `unsupported schema "AP214"`},
		{"no project", wrap("#1=IFCWALL('w');"), nil, ErrModel, "0 IfcProject"},
		{"two projects", model("\n#9=IFCPROJECT('q',$,'Q',$,$,$,$,$,$);"), nil, ErrModel, "2 IfcProject"},
		{"undefined reference", model("\n#9=IFCRELAGGREGATES('r2',$,$,$,#4,(#77));"), nil, ErrModel, "line 12: #9 IFCRELAGGREGATES: reference to undefined #77"},
		{"reference is a string", model("\n#9=IFCRELAGGREGATES('r2',$,$,$,'x',(#4));"), nil, ErrModel, "attribute 5 is not a reference"},
		{"self aggregation", model("\n#9=IFCRELAGGREGATES('r2',$,$,$,#4,(#4));"), nil, ErrModel, "#4 aggregates itself"},
		{"aggregation cycle", model(`
#9=IFCBUILDING('b',$,'B',$,$,$,$,$,.ELEMENT.,$,$,$);
#10=IFCBUILDINGSTOREY('st',$,'ST',$,$,$,$,$,.ELEMENT.,0.);
#11=IFCRELAGGREGATES('r2',$,$,$,#9,(#10));
#12=IFCRELAGGREGATES('r3',$,$,$,#10,(#9));`), nil, ErrModel, "aggregation cycle"},
		{"two parents", model(`
#9=IFCBUILDING('b',$,'B',$,$,$,$,$,.ELEMENT.,$,$,$);
#11=IFCRELAGGREGATES('r2',$,$,$,#4,(#9));
#12=IFCRELAGGREGATES('r3',$,$,$,#3,(#9));`), nil, ErrModel, "#9 is already part of #4"},
		{"placement cycle", model(`
#20=IFCCARTESIANPOINT((0.,0.,0.));
#21=IFCAXIS2PLACEMENT3D(#20,$,$);
#22=IFCLOCALPLACEMENT(#23,#21);
#23=IFCLOCALPLACEMENT(#22,#21);
#9=IFCBUILDING('b',$,'B',$,$,#22,$,$,.ELEMENT.,$,$,$);
#11=IFCRELAGGREGATES('r2',$,$,$,#4,(#9));`), nil, ErrModel, "placement cycle"},
		{"placement not a point", model(`
#21=IFCAXIS2PLACEMENT3D(#4,$,$);
#22=IFCLOCALPLACEMENT($,#21);
#9=IFCBUILDING('b',$,'B',$,$,#22,$,$,.ELEMENT.,$,$,$);
#11=IFCRELAGGREGATES('r2',$,$,$,#4,(#9));`), nil, ErrModel, "not an IfcCartesianPoint"},
		{"huge coordinate", model(`
#20=IFCCARTESIANPOINT((1.E300,0.,0.));
#21=IFCAXIS2PLACEMENT3D(#20,$,$);
#22=IFCLOCALPLACEMENT($,#21);
#9=IFCBUILDING('b',$,'B',$,$,#22,$,$,.ELEMENT.,$,$,$);
#11=IFCRELAGGREGATES('r2',$,$,$,#4,(#9));`), nil, ErrModel, "line 12: #20 IFCCARTESIANPOINT: coordinate 1 is not a usable number"},
		{"position off the Earth", model(`
#20=IFCCARTESIANPOINT((0.,1.E11,0.));
#21=IFCAXIS2PLACEMENT3D(#20,$,$);
#22=IFCLOCALPLACEMENT($,#21);
#9=IFCBUILDING('b',$,'B',$,$,#22,$,$,.ELEMENT.,$,$,$);
#11=IFCRELAGGREGATES('r2',$,$,$,#4,(#9));`), nil, ErrModel, "outside the Earth"},
		{"zero direction", model(`
#20=IFCCARTESIANPOINT((0.,0.,0.));
#24=IFCDIRECTION((0.,0.,0.));
#21=IFCAXIS2PLACEMENT3D(#20,#24,$);
#22=IFCLOCALPLACEMENT($,#21);
#9=IFCBUILDING('b',$,'B',$,$,#22,$,$,.ELEMENT.,$,$,$);
#11=IFCRELAGGREGATES('r2',$,$,$,#4,(#9));`), nil, ErrModel, "zero direction"},
		{"latitude out of range", strings.Replace(model(""), "(44,6,0)", "(95,0,0)", 1), nil, ErrModel, "compound angle part 1 (95) out of range"},
		{"minutes out of range", strings.Replace(model(""), "(44,6,0)", "(44,75,0)", 1), nil, ErrModel, "part 2 (75) out of range"},
		{"angle of reals", strings.Replace(model(""), "(44,6,0)", "(44.5,0,0)", 1), nil, ErrModel, "not an integer"},
		{"unit not metre", strings.Replace(model(""), ".METRE.", ".SECOND.", 1), nil, ErrModel, "is not METRE"},
		{"bad map conversion", model(`
#30=IFCPROJECTEDCRS('EPSG:32633',$,$,$,$,$,$);
#31=IFCMAPCONVERSION($,#30,1.E300,0.,0.,1.,0.,$);`), nil, ErrModel, "out of range"},
		{"map conversion to a non-CRS", model(`
#31=IFCMAPCONVERSION($,#4,0.,0.,0.,1.,0.,$);`), nil, ErrModel, "is not an IfcProjectedCRS"},
		{"pset map conversion not a number", model(`
#30=IFCPROPERTYSINGLEVALUE('Name',$,IFCLABEL('EPSG:32633'),$);
#31=IFCPROPERTYSET('ps1',$,'ePSet_ProjectedCRS',$,(#30));
#32=IFCPROPERTYSINGLEVALUE('Eastings',$,IFCLABEL('east'),$);
#33=IFCPROPERTYSET('ps2',$,'ePSet_MapConversion',$,(#32));`), nil, ErrModel, "property Eastings is not a number"},
		{"degenerate map rotation", model(`
#30=IFCPROJECTEDCRS('EPSG:32633',$,$,$,$,$,$);
#31=IFCMAPCONVERSION($,#30,0.,0.,0.,0.,0.,$);`), nil, ErrModel, "degenerate rotation"},
		{"bad rectangle", model(`
#20=IFCRECTANGLEPROFILEDEF(.AREA.,$,$,-1.,2.);
#21=IFCEXTRUDEDAREASOLID(#20,$,$,3.);
#22=IFCSHAPEREPRESENTATION($,'Body','SweptSolid',(#21));
#23=IFCPRODUCTDEFINITIONSHAPE($,$,(#22));
#9=IFCBUILDING('b',$,'B',$,$,$,$,$,.ELEMENT.,$,$,$);
#10=IFCBUILDINGSTOREY('st',$,'ST',$,$,$,$,$,.ELEMENT.,0.);
#12=IFCSPACE('sp',$,'SP',$,$,$,#23,$,.ELEMENT.,.INTERNAL.,$);
#11=IFCRELAGGREGATES('r2',$,$,$,#4,(#9));
#13=IFCRELAGGREGATES('r3',$,$,$,#9,(#10));
#14=IFCRELAGGREGATES('r4',$,$,$,#10,(#12));`), nil, ErrModel, "bad rectangle dimensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(strings.NewReader(tt.src), tt.opts...)
			if m != nil {
				t.Errorf("a model returned with an error")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
}

// TestParsePsetMapConversion checks the IFC2X3 property-set form of the
// map conversion against PROJ (model (100, 0) with a 30° rotation).
func TestParsePsetMapConversion(t *testing.T) {
	src := strings.Replace(model(`
#20=IFCCARTESIANPOINT((100.,0.,0.));
#21=IFCAXIS2PLACEMENT3D(#20,$,$);
#22=IFCLOCALPLACEMENT($,#21);
#23=IFCSENSOR('c',$,'Cam',$,$,#22,$,$,.CAMERA.);
#24=IFCRELCONTAINEDINSPATIALSTRUCTURE('r9',$,$,$,(#23),#4);
#30=IFCPROPERTYSINGLEVALUE('Name',$,IFCLABEL('EPSG:32633'),$);
#31=IFCPROPERTYSET('ps1',$,'ePSet_ProjectedCRS',$,(#30));
#32=IFCPROPERTYSINGLEVALUE('Eastings',$,IFCLENGTHMEASURE(378973.2522),$);
#33=IFCPROPERTYSINGLEVALUE('Northings',$,IFCLENGTHMEASURE(4830761.5361),$);
#34=IFCPROPERTYSINGLEVALUE('XAxisAbscissa',$,IFCREAL(0.86602540378),$);
#35=IFCPROPERTYSINGLEVALUE('XAxisOrdinate',$,IFCREAL(0.5),$);
#36=IFCPROPERTYSET('ps2',$,'ePSet_MapConversion',$,(#32,#33,#34,#35));`), "'IFC4'", "'IFC2X3'", 1)
	m, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if m.Georef != "map_conversion" || m.CRS != "EPSG:32633" || len(m.Site.Elements) != 1 {
		t.Fatalf("georef %q crs %q elements %v", m.Georef, m.CRS, m.Site.Elements)
	}
	if p := m.Site.Elements[0].Point; !near(p, orb.Point{13.5010618019, 43.6204641275}, 1e-8) {
		t.Errorf("camera at %v", p)
	}
}

func TestParseFallbacks(t *testing.T) {
	// An unsupported CRS falls back to the site reference, with a warning.
	m, err := Parse(strings.NewReader(model(`
#30=IFCPROJECTEDCRS('EPSG:3003',$,$,$,$,$,$);
#31=IFCMAPCONVERSION($,#30,1500000.,4900000.,0.,1.,0.,$);`)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Georef != "site_reference" || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "EPSG:3003") {
		t.Errorf("georef %q warnings %q", m.Georef, m.Warnings)
	}
	// No georeferencing at all: positions stay local.
	m, err = Parse(strings.NewReader(strings.Replace(model(""), "(44,6,0),(9,49,48)", "$,$", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Georef != "" || len(m.Warnings) != 1 || m.Site.Point != (orb.Point{}) {
		t.Errorf("georef %q warnings %q point %v", m.Georef, m.Warnings, m.Site.Point)
	}
}

// TestParseNoPanicOnCorruption flips bytes of the test files: every result
// is a model or an error, never a panic or a hang.
func TestParseNoPanicOnCorruption(t *testing.T) {
	for _, name := range []string{"testdata/harbour_office_ifc2x3.ifc", "testdata/ferry_terminal_ifc4.ifc"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(data); i += 4 {
			for _, c := range []byte{'#', '(', ')', '\'', '$', '9'} {
				mut := bytes.Clone(data)
				mut[i] = c
				if m, err := Parse(bytes.NewReader(mut)); (m == nil) == (err == nil) {
					t.Fatalf("%s byte %d → %q: model %v, error %v", name, i, c, m != nil, err)
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/harbour_office_ifc2x3.ifc", "testdata/ferry_terminal_ifc4.ifc", "testdata/malformed_truncated.ifc"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(model("")))
	f.Add([]byte(wrap(`#1=X('\X2\00E0\X0\',(1,2.,.T.,$,*,#2),IFCLABEL('a'),"0F");`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(bytes.NewReader(data), WithMaxBytes(1<<20))
		if err != nil {
			if m != nil {
				t.Fatal("a model returned with an error")
			}
			return
		}
		for _, e := range allElements(m) {
			if math.IsNaN(e.Point[0]) || math.IsNaN(e.Point[1]) || math.Abs(e.Point[0]) > 180 || math.Abs(e.Point[1]) > 90 {
				t.Fatalf("element %q at %v", e.Name, e.Point)
			}
		}
	})
}
