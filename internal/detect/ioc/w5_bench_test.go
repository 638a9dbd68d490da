package ioc

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// w5Probes returns n probes of type t of which perMille per thousand are in
// the set, the rest verified absent (no hit, parents included), shuffled:
// the hit rate of PERFORMANCE.md's W5 workload (0.1%) rather than
// BenchmarkLookupCold's pessimistic half.
func w5Probes(b *testing.B, s *Set, t Type, n, perMille int) []string {
	inds, _ := bench1M()
	var in []string
	for _, x := range inds {
		if x.Type == t {
			in = append(in, x.Value)
		}
	}
	hit := false
	probe := func(v string) bool {
		hit = false
		on := func(Match) { hit = true }
		switch t {
		case TypeDomain:
			s.LookupDomain(v, on)
		case TypeURL:
			s.LookupURL(v, on)
		case TypeIPv4, TypeIPv6:
			s.LookupIP(netip.MustParseAddr(v), on)
		default:
			s.LookupHash(v, on)
		}
		return hit
	}
	want := n - n*perMille/1000
	var out []string
	for seed := uint64(100); len(out) < want && seed < 200; seed++ {
		for _, x := range genIndicators(rand.New(rand.NewPCG(seed, seed+1)), 1<<18) {
			if x.Type == t && len(out) < want && !probe(x.Value) {
				out = append(out, x.Value)
			}
		}
	}
	if len(out) < want {
		b.Fatalf("only %d absent %v probes", len(out), t)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for len(out) < n {
		out = append(out, in[r.IntN(len(in))])
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return contiguous(out)
}

// BenchmarkLookupColdW5 is BenchmarkLookupCold at W5's 0.1% hit rate.
func BenchmarkLookupColdW5(b *testing.B) {
	_, s := bench1M()
	n := 1 << 18
	if benchN < 1_000_000 {
		n = 1 << 12
	}
	for _, t := range []Type{TypeIPv4, TypeDomain, TypeURL, TypeSHA256} {
		b.Run(t.String(), func(b *testing.B) {
			ps := w5Probes(b, s, t, n, 1)
			var addrs []netip.Addr
			if t == TypeIPv4 {
				for _, p := range ps {
					addrs = append(addrs, netip.MustParseAddr(p))
				}
			}
			hits := 0
			count := func(Match) { hits++ }
			b.ReportAllocs()
			i := 0
			var c0 time.Duration
			for b.Loop() {
				if i == 0 {
					c0 = cpuNow()
				}
				switch t {
				case TypeIPv4:
					s.LookupIP(addrs[i&(n-1)], count)
				case TypeDomain:
					s.LookupDomain(ps[i&(n-1)], count)
				case TypeURL:
					s.LookupURL(ps[i&(n-1)], count)
				default:
					s.LookupHash(ps[i&(n-1)], count)
				}
				i++
			}
			reportCPU(b, c0)
		})
	}
}
