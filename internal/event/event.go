// Package event holds Vedetta's domain event model: one normalised security
// event per record, with ECS field names in a flat dotted map plus the
// vedetta.* namespace for what ECS lacks (physical security, sites, assets).
//
// The package sits at the bottom of the import graph: it imports nothing from
// Vedetta, so parsers (normalize), detection (detect) and storage can share it.
package event

import (
	"iter"
	"strconv"
	"time"
)

// Retention categories. Every event carries one; the retention policy of a
// tenant says how long each category is kept.
const (
	CategorySecurity = "security" // authentication, process, IDS, firewall decisions
	CategoryNetwork  = "network"  // flows, DNS, proxy
	CategoryWeb      = "web"      // web server access and error logs (citizens' IPs)
	CategorySystem   = "system"   // OS and application logs without security meaning
	CategoryPhysical = "physical" // doors, badges, sensors
	CategoryCamera   = "camera"   // camera analytics (short retention by default)
	CategoryMaritime = "maritime" // AIS and vessel traffic
)

// Event is one normalised event. Fields uses flat ECS keys ("source.ip",
// "event.action", "user.name") whose values are string, int64, float64, bool
// or []string; nothing else is allowed so that every consumer (Sigma,
// IOC matching, storage, search) handles a closed set of types.
//
// An event being built on the ingestion path may hold its fields in List
// instead, in the order they were set, with Fields nil (UseList): building
// and encoding an ordered list costs about a third of a map's insertions
// and iteration, which were a quarter of a syslog line's CPU (see
// BENCHMARKS.md, W1). Only producers see such events: the ingestion
// encoder writes either form, and every consumer decodes events from the
// bus with Fields set. Get, String, Set, Put, Del, Len and All work on
// either form; FieldMap turns a list into Fields. A list's values may share
// memory with other events (a parser's templates, one string holding a
// batch's raw lines): such an event is encoded, not modified.
type Event struct {
	ID       string         `json:"id"`        // UUIDv7, time-ordered
	TenantID string         `json:"tenant_id"` // owning tenant
	SourceID string         `json:"source_id"` // configured source that received it
	Observed time.Time      `json:"@timestamp"`
	Received time.Time      `json:"received"`
	Category string         `json:"category"`
	Fields   map[string]any `json:"fields"`
	List     FieldList      `json:"-"`             // the fields when Fields is nil and List is in use (UseList)
	Raw      string         `json:"raw,omitempty"` // event.original; empty when the source drops raw
}

// Field is one field of a FieldList. Strings and integers set with
// PutString and PutInt are kept unboxed (Kind): boxing them into an any
// is an allocation per value.
type Field struct {
	Key   string
	Kind  FieldKind
	Value any    // the value when Kind is KindAny
	Str   string // the value when Kind is KindString
	Int   int64  // the value when Kind is KindInt
}

// FieldKind says where a Field holds its value.
type FieldKind uint8

// Field kinds.
const (
	KindAny FieldKind = iota
	KindString
	KindInt
)

// Val returns the field's value (boxing it when it is held unboxed).
func (f *Field) Val() any {
	switch f.Kind {
	case KindString:
		return f.Str
	case KindInt:
		return f.Int
	}
	return f.Value
}

// FieldList is an event's fields in the order they were first set, each
// key once.
type FieldList struct {
	KV []Field
	// on is set while the list holds the event's fields (UseList).
	on bool
	// seen has bit keyBit(k) set for every key k in KV: a key whose bit is
	// clear is new without comparing it to the others (128 bits leave ~2
	// false hits among a syslog event's 20 keys, 64 left 5).
	seen [2]uint64
}

// Equal reports whether two lists hold the same fields in the same order
// (go-cmp uses it, as the struct has unexported fields).
func (l FieldList) Equal(o FieldList) bool {
	if l.on != o.on || len(l.KV) != len(o.KV) {
		return false
	}
	for i := range l.KV {
		if l.KV[i].Key != o.KV[i].Key || !sameValue(l.KV[i].Val(), o.KV[i].Val()) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	if x, ok := a.([]string); ok {
		y, ok := b.([]string)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if _, ok := b.([]string); ok {
		return false
	}
	return a == b
}

// UseList empties the event's fields and keeps the next ones in List,
// reusing its storage (not cleared: the next event's fields overwrite it,
// so a list keeps at most its own capacity of older values reachable).
func (e *Event) UseList() {
	e.Fields = nil
	e.List.KV, e.List.on, e.List.seen = e.List.KV[:0], true, [2]uint64{}
}

// UseMap empties the event's fields and keeps the next ones in Fields,
// reusing its map.
func (e *Event) UseMap() {
	if e.List.on {
		clear(e.List.KV)
		e.List.KV, e.List.on, e.List.seen = e.List.KV[:0], false, [2]uint64{}
	}
	if e.Fields == nil {
		e.Fields = make(map[string]any, 24)
	} else {
		clear(e.Fields)
	}
}

// Listed reports whether the event's fields are in List.
func (e *Event) Listed() bool { return e.List.on }

// FieldMap returns the event's fields as a map, moving them out of List
// first if they are there (the event then stays in map form).
func (e *Event) FieldMap() map[string]any {
	if e.List.on {
		m := make(map[string]any, max(len(e.List.KV), 8))
		for i := range e.List.KV {
			m[e.List.KV[i].Key] = e.List.KV[i].Val()
		}
		// The storage is kept for a later UseList (which clears it); a
		// copy of the event made before still sees its fields.
		e.List.KV, e.List.on, e.List.seen = e.List.KV[:0], false, [2]uint64{}
		e.Fields = m
	} else if e.Fields == nil {
		e.Fields = make(map[string]any, 16)
	}
	return e.Fields
}

// Get returns the value of a flat ECS field.
func (e *Event) Get(field string) (any, bool) {
	if e.List.on {
		if i := e.List.index(field); i >= 0 {
			return e.List.KV[i].Val(), true
		}
		return nil, false
	}
	v, ok := e.Fields[field]
	return v, ok
}

// keyBit mixes a key's length and two of its bytes into a bit of
// FieldList.seen: word w, mask m.
func keyBit(k string) (w int, m uint64) {
	h := uint(len(k)) * 31
	if len(k) > 0 {
		h += uint(k[len(k)/2])*7 + uint(k[len(k)-1])
	}
	return int(h>>6) & 1, 1 << (h & 63)
}

func (l *FieldList) index(key string) int {
	if w, m := keyBit(key); l.seen[w]&m == 0 {
		return -1
	}
	for i := range l.KV {
		if l.KV[i].Key == key {
			return i
		}
	}
	return -1
}

// String returns a field as a string ("" when absent); numbers and booleans
// are formatted, lists return their first element.
func (e *Event) String(field string) string {
	v, ok := e.Get(field)
	if !ok {
		return ""
	}
	return ValueString(v)
}

// Set stores a field, ignoring empty strings so that parsers can assign
// optional captures without checks.
func (e *Event) Set(field string, v any) {
	if s, ok := v.(string); ok && s == "" {
		return
	}
	e.Put(field, v)
}

// Put stores a field, replacing its value if it is there.
func (e *Event) Put(field string, v any) {
	if e.List.on {
		f := e.List.slot(field)
		f.Kind, f.Value, f.Str = KindAny, v, ""
		return
	}
	if e.Fields == nil {
		e.Fields = make(map[string]any, 16)
	}
	e.Fields[field] = v
}

// PutString stores a string field (even an empty one), unboxed in a list.
func (e *Event) PutString(field, v string) {
	if e.List.on {
		f := e.List.slot(field)
		f.Kind, f.Value, f.Str = KindString, nil, v
		return
	}
	e.Put(field, v)
}

// SetString is PutString ignoring empty strings, as Set.
func (e *Event) SetString(field, v string) {
	if v != "" {
		e.PutString(field, v)
	}
}

// PutInt stores an integer field, unboxed in a list.
func (e *Event) PutInt(field string, v int64) {
	if e.List.on {
		f := e.List.slot(field)
		f.Kind, f.Value, f.Int = KindInt, nil, v
		return
	}
	e.Put(field, v)
}

// slot returns the field of key in l, appended if it is not there. The
// caller sets its value field by field: assigning a whole Field copies it
// with bulk write barriers while the garbage collector runs.
func (l *FieldList) slot(key string) *Field {
	if i := l.index(key); i >= 0 {
		return &l.KV[i]
	}
	if n := len(l.KV); n < cap(l.KV) {
		l.KV = l.KV[:n+1] // a reused slot: the setters overwrite what they use
	} else {
		l.KV = append(l.KV, Field{})
	}
	w, m := keyBit(key)
	l.seen[w] |= m
	f := &l.KV[len(l.KV)-1]
	f.Key = key
	return f
}

// Del removes a field.
func (e *Event) Del(field string) {
	if e.List.on {
		if i := e.List.index(field); i >= 0 {
			e.List.KV = append(e.List.KV[:i], e.List.KV[i+1:]...)
			e.List.KV[len(e.List.KV):cap(e.List.KV)][0] = Field{}
		}
		return
	}
	delete(e.Fields, field)
}

// Len returns the number of fields.
func (e *Event) Len() int {
	if e.List.on {
		return len(e.List.KV)
	}
	return len(e.Fields)
}

// All yields the event's fields: in the order they were set for a list,
// in no particular order for a map.
func (e *Event) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if e.List.on {
			for i := range e.List.KV {
				if !yield(e.List.KV[i].Key, e.List.KV[i].Val()) {
					return
				}
			}
			return
		}
		for k, v := range e.Fields {
			if !yield(k, v) {
				return
			}
		}
	}
}

// ValueString formats one field value as text.
func ValueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		if len(x) > 0 {
			return x[0]
		}
	}
	return ""
}
