package ingest

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// decodeCases are single-line messages, valid and not, on which the
// decoder must agree with the encoding/json oracle (oracle_test.go).
var decodeCases = []struct{ name, in string }{
	{"minimal", `{"id":"i","tenant_id":"t","source_id":"s"}`},
	{"white space", " \t{ \"id\" : \"i\" ,\r\"tenant_id\":\"t\",\"source_id\":\"s\" , \"fields\" : { \"a\" : [ \"x\" , \"y\" ] , \"b\" : 1 } } \r"},
	{"all escapes", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00"}`},
	{"escape at the start and end", `{"id":"\u0069","tenant_id":"t\\","source_id":"s","fields":{"\n":"\t"}}`},
	{"lone high surrogate", `{"id":"i","tenant_id":"t","source_id":"s","raw":"a\ud83db"}`},
	{"lone low surrogate", `{"id":"i","tenant_id":"t","source_id":"s","raw":"a\ude00b"}`},
	{"high surrogate then escape", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\ud83d\u0041"}`},
	{"two high surrogates", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\ud83d\ud83d\ude00"}`},
	{"surrogate at the end", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\ud83d"}`},
	{"upper-case hex", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\u00C9\uD83D\uDE00"}`},
	{"invalid UTF-8", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\",\"raw\":\"a\xffb\xc3\",\"fields\":{\"k\xfe\":\"\xe2\x82\"}}"},
	{"valid UTF-8 and U+2028", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\",\"raw\":\"h\xc3\xa9llo \xe2\x80\xa8 \xf0\x9f\x98\x80\"}"},
	{"DEL and high ASCII", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\",\"raw\":\"\x7f~\"}"},
	{"numbers", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":0,"b":-0,"c":-12,"d":9223372036854775807,"e":-9223372036854775808,
		"f":9223372036854775808,"g":123456789012345678901234567890,"h":1.5,"i":1e3,"j":1E-3,"k":-0.0,"l":2.0,"m":1e+2,"n":999999999999999999,"o":-999999999999999999}}`},
	{"number out of range", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1e400}}`},
	{"number out of range replaced", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1e400,"a":1}}`},
	{"booleans and nulls", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":true,"b":false,"c":null}}`},
	{"null removes an earlier value", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1,"a":null}}`},
	{"lists", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":[],"b":["x"],"c":["x",null,"\u0041"],"d":[null]}}`},
	{"list of numbers", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":[1,2]}}`},
	{"list of numbers replaced", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":["x",[1],{"b":2}],"a":"y"}}`},
	{"object value", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":{"b":1}}}`},
	{"object value replaced", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":{"b":1},"a":null}}`},
	{"object value in a repeated fields", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":{}},"fields":{"a":1}}`},
	{"repeated fields merge", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1,"b":2},"fields":{"b":3,"c":4}}`},
	{"fields null", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1},"fields":null}`},
	{"fields null then again", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":{}},"fields":null,"fields":{"b":1}}`},
	{"no fields", `{"id":"i","tenant_id":"t","source_id":"s","category":"web"}`},
	{"empty fields", `{"id":"i","tenant_id":"t","source_id":"s","fields":{}}`},
	{"repeated id", `{"id":"a","id":"b","tenant_id":"t","source_id":"s"}`},
	{"null keeps a string", `{"id":"a","id":null,"tenant_id":"t","source_id":"s","raw":null}`},
	{"null id", `{"id":null,"tenant_id":"t","source_id":"s"}`},
	{"keys in other case", `{"ID":"i","Tenant_ID":"t","SOURCE_id":"s","@Timestamp":"2026-11-24T08:00:00Z","Fields":{"a":1},"RAW":"r","Category":"web"}`},
	{"Kelvin sign folds to k", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\",\"\xe2\x84\xaaey\":1}"},
	{"unknown keys", `{"id":"i","x":{"y":[1,{"z":null},"\u0041",true,false,-1.5e3,[]],"w":{}},"tenant_id":"t","v":[],"source_id":"s","u":1e999}`},
	{"times", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T08:15:02.123456789Z","received":"2026-11-24T08:15:02Z"}`},
	{"time fractions", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T08:15:02.1Z","received":"2024-02-29T23:59:59.000000001Z"}`},
	{"time with offset", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T08:15:02.5+01:00","received":"2026-11-24T08:15:02-05:30"}`},
	{"time lower case", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24t08:15:02z"}`},
	{"time year zero", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"0000-01-01T00:00:00Z"}`},
	{"time ten fraction digits", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T08:15:02.1234567891Z"}`},
	{"time comma", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T08:15:02,5Z"}`},
	{"time empty fraction", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T08:15:02.Z"}`},
	{"time null", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":null}`},
	{"time escaped", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T08:15:02\u005a"}`},
	{"time 29 February of a common year", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-02-29T08:15:02Z"}`},
	{"time 31 April", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-04-31T08:15:02Z"}`},
	{"time 24 h", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T24:00:00Z"}`},
	{"time leap second", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-12-31T23:59:60Z"}`},
	{"time month 13", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-13-01T00:00:00Z"}`},
	{"time not a time", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"yesterday"}`},
	{"time number", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":1}`},
	{"time sign", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"+026-11-24T08:15:02Z"}`},

	// Refused.
	{"empty", ``},
	{"not json", `{"id":`},
	{"top-level null", `null`},
	{"top-level list", `[]`},
	{"empty object", `{}`},
	{"no id", `{"tenant_id":"t","source_id":"s","fields":{}}`},
	{"no tenant", `{"id":"i","source_id":"s","fields":{}}`},
	{"no source", `{"id":"i","tenant_id":"t"}`},
	{"empty id", `{"id":"","tenant_id":"t","source_id":"s"}`},
	{"id number", `{"id":1,"tenant_id":"t","source_id":"s"}`},
	{"tenant list", `{"id":"i","tenant_id":["t"],"source_id":"s"}`},
	{"fields string", `{"id":"i","tenant_id":"t","source_id":"s","fields":"a"}`},
	{"fields list", `{"id":"i","tenant_id":"t","source_id":"s","fields":[]}`},
	{"trailing comma", `{"id":"i","tenant_id":"t","source_id":"s",}`},
	{"trailing comma in fields", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1,}}`},
	{"trailing comma in a list", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":["x",]}}`},
	{"missing colon", `{"id" "i","tenant_id":"t","source_id":"s"}`},
	{"missing comma", `{"id":"i" "tenant_id":"t","source_id":"s"}`},
	{"unquoted key", `{id:"i","tenant_id":"t","source_id":"s"}`},
	{"single quotes", `{'id':'i','tenant_id':'t','source_id':'s'}`},
	{"data after", `{"id":"i","tenant_id":"t","source_id":"s"}x`},
	{"NUL after", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\"}\x00"},
	{"NUL inside", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\"\x00}"},
	{"two objects", `{"id":"i","tenant_id":"t","source_id":"s"}{}`},
	{"unclosed", `{"id":"i","tenant_id":"t","source_id":"s"`},
	{"unclosed fields", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1`},
	{"unterminated string", `{"id":"i","tenant_id":"t","source_id":"s","raw":"abc`},
	{"unterminated after escape", `{"id":"i","tenant_id":"t","source_id":"s","raw":"abc\`},
	{"control character", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\",\"raw\":\"a\x01b\"}"},
	{"tab in string", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\",\"raw\":\"a\tb\"}"},
	{"control character after escape", "{\"id\":\"i\",\"tenant_id\":\"t\",\"source_id\":\"s\",\"raw\":\"\\n\x1f\"}"},
	{"bad escape", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\x41"}`},
	{"short unicode escape", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\u12"}`},
	{"bad hex", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\u12g4"}`},
	{"bad escape after a high surrogate", `{"id":"i","tenant_id":"t","source_id":"s","raw":"\ud83d\x"}`},
	{"bad escape in an unknown key", `{"id":"i","tenant_id":"t","source_id":"s","\q":1}`},
	{"leading zero", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":01}}`},
	{"plus sign", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":+1}}`},
	{"bare minus", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":-}}`},
	{"dot without digits", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1.}}`},
	{"leading dot", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":.5}}`},
	{"exponent without digits", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1e}}`},
	{"exponent sign only", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":1e+}}`},
	{"hex number", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":0x10}}`},
	{"NaN", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":NaN}}`},
	{"bad literal", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":tru}}`},
	{"literal run on", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":truex}}`},
	{"upper-case literal", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":True}}`},
	{"missing value", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":}}`},
	{"number key", `{"id":"i","tenant_id":"t","source_id":"s","fields":{1:1}}`},
	{"bad unknown value", `{"id":"i","tenant_id":"t","source_id":"s","x":[1,}`},
	{"unknown value unclosed", `{"id":"i","tenant_id":"t","source_id":"s","x":{"y":1`},
	{"deep unknown value", `{"id":"i","tenant_id":"t","source_id":"s","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`},
}

func TestDecodeMatchesOracle(t *testing.T) {
	for _, tt := range decodeCases {
		t.Run(tt.name, func(t *testing.T) {
			var want, got event.Event
			werr := oracleUnmarshalEvent([]byte(tt.in), &want)
			gerr := UnmarshalEvent([]byte(tt.in), &got)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("error %v, oracle's %v", gerr, werr)
			}
			if gerr != nil {
				if !errors.Is(gerr, ErrBadEvent) {
					t.Fatalf("error %v does not wrap ErrBadEvent", gerr)
				}
				if diff := cmp.Diff(event.Event{}, got); diff != "" {
					t.Fatalf("event left after an error:\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-oracle +decoder):\n%s", diff)
			}
			// Times exactly as the time package made them, location too.
			if want.Observed != got.Observed && want.Observed.Location().String() != got.Observed.Location().String() {
				t.Fatalf("observed %#v, oracle's %#v", got.Observed, want.Observed)
			}
		})
	}
}

// TestDecodeMessageMatchesOracle decodes packed messages of real events,
// parsed by normalize from the shared data sets and from the parser test
// data, against the oracle and the events they encode.
func TestDecodeMessageMatchesOracle(t *testing.T) {
	sets := map[string][]event.Event{"syslog": realEvents(t, "syslog", 300)}
	if testenv.InCI() || dirExists(filepath.Join(testenv.ModuleRoot(t), "..", "shared", "data", "security-datasets")) {
		sets["windows"] = realEvents(t, "windows", 300)
	}
	sets["normalize testdata"] = normalizeTestdataEvents(t)
	for name, evs := range sets {
		t.Run(name, func(t *testing.T) {
			if len(evs) == 0 {
				t.Fatal("no events")
			}
			msgs, _ := AppendMessages(nil, nil, "s", evs, PackLimits{NDJSON: true})
			var got, want []event.Event
			for i, m := range msgs {
				var err error
				if got, err = DecodeMessage(got, m.Data); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if want, err = oracleDecodeMessage(want, m.Data); err != nil {
					t.Fatalf("message %d: oracle: %v", i, err)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-oracle +decoder):\n%s", diff)
			}
			// The binary encoding decodes to the same events as JSON.
			bin, _ := AppendMessages(nil, nil, "s", evs, PackLimits{})
			var gotBin []event.Event
			for i, m := range bin {
				if !isBinary(m.Data) {
					t.Fatalf("message %d is not binary", i)
				}
				var err error
				if gotBin, err = DecodeMessage(gotBin, m.Data); err != nil {
					t.Fatalf("binary message %d: %v", i, err)
				}
			}
			if diff := cmp.Diff(want, gotBin); diff != "" {
				t.Fatalf("(-JSON +binary):\n%s", diff)
			}
			// Events parsed as lists come back as maps.
			asMaps := make([]event.Event, len(evs))
			for i := range evs {
				asMaps[i] = evs[i]
				asMaps[i].List = event.FieldList{}
				asMaps[i].Fields = maps.Collect(evs[i].All())
			}
			if diff := cmp.Diff(asMaps, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// normalizeTestdataEvents parses the input lines of normalize's golden
// cases (testdata/golden/<case>/{options.json,input.log}) with the case's
// parser, raw kept.
func normalizeTestdataEvents(t *testing.T) []event.Event {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(testenv.ModuleRoot(t), "internal", "normalize", "testdata", "golden", "*"))
	var evs []event.Event
	for _, dir := range dirs {
		var o struct {
			Format   string            `json:"format"`
			FieldMap map[string]string `json:"field_map"`
			Category string            `json:"category"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "options.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &o); err != nil {
			t.Fatal(err)
		}
		p, err := normalize.New(o.Format, normalize.Options{FieldMap: o.FieldMap, Category: o.Category})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "input.log"))
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.SplitSeq(string(data), "\n") {
			var ev event.Event
			if p.Parse([]byte(l), &ev) != nil {
				continue
			}
			ev.ID, ev.TenantID, ev.SourceID = "id-"+filepath.Base(dir), "t", "s"
			ev.Received = time.Date(2026, 11, 24, 8, 0, 0, 1, time.UTC)
			evs = append(evs, ev)
		}
	}
	return evs
}

// TestDecodeReuse: a decoder reused from the pool starts clean (no field,
// pending error or string of the previous event leaks into the next).
func TestDecodeReuse(t *testing.T) {
	bad := `{"id":"i","tenant_id":"t","source_id":"s","fields":{"x":{"y":1},"a":"\u0041b"}}`
	good := `{"id":"j","tenant_id":"t","source_id":"s","fields":{"b":"Ab"}}`
	var ev event.Event
	for range 3 {
		if err := UnmarshalEvent([]byte(bad), &ev); !errors.Is(err, ErrBadEvent) {
			t.Fatalf("bad: %v", err)
		}
		if err := UnmarshalEvent([]byte(good), &ev); err != nil {
			t.Fatalf("good: %v", err)
		}
		want := event.Event{ID: "j", TenantID: "t", SourceID: "s", Fields: map[string]any{"b": "Ab"}}
		if diff := cmp.Diff(want, ev); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	}
}
