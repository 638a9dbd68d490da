package sigma

import (
	"encoding/json"
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// slot states.
const (
	stMissing uint8 = iota
	stNull
	stPresent
)

// slotVal caches one field of the current event: its text forms and their
// case-folded forms, computed at most once per event.
type slotVal struct {
	gen    uint32
	state  uint8
	folded bool
	raw    []string
	fold   []string
}

// Matcher evaluates a Ruleset against events. It owns scratch memory that
// is reused from event to event, so matching does not allocate; a Matcher
// must not be used by two goroutines at once (make one per goroutine with
// Ruleset.NewMatcher; the Ruleset itself is read-only and shared).
type Matcher struct {
	rs     *Ruleset
	ev     Event
	evMap  Map // ev when it is a Map (nil otherwise)
	gen    uint32
	slots  []slotVal
	arena  []byte
	cand   []uint64
	gstate []uint8 // prefilter group → clauses seen in this event
	out    []*Rule

	evals int // rule conditions evaluated, for tuning

	routeCache  map[routeKey][]*bucket
	lastRoute   routeKey
	lastBuckets []*bucket // routeCache[lastRoute]
	lastOK      bool      // lastRoute is set

	kwItem *item
	kwPat  int
	kwFn   func(string) bool
}

// NewMatcher returns a Matcher for rs.
func (rs *Ruleset) NewMatcher() *Matcher {
	m := &Matcher{
		rs:     rs,
		slots:  make([]slotVal, len(rs.fields)),
		arena:  make([]byte, 0, 4096),
		cand:   make([]uint64, rs.maxWords),
		gstate: make([]uint8, rs.maxGroups),
	}
	m.kwFn = m.keywordVisit
	m.routeCache = make(map[routeKey][]*bucket)
	return m
}

// Match returns the detection rules that match ev among those whose
// logsource fits src. The returned slice is reused by the next call.
func (m *Matcher) Match(ev Event, src Source) []*Rule {
	m.begin(ev)
	m.out = m.out[:0]
	rs := m.rs
	if src.All {
		for _, b := range rs.bucketList {
			m.matchBucket(b)
		}
	} else if key := routeKeyOf(src); m.lastOK && key == m.lastRoute {
		// Consecutive events of one source skip the cache's hashing.
		for _, b := range m.lastBuckets {
			m.matchBucket(b)
		}
	} else if bl, ok := m.routeCache[key]; ok {
		m.lastRoute, m.lastBuckets, m.lastOK = key, bl, true
		for _, b := range bl {
			m.matchBucket(b)
		}
	} else {
		var bl []*bucket
		prods := [2]string{src.Product, ""}
		for pi, p := range prods {
			if pi == 1 && src.Product == "" {
				break
			}
			for si := 0; si <= len(src.Services); si++ {
				s := ""
				if si < len(src.Services) {
					if s = src.Services[si]; s == "" {
						continue
					}
				}
				for _, c := range src.Categories {
					if c == "" {
						continue
					}
					if b := rs.buckets[lsKey{product: p, category: c, service: s}]; b != nil {
						bl = append(bl, b)
					}
				}
				if b := rs.buckets[lsKey{product: p, service: s}]; b != nil {
					bl = append(bl, b)
				}
			}
		}
		for _, b := range bl {
			m.matchBucket(b)
		}
		if len(m.routeCache) < maxRouteCache {
			m.routeCache[routeKeyOf(src)] = bl
		}
	}
	m.ev, m.evMap = nil, nil
	return m.out
}

// routeKey identifies a Source by its product and the identity of its
// slices: the routers return shared static slices, so equal sources have
// equal keys and resolving their buckets is done once per Matcher.
type routeKey struct {
	product    string
	svc, cat   *string
	nsvc, ncat int
}

// maxRouteCache bounds the cache (callers building fresh slices per event
// would otherwise grow it).
const maxRouteCache = 256

func routeKeyOf(src Source) routeKey {
	return routeKey{
		product: src.Product,
		svc:     unsafe.SliceData(src.Services), nsvc: len(src.Services),
		cat: unsafe.SliceData(src.Categories), ncat: len(src.Categories),
	}
}

// begin starts a new event: cached slots become stale and the arena is
// reused, so strings produced for the previous event must not be kept.
func (m *Matcher) begin(ev Event) {
	m.ev = ev
	m.evMap, _ = ev.(Map)
	m.gen++
	if m.gen == 0 {
		for i := range m.slots {
			m.slots[i].gen = 0
		}
		m.gen = 1
	}
	m.arena = m.arena[:0]
}

func (m *Matcher) matchBucket(b *bucket) {
	words := m.cand[:len(b.always)]
	copy(words, b.always)
	gs := m.gstate[:len(b.groupRule)]
	clear(gs)
	for ti := range b.trig {
		tf := &b.trig[ti]
		sv := m.slot(tf.slot)
		if sv.state != stPresent {
			continue
		}
		if !sv.folded && m.scanField(b, tf, sv.raw, true, words, gs) {
			continue
		}
		// Non-ASCII text needs real folding: rescan the folded values
		// (hits are idempotent).
		m.scanField(b, tf, m.foldedVals(sv), false, words, gs)
	}
	for wi, w := range words {
		for w != 0 {
			bit := w & -w
			w &^= bit
			r := b.rules[wi<<6+bits.TrailingZeros64(bit)]
			m.evals++
			if r.det.cond.eval(m) {
				m.out = append(m.out, r)
			}
		}
	}
}

// scanField runs the field's prefilter over its values; with raw set it
// gives up (returning false) at the first non-ASCII byte it needs.
func (m *Matcher) scanField(b *bucket, tf *trigField, vals []string, raw bool, words []uint64, gs []uint8) bool {
	for _, s := range vals {
		if tf.ac != nil && !m.scanValue(b, tf, s, raw, words, gs) {
			return false
		}
		if tf.start != nil && !m.walkStart(b, tf, s, raw, words, gs) {
			return false
		}
		if tf.end != nil && !m.walkEnd(b, tf, s, raw, words, gs) {
			return false
		}
	}
	return true
}

// walkStart follows the field's prefix trie from the first byte of s.
func (m *Matcher) walkStart(b *bucket, tf *trigField, s string, raw bool, words []uint64, gs []uint8) bool {
	d := tf.start
	st := int32(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf && raw {
			return false
		}
		v := d.stepAnchored(st, d.cls[c])
		if v < 0 {
			return true
		}
		st = v >> 1
		if v&1 != 0 {
			m.hit(b, tf, d, d.stateOf(st), i == len(s)-1, words, gs)
		}
	}
	return true
}

// walkEnd follows the field's reversed suffix trie from the last byte of s.
func (m *Matcher) walkEnd(b *bucket, tf *trigField, s string, raw bool, words []uint64, gs []uint8) bool {
	d := tf.end
	st := int32(0)
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c >= utf8.RuneSelf && raw {
			return false
		}
		v := d.stepAnchored(st, d.cls[c])
		if v < 0 {
			return true
		}
		st = v >> 1
		if v&1 != 0 {
			m.hit(b, tf, d, d.stateOf(st), true, words, gs)
		}
	}
	return true
}

// scanValue runs the field's automaton over s, recording the prefilter
// groups its literals complete. With raw set, s is unfolded text and the
// scan gives up (returning false) at the first non-ASCII byte, which the
// automaton's ASCII case classes cannot fold.
func (m *Matcher) scanValue(b *bucket, tf *trigField, s string, raw bool, words []uint64, gs []uint8) bool {
	d := tf.ac
	dense, sparse := d.dense, d.sparse
	cls := &d.cls
	skip := &d.rootSkip
	lim := d.denseLimit
	st := int32(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if st == 0 && skip[c] {
			// At the root: run over the bytes no literal starts with.
			for {
				if i++; i == len(s) {
					return true
				}
				if c = s[i]; !skip[c] {
					break
				}
			}
		}
		if c >= utf8.RuneSelf && raw {
			return false
		}
		cl := cls[c]
		var v int32
		if st < lim {
			v = dense[st+int32(cl)]
		} else if sp := &sparse[st-lim]; sp.n != 0 && sp.cls == cl {
			v = sp.to // following a literal: its first trie edge, inline
		} else {
			v = d.step(st, cl)
		}
		st = v >> 1
		if v&1 != 0 {
			m.hit(b, tf, d, d.stateOf(st), true, words, gs)
		}
	}
	return true
}

// hit records the literals that end in state q of automaton d; whole-value
// literals count only when the walk is at the value's last byte.
func (m *Matcher) hit(b *bucket, tf *trigField, d *dfa, q int32, atEnd bool, words []uint64, gs []uint8) {
	for _, pid := range d.out[d.outStart[q]:d.outStart[q+1]] {
		if !atEnd && tf.whole[pid] {
			continue
		}
		for _, t := range tf.tgt[tf.tgtStart[pid]:tf.tgtStart[pid+1]] {
			g := gs[t.group] | t.bit
			gs[t.group] = g
			if g == t.full {
				words[t.rule>>6] |= 1 << (t.rule & 63)
			}
		}
	}
}

// slot returns the cached field for index i, fetching it on first use.
func (m *Matcher) slot(i int) *slotVal {
	sv := &m.slots[i]
	if sv.gen == m.gen {
		return sv
	}
	sv.gen = m.gen
	sv.raw = sv.raw[:0]
	sv.fold = sv.fold[:0]
	sv.folded = false
	var v any
	ok := false
	for _, name := range m.rs.fields[i] {
		if m.evMap != nil {
			// Map.Get without the interface call; only dotted names
			// need its nested walk.
			if v, ok = m.evMap[name]; !ok && strings.IndexByte(name, '.') >= 0 {
				v, ok = m.evMap.Get(name)
			}
		} else {
			v, ok = m.ev.Get(name)
		}
		if ok {
			break
		}
	}
	if !ok {
		sv.state = stMissing
		return sv
	}
	sv.state = stPresent
	switch x := v.(type) {
	case nil:
		sv.state = stNull
	case string:
		sv.raw = append(sv.raw, x)
	case []string:
		sv.raw = append(sv.raw, x...)
	case []any:
		for _, y := range x {
			if s, ok := m.scalarText(y); ok {
				sv.raw = append(sv.raw, s)
			}
		}
	default:
		if s, ok := m.scalarText(x); ok {
			sv.raw = append(sv.raw, s)
		}
	}
	return sv
}

// scalarText renders a non-string scalar into the arena.
func (m *Matcher) scalarText(v any) (string, bool) {
	start := len(m.arena)
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		m.arena = strconv.AppendInt(m.arena, x, 10)
	case int:
		m.arena = strconv.AppendInt(m.arena, int64(x), 10)
	case int32:
		m.arena = strconv.AppendInt(m.arena, int64(x), 10)
	case uint64:
		m.arena = strconv.AppendUint(m.arena, x, 10)
	case uint32:
		m.arena = strconv.AppendUint(m.arena, uint64(x), 10)
	case float64:
		m.arena = strconv.AppendFloat(m.arena, x, 'f', -1, 64)
	case bool:
		m.arena = strconv.AppendBool(m.arena, x)
	case json.Number:
		return string(x), true
	case time.Time:
		m.arena = x.AppendFormat(m.arena, time.RFC3339Nano)
	default:
		return "", false
	}
	return m.arenaString(start), true
}

func (m *Matcher) arenaString(start int) string {
	n := len(m.arena) - start
	if n == 0 {
		return ""
	}
	return unsafe.String(&m.arena[start], n)
}

// foldedVals returns the case-folded texts of a present slot.
func (m *Matcher) foldedVals(sv *slotVal) []string {
	if sv.folded {
		return sv.fold
	}
	sv.folded = true
	for _, s := range sv.raw {
		sv.fold = append(sv.fold, m.foldString(s))
	}
	return sv.fold
}

func (m *Matcher) foldString(s string) string {
	if !needsFold(s) {
		return s
	}
	start := len(m.arena)
	m.arena = appendFold(m.arena, s)
	return m.arenaString(start)
}

func (m *Matcher) evalSelection(s *selection) bool {
	for _, alt := range s.alts {
		ok := true
		for _, it := range alt {
			if !m.evalItem(it) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (p *strPat) match(v string) bool {
	switch p.kind {
	case kEq:
		return v == p.lit
	case kPrefix:
		return strings.HasPrefix(v, p.lit)
	case kSuffix:
		return strings.HasSuffix(v, p.lit)
	case kContains:
		return strings.Contains(v, p.lit)
	case kGlob:
		return globMatch(p.glob, v)
	default: // kAny
		return true
	}
}

func (it *item) nvals() int {
	switch it.op {
	case opStr:
		return len(it.pats)
	case opRe:
		return len(it.res)
	case opCIDR:
		return len(it.nets)
	case opNum, opTime:
		return len(it.nums)
	case opFieldRef:
		return len(it.refSlots)
	}
	return 0
}

func (m *Matcher) evalItem(it *item) bool {
	if it.keyword {
		return m.evalKeyword(it)
	}
	sv := m.slot(it.slot)
	if it.op == opExists {
		return (sv.state != stMissing) == it.exists
	}
	if sv.state != stPresent {
		return !it.neq && it.orNull
	}
	n := it.nvals()
	if n == 0 {
		// Only null was listed: a present field is not null.
		return it.neq
	}
	var res bool
	if it.fast != nil {
		vals := sv.raw
		if !it.cased {
			vals = m.foldedVals(sv)
		}
		for _, v := range vals {
			if it.fast.match(v) {
				res = true
				break
			}
		}
	} else if it.all {
		res = true
		for k := range n {
			if !m.valueMatches(it, sv, k) {
				res = false
				break
			}
		}
	} else {
		for k := range n {
			if m.valueMatches(it, sv, k) {
				res = true
				break
			}
		}
	}
	if it.neq {
		return !res
	}
	return res
}

// valueMatches reports whether value k of the item matches any element of
// the field.
func (m *Matcher) valueMatches(it *item, sv *slotVal, k int) bool {
	switch it.op {
	case opStr:
		vals := sv.raw
		if !it.cased {
			vals = m.foldedVals(sv)
		}
		p := &it.pats[k]
		for _, v := range vals {
			if p.match(v) {
				return true
			}
		}
	case opRe:
		lits := it.reLits[k]
		var folded []string
		if lits != nil {
			folded = m.foldedVals(sv)
		}
		for i, v := range sv.raw {
			if lits != nil && !containsAny(folded[i], lits) {
				continue // the expression needs one of these literals
			}
			if it.res[k].MatchString(v) {
				return true
			}
		}
	case opCIDR:
		for _, v := range sv.raw {
			if a, err := netip.ParseAddr(v); err == nil && it.nets[k].Contains(a.Unmap()) {
				return true
			}
		}
	case opNum:
		for _, v := range sv.raw {
			if f, ok := parseNumber(v); ok && compare(f, it.cmp, it.nums[k]) {
				return true
			}
		}
	case opTime:
		for _, v := range sv.raw {
			if f, ok := timePart(v, it.timePart); ok && compare(f, it.cmp, it.nums[k]) {
				return true
			}
		}
	case opFieldRef:
		ref := m.slot(it.refSlots[k])
		if ref.state != stPresent {
			return false
		}
		a, b := sv.raw, ref.raw
		if !it.cased {
			a, b = m.foldedVals(sv), m.foldedVals(ref)
		}
		for _, x := range a {
			for _, y := range b {
				p := strPat{kind: it.refKind, lit: y}
				if p.match(x) {
					return true
				}
			}
		}
	}
	return false
}

func containsAny(s string, lits []string) bool {
	for _, l := range lits {
		if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

func compare(a float64, op cmpOp, b float64) bool {
	switch op {
	case cmpLt:
		return a < b
	case cmpLte:
		return a <= b
	case cmpGt:
		return a > b
	case cmpGte:
		return a >= b
	}
	return a == b
}

// parseNumber reads a decimal, float or 0x-prefixed hexadecimal number.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
		return f, true
	}
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return float64(i), true
	}
	return 0, false
}

var timeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02",
}

// parseTime reads the usual event time formats.
func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func timePart(s, part string) (float64, bool) {
	t, ok := parseTime(strings.TrimSpace(s))
	if !ok {
		return 0, false
	}
	switch part {
	case "minute":
		return float64(t.Minute()), true
	case "hour":
		return float64(t.Hour()), true
	case "day":
		return float64(t.Day()), true
	case "week":
		_, w := t.ISOWeek()
		return float64(w), true
	case "month":
		return float64(t.Month()), true
	}
	return float64(t.Year()), true
}

// evalKeyword searches the event's keyword texts.
func (m *Matcher) evalKeyword(it *item) bool {
	m.kwItem = it
	n := it.nvals()
	if it.all {
		for k := range n {
			m.kwPat = k
			if !m.ev.Keywords(m.kwFn) {
				return false
			}
		}
		return true
	}
	m.kwPat = -1
	return m.ev.Keywords(m.kwFn)
}

func (m *Matcher) keywordVisit(s string) bool {
	it := m.kwItem
	if it.op == opRe {
		if m.kwPat >= 0 {
			return it.res[m.kwPat].MatchString(s)
		}
		for _, r := range it.res {
			if r.MatchString(s) {
				return true
			}
		}
		return false
	}
	v := s
	if !it.cased {
		v = m.foldString(s)
	}
	if m.kwPat >= 0 {
		return it.pats[m.kwPat].match(v)
	}
	for i := range it.pats {
		if it.pats[i].match(v) {
			return true
		}
	}
	return false
}
