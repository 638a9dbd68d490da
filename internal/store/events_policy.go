package store

import (
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// Categories lists the event categories in display order.
var Categories = []string{
	event.CategorySecurity, event.CategoryNetwork, event.CategoryWeb, event.CategorySystem,
	event.CategoryPhysical, event.CategoryCamera, event.CategoryMaritime,
}

// DefaultRetention is how many days events of each category are kept when
// the tenant has set no policy of its own. Security events are kept a year
// for investigations; web and network logs, which hold citizens' addresses,
// ninety days; camera analytics a week (personal data of passers-by, kept
// only as long as needed to act on an alert). A category missing here (one
// a future parser adds) falls back to DefaultRetentionDays.
var DefaultRetention = map[string]int{
	event.CategorySecurity: 365,
	event.CategoryNetwork:  90,
	event.CategoryWeb:      90,
	event.CategorySystem:   30,
	event.CategoryPhysical: 180,
	event.CategoryCamera:   7,
	event.CategoryMaritime: 90,
	RetentionAlerts:        365,
}

// RetentionAlerts is the retention policy, beside the event categories,
// for closed alerts (they name addresses, users and plates); see
// AlertStore.DeleteAlertsBefore. Its default is DefaultRetention's.
const RetentionAlerts = "alerts"

// RetentionKinds lists what retention policies apply to, in display
// order: the event categories, then closed alerts.
var RetentionKinds = append(slices.Clone(Categories), RetentionAlerts)

// DefaultRetentionDays applies to a category that is neither in
// DefaultRetention nor set by the tenant.
const DefaultRetentionDays = 90

// MaxRetentionDays bounds a retention policy (ten years).
const MaxRetentionDays = 3650

// RetentionDays returns the default policy of category.
func RetentionDays(category string) int {
	if d, ok := DefaultRetention[category]; ok {
		return d
	}
	return DefaultRetentionDays
}

// Exact matches on fields (EventQuery.Fields) are indexed two ways, chosen
// by how many distinct values a field takes, because the cost of an index
// entry depends on where it lands:
//
//   - IndexedFields have few values, each repeated often (actions,
//     outcomes, status codes). Their entries go to a B-tree keyed by
//     (tenant, field, value, time), always appended at the end of their
//     value's range, so they are cheap to write, and a search walks them
//     newest first and stops at the page size even when the value matches
//     millions of events.
//   - TokenFields have many distinct values (addresses, names, hosts).
//     In a B-tree every entry would land on a random page and each batch
//     would rewrite thousands of pages (measured: two thirds of the insert
//     time). They are written instead as hashed tokens into the full-text
//     index, whose segments absorb random keys cheaply; a search finds the
//     few events of one address there, and the store checks the value
//     itself, so a hash collision can never return a wrong event.
//
// A match on any other field still works but scans the tenant's events in
// the query's time range, so bound it with Since.
var IndexedFields = []string{
	"event.action", "event.outcome", "event.code", "event.dataset", "event.module",
	"http.response.status_code", "observer.name", "network.transport",
}

// TokenFields are the high-cardinality fields indexed as full-text tokens
// (see IndexedFields).
var TokenFields = []string{
	"source.ip", "destination.ip", "client.ip", "server.ip", "host.ip", "host.name",
	"user.name", "user.target.name", "url.domain", "dns.question.name", "process.name",
	"file.name", "file.hash.sha256", "rule.name", "vehicle.plate", "vessel.mmsi", "door.id", "badge.id",
}

// IsIndexedField reports whether name is one of IndexedFields.
func IsIndexedField(name string) bool { return slices.Contains(IndexedFields, name) }

// IsTokenField reports whether name is one of TokenFields.
func IsTokenField(name string) bool { return slices.Contains(TokenFields, name) }

// FieldToken returns the full-text token that stands for name=value: "f"
// and 16 hex digits of a 64-bit FNV-1a hash, a word that no tokenizer
// splits and that real text does not contain.
func FieldToken(name, value string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return "f" + strconv.FormatUint(h.Sum64()|1<<63, 16)
}

// FieldValues returns the text forms of a field value as exact matches see
// them: one for a scalar, one per element for a list, none for a map or
// nil. Numbers are formatted without exponent, booleans as true/false.
func FieldValues(v any) []string {
	switch x := v.(type) {
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, FieldValues(e)...)
		}
		return out
	case []string:
		return x
	case string:
		return []string{x}
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	case float32:
		return []string{strconv.FormatFloat(float64(x), 'f', -1, 32)}
	case int:
		return []string{strconv.Itoa(x)}
	case int64:
		return []string{strconv.FormatInt(x, 10)}
	case int32:
		return []string{strconv.FormatInt(int64(x), 10)}
	case uint64:
		return []string{strconv.FormatUint(x, 10)}
	case uint16:
		return []string{strconv.FormatUint(uint64(x), 10)}
	case bool:
		return []string{strconv.FormatBool(x)}
	}
	return nil
}

// Event query limits.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

// SourceKinds lists the source kinds in display order.
var SourceKinds = []string{SourceSyslogUDP, SourceSyslogTCP, SourceSyslogTLS, SourceHTTP, SourceMQTT, SourceFile}

// ValidSourceKind reports whether k is one of SourceKinds.
func ValidSourceKind(k string) bool {
	for _, x := range SourceKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Rate returns the source's recent rate in events per second at now: the
// events of the current and the previous minute over the time they span.
// It is zero when the last report is more than two minutes old.
func (h SourceHealth) Rate(now time.Time) float64 {
	if h.WindowStart.IsZero() {
		return 0
	}
	age := now.Sub(h.WindowStart)
	switch {
	case age < 0:
		age = 0
	case age >= 2*time.Minute:
		return 0
	}
	n := h.WindowEvents
	span := age
	if age < time.Minute {
		n += h.PrevEvents
		span += time.Minute
	} else {
		span = age
	}
	if span < time.Second {
		span = time.Second
	}
	return float64(n) / span.Seconds()
}

// Silent reports whether a source with an expected interval has sent
// nothing for longer than it (never having sent counts from its creation).
func (s Source) Silent(h SourceHealth, now time.Time) bool {
	if s.ExpectedInterval <= 0 || !s.Enabled {
		return false
	}
	last := h.LastEvent
	if last.IsZero() {
		last = s.CreatedAt
	}
	return now.Sub(last) > s.ExpectedInterval
}
