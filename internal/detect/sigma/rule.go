package sigma

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
)

// Sentinel errors; every parse or load error wraps one of them.
var (
	// ErrInvalidRule marks a rule that breaks the Sigma specification.
	ErrInvalidRule = errors.New("invalid rule")
	// ErrCondition marks a malformed detection condition.
	ErrCondition = errors.New("invalid condition")
	// ErrUnknownModifier marks a field modifier this engine does not know.
	ErrUnknownModifier = errors.New("unknown modifier")
	// ErrUnsupported marks valid Sigma the engine cannot evaluate (for
	// example a regular expression using PCRE features RE2 lacks).
	ErrUnsupported = errors.New("unsupported feature")
	// ErrUnresolvedPlaceholder marks an |expand placeholder with no
	// configured values; such rules are rejected.
	ErrUnresolvedPlaceholder = errors.New("unresolved placeholder")
	// ErrCorrelation marks an invalid correlation rule or reference.
	ErrCorrelation = errors.New("invalid correlation")
)

// ParseError locates an error in a rule file.
type ParseError struct {
	File string
	Line int // 1-based; 0 when unknown
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("sigma: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("sigma: %s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Logsource names the events a rule applies to.
type Logsource struct {
	Category   string `json:"category,omitempty"`
	Product    string `json:"product,omitempty"`
	Service    string `json:"service,omitempty"`
	Definition string `json:"definition,omitempty"`
}

// Related links a rule to another rule.
type Related struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Rule is one parsed Sigma detection or correlation rule. Its exported
// fields are metadata; matching goes through a Ruleset.
type Rule struct {
	Title          string
	ID             string
	Name           string
	Taxonomy       string
	Status         string
	Description    string
	License        string
	Author         string
	Date           string
	Modified       string
	Level          string
	References     []string
	Tags           []string
	Fields         []string
	FalsePositives []string
	Related        []Related
	Logsource      Logsource

	// Correlation is set for correlation rules (which have no detection).
	Correlation *Correlation
	// Filter is set for filter documents: their detection is appended to
	// each listed rule as "and not (filter condition)".
	Filter *Filter

	File string // file the rule came from
	Line int    // line of the rule's document start

	det   *detection
	index int // position in the Ruleset
}

// detection is a parsed detection section.
type detection struct {
	selections map[string]*selection
	cond       node
}

// selection is an OR of alternatives, each an AND of items.
type selection struct {
	name string
	line int
	alts [][]*item
}

// itemOp is what an item tests.
type itemOp uint8

const (
	opStr      itemOp = iota // string patterns (OR, or AND with |all)
	opRe                     // regular expressions
	opCIDR                   // network prefixes
	opNum                    // lt/lte/gt/gte
	opExists                 // presence
	opNull                   // absent or null
	opFieldRef               // compare with another field
	opTime                   // time part (minute..year) compared to numbers
)

// cmpOp is a numeric comparison.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLte
	cmpGt
	cmpGte
)

// strKind is the shape of a string pattern after wildcard analysis.
type strKind uint8

const (
	kEq       strKind = iota // whole value
	kPrefix                  // value starts with lit
	kSuffix                  // value ends with lit
	kContains                // value contains lit
	kGlob                    // general wildcard pattern
	kAny                     // '*': any value, field present
)

// strPat is one compiled string pattern; lit and glob are folded unless the
// item is cased.
type strPat struct {
	kind strKind
	lit  string
	glob sstring
}

// item is one field (or keyword) test of a selection.
type item struct {
	field   string // Sigma field name; "" for keywords
	keyword bool
	slot    int
	line    int
	op      itemOp
	all     bool // every pattern must match
	neq     bool // no pattern may match
	cased   bool
	orNull  bool // a null in the value list: also match when absent/null

	pats     []strPat
	res      []*regexp.Regexp
	reLits   [][]string // per regex: folded literals one of which it needs, or nil
	nets     []netip.Prefix
	nums     []float64
	cmp      cmpOp
	timePart string
	exists   bool
	refs     []string // fieldref: other field names
	refSlots []int
	refKind  strKind

	fast *fastSet // set for long OR lists of string patterns
}

// fastSetMin is the list length from which an item's string patterns are
// matched through an automaton and a hash set instead of one by one.
const fastSetMin = 8

// fastSet matches an OR list of string patterns at once: contains
// patterns through one automaton, exact ones through a set, the rest
// one by one.
type fastSet struct {
	contains *dfa
	eq       map[string]struct{}
	rest     []strPat
}

func newFastSet(pats []strPat) *fastSet {
	f := &fastSet{eq: make(map[string]struct{})}
	var lits []string
	for _, p := range pats {
		switch p.kind {
		case kContains:
			lits = append(lits, p.lit)
		case kEq:
			f.eq[p.lit] = struct{}{}
		default:
			f.rest = append(f.rest, p)
		}
	}
	if len(lits) > 0 {
		f.contains = buildDFA(lits, false)
	}
	return f
}

func (f *fastSet) match(v string) bool {
	if f.contains != nil && f.contains.any(v) {
		return true
	}
	if _, ok := f.eq[v]; ok {
		return true
	}
	for i := range f.rest {
		if f.rest[i].match(v) {
			return true
		}
	}
	return false
}
