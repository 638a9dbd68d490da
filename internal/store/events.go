package store

import (
	"context"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// EventQuery selects events of one tenant. Zero fields match everything.
type EventQuery struct {
	Since time.Time // observed at or after
	Until time.Time // observed before
	// SourceIDs and Categories restrict to those values (OR within each).
	SourceIDs  []string
	Categories []string
	// Fields are exact matches on flat ECS fields, compared as text
	// (event.ValueString); a list field matches when any element matches.
	Fields map[string]string
	// Text is free text: every word must occur in the event (raw original
	// or message), case-insensitively.
	Text string
	// Before pages backwards (keyset paging): only events after the event
	// with this id in the newest-first order (observed time, then id).
	// Pass the id of the last event of the previous page. An id that is
	// not one of the tenant's events is ErrNotFound.
	Before string
	Limit  int // default 100, max 1000
}

// EventStore keeps normalised events. Events arrive at least once from the
// bus, so inserts are idempotent by event ID.
type EventStore interface {
	// InsertEvents stores a batch in one transaction; events whose ID is
	// stored already are skipped. It returns how many were new.
	InsertEvents(ctx context.Context, evs []event.Event) (int, error)
	GetEvent(ctx context.Context, tenantID, id string) (*event.Event, error)
	// SearchEvents returns matching events, newest first.
	SearchEvents(ctx context.Context, tenantID string, q EventQuery) ([]event.Event, error)
	// DeleteEventsBefore deletes up to limit events of a tenant and
	// category observed before t, for retention; it returns how many.
	DeleteEventsBefore(ctx context.Context, tenantID, category string, t time.Time, limit int) (int64, error)
}

// Source kinds: how events reach Vedetta.
const (
	SourceSyslogUDP = "syslog_udp"
	SourceSyslogTCP = "syslog_tcp"
	SourceSyslogTLS = "syslog_tls"
	SourceHTTP      = "http"
	SourceMQTT      = "mqtt"
	SourceFile      = "file"
)

// Source is one configured origin of events of a tenant: a firewall
// speaking syslog, a web server's access log, a camera system on MQTT.
type Source struct {
	ID       string
	TenantID string
	Name     string
	Kind     string // one of the Source* kinds
	Format   string // parser name (normalize.New)
	// Match tells a shared receiver which traffic belongs to this source:
	// the sending address or CIDR for syslog, the client certificate's
	// SHA-256 fingerprint or CN for TLS, a topic filter for MQTT, a path
	// for file. HTTP sources are matched by their token.
	Match string
	// Config is a JSON object with kind- and format-specific settings
	// (e.g. a generic-JSON field mapping, an MQTT broker URL).
	Config      string
	TokenPrefix string // HTTP push token: first characters, for display
	TokenHash   string // HTTP push token: SHA-256 hex of the secret
	KeepRaw     bool   // keep event.original
	// ExpectedInterval is the longest normal silence; a source silent for
	// longer is flagged. Zero disables the check.
	ExpectedInterval time.Duration
	// RateLimit caps accepted events per second (0 = the tenant quota only).
	RateLimit int
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SourceHealth is what the pipeline records about a source. Passed to
// RecordSourceHealth, Events and Errors are increments and UpdatedAt the
// time of the report (now when zero); the Window fields are read-only.
type SourceHealth struct {
	SourceID  string
	TenantID  string // filled by ListSourceHealth; ignored by RecordSourceHealth
	LastEvent time.Time
	Events    int64 // accepted since creation
	Errors    int64 // unparseable or refused since creation
	LastError string
	UpdatedAt time.Time
	// WindowStart is the start of the minute of the latest report;
	// WindowEvents counts the events reported in that minute and
	// PrevEvents those of the minute before. See Rate.
	WindowStart  time.Time
	WindowEvents int64
	PrevEvents   int64
}

// Retention says how many days a tenant keeps events of a category.
type Retention struct {
	TenantID string
	Category string
	Days     int
}

// SourceStore keeps sources, their health and retention policies.
type SourceStore interface {
	CreateSource(ctx context.Context, s *Source) error // sets ID, CreatedAt, UpdatedAt
	GetSource(ctx context.Context, tenantID, id string) (*Source, error)
	// GetSourceByTokenHash finds an enabled HTTP source by its token hash.
	GetSourceByTokenHash(ctx context.Context, hash string) (*Source, error)
	ListSources(ctx context.Context, tenantID string) ([]Source, error)
	// ListAllSources lists every tenant's sources, for receivers that
	// serve all tenants (a shared syslog port).
	ListAllSources(ctx context.Context) ([]Source, error)
	UpdateSource(ctx context.Context, s *Source) error
	DeleteSource(ctx context.Context, tenantID, id string) error

	// RecordSourceHealth adds to a source's counters and sets its last
	// event time (when later than the stored one) and last error.
	RecordSourceHealth(ctx context.Context, h SourceHealth) error
	ListSourceHealth(ctx context.Context, tenantID string) ([]SourceHealth, error)

	// SetRetention stores a tenant's policy for a category; Days 0 removes
	// it, so the category falls back to DefaultRetention.
	SetRetention(ctx context.Context, r Retention) error
	// ListRetention returns the effective policy of every kind in
	// RetentionKinds order (stored or default), then any other stored
	// category by name.
	ListRetention(ctx context.Context, tenantID string) ([]Retention, error)
}
