package normalize

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
)

func TestNew(t *testing.T) {
	for _, f := range Formats() {
		opts := Options{}
		if f == "json" {
			opts.FieldMap = map[string]string{"a": "message"}
		}
		p, err := New(f, opts)
		if err != nil {
			t.Errorf("New(%q): %v", f, err)
			continue
		}
		if p.Name() != f && !(f == "access" && p.Name() == "access") {
			t.Errorf("New(%q).Name() = %q", f, p.Name())
		}
	}
	for alias, want := range map[string]string{"nginx": "access", "Apache": "access", "rfc5424": "syslog5424",
		"rfc3164": "syslog3164", "winlogbeat": "windows", "nxlog": "windows", "sysmon": "windows"} {
		p, err := New(alias, Options{})
		if err != nil || p.Name() != want {
			t.Errorf("New(%q) = %v, %v; want %s", alias, p, err, want)
		}
	}
	if _, err := New("evtx-binary", Options{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown format: %v", err)
	}
	if _, err := New("json", Options{}); !errors.Is(err, ErrNoFieldMap) {
		t.Errorf("json without map: %v", err)
	}
}

func TestFormatsMalformed(t *testing.T) {
	tests := []struct{ name, format, in, reason string }{
		{"cef short header", "cef", "CEF:0|V|P|1|sig|name", "header has 5 of 7 fields"},
		{"cef bad version", "cef", "CEF:x|V|P|1|sig|name|5|", "invalid version"},
		{"cef bad severity", "cef", "CEF:0|V|P|1|sig|name|11|src=1.2.3.4", "invalid severity"},
		{"cef extension without key", "cef", "CEF:0|V|P|1|sig|name|5|=oops", "extension without key"},
		{"cef no record after header", "cef", "<13>Nov 24 10:11:12 h app: hello", "no valid CEF record"},
		{"cef bad syslog header", "cef", "<999>garbage CEF:0|V|P|1|s|n|5|", "invalid priority"},
		{"frigate bad type", "frigate", `{"type":"delete","after":{"id":"1","camera":"c","label":"person"}}`, "invalid type"},
		{"frigate no camera", "frigate", `{"type":"new","after":{"id":"1","label":"person"}}`, "missing after.id or after.camera"},
		{"frigate neither", "frigate", `{"type":"new","after":{"id":"1","camera":"c"}}`, "neither an event"},
		{"frigate not json", "frigate", `frigate/events {"type":"new"}`, "invalid JSON"},
		{"access control no door", "accesscontrol", `{"time":"2026-11-24T00:00:00Z","result":"granted"}`, "missing door"},
		{"access control no time", "accesscontrol", `{"door":"d","result":"granted"}`, "missing time"},
		{"access control bad time", "accesscontrol", `{"time":"24/11/2026","door":"d","result":"granted"}`, "invalid time"},
		{"access control bad result", "accesscontrol", `{"time":"2026-11-24T00:00:00Z","door":"d","result":"maybe"}`, "invalid result"},
		{"access control array", "accesscontrol", `[]`, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := New(tt.format, Options{})
			ev := event.Event{Fields: map[string]any{"stale": 1}}
			err := p.Parse([]byte(tt.in), &ev)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %v, want ErrMalformed with %q", err, tt.reason)
			}
			if len(ev.Fields) != 0 || ev.Raw != "" {
				t.Errorf("half-accepted: %v", ev.Fields)
			}
		})
	}
}

// TestCEFEscapes covers STANDARDS §9: header \| and \\, extension \=, \\,
// \n, \r, unescaped | in the extension, values with spaces up to the next key.
func TestCEFEscapes(t *testing.T) {
	p, _ := New("cef", Options{})
	in := `CEF:0|ven\|dor|pro\\duct|1|id|na\|me|Low|msg=a\=b c\\d\nline2\rx cs1=x|y  spaced value cs1Label=Label with spaces`
	var ev event.Event
	if err := p.Parse([]byte(in), &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"observer.vendor": "ven|dor", "observer.product": `pro\duct`, "cef.name": "na|me",
		"event.severity": int64(3), "message": "a=b c\\d\nline2\rx", "cef.extensions.cs1": "x|y  spaced value",
		"cef.extensions.cs1Label": "Label with spaces"}
	got := map[string]any{}
	for k := range want {
		got[k] = ev.Fields[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzCEF(f *testing.F) {
	for _, s := range []string{
		"CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232",
		`CEF:0|a\|b|c\\|1|2|n|High|msg=x\=y z=1 rt=Nov 24 2026 10:11:12`, "<13>Nov 24 10:11:12 h CEF:0|a|b|c|d|e|5|",
		"CEF:0|||||||", "CEF:", `CEF:0|a|b|c|d|e|5|k=\`, "CEF:0|a|b|c|d|e|5|k= k2=",
	} {
		f.Add([]byte(s))
	}
	p, _ := New("cef", Options{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var ev event.Event
		if err := p.Parse(in, &ev); err != nil {
			if !errors.Is(err, ErrMalformed) || len(ev.Fields) != 0 {
				t.Fatalf("err %v fields %v", err, ev.Fields)
			}
			return
		}
		checkValueTypes(t, &ev)
	})
}

// FuzzJSONFormats runs the JSON-based parsers (generic map, Frigate,
// access control) on arbitrary input.
func FuzzJSONFormats(f *testing.F) {
	for _, s := range []string{
		`{"type":"new","after":{"id":"1","camera":"c","label":"person","score":0.5,"current_zones":["z"],"box":[1,2,3,4],"frame_time":1.5}}`,
		`{"type":"end","before":{"id":"1","camera":"c","severity":"alert","data":{"objects":["person"],"zones":[]}}}`,
		`{"time":1795420800123,"door":"d","result":"forced","badge_id":12}`, `{"ts":"2026-11-24T10:00:00Z","src":{"addr":"x"}}`,
		`{"time":-1,"door":"d","result":"granted"}`, `{"time":1e300,"door":"d","result":"granted"}`,
	} {
		f.Add([]byte(s))
	}
	jm, _ := New("json", Options{FieldMap: map[string]string{"ts": "@timestamp", "src.addr": "source.ip", "time": "@timestamp"}})
	fr, _ := New("frigate", Options{})
	ac, _ := New("accesscontrol", Options{})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, p := range []Parser{jm, fr, ac} {
			var ev event.Event
			if err := p.Parse(in, &ev); err != nil {
				if !errors.Is(err, ErrMalformed) || len(ev.Fields) != 0 {
					t.Fatalf("%s: err %v fields %v", p.Name(), err, ev.Fields)
				}
				continue
			}
			checkValueTypes(t, &ev)
		}
	})
}

func TestParseStream(t *testing.T) {
	in := strings.Join([]string{
		"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
		"",
		"garbage line",
		"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\r",
		"<13>" + strings.Repeat("x", MaxLineBytes+10),
		"<13>Nov 24 10:11:12 h app: last line without newline",
	}, "\n")
	p, _ := New("syslog", Options{})
	var out bytes.Buffer
	ok, bad, err := ParseStream(p, strings.NewReader(in), &out, "tenant-1", "src-syslog")
	if err != nil {
		t.Fatal(err)
	}
	if ok != 3 || bad != 2 {
		t.Fatalf("ok %d bad %d, want 3 and 2", ok, bad)
	}
	sc := bufio.NewScanner(&out)
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("output is not NDJSON: %v: %q", err, sc.Text())
		}
		lines = append(lines, m)
	}
	if len(lines) != 5 {
		t.Fatalf("%d output lines, want 5", len(lines))
	}
	if lines[0]["tenant_id"] != "tenant-1" || lines[0]["source_id"] != "src-syslog" || lines[0]["id"] == "" ||
		lines[0]["fields"].(map[string]any)["user.name"] != "lonvick" {
		t.Errorf("first event: %v", lines[0])
	}
	if lines[1]["line"] != float64(3) || !strings.Contains(lines[1]["error"].(string), "malformed input") {
		t.Errorf("error record: %v", lines[1])
	}
	if lines[3]["line"] != float64(5) || !strings.Contains(lines[3]["error"].(string), "longer than") {
		t.Errorf("long line record: %v", lines[3])
	}
	if lines[2]["raw"] != "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186" {
		t.Errorf("raw = %q", lines[2]["raw"])
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestParseStreamWriteError(t *testing.T) {
	p, _ := New("syslog", Options{})
	_, _, err := ParseStream(p, strings.NewReader("<13>Nov 24 10:11:12 h app: m\n"), failWriter{}, "t", "s")
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

var (
	benchCEF     = []byte(`<134>Nov 24 10:11:12 fw-porto-01 CEF:0|Palo Alto Networks|PAN-OS|10.2|threat|spyware|8|rt=1732442400123 src=10.20.1.15 spt=50122 dst=203.0.113.66 dpt=443 proto=TCP act=reset-both suser=COMUNE\\operatore request=http://203.0.113.66/a?b=c cs1Label=Rule cs1=block-c2`)
	benchFrigate = []byte(`{"type":"update","before":{"id":"1732440672.347815-x4k2pb","camera":"varco_nord","label":"person","score":0.74,"current_zones":["banchina_3"]},"after":{"id":"1732440672.347815-x4k2pb","camera":"varco_nord","frame_time":1732440702.112044,"label":"person","sub_label":null,"top_score":0.89453125,"false_positive":false,"start_time":1732440672.347815,"end_time":null,"score":0.8515625,"box":[560,200,650,420],"area":19800,"region":[400,100,800,500],"current_zones":["banchina_3"],"entered_zones":["banchina_3"],"has_snapshot":true,"has_clip":true,"active":true,"stationary":false,"motionless_count":0,"position_changes":3}}`)
	benchAC      = []byte(`{"time":"2026-11-24T07:58:12Z","site":"porto-sp","zone":"varco-merci","door":"tornello-2","result":"denied","credential_type":"badge","badge_id":"04A2B9C1","reason":"expired","direction":"in","controller":"ac-12"}`)
)

func BenchmarkCEF(b *testing.B) {
	p, _ := New("cef", Options{})
	benchParse(b, p, benchCEF)
}

func BenchmarkFrigate(b *testing.B) {
	p, _ := New("frigate", Options{})
	benchParse(b, p, benchFrigate)
}

func BenchmarkAccessControl(b *testing.B) {
	p, _ := New("accesscontrol", Options{})
	benchParse(b, p, benchAC)
}

func BenchmarkParseStream3164(b *testing.B) {
	p, _ := New("syslog", Options{})
	var in bytes.Buffer
	for range 1000 {
		in.Write(bench3164)
		in.WriteByte('\n')
	}
	data := in.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, bad, err := ParseStream(p, bytes.NewReader(data), discard{}, "t", "s"); err != nil || bad != 0 {
			b.Fatal(err, bad)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
