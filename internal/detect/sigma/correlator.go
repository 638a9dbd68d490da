package sigma

import (
	"strconv"
	"time"
)

// CorrelatorConfig bounds a Correlator's memory.
type CorrelatorConfig struct {
	// MaxGroups is the number of group-by keys kept per correlation rule
	// (default 100,000). When a new key arrives at the limit, the key
	// updated least recently is evicted with its state, so memory stays
	// bounded whatever the key cardinality; an evicted group starts from
	// zero if it reappears.
	MaxGroups int
	// MaxEventsPerGroup bounds the events remembered per group inside the
	// window (default 100,000); beyond it the oldest are dropped, so
	// counts saturate at this value.
	MaxEventsPerGroup int
}

// CorrelationMatch is one firing of a correlation rule.
type CorrelationMatch struct {
	Rule  *Rule
	Group []string  // group-by values, in group-by order
	Value float64   // the compared figure: count, distinct values, sum, average or percentage
	First time.Time // first event of the window that fired
	Time  time.Time // event that made it fire
}

// Correlator evaluates the correlation rules of a Ruleset over a stream
// of rule matches. Time comes from the events (ts arguments), never from
// the wall clock, so replaying old logs works. Windows slide: an event
// counts while it is no older than the timespan relative to the newest
// event of its group. When a rule fires for a group, that group's state is
// cleared, so a burst gives one alert per threshold crossing rather than
// one per further event. A Correlator is not safe for concurrent use.
type Correlator struct {
	rs     *Ruleset
	cfg    CorrelatorConfig
	byRef  map[*Rule][]corrRef
	keyBuf []byte
	fmtBuf []byte
	out    []CorrelationMatch
	queue  []*Rule
}

type corrRef struct {
	st  *corrState
	pos int
}

type corrState struct {
	rule   *Rule
	c      *Correlation
	groups map[string]*group
	head   *group // most recently used
	tail   *group
}

type group struct {
	key        string
	vals       []string
	prev, next *group
	times      []time.Time
	nums       []float64
	strs       []string
	// Backing arrays of the three windows above (which are views sliding
	// towards their end); see push.
	timesBase []time.Time
	numsBase  []float64
	strsBase  []string
	counts    map[string]int
	sum       float64
	seen      []time.Time // temporal: last time per position
	chain     []time.Time // temporal_ordered: start of the chain ending at position
	chainOK   []bool
}

// NewCorrelator returns a Correlator for the correlation rules of rs.
func (rs *Ruleset) NewCorrelator(cfg CorrelatorConfig) *Correlator {
	if cfg.MaxGroups <= 0 {
		cfg.MaxGroups = 100000
	}
	if cfg.MaxEventsPerGroup <= 0 {
		cfg.MaxEventsPerGroup = 100000
	}
	c := &Correlator{rs: rs, cfg: cfg, byRef: make(map[*Rule][]corrRef)}
	for _, r := range rs.corrs {
		st := &corrState{rule: r, c: r.Correlation, groups: make(map[string]*group)}
		for pos, ref := range r.Correlation.refs {
			c.byRef[ref] = append(c.byRef[ref], corrRef{st: st, pos: pos})
		}
	}
	return c
}

// Process feeds the detection rules that matched ev (from Matcher.Match)
// at event time ts and returns the correlations that fire, including
// chained ones. The returned slice is reused by the next call.
func (c *Correlator) Process(ev Event, ts time.Time, matched []*Rule) []CorrelationMatch {
	c.out = c.out[:0]
	c.queue = append(c.queue[:0], matched...)
	for qi := 0; qi < len(c.queue); qi++ {
		refs := c.byRef[c.queue[qi]]
		// Later positions first: one event must not complete two
		// consecutive steps of the same ordered sequence.
		for i := len(refs) - 1; i >= 0; i-- {
			if m, ok := c.update(refs[i], ev, ts); ok {
				c.out = append(c.out, m)
				c.queue = append(c.queue, m.Rule)
			}
		}
	}
	return c.out
}

// Groups returns the number of live groups of all correlation rules.
func (c *Correlator) Groups() int {
	seen := make(map[*corrState]bool)
	n := 0
	for _, refs := range c.byRef {
		for _, r := range refs {
			if !seen[r.st] {
				seen[r.st] = true
				n += len(r.st.groups)
			}
		}
	}
	return n
}

// text renders a field value for keys and distinct counting.
func (c *Correlator) text(ev Event, names []string) (string, bool) {
	for _, n := range names {
		v, ok := ev.Get(n)
		if !ok || v == nil {
			continue
		}
		switch x := v.(type) {
		case string:
			return x, true
		case []string:
			if len(x) > 0 {
				return x[0], true
			}
			continue
		case []any:
			if len(x) == 0 {
				continue
			}
			v = x[0]
		}
		c.fmtBuf = c.fmtBuf[:0]
		switch x := v.(type) {
		case string:
			return x, true
		case float64:
			c.fmtBuf = strconv.AppendFloat(c.fmtBuf, x, 'f', -1, 64)
		case int64:
			c.fmtBuf = strconv.AppendInt(c.fmtBuf, x, 10)
		case int:
			c.fmtBuf = strconv.AppendInt(c.fmtBuf, int64(x), 10)
		case bool:
			c.fmtBuf = strconv.AppendBool(c.fmtBuf, x)
		default:
			continue
		}
		return string(c.fmtBuf), true
	}
	return "", false
}

func (c *Correlator) update(ref corrRef, ev Event, ts time.Time) (CorrelationMatch, bool) {
	st := ref.st
	cr := st.c
	// Group key: values joined with a unit separator; events lacking a
	// group-by field do not take part.
	c.keyBuf = c.keyBuf[:0]
	for j := range cr.GroupBy {
		v, ok := c.text(ev, cr.fieldFor[ref.pos][j])
		if !ok {
			return CorrelationMatch{}, false
		}
		if j > 0 {
			c.keyBuf = append(c.keyBuf, 0x1f)
		}
		c.keyBuf = append(c.keyBuf, v...)
	}
	g := st.groups[string(c.keyBuf)]
	if g == nil {
		g = c.newGroup(st, ev, ref.pos)
	} else {
		st.touch(g)
	}
	span := cr.Timespan
	var value float64
	first := ts
	switch cr.Type {
	case EventCount, ValueCount, ValueSum, ValueAvg, ValuePercentile:
		var sval string
		var fval float64
		switch cr.Type {
		case ValueCount, ValuePercentile:
			s, ok := c.text(ev, cr.valueFor[ref.pos])
			if !ok {
				return CorrelationMatch{}, false
			}
			sval = s
		case ValueSum, ValueAvg:
			s, ok := c.text(ev, cr.valueFor[ref.pos])
			if !ok {
				return CorrelationMatch{}, false
			}
			f, ok := parseNumber(s)
			if !ok {
				return CorrelationMatch{}, false
			}
			fval = f
		}
		g.expire(cr.Type, ts, span)
		if len(g.times) >= c.cfg.MaxEventsPerGroup {
			g.pop(cr.Type)
		}
		push(&g.timesBase, &g.times, ts)
		switch cr.Type {
		case EventCount:
			value = float64(len(g.times))
		case ValueCount, ValuePercentile:
			if _, ok := g.counts[sval]; !ok {
				sval = string(append([]byte(nil), sval...))
			}
			push(&g.strsBase, &g.strs, sval)
			g.counts[sval]++
			if cr.Type == ValueCount {
				value = float64(len(g.counts))
			} else {
				value = 100 * float64(g.counts[sval]) / float64(len(g.strs))
			}
		case ValueSum, ValueAvg:
			push(&g.numsBase, &g.nums, fval)
			g.sum += fval
			value = g.sum
			if cr.Type == ValueAvg {
				value = g.sum / float64(len(g.nums))
			}
		}
		first = g.times[0]
	case Temporal:
		g.seen[ref.pos] = ts
		n := 0
		for _, t := range g.seen {
			if !t.IsZero() && ts.Sub(t) <= span {
				n++
				if t.Before(first) {
					first = t
				}
			}
		}
		value = float64(n)
	case TemporalOrdered:
		p := ref.pos
		switch {
		case p == 0:
			g.chain[0], g.chainOK[0] = ts, true
		case g.chainOK[p-1] && ts.Sub(g.chain[p-1]) <= span:
			g.chain[p], g.chainOK[p] = g.chain[p-1], true
		default:
			return CorrelationMatch{}, false
		}
		first = g.chain[p]
		value = float64(p + 1)
	}
	for _, t := range cr.Conditions {
		if !t.Holds(value) {
			return CorrelationMatch{}, false
		}
	}
	m := CorrelationMatch{Rule: st.rule, Group: g.vals, Value: value, First: first, Time: ts}
	st.remove(g)
	return m, true
}

func (c *Correlator) newGroup(st *corrState, ev Event, pos int) *group {
	cr := st.c
	if len(st.groups) >= c.cfg.MaxGroups && st.tail != nil {
		st.remove(st.tail)
	}
	g := &group{key: string(c.keyBuf)}
	for j := range cr.GroupBy {
		v, _ := c.text(ev, cr.fieldFor[pos][j])
		g.vals = append(g.vals, string(append([]byte(nil), v...)))
	}
	switch cr.Type {
	case ValueCount, ValuePercentile:
		g.counts = make(map[string]int)
	case Temporal:
		g.seen = make([]time.Time, len(cr.refs))
	case TemporalOrdered:
		g.chain = make([]time.Time, len(cr.refs))
		g.chainOK = make([]bool, len(cr.refs))
	}
	st.groups[g.key] = g
	g.next = st.head
	if st.head != nil {
		st.head.prev = g
	}
	st.head = g
	if st.tail == nil {
		st.tail = g
	}
	return g
}

func (st *corrState) touch(g *group) {
	if st.head == g {
		return
	}
	st.unlink(g)
	g.next = st.head
	if st.head != nil {
		st.head.prev = g
	}
	st.head = g
	if st.tail == nil {
		st.tail = g
	}
}

func (st *corrState) unlink(g *group) {
	if g.prev != nil {
		g.prev.next = g.next
	} else {
		st.head = g.next
	}
	if g.next != nil {
		g.next.prev = g.prev
	} else {
		st.tail = g.prev
	}
	g.prev, g.next = nil, nil
}

func (st *corrState) remove(g *group) {
	st.unlink(g)
	delete(st.groups, g.key)
}

// push appends v to the window s, a view into base whose front has been
// popped: when s reaches the end of the array it slides back to the
// start instead of growing, so a steady window stops allocating.
func push[T any](base, s *[]T, v T) {
	if len(*s) == cap(*s) && cap(*base) > cap(*s) {
		n := copy((*base)[:cap(*base)], *s)
		clear((*base)[n:cap(*base)])
		*s = (*base)[:n]
	}
	*s = append(*s, v)
	if cap(*s) > cap(*base) {
		*base = (*s)[:0]
	}
}

// expire drops events older than the window ending at ts.
func (g *group) expire(typ string, ts time.Time, span time.Duration) {
	for len(g.times) > 0 && ts.Sub(g.times[0]) > span {
		g.pop(typ)
	}
}

// pop drops the oldest event.
func (g *group) pop(typ string) {
	g.times = g.times[1:]
	switch typ {
	case ValueCount, ValuePercentile:
		s := g.strs[0]
		g.strs = g.strs[1:]
		if g.counts[s]--; g.counts[s] <= 0 {
			delete(g.counts, s)
		}
	case ValueSum, ValueAvg:
		g.sum -= g.nums[0]
		g.nums = g.nums[1:]
	}
}

// EventTime returns the time of an event from its usual fields
// (@timestamp, TimeCreated, UtcTime, timestamp, event.created).
func EventTime(ev Event) (time.Time, bool) {
	for _, f := range [...]string{"@timestamp", "TimeCreated", "UtcTime", "timestamp", "event.created"} {
		v, ok := ev.Get(f)
		if !ok {
			continue
		}
		switch x := v.(type) {
		case time.Time:
			return x, true
		case string:
			if t, ok := parseTime(x); ok {
				return t, true
			}
		case float64:
			return time.Unix(0, int64(x*1e9)).UTC(), true
		case int64:
			return time.Unix(x, 0).UTC(), true
		}
	}
	return time.Time{}, false
}

// Standalone reports whether matches of r are alerts on their own: true
// unless r is only referenced by correlations without generate: true (the
// specification's default is to emit the correlation alone).
func (rs *Ruleset) Standalone(r *Rule) bool {
	referenced := false
	for _, c := range rs.corrs {
		for _, ref := range c.Correlation.refs {
			if ref == r {
				if c.Correlation.Generate {
					return true
				}
				referenced = true
			}
		}
	}
	return !referenced
}
