package sigma

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strings"
)

// Source says which logsource an event belongs to, for routing: a rule is
// evaluated only when every logsource field it names equals the event's.
// An event may belong to several categories (Sysmon event 13 is both
// registry_set and registry_event). All skips routing and evaluates every
// rule, which is what a rule test against unlabelled events wants.
//
// A Matcher caches, per Source, which rule groups apply; the key is the
// product and the identity of the two slices, so routers should return
// shared slices (RouteWindows and RouteECS do). Fresh slices per event
// still work, just without the cache after its first 256 entries.
type Source struct {
	Product    string
	Services   []string
	Categories []string
	All        bool
}

// AllSources evaluates every rule regardless of its logsource.
var AllSources = Source{All: true}

type lsKey struct{ product, category, service string }

// bucket holds the rules of one logsource and their prefilter.
type bucket struct {
	key       lsKey
	rules     []*Rule
	always    []uint64 // bitset of rules evaluated for every event
	trig      []trigField
	groupRule []int32 // prefilter group → rule index
}

// trigField is the prefilter of one field: automata over its folded
// values whose patterns mark the rules that may match. Literals that may
// occur anywhere are found by ac; those a value must start with (or equal,
// when whole is set) by walking start from the value's first byte; those
// it must end with by walking end, over reversed literals, from its last
// byte. Anchored walks stop as soon as no literal continues, so the
// endswith lists of Image and friends cost a few bytes per value.
type trigField struct {
	slot     int
	ac       *dfa         // anywhere literals, or nil
	start    *dfa         // anchored prefixes and whole values, or nil
	end      *dfa         // anchored reversed suffixes, or nil
	whole    []bool       // pattern id → must span the whole value
	tgt      []trigTarget // groups advanced by pattern id p: tgt[tgtStart[p]:tgtStart[p+1]]
	tgtStart []int32
}

// Ruleset is a compiled, read-only set of rules, safe to share between
// goroutines; each goroutine matches with its own Matcher.
type Ruleset struct {
	rules      []*Rule    // detection rules, in load order
	corrs      []*Rule    // correlation rules
	filters    []*Rule    // applied filter documents
	fields     [][]string // slot → event field names tried in order
	slotOf     map[string]int
	buckets    map[lsKey]*bucket
	bucketList []*bucket
	maxWords   int
	maxGroups  int
	byID       map[string]*Rule
	byName     map[string]*Rule
	fieldMap   func(string) []string
	stats      Stats
}

// Stats describes a compiled Ruleset.
type Stats struct {
	Rules        int // detection rules
	Correlations int
	Filters      int
	Buckets      int // distinct logsources
	Prefiltered  int // rules reached only through the literal prefilter
	Always       int // rules evaluated for every event of their logsource
	Patterns     int // prefilter literals
	States       int // automaton states
}

// Stats returns figures about the compiled rules.
func (rs *Ruleset) Stats() Stats { return rs.stats }

// Rules returns the detection rules.
func (rs *Ruleset) Rules() []*Rule { return rs.rules }

// Correlations returns the correlation rules.
func (rs *Ruleset) Correlations() []*Rule { return rs.corrs }

// Filters returns the filter documents applied to the rules.
func (rs *Ruleset) Filters() []*Rule { return rs.filters }

// Rule returns a rule by id or name.
func (rs *Ruleset) Rule(idOrName string) *Rule {
	if r := rs.byID[idOrName]; r != nil {
		return r
	}
	return rs.byName[idOrName]
}

// NewRuleset compiles parsed rules. cfg.Fields maps field names. Rule ids
// and names must be unique; correlation references must resolve.
func NewRuleset(rules []*Rule, cfg *Config) (*Ruleset, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	rs := &Ruleset{
		slotOf:   make(map[string]int),
		buckets:  make(map[lsKey]*bucket),
		byID:     make(map[string]*Rule),
		byName:   make(map[string]*Rule),
		fieldMap: cfg.Fields,
	}
	var filters []*Rule
	cloned := make([]*Rule, 0, len(rules))
	for _, r := range rules {
		r = r.clone()
		if r.Filter != nil {
			filters = append(filters, r)
			continue
		}
		cloned = append(cloned, r)
	}
	rules = cloned
	for _, r := range rules {
		if r.ID != "" {
			if o := rs.byID[r.ID]; o != nil {
				return nil, &ParseError{File: r.File, Line: r.Line, Err: fmt.Errorf("%w: duplicate id %s (also in %s)", ErrInvalidRule, r.ID, o.File)}
			}
			rs.byID[r.ID] = r
		}
		if r.Name != "" {
			if o := rs.byName[r.Name]; o != nil {
				return nil, &ParseError{File: r.File, Line: r.Line, Err: fmt.Errorf("%w: duplicate name %s (also in %s)", ErrInvalidRule, r.Name, o.File)}
			}
			rs.byName[r.Name] = r
		}
	}
	for _, f := range filters {
		if err := rs.applyFilter(f); err != nil {
			return nil, err
		}
		rs.filters = append(rs.filters, f)
	}
	for _, r := range rules {
		if r.Correlation != nil {
			rs.corrs = append(rs.corrs, r)
			continue
		}
		r.index = len(rs.rules)
		rs.rules = append(rs.rules, r)
		rs.assignSlots(r)
		key := lsKey{
			product:  strings.ToLower(r.Logsource.Product),
			category: strings.ToLower(r.Logsource.Category),
			service:  strings.ToLower(r.Logsource.Service),
		}
		b := rs.buckets[key]
		if b == nil {
			b = &bucket{key: key}
			rs.buckets[key] = b
			rs.bucketList = append(rs.bucketList, b)
		}
		b.rules = append(b.rules, r)
	}
	for _, c := range rs.corrs {
		if err := rs.resolveCorrelation(c); err != nil {
			return nil, err
		}
	}
	sort.Slice(rs.bucketList, func(i, j int) bool {
		a, b := rs.bucketList[i].key, rs.bucketList[j].key
		if a.product != b.product {
			return a.product < b.product
		}
		if a.category != b.category {
			return a.category < b.category
		}
		return a.service < b.service
	})
	for _, b := range rs.bucketList {
		rs.buildBucket(b)
		if w := len(b.always); w > rs.maxWords {
			rs.maxWords = w
		}
	}
	rs.stats.Rules = len(rs.rules)
	rs.stats.Correlations = len(rs.corrs)
	rs.stats.Filters = len(rs.filters)
	rs.stats.Buckets = len(rs.bucketList)
	cfg.logger().Debug("sigma: rules compiled", "rules", rs.stats.Rules, "correlations", rs.stats.Correlations,
		"filters", rs.stats.Filters, "logsources", rs.stats.Buckets, "prefiltered", rs.stats.Prefiltered,
		"always", rs.stats.Always, "literals", rs.stats.Patterns, "states", rs.stats.States)
	return rs, nil
}

func (rs *Ruleset) slotFor(field string) int {
	if i, ok := rs.slotOf[field]; ok {
		return i
	}
	i := len(rs.fields)
	rs.fields = append(rs.fields, rs.mapField(field))
	rs.slotOf[field] = i
	return i
}

// mapField returns the event fields holding a rule field.
func (rs *Ruleset) mapField(f string) []string {
	if rs.fieldMap != nil {
		if names := rs.fieldMap(f); len(names) > 0 {
			return names
		}
	}
	return []string{f}
}

func (rs *Ruleset) assignSlots(r *Rule) {
	names := make([]string, 0, len(r.det.selections))
	for n := range r.det.selections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, alt := range r.det.selections[n].alts {
			for _, it := range alt {
				if it.keyword {
					continue
				}
				it.slot = rs.slotFor(it.field)
				it.refSlots = it.refSlots[:0]
				for _, ref := range it.refs {
					it.refSlots = append(it.refSlots, rs.slotFor(ref))
				}
			}
		}
	}
}

// regexLiterals returns folded literals, one of which occurs in every
// string the expression matches.
func regexLiterals(expr string) ([]string, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	lits, ok := reLits(re.Simplify())
	if !ok {
		return nil, false
	}
	for i, l := range lits {
		lits[i] = fold(l)
		if lits[i] == "" {
			return nil, false
		}
	}
	return lits, true
}

func reLits(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}, true
	case syntax.OpCapture:
		return reLits(re.Sub[0])
	case syntax.OpPlus:
		return reLits(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reLits(re.Sub[0])
		}
	case syntax.OpAlternate:
		var union []string
		for _, s := range re.Sub {
			l, ok := reLits(s)
			if !ok {
				return nil, false
			}
			union = append(union, l...)
		}
		return union, true
	case syntax.OpConcat:
		var best []string
		found := false
		consider := func(l []string) {
			if !found || litScore(l) > litScore(best) {
				best, found = l, true
			}
		}
		run := ""
		for _, s := range re.Sub {
			if s.Op == syntax.OpLiteral {
				run += string(s.Rune)
				continue
			}
			if run != "" {
				consider([]string{run})
				run = ""
			}
			if l, ok := reLits(s); ok {
				consider(l)
			}
		}
		if run != "" {
			consider([]string{run})
		}
		return best, found
	}
	return nil, false
}

func litScore(lits []string) int {
	atoms := make([]atom, len(lits))
	for i, l := range lits {
		atoms[i] = atom{lit: l}
	}
	return score(atoms)
}

// applyFilter rewrites each rule the filter lists to "condition and not
// filter". The filter's logsource is not compared with the rule's (the
// specification's own example filters rules of two logsources).
func (rs *Ruleset) applyFilter(f *Rule) error {
	for _, ref := range f.Filter.Rules {
		r := rs.Rule(ref)
		if r == nil || r.det == nil {
			return &ParseError{File: f.File, Line: f.Line, Err: fmt.Errorf("%w: filter %q: rule %q is not loaded", ErrInvalidRule, f.Title, ref)}
		}
		sels := make(map[string]*selection, len(r.det.selections)+len(f.det.selections))
		for k, v := range r.det.selections {
			sels[k] = v
		}
		for k, v := range f.det.selections {
			sels["filter "+f.ID+f.Title+" "+k] = v
		}
		r.det = &detection{selections: sels, cond: &andNode{kids: []node{r.det.cond, &notNode{kid: f.det.cond}}}}
	}
	return nil
}

// clone copies a parsed rule so that compiling it (slots, filters,
// correlation references) never changes the caller's Rule, which may be
// compiled into several Rulesets.
func (r *Rule) clone() *Rule {
	c := *r
	if r.det != nil {
		c.det = r.det.clone()
	}
	if r.Correlation != nil {
		cc := *r.Correlation
		cc.refs, cc.fieldFor, cc.valueFor = nil, nil, nil
		c.Correlation = &cc
	}
	return &c
}

func (d *detection) clone() *detection {
	nd := &detection{selections: make(map[string]*selection, len(d.selections))}
	m := make(map[*selection]*selection, len(d.selections))
	for k, s := range d.selections {
		ns := &selection{name: s.name, line: s.line, alts: make([][]*item, len(s.alts))}
		for i, alt := range s.alts {
			na := make([]*item, len(alt))
			for j, it := range alt {
				ni := *it
				ni.refSlots = nil
				na[j] = &ni
			}
			ns.alts[i] = na
		}
		nd.selections[k] = ns
		m[s] = ns
	}
	nd.cond = cloneNode(d.cond, m)
	return nd
}

func cloneNode(n node, m map[*selection]*selection) node {
	switch x := n.(type) {
	case *selNode:
		return &selNode{sel: m[x.sel]}
	case *andNode:
		return &andNode{kids: cloneNodes(x.kids, m)}
	case *orNode:
		return &orNode{kids: cloneNodes(x.kids, m)}
	case *notNode:
		return &notNode{kid: cloneNode(x.kid, m)}
	case *countNode:
		return &countNode{n: x.n, kids: cloneNodes(x.kids, m)}
	}
	return n
}

func cloneNodes(ns []node, m map[*selection]*selection) []node {
	out := make([]node, len(ns))
	for i, n := range ns {
		out[i] = cloneNode(n, m)
	}
	return out
}
