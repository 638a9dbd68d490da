package ingest

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
)

// binMsg assembles a binary message by hand for the malformed-input tests.
type binMsg []byte

func newBinMsg() binMsg { return binMsg(binaryMagic) }

func (m binMsg) lit(s string) binMsg {
	m = binary.AppendUvarint(m, uint64(len(s))<<1|1)
	return append(m, s...)
}

func (m binMsg) ref(off, n int) binMsg {
	m = binary.AppendUvarint(m, uint64(off+1)<<1)
	return binary.AppendUvarint(m, uint64(n))
}

func (m binMsg) time(sec int64, ns uint64) binMsg {
	m = append(m, 1)
	m = binary.AppendVarint(m, sec)
	return binary.AppendUvarint(m, ns)
}

func (m binMsg) raw(b ...byte) binMsg { return append(m, b...) }

// head is an event's id, raw line, tenant, source, category and times.
func (m binMsg) head(id, raw string) binMsg {
	return m.lit(id).lit(raw).lit("t").lit("s").lit("system").time(1795000000, 5).time(1795000001, 0)
}

// sameHead is the head of a later event repeating the first one's slots.
func (m binMsg) sameHead(id, raw string) binMsg {
	return m.lit(id).lit(raw).raw(0, 0, 0, 0, 0)
}

func TestBinaryDecodeMalformed(t *testing.T) {
	ok := newBinMsg().head("e1", "Failed password for root").raw(tagString).lit("message").ref(0, 6).raw(tagEnd)
	if evs, err := DecodeMessage(nil, ok); err != nil || evs[0].Fields["message"] != "Failed" {
		t.Fatalf("the well-formed message: %v, %v", evs, err)
	}
	tests := []struct {
		name string
		in   []byte
		want string // in the error
	}{
		{"magic alone", newBinMsg(), "no event"},
		{"cut in the id", newBinMsg().raw(9, 'a'), "id: unexpected end"},
		{"id as a reference", newBinMsg().ref(0, 1), "id: a reference where a string is due"},
		{"length past the end", newBinMsg().raw(0xff, 0xff, 0xff, 0xff, 0x0f), "id: unexpected end"},
		{"varint too long", newBinMsg().raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "id: bad length"},
		{"tenant repeated in the first event", newBinMsg().lit("e1").lit("").raw(0), "tenant_id: repeats a string never given"},
		{"source as a reference past the raw line", newBinMsg().lit("e1").lit("abc").lit("t").ref(1, 5), "source_id: reference to bytes 1+5 of a raw line of 3"},
		{"time repeated in the first event", newBinMsg().lit("e1").lit("").lit("t").lit("s").lit("").raw(0), "@timestamp: repeats a time never given"},
		{"bad time form", newBinMsg().lit("e1").lit("").lit("t").lit("s").lit("").raw(7), "@timestamp: bad time"},
		{"nanoseconds out of range", newBinMsg().lit("e1").lit("").lit("t").lit("s").lit("").time(0, 1e9), "@timestamp: bad time"},
		{"year 10000", newBinMsg().lit("e1").lit("").lit("t").lit("s").lit("").time(253402300800, 0), "@timestamp: a time outside years 0 to 9999"},
		{"before year 0", newBinMsg().lit("e1").lit("").lit("t").lit("s").lit("").time(0, 0).time(-62167219201, 0), "received: a time outside years 0 to 9999"},
		{"no end of fields", newBinMsg().head("e1", ""), "unexpected end of the event"},
		{"missing id", newBinMsg().head("", "").raw(tagEnd), "missing id, tenant_id or source_id"},
		{"unknown value type", newBinMsg().head("e1", "").raw('?').lit("k"), `field "k": unknown value type '?'`},
		{"value repeated in the first event", newBinMsg().head("e1", "").raw(tagSame).lit("k"), `field "k": repeats a value never given`},
		{"key repeated in the first event", newBinMsg().head("e1", "").raw(tagInt, 0), "field 1: key: repeats a string never given"},
		{"string value repeating by reference", newBinMsg().head("e1", "").raw(tagString).lit("k").raw(0), "a value cannot repeat itself by reference"},
		{"bad integer", newBinMsg().head("e1", "").raw(tagInt).lit("k").raw(0x80), `field "k": bad integer`},
		{"float cut", newBinMsg().head("e1", "").raw(tagFloat).lit("k").raw(1, 2, 3), "unexpected end"},
		{"float not finite", newBinMsg().head("e1", "").raw(tagFloat).lit("k").raw(binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Inf(1)))...), "a float that is not finite"},
		{"list longer than the message", newBinMsg().head("e1", "").raw(tagList).lit("k").raw(0xff, 0x7f), "unexpected end"},
		{"list element repeating", newBinMsg().head("e1", "").raw(tagList).lit("k").raw(1, 0), "element 1: repeats a string where no slot is"},
		{"data after the events", append(newBinMsg().head("e1", "").raw(tagEnd), "\n{\"id\":"...), "event 2 (byte 34): ingest: bad event encoding: id: a reference where a string is due"},
		{"second event repeats a value never given at its position", newBinMsg().head("e1", "").raw(tagInt).lit("a").raw(2, tagEnd).
			sameHead("e2", "").raw(tagInt, 0, 2, tagSame).lit("b").raw(tagEnd), `event 2 (byte 38): ingest: bad event encoding: field "b": repeats a value never given`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := DecodeMessage([]event.Event{{ID: "kept"}}, tt.in)
			if !errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want ErrBadEvent and %q", err, tt.want)
			}
			if len(evs) != 1 || evs[0].ID != "kept" {
				t.Fatalf("events %v after an error, want dst unchanged", evs)
			}
		})
	}
}

// TestBinaryInvalidUTF8: strings that are not valid UTF-8, written by the
// encoder or found in a message, decode as the JSON encoding decodes them.
func TestBinaryInvalidUTF8(t *testing.T) {
	raw := "caf\xc3\xa9 \xff user \xe2\x82"
	ev := event.Event{ID: "e\xfe", TenantID: "t", SourceID: "s", Raw: raw}
	ev.UseList()
	ev.PutString("whole", raw)
	ev.PutString("cut.rune", raw[:4])  // "caf" and half of é
	ev.PutString("cut.after", raw[3:]) // from é on, with the invalid bytes
	ev.PutString("clean", raw[6:12])   // " user" after the invalid byte: plain
	ev.PutString("k\xff", "v")
	assertBinaryLikeJSON(t, []event.Event{ev})

	// In a message that did not come from the encoder.
	m := newBinMsg().lit("e1").lit("a\xffb").lit("t").lit("s").lit("").time(0, 0).time(0, 0).
		raw(tagString).lit("k").ref(0, 2).raw(tagString).lit("k\xc3").lit("\xe2").raw(tagEnd)
	evs, err := DecodeMessage(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"k": "a\ufffd", "k\ufffd": "\ufffd"}
	if diff := cmp.Diff(want, evs[0].Fields); diff != "" || evs[0].Raw != "a\ufffdb" {
		t.Fatalf("raw %q, fields (-want +got):\n%s", evs[0].Raw, diff)
	}
}

// assertBinaryLikeJSON packs evs in one binary message and checks that it
// decodes to what the JSON encoding of each decodes to.
func assertBinaryLikeJSON(t testing.TB, evs []event.Event) {
	t.Helper()
	msgs, _ := AppendMessages(nil, nil, "s", evs, PackLimits{Plain: true, MaxEvents: len(evs), MaxBytes: 1 << 30})
	if len(msgs) != 1 || !isBinary(msgs[0].Data) {
		t.Fatalf("%d messages, want one binary", len(msgs))
	}
	got, err := DecodeMessage(nil, msgs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		asMap := evs[i]
		asMap.Fields = asMap.FieldMap()
		var want event.Event
		if err := UnmarshalEvent(MarshalEvent(&asMap), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Fatalf("event %d (-JSON +binary):\n%s", i, diff)
		}
	}
}

// checkDecoded checks what every decoded event holds: valid UTF-8, fields,
// and from the binary encoding, times in UTC (JSON keeps the offset).
func checkDecoded(t *testing.T, ev *event.Event, binary bool) {
	t.Helper()
	for _, s := range []string{ev.ID, ev.TenantID, ev.SourceID, ev.Category, ev.Raw} {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
	}
	if ev.Fields == nil || ev.Listed() {
		t.Fatal("decoded event without a fields map")
	}
	for k, v := range ev.Fields {
		ok := utf8.ValidString(k)
		switch x := v.(type) {
		case string:
			ok = ok && utf8.ValidString(x)
		case []string:
			for _, s := range x {
				ok = ok && utf8.ValidString(s)
			}
		case int64, bool:
		case float64:
			ok = ok && !math.IsNaN(x) && !math.IsInf(x, 0)
		default:
			t.Fatalf("field %q of type %T", k, v)
		}
		if !ok {
			t.Fatalf("field %q = %#v: invalid", k, v)
		}
	}
	for _, tm := range []time.Time{ev.Observed, ev.Received} {
		if binary && tm.Location() != time.UTC {
			t.Fatalf("time %v not in UTC", tm)
		}
	}
}

// w1Events parses n W1 lines as the TCP receiver does: raw lines cut from
// one string, fields as lists.
func w1Events(t testing.TB, n int, rfc string) []event.Event {
	t.Helper()
	p, err := normalize.New("syslog", normalize.Options{ListFields: true})
	if err != nil {
		t.Fatal(err)
	}
	lines := syslogLines(n, rfc)
	all := string(lineBlob(lines))
	evs := make([]event.Event, n)
	off := 0
	for i, l := range lines {
		evs[i].Raw = all[off : off+len(l)]
		off += len(l) + 1
		if err := p.Parse(l, &evs[i]); err != nil {
			t.Fatal(err)
		}
		evs[i].ID, evs[i].TenantID, evs[i].SourceID = "0194f3a2b8c47d5e9f01"+string(rune('a'+i%26)), "tenant-1", "source-1"
		evs[i].Received = time.Date(2026, 11, 24, 19, 0, 0, 123456789, time.UTC)
	}
	return evs
}

// TestBinaryW1Size: a W1 sshd event takes a fifth of its JSON, because the
// repeated keys and values take a byte and the fields cut from the raw line
// refer into it; both decode alike.
func TestBinaryW1Size(t *testing.T) {
	for _, rfc := range []string{"5424", "3164"} {
		evs := w1Events(t, 256, rfc)
		assertBinaryLikeJSON(t, evs)
		bin, _ := AppendMessages(nil, nil, "s", evs, PackLimits{})
		js, _ := AppendMessages(nil, nil, "s", evs, PackLimits{NDJSON: true})
		perBin, perJSON := len(bin[0].Data)/len(evs), len(js[0].Data)/len(evs)
		t.Logf("RFC %s: %d bytes an event in binary, %d in JSON", rfc, perBin, perJSON)
		if perBin*4 > perJSON {
			t.Fatalf("RFC %s: %d bytes an event in binary, more than a quarter of JSON's %d", rfc, perBin, perJSON)
		}
	}
}

// binarySeeds are binary messages for the fuzz targets: real W1 events,
// plain and compressed, and the malformed ones.
func binarySeeds() [][]byte {
	var out [][]byte
	for _, rfc := range []string{"5424", "3164"} {
		evs := w1Events(&testing.B{}, 3, rfc)
		msgs, _ := AppendMessages(nil, nil, "s", evs, PackLimits{})
		out = append(out, msgs[0].Data)
	}
	msgs, _ := AppendMessages(nil, nil, "s", w1Events(&testing.B{}, 40, "3164"), PackLimits{})
	CompressMessages(msgs, nil)
	out = append(out, msgs[0].Data)
	m := newBinMsg().lit("e1").lit("a\xffb").lit("t").lit("s").lit("").time(0, 0).time(0, 0).
		raw(tagString).lit("k").ref(0, 2).raw(tagList).lit("l").raw(2).lit("x").ref(1, 1).raw(tagFloat, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, tagTrue).lit("b").raw(tagEnd).
		sameHead("e2", "").raw(tagSame, 0, tagSame, 0, tagSame, 0, tagSame, 0, tagEnd)
	return append(out, m)
}

// FuzzBinaryRawRefs: values cut from the raw line anywhere, even inside a
// character, decode from the binary encoding as they do from JSON.
func FuzzBinaryRawRefs(f *testing.F) {
	f.Add("Failed password for root from 10.0.0.1", uint8(0), uint8(6), uint8(30), uint8(38))
	f.Add("caf\xc3\xa9 \xff user", uint8(2), uint8(4), uint8(5), uint8(12))
	f.Add("", uint8(0), uint8(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, raw string, a, b, c, d uint8) {
		cut := func(i, j uint8) string {
			x, y := min(int(i), len(raw)), min(int(j), len(raw))
			return raw[min(x, y):max(x, y)]
		}
		var evs []event.Event
		for i, r := range []string{raw, raw + "x", "other"} {
			ev := event.Event{ID: "e" + r, TenantID: "t", SourceID: "s", Raw: r}
			ev.UseList()
			if i == 2 { // cut from another event's raw line
				ev.PutString("first", cut(a, b))
			} else {
				ev.PutString("first", cut(a, b))
				ev.PutString("second", cut(c, d))
				ev.Put("list", []string{cut(b, c), cut(a, d)})
			}
			evs = append(evs, ev)
		}
		assertBinaryLikeJSON(t, evs)
	})
}
