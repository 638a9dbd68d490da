package ingest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/s2"

	"github.com/vedetta-sec/vedetta/internal/event"
)

func packEvents(n int, raw string) []event.Event {
	obs := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{ID: fmt.Sprintf("e%03d", i), TenantID: "t", SourceID: "s", Observed: obs, Received: obs,
			Category: event.CategorySystem, Raw: raw, Fields: map[string]any{"n": int64(i), "m": "a\nb"}}
	}
	return evs
}

func TestAppendMessagesRoundTrip(t *testing.T) {
	big := strings.Repeat("x", 1000)
	tests := []struct {
		name  string
		n     int
		raw   string
		lim   PackLimits
		sizes []int // events per message
	}{
		{"one event", 1, "", PackLimits{}, []int{1}},
		{"by count", 10, "", PackLimits{MaxEvents: 4}, []int{4, 4, 2}},
		{"default count", 300, "", PackLimits{}, []int{256, 44}},
		{"by bytes", 5, big, PackLimits{MaxBytes: 2500}, []int{2, 2, 1}},
		{"event over the bytes alone", 3, big, PackLimits{MaxBytes: 100}, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := packEvents(tt.n, tt.raw)
			msgs, _ := AppendMessages(nil, nil, "sub", evs, tt.lim)
			var sizes []int
			var got []event.Event
			for _, m := range msgs {
				if m.Subject != "sub" {
					t.Fatalf("subject %q", m.Subject)
				}
				lim := tt.lim.withDefaults()
				var err error
				n := len(got)
				if got, err = DecodeMessage(got, m.Data); err != nil {
					t.Fatal(err)
				}
				if k := len(got) - n; k > 1 && len(m.Data) > lim.MaxBytes {
					t.Fatalf("message of %d events has %d bytes, over %d", k, len(m.Data), lim.MaxBytes)
				}
				sizes = append(sizes, len(got)-n)
				if want := MessageID(got[n:]); m.ID != want {
					t.Fatalf("id %q, want %q", m.ID, want)
				}
			}
			if diff := cmp.Diff(tt.sizes, sizes); diff != "" {
				t.Fatalf("events per message (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(evs, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompressMessages: messages of compressMin bytes or more are stored
// compressed and decode to the same events; small and incompressible
// messages stay plain; the message ids do not change.
func TestCompressMessages(t *testing.T) {
	noise := make([]byte, 3000)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	tests := []struct {
		name     string
		n        int
		raw      string
		compress bool
	}{
		{"one small event", 1, "", false},
		{"packed events", 130, strings.Repeat("sshd failed password ", 5), true},
		{"incompressible", 1, base64.StdEncoding.EncodeToString(noise), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := packEvents(tt.n, tt.raw)
			msgs, _ := AppendMessages(nil, nil, "sub", evs, PackLimits{})
			plain := slices.Clone(msgs)
			zbuf := CompressMessages(msgs, nil)
			var got []event.Event
			for i, m := range msgs {
				if m.ID != plain[i].ID {
					t.Fatalf("id changed from %q to %q", plain[i].ID, m.ID)
				}
				want := tt.compress && len(plain[i].Data) >= compressMin
				if Compressed(m.Data) != want {
					t.Fatalf("message %d of %d bytes compressed: %v, want %v", i, len(plain[i].Data), Compressed(m.Data), want)
				}
				if want && len(m.Data)*3 > len(plain[i].Data) {
					t.Fatalf("compressed %d bytes to %d only", len(plain[i].Data), len(m.Data))
				}
				var err error
				if got, err = DecodeMessage(got, m.Data); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(evs, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
			// The buffer is reused by the next call.
			if again := CompressMessages(plain, zbuf); tt.compress && &again[0] != &zbuf[0] {
				t.Fatal("buffer not reused")
			}
		})
	}
}

func TestMessageID(t *testing.T) {
	evs := packEvents(3, "")
	if got := MessageID(evs[:1]); got != "e000" {
		t.Fatalf("single event id %q, want the event's", got)
	}
	a := MessageID(evs)
	if again := MessageID(packEvents(3, "other")); again != a {
		t.Fatalf("same ids give %q and %q", a, again)
	}
	swapped := []event.Event{evs[0], evs[2], evs[1]}
	other := []event.Event{evs[0], evs[1], {ID: "new"}}
	for _, o := range [][]event.Event{swapped, other, evs[:2]} {
		if MessageID(o) == a {
			t.Fatalf("different events share id %q", a)
		}
	}
}

func TestDecodeMessageMalformed(t *testing.T) {
	good := string(MarshalEvent(&packEvents(1, "")[0]))
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"blank lines", "\n \n"},
		{"bad second line", good + "\n{\"id\":"},
		{"bad first line", "{}\n" + good},
		{"two events on a line", good + good},
		{"compressed, nothing after the magic", compressedMagic},
		{"compressed, not S2", compressedMagic + "\x05hello"},
		{"compressed, truncated", compressedMagic + string(s2.Encode(nil, []byte(strings.Repeat(good+"\n", 20))))[:40]},
		{"compressed, claims 1 GiB", compressedMagic + "\x80\x80\x80\x80\x04xyz"},
		{"compressed, not events", compressedMagic + string(s2.Encode(nil, []byte(strings.Repeat("{}\n", 2000))))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := []event.Event{{ID: "kept"}}
			got, err := DecodeMessage(prev, []byte(tt.in))
			if !errors.Is(err, ErrBadEvent) {
				t.Fatalf("err = %v, want ErrBadEvent", err)
			}
			if diff := cmp.Diff(prev, got); diff != "" {
				t.Fatalf("half accepted (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeMessageOldFormat: a message of one event written before
// packing (encoding/json of event.Event, as the demo wrote) still decodes.
func TestDecodeMessageOldFormat(t *testing.T) {
	got, err := DecodeMessage(nil, []byte(`{"id":"i","tenant_id":"t","source_id":"s","@timestamp":"2026-11-24T08:00:00Z","received":"2026-11-24T08:00:00Z","category":"system","fields":{"n":3}}`))
	if err != nil || len(got) != 1 || got[0].Fields["n"] != int64(3) {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	msgs, _ := AppendMessages(nil, nil, "s", packEvents(3, "r"), PackLimits{})
	f.Add(msgs[0].Data)
	msgs, _ = AppendMessages(nil, nil, "s", packEvents(40, "raw line"), PackLimits{})
	CompressMessages(msgs, nil)
	f.Add(msgs[0].Data)
	f.Add([]byte("{}\n{}"))
	f.Add([]byte("\n"))
	for _, c := range decodeCases {
		f.Add([]byte(c.in))
	}
	for _, m := range binarySeeds() {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := DecodeMessage(nil, data)
		plain, _, _ := Decompress(data, nil)
		binary := isBinary(plain)
		if !binary {
			// The decoder agrees with encoding/json (the decoder it replaced).
			want, werr := oracleDecodeMessage(nil, data)
			if (err == nil) != (werr == nil) {
				t.Fatalf("error %v, oracle's %v", err, werr)
			}
			if err == nil {
				if diff := cmp.Diff(want, evs); diff != "" {
					t.Fatalf("(-oracle +decoder):\n%s", diff)
				}
			}
		}
		if err != nil {
			if len(evs) != 0 {
				t.Fatalf("error %v with %d events", err, len(evs))
			}
			if !errors.Is(err, ErrBadEvent) {
				t.Fatalf("error %v does not wrap ErrBadEvent", err)
			}
			return
		}
		for i := range evs {
			checkDecoded(t, &evs[i], binary)
		}
		// What decodes re-encodes, in both encodings, and decodes to the
		// same events.
		for _, nd := range []bool{false, true} {
			out, _ := AppendMessages(nil, nil, "s", evs, PackLimits{MaxEvents: len(evs), MaxBytes: 1 << 30, NDJSON: nd})
			again, err := DecodeMessage(nil, out[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(evs, again); diff != "" {
				t.Fatalf("NDJSON %v (-first +second):\n%s", nd, diff)
			}
		}
	})
}
