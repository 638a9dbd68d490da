package normalize

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// jsonMapParser reads one JSON object per record and copies the values at
// the configured dotted source paths (Options.FieldMap: "src.addr" →
// "source.ip") to ECS fields. The target "@timestamp" sets ev.Observed from
// an RFC 3339 string or from epoch seconds (milliseconds when the number is
// larger than 1e11). Unmapped values are dropped; a record that holds none
// of the mapped paths is malformed.
type jsonMapParser struct {
	opts Options
	fj   flatJSON
	tmp  map[string]any
}

// ErrNoFieldMap reports a "json" parser configured without a field mapping.
var ErrNoFieldMap = errors.New("json format needs Options.FieldMap")

func newJSONMap(o Options) (Parser, error) {
	if len(o.FieldMap) == 0 {
		return nil, fmt.Errorf("normalize: %w", ErrNoFieldMap)
	}
	return &jsonMapParser{opts: o, tmp: make(map[string]any, 32)}, nil
}

func (p *jsonMapParser) Name() string { return "json" }

func (p *jsonMapParser) Parse(line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	clear(p.tmp)
	if err := p.fj.flatten(jsonSource(ev, line), p.tmp); err != nil {
		return fail(ev, malformed("json", "%v", err))
	}
	n := 0
	for src, dst := range p.opts.FieldMap {
		v, ok := p.tmp[src]
		if !ok {
			continue
		}
		n++
		if dst == "@timestamp" {
			t, ok := jsonTime(v, p.opts.loc())
			if !ok {
				return fail(ev, malformed("json", "invalid time %v at %q", v, src))
			}
			ev.Observed = t
			continue
		}
		ev.Set(dst, v)
	}
	if n == 0 {
		return fail(ev, malformed("json", "none of the %d mapped fields is present", len(p.opts.FieldMap)))
	}
	ev.Category = p.opts.Category
	if ev.Category == "" {
		ev.Category = event.CategorySystem
	}
	return nil
}

// jsonTime accepts RFC 3339 (zone optional), epoch seconds or milliseconds.
func jsonTime(v any, loc *time.Location) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t, true
		}
		if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", x, loc); err == nil {
			return t, true
		}
		if t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", x, loc); err == nil {
			return t, true
		}
	case int64:
		switch {
		case x < 0 || x > 1e15:
			return time.Time{}, false
		case x > 1e11:
			return time.UnixMilli(x).UTC(), true
		}
		return time.Unix(x, 0).UTC(), true
	case float64:
		return epoch(x)
	}
	return time.Time{}, false
}

func epoch(x float64) (time.Time, bool) {
	if math.IsNaN(x) || x < 0 || x > 1e15 {
		return time.Time{}, false
	}
	if x > 1e11 {
		x /= 1000
	}
	// Float seconds carry about microsecond precision at today's epoch:
	// round there instead of reporting float noise as nanoseconds.
	sec, frac := math.Modf(x)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC(), true
}
