package detect

import (
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// AlertDoc is the JSON form of an alert, published on the bus and served
// by the API.
type AlertDoc struct {
	ID              string         `json:"id"`
	TenantID        string         `json:"tenant_id"`
	Kind            string         `json:"kind"`
	RuleID          string         `json:"rule_id,omitempty"`
	RuleTitle       string         `json:"rule_title,omitempty"`
	IndicatorID     string         `json:"indicator_id,omitempty"`
	IndicatorValue  string         `json:"indicator_value,omitempty"`
	IndicatorSource string         `json:"indicator_source,omitempty"`
	TLP             string         `json:"tlp,omitempty"`
	Severity        string         `json:"severity"`
	Title           string         `json:"title"`
	Description     string         `json:"description,omitempty"`
	Tags            []string       `json:"tags"`
	Entities        store.Entities `json:"entities"`
	DedupKey        string         `json:"dedup_key"`
	Count           int64          `json:"count"`
	FirstSeen       time.Time      `json:"first_seen"`
	LastSeen        time.Time      `json:"last_seen"`
	EventIDs        []string       `json:"event_ids"`
	Status          string         `json:"status"`
	Assignee        string         `json:"assignee,omitempty"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
}

// NewAlertDoc converts a stored alert.
func NewAlertDoc(a *store.Alert) AlertDoc {
	tags, evs := a.Tags, a.EventIDs
	if tags == nil {
		tags = []string{}
	}
	if evs == nil {
		evs = []string{}
	}
	return AlertDoc{ID: a.ID, TenantID: a.TenantID, Kind: string(a.Kind), RuleID: a.RuleID, RuleTitle: a.RuleTitle,
		IndicatorID: a.IndicatorID, IndicatorValue: a.IndicatorValue, IndicatorSource: a.IndicatorSource, TLP: a.TLP,
		Severity: string(a.Severity), Title: a.Title, Description: a.Description, Tags: tags, Entities: a.Entities,
		DedupKey: a.DedupKey, Count: a.Count, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, EventIDs: evs,
		Status: string(a.Status), Assignee: a.Assignee, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// Message is what the engine publishes on bus.AlertSubject and
// bus.LiveSubject(tenant, "alerts") for each new or updated alert.
type Message struct {
	Created bool     `json:"created"` // false: an existing alert grouped another match
	Alert   AlertDoc `json:"alert"`
	// SourceID is the source of the event that raised or updated the
	// alert, when detection publishes it (empty from triage), so a live
	// dashboard can name it without looking the event up: the event
	// writer stores events asynchronously and may not have stored it yet.
	SourceID string `json:"source_id,omitempty"`
}
