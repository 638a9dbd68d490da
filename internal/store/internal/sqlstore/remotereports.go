package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const remoteMeta = `id, tenant_id, direction, case_id, peer, remote_id, stage, lang, title, personal_data, sent_by, sent_at,
	acknowledged_at, acknowledged_by`

func scanRemoteMeta(sc scanner) (store.RemoteReport, error) {
	var r store.RemoteReport
	var sent, ack int64
	err := sc.Scan(&r.ID, &r.TenantID, &r.Direction, &r.CaseID, &r.Peer, &r.RemoteID, &r.Stage, &r.Lang, &r.Title,
		&r.PersonalData, &r.SentBy, &sent, &ack, &r.AcknowledgedBy)
	r.SentAt, r.AcknowledgedAt = fromMS(sent), fromMS(ack)
	return r, err
}

// CreateRemoteReport stores a report exchanged with a remote installation.
func (s *Store) CreateRemoteReport(ctx context.Context, r *store.RemoteReport) error {
	const op = "create remote report"
	switch {
	case r.Direction != store.RemoteIn && r.Direction != store.RemoteOut:
		return s.invalid(op, "direction must be in or out")
	case strings.TrimSpace(r.Peer) == "" || !caseText(r.Peer, 500) || !caseText(r.RemoteID, 100):
		return s.invalid(op, "peer must be 1-500 characters")
	case r.Stage == "" || !caseText(r.Stage, 40) || !caseText(r.Lang, 10) || !caseText(r.SentBy, 200):
		return s.invalid(op, "stage required")
	case strings.TrimSpace(r.Title) == "" || !caseText(r.Title, 500):
		return s.invalid(op, "title must be 1-500 characters")
	case !json.Valid(r.STIX):
		return s.invalid(op, "bundle must be JSON")
	case r.Direction == store.RemoteIn && r.CaseID != "":
		return s.invalid(op, "a received report has no local case")
	}
	if r.Direction == store.RemoteOut {
		if err := s.caseExists(ctx, op, r.TenantID, r.CaseID); err != nil {
			return err
		}
	}
	id, err := s.caseIDOr(op, r.ID)
	if err != nil {
		return err
	}
	sent := s.stamp(r.SentAt)
	pdf := r.PDF
	if pdf == nil {
		pdf = []byte{}
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO remote_reports (id, tenant_id, direction, case_id, peer, remote_id, stage, lang,
		title, stix, pdf, personal_data, sent_by, sent_at, acknowledged_at, acknowledged_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, '')`,
		id, r.TenantID, r.Direction, r.CaseID, r.Peer, r.RemoteID, r.Stage, r.Lang, r.Title, r.STIX, pdf, r.PersonalData,
		r.SentBy, sent); err != nil {
		return s.fail(op, err)
	}
	r.ID, r.SentAt, r.AcknowledgedAt, r.AcknowledgedBy = id, fromMS(sent), time.Time{}, ""
	return nil
}

// GetRemoteReport returns one of the tenant's remote reports.
func (s *Store) GetRemoteReport(ctx context.Context, tenantID, id string) (*store.RemoteReport, error) {
	var r store.RemoteReport
	var sent, ack int64
	err := s.r.QueryRowContext(ctx, `SELECT `+remoteMeta+`, stix, pdf FROM remote_reports WHERE id = $1 AND tenant_id = $2`,
		id, tenantID).Scan(&r.ID, &r.TenantID, &r.Direction, &r.CaseID, &r.Peer, &r.RemoteID, &r.Stage, &r.Lang, &r.Title,
		&r.PersonalData, &r.SentBy, &sent, &ack, &r.AcknowledgedBy, &r.STIX, &r.PDF)
	if err != nil {
		return nil, s.fail("get remote report", err)
	}
	r.SentAt, r.AcknowledgedAt = fromMS(sent), fromMS(ack)
	return &r, nil
}

// ListRemoteReports lists the tenant's remote reports of one direction.
func (s *Store) ListRemoteReports(ctx context.Context, tenantID, direction, caseID string) ([]store.RemoteReport, error) {
	return collect(ctx, s, "list remote reports", `SELECT `+remoteMeta+` FROM remote_reports
		WHERE tenant_id = $1 AND direction = $2 AND ($3 = '' OR case_id = $3)
		ORDER BY sent_at DESC, id DESC LIMIT 1000`, scanRemoteMeta, tenantID, direction, caseID)
}

// AcknowledgeRemoteReport records the first acknowledgement.
func (s *Store) AcknowledgeRemoteReport(ctx context.Context, tenantID, id, by string, at time.Time) error {
	const op = "acknowledge remote report"
	if strings.TrimSpace(by) == "" || !caseText(by, 200) {
		return s.invalid(op, "bad name")
	}
	if err := s.execOne(ctx, op, `UPDATE remote_reports SET acknowledged_at = $3, acknowledged_by = $4
		WHERE id = $1 AND tenant_id = $2 AND acknowledged_at = 0`, id, tenantID, s.stamp(at), by); err != nil {
		var n int
		if qerr := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM remote_reports WHERE id = $1 AND tenant_id = $2`, id, tenantID).Scan(&n); qerr == nil && n == 1 {
			return nil
		}
		return err
	}
	return nil
}

// AddRemoteReportMessage stores a message on one of the tenant's remote
// reports; a RemoteID already stored for the report is skipped.
func (s *Store) AddRemoteReportMessage(ctx context.Context, m *store.RemoteReportMessage) (bool, error) {
	const op = "add remote report message"
	switch {
	case strings.TrimSpace(m.AuthorName) == "" || !caseText(m.AuthorName, 300):
		return false, s.invalid(op, "author must be 1-300 characters")
	case strings.TrimSpace(m.Body) == "" || !caseText(m.Body, 20000):
		return false, s.invalid(op, "body must be 1-20000 characters")
	case !caseText(m.RemoteID, 100):
		return false, s.invalid(op, "bad remote id")
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM remote_reports WHERE id = $1 AND tenant_id = $2`,
		m.ReportID, m.TenantID).Scan(&n); err != nil {
		return false, s.fail(op, err)
	}
	if n == 0 {
		return false, s.notFound(op)
	}
	id, err := s.newID(op)
	if err != nil {
		return false, err
	}
	at := s.stamp(m.CreatedAt)
	res, err := s.w.ExecContext(ctx, `INSERT INTO remote_report_messages (id, tenant_id, report_id, remote_id, author_name, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		id, m.TenantID, m.ReportID, m.RemoteID, m.AuthorName, m.Body, at)
	if err != nil {
		return false, s.fail(op, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return false, nil
	}
	m.ID, m.CreatedAt = id, fromMS(at)
	return true, nil
}

// ListRemoteReportMessages returns the messages of one of the tenant's
// remote reports, oldest first.
func (s *Store) ListRemoteReportMessages(ctx context.Context, tenantID, reportID string) ([]store.RemoteReportMessage, error) {
	return collect(ctx, s, "list remote report messages", `SELECT id, tenant_id, report_id, remote_id, author_name, body, created_at
		FROM remote_report_messages WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at, id LIMIT 1000`,
		func(sc scanner) (store.RemoteReportMessage, error) {
			var m store.RemoteReportMessage
			var at int64
			err := sc.Scan(&m.ID, &m.TenantID, &m.ReportID, &m.RemoteID, &m.AuthorName, &m.Body, &at)
			m.CreatedAt = fromMS(at)
			return m, err
		}, tenantID, reportID)
}
