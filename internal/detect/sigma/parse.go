package sigma

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Config holds what parsing and compiling need beyond the rule text.
type Config struct {
	// Placeholders gives the values of |expand placeholders, by name
	// without the percent signs. A rule using an unknown placeholder is
	// rejected with ErrUnresolvedPlaceholder.
	Placeholders map[string][]string
	// Fields maps a rule field name to the event fields that hold it,
	// tried in order until one is present (for example ECSFields). Nil
	// keeps rule field names as they are.
	Fields func(field string) []string
	// Logger receives compile statistics at debug level; nil discards
	// them. Errors are returned, never logged.
	Logger *slog.Logger
}

func (c *Config) logger() *slog.Logger {
	if c == nil || c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// Parse reads every YAML document of one rule file. file names the file
// in errors. Either every document parses and all rules are returned, or
// the first error (a *ParseError) is returned and no rule.
func Parse(data []byte, file string, cfg *Config) ([]*Rule, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var rules []*Rule
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &ParseError{File: file, Line: yamlErrLine(err), Err: fmt.Errorf("%w: yaml: %v", ErrInvalidRule, err)}
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		p := &parser{file: file, cfg: cfg, budget: maxValuesPerDoc}
		r, err := p.rule(root)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, &ParseError{File: file, Err: fmt.Errorf("%w: no YAML document", ErrInvalidRule)}
	}
	return rules, nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

type parser struct {
	file string
	cfg  *Config
	// budget bounds the values one document may expand to (YAML aliases
	// and modifier permutations can otherwise blow up exponentially).
	budget int
}

// maxValuesPerDoc is the budget of values (after modifier expansion) per
// YAML document.
const maxValuesPerDoc = 200000

func (p *parser) spend(n *yaml.Node, k int) error {
	p.budget -= k
	if p.budget < 0 {
		return p.errf(n, ErrUnsupported, "rule expands to more than %d values", maxValuesPerDoc)
	}
	return nil
}

func (p *parser) errf(n *yaml.Node, sentinel error, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ParseError{File: p.file, Line: line, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// scalar returns the text of a scalar node.
func (p *parser) scalar(n *yaml.Node, what string) (string, error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", p.errf(n, ErrInvalidRule, "%s must be a scalar", what)
	}
	return n.Value, nil
}

// strings accepts a scalar or a sequence of scalars.
func (p *parser) strings(n *yaml.Node, what string) ([]string, error) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, ErrInvalidRule, "%s must be a list of strings", what)
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s, err := p.scalar(c, what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// pairs iterates a mapping node, rejecting duplicate keys.
func (p *parser) pairs(n *yaml.Node, what string, fn func(key string, k, v *yaml.Node) error) error {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return p.errf(n, ErrInvalidRule, "%s must be a mapping", what)
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return p.errf(k, ErrInvalidRule, "%s: keys must be scalars", what)
		}
		if seen[k.Value] {
			return p.errf(k, ErrInvalidRule, "%s: duplicate key %q", what, k.Value)
		}
		seen[k.Value] = true
		if err := fn(k.Value, k, deref(v)); err != nil {
			return err
		}
	}
	return nil
}

var (
	validLevels   = map[string]bool{"informational": true, "low": true, "medium": true, "high": true, "critical": true}
	validStatuses = map[string]bool{"stable": true, "test": true, "experimental": true, "deprecated": true, "unsupported": true}
	validRelated  = map[string]bool{"derived": true, "obsolete": true, "merged": true, "renamed": true, "similar": true}
)

func (p *parser) rule(root *yaml.Node) (*Rule, error) {
	r := &Rule{File: p.file, Line: root.Line}
	var detNode, corrNode, filterNode *yaml.Node
	hasLogsource := false
	err := p.pairs(root, "rule", func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "title":
			r.Title, err = p.scalar(v, key)
		case "id":
			r.ID, err = p.scalar(v, key)
		case "name":
			r.Name, err = p.scalar(v, key)
		case "taxonomy":
			r.Taxonomy, err = p.scalar(v, key)
		case "status":
			r.Status, err = p.scalar(v, key)
			if err == nil && !validStatuses[r.Status] {
				err = p.errf(v, ErrInvalidRule, "unknown status %q", r.Status)
			}
		case "description":
			r.Description, err = p.scalar(v, key)
		case "license":
			r.License, err = p.scalar(v, key)
		case "author":
			r.Author, err = p.scalar(v, key)
		case "date":
			r.Date, err = p.scalar(v, key)
		case "modified":
			r.Modified, err = p.scalar(v, key)
		case "level":
			r.Level, err = p.scalar(v, key)
			if err == nil && !validLevels[r.Level] {
				err = p.errf(v, ErrInvalidRule, "unknown level %q", r.Level)
			}
		case "references":
			r.References, err = p.strings(v, key)
		case "tags":
			r.Tags, err = p.strings(v, key)
		case "fields":
			r.Fields, err = p.strings(v, key)
		case "falsepositives":
			r.FalsePositives, err = p.strings(v, key)
		case "related":
			err = p.related(r, v)
		case "logsource":
			hasLogsource = true
			err = p.logsource(r, v)
		case "detection":
			detNode = v
		case "correlation":
			corrNode = v
		case "filter":
			filterNode = v
		case "action":
			err = p.errf(k, ErrUnsupported, "rule collections (action) were removed in Sigma v2")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Title == "" {
		return nil, p.errf(root, ErrInvalidRule, "missing title")
	}
	if corrNode != nil {
		if detNode != nil {
			return nil, p.errf(corrNode, ErrInvalidRule, "a rule cannot have both detection and correlation")
		}
		c, err := p.correlation(corrNode)
		if err != nil {
			return nil, err
		}
		r.Correlation = c
		return r, nil
	}
	if !hasLogsource {
		return nil, p.errf(root, ErrInvalidRule, "missing logsource")
	}
	if filterNode != nil {
		if detNode != nil {
			return nil, p.errf(filterNode, ErrInvalidRule, "a filter cannot have a detection")
		}
		f, d, err := p.filter(filterNode)
		if err != nil {
			return nil, err
		}
		r.Filter, r.det = f, d
		return r, nil
	}
	if detNode == nil {
		return nil, p.errf(root, ErrInvalidRule, "missing detection")
	}
	d, err := p.detection(detNode)
	if err != nil {
		return nil, err
	}
	r.det = d
	return r, nil
}

func (p *parser) related(r *Rule, n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, ErrInvalidRule, "related must be a list")
	}
	for _, c := range n.Content {
		var rel Related
		err := p.pairs(c, "related", func(key string, _, v *yaml.Node) error {
			var err error
			switch key {
			case "id":
				rel.ID, err = p.scalar(v, "related id")
			case "type":
				rel.Type, err = p.scalar(v, "related type")
				if err == nil && !validRelated[rel.Type] {
					err = p.errf(v, ErrInvalidRule, "unknown related type %q", rel.Type)
				}
			}
			return err
		})
		if err != nil {
			return err
		}
		if rel.ID == "" || rel.Type == "" {
			return p.errf(c, ErrInvalidRule, "related needs id and type")
		}
		r.Related = append(r.Related, rel)
	}
	return nil
}

func (p *parser) logsource(r *Rule, n *yaml.Node) error {
	return p.pairs(n, "logsource", func(key string, _, v *yaml.Node) error {
		var err error
		switch key {
		case "category":
			r.Logsource.Category, err = p.scalar(v, key)
		case "product":
			r.Logsource.Product, err = p.scalar(v, key)
		case "service":
			r.Logsource.Service, err = p.scalar(v, key)
		case "definition":
			r.Logsource.Definition, err = p.scalar(v, key)
		}
		return err
	})
}

func (p *parser) detection(n *yaml.Node) (*detection, error) {
	d := &detection{selections: make(map[string]*selection)}
	var condNode *yaml.Node
	err := p.pairs(n, "detection", func(key string, k, v *yaml.Node) error {
		switch key {
		case "condition":
			condNode = v
			return nil
		case "timeframe":
			// Sigma v1 aggregation window: meaningless without the removed
			// aggregation syntax; correlations replace it.
			return nil
		}
		s, err := p.selection(key, k, v)
		if err != nil {
			return err
		}
		d.selections[key] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	if condNode == nil {
		return nil, p.errf(n, ErrInvalidRule, "detection has no condition")
	}
	if len(d.selections) == 0 {
		return nil, p.errf(n, ErrInvalidRule, "detection has no selection")
	}
	conds, err := p.strings(condNode, "condition")
	if err != nil {
		return nil, err
	}
	if len(conds) == 0 {
		return nil, p.errf(condNode, ErrCondition, "empty condition")
	}
	var kids []node
	for _, c := range conds {
		nd, err := parseCondition(c, d.selections)
		if err != nil {
			return nil, p.errf(condNode, ErrCondition, "%q: %v", c, err)
		}
		kids = append(kids, nd)
	}
	if len(kids) == 1 {
		d.cond = kids[0]
	} else {
		d.cond = &orNode{kids: kids}
	}
	return d, nil
}

func (p *parser) selection(name string, k, v *yaml.Node) (*selection, error) {
	s := &selection{name: name, line: k.Line}
	switch v.Kind {
	case yaml.MappingNode:
		alt, err := p.itemMap(v)
		if err != nil {
			return nil, err
		}
		s.alts = append(s.alts, alt)
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return nil, p.errf(v, ErrInvalidRule, "selection %q is an empty list", name)
		}
		var kw []*yaml.Node
		for _, c := range v.Content {
			c = deref(c)
			switch c.Kind {
			case yaml.MappingNode:
				alt, err := p.itemMap(c)
				if err != nil {
					return nil, err
				}
				s.alts = append(s.alts, alt)
			case yaml.ScalarNode:
				kw = append(kw, c)
			default:
				return nil, p.errf(c, ErrInvalidRule, "selection %q: list elements must be maps or keywords", name)
			}
		}
		if len(kw) > 0 {
			seq := &yaml.Node{Kind: yaml.SequenceNode, Content: kw, Line: kw[0].Line}
			it, err := p.item("", k, seq)
			if err != nil {
				return nil, err
			}
			s.alts = append(s.alts, []*item{it})
		}
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, p.errf(v, ErrInvalidRule, "selection %q is empty", name)
		}
		it, err := p.item("", k, v)
		if err != nil {
			return nil, err
		}
		s.alts = append(s.alts, []*item{it})
	default:
		return nil, p.errf(v, ErrInvalidRule, "selection %q has an invalid form", name)
	}
	return s, nil
}

func (p *parser) itemMap(n *yaml.Node) ([]*item, error) {
	var items []*item
	if err := p.spend(n, len(n.Content)); err != nil {
		return nil, err
	}
	err := p.pairs(n, "selection", func(key string, k, v *yaml.Node) error {
		it, err := p.item(key, k, v)
		if err != nil {
			return err
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, p.errf(n, ErrInvalidRule, "empty selection map")
	}
	return items, nil
}

// rawVal is one scalar of a field's value list.
type rawVal struct {
	s    string
	null bool
	node *yaml.Node
}

func (p *parser) values(n *yaml.Node) ([]rawVal, bool, error) {
	one := func(c *yaml.Node) (rawVal, error) {
		c = deref(c)
		if c.Kind != yaml.ScalarNode {
			return rawVal{}, p.errf(c, ErrInvalidRule, "field values must be scalars or a list of scalars")
		}
		if c.Tag == "!!null" {
			return rawVal{null: true, node: c}, nil
		}
		s := c.Value
		if c.Tag == "!!int" {
			if i, err := strconv.ParseInt(s, 0, 64); err == nil && (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0b")) {
				s = strconv.FormatInt(i, 10)
			}
		}
		return rawVal{s: s, node: c}, nil
	}
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			return nil, true, p.errf(n, ErrInvalidRule, "empty value list")
		}
		if err := p.spend(n, len(n.Content)); err != nil {
			return nil, true, err
		}
		out := make([]rawVal, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := one(c)
			if err != nil {
				return nil, true, err
			}
			out = append(out, v)
		}
		return out, true, nil
	}
	v, err := one(n)
	if err != nil {
		return nil, false, err
	}
	return []rawVal{v}, false, nil
}

var timeParts = map[string]bool{"minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true}

// item parses one "field|mod|mod: values" entry (field "" for keywords).
func (p *parser) item(key string, k, vn *yaml.Node) (*item, error) {
	parts := strings.Split(key, "|")
	it := &item{field: parts[0], keyword: parts[0] == "", line: k.Line, cmp: cmpEq}
	vals, isList, err := p.values(vn)
	if err != nil {
		return nil, err
	}
	var (
		re, reI, reM, reS, cidr, exists, fieldref, expand, numeric bool
		transforms                                                 []string
	)
	for i, m := range parts[1:] {
		switch m {
		case "all":
			it.all = true
		case "cased":
			it.cased = true
		case "neq":
			it.neq = true
		case "re":
			re = true
		case "i", "m", "s":
			if !re {
				return nil, p.errf(k, ErrInvalidRule, "modifier %q must follow re", m)
			}
			switch m {
			case "i":
				reI = true
			case "m":
				reM = true
			case "s":
				reS = true
			}
		case "cidr":
			cidr = true
		case "exists":
			exists = true
		case "fieldref":
			fieldref = true
		case "expand":
			expand = true
		case "lt", "lte", "gt", "gte":
			if numeric {
				return nil, p.errf(k, ErrInvalidRule, "more than one comparison modifier")
			}
			numeric = true
			it.cmp = map[string]cmpOp{"lt": cmpLt, "lte": cmpLte, "gt": cmpGt, "gte": cmpGte}[m]
		case "minute", "hour", "day", "week", "month", "year":
			if it.timePart != "" {
				return nil, p.errf(k, ErrInvalidRule, "more than one time modifier")
			}
			it.timePart = m
		case "contains", "startswith", "endswith", "windash", "base64", "base64offset", "utf16le", "wide", "utf16be", "utf16":
			transforms = append(transforms, m)
		case "":
			return nil, p.errf(k, ErrInvalidRule, "empty modifier in %q", key)
		default:
			_ = i
			return nil, p.errf(k, ErrUnknownModifier, "%q in %q", m, key)
		}
	}
	if it.all && !isList {
		return nil, p.errf(k, ErrInvalidRule, "modifier all needs a list of values")
	}
	special := 0
	for _, b := range []bool{re, cidr, exists, fieldref, numeric && it.timePart == "", it.timePart != ""} {
		if b {
			special++
		}
	}
	if special > 1 {
		return nil, p.errf(k, ErrInvalidRule, "incompatible modifiers in %q", key)
	}
	if special > 0 && (len(transforms) > 0 && !fieldref || expand) {
		return nil, p.errf(k, ErrInvalidRule, "incompatible modifiers in %q", key)
	}
	if special > 0 {
		for _, v := range vals {
			if v.null {
				return nil, p.errf(v.node, ErrInvalidRule, "null is not allowed with modifiers of %q", key)
			}
		}
	}
	if it.keyword && special > 0 && !re {
		return nil, p.errf(k, ErrInvalidRule, "keyword selections accept only string modifiers")
	}
	switch {
	case exists:
		it.op = opExists
		if len(vals) != 1 || (vals[0].s != "true" && vals[0].s != "false") {
			return nil, p.errf(vn, ErrInvalidRule, "exists needs a single true or false")
		}
		if it.all || it.neq || it.cased {
			return nil, p.errf(k, ErrInvalidRule, "exists takes no other modifier")
		}
		it.exists = vals[0].s == "true"
	case re:
		it.op = opRe
		flags := ""
		if reI {
			flags += "i"
		}
		if reM {
			flags += "m"
		}
		if reS {
			flags += "s"
		}
		for _, v := range vals {
			src := v.s
			if flags != "" {
				src = "(?" + flags + ")" + src
			}
			rx, err := regexp.Compile(src)
			if err != nil {
				return nil, p.errf(v.node, ErrUnsupported, "regular expression %q: %v", v.s, err)
			}
			it.res = append(it.res, rx)
			lits, _ := regexLiterals(rx.String())
			it.reLits = append(it.reLits, lits)
		}
	case cidr:
		it.op = opCIDR
		for _, v := range vals {
			pfx, err := netip.ParsePrefix(v.s)
			if err != nil {
				a, aerr := netip.ParseAddr(v.s)
				if aerr != nil {
					return nil, p.errf(v.node, ErrInvalidRule, "cidr %q: %v", v.s, err)
				}
				pfx = netip.PrefixFrom(a, a.BitLen())
			}
			it.nets = append(it.nets, pfx.Masked())
		}
	case numeric && it.timePart == "", it.timePart != "":
		it.op = opNum
		if it.timePart != "" {
			it.op = opTime
		}
		for _, v := range vals {
			f, err := strconv.ParseFloat(v.s, 64)
			if err != nil {
				return nil, p.errf(v.node, ErrInvalidRule, "%q is not a number", v.s)
			}
			it.nums = append(it.nums, f)
		}
	case fieldref:
		it.op = opFieldRef
		it.refKind = kEq
		for _, t := range transforms {
			switch t {
			case "contains":
				it.refKind = kContains
			case "startswith":
				it.refKind = kPrefix
			case "endswith":
				it.refKind = kSuffix
			default:
				return nil, p.errf(k, ErrInvalidRule, "fieldref cannot be combined with %s", t)
			}
		}
		if it.keyword {
			return nil, p.errf(k, ErrInvalidRule, "fieldref needs a field")
		}
		for _, v := range vals {
			if v.s == "" {
				return nil, p.errf(v.node, ErrInvalidRule, "fieldref needs a field name")
			}
			it.refs = append(it.refs, v.s)
		}
	default:
		it.op = opStr
		if err := p.stringPatterns(it, vals, transforms, expand, k); err != nil {
			return nil, err
		}
	}
	return it, nil
}

func (p *parser) stringPatterns(it *item, vals []rawVal, transforms []string, expand bool, k *yaml.Node) error {
	for _, v := range vals {
		if v.null {
			if len(transforms) > 0 || it.keyword {
				return p.errf(v.node, ErrInvalidRule, "null cannot take string modifiers")
			}
			it.orNull = true
			continue
		}
		cur := []sstring{parseSString(v.s)}
		if expand {
			var next []sstring
			for _, s := range cur {
				vs, err := s.expandPlaceholders(p.cfg.Placeholders)
				if err != nil {
					if errors.Is(err, errTooManyVariants) {
						return p.errf(v.node, ErrUnsupported, "%v", err)
					}
					return p.errf(v.node, ErrUnresolvedPlaceholder, "%v", err)
				}
				next = append(next, vs...)
			}
			cur = next
		}
		for _, t := range transforms {
			var next []sstring
			for _, s := range cur {
				if len(next) > p.budget {
					return p.errf(v.node, ErrUnsupported, "rule expands to more than %d values", maxValuesPerDoc)
				}
				switch t {
				case "contains":
					next = append(next, s.withWild(true, true))
				case "startswith":
					next = append(next, s.withWild(false, true))
				case "endswith":
					next = append(next, s.withWild(true, false))
				case "windash":
					vs, err := s.windash()
					if err != nil {
						return p.errf(v.node, ErrUnsupported, "%v", err)
					}
					next = append(next, vs...)
				case "base64", "base64offset":
					plain, ok := s.plain()
					if !ok {
						return p.errf(v.node, ErrInvalidRule, "%s cannot encode wildcards in %q", t, v.s)
					}
					if t == "base64" {
						next = append(next, plainSString(base64.StdEncoding.EncodeToString([]byte(plain))))
						continue
					}
					for _, e := range base64Offsets(plain) {
						next = append(next, plainSString(e))
					}
				case "utf16le", "wide":
					next = append(next, s.mapLiterals(func(x string) string { return encodeUTF16(x, false, false) }))
				case "utf16be":
					next = append(next, s.mapLiterals(func(x string) string { return encodeUTF16(x, true, false) }))
				case "utf16":
					// The byte order mark goes before the first literal.
					first := true
					next = append(next, s.mapLiterals(func(x string) string {
						bom := first
						first = false
						return encodeUTF16(x, false, bom)
					}))
				}
			}
			if err := p.spend(v.node, len(next)); err != nil {
				return err
			}
			cur = next
		}
		if it.keyword {
			// Keywords are searched for anywhere in the message.
			for i := range cur {
				cur[i] = cur[i].withWild(true, true)
			}
		}
		for _, s := range cur {
			it.pats = append(it.pats, makeStrPat(s.normalize(), it.cased))
		}
	}
	if it.all && it.orNull {
		return p.errf(k, ErrInvalidRule, "all cannot be combined with null")
	}
	if !it.all && !it.keyword && len(it.pats) >= fastSetMin {
		it.fast = newFastSet(it.pats)
	}
	return nil
}

// makeStrPat classifies a normalized Sigma string.
func makeStrPat(s sstring, cased bool) strPat {
	if !cased {
		s = s.mapLiterals(fold)
	}
	if lit, ok := s.plain(); ok {
		return strPat{kind: kEq, lit: lit}
	}
	starOnly := true
	for _, p := range s {
		if p.wild == '?' {
			starOnly = false
		}
	}
	if starOnly {
		switch {
		case len(s) == 1:
			return strPat{kind: kAny}
		case len(s) == 2 && s[0].wild == '*':
			return strPat{kind: kSuffix, lit: s[1].lit}
		case len(s) == 2 && s[1].wild == '*':
			return strPat{kind: kPrefix, lit: s[0].lit}
		case len(s) == 3 && s[0].wild == '*' && s[2].wild == '*' && s[1].wild == 0:
			return strPat{kind: kContains, lit: s[1].lit}
		}
	}
	return strPat{kind: kGlob, glob: s}
}

// Filter is a global filter (sigma-filters-specification): its condition,
// negated, is ANDed to the condition of every listed rule.
type Filter struct {
	Rules []string // by id or name
}

func (p *parser) filter(n *yaml.Node) (*Filter, *detection, error) {
	f := &Filter{}
	rest := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	err := p.pairs(n, "filter", func(key string, k, v *yaml.Node) error {
		if key == "rules" {
			var err error
			f.Rules, err = p.strings(v, "filter rules")
			return err
		}
		rest.Content = append(rest.Content, k, v)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(f.Rules) == 0 {
		return nil, nil, p.errf(n, ErrInvalidRule, "filter needs rules")
	}
	d, err := p.detection(rest)
	if err != nil {
		return nil, nil, err
	}
	return f, d, nil
}
