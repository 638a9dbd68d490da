package sigma

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v4"
)

// Correlation types.
const (
	EventCount      = "event_count"
	ValueCount      = "value_count"
	Temporal        = "temporal"
	TemporalOrdered = "temporal_ordered"
	ValueSum        = "value_sum"
	ValueAvg        = "value_avg"
	ValuePercentile = "value_percentile"
)

// Correlation is the correlation section of a correlation rule.
type Correlation struct {
	Type     string
	Rules    []string // referenced rules, by id or name
	GroupBy  []string
	Timespan time.Duration
	// Conditions are ANDed ("gt: 100, lte: 200" is a range).
	Conditions []Threshold
	Field      string // value_* types: the aggregated field
	// Aliases maps an alias used in GroupBy to the field it stands for in
	// the events of each referenced rule (by rule name).
	Aliases  map[string]map[string]string
	Generate bool

	refs []*Rule
	// fieldFor[i][j] lists the event fields of GroupBy[j] for refs[i].
	fieldFor [][][]string
	valueFor [][]string // event fields of Field for refs[i]
}

// Threshold is one condition criterion.
type Threshold struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value float64
}

// Holds reports whether v satisfies the threshold.
func (t Threshold) Holds(v float64) bool {
	switch t.Op {
	case "gt":
		return v > t.Value
	case "gte":
		return v >= t.Value
	case "lt":
		return v < t.Value
	case "lte":
		return v <= t.Value
	case "eq":
		return v == t.Value
	case "neq":
		return v != t.Value
	}
	return false
}

var timespanRE = regexp.MustCompile(`^([1-9][0-9]*)([smhd])$`)

// ParseTimespan reads a Sigma timespan such as 90m or 1d.
func ParseTimespan(s string) (time.Duration, error) {
	m := timespanRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%w: timespan %q is not <number><s|m|h|d>", ErrCorrelation, s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > 1<<32 {
		return 0, fmt.Errorf("%w: timespan %q is out of range", ErrCorrelation, s)
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, nil
}

func (p *parser) correlation(n *yaml.Node) (*Correlation, error) {
	c := &Correlation{}
	var condNode, spanNode *yaml.Node
	err := p.pairs(n, "correlation", func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "type":
			c.Type, err = p.scalar(v, key)
		case "rules":
			c.Rules, err = p.strings(v, key)
		case "group-by":
			c.GroupBy, err = p.strings(v, key)
		case "timespan", "timeframe":
			spanNode = v
		case "condition":
			condNode = v
		case "aliases":
			c.Aliases = make(map[string]map[string]string)
			err = p.pairs(v, "aliases", func(alias string, _, av *yaml.Node) error {
				m := make(map[string]string)
				c.Aliases[alias] = m
				return p.pairs(av, "alias "+alias, func(rule string, _, fv *yaml.Node) error {
					f, err := p.scalar(fv, "alias field")
					m[rule] = f
					return err
				})
			})
		case "generate":
			var s string
			s, err = p.scalar(v, key)
			if err == nil {
				c.Generate, err = strconv.ParseBool(s)
				if err != nil {
					err = p.errf(v, ErrCorrelation, "generate must be true or false")
				}
			}
		default:
			err = p.errf(k, ErrCorrelation, "unknown correlation attribute %q", key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	switch c.Type {
	case EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile:
	case "":
		return nil, p.errf(n, ErrCorrelation, "missing type")
	default:
		return nil, p.errf(n, ErrCorrelation, "unknown type %q", c.Type)
	}
	if len(c.Rules) == 0 {
		return nil, p.errf(n, ErrCorrelation, "missing rules")
	}
	if spanNode == nil {
		return nil, p.errf(n, ErrCorrelation, "missing timespan")
	}
	span, err := p.scalar(spanNode, "timespan")
	if err != nil {
		return nil, err
	}
	if c.Timespan, err = ParseTimespan(span); err != nil {
		return nil, &ParseError{File: p.file, Line: spanNode.Line, Err: err}
	}
	temporal := c.Type == Temporal || c.Type == TemporalOrdered
	if condNode != nil {
		err := p.pairs(condNode, "condition", func(key string, _, v *yaml.Node) error {
			s, err := p.scalar(v, "condition "+key)
			if err != nil {
				return err
			}
			switch key {
			case "field":
				c.Field = s
				return nil
			case "gt", "gte", "lt", "lte", "eq", "neq":
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return p.errf(v, ErrCorrelation, "condition %s: %q is not a number", key, s)
				}
				c.Conditions = append(c.Conditions, Threshold{Op: key, Value: f})
				return nil
			}
			return p.errf(v, ErrCorrelation, "unknown condition operator %q", key)
		})
		if err != nil {
			return nil, err
		}
	}
	switch {
	case len(c.Conditions) == 0 && !temporal:
		return nil, p.errf(n, ErrCorrelation, "%s needs a condition", c.Type)
	case len(c.Conditions) == 0:
		c.Conditions = []Threshold{{Op: "gte", Value: float64(len(c.Rules))}}
	case len(c.Conditions) > 3:
		return nil, p.errf(condNode, ErrCorrelation, "at most three condition operators")
	}
	needField := c.Type == ValueCount || c.Type == ValueSum || c.Type == ValueAvg || c.Type == ValuePercentile
	if needField && c.Field == "" {
		return nil, p.errf(condNode, ErrCorrelation, "%s needs condition.field", c.Type)
	}
	if !needField && c.Field != "" {
		return nil, p.errf(condNode, ErrCorrelation, "%s takes no condition.field", c.Type)
	}
	for alias := range c.Aliases {
		found := false
		for _, g := range c.GroupBy {
			found = found || g == alias
		}
		if !found {
			return nil, p.errf(n, ErrCorrelation, "alias %q is not used in group-by", alias)
		}
	}
	return c, nil
}

// resolveCorrelation binds references (by id or name) and field names.
func (rs *Ruleset) resolveCorrelation(r *Rule) error {
	c := r.Correlation
	c.refs = c.refs[:0]
	c.fieldFor = c.fieldFor[:0]
	c.valueFor = c.valueFor[:0]
	for _, ref := range c.Rules {
		t := rs.Rule(ref)
		if t == nil {
			return &ParseError{File: r.File, Line: r.Line, Err: fmt.Errorf("%w: rule %q referenced by %q is not loaded", ErrCorrelation, ref, r.Title)}
		}
		if t == r {
			return &ParseError{File: r.File, Line: r.Line, Err: fmt.Errorf("%w: %q references itself", ErrCorrelation, r.Title)}
		}
		c.refs = append(c.refs, t)
		fields := make([][]string, len(c.GroupBy))
		for j, g := range c.GroupBy {
			f := g
			if am, ok := c.Aliases[g]; ok {
				af, ok := am[t.Name]
				if !ok {
					return &ParseError{File: r.File, Line: r.Line, Err: fmt.Errorf("%w: alias %q has no field for rule %q", ErrCorrelation, g, ref)}
				}
				f = af
			}
			fields[j] = rs.mapField(f)
		}
		c.fieldFor = append(c.fieldFor, fields)
		c.valueFor = append(c.valueFor, rs.mapField(c.Field))
	}
	if err := rs.checkCycle(r, nil); err != nil {
		return err
	}
	return nil
}

func (rs *Ruleset) checkCycle(r *Rule, stack []*Rule) error {
	for _, s := range stack {
		if s == r {
			return &ParseError{File: r.File, Line: r.Line, Err: fmt.Errorf("%w: correlation cycle through %q", ErrCorrelation, r.Title)}
		}
	}
	if r.Correlation == nil {
		return nil
	}
	for _, ref := range r.Correlation.Rules {
		if t := rs.Rule(ref); t != nil {
			if err := rs.checkCycle(t, append(stack, r)); err != nil {
				return err
			}
		}
	}
	return nil
}
