package sigma

import (
	"slices"
	"sort"
)

// The prefilter: for every rule, a disjunction of conjunctions of clauses,
// each clause a set of (field, folded literal) atoms. Whenever the rule
// matches, some conjunction has every clause satisfied, a clause being
// satisfied when one of its literals occurs in its field. Requiring all
// clauses of a conjunction (up to maxClauses of the most selective ones)
// makes common literals such as "\windows\" harmless when paired with a
// rarer one.

// atom is a folded literal that must occur in a field: anywhere, or (when
// the pattern says so) at its start, at its end or as the whole value.
type atom struct {
	slot   int
	lit    string
	anchor anchor
}

// anchor is where an atom's literal must be in the field's value.
type anchor uint8

const (
	anyWhere anchor = iota
	atStart
	atEnd
	wholeValue
)

type clause []atom
type conj []clause
type dnf []conj

const (
	maxClauses = 4  // clauses kept per conjunction
	maxConjs   = 32 // conjunctions kept per rule before falling back
)

// score ranks a clause: longer shortest literal first, then fewer
// literals. A clause with a 1-byte literal fires on almost every event.
func score(c clause) int {
	minLen := 1 << 30
	for _, a := range c {
		minLen = min(minLen, len(a.lit))
	}
	return min(minLen, 12)*100000 - len(c)
}

// conjScore ranks a conjunction by its best clause.
func conjScore(c conj) int {
	best := 0
	for _, cl := range c {
		best = max(best, score(cl))
	}
	return best
}

// trim keeps the maxClauses best clauses of a conjunction.
func (c conj) trim() conj {
	if len(c) <= maxClauses {
		return c
	}
	out := append(conj(nil), c...)
	sort.SliceStable(out, func(i, j int) bool { return score(out[i]) > score(out[j]) })
	return out[:maxClauses]
}

// dnfScore ranks a whole trigger by its weakest conjunction.
func dnfScore(d dnf) int {
	worst := 1 << 30
	for _, c := range d {
		worst = min(worst, conjScore(c))
	}
	return worst - len(d)
}

// patLit returns the folded literal a value matching p contains and where
// it must be. Folding is per rune, so a value that starts with, ends with
// or equals a literal does so folded as well.
func patLit(p *strPat) (string, anchor) {
	switch p.kind {
	case kEq:
		return fold(p.lit), wholeValue
	case kPrefix:
		return fold(p.lit), atStart
	case kSuffix:
		return fold(p.lit), atEnd
	case kContains:
		return fold(p.lit), anyWhere
	case kGlob:
		best, at := "", anyWhere
		for i, g := range p.glob {
			if g.wild == 0 && len(g.lit) > len(best) {
				best, at = g.lit, anyWhere
				// globMatch anchors a leading literal at the start and
				// needs a trailing one to end the value.
				switch i {
				case 0:
					at = atStart
				case len(p.glob) - 1:
					at = atEnd
				}
			}
		}
		return fold(best), at
	}
	return "", anyWhere
}

// itemClauses returns clauses all of which hold whenever the item is true.
func itemClauses(it *item) (conj, bool) {
	if it.keyword || it.neq || it.orNull {
		return nil, false
	}
	var lits [][]atom // per value: literal alternatives
	switch {
	case it.op == opRe && len(it.res) > 0:
		for _, re := range it.res {
			l, ok := regexLiterals(re.String())
			if !ok {
				if it.all {
					continue
				}
				return nil, false
			}
			alts := make([]atom, len(l))
			for i, s := range l {
				alts[i] = atom{slot: it.slot, lit: s}
			}
			lits = append(lits, alts)
		}
	case it.op == opStr && len(it.pats) > 0:
		for i := range it.pats {
			l, at := patLit(&it.pats[i])
			if l == "" {
				if it.all {
					continue
				}
				return nil, false
			}
			lits = append(lits, []atom{{slot: it.slot, lit: l, anchor: at}})
		}
	default:
		return nil, false
	}
	if len(lits) == 0 {
		return nil, false
	}
	if it.all {
		var c conj
		for _, l := range lits {
			c = append(c, clause(l))
		}
		return c.trim(), true
	}
	var cl clause
	for _, l := range lits {
		cl = append(cl, l...)
	}
	return conj{cl}, true
}

func selectionDNF(s *selection) (dnf, bool) {
	var out dnf
	for _, alt := range s.alts {
		var c conj
		for _, it := range alt {
			if ic, ok := itemClauses(it); ok {
				c = append(c, ic...)
			}
		}
		if len(c) == 0 {
			return nil, false
		}
		out = append(out, c.trim())
	}
	return out, true
}

// nodeDNF derives the trigger of a condition: "and" combines children
// (cross product, or the best child when that grows too large), "or"
// unites them, "not" gives nothing.
func nodeDNF(n node) (dnf, bool) {
	switch x := n.(type) {
	case *selNode:
		return selectionDNF(x.sel)
	case *andNode:
		var kids []dnf
		for _, k := range x.kids {
			if d, ok := nodeDNF(k); ok {
				kids = append(kids, d)
			}
		}
		if len(kids) == 0 {
			return nil, false
		}
		prod := dnf{nil}
		for _, d := range kids {
			if len(prod)*len(d) > maxConjs {
				prod = nil
				break
			}
			var next dnf
			for _, p := range prod {
				for _, c := range d {
					next = append(next, append(append(conj(nil), p...), c...).trim())
				}
			}
			prod = next
		}
		if prod != nil {
			return prod, true
		}
		sort.SliceStable(kids, func(i, j int) bool { return dnfScore(kids[i]) > dnfScore(kids[j]) })
		return kids[0], true
	case *orNode:
		var out dnf
		for _, k := range x.kids {
			d, ok := nodeDNF(k)
			if !ok {
				return nil, false
			}
			out = append(out, d...)
		}
		return out, true
	case *countNode:
		if x.n == len(x.kids) {
			return nodeDNF(&andNode{kids: x.kids})
		}
		return nodeDNF(&orNode{kids: x.kids})
	}
	return nil, false
}

// trigTarget is what one prefilter literal hit advances: bit of group.
// It carries its group's full clause mask and rule index, so recording a
// hit reads nothing else.
type trigTarget struct {
	group int32
	rule  int32 // index in the bucket's rules
	bit   uint8
	full  uint8 // the group's mask of all its clauses
}

func (rs *Ruleset) buildBucket(b *bucket) {
	words := (len(b.rules) + 63) / 64
	b.always = make([]uint64, words)
	type patKey struct {
		lit    string
		anchor anchor
	}
	type fieldPats struct {
		index   map[patKey]int32
		pats    []patKey
		targets [][]trigTarget
	}
	perSlot := make(map[int]*fieldPats)
	var slots []int
	for i, r := range b.rules {
		d, ok := nodeDNF(r.det.cond)
		if !ok {
			b.always[i>>6] |= 1 << (i & 63)
			rs.stats.Always++
			continue
		}
		rs.stats.Prefiltered++
		for _, c := range d {
			g := int32(len(b.groupRule))
			b.groupRule = append(b.groupRule, int32(i))
			for ci, cl := range c {
				for _, a := range cl {
					fp := perSlot[a.slot]
					if fp == nil {
						fp = &fieldPats{index: make(map[patKey]int32)}
						perSlot[a.slot] = fp
						slots = append(slots, a.slot)
					}
					k := patKey{a.lit, a.anchor}
					pid, ok := fp.index[k]
					if !ok {
						pid = int32(len(fp.pats))
						fp.index[k] = pid
						fp.pats = append(fp.pats, k)
						fp.targets = append(fp.targets, nil)
					}
					t := trigTarget{group: g, rule: int32(i), bit: uint8(1 << ci), full: uint8(1<<len(c)) - 1}
					if tl := fp.targets[pid]; len(tl) == 0 || tl[len(tl)-1] != t {
						fp.targets[pid] = append(tl, t)
					}
				}
			}
		}
	}
	sort.Ints(slots)
	for _, s := range slots {
		fp := perSlot[s]
		// One automaton per anchoring, all numbering patterns by pid
		// (the others' patterns are left empty, which builders ignore).
		anyPats := make([]string, len(fp.pats))
		startPats := make([]string, len(fp.pats))
		endPats := make([]string, len(fp.pats))
		tf := trigField{slot: s, whole: make([]bool, len(fp.pats)), tgtStart: make([]int32, len(fp.pats)+1)}
		for pid, tl := range fp.targets {
			tf.tgtStart[pid] = int32(len(tf.tgt))
			tf.tgt = append(tf.tgt, tl...)
		}
		tf.tgtStart[len(fp.pats)] = int32(len(tf.tgt))
		var nAny, nStart, nEnd int
		for pid, k := range fp.pats {
			switch k.anchor {
			case anyWhere:
				anyPats[pid] = k.lit
				nAny++
			case atStart, wholeValue:
				startPats[pid] = k.lit
				tf.whole[pid] = k.anchor == wholeValue
				nStart++
			case atEnd:
				endPats[pid] = reverse(k.lit)
				nEnd++
			}
		}
		if nAny > 0 {
			tf.ac = buildDFA(anyPats, true)
			rs.stats.States += tf.ac.states()
		}
		if nStart > 0 {
			tf.start = buildTrie(startPats, true)
			rs.stats.States += tf.start.states()
		}
		if nEnd > 0 {
			tf.end = buildTrie(endPats, true)
			rs.stats.States += tf.end.states()
		}
		rs.stats.Patterns += len(fp.pats)
		b.trig = append(b.trig, tf)
	}
	rs.maxGroups = max(rs.maxGroups, len(b.groupRule))
}

// reverse returns s with its bytes in reverse order.
func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}
