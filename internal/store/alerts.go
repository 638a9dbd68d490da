package store

import (
	"context"
	"time"
)

// AlertKind says what raised an alert.
type AlertKind string

// Alert kinds.
const (
	AlertSigma       AlertKind = "sigma"       // a Sigma detection rule
	AlertCorrelation AlertKind = "correlation" // a Sigma correlation rule
	AlertIOC         AlertKind = "ioc"         // an indicator of compromise
	AlertPhysical    AlertKind = "physical"    // a physical-security or time rule
	AlertHealth      AlertKind = "health"      // a source that stopped reporting
)

// AlertKinds lists every kind, in display order.
var AlertKinds = []AlertKind{AlertSigma, AlertCorrelation, AlertIOC, AlertPhysical, AlertHealth}

// Valid reports whether k is a known kind.
func (k AlertKind) Valid() bool { return indexOf(AlertKinds, k) >= 0 }

// Severity is an alert's severity, the Sigma levels.
type Severity string

// Severities, from least to most severe.
const (
	SeverityInformational Severity = "informational"
	SeverityLow           Severity = "low"
	SeverityMedium        Severity = "medium"
	SeverityHigh          Severity = "high"
	SeverityCritical      Severity = "critical"
)

// Severities lists every severity, least severe first.
var Severities = []Severity{SeverityInformational, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return indexOf(Severities, s) >= 0 }

// Rank orders severities: 0 for informational up to 4 for critical, -1 for
// an unknown one.
func (s Severity) Rank() int { return indexOf(Severities, s) }

// AlertStatus is where an alert stands in triage.
type AlertStatus string

// Alert statuses.
const (
	StatusNew           AlertStatus = "new"
	StatusAcknowledged  AlertStatus = "acknowledged"
	StatusInProgress    AlertStatus = "in_progress"
	StatusResolved      AlertStatus = "resolved"
	StatusFalsePositive AlertStatus = "false_positive"
	StatusSuppressed    AlertStatus = "suppressed"
)

// AlertStatuses lists every status, in triage order.
var AlertStatuses = []AlertStatus{StatusNew, StatusAcknowledged, StatusInProgress, StatusResolved, StatusFalsePositive, StatusSuppressed}

// Valid reports whether s is a known status.
func (s AlertStatus) Valid() bool { return indexOf(AlertStatuses, s) >= 0 }

// Open reports whether an alert in status s still groups new matches:
// resolved and false-positive alerts are closed, so a later match opens a
// new alert.
func (s AlertStatus) Open() bool { return s != StatusResolved && s != StatusFalsePositive }

func indexOf[T comparable](list []T, v T) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// Entities are the things an alert is about.
type Entities struct {
	Hosts  []string `json:"hosts,omitempty"`
	Users  []string `json:"users,omitempty"`
	IPs    []string `json:"ips,omitempty"`
	Assets []string `json:"assets,omitempty"`
	Sites  []string `json:"sites,omitempty"`
}

// MaxAlertEvents bounds Alert.EventIDs: an alert keeps the ids of its
// first MaxAlertEvents events; later ones are still counted.
const MaxAlertEvents = 100

// Alert is one detection, possibly grouping many matching events: matches
// with the same tenant and DedupKey within the grouping window increment
// Count, extend LastSeen and add their event id.
type Alert struct {
	ID       string // UUIDv7
	TenantID string
	Kind     AlertKind
	// RuleID and RuleTitle name the rule for sigma, correlation, physical
	// and health alerts.
	RuleID    string
	RuleTitle string
	// The Indicator fields describe the matched indicator of ioc alerts.
	IndicatorID     string
	IndicatorValue  string
	IndicatorSource string
	TLP             string
	Severity        Severity
	Title           string
	Description     string
	Tags            []string // ATT&CK and other rule tags, e.g. "attack.t1110"
	Entities        Entities
	DedupKey        string
	Count           int64 // matching events grouped (at least 1)
	FirstSeen       time.Time
	LastSeen        time.Time
	// EventIDs are the ids of the grouped events, oldest first, at most
	// MaxAlertEvents.
	EventIDs  []string
	Status    AlertStatus
	Assignee  string // user id; "" when unassigned
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AlertFilter selects alerts of one tenant. Zero fields match everything.
type AlertFilter struct {
	Statuses    []AlertStatus // any of these
	MinSeverity Severity      // at least this severe
	Kind        AlertKind
	RuleID      string
	Since       time.Time // last seen at or after
	Until       time.Time // first seen before
	// Text must occur, case-insensitively, in the title, description,
	// rule title, indicator value or entities.
	Text string
	// Before pages (keyset): only alerts created before the alert with
	// this id, which is the last of the previous page. Alerts are listed
	// newest first by id (UUIDv7, so by creation).
	Before string
	Limit  int // default 100, max 1000
}

// AlertCounts counts a tenant's alerts by severity and by status.
type AlertCounts struct {
	Total      int
	BySeverity map[Severity]int
	ByStatus   map[AlertStatus]int
}

// AlertComment is one note on an alert, for triage.
type AlertComment struct {
	ID        string
	TenantID  string
	AlertID   string
	Author    string // user id or "token:<id>"
	Text      string
	CreatedAt time.Time
}

// Suppression silences matches: those of RuleID (when set) whose event has
// Field equal to Value (when set), until ExpiresAt (zero: never). At least
// one of RuleID and Field must be set. A suppressed match raises no alert
// but increments Hits.
type Suppression struct {
	ID        string
	TenantID  string
	RuleID    string
	Field     string
	Value     string
	Reason    string
	Author    string
	CreatedAt time.Time
	ExpiresAt time.Time
	Hits      int64
	LastHit   time.Time
}

// Active reports whether the suppression applies at t.
func (s *Suppression) Active(t time.Time) bool { return s.ExpiresAt.IsZero() || t.Before(s.ExpiresAt) }

// AlertStore keeps alerts, their comments and suppression rules.
type AlertStore interface {
	// DeleteAlertsBefore deletes up to limit of the tenant's closed alerts
	// (resolved, false positive, suppressed) last seen before t that no
	// case refers to, with their events list, comments and notification
	// records, and returns how many it deleted. Open alerts and alerts of
	// a case are kept: the case carries them until it is closed.
	DeleteAlertsBefore(ctx context.Context, tenantID string, t time.Time, limit int) (int64, error)
	// UpsertAlert stores a match. When an open alert of the tenant with
	// a.DedupKey was last seen no earlier than window before a.LastSeen,
	// the match is grouped into it: Count grows by a.Count, LastSeen
	// extends and a.EventIDs are added; otherwise a new alert is created
	// with status a.Status (new when empty). Event ids already grouped into the alert are not
	// counted again, so a redelivered event does not double-count; a
	// match whose every event was seen changes nothing. a is overwritten
	// with the stored alert. created reports a new alert, changed any
	// write.
	UpsertAlert(ctx context.Context, a *Alert, window time.Duration) (created, changed bool, err error)
	GetAlert(ctx context.Context, tenantID, id string) (*Alert, error)
	// ListAlerts returns matching alerts, newest first.
	ListAlerts(ctx context.Context, tenantID string, f AlertFilter) ([]Alert, error)
	// CountAlerts counts the alerts f selects (ignoring Before and Limit)
	// by severity and status.
	CountAlerts(ctx context.Context, tenantID string, f AlertFilter) (AlertCounts, error)
	UpdateAlertStatus(ctx context.Context, tenantID, id string, status AlertStatus) error
	// AssignAlert sets the assignee ("" unassigns).
	AssignAlert(ctx context.Context, tenantID, id, assignee string) error
	AddAlertComment(ctx context.Context, c *AlertComment) error // sets ID and CreatedAt
	// ListAlertComments returns the comments of the tenant's alert, oldest
	// first.
	ListAlertComments(ctx context.Context, tenantID, alertID string) ([]AlertComment, error)

	CreateSuppression(ctx context.Context, s *Suppression) error // sets ID and CreatedAt
	GetSuppression(ctx context.Context, tenantID, id string) (*Suppression, error)
	// ListSuppressions returns the tenant's suppressions, newest first,
	// expired ones included.
	ListSuppressions(ctx context.Context, tenantID string) ([]Suppression, error)
	UpdateSuppression(ctx context.Context, s *Suppression) error // rule, field, value, reason, expiry
	DeleteSuppression(ctx context.Context, tenantID, id string) error
	// RecordSuppressionHits adds n to the suppression's hit count and
	// sets its last hit time.
	RecordSuppressionHits(ctx context.Context, tenantID, id string, n int64, at time.Time) error
}

// Indicator is an indicator of compromise stored for a tenant (the
// detection engine compiles them with internal/detect/ioc).
type Indicator struct {
	ID          string
	TenantID    string
	Type        string // ioc type name: ipv4, ipv6, cidr, domain, url, md5, sha1, sha256, email, filename
	Value       string // normalised by the caller (ioc.ParseIndicator)
	Source      string // feed or person that supplied it
	Confidence  int    // 0–100
	TLP         string // TLP 2.0 name, "" unmarked
	ValidFrom   time.Time
	ValidUntil  time.Time
	Tags        []string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IndicatorFilter selects a tenant's indicators.
type IndicatorFilter struct {
	Type   string
	Text   string // substring of value, source or description
	Before string // keyset paging by id, newest first
	Limit  int    // default 100, max 1000; ListAllIndicators ignores it
}

// IndicatorStore keeps indicators per tenant. The threat-intelligence
// feeds (STIX, TAXII, MISP) add to it later.
type IndicatorStore interface {
	// UpsertIndicators inserts indicators or, for a tenant's existing
	// (type, value, source), updates the rest. It returns how many were
	// new. IDs are set on the slice's elements.
	UpsertIndicators(ctx context.Context, inds []Indicator) (int, error)
	ListIndicators(ctx context.Context, tenantID string, f IndicatorFilter) ([]Indicator, error)
	// AllIndicators returns every indicator of the tenant, for compiling.
	AllIndicators(ctx context.Context, tenantID string) ([]Indicator, error)
	// IndicatorsVersion changes whenever the tenant's indicators change
	// (count and last update), so a cache knows when to rebuild.
	IndicatorsVersion(ctx context.Context, tenantID string) (string, error)
	DeleteIndicator(ctx context.Context, tenantID, id string) error
}
