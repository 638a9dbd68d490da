package ingest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// realEvents returns n events as the receivers submit them, stamped as
// Submit stamps them: "syslog" parses W1's RFC 5424 sshd lines, "windows"
// the ~1 KB Security-Datasets events of W4 (raw kept, as a source with
// KeepRaw does).
func realEvents(tb testing.TB, kind string, n int) []event.Event {
	tb.Helper()
	var lines [][]byte
	format := kind
	switch kind {
	case "syslog":
		for i := range n {
			ip := fmt.Sprintf("203.0.%d.%d", (i/250)%250, i%250)
			lines = append(lines, fmt.Appendf(nil, "<38>1 2026-11-24T10:11:%02d.%06dZ web01.comune.example sshd %d - - Failed password for invalid user admin%d from %s port %d ssh2",
				i%60, i%1000000, 4000+i%1000, i%100, ip, 1024+i%60000))
		}
	case "windows":
		data, err := os.ReadFile(filepath.Join(testenv.SharedData(tb, "security-datasets/extracted"), "purplesharp_ad_playbook_I_2020-10-22042947.json"))
		if err != nil {
			tb.Fatal(err)
		}
		var all [][]byte
		for l := range bytes.SplitSeq(data, []byte{'\n'}) {
			if k := len(l); k >= 800 && k <= 1200 {
				all = append(all, l)
			}
		}
		if len(all) == 0 {
			tb.Fatal("no Windows events of about 1 KB")
		}
		for i := range n {
			lines = append(lines, all[i%len(all)])
		}
	default:
		tb.Fatalf("unknown kind %q", kind)
	}
	p, err := normalize.New(format, normalize.Options{ListFields: true}) // as the receivers parse
	if err != nil {
		tb.Fatal(err)
	}
	received := time.Date(2026, 11, 24, 10, 11, 12, 345678901, time.UTC)
	evs := make([]event.Event, 0, n)
	for i, l := range lines {
		var ev event.Event
		if err := p.Parse(l, &ev); err != nil {
			tb.Fatalf("line %d: %v", i, err)
		}
		ev.ID = fmt.Sprintf("019ab5c2-%04x-7%03x-8%03x-%012x", i>>16, i&0xfff, i%0xfff, i)
		ev.TenantID, ev.SourceID = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
		ev.Received = received.Add(time.Duration(i) * time.Microsecond)
		if ev.Category == "" {
			ev.Category = event.CategorySystem
		}
		evs = append(evs, ev)
	}
	return evs
}

// reportPerEvent reports the wall time and the process CPU time (since
// cpu) per event of a benchmark that handled n events.
func reportPerEvent(b *testing.B, n int, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	if c := processCPU(); c > 0 {
		b.ReportMetric(float64((c-cpu).Nanoseconds())/float64(n), "cpu-ns/event")
	}
}

// BenchmarkDecodeMessage measures the consumers' decoding of packed
// messages of 64 real events (ns/op is per message; see ns/event).
func BenchmarkDecodeMessage(b *testing.B) {
	for _, kind := range []string{"syslog", "windows"} {
		for _, enc := range encodings {
			b.Run(kind+"/"+enc.name, func(b *testing.B) {
				evs := realEvents(b, kind, 64)
				msgs, _ := AppendMessages(nil, nil, "s", evs, PackLimits{MaxBytes: 1 << 30, NDJSON: enc.ndjson})
				if len(msgs) != 1 {
					b.Fatalf("%d messages", len(msgs))
				}
				data := msgs[0].Data
				dst := make([]event.Event, 0, 64)
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					var err error
					if dst, err = DecodeMessage(dst[:0], data); err != nil {
						b.Fatal(err)
					}
				}
				reportPerEvent(b, b.N*len(evs), cpu)
			})
		}
	}
}

// encodings are the two encodings of bus messages, for benchmarks.
var encodings = []struct {
	name   string
	ndjson bool
}{{"binary", false}, {"json", true}}

// BenchmarkAppendMessages measures the producers' encoding of 512 real
// events into packed messages (ns/op is per batch; see ns/event).
func BenchmarkAppendMessages(b *testing.B) {
	for _, kind := range []string{"syslog", "windows"} {
		for _, enc := range encodings {
			b.Run(kind+"/"+enc.name, func(b *testing.B) {
				evs := realEvents(b, kind, 512)
				var msgs []bus.Msg
				var buf []byte
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					msgs, buf = AppendMessages(msgs[:0], buf[:0], "s", evs, PackLimits{NDJSON: enc.ndjson})
				}
				reportPerEvent(b, b.N*len(evs), cpu)
				b.SetBytes(int64(len(buf)))
			})
		}
	}
}

// BenchmarkEventID measures making one event id and its text: the
// google/uuid generator Submit used before, and idGen.
func BenchmarkEventID(b *testing.B) {
	b.Run("uuid.NewV7", func(b *testing.B) {
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			id, err := uuid.NewV7()
			if err != nil {
				b.Fatal(err)
			}
			_ = id.String()
		}
		reportPerEvent(b, b.N, cpu)
	})
	b.Run("idGen", func(b *testing.B) {
		g := newIDGen()
		var ids [64][16]byte
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			g.fill(ids[:], time.Now())
			for i := range ids {
				_ = idString(&ids[i])
			}
		}
		reportPerEvent(b, b.N*len(ids), cpu)
	})
}

// BenchmarkPackSize measures Submit-like publishing (encode, then
// PublishBatch of 512 events, until stored) of real events at several
// PackLimits.MaxEvents, to choose the default. Events/s.
func BenchmarkPackSize(b *testing.B) {
	for _, kind := range []string{"syslog", "windows"} {
		for _, per := range []int{32, 64, 128, 256} {
			b.Run(fmt.Sprintf("%s/events-per-message=%d", kind, per), func(b *testing.B) {
				e := benchEnv(b)
				const batch = 512
				src := realEvents(b, kind, batch)
				evs := make([]event.Event, batch)
				subject := bus.EventSubject("t", "s")
				var msgs []bus.Msg
				var buf []byte
				n, seq := 0, 0
				b.ReportAllocs()
				b.ResetTimer()
				cpu := processCPU()
				for n < b.N {
					k := min(batch, b.N-n)
					for i := range k {
						seq++
						evs[i] = src[i]
						evs[i].ID = strconv.Itoa(seq)
					}
					msgs, buf = AppendMessages(msgs[:0], buf[:0], subject, evs[:k], PackLimits{MaxEvents: per, MaxBytes: 1 << 20})
					n += k
					if err := e.bus.PublishBatch(b.Context(), msgs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
				reportPerEvent(b, n, cpu)
			})
		}
	}
}
