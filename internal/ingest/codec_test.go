package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
)

func TestEventRoundTrip(t *testing.T) {
	obs := time.Date(2026, 11, 24, 8, 15, 2, 123456789, time.UTC)
	tests := []struct {
		name string
		ev   event.Event
	}{
		{"closed types", event.Event{ID: "0193-a", TenantID: "t", SourceID: "s", Observed: obs, Received: obs.Add(time.Second),
			Category: event.CategorySecurity, Raw: "<13>raw \"line\"\n",
			Fields: map[string]any{"message": "héllo \x01 \"q\" \\ \u2028", "source.port": int64(22), "event.severity": 3.5,
				"whole.float": 2.0, "negative": int64(-7), "big": int64(1) << 60, "ok": true, "no": false,
				"event.category": []string{"authentication", "session"}, "empty.list": []string{}}}},
		{"no fields, no raw", event.Event{ID: "x", TenantID: "t.1", SourceID: "s>*", Observed: obs, Received: obs, Fields: map[string]any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := MarshalEvent(&tt.ev)
			if !json.Valid(data) {
				t.Fatalf("not JSON: %s", data)
			}
			var got event.Event
			if err := UnmarshalEvent(data, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.ev, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
			// The wire form is the JSON of event.Event.
			var std event.Event
			if err := json.Unmarshal(data, &std); err != nil || std.ID != tt.ev.ID || !std.Observed.Equal(tt.ev.Observed) {
				t.Fatalf("encoding/json reads %+v, %v", std, err)
			}
		})
	}
}

// listEvent builds an event whose fields are in a list, in the given order.
func listEvent(id string, kv ...any) event.Event {
	ev := event.Event{ID: id, TenantID: "t", SourceID: "s", Category: event.CategorySystem}
	ev.UseList()
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string: // unboxed, but boxed on every other event (both paths of the encoder)
			if len(id)%2 == 0 {
				ev.PutString(kv[i].(string), v)
			} else {
				ev.Put(kv[i].(string), v)
			}
		case int64:
			ev.PutInt(kv[i].(string), v)
		default:
			ev.Put(kv[i].(string), v)
		}
	}
	return ev
}

// TestAppendMessagesLists: events whose fields are lists encode as their
// maps would, whatever the previous event of the batch held at the same
// position (the encoder's memo of plain keys and values).
func TestAppendMessagesLists(t *testing.T) {
	shared := "web01"
	evs := []event.Event{
		listEvent("1", "host.hostname", shared, "message", "plain", "a\"b", "x", "n", int64(1)),
		listEvent("2", "host.hostname", shared, "message", "line\nbreak", "a\"b", "x", "n", "now a string"),
		listEvent("3", "host.hostname", "wéb", "message", "line\nbreak", "a\"b", "y\x01", "n", []string{"l", "\"q\""}),
		listEvent("4", "message", "plain", "host.hostname", shared, "c", "\u2028", "n", 2.5),
		listEvent("5"),
		listEvent("6", "host.hostname", shared, "message", "plain", "a\"b", "x", "n", true, "extra", "\xff"),
	}
	var many []any
	for i := range 60 { // more positions than the memo holds
		many = append(many, fmt.Sprintf("k%d", i), fmt.Sprintf("v\t%d", i%3))
	}
	evs = append(evs, listEvent("7", many...), listEvent("8", many...), listEvent("10", many...), listEvent("11", many...))
	msgs, _ := AppendMessages(nil, nil, "sub", evs, PackLimits{Plain: true})
	var got []event.Event
	for _, m := range msgs {
		var err error
		if got, err = DecodeMessage(got, m.Data); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(evs) {
		t.Fatalf("%d events decoded, want %d", len(got), len(evs))
	}
	for i := range evs {
		// One event alone (MarshalEvent, no memo) encodes the same.
		var alone event.Event
		if err := UnmarshalEvent(MarshalEvent(&evs[i]), &alone); err != nil {
			t.Fatalf("event %d alone: %v", i, err)
		}
		want := evs[i]
		want.Fields = want.FieldMap()
		if s, ok := want.Fields["extra"]; ok {
			want.Fields["extra"] = strings.ToValidUTF8(s.(string), "\ufffd")
		}
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Fatalf("event %d (-want +got):\n%s", i, diff)
		}
		if diff := cmp.Diff(want, alone); diff != "" {
			t.Fatalf("event %d alone (-want +got):\n%s", i, diff)
		}
	}
}

func TestMarshalInvalidUTF8AndNaN(t *testing.T) {
	ev := event.Event{ID: "i", TenantID: "t", SourceID: "s", Fields: map[string]any{"m": "a\xffb", "f": nan()}}
	data := MarshalEvent(&ev)
	var got event.Event
	if err := UnmarshalEvent(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Fields["m"] != "a\ufffdb" {
		t.Fatalf("m = %q", got.Fields["m"])
	}
	if _, ok := got.Fields["f"]; ok {
		t.Fatalf("NaN kept: %v", got.Fields["f"])
	}
}

func nan() float64 { var z float64; return z / z }

func TestUnmarshalEventMalformed(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not json", `{"id":`},
		{"no id", `{"tenant_id":"t","source_id":"s","fields":{}}`},
		{"no tenant", `{"id":"i","source_id":"s","fields":{}}`},
		{"object field", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":{"b":1}}}`},
		{"list of numbers", `{"id":"i","tenant_id":"t","source_id":"s","fields":{"a":[1,2]}}`},
		{"bad time", `{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"yesterday"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev event.Event
			if err := UnmarshalEvent([]byte(tt.in), &ev); !errors.Is(err, ErrBadEvent) {
				t.Fatalf("err = %v, want ErrBadEvent", err)
			}
		})
	}
}

func FuzzEventRoundTrip(f *testing.F) {
	f.Add("message", "hello", int64(3), 1.5, "tcp")
	f.Add("a.b", "\x00\xff\u2028\"\\", int64(-1), 0.0, "")
	f.Add("", "", int64(0), 1e300, "x")
	f.Fuzz(func(t *testing.T, key, s string, n int64, fl float64, list string) {
		ev := event.Event{ID: "id", TenantID: "t", SourceID: "s", Observed: time.Unix(n%1e10, 0).UTC(),
			Received: time.Unix(0, 0).UTC(), Raw: s,
			Fields: map[string]any{key + ".s": s, key + ".n": n, key + ".f": fl, key + ".l": []string{list, s}}}
		data := MarshalEvent(&ev)
		if !json.Valid(data) {
			t.Fatalf("invalid JSON %q", data)
		}
		var got event.Event
		if err := UnmarshalEvent(data, &got); err != nil {
			t.Fatal(err)
		}
		// Invalid UTF-8 in keys becomes U+FFFD, byte by byte.
		k := string([]rune(key))
		if got.Fields[k+".n"] != n {
			t.Fatalf("int %v -> %v", n, got.Fields[k+".n"])
		}
		if g, ok := got.Fields[k+".f"].(float64); (fl == fl) && (!ok || g != fl) {
			t.Fatalf("float %v -> %v", fl, got.Fields[key+".f"])
		}
	})
}

// TestAppendTimeUTC compares the hand-written time encoding with the time
// package's RFC 3339 (nanoseconds) in UTC, around the edges of its range.
func TestAppendTimeUTC(t *testing.T) {
	times := []time.Time{{}, time.Unix(0, 0), time.Unix(-1, 999999999), time.Unix(0, 1), time.Unix(1, 100),
		time.Date(2024, 2, 29, 23, 59, 59, 120000000, time.UTC), time.Date(2000, 3, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)),
		time.Date(1900, 2, 28, 12, 0, 0, 5, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 24, 8, 15, 2, 123456789, time.Local)}
	for i := int64(-80000); i < 400000; i += 7 {
		times = append(times, time.Unix(i*86400+i%86400, i*1237%1e9))
	}
	for _, tm := range times {
		want := tm.UTC().Format(time.RFC3339Nano)
		if got := string(appendTimeUTC(nil, tm)); got != want {
			t.Fatalf("appendTimeUTC(%v) = %s, want %s", tm, got, want)
		}
	}
}

// FuzzListMessages: events whose fields are lists, packed in one binary
// message (the slots at work), decode as the same events encoded one by
// one from maps in JSON.
func FuzzListMessages(f *testing.F) {
	f.Add("message", "plain", "host.hostname", "a\"b")
	f.Add("k", "\xff", "k", "\u2028")
	f.Add("", "", "x\n", "y")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		if k1 != k2 && string([]rune(k1)) == string([]rune(k2)) {
			return // two keys that decode alike: which one wins depends on a map's order
		}
		evs := []event.Event{
			listEvent("1", k1, v1, k2, v2),
			listEvent("22", k1, v2, k2, v1),
			listEvent("3", k2, v1, k1, int64(len(v2))),
			listEvent("44", k1, v1, k2, v2),
			listEvent("5", k1, v1, k2, v2),
		}
		evs[1].TenantID, evs[2].TenantID, evs[2].SourceID = "t"+v1, "t"+v1, "s"+k2
		assertBinaryLikeJSON(t, evs)
	})
}
