package sigma

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// node is a compiled condition expression.
type node interface {
	eval(m *Matcher) bool
}

type andNode struct{ kids []node }
type orNode struct{ kids []node }
type notNode struct{ kid node }
type selNode struct{ sel *selection }

// countNode is "N of pattern": at least n of kids are true.
type countNode struct {
	n    int
	kids []node
}

func (n *andNode) eval(m *Matcher) bool {
	for _, k := range n.kids {
		if !k.eval(m) {
			return false
		}
	}
	return true
}

func (n *orNode) eval(m *Matcher) bool {
	for _, k := range n.kids {
		if k.eval(m) {
			return true
		}
	}
	return false
}

func (n *notNode) eval(m *Matcher) bool { return !n.kid.eval(m) }

func (n *selNode) eval(m *Matcher) bool { return m.evalSelection(n.sel) }

func (n *countNode) eval(m *Matcher) bool {
	c := 0
	for i, k := range n.kids {
		if k.eval(m) {
			c++
			if c >= n.n {
				return true
			}
		}
		if c+len(n.kids)-i-1 < n.n {
			return false
		}
	}
	return false
}

var errAggregation = errors.New("pipe aggregations are Sigma v1 syntax; use a correlation rule")

// condParser is a recursive-descent parser for detection conditions.
// Precedence, lowest first: or, and, not, "x of", parentheses.
type condParser struct {
	toks []string
	pos  int
	sels map[string]*selection
}

func tokenizeCondition(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, s[i:i+1])
			i++
		case c == '|':
			return nil, errAggregation
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()|", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

func parseCondition(s string, sels map[string]*selection) (node, error) {
	toks, err := tokenizeCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errors.New("empty condition")
	}
	p := &condParser{toks: toks, sels: sels}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return n, nil
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) is(kw string) bool { return strings.EqualFold(p.peek(), kw) }

func (p *condParser) or() (node, error) {
	n, err := p.and()
	if err != nil {
		return nil, err
	}
	kids := []node{n}
	for p.is("or") {
		p.pos++
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &orNode{kids: kids}, nil
}

func (p *condParser) and() (node, error) {
	n, err := p.not()
	if err != nil {
		return nil, err
	}
	kids := []node{n}
	for p.is("and") {
		p.pos++
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &andNode{kids: kids}, nil
}

func (p *condParser) not() (node, error) {
	if p.is("not") {
		p.pos++
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return &notNode{kid: n}, nil
	}
	return p.primary()
}

func isReserved(t string) bool {
	switch strings.ToLower(t) {
	case "and", "or", "not", "of", "them", "(", ")":
		return true
	}
	return false
}

func (p *condParser) primary() (node, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, errors.New("unexpected end of condition")
	case t == "(":
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errors.New("missing )")
		}
		p.pos++
		return n, nil
	case p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of"):
		return p.quantifier()
	case isReserved(t):
		return nil, fmt.Errorf("unexpected %q", t)
	}
	p.pos++
	s, ok := p.sels[t]
	if !ok {
		return nil, fmt.Errorf("unknown selection %q", t)
	}
	return &selNode{sel: s}, nil
}

func (p *condParser) quantifier() (node, error) {
	q := strings.ToLower(p.toks[p.pos])
	p.pos += 2 // quantity, "of"
	target := p.peek()
	if target == "" || target == "(" || target == ")" || (isReserved(target) && !strings.EqualFold(target, "them")) {
		return nil, fmt.Errorf("%q of needs a selection pattern or them", q)
	}
	p.pos++
	var names []string
	for name := range p.sels {
		if strings.EqualFold(target, "them") {
			if !strings.HasPrefix(name, "_") {
				names = append(names, name)
			}
			continue
		}
		ok, err := path.Match(target, name)
		if err != nil {
			return nil, fmt.Errorf("bad pattern %q: %v", target, err)
		}
		if ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%q matches no selection", target)
	}
	sort.Strings(names)
	kids := make([]node, len(names))
	for i, name := range names {
		kids[i] = &selNode{sel: p.sels[name]}
	}
	switch q {
	case "all":
		if len(kids) == 1 {
			return kids[0], nil
		}
		return &andNode{kids: kids}, nil
	case "1", "any":
		if len(kids) == 1 {
			return kids[0], nil
		}
		return &orNode{kids: kids}, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad quantifier %q", q)
	}
	return &countNode{n: n, kids: kids}, nil
}
