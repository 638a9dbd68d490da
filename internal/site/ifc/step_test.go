package ifc

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wrap puts DATA instances into a minimal exchange structure; the first
// instance is on line 6.
func wrap(data string) string {
	return "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;" + data + "\nENDSEC;\nEND-ISO-10303-21;\n"
}

func TestParseSTEPValues(t *testing.T) {
	src := wrap(`#1=IFCTHING('a''b',$,*,.T.,-12,3.5E-2,#22,(1,(2.,'x')),IFCLABEL('lab'),"0FF",'',1.,-0.5,+7);
/* comment with ; and ' inside */ #22 = IFCOTHER ( ) ;
#3=(IFCA(1)IFCB('b'));`)
	f, err := ParseSTEP([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{
		{Kind: KindString, Str: "a'b"},
		{Kind: KindNull},
		{Kind: KindDerived},
		{Kind: KindEnum, Str: "T"},
		{Kind: KindInteger, Int: -12},
		{Kind: KindReal, Real: 0.035},
		{Kind: KindRef, Ref: 22},
		{Kind: KindList, List: []Value{{Kind: KindInteger, Int: 1}, {Kind: KindList, List: []Value{{Kind: KindReal, Real: 2}, {Kind: KindString, Str: "x"}}}}},
		{Kind: KindTyped, Str: "IFCLABEL", List: []Value{{Kind: KindString, Str: "lab"}}},
		{Kind: KindBinary, Str: "0FF"},
		{Kind: KindString, Str: ""},
		{Kind: KindReal, Real: 1},
		{Kind: KindReal, Real: -0.5},
		{Kind: KindInteger, Int: 7},
	}
	e := f.Entities[1]
	if e == nil || e.Type != "IFCTHING" || e.Line != 6 {
		t.Fatalf("entity #1 = %+v", e)
	}
	if diff := cmp.Diff(want, e.Args); diff != "" {
		t.Errorf("args mismatch (-want +got):\n%s", diff)
	}
	if e := f.Entities[22]; e == nil || e.Type != "IFCOTHER" || len(e.Args) != 0 || e.Line != 7 {
		t.Errorf("entity #22 = %+v", e)
	}
	wantParts := []Record{
		{Type: "IFCA", Args: []Value{{Kind: KindInteger, Int: 1}}},
		{Type: "IFCB", Args: []Value{{Kind: KindString, Str: "b"}}},
	}
	if diff := cmp.Diff(wantParts, f.Entities[3].Parts); diff != "" {
		t.Errorf("complex instance mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"IFC4"}, f.Schemas); diff != "" {
		t.Errorf("schemas (-want +got):\n%s", diff)
	}
}

func TestParseSTEPStrings(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`'plain'`, "plain"},
		{`'it''s'`, "it's"},
		{`'Autorit\X2\00E0\X0\'`, "Autorità"},
		{`'\X2\00C800E8\X0\'`, "Èè"},
		{`'\X2\D83DDE80\X0\'`, "🚀"},
		{`'\X4\0001F680\X0\'`, "🚀"},
		{`'caff\X\E8'`, "caffè"},
		{`'\S\h'`, "è"},
		{`'a\\b'`, `a\b`},
		{`'C:\dir'`, `C:\dir`},
		{`'\PA\x'`, "x"},
		{`'line\N\two'`, "line\ntwo"},
		{"'gi\xc3\xa0'", "già"},
		{"'gi\xe0'", "già"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := ParseSTEP([]byte(wrap("#1=X(" + tt.in + ");")))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Entities[1].Args[0].Str; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseSTEPMalformed(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		msg  string
	}{
		{"empty", "", 1, "want a keyword"},
		{"not STEP", "hello;", 1, "want ISO-10303-21"},
		{"no header", "ISO-10303-21;\nDATA;", 2, "want HEADER"},
		{"no data", "ISO-10303-21;\nHEADER;\nENDSEC;\nEND-ISO-10303-21;", 4, "no DATA section"},
		{"missing ENDSEC", "ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n#1=X();\n", 6, "missing ENDSEC"},
		{"truncated entity", "ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n#1=IFCWALL('a',", 5, "unexpected end of input, want a value"},
		{"ENDSEC inside an entity", wrap("#1=IFCWALL('a',"), 7, "unexpected ';', want '('"},
		{"unterminated string", wrap("\n#1=X('abc);\n#2=Y();"), 7, "unterminated string"},
		{"unterminated comment", wrap("\n/* never closed"), 7, "unterminated comment"},
		{"missing semicolon", wrap("#1=X()\n#2=Y();"), 7, `want ';'`},
		{"duplicate id", wrap("#1=X();\n#1=Y();"), 7, "#1 defined again (first on line 6)"},
		{"huge integer", wrap("#1=X(99999999999999999999);"), 6, "integer 99999999999999999999 out of range"},
		{"huge real", wrap("#1=X(1.E999);"), 6, "number 1.E999 out of range"},
		{"huge reference", wrap("#1=X(#99999999999999999999);"), 6, "out of range"},
		{"bad number", wrap("#1=X(1.2.3);"), 6, "bad number"},
		{"lone sign", wrap("#1=X(-);"), 6, "bad number"},
		{"hash without number", wrap("#1=X(#);"), 6, "not followed by a number"},
		{"unterminated enum", wrap("#1=X(.T);"), 6, "unterminated enumeration"},
		{"bad binary", wrap(`#1=X("0FZ");`), 6, "bad binary"},
		{"bad X2 escape", wrap(`#1=X('\X2\00ZZ\X0\');`), 6, `bad hex digits`},
		{"X2 escape cut by the quote", wrap(`#1=X('\X2\00E');`), 6, `bad hex digits "00E'"`},
		{"unterminated X2 escape", "ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n#1=X('\\X2\\00", 5, `unterminated \X2\`},
		{"bad X escape", wrap(`#1=X('\X\G1');`), 6, `bad \X\ escape`},
		{"X4 beyond Unicode", wrap(`#1=X('\X4\7FFFFFFF\X0\');`), 6, "out of range"},
		{"garbage in list", wrap("#1=X(1 2);"), 6, "in a parameter list"},
		{"stray token in DATA", wrap("#1=X();\nFOO;"), 7, "want an entity instance"},
		{"empty complex", wrap("#1=();"), 6, "empty complex instance"},
		{"too deep", wrap("#1=X(" + strings.Repeat("(", 100) + strings.Repeat(")", 100) + ");"), 6, "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseSTEP([]byte(tt.src))
			if f != nil {
				t.Errorf("a file returned with an error")
			}
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("error = %v, want a *SyntaxError", err)
			}
			if se.Line != tt.line || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("error = %v, want line %d and %q", err, tt.line, tt.msg)
			}
		})
	}
}

func TestParseSTEPTruncatedFile(t *testing.T) {
	data, err := os.ReadFile("testdata/malformed_truncated.ifc")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseSTEP(data)
	if err == nil || err.Error() != "ifc: line 33: unterminated string" {
		t.Errorf("error = %v, want the unterminated string on line 33", err)
	}
	// Every prefix of a valid file fails cleanly.
	full, err := os.ReadFile("testdata/harbour_office_ifc2x3.ifc")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(full)-1; n += 7 {
		if _, err := ParseSTEP(full[:n]); !errors.Is(err, ErrSyntax) {
			t.Fatalf("prefix of %d bytes: error = %v, want ErrSyntax", n, err)
		}
	}
}
