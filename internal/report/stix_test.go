package report

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func sampleInput() Input {
	n := 0
	return Input{
		Case: store.Case{ID: "c1", TenantID: "t1", Title: "Ransomware sul server dell'anagrafe — città", Description: "File cifrati; accesso di m.rossi.",
			Status: store.CaseOpen, Severity: "high", Category: store.CatRansomware, TLP: "amber+strict", Significant: true, PersonalData: true,
			AwarenessAt: time.Date(2026, 3, 28, 9, 30, 0, 0, time.UTC), CreatedAt: time.Date(2026, 3, 28, 9, 40, 0, 0, time.UTC)},
		Reporter: store.Tenant{ID: "t1", Name: "Comune di Lerici", Kind: store.KindMunicipality, Country: "IT"},
		Observables: []store.Observable{
			{Type: "ip", Value: "203.0.113.7"},
			{Type: "ip", Value: "2001:db8::1"},
			{Type: "domain", Value: "Evil.Example"},
			{Type: "url", Value: "http://evil.example/a'b"},
			{Type: "hash", Value: strings.Repeat("ab", 32)},
			{Type: "email", Value: "x@evil.example"},
			{Type: "user", Value: "m.rossi", Personal: true},
			{Type: "ip", Value: "192.0.2.44", Personal: true},
			{Type: "vessel", Value: "247123456"},
			{Type: "ip", Value: "not an ip"},
		},
		Stage:     "early_warning",
		Pseudonym: func(kind, v string) string { return "pseud-" + kind + "-0011223344556677" },
		Now:       time.Date(2026, 3, 28, 11, 0, 0, 0, time.UTC),
		NewID: func() uuid.UUID {
			n++
			return uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(n)})
		},
	}
}

func TestSCOID(t *testing.T) {
	ns := uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")
	tests := []struct {
		typ   string
		props map[string]any
		canon string
	}{
		{"ipv4-addr", map[string]any{"value": "203.0.113.7"}, `{"value":"203.0.113.7"}`},
		{"file", map[string]any{"hashes": map[string]any{"SHA-256": "ab", "MD5": "cd"}}, `{"hashes":{"MD5":"cd","SHA-256":"ab"}}`},
		{"url", map[string]any{"value": "http://x/é<"}, `{"value":"http://x/é<"}`},
	}
	for _, tt := range tests {
		got, err := SCOID(tt.typ, tt.props)
		if err != nil {
			t.Fatal(err)
		}
		if want := tt.typ + "--" + uuid.NewSHA1(ns, []byte(tt.canon)).String(); got != want {
			t.Errorf("SCOID(%s %v) = %s, want %s (over %s)", tt.typ, tt.props, got, want, tt.canon)
		}
	}
}

func build(t *testing.T, in Input) []byte {
	t.Helper()
	b, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestBuild(t *testing.T) {
	data := build(t, sampleInput())
	b, err := ParseBundle(data)
	if err != nil {
		t.Fatalf("ParseBundle of our own bundle: %v", err)
	}
	count := map[string]int{}
	for _, o := range b.Objects {
		count[o.Type()]++
	}
	// ip, ipv6, domain, url, hash, email, pseudonymised user; the
	// pseudonymised IP, the vessel and the bad IP make no SCO.
	want := map[string]int{"marking-definition": 1, "identity": 1, "incident": 1, "observed-data": 1,
		"indicator": 5, "sighting": 5, "ipv4-addr": 1, "ipv6-addr": 1, "domain-name": 1, "url": 1, "file": 1,
		"email-addr": 1, "user-account": 1}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%s objects = %d, want %d", k, count[k], v)
		}
	}
	s := string(data)
	for _, leak := range []string{"m.rossi", "192.0.2.44"} {
		if strings.Contains(s, leak) {
			t.Errorf("personal value %q leaked into the bundle", leak)
		}
	}
	inc := b.Incident()
	ext := inc["extensions"].(map[string]any)[IncidentCoreExt].(map[string]any)
	if ext["determination"] != "confirmed" || ext["investigation_status"] != "open" || ext["extension_type"] != "property-extension" {
		t.Errorf("incident core = %v", ext)
	}
	if !strings.Contains(inc["description"].(string), "pseud-ip-0011223344556677") {
		t.Errorf("pseudonymised IP not listed: %q", inc["description"])
	}
	if refs := inc["object_marking_refs"].([]any); refs[0] != TLPMarkings["amber+strict"] {
		t.Errorf("marking = %v", refs)
	}
	if !strings.Contains(s, `"pattern": "[url:value = 'http://evil.example/a\\'b']"`) {
		t.Error("quote in URL pattern not escaped")
	}
	if !strings.Contains(s, `"value": "evil.example"`) {
		t.Error("domain not lower-cased")
	}
	// Same input, same bytes.
	if again := build(t, sampleInput()); !bytes.Equal(again, data) {
		t.Error("Build is not deterministic with fixed ids")
	}
	// In clear when the user chooses to include personal data.
	in := sampleInput()
	in.Pseudonym = nil
	if clear := string(build(t, in)); !strings.Contains(clear, "m.rossi") || !strings.Contains(clear, "192.0.2.44") {
		t.Error("personal data missing from a clear report")
	}
}

func TestBundleSchemas(t *testing.T) {
	dir := testenv.SharedData(t, "stix2-json-schemas/schemas")
	data := build(t, sampleInput())
	validateBundle(t, dir, data)

	// The checker itself must catch a broken object.
	var v map[string]any
	_ = json.Unmarshal(data, &v)
	for _, o := range v["objects"].([]any) {
		obj := o.(map[string]any)
		switch obj["type"] {
		case "incident":
			delete(obj, "name")
		case "indicator":
			obj["valid_from"] = "yesterday"
		}
	}
	broken, _ := json.Marshal(v)
	sub := &fakeT{}
	validateBundleInto(sub, dir, broken)
	if len(sub.errs) < 2 {
		t.Errorf("schema check missed broken objects: %v", sub.errs)
	}
}

// fakeT collects the errors of validateBundleInto.
type fakeT struct{ errs []string }

func (f *fakeT) Errorf(format string, args ...any) { f.errs = append(f.errs, format) }

// validateBundleInto is validateBundle reporting into r.
func validateBundleInto(r interface{ Errorf(string, ...any) }, dir string, data []byte) {
	s := newSchemaSet(dir)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		r.Errorf("%v", err)
		return
	}
	for _, o := range v["objects"].([]any) {
		obj := o.(map[string]any)
		path := schemaFor(dir, obj["type"].(string))
		sch, err := s.load(path)
		if err != nil {
			r.Errorf("%v", err)
			continue
		}
		for _, e := range s.validate(sch, path, obj, obj["id"].(string)) {
			r.Errorf("%s", e)
		}
	}
}

func TestParseBundleExamples(t *testing.T) {
	dir := testenv.SharedData(t, "stix2-json-schemas/examples")
	for _, name := range []string{"indicator-for-c2-ip-address.json", "threat-reports/poisonivy.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseBundle(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseBundleMalformed(t *testing.T) {
	good := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` +
		`{"type":"identity","spec_version":"2.1","id":"identity--0d0092c5-5f74-4287-9642-33f4c354e56d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"x"}]}`
	if _, err := ParseBundle([]byte(good)); err != nil {
		t.Fatalf("good bundle refused: %v", err)
	}
	tests := []struct{ name, in string }{
		{"empty", ``},
		{"not json", `{`},
		{"array", `[]`},
		{"wrong type", strings.Replace(good, `"type":"bundle"`, `"type":"report"`, 1)},
		{"bundle spec_version", strings.Replace(good, `"type":"bundle",`, `"type":"bundle","spec_version":"2.1",`, 1)},
		{"bad bundle id", strings.Replace(good, "bundle--5d0092c5", "bundle--zz0092c5", 1)},
		{"null object", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[null]}`},
		{"id of other type", strings.Replace(good, "identity--0d", "indicator--0d", 1)},
		{"sdo without spec_version", strings.Replace(good, `"spec_version":"2.1",`, ``, 1)},
		{"created without ms", strings.Replace(good, `"created":"2026-01-01T00:00:00.000Z"`, `"created":"2026-01-01T00:00:00Z"`, 1)},
		{"modified before created", strings.Replace(good, `"modified":"2026-01-01T00:00:00.000Z"`, `"modified":"2025-01-01T00:00:00.000Z"`, 1)},
		{"dangling ref", strings.Replace(good, `"name":"x"`, `"name":"x","object_refs":["indicator--0d0092c5-5f74-4287-9642-33f4c354e56d"]`, 1)},
		{"bad ref", strings.Replace(good, `"name":"x"`, `"name":"x","created_by_ref":42`, 1)},
		{"trailing data", good + `{}`},
		{"objects not a list", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBundle([]byte(tt.in))
			if !errors.Is(err, ErrBundle) || b != nil {
				t.Errorf("ParseBundle = %v, %v; want ErrBundle", b, err)
			}
		})
	}
}

func FuzzParseBundle(f *testing.F) {
	in := sampleInput()
	b, _ := Build(in)
	data, _ := b.Marshal()
	f.Add(data)
	f.Add([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			if b != nil {
				t.Fatal("bundle returned with an error")
			}
			return
		}
		if b.Type != "bundle" {
			t.Fatalf("accepted type %q", b.Type)
		}
		for _, o := range b.Objects {
			if !strings.HasPrefix(o.ID(), o.Type()+"--") {
				t.Fatalf("accepted id %q for type %q", o.ID(), o.Type())
			}
		}
	})
}

// pdfText inflates every stream of a PDF and returns them joined, so a
// test can look for the text drawn.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	var out strings.Builder
	rest := pdf
	for {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			break
		}
		rest = rest[i+len("stream\n"):]
		j := bytes.Index(rest, []byte("endstream"))
		if j < 0 {
			break
		}
		if r, err := zlib.NewReader(bytes.NewReader(rest[:j])); err == nil {
			b, _ := io.ReadAll(r)
			out.Write(b)
		}
		rest = rest[j:]
	}
	return out.String()
}

func TestPDF(t *testing.T) {
	for _, lang := range []string{"it", "en"} {
		t.Run(lang, func(t *testing.T) {
			in := PDFInput{Input: sampleInput(), Recipient: "COSC Liguria", Printer: i18n.NewPrinter(lang),
				Clocks: []store.CaseClock{{Regime: "nis2", Stage: "early_warning", DeadlineAt: time.Date(2026, 3, 29, 9, 30, 0, 0, time.UTC)}},
				Timeline: []store.TimelineEntry{{At: time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC), Text: "Isolato il server"},
					{At: time.Date(2026, 3, 28, 10, 5, 0, 0, time.UTC), Text: "Accesso RDP di m.rossi da 192.0.2.44"}},
				Blocks: []store.Block{{Kind: "block_ip", Target: "192.0.2.44"}}}
			pdf, err := PDF(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("not a PDF: %q", pdf[:8])
			}
			text := pdfText(t, pdf)
			// cp1252: the accented letters survive as single bytes.
			for _, want := range []string{"Ransomware sul server dell", "citt\xe0", "COSC Liguria", "Isolato il server", "pseud-user-0011223344556677"} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF lacks %q", want)
				}
			}
			if strings.Contains(text, "m.rossi") || strings.Contains(text, "192.0.2.44") {
				t.Error("personal data in clear in a pseudonymised PDF")
			}
			stage := i18n.NewPrinter(lang).T("cases.report.stage.early_warning")
			if stage == "cases.report.stage.early_warning" {
				t.Fatal("translation missing")
			}
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	in := sampleInput()
	b.ReportAllocs()
	for b.Loop() {
		bb, err := Build(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bb.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPDF(b *testing.B) {
	in := PDFInput{Input: sampleInput(), Recipient: "COSC Liguria", Printer: i18n.NewPrinter("it")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PDF(in); err != nil {
			b.Fatal(err)
		}
	}
}
