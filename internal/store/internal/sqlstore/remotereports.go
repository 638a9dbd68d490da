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
