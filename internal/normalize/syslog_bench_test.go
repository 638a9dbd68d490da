package normalize

import (
	"fmt"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// w1Lines returns n lines shaped like workload W1 of internal/ingest (sshd
// failures of a brute force, about 200 bytes, RFC 5424 or RFC 3164), with
// varying time, pid, user, address and port.
func w1Lines(n int, rfc string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		ip := fmt.Sprintf("203.0.%d.%d", (i/250)%250, i%250)
		if rfc == "5424" {
			out[i] = fmt.Appendf(nil, "<38>1 2026-11-24T10:11:%02d.%06dZ web01.comune.example sshd %d - - Failed password for invalid user admin%d from %s port %d ssh2",
				i%60, i%1000000, 4000+i%1000, i%100, ip, 1024+i%60000)
		} else {
			out[i] = fmt.Appendf(nil, "<38>Nov 24 10:11:%02d web01 sshd[%d]: Failed password for invalid user admin%d from %s port %d ssh2",
				i%60, 4000+i%1000, i%100, ip, 1024+i%60000)
		}
	}
	return out
}

// BenchmarkSyslogW1 is the per-frame parse of workload W1 as the syslog
// receiver runs it: the auto-detecting "syslog" parser building lists, raw
// kept (a source's default), event slots reused in batches of 512; and the
// same building maps, as other callers do.
func BenchmarkSyslogW1(b *testing.B) {
	for _, rfc := range []string{"5424", "3164"} {
		for _, list := range []bool{true, false} {
			name := rfc + "/list"
			if !list {
				name = rfc + "/map"
			}
			b.Run(name, func(b *testing.B) {
				lines := w1Lines(4096, rfc)
				p, _ := New("syslog", Options{ListFields: list})
				evs := make([]event.Event, 512)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if err := p.Parse(lines[i%len(lines)], &evs[i%len(evs)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// TestSyslogW1AllocBudget pins the allocations per Parse of W1's lines
// (varying pid, user, address and port, so the header cache hits only on
// host and program): the message, its box, the procid and pid, the user,
// address, port and the two list boxes. Measured 10 for both.
func TestSyslogW1AllocBudget(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage and race instrumentation change allocations")
	}
	for _, rfc := range []string{"5424", "3164"} {
		lines := w1Lines(512, rfc)
		p, _ := New("syslog", Options{DropRaw: true})
		evs := make([]event.Event, 64)
		i := 0
		parse := func() {
			if err := p.Parse(lines[i%len(lines)], &evs[i%len(evs)]); err != nil {
				t.Fatal(err)
			}
			i++
		}
		for range len(lines) {
			parse()
		}
		got := testing.AllocsPerRun(2000, parse)
		t.Logf("W1 %s: %.1f allocs per Parse", rfc, got)
		if got > 11 {
			t.Errorf("W1 %s: %.1f allocs per Parse, budget 11", rfc, got)
		}
	}
}
