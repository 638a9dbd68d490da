package sigma

import "unicode/utf8"

// dfa is an Aho-Corasick automaton over byte classes (bytes that occur in
// no pattern share class 0). The first ndense states, numbered
// breadth-first — the shallow ones, where scanning spends most of its time
// — have complete transition rows, so a step is one table load. Deeper
// states keep only their trie edges plus a failure link, which keeps memory
// proportional to the total pattern length instead of states × classes.
// They are numbered depth-first and packed into one 16-byte record each
// with their first edge inline, so following a literal through the trie
// reads consecutive records (one cache line for four states) instead of
// three scattered arrays.
type dfa struct {
	cls        [256]uint8
	ncls       int
	ndense     int32
	denseLimit int32         // ndense*ncls: codes below it are dense rows
	dense      []int32       // code + class → next code<<1 | has-output bit
	sparse     []sparseState // code - denseLimit → deep state
	edgeCls    []uint8       // further edges of sparse states
	edgeTo     []int32       // next code<<1 | has-output bit
	// rootSkip marks ASCII bytes that leave the root state where it is
	// (no pattern starts with them): a scan at the root skips them
	// without touching the table.
	rootSkip [256]bool
	outStart []int32 // outputs of state s: out[outStart[s]:outStart[s+1]]
	out      []int32 // pattern ids
}

// sparseState is a deep automaton state: its first trie edge (class cls
// to code to, when n > 0), its other n-1 edges at edgeCls/edgeTo[more:],
// and the code of its failure state.
type sparseState struct {
	cls  uint8
	n    uint16
	more int32
	to   int32
	fail int32
}

// maxDense bounds the states with full transition rows; 512 keeps the
// table of a large automaton (~100 classes) near 200 KB, inside L2.
const maxDense = 512

// buildDFA compiles the patterns; pattern i is reported as id i. Empty
// patterns are ignored. With foldASCII, upper-case ASCII input bytes
// share the class of their lower-case letter, so folded patterns match
// unfolded ASCII text.
func buildDFA(pats []string, foldASCII bool) *dfa {
	return buildAutomaton(pats, foldASCII, false)
}

// buildTrie compiles anchored patterns: the automaton only follows trie
// edges from the first input byte, a missing edge leading to the dead code
// -2 (see stepAnchored), and a state reports only the patterns spelled by
// its own path. Walking a value's bytes from its start finds the patterns
// it begins with; walking them backwards over reversed patterns finds
// those it ends with.
func buildTrie(pats []string, foldASCII bool) *dfa {
	return buildAutomaton(pats, foldASCII, true)
}

// deadCode is what an anchored automaton's step returns when no pattern
// continues: negative, without the output bit.
const deadCode = -2

func buildAutomaton(pats []string, foldASCII, anchored bool) *dfa {
	d := &dfa{}
	var used [256]bool
	for _, p := range pats {
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	d.ncls = 1
	for b := range 256 {
		if used[b] {
			d.cls[b] = uint8(d.ncls)
			d.ncls++
		}
	}
	if d.ncls > 256 {
		d.ncls = 256
		for b := range 256 {
			d.cls[b] = uint8(b)
		}
	}
	if foldASCII {
		for c := 'A'; c <= 'Z'; c++ {
			d.cls[c] = d.cls[c+'a'-'A']
		}
	}
	nc := d.ncls
	// Trie: sorted child lists per state.
	type edge struct {
		c  uint8
		to int32
	}
	children := [][]edge{nil}
	outs := [][]int32{nil}
	for id, p := range pats {
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := d.cls[p[i]]
			next := int32(-1)
			for _, e := range children[s] {
				if e.c == c {
					next = e.to
					break
				}
			}
			if next < 0 {
				next = int32(len(children))
				children = append(children, nil)
				outs = append(outs, nil)
				children[s] = append(children[s], edge{c, next})
			}
			s = next
		}
		outs[s] = append(outs[s], int32(id))
	}
	n := len(children)
	// Breadth-first order: renumber so that shallow states come first.
	order := make([]int32, 0, n)
	order = append(order, 0)
	for i := 0; i < len(order); i++ {
		for _, e := range children[order[i]] {
			order = append(order, e.to)
		}
	}
	// Failure links in BFS order (old ids).
	fail := make([]int32, n)
	goTo := func(s int32, c uint8) int32 { // trie edge or -1
		for _, e := range children[s] {
			if e.c == c {
				return e.to
			}
		}
		return -1
	}
	for _, s := range order {
		if anchored {
			break // no failure links: fail stays the root, outputs unmerged
		}
		for _, e := range children[s] {
			t := e.to
			if s == 0 {
				fail[t] = 0
			} else {
				f := fail[s]
				for {
					if g := goTo(f, e.c); g >= 0 {
						fail[t] = g
						break
					}
					if f == 0 {
						fail[t] = 0
						break
					}
					f = fail[f]
				}
			}
			if f := fail[t]; len(outs[f]) > 0 {
				outs[t] = append(outs[t], outs[f]...)
			}
		}
	}
	d.ndense = int32(min(n, maxDense))
	d.denseLimit = d.ndense * int32(nc)
	// Final numbering: the first ndense states breadth-first, the others
	// depth-first, so a literal's chain of deep states is contiguous.
	final := append(make([]int32, 0, n), order[:d.ndense]...)
	isDense := make([]bool, n)
	for _, s := range final {
		isDense[s] = true
	}
	stack := []int32{0}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !isDense[s] {
			final = append(final, s)
		}
		for i := len(children[s]) - 1; i >= 0; i-- {
			stack = append(stack, children[s][i].to)
		}
	}
	order = final
	newID := make([]int32, n)
	for i, s := range order {
		newID[s] = int32(i)
	}
	// A state's code is its row offset when dense, so a scan step is one
	// add and one load with no multiply on the dependency chain.
	enc := func(old int32) int32 {
		v := d.code(newID[old]) << 1
		if len(outs[old]) > 0 {
			v |= 1
		}
		return v
	}
	d.dense = make([]int32, int(d.ndense)*nc)
	d.sparse = make([]sparseState, n-int(d.ndense))
	d.outStart = make([]int32, n+1)
	for ni, s := range order {
		d.outStart[ni] = int32(len(d.out))
		d.out = append(d.out, outs[s]...)
		if int32(ni) < d.ndense {
			// Complete row: trie edge, else the failure state's row (already
			// filled: it is shallower), root defaults to itself.
			row := d.dense[ni*nc : ni*nc+nc]
			for c := range nc {
				if g := goTo(s, uint8(c)); g >= 0 {
					row[c] = enc(g)
				} else if anchored {
					row[c] = deadCode
				} else if ni == 0 {
					row[c] = 0
				} else {
					f := newID[fail[s]]
					row[c] = d.dense[int(f)*nc+c]
				}
			}
			continue
		}
		sp := &d.sparse[ni-int(d.ndense)]
		sp.fail = d.code(newID[fail[s]])
		sp.n = uint16(len(children[s]))
		sp.more = int32(len(d.edgeTo))
		for i, e := range children[s] {
			if i == 0 {
				sp.cls, sp.to = e.c, enc(e.to)
				continue
			}
			d.edgeCls = append(d.edgeCls, e.c)
			d.edgeTo = append(d.edgeTo, enc(e.to))
		}
	}
	d.outStart[n] = int32(len(d.out))
	for b := range utf8.RuneSelf {
		d.rootSkip[b] = d.dense[d.cls[b]] == 0
	}
	return d
}

// code returns the scan code of state s: s*ncls for dense states, then
// consecutive numbers after denseLimit.
func (d *dfa) code(s int32) int32 {
	if s < d.ndense {
		return s * int32(d.ncls)
	}
	return d.denseLimit + s - d.ndense
}

// stateOf inverts code.
func (d *dfa) stateOf(code int32) int32 {
	if code < d.denseLimit {
		return code / int32(d.ncls)
	}
	return code - d.denseLimit + d.ndense
}

// step follows one input byte class from the state with the given code;
// the result is the next code<<1 | has-output bit.
func (d *dfa) step(code int32, c uint8) int32 {
	for code >= d.denseLimit {
		sp := &d.sparse[code-d.denseLimit]
		if v, ok := d.edge(sp, c); ok {
			return v
		}
		code = sp.fail
	}
	return d.dense[code+int32(c)]
}

// edge returns the trie edge of a sparse state for class c.
func (d *dfa) edge(sp *sparseState, c uint8) (int32, bool) {
	if sp.n == 0 {
		return 0, false
	}
	if sp.cls == c {
		return sp.to, true
	}
	for e := sp.more; e < sp.more+int32(sp.n)-1; e++ {
		if d.edgeCls[e] == c {
			return d.edgeTo[e], true
		}
	}
	return 0, false
}

// stepAnchored is step for an automaton built by buildTrie: a missing
// edge gives deadCode.
func (d *dfa) stepAnchored(code int32, c uint8) int32 {
	if code < d.denseLimit {
		return d.dense[code+int32(c)]
	}
	if v, ok := d.edge(&d.sparse[code-d.denseLimit], c); ok {
		return v
	}
	return deadCode
}

// states returns the number of automaton states.
func (d *dfa) states() int { return len(d.outStart) - 1 }

// any reports whether some pattern occurs in s.
func (d *dfa) any(s string) bool {
	st := int32(0)
	for i := 0; i < len(s); i++ {
		v := d.step(st, d.cls[s[i]])
		if v&1 != 0 {
			return true
		}
		st = v >> 1
	}
	return false
}

// find calls fn for every pattern occurrence in s.
func (d *dfa) find(s string, fn func(id int32)) {
	st := int32(0)
	for i := 0; i < len(s); i++ {
		v := d.step(st, d.cls[s[i]])
		st = v >> 1
		if v&1 != 0 {
			q := d.stateOf(st)
			for _, id := range d.out[d.outStart[q]:d.outStart[q+1]] {
				fn(id)
			}
		}
	}
}
