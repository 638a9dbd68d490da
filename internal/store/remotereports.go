package store

import (
	"context"
	"time"
)

// Directions of a RemoteReport.
const (
	RemoteIn  = "in"  // received from a remote Vedetta
	RemoteOut = "out" // sent to a remote Vedetta
)

// RemoteReport is a report exchanged with a police centre on another
// Vedetta installation over HTTPS. For Direction RemoteIn, TenantID is the
// receiving tenant, Peer the sender's self-declared name and CaseID empty;
// for RemoteOut, TenantID and CaseID are the sender's and Peer is the
// remote centre's URL, RemoteID the id the remote gave the report.
type RemoteReport struct {
	ID             string
	TenantID       string
	Direction      string
	CaseID         string
	Peer           string
	RemoteID       string
	Stage          string
	Lang           string
	Title          string
	STIX           []byte // the bundle, JSON
	PDF            []byte // may be empty for RemoteIn
	PersonalData   bool
	SentBy         string
	SentAt         time.Time
	AcknowledgedAt time.Time
	AcknowledgedBy string
}

// RemoteReportStore keeps the reports exchanged with remote installations.
type RemoteReportStore interface {
	// CreateRemoteReport stores r, setting ID and SentAt when zero. A
	// RemoteOut report needs a case of the tenant.
	CreateRemoteReport(ctx context.Context, r *RemoteReport) error
	// GetRemoteReport returns one of the tenant's remote reports with its
	// bundle and PDF.
	GetRemoteReport(ctx context.Context, tenantID, id string) (*RemoteReport, error)
	// ListRemoteReports lists the tenant's reports of one direction,
	// newest first, without bundle and PDF; caseID, when set, narrows to
	// one case.
	ListRemoteReports(ctx context.Context, tenantID, direction, caseID string) ([]RemoteReport, error)
	// AcknowledgeRemoteReport records an acknowledgement; the first one is
	// kept and a repeat is not an error.
	AcknowledgeRemoteReport(ctx context.Context, tenantID, id, by string, at time.Time) error
	// AddRemoteReportMessage stores a question or answer on one of the
	// tenant's remote reports (ReportID), setting ID and, when zero,
	// CreatedAt. With RemoteID set (a message copied from the other
	// installation), a message already stored under that RemoteID is not
	// stored again and added is false.
	AddRemoteReportMessage(ctx context.Context, m *RemoteReportMessage) (added bool, err error)
	// ListRemoteReportMessages returns the messages of one of the
	// tenant's remote reports, oldest first.
	ListRemoteReportMessages(ctx context.Context, tenantID, reportID string) ([]RemoteReportMessage, error)
}

// RemoteReportMessage is a question or answer on a RemoteReport. RemoteID
// is the id the other installation gave it, for messages copied from
// there.
type RemoteReportMessage struct {
	ID         string
	TenantID   string
	ReportID   string
	RemoteID   string
	AuthorName string
	Body       string
	CreatedAt  time.Time
}
