package store

import (
	"context"
	"slices"
	"time"
)

// CaseStatus is where a case stands in its life.
type CaseStatus string

// Case statuses, in order.
const (
	CaseNew       CaseStatus = "new"
	CaseOpen      CaseStatus = "open"
	CaseContained CaseStatus = "contained"
	CaseResolved  CaseStatus = "resolved"
	CaseClosed    CaseStatus = "closed"
)

// CaseStatuses lists every status, in order.
var CaseStatuses = []CaseStatus{CaseNew, CaseOpen, CaseContained, CaseResolved, CaseClosed}

// Valid reports whether s is a known status.
func (s CaseStatus) Valid() bool { return slices.Contains(CaseStatuses, s) }

// CaseCategory is the nature of an incident.
type CaseCategory string

// Case categories.
const (
	CatRansomware        CaseCategory = "ransomware"
	CatPhishing          CaseCategory = "phishing"
	CatDataBreach        CaseCategory = "data_breach"
	CatIntrusion         CaseCategory = "intrusion"
	CatDDoS              CaseCategory = "ddos"
	CatDefacement        CaseCategory = "defacement"
	CatAccountCompromise CaseCategory = "account_compromise"
	CatPhysicalIntrusion CaseCategory = "physical_intrusion"
	CatOther             CaseCategory = "other"
)

// CaseCategories lists every category, in display order.
var CaseCategories = []CaseCategory{CatRansomware, CatPhishing, CatDataBreach, CatIntrusion, CatDDoS,
	CatDefacement, CatAccountCompromise, CatPhysicalIntrusion, CatOther}

// Valid reports whether c is a known category.
func (c CaseCategory) Valid() bool { return slices.Contains(CaseCategories, c) }

// CaseSeverities lists the severities of a case, lowest first.
var CaseSeverities = []string{"low", "medium", "high", "critical"}

// Case is an incident being handled by a tenant.
type Case struct {
	ID          string
	TenantID    string
	Title       string
	Description string
	Status      CaseStatus
	Severity    string // one of CaseSeverities
	Category    CaseCategory
	OwnerID     string // user id, "" = unassigned
	// Significant marks a significant incident under NIS2 (D.Lgs.
	// 138/2024 art. 25 for Italy); PublicAdmin that the tenant reports
	// under L. 90/2024; PersonalData that personal data is affected
	// (GDPR art. 33). The legal clocks follow from these.
	Significant  bool
	PublicAdmin  bool
	PersonalData bool
	Playbook     string // playbook name, "" when none
	TLP          string // clear, green, amber, amber+strict, red
	// AwarenessAt is when the tenant became aware of the incident: every
	// legal clock starts there.
	AwarenessAt    time.Time
	AcknowledgedAt time.Time
	ContainedAt    time.Time
	ResolvedAt     time.Time
	ClosedAt       time.Time
	Resolution     string
	Lessons        string
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// CaseFilter selects cases. Zero fields match everything.
type CaseFilter struct {
	Status   CaseStatus
	Severity string
	Category CaseCategory
	OwnerID  string
	Open     bool   // only cases not closed
	Text     string // substring of the title
	Limit    int    // default 200, max 1000
}

// ObservableTypes lists the kinds of observable a case can hold.
var ObservableTypes = []string{"ip", "domain", "url", "hash", "user", "host", "vessel", "email"}

// Observable is a value of interest in a case, linked to the events and
// alerts it was seen in. Personal marks personal data.
type Observable struct {
	ID        string
	TenantID  string
	CaseID    string
	Type      string // one of ObservableTypes
	Value     string
	Personal  bool
	Note      string
	EventIDs  []string
	AlertIDs  []string
	CreatedAt time.Time
}

// CaseTask is a to-do of a case.
type CaseTask struct {
	ID         string
	TenantID   string
	CaseID     string
	Title      string
	Done       bool
	AssigneeID string
	// Step names the playbook step the task came from, "" for a manual
	// task.
	Step      string
	CreatedAt time.Time
	DoneAt    time.Time
}

// CaseComment is a comment on a case.
type CaseComment struct {
	ID         string
	TenantID   string
	CaseID     string
	AuthorID   string
	AuthorName string
	Body       string
	CreatedAt  time.Time
}

// Timeline entry kinds.
const (
	TimelineEvent    = "event"
	TimelineAlert    = "alert"
	TimelineAction   = "action"
	TimelineStatus   = "status"
	TimelineReport   = "report"
	TimelineNote     = "note"
	TimelineEvidence = "evidence"
	TimelineClock    = "clock"
	TimelineQuestion = "question"
)

// TimelineEntry is one line of a case's timeline.
type TimelineEntry struct {
	ID        string
	TenantID  string
	CaseID    string
	At        time.Time
	Kind      string
	ActorName string
	Text      string
	Ref       string // what it points at, e.g. "event:<id>", "block:<id>"
}

// Evidence is a file attached to a case. The content lives on disk under
// the data directory at Path (relative); SHA256 is computed on upload.
type Evidence struct {
	ID         string
	TenantID   string
	CaseID     string
	Name       string
	MediaType  string
	Size       int64
	SHA256     string
	Path       string
	Personal   bool
	UploadedBy string
	UploadedAt time.Time
}

// CustodyRecord is one access to an evidence file: who, when, what.
type CustodyRecord struct {
	ID         string
	TenantID   string
	EvidenceID string
	At         time.Time
	ActorID    string
	ActorName  string
	Action     string // upload, download, view, verify
	IP         string
	Detail     string
}

// CaseClock is one legal deadline of a case.
type CaseClock struct {
	ID         string
	TenantID   string
	CaseID     string
	Regime     string // nis2, l90, gdpr, al, me
	Stage      string // early_warning, notification, final, gdpr_notification
	StartAt    time.Time
	DeadlineAt time.Time
	MetAt      time.Time // zero while pending
	NotifiedTo string    // who was notified, when met
	ReportID   string
	Waived     bool
	RemindedAt time.Time
}

// Clock statuses as derived by ClockStatus.
const (
	ClockPending  = "pending"
	ClockMet      = "met"
	ClockBreached = "breached"
	ClockWaived   = "waived"
)

// Status is the clock's state at now.
func (c CaseClock) Status(now time.Time) string {
	switch {
	case c.Waived:
		return ClockWaived
	case !c.MetAt.IsZero() && !c.MetAt.After(c.DeadlineAt):
		return ClockMet
	case !c.MetAt.IsZero():
		return ClockBreached
	case now.After(c.DeadlineAt):
		return ClockBreached
	}
	return ClockPending
}

// CaseReport is a report sent from a case to an overseeing tenant (the
// police centre). TenantID is the sender; RecipientID the receiver, who
// sees it in its inbox.
type CaseReport struct {
	ID             string
	TenantID       string
	CaseID         string
	RecipientID    string
	Stage          string
	Lang           string
	Title          string
	STIX           []byte // the bundle, JSON
	PDF            []byte
	PersonalData   bool // sent with personal data in clear
	SentBy         string
	SentAt         time.Time
	AcknowledgedAt time.Time
	AcknowledgedBy string
}

// ReportMessage is a question or answer on a report, visible to both
// sides.
type ReportMessage struct {
	ID         string
	ReportID   string
	TenantID   string // the author's tenant
	AuthorName string
	Body       string
	CreatedAt  time.Time
}

// Block is an address blocked or a user disabled through a webhook by a
// playbook action; active until EndedAt or ExpiresAt.
type Block struct {
	ID        string
	TenantID  string
	CaseID    string
	Kind      string // block_ip, disable_user
	Target    string
	Action    string // the playbook action's name (its webhook)
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time // zero = no expiry
	EndedAt   time.Time
	EndedBy   string
}

// Active reports whether the block holds at now.
func (b Block) Active(now time.Time) bool {
	return b.EndedAt.IsZero() && (b.ExpiresAt.IsZero() || now.Before(b.ExpiresAt))
}

// TenantPlaybook is a tenant's override of a playbook, kept as YAML.
type TenantPlaybook struct {
	TenantID  string
	Name      string
	YAML      string
	UpdatedBy string
	UpdatedAt time.Time
}

// ActionItem is a lesson learned turned into work for later.
type ActionItem struct {
	ID        string
	TenantID  string
	CaseID    string
	Title     string
	Done      bool
	CreatedAt time.Time
}

// CaseStore keeps incident cases and everything hanging off them. Every
// method is scoped by tenant; reports and their messages are visible to
// the sender and the recipient tenant.
type CaseStore interface {
	CreateCase(ctx context.Context, c *Case) error // sets ID, CreatedAt, UpdatedAt
	GetCase(ctx context.Context, tenantID, id string) (*Case, error)
	ListCases(ctx context.Context, tenantID string, f CaseFilter) ([]Case, error)
	UpdateCase(ctx context.Context, c *Case) error // every mutable field; bumps UpdatedAt

	// LinkCaseAlerts links alert ids to a case (idempotent).
	LinkCaseAlerts(ctx context.Context, tenantID, caseID string, alertIDs []string) error
	ListCaseAlerts(ctx context.Context, tenantID, caseID string) ([]string, error)
	ListAlertCases(ctx context.Context, tenantID, alertID string) ([]string, error)

	// AddObservable stores o; the same type and value twice in one case is
	// ErrConflict.
	AddObservable(ctx context.Context, o *Observable) error
	ListObservables(ctx context.Context, tenantID, caseID string) ([]Observable, error)
	DeleteObservable(ctx context.Context, tenantID, caseID, id string) error

	AddTask(ctx context.Context, t *CaseTask) error
	ListTasks(ctx context.Context, tenantID, caseID string) ([]CaseTask, error)
	SetTaskDone(ctx context.Context, tenantID, caseID, id string, done bool, at time.Time) error

	AddComment(ctx context.Context, c *CaseComment) error
	ListComments(ctx context.Context, tenantID, caseID string) ([]CaseComment, error)

	AddTimeline(ctx context.Context, e *TimelineEntry) error
	ListTimeline(ctx context.Context, tenantID, caseID string) ([]TimelineEntry, error) // oldest first

	AddEvidence(ctx context.Context, e *Evidence) error
	GetEvidence(ctx context.Context, tenantID, id string) (*Evidence, error)
	ListEvidence(ctx context.Context, tenantID, caseID string) ([]Evidence, error)
	AddCustody(ctx context.Context, c *CustodyRecord) error
	ListCustody(ctx context.Context, tenantID, evidenceID string) ([]CustodyRecord, error)

	// AddClock stores a clock; the same regime and stage twice in one case
	// is ErrConflict.
	AddClock(ctx context.Context, c *CaseClock) error
	ListClocks(ctx context.Context, tenantID, caseID string) ([]CaseClock, error)
	// UpdateClock saves MetAt, NotifiedTo, ReportID, Waived, DeadlineAt,
	// StartAt and RemindedAt.
	UpdateClock(ctx context.Context, c *CaseClock) error
	// ListClocksDue lists, across tenants, the pending clocks not yet
	// reminded whose deadline is before the given time (for reminders).
	ListClocksDue(ctx context.Context, before time.Time) ([]CaseClock, error)
	// CountBreachedClocks counts the tenant's clocks breached at now.
	CountBreachedClocks(ctx context.Context, tenantID string, now time.Time) (int, error)

	CreateReport(ctx context.Context, r *CaseReport) error
	// GetReport returns a report sent or received by the tenant.
	GetReport(ctx context.Context, tenantID, id string) (*CaseReport, error)
	ListCaseReports(ctx context.Context, tenantID, caseID string) ([]CaseReport, error)
	// ListInbox lists reports received by the tenant, newest first,
	// without their STIX and PDF.
	ListInbox(ctx context.Context, recipientID string) ([]CaseReport, error)
	AcknowledgeReport(ctx context.Context, recipientID, id, by string, at time.Time) error
	// AddReportMessage stores a message by m.TenantID, which must be the
	// sender or the recipient of the report.
	AddReportMessage(ctx context.Context, m *ReportMessage) error
	ListReportMessages(ctx context.Context, tenantID, reportID string) ([]ReportMessage, error)

	CreateBlock(ctx context.Context, b *Block) error
	GetBlock(ctx context.Context, tenantID, id string) (*Block, error)
	// ListBlocks lists the tenant's blocks, newest first; only those
	// active at now when activeOnly.
	ListBlocks(ctx context.Context, tenantID string, activeOnly bool, now time.Time) ([]Block, error)
	EndBlock(ctx context.Context, tenantID, id, by string, at time.Time) error

	SetTenantPlaybook(ctx context.Context, p *TenantPlaybook) error
	GetTenantPlaybook(ctx context.Context, tenantID, name string) (*TenantPlaybook, error)
	ListTenantPlaybooks(ctx context.Context, tenantID string) ([]TenantPlaybook, error)
	DeleteTenantPlaybook(ctx context.Context, tenantID, name string) error

	// GetIncidentSettings returns the tenant's incident settings (a JSON
	// object, "{}" when never set).
	GetIncidentSettings(ctx context.Context, tenantID string) (string, error)
	SetIncidentSettings(ctx context.Context, tenantID, settings string) error

	AddActionItem(ctx context.Context, a *ActionItem) error
	ListActionItems(ctx context.Context, tenantID string) ([]ActionItem, error)
	SetActionItemDone(ctx context.Context, tenantID, id string, done bool) error
}
