package ioc

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchN is the benchmark set size: a million indicators, or a small set under
// the race detector, where `make test` runs every benchmark once only to
// prove it works and a million-indicator build would take minutes.
var benchN = 1_000_000

// bench1M holds the 1M-indicator workload, built once per test binary and
// only by benchmarks.
var bench1M = sync.OnceValues(func() ([]Indicator, *Set) {
	inds := genIndicators(rand.New(rand.NewPCG(7, 8)), benchN)
	s, err := Build(inds)
	if err != nil {
		panic(err)
	}
	return inds, s
})

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// reportCPU reports the process CPU time per operation since c0.
func reportCPU(b *testing.B, c0 time.Duration) {
	if c0 > 0 {
		b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkBuild1M builds the 1M mixed set (40% IPv4, 5% IPv6, 5% CIDR,
// 25% domains, 10% URLs, 15% hashes) and reports the set's heap size,
// measured with runtime.ReadMemStats after GC.
func BenchmarkBuild1M(b *testing.B) {
	inds, _ := bench1M()
	b.ReportAllocs()
	var c0 time.Duration
	for b.Loop() {
		if c0 == 0 {
			c0 = cpuNow()
		}
		if _, err := Build(inds); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, c0)
	b.StopTimer()
	before := heapInUse()
	s, err := Build(inds)
	if err != nil {
		b.Fatal(err)
	}
	after := heapInUse()
	runtime.KeepAlive(s)
	b.ReportMetric(float64(after-before)/1e6, "MB-heap")
	b.ReportMetric(float64(after-before)/float64(len(inds)), "B/indicator")
}

// BenchmarkBuild1MWarninglists builds the 1M set checking every indicator
// against the real MISP warninglists (shared test data).
func BenchmarkBuild1MWarninglists(b *testing.B) {
	w := loadRealLists(b)
	inds, _ := bench1M()
	b.ReportAllocs()
	var s *Set
	var c0 time.Duration
	for b.Loop() {
		if c0 == 0 {
			c0 = cpuNow()
		}
		var err error
		if s, err = Build(inds, WithWarninglists(w)); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, c0)
	b.ReportMetric(float64(len(s.Warned())), "warned")
}

// coldProbes returns n probes of type t: half are values in the set, in
// random order, half absent.
func coldProbes(t Type, n int) []string {
	inds, _ := bench1M()
	var in []string
	for _, x := range inds {
		if x.Type == t {
			in = append(in, x.Value)
		}
	}
	r := rand.New(rand.NewPCG(9, 10))
	absent := genIndicators(rand.New(rand.NewPCG(11, 12)), 4*n)
	var out []string
	for _, x := range absent {
		if x.Type == t && len(out) < n/2 {
			out = append(out, x.Value)
		}
	}
	for len(out) < n {
		out = append(out, in[r.IntN(len(in))])
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return contiguous(out)
}

// contiguous copies the strings into one backing array, in order, so that
// reading the next probe is a sequential access, as reading a value from a
// just-decoded event is; the lookup's own memory accesses stay random.
func contiguous(ss []string) []string {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, s := range ss {
		sb.WriteString(s)
	}
	all := sb.String()
	out := make([]string, len(ss))
	off := 0
	for i, s := range ss {
		out[i] = all[off : off+len(s)]
		off += len(s)
	}
	return out
}

// BenchmarkLookupCold looks up random probes, half present, against the
// 1M set (about 80 MB, far larger than L2): every lookup misses the cache.
// IP lookups include the CIDR table.
func BenchmarkLookupCold(b *testing.B) {
	_, s := bench1M()
	np := 1 << 20
	if benchN < 1_000_000 {
		np = 1 << 12
	}
	hits := 0
	count := func(Match) { hits++ }
	b.Run("ipv4", func(b *testing.B) {
		ps := coldProbes(TypeIPv4, np)
		addrs := make([]netip.Addr, len(ps))
		for i, p := range ps {
			addrs[i] = netip.MustParseAddr(p)
		}
		b.ReportAllocs()
		i := 0
		var c0 time.Duration
		for b.Loop() {
			if i == 0 {
				c0 = cpuNow()
			}
			s.LookupIP(addrs[i&(np-1)], count)
			i++
		}
		reportCPU(b, c0)
	})
	b.Run("ipv6", func(b *testing.B) {
		ps := coldProbes(TypeIPv6, np/8)
		addrs := make([]netip.Addr, len(ps))
		for i, p := range ps {
			addrs[i] = netip.MustParseAddr(p)
		}
		b.ReportAllocs()
		i := 0
		var c0 time.Duration
		for b.Loop() {
			if i == 0 {
				c0 = cpuNow()
			}
			s.LookupIP(addrs[i%len(addrs)], count)
			i++
		}
		reportCPU(b, c0)
	})
	b.Run("domain", func(b *testing.B) {
		ps := coldProbes(TypeDomain, np)
		for i := range ps {
			if i%2 == 0 {
				ps[i] = "www." + ps[i] // one more label to walk
			}
		}
		ps = contiguous(ps)
		b.ReportAllocs()
		i := 0
		var c0 time.Duration
		for b.Loop() {
			if i == 0 {
				c0 = cpuNow()
			}
			s.LookupDomain(ps[i&(np-1)], count)
			i++
		}
		reportCPU(b, c0)
	})
	b.Run("url", func(b *testing.B) {
		ps := coldProbes(TypeURL, np/4)
		b.ReportAllocs()
		i := 0
		var c0 time.Duration
		for b.Loop() {
			if i == 0 {
				c0 = cpuNow()
			}
			s.LookupURL(ps[i%len(ps)], count)
			i++
		}
		reportCPU(b, c0)
	})
	b.Run("hash", func(b *testing.B) {
		var ps []string
		for _, t := range []Type{TypeMD5, TypeSHA1, TypeSHA256} {
			ps = append(ps, coldProbes(t, np/4)...)
		}
		rand.New(rand.NewPCG(1, 1)).Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		ps = contiguous(ps)
		b.ReportAllocs()
		i := 0
		var c0 time.Duration
		for b.Loop() {
			if i == 0 {
				c0 = cpuNow()
			}
			s.LookupHash(ps[i%len(ps)], count)
			i++
		}
		reportCPU(b, c0)
	})
	if hits == 0 && benchN == 1_000_000 { // one lookup per probe set under -race -benchtime=1x may miss
		b.Fatal("no probe matched")
	}
}

// BenchmarkLookupWarm repeats 4,096 probes (half present) against the 1M
// set, so the lines they touch can stay cached: next to
// BenchmarkLookupCold it separates the lookups' own work from memory
// latency.
func BenchmarkLookupWarm(b *testing.B) {
	_, s := bench1M()
	const np = 4096
	hits := 0
	count := func(Match) { hits++ }
	run := func(b *testing.B, ps []string, lookup func(string, func(Match))) {
		b.ReportAllocs()
		i := 0
		var c0 time.Duration
		for b.Loop() {
			if i == 0 {
				c0 = cpuNow()
			}
			lookup(ps[i&(np-1)], count)
			i++
		}
		reportCPU(b, c0)
	}
	b.Run("domain", func(b *testing.B) {
		ps := coldProbes(TypeDomain, np)
		for i := range ps {
			if i%2 == 0 {
				ps[i] = "www." + ps[i]
			}
		}
		run(b, contiguous(ps), s.LookupDomain)
	})
	b.Run("url", func(b *testing.B) { run(b, coldProbes(TypeURL, np), s.LookupURL) })
	if hits == 0 && benchN == 1_000_000 { // one lookup per probe set under -race -benchtime=1x may miss
		b.Fatal("no probe matched")
	}
}

// BenchmarkMatchEvent matches a typical firewall/proxy ECS event (eight
// candidate fields: IPs, DNS name, URL, e-mail, executable, SHA-256) against
// the 1M set; the event matches nothing, as nearly all events do.
func BenchmarkMatchEvent(b *testing.B) {
	_, s := bench1M()
	ev := typicalEvent()
	n := 0
	fn := func(Hit) { n++ }
	b.ReportAllocs()
	var start time.Time
	var c0 time.Duration
	for b.Loop() {
		if start.IsZero() {
			start, c0 = time.Now(), cpuNow()
		}
		s.MatchEvent(ev, fn)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	reportCPU(b, c0)
	if n != 0 {
		b.Fatalf("typical event matched %d indicators", n)
	}
}

// latencyHist is a histogram of call latencies in 100 ns buckets up to
// 50 ms (the last bucket collects the rest); recording does not allocate.
type latencyHist struct {
	n     []uint32
	total int
	max   time.Duration
}

const histStep = 100 * time.Nanosecond

func newLatencyHist() *latencyHist { return &latencyHist{n: make([]uint32, 500_000)} }

func (h *latencyHist) add(d time.Duration) {
	h.n[min(int(d/histStep), len(h.n)-1)]++
	h.total++
	h.max = max(h.max, d)
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h *latencyHist) quantile(q float64) time.Duration {
	want := int(q * float64(h.total))
	seen := 0
	for i, c := range h.n {
		if seen += int(c); seen > want {
			return time.Duration(i+1) * histStep
		}
	}
	return h.max
}

// runtimeHists snapshots the Go runtime's stop-the-world pause and
// scheduling latency histograms.
func runtimeHists() []metrics.Sample {
	ss := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}, {Name: "/sched/latencies:seconds"}}
	metrics.Read(ss)
	return ss
}

// histMaxSince returns the upper bound of the highest bucket of a runtime
// histogram that gained counts between before and after, and the bound
// below which fraction q of the new counts fall.
func histMaxSince(before, after metrics.Sample, q float64) (maxD, qD time.Duration) {
	hb, ha := before.Value.Float64Histogram(), after.Value.Float64Histogram()
	total := uint64(0)
	for i := range ha.Counts {
		total += ha.Counts[i] - hb.Counts[i]
	}
	seen := uint64(0)
	qSet := false
	for i := range ha.Counts {
		d := ha.Counts[i] - hb.Counts[i]
		if d == 0 {
			continue
		}
		hi := ha.Buckets[i+1]
		if math.IsInf(hi, 1) {
			hi = ha.Buckets[i]
		}
		maxD = time.Duration(hi * 1e9)
		if seen += d; !qSet && float64(seen) >= q*float64(total) {
			qD, qSet = maxD, true
		}
	}
	return maxD, qD
}

// BenchmarkReloadPause measures what a reload costs the readers. A reader
// goroutine matches events continuously (one hit per event) while the
// benchmark goroutine rebuilds the 1M set and swaps it in ("reload"), or
// sleeps ("idle"); the reader records the latency of every MatchEvent call.
// It reports p50, p99, p99.9 and max of those latencies in µs, calls over
// 10 ms, and the swap itself in ns. To tell the process's own pauses from
// the OS descheduling it, it also reports the longest garbage-collection
// stop-the-world pause (gc-stw-max-us) and the p99 and max of the Go
// scheduler latency (sched-p99-us, sched-max-us: time a runnable goroutine
// waited for a processor), from runtime/metrics. The difference between "reload" and
// "idle" is what the reload costs a lookup; on a shared machine both
// include the reader waiting for a CPU. With -cpu 1 the builder and the
// reader share one processor, and the reader may wait for the Go
// scheduler's time slice (10 ms). (Yielding in Build every 1,024
// indicators was tried: against this always-busy reader it made a reload
// take 20 s instead of 0.7 s and did not lower the reader's maximum.)
func BenchmarkReloadPause(b *testing.B) {
	inds, s := bench1M()
	ev := typicalEvent()
	for _, in := range inds {
		if in.Type == TypeIPv4 {
			ev.Fields["destination.ip"] = in.Value // a hit in every set
			break
		}
	}
	for _, reload := range []bool{true, false} {
		name := "reload"
		if !reload {
			name = "idle"
		}
		b.Run(name, func(b *testing.B) {
			m := NewMatcher(s)
			var stop atomic.Bool
			var wg sync.WaitGroup
			h := newLatencyHist()
			hits := 0
			onHit := func(Hit) { hits++ }
			wg.Go(func() {
				for !stop.Load() {
					hits = 0
					t0 := time.Now()
					m.MatchEvent(ev, onHit)
					h.add(time.Since(t0))
					if hits == 0 {
						panic("reader lost the indicator during a reload")
					}
				}
			})
			var swapMax time.Duration
			rt0 := runtimeHists()
			for b.Loop() {
				if !reload {
					time.Sleep(time.Second)
					continue
				}
				next, err := Build(inds)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				m.Swap(next)
				swapMax = max(swapMax, time.Since(t0))
			}
			stop.Store(true)
			wg.Wait()
			rt1 := runtimeHists()
			gcMax, _ := histMaxSince(rt0[0], rt1[0], 1)
			schedMax, schedP99 := histMaxSince(rt0[1], rt1[1], 0.99)
			us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
			b.ReportMetric(us(h.quantile(0.5)), "p50-us")
			b.ReportMetric(us(h.quantile(0.99)), "p99-us")
			b.ReportMetric(us(h.quantile(0.999)), "p99.9-us")
			b.ReportMetric(us(h.max), "max-us")
			over := 0
			for i := int(10 * time.Millisecond / histStep); i < len(h.n); i++ {
				over += int(h.n[i])
			}
			b.ReportMetric(float64(over), "calls>10ms")
			b.ReportMetric(float64(h.total), "reader-calls")
			b.ReportMetric(us(gcMax), "gc-stw-max-us")
			b.ReportMetric(us(schedP99), "sched-p99-us")
			b.ReportMetric(us(schedMax), "sched-max-us")
			if reload {
				b.ReportMetric(float64(swapMax.Nanoseconds()), "swap-ns")
			}
		})
	}
}

// BenchmarkBaselineCold puts the cold figures in context on a shared,
// noisy machine: "dram" is one random read from 256 MiB (one cache miss),
// "gomap" a Go map[uint32]uint32 with 1M keys probed like
// BenchmarkLookupCold/ipv4 (the PERFORMANCE.md §3 baseline, 72 ns idle).
func BenchmarkBaselineCold(b *testing.B) {
	np := 1 << 20
	if benchN < 1_000_000 {
		np = 1 << 12
	}
	r := rand.New(rand.NewPCG(13, 14))
	b.Run("dram", func(b *testing.B) {
		mem := make([]uint64, 32<<20)
		for i := range mem {
			mem[i] = uint64(i)
		}
		idx := make([]uint32, np)
		for i := range idx {
			idx[i] = uint32(r.IntN(len(mem)))
		}
		var sum uint64
		i := 0
		var c0 time.Duration
		for b.Loop() {
			if i == 0 {
				c0 = cpuNow()
			}
			sum += mem[idx[i&(np-1)]]
			i++
		}
		reportCPU(b, c0)
		runtime.KeepAlive(sum)
	})
	b.Run("gomap", func(b *testing.B) {
		m := make(map[uint32]uint32, benchN)
		keys := make([]uint32, 0, benchN)
		for len(keys) < benchN {
			k := r.Uint32()
			m[k] = uint32(len(keys))
			keys = append(keys, k)
		}
		probes := make([]uint32, np)
		for i := range probes {
			if i%2 == 0 {
				probes[i] = keys[r.IntN(len(keys))]
			} else {
				probes[i] = r.Uint32()
			}
		}
		var sum uint32
		i := 0
		var c0 time.Duration
		for b.Loop() {
			if i == 0 {
				c0 = cpuNow()
			}
			sum += m[probes[i&(np-1)]]
			i++
		}
		reportCPU(b, c0)
		runtime.KeepAlive(sum)
	})
}
