package sigma

import (
	"strings"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// Event is what rules match against: a flat map of fields.
//
// Get returns a field's value, which may be a string, any integer or float
// type, bool, nil (JSON null), json.Number, []string or []any of those; a
// list matches when any element matches. Field names are compared exactly
// (case-sensitively, as the specification says).
//
// Keywords calls fn with each text of the event that keyword selections
// search, stopping and returning true as soon as fn does.
type Event interface {
	Get(field string) (any, bool)
	Keywords(fn func(string) bool) bool
}

// Map adapts a decoded JSON object (such as a flattened Windows event with
// Sysmon field names). Get looks the field up directly; when it is absent
// and the name is dotted, it walks nested objects ("process.name" finds
// {"process":{"name":…}}). Keywords visits every string value, nested
// ones included.
type Map map[string]any

// Get implements Event.
func (e Map) Get(field string) (any, bool) {
	if v, ok := e[field]; ok {
		return v, true
	}
	if !strings.Contains(field, ".") {
		return nil, false
	}
	var cur any = map[string]any(e)
	for rest := field; rest != ""; {
		name := rest
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			name, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[name]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Keywords implements Event.
func (e Map) Keywords(fn func(string) bool) bool {
	for _, v := range e {
		if visitStrings(v, fn) {
			return true
		}
	}
	return false
}

func visitStrings(v any, fn func(string) bool) bool {
	switch x := v.(type) {
	case string:
		return fn(x)
	case []string:
		for _, s := range x {
			if fn(s) {
				return true
			}
		}
	case []any:
		for _, y := range x {
			if visitStrings(y, fn) {
				return true
			}
		}
	case map[string]any:
		for _, y := range x {
			if visitStrings(y, fn) {
				return true
			}
		}
	}
	return false
}

// ECS adapts a normalised Vedetta event (flat ECS keys). Keyword
// selections search "message", then the raw record (event.original).
type ECS struct{ E *event.Event }

// Get implements Event.
func (e ECS) Get(field string) (any, bool) {
	v, ok := e.E.Fields[field]
	return v, ok
}

// Keywords implements Event.
func (e ECS) Keywords(fn func(string) bool) bool {
	if v, ok := e.E.Fields["message"]; ok && visitStrings(v, fn) {
		return true
	}
	if v, ok := e.E.Fields["event.original"]; ok && visitStrings(v, fn) {
		return true
	}
	return e.E.Raw != "" && fn(e.E.Raw)
}
