package sigma

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
)

// naiveFind lists pattern ids occurring in s, by brute force.
func naiveFind(pats []string, s string) []int32 {
	var out []int32
	for i, p := range pats {
		if p != "" && strings.Contains(s, p) {
			out = append(out, int32(i))
		}
	}
	return out
}

func TestDFA(t *testing.T) {
	tests := []struct {
		pats []string
		in   string
	}{
		{[]string{"he", "she", "his", "hers"}, "ushers"},
		{[]string{"a", "aa", "aaa"}, "aaaa"},
		{[]string{"abc", "bcd", "cde", "x"}, "abcde"},
		{[]string{"", "z"}, "zz"},
		{[]string{"\x00\xff", "\xff"}, "a\x00\xffb"},
	}
	for _, tt := range tests {
		for _, foldASCII := range []bool{false, true} {
			d := buildDFA(tt.pats, foldASCII)
			var got []int32
			d.find(tt.in, func(id int32) {
				if !slices.Contains(got, id) {
					got = append(got, id)
				}
			})
			slices.Sort(got)
			if want := naiveFind(tt.pats, tt.in); !slices.Equal(got, want) {
				t.Errorf("%q in %q: got %v, want %v", tt.pats, tt.in, got, want)
			}
			if d.any(tt.in) != (len(naiveFind(tt.pats, tt.in)) > 0) {
				t.Errorf("any(%q) wrong", tt.in)
			}
		}
	}
	// Randomised: many patterns over a small alphabet force deep sparse
	// states and long failure chains.
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcA"[r.IntN(4)]
		}
		return string(b)
	}
	var pats []string
	for range 3000 {
		pats = append(pats, strings.ToLower(word(1+r.IntN(8))))
	}
	d := buildDFA(pats, true)
	for range 300 {
		in := word(40)
		var got []int32
		d.find(in, func(id int32) {
			if !slices.Contains(got, id) {
				got = append(got, id)
			}
		})
		slices.Sort(got)
		if want := naiveFind(pats, strings.ToLower(in)); !slices.Equal(got, want) {
			t.Fatalf("%q: got %d ids, want %d", in, len(got), len(want))
		}
	}
}

// commandLineWorkload returns the prefilter literals of the CommandLine
// field for the 1,183 process_creation rules and real folded command lines.
func commandLineWorkload(b *testing.B) ([]string, []string) {
	rs := processCreationRules(b, 0)
	var pats []string
	for _, tf := range rs.bucketList[0].trig {
		if rs.fields[tf.slot][0] != "CommandLine" {
			continue
		}
		seen := map[string]bool{}
		for _, r := range rs.Rules() {
			d, ok := nodeDNF(r.det.cond)
			if !ok {
				continue
			}
			for _, c := range d {
				for _, cl := range c {
					for _, a := range cl {
						if a.slot == tf.slot && !seen[a.lit] {
							seen[a.lit] = true
							pats = append(pats, a.lit)
						}
					}
				}
			}
		}
	}
	var lines []string
	for _, ev := range processCreationEvents(b) {
		if s, ok := ev["CommandLine"].(string); ok {
			lines = append(lines, fold(s))
		}
	}
	return pats, lines
}

// BenchmarkAutomaton compares this package's automaton with
// github.com/BobuSumisu/aho-corasick on the CommandLine literals of
// process_creation (the largest automaton of workload W2).
func BenchmarkAutomaton(b *testing.B) {
	pats, lines := commandLineWorkload(b)
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.Run("own", func(b *testing.B) {
		d := buildDFA(pats, true)
		mem := 4*len(d.dense) + 16*len(d.sparse) + 5*len(d.edgeTo) + 4*len(d.outStart) + 4*len(d.out)
		b.ReportAllocs()
		b.SetBytes(int64(size / len(lines)))
		hits, i := 0, 0
		for b.Loop() {
			d.find(lines[i%len(lines)], func(int32) { hits++ })
			i++
		}
		b.ReportMetric(float64(d.states()), "states")
		b.ReportMetric(float64(mem)/1e6, "MB")
	})
	b.Run("BobuSumisu", func(b *testing.B) {
		tr := ahocorasick.NewTrieBuilder().AddStrings(pats).Build()
		b.ReportAllocs()
		b.SetBytes(int64(size / len(lines)))
		hits, i := 0, 0
		fn := func(end, n, pattern int64) bool { hits++; return true }
		for b.Loop() {
			tr.Walk([]byte(lines[i%len(lines)]), fn)
			i++
		}
		// Its layout: one [256]int64 row plus four int64 per state, over
		// the same trie (same state count as ours).
		states := buildDFA(pats, false).states()
		b.ReportMetric(float64(states*(256*8+4*8))/1e6, "MB")
	})
}

// naiveAnchored lists the pattern ids s starts with (or, reversed, ends
// with), by brute force.
func naiveAnchored(pats []string, s string) []int32 {
	var out []int32
	for i, p := range pats {
		if p != "" && strings.HasPrefix(s, p) {
			out = append(out, int32(i))
		}
	}
	return out
}

// walkTrie collects the ids an anchored walk from the start of s reports.
func walkTrie(d *dfa, s string) []int32 {
	var got []int32
	st := int32(0)
	for i := 0; i < len(s); i++ {
		v := d.stepAnchored(st, d.cls[s[i]])
		if v < 0 {
			break
		}
		st = v >> 1
		if v&1 != 0 {
			q := d.stateOf(st)
			got = append(got, d.out[d.outStart[q]:d.outStart[q+1]]...)
		}
	}
	slices.Sort(got)
	return got
}

func TestTrie(t *testing.T) {
	tests := []struct {
		pats []string
		in   string
		want []int32
	}{
		{[]string{"he", "she", "his", "hers"}, "hers", []int32{0, 3}},
		{[]string{"he", "she", "his", "hers"}, "ushers", nil}, // anchored: no "she"
		{[]string{"a", "aa", "aaa"}, "aaaa", []int32{0, 1, 2}},
		{[]string{"", "z", "z"}, "zz", []int32{1, 2}},
		{[]string{"\x00\xff", "\xff"}, "\x00\xffb", []int32{0}},
		{[]string{"abc"}, "ab", nil},
	}
	for _, tt := range tests {
		if got := walkTrie(buildTrie(tt.pats, false), tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("%q on %q: got %v, want %v", tt.pats, tt.in, got, tt.want)
		}
	}
	// Randomised, with enough patterns to have sparse (non-dense) states.
	r := rand.New(rand.NewPCG(3, 4))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcA"[r.IntN(4)]
		}
		return string(b)
	}
	var pats []string
	for range 3000 {
		pats = append(pats, strings.ToLower(word(1+r.IntN(10))))
	}
	d := buildTrie(pats, true)
	if d.states() <= maxDense {
		t.Fatalf("only %d states: the sparse part is not exercised", d.states())
	}
	for range 2000 {
		in := word(r.IntN(14))
		if got, want := walkTrie(d, in), naiveAnchored(pats, strings.ToLower(in)); !slices.Equal(got, want) {
			t.Fatalf("%q: got %v, want %v", in, got, want)
		}
	}
}
