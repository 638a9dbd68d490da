package normalize

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

func stdlibEventJSON(t testing.TB, ev *event.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestAppendEventJSON checks the hand-written encoder byte for byte against
// encoding/json on every golden input and on awkward values.
func TestAppendEventJSON(t *testing.T) {
	var events []event.Event
	dirs, _ := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	for _, dir := range dirs {
		var o goldenOptions
		b, _ := os.ReadFile(filepath.Join(dir, "options.json"))
		if err := json.Unmarshal(b, &o); err != nil {
			t.Fatal(err)
		}
		p, err := New(o.Format, Options{FieldMap: o.FieldMap, Category: o.Category})
		if err != nil {
			t.Fatal(err)
		}
		in, _ := os.ReadFile(filepath.Join(dir, "input.log"))
		for _, line := range bytes.Split(bytes.TrimSpace(in), []byte("\n")) {
			var ev event.Event
			if p.Parse(line, &ev) == nil {
				ev.ID, ev.TenantID, ev.SourceID = "01936b1e-0000-7000-8000-000000000000", "t\"1", "s<1>"
				ev.Received = time.Date(2026, 11, 24, 12, 0, 0, 123456789, time.FixedZone("", 3600))
				events = append(events, ev)
			}
		}
	}
	events = append(events,
		event.Event{},
		event.Event{Fields: map[string]any{}},
		event.Event{Raw: "\x00\x1f\x7f\"\\/<>&\u2028\u2029\xff\xfe é 😀", Fields: map[string]any{
			"a": "\t\n\r\b\f", "b": int64(-9223372036854775808), "c": 1e21, "d": 1e-7, "e": 123.456, "f": -0.0,
			"g": []string{}, "h": []string(nil), "i": true, "j": 0.000001, "k": 1e20, "l": float64(math.MaxFloat64),
			"m": 5e-324, "\xff": "key", "n": 1.5e-9,
		}},
	)
	var keys []string
	for i := range events {
		var got []byte
		got, keys = appendEventJSON(nil, &events[i], keys)
		want := stdlibEventJSON(t, &events[i])
		if !bytes.Equal(got, want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if len(events) < 25 {
		t.Errorf("only %d events checked", len(events))
	}
}

func FuzzAppendEventJSON(f *testing.F) {
	f.Add("k", "v\x00\xff", int64(7), 1.5, true, "raw")
	f.Add("", "\u2028<", int64(-1), 1e-7, false, "")
	f.Fuzz(func(t *testing.T, k, s string, n int64, x float64, bl bool, raw string) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return // encoding/json refuses them; we write null
		}
		ev := event.Event{ID: s, Category: k, Raw: raw, Observed: time.Unix(n%1e10, 0).UTC(),
			Fields: map[string]any{k: s, k + "n": n, k + "x": x, k + "b": bl, k + "l": []string{s, k}}}
		got, _ := appendEventJSON(nil, &ev, nil)
		if want := stdlibEventJSON(t, &ev); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
