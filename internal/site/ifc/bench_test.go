package ifc

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// synthIFC writes an IFC2X3 model with storeys of spaces (polyline
// footprints) each holding a door and a sensor: about 25 instances per
// space.
func synthIFC(storeys, spacesPerStorey int) []byte {
	var b bytes.Buffer
	b.WriteString("ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('synthetic'),'2;1');\nFILE_NAME('s.ifc','2026-11-24',(''),(''),'','','');\nFILE_SCHEMA(('IFC2X3'));\nENDSEC;\nDATA;\n")
	b.WriteString(`#1=IFCSIUNIT(*,.LENGTHUNIT.,.MILLI.,.METRE.);
#2=IFCUNITASSIGNMENT((#1));
#3=IFCCARTESIANPOINT((0.,0.,0.));
#4=IFCDIRECTION((0.,0.,1.));
#5=IFCDIRECTION((1.,0.,0.));
#6=IFCAXIS2PLACEMENT3D(#3,#4,#5);
#7=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#6,$);
#8=IFCPROJECT('p',$,'Synthetic',$,$,$,$,(#7),#2);
#9=IFCLOCALPLACEMENT($,#6);
#10=IFCSITE('s',$,'Site',$,$,#9,$,$,.ELEMENT.,(44,6,0,0),(9,49,48,0),0.,$,$);
#11=IFCLOCALPLACEMENT(#9,#6);
#12=IFCBUILDING('b',$,'Building',$,$,#11,$,$,.ELEMENT.,$,$,$);
#13=IFCRELAGGREGATES('r1',$,$,$,#8,(#10));
#14=IFCRELAGGREGATES('r2',$,$,$,#10,(#12));
`)
	id := 100
	next := func() int { id++; return id }
	var storeyIDs []int
	for s := range storeys {
		pt, ax, pl, st := next(), next(), next(), next()
		fmt.Fprintf(&b, "#%d=IFCCARTESIANPOINT((0.,0.,%d.));\n#%d=IFCAXIS2PLACEMENT3D(#%d,$,$);\n#%d=IFCLOCALPLACEMENT(#11,#%d);\n", pt, s*3500, ax, pt, pl, ax)
		fmt.Fprintf(&b, "#%d=IFCBUILDINGSTOREY('st%d',$,'Storey %d',$,$,#%d,$,$,.ELEMENT.,%d.);\n", st, s, s, pl, s*3500)
		storeyIDs = append(storeyIDs, st)
		var spaces, elems []int
		for k := range spacesPerStorey {
			x, y := (k%20)*6000, (k/20)*8000
			spt, sax, spl := next(), next(), next()
			fmt.Fprintf(&b, "#%d=IFCCARTESIANPOINT((%d.,%d.,0.));\n#%d=IFCAXIS2PLACEMENT3D(#%d,$,$);\n#%d=IFCLOCALPLACEMENT(#%d,#%d);\n", spt, x, y, sax, spt, spl, pl, sax)
			var corners [4]int
			for c, xy := range [4][2]int{{0, 0}, {6000, 0}, {6000, 8000}, {0, 8000}} {
				corners[c] = next()
				fmt.Fprintf(&b, "#%d=IFCCARTESIANPOINT((%d.,%d.));\n", corners[c], xy[0], xy[1])
			}
			poly, prof, solid, rep, shape, space := next(), next(), next(), next(), next(), next()
			fmt.Fprintf(&b, "#%d=IFCPOLYLINE((#%d,#%d,#%d,#%d,#%d));\n", poly, corners[0], corners[1], corners[2], corners[3], corners[0])
			fmt.Fprintf(&b, "#%d=IFCARBITRARYCLOSEDPROFILEDEF(.AREA.,$,#%d);\n#%d=IFCEXTRUDEDAREASOLID(#%d,#6,#4,3000.);\n", prof, poly, solid, prof)
			fmt.Fprintf(&b, "#%d=IFCSHAPEREPRESENTATION($,'Body','SweptSolid',(#%d));\n#%d=IFCPRODUCTDEFINITIONSHAPE($,$,(#%d));\n", rep, solid, shape, rep)
			fmt.Fprintf(&b, "#%d=IFCSPACE('sp%d_%d',$,'%d%02d',$,$,#%d,#%d,'Room \\X2\\00E8\\X0\\ %d',.ELEMENT.,.INTERNAL.,$);\n", space, s, k, s, k, spl, shape, k)
			spaces = append(spaces, space)
			for _, kind := range []string{"IFCDOOR('d%d_%d',$,'Door %[1]d.%[2]d',$,$,#%[3]d,$,'D',2100.,900.)", "IFCSENSOR('se%d_%d',$,'Sensor %[1]d.%[2]d',$,$,#%[3]d,$,'S')"} {
				ept, eax, epl, el := next(), next(), next(), next()
				fmt.Fprintf(&b, "#%d=IFCCARTESIANPOINT((1000.,500.,0.));\n#%d=IFCAXIS2PLACEMENT3D(#%d,$,$);\n#%d=IFCLOCALPLACEMENT(#%d,#%d);\n", ept, eax, ept, epl, spl, eax)
				fmt.Fprintf(&b, "#%d=", el)
				fmt.Fprintf(&b, kind, s, k, epl)
				b.WriteString(";\n")
				elems = append(elems, el)
			}
		}
		writeRel(&b, next(), "IFCRELAGGREGATES", st, spaces, true)
		writeRel(&b, next(), "IFCRELCONTAINEDINSPATIALSTRUCTURE", st, elems, false)
	}
	writeRel(&b, next(), "IFCRELAGGREGATES", 12, storeyIDs, true)
	b.WriteString("ENDSEC;\nEND-ISO-10303-21;\n")
	return b.Bytes()
}

func writeRel(b *bytes.Buffer, id int, typ string, whole int, parts []int, aggregates bool) {
	fmt.Fprintf(b, "#%d=%s('rel%d',$,$,$,", id, typ, id)
	if aggregates {
		fmt.Fprintf(b, "#%d,", whole)
	}
	b.WriteByte('(')
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "#%d", p)
	}
	b.WriteByte(')')
	if !aggregates {
		fmt.Fprintf(b, ",#%d", whole)
	}
	b.WriteString(");\n")
}

func TestSynthIFC(t *testing.T) {
	m, err := Parse(bytes.NewReader(synthIFC(3, 50)))
	if err != nil {
		t.Fatal(err)
	}
	st := m.Buildings[0].Storeys
	if len(st) != 3 || len(st[2].Spaces) != 50 || len(st[2].Elements) != 100 || st[2].Elevation != 7 {
		t.Fatalf("synthetic model: %d storeys", len(st))
	}
	if fp := st[1].Spaces[49].Footprint; len(fp) != 1 || len(fp[0]) != 5 {
		t.Errorf("footprint = %v", fp)
	}
}

func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name string
		data []byte
	}{
		{"synthetic-10x200", synthIFC(10, 200)},
	}
	if data, err := os.ReadFile("testdata/harbour_office_ifc2x3.ifc"); err == nil {
		cases = append(cases, struct {
			name string
			data []byte
		}{"harbour-office", data})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f, err := ParseSTEP(c.data)
			if err != nil {
				b.Fatal(err)
			}
			n := len(f.Entities)
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bytes.NewReader(c.data)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
		})
	}
}
