// Package event holds Vedetta's domain event model: one normalised security
// event per record, with ECS field names in a flat dotted map plus the
// vedetta.* namespace for what ECS lacks (physical security, sites, assets).
//
// The package sits at the bottom of the import graph: it imports nothing from
// Vedetta, so parsers (normalize), detection (detect) and storage can share it.
package event

import (
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
type Event struct {
	ID       string         `json:"id"`        // UUIDv7, time-ordered
	TenantID string         `json:"tenant_id"` // owning tenant
	SourceID string         `json:"source_id"` // configured source that received it
	Observed time.Time      `json:"@timestamp"`
	Received time.Time      `json:"received"`
	Category string         `json:"category"`
	Fields   map[string]any `json:"fields"`
	Raw      string         `json:"raw,omitempty"` // event.original; empty when the source drops raw
}

// Get returns the value of a flat ECS field.
func (e *Event) Get(field string) (any, bool) {
	v, ok := e.Fields[field]
	return v, ok
}

// String returns a field as a string ("" when absent); numbers and booleans
// are formatted, lists return their first element.
func (e *Event) String(field string) string {
	v, ok := e.Fields[field]
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
	if e.Fields == nil {
		e.Fields = make(map[string]any, 16)
	}
	e.Fields[field] = v
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
