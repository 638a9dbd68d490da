package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// caseText reports whether v is valid UTF-8 without NUL, of at most max
// bytes.
func caseText(v string, max int) bool {
	return len(v) <= max && utf8.ValidString(v) && !strings.ContainsRune(v, 0)
}

// caseIDOr returns id when set (checked) or a fresh one.
func (s *Store) caseIDOr(op, id string) (string, error) {
	if id == "" {
		return s.newID(op)
	}
	if !caseText(id, 100) {
		return "", s.invalid(op, "bad id")
	}
	return id, nil
}

// caseExists fails with ErrNotFound unless the case is the tenant's.
func (s *Store) caseExists(ctx context.Context, op, tenantID, caseID string) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE id = $1 AND tenant_id = $2`, caseID, tenantID).Scan(&n); err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return s.notFound(op)
	}
	return nil
}

// ---- cases ----

const caseCols = `id, tenant_id, title, description, status, severity, category, owner_id, significant, public_admin,
	personal_data, playbook, tlp, awareness_at, acknowledged_at, contained_at, resolved_at, closed_at, resolution, lessons,
	created_by, created_at, updated_at`

func scanCase(sc scanner) (store.Case, error) {
	var c store.Case
	var aw, ack, cont, res, clo, cr, up int64
	err := sc.Scan(&c.ID, &c.TenantID, &c.Title, &c.Description, &c.Status, &c.Severity, &c.Category, &c.OwnerID,
		&c.Significant, &c.PublicAdmin, &c.PersonalData, &c.Playbook, &c.TLP, &aw, &ack, &cont, &res, &clo,
		&c.Resolution, &c.Lessons, &c.CreatedBy, &cr, &up)
	c.AwarenessAt, c.AcknowledgedAt, c.ContainedAt, c.ResolvedAt, c.ClosedAt = fromMS(aw), fromMS(ack), fromMS(cont), fromMS(res), fromMS(clo)
	c.CreatedAt, c.UpdatedAt = fromMS(cr), fromMS(up)
	return c, err
}

var tlpLevels = []string{"clear", "green", "amber", "amber+strict", "red"}

func (s *Store) checkCase(op string, c *store.Case) error {
	switch {
	case c.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case strings.TrimSpace(c.Title) == "" || !caseText(c.Title, 300):
		return s.invalid(op, "title must be 1-300 characters")
	case !caseText(c.Description, 20000):
		return s.invalid(op, "description too long")
	case !c.Status.Valid():
		return s.invalid(op, "unknown status %q", c.Status)
	case !slices.Contains(store.CaseSeverities, c.Severity):
		return s.invalid(op, "unknown severity %q", c.Severity)
	case !c.Category.Valid():
		return s.invalid(op, "unknown category %q", c.Category)
	case !slices.Contains(tlpLevels, c.TLP):
		return s.invalid(op, "unknown TLP %q", c.TLP)
	case !caseText(c.OwnerID, 100) || !caseText(c.Playbook, 100) || !caseText(c.CreatedBy, 100):
		return s.invalid(op, "bad reference")
	case !caseText(c.Resolution, 20000) || !caseText(c.Lessons, 20000):
		return s.invalid(op, "resolution or lessons too long")
	case c.Status == store.CaseClosed && (strings.TrimSpace(c.Resolution) == "" || strings.TrimSpace(c.Lessons) == ""):
		return s.invalid(op, "a closed case needs a resolution and lessons learned")
	}
	return nil
}

// CreateCase stores a case, setting ID, CreatedAt and UpdatedAt.
func (s *Store) CreateCase(ctx context.Context, c *store.Case) error {
	const op = "create case"
	if c.TLP == "" {
		c.TLP = "amber"
	}
	if err := s.checkCase(op, c); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, c.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	created := c.CreatedAt
	if created.IsZero() {
		created = now
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO cases (`+caseCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
		id, c.TenantID, c.Title, c.Description, string(c.Status), c.Severity, string(c.Category), c.OwnerID,
		c.Significant, c.PublicAdmin, c.PersonalData, c.Playbook, c.TLP, toMS(c.AwarenessAt), toMS(c.AcknowledgedAt),
		toMS(c.ContainedAt), toMS(c.ResolvedAt), toMS(c.ClosedAt), c.Resolution, c.Lessons, c.CreatedBy, toMS(created), toMS(now))
	if err != nil {
		return s.fail(op, err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, fromMS(toMS(created)), now
	return nil
}

// GetCase returns one of the tenant's cases.
func (s *Store) GetCase(ctx context.Context, tenantID, id string) (*store.Case, error) {
	c, err := scanCase(s.r.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, s.fail("get case", err)
	}
	return &c, nil
}

// ListCases lists the tenant's cases matching f, newest first.
func (s *Store) ListCases(ctx context.Context, tenantID string, f store.CaseFilter) ([]store.Case, error) {
	q := `SELECT ` + caseCols + ` FROM cases WHERE tenant_id = $1`
	args := []any{tenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args)))
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.Severity != "" {
		add("severity = ?", f.Severity)
	}
	if f.Category != "" {
		add("category = ?", string(f.Category))
	}
	if f.OwnerID != "" {
		add("owner_id = ?", f.OwnerID)
	}
	if f.Open {
		add("status <> ?", string(store.CaseClosed))
	}
	if f.Text != "" {
		if !caseText(f.Text, 200) {
			return nil, s.invalid("list cases", "bad text filter")
		}
		add("LOWER(title) LIKE ? ESCAPE '\\'", "%"+caseLikeEscape(strings.ToLower(f.Text))+"%")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 1000)
	q += ` ORDER BY created_at DESC, id DESC LIMIT ` + strconv.Itoa(limit)
	return collect(ctx, s, "list cases", q, scanCase, args...)
}

// UpdateCase saves every mutable field of a case.
func (s *Store) UpdateCase(ctx context.Context, c *store.Case) error {
	const op = "update case"
	if err := s.checkCase(op, c); err != nil {
		return err
	}
	now := s.nowMS()
	err := s.execOne(ctx, op, `UPDATE cases SET title = $3, description = $4, status = $5, severity = $6, category = $7,
		owner_id = $8, significant = $9, public_admin = $10, personal_data = $11, playbook = $12, tlp = $13,
		awareness_at = $14, acknowledged_at = $15, contained_at = $16, resolved_at = $17, closed_at = $18,
		resolution = $19, lessons = $20, updated_at = $21 WHERE id = $1 AND tenant_id = $2`,
		c.ID, c.TenantID, c.Title, c.Description, string(c.Status), c.Severity, string(c.Category), c.OwnerID,
		c.Significant, c.PublicAdmin, c.PersonalData, c.Playbook, c.TLP, toMS(c.AwarenessAt), toMS(c.AcknowledgedAt),
		toMS(c.ContainedAt), toMS(c.ResolvedAt), toMS(c.ClosedAt), c.Resolution, c.Lessons, toMS(now))
	if err != nil {
		return err
	}
	c.UpdatedAt = now
	return nil
}

// ---- alert links ----

// LinkCaseAlerts links alerts to a case; links already present are kept.
func (s *Store) LinkCaseAlerts(ctx context.Context, tenantID, caseID string, alertIDs []string) error {
	const op = "link case alerts"
	for _, a := range alertIDs {
		if a == "" || !caseText(a, 100) {
			return s.invalid(op, "bad alert id")
		}
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE id = $1 AND tenant_id = $2`, caseID, tenantID).Scan(&n); err != nil {
			return s.fail(op, err)
		}
		if n == 0 {
			return s.notFound(op)
		}
		for _, a := range alertIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_alerts (tenant_id, case_id, alert_id) VALUES ($1, $2, $3)
				ON CONFLICT (case_id, alert_id) DO NOTHING`, tenantID, caseID, a); err != nil {
				return s.fail(op, err)
			}
		}
		return nil
	})
}

func scanString(sc scanner) (string, error) {
	var v string
	err := sc.Scan(&v)
	return v, err
}

// ListCaseAlerts lists the alert ids linked to a case.
func (s *Store) ListCaseAlerts(ctx context.Context, tenantID, caseID string) ([]string, error) {
	return collect(ctx, s, "list case alerts", `SELECT alert_id FROM case_alerts WHERE tenant_id = $1 AND case_id = $2 ORDER BY alert_id`,
		scanString, tenantID, caseID)
}

// ListAlertCases lists the case ids an alert is linked to.
func (s *Store) ListAlertCases(ctx context.Context, tenantID, alertID string) ([]string, error) {
	return collect(ctx, s, "list alert cases", `SELECT case_id FROM case_alerts WHERE tenant_id = $1 AND alert_id = $2 ORDER BY case_id`,
		scanString, tenantID, alertID)
}

// ---- observables ----

const observableCols = `id, tenant_id, case_id, type, value, personal, note, event_ids, alert_ids, created_at`

func scanObservable(sc scanner) (store.Observable, error) {
	var o store.Observable
	var ev, al string
	var cr int64
	if err := sc.Scan(&o.ID, &o.TenantID, &o.CaseID, &o.Type, &o.Value, &o.Personal, &o.Note, &ev, &al, &cr); err != nil {
		return o, err
	}
	o.CreatedAt = fromMS(cr)
	if err := json.Unmarshal([]byte(ev), &o.EventIDs); err != nil {
		return o, err
	}
	return o, json.Unmarshal([]byte(al), &o.AlertIDs)
}

func idList(ids []string) (string, bool) {
	if len(ids) > 1000 {
		return "", false
	}
	for _, id := range ids {
		if id == "" || !caseText(id, 100) {
			return "", false
		}
	}
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids)
	return string(b), true
}

// AddObservable stores an observable of a case.
func (s *Store) AddObservable(ctx context.Context, o *store.Observable) error {
	const op = "add observable"
	ev, ok1 := idList(o.EventIDs)
	al, ok2 := idList(o.AlertIDs)
	switch {
	case !slices.Contains(store.ObservableTypes, o.Type):
		return s.invalid(op, "unknown observable type %q", o.Type)
	case strings.TrimSpace(o.Value) == "" || !caseText(o.Value, 2000):
		return s.invalid(op, "value must be 1-2000 characters")
	case !caseText(o.Note, 2000):
		return s.invalid(op, "note too long")
	case !ok1 || !ok2:
		return s.invalid(op, "bad event or alert ids")
	}
	if err := s.caseExists(ctx, op, o.TenantID, o.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, o.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO case_observables (`+observableCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, o.TenantID, o.CaseID, o.Type, o.Value, o.Personal, o.Note, ev, al, toMS(now)); err != nil {
		return s.fail(op, err)
	}
	o.ID, o.CreatedAt = id, now
	return nil
}

// ListObservables lists a case's observables in insertion order.
func (s *Store) ListObservables(ctx context.Context, tenantID, caseID string) ([]store.Observable, error) {
	return collect(ctx, s, "list observables", `SELECT `+observableCols+` FROM case_observables
		WHERE tenant_id = $1 AND case_id = $2 ORDER BY created_at, id`, scanObservable, tenantID, caseID)
}

// DeleteObservable removes an observable from a case.
func (s *Store) DeleteObservable(ctx context.Context, tenantID, caseID, id string) error {
	return s.execOne(ctx, "delete observable", `DELETE FROM case_observables WHERE id = $1 AND tenant_id = $2 AND case_id = $3`, id, tenantID, caseID)
}

// ---- tasks ----

const taskCols = `id, tenant_id, case_id, title, done, assignee_id, step, created_at, done_at`

func scanTask(sc scanner) (store.CaseTask, error) {
	var t store.CaseTask
	var cr, dn int64
	err := sc.Scan(&t.ID, &t.TenantID, &t.CaseID, &t.Title, &t.Done, &t.AssigneeID, &t.Step, &cr, &dn)
	t.CreatedAt, t.DoneAt = fromMS(cr), fromMS(dn)
	return t, err
}

// AddTask stores a task of a case.
func (s *Store) AddTask(ctx context.Context, t *store.CaseTask) error {
	const op = "add task"
	if strings.TrimSpace(t.Title) == "" || !caseText(t.Title, 1000) || !caseText(t.AssigneeID, 100) || !caseText(t.Step, 100) {
		return s.invalid(op, "title must be 1-1000 characters")
	}
	if err := s.caseExists(ctx, op, t.TenantID, t.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, t.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO case_tasks (`+taskCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, t.TenantID, t.CaseID, t.Title, t.Done, t.AssigneeID, t.Step, toMS(now), toMS(t.DoneAt)); err != nil {
		return s.fail(op, err)
	}
	t.ID, t.CreatedAt = id, now
	return nil
}

// ListTasks lists a case's tasks in insertion order.
func (s *Store) ListTasks(ctx context.Context, tenantID, caseID string) ([]store.CaseTask, error) {
	return collect(ctx, s, "list tasks", `SELECT `+taskCols+` FROM case_tasks WHERE tenant_id = $1 AND case_id = $2 ORDER BY created_at, id`,
		scanTask, tenantID, caseID)
}

// SetTaskDone marks a task done (at) or not done.
func (s *Store) SetTaskDone(ctx context.Context, tenantID, caseID, id string, done bool, at time.Time) error {
	if !done {
		at = time.Time{}
	}
	return s.execOne(ctx, "set task done", `UPDATE case_tasks SET done = $4, done_at = $5 WHERE id = $1 AND tenant_id = $2 AND case_id = $3`,
		id, tenantID, caseID, done, toMS(at))
}

// ---- comments ----

const commentCols = `id, tenant_id, case_id, author_id, author_name, body, created_at`

func scanComment(sc scanner) (store.CaseComment, error) {
	var c store.CaseComment
	var cr int64
	err := sc.Scan(&c.ID, &c.TenantID, &c.CaseID, &c.AuthorID, &c.AuthorName, &c.Body, &cr)
	c.CreatedAt = fromMS(cr)
	return c, err
}

// AddComment stores a comment on a case.
func (s *Store) AddComment(ctx context.Context, c *store.CaseComment) error {
	const op = "add comment"
	if strings.TrimSpace(c.Body) == "" || !caseText(c.Body, 20000) || !caseText(c.AuthorID, 100) || !caseText(c.AuthorName, 200) {
		return s.invalid(op, "body must be 1-20000 characters")
	}
	if err := s.caseExists(ctx, op, c.TenantID, c.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, c.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO case_comments (`+commentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, c.TenantID, c.CaseID, c.AuthorID, c.AuthorName, c.Body, toMS(now)); err != nil {
		return s.fail(op, err)
	}
	c.ID, c.CreatedAt = id, now
	return nil
}

// ListComments lists a case's comments, oldest first.
func (s *Store) ListComments(ctx context.Context, tenantID, caseID string) ([]store.CaseComment, error) {
	return collect(ctx, s, "list comments", `SELECT `+commentCols+` FROM case_comments WHERE tenant_id = $1 AND case_id = $2
		ORDER BY created_at, id`, scanComment, tenantID, caseID)
}

// ---- timeline ----

const timelineCols = `id, tenant_id, case_id, at, kind, actor_name, text, ref`

func scanTimeline(sc scanner) (store.TimelineEntry, error) {
	var e store.TimelineEntry
	var at int64
	err := sc.Scan(&e.ID, &e.TenantID, &e.CaseID, &at, &e.Kind, &e.ActorName, &e.Text, &e.Ref)
	e.At = fromMS(at)
	return e, err
}

// AddTimeline appends an entry to a case's timeline; At defaults to now.
func (s *Store) AddTimeline(ctx context.Context, e *store.TimelineEntry) error {
	const op = "add timeline"
	if e.Kind == "" || !caseText(e.Kind, 40) || !caseText(e.ActorName, 200) || !caseText(e.Text, 20000) || !caseText(e.Ref, 200) {
		return s.invalid(op, "bad entry")
	}
	if err := s.caseExists(ctx, op, e.TenantID, e.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, e.ID)
	if err != nil {
		return err
	}
	at := e.At
	if at.IsZero() {
		at = s.nowMS()
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO case_timeline (`+timelineCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, e.TenantID, e.CaseID, toMS(at), e.Kind, e.ActorName, e.Text, e.Ref); err != nil {
		return s.fail(op, err)
	}
	e.ID, e.At = id, fromMS(toMS(at))
	return nil
}

// ListTimeline lists a case's timeline, oldest first.
func (s *Store) ListTimeline(ctx context.Context, tenantID, caseID string) ([]store.TimelineEntry, error) {
	return collect(ctx, s, "list timeline", `SELECT `+timelineCols+` FROM case_timeline WHERE tenant_id = $1 AND case_id = $2
		ORDER BY at, id`, scanTimeline, tenantID, caseID)
}

// ---- evidence ----

const evidenceCols = `id, tenant_id, case_id, name, media_type, size, sha256, path, personal, uploaded_by, uploaded_at`

func scanEvidence(sc scanner) (store.Evidence, error) {
	var e store.Evidence
	var up int64
	err := sc.Scan(&e.ID, &e.TenantID, &e.CaseID, &e.Name, &e.MediaType, &e.Size, &e.SHA256, &e.Path, &e.Personal, &e.UploadedBy, &up)
	e.UploadedAt = fromMS(up)
	return e, err
}

// AddEvidence stores the metadata of an evidence file.
func (s *Store) AddEvidence(ctx context.Context, e *store.Evidence) error {
	const op = "add evidence"
	switch {
	case strings.TrimSpace(e.Name) == "" || !caseText(e.Name, 300):
		return s.invalid(op, "name must be 1-300 characters")
	case len(e.SHA256) != 64 || strings.Trim(e.SHA256, "0123456789abcdef") != "":
		return s.invalid(op, "sha256 must be 64 lower-case hex digits")
	case e.Path == "" || !caseText(e.Path, 500) || e.Size < 0:
		return s.invalid(op, "bad path or size")
	case !caseText(e.MediaType, 200) || !caseText(e.UploadedBy, 200):
		return s.invalid(op, "bad media type")
	}
	if err := s.caseExists(ctx, op, e.TenantID, e.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, e.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO case_evidence (`+evidenceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		id, e.TenantID, e.CaseID, e.Name, e.MediaType, e.Size, e.SHA256, e.Path, e.Personal, e.UploadedBy, toMS(now)); err != nil {
		return s.fail(op, err)
	}
	e.ID, e.UploadedAt = id, now
	return nil
}

// GetEvidence returns one of the tenant's evidence files.
func (s *Store) GetEvidence(ctx context.Context, tenantID, id string) (*store.Evidence, error) {
	e, err := scanEvidence(s.r.QueryRowContext(ctx, `SELECT `+evidenceCols+` FROM case_evidence WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, s.fail("get evidence", err)
	}
	return &e, nil
}

// ListEvidence lists a case's evidence files.
func (s *Store) ListEvidence(ctx context.Context, tenantID, caseID string) ([]store.Evidence, error) {
	return collect(ctx, s, "list evidence", `SELECT `+evidenceCols+` FROM case_evidence WHERE tenant_id = $1 AND case_id = $2
		ORDER BY uploaded_at, id`, scanEvidence, tenantID, caseID)
}

const custodyCols = `id, tenant_id, evidence_id, at, actor_id, actor_name, action, ip, detail`

func scanCustody(sc scanner) (store.CustodyRecord, error) {
	var c store.CustodyRecord
	var at int64
	err := sc.Scan(&c.ID, &c.TenantID, &c.EvidenceID, &at, &c.ActorID, &c.ActorName, &c.Action, &c.IP, &c.Detail)
	c.At = fromMS(at)
	return c, err
}

var custodyActions = []string{"upload", "download", "view", "verify"}

// AddCustody records an access to an evidence file.
func (s *Store) AddCustody(ctx context.Context, c *store.CustodyRecord) error {
	const op = "add custody"
	if !slices.Contains(custodyActions, c.Action) || !caseText(c.ActorID, 200) || !caseText(c.ActorName, 200) ||
		!caseText(c.IP, 100) || !caseText(c.Detail, 2000) {
		return s.invalid(op, "bad custody record")
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_evidence WHERE id = $1 AND tenant_id = $2`, c.EvidenceID, c.TenantID).Scan(&n); err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return s.notFound(op)
	}
	id, err := s.caseIDOr(op, c.ID)
	if err != nil {
		return err
	}
	at := c.At
	if at.IsZero() {
		at = s.nowMS()
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO evidence_custody (`+custodyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, c.TenantID, c.EvidenceID, toMS(at), c.ActorID, c.ActorName, c.Action, c.IP, c.Detail); err != nil {
		return s.fail(op, err)
	}
	c.ID, c.At = id, fromMS(toMS(at))
	return nil
}

// ListCustody lists the chain of custody of an evidence file, oldest first.
func (s *Store) ListCustody(ctx context.Context, tenantID, evidenceID string) ([]store.CustodyRecord, error) {
	return collect(ctx, s, "list custody", `SELECT `+custodyCols+` FROM evidence_custody WHERE tenant_id = $1 AND evidence_id = $2
		ORDER BY at, id`, scanCustody, tenantID, evidenceID)
}

// ---- clocks ----

const clockCols = `id, tenant_id, case_id, regime, stage, start_at, deadline_at, met_at, notified_to, report_id, waived, reminded_at`

func scanClock(sc scanner) (store.CaseClock, error) {
	var c store.CaseClock
	var st, dl, met, rem int64
	err := sc.Scan(&c.ID, &c.TenantID, &c.CaseID, &c.Regime, &c.Stage, &st, &dl, &met, &c.NotifiedTo, &c.ReportID, &c.Waived, &rem)
	c.StartAt, c.DeadlineAt, c.MetAt, c.RemindedAt = fromMS(st), fromMS(dl), fromMS(met), fromMS(rem)
	return c, err
}

func (s *Store) checkClock(op string, c *store.CaseClock) error {
	switch {
	case c.Regime == "" || !caseText(c.Regime, 40) || c.Stage == "" || !caseText(c.Stage, 40):
		return s.invalid(op, "regime and stage required")
	case c.StartAt.IsZero() || c.DeadlineAt.Before(c.StartAt):
		return s.invalid(op, "deadline before start")
	case !caseText(c.NotifiedTo, 500) || !caseText(c.ReportID, 100):
		return s.invalid(op, "bad notification")
	}
	return nil
}

// AddClock stores a legal clock of a case.
func (s *Store) AddClock(ctx context.Context, c *store.CaseClock) error {
	const op = "add clock"
	if err := s.checkClock(op, c); err != nil {
		return err
	}
	if err := s.caseExists(ctx, op, c.TenantID, c.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, c.ID)
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO case_clocks (`+clockCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		id, c.TenantID, c.CaseID, c.Regime, c.Stage, toMS(c.StartAt), toMS(c.DeadlineAt), toMS(c.MetAt), c.NotifiedTo,
		c.ReportID, c.Waived, toMS(c.RemindedAt)); err != nil {
		return s.fail(op, err)
	}
	c.ID = id
	return nil
}

// ListClocks lists a case's clocks by deadline.
func (s *Store) ListClocks(ctx context.Context, tenantID, caseID string) ([]store.CaseClock, error) {
	return collect(ctx, s, "list clocks", `SELECT `+clockCols+` FROM case_clocks WHERE tenant_id = $1 AND case_id = $2
		ORDER BY deadline_at, id`, scanClock, tenantID, caseID)
}

// UpdateClock saves the mutable fields of a clock.
func (s *Store) UpdateClock(ctx context.Context, c *store.CaseClock) error {
	const op = "update clock"
	if err := s.checkClock(op, c); err != nil {
		return err
	}
	return s.execOne(ctx, op, `UPDATE case_clocks SET start_at = $3, deadline_at = $4, met_at = $5, notified_to = $6,
		report_id = $7, waived = $8, reminded_at = $9 WHERE id = $1 AND tenant_id = $2`,
		c.ID, c.TenantID, toMS(c.StartAt), toMS(c.DeadlineAt), toMS(c.MetAt), c.NotifiedTo, c.ReportID, c.Waived, toMS(c.RemindedAt))
}

// ListClocksDue lists pending, unreminded clocks due before the given time,
// across tenants.
func (s *Store) ListClocksDue(ctx context.Context, before time.Time) ([]store.CaseClock, error) {
	return collect(ctx, s, "list clocks due", `SELECT `+clockCols+` FROM case_clocks
		WHERE met_at = 0 AND reminded_at = 0 AND waived = $1 AND deadline_at < $2 ORDER BY deadline_at, id LIMIT 1000`,
		scanClock, false, toMS(before))
}

// CountBreachedClocks counts the tenant's clocks breached at now: pending
// past the deadline, or met late.
func (s *Store) CountBreachedClocks(ctx context.Context, tenantID string, now time.Time) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_clocks WHERE tenant_id = $1 AND waived = $2
		AND ((met_at = 0 AND deadline_at < $3) OR met_at > deadline_at)`, tenantID, false, toMS(now)).Scan(&n)
	if err != nil {
		return 0, s.fail("count breached clocks", err)
	}
	return n, nil
}

// ---- reports ----

const reportMeta = `id, tenant_id, case_id, recipient_id, stage, lang, title, personal_data, sent_by, sent_at, acknowledged_at, acknowledged_by`

func scanReportMeta(sc scanner) (store.CaseReport, error) {
	var r store.CaseReport
	var sent, ack int64
	err := sc.Scan(&r.ID, &r.TenantID, &r.CaseID, &r.RecipientID, &r.Stage, &r.Lang, &r.Title, &r.PersonalData, &r.SentBy, &sent, &ack, &r.AcknowledgedBy)
	r.SentAt, r.AcknowledgedAt = fromMS(sent), fromMS(ack)
	return r, err
}

// CreateReport stores a report sent from a case.
func (s *Store) CreateReport(ctx context.Context, r *store.CaseReport) error {
	const op = "create report"
	switch {
	case r.RecipientID == "" || r.Stage == "" || !caseText(r.Stage, 40) || !caseText(r.Lang, 10):
		return s.invalid(op, "recipient and stage required")
	case strings.TrimSpace(r.Title) == "" || !caseText(r.Title, 500) || !caseText(r.SentBy, 200):
		return s.invalid(op, "title must be 1-500 characters")
	case !json.Valid(r.STIX) || len(r.PDF) == 0:
		return s.invalid(op, "bundle must be JSON and the PDF not empty")
	}
	if err := s.caseExists(ctx, op, r.TenantID, r.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, r.ID)
	if err != nil {
		return err
	}
	sent := r.SentAt
	if sent.IsZero() {
		sent = s.nowMS()
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO case_reports (id, tenant_id, case_id, recipient_id, stage, lang, title, stix, pdf,
		personal_data, sent_by, sent_at, acknowledged_at, acknowledged_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, '')`,
		id, r.TenantID, r.CaseID, r.RecipientID, r.Stage, r.Lang, r.Title, r.STIX, r.PDF, r.PersonalData, r.SentBy, toMS(sent)); err != nil {
		return s.fail(op, err)
	}
	r.ID, r.SentAt = id, fromMS(toMS(sent))
	return nil
}

// GetReport returns a report the tenant sent or received, with its bundle
// and PDF.
func (s *Store) GetReport(ctx context.Context, tenantID, id string) (*store.CaseReport, error) {
	var r store.CaseReport
	var sent, ack int64
	err := s.r.QueryRowContext(ctx, `SELECT `+reportMeta+`, stix, pdf FROM case_reports WHERE id = $1 AND (tenant_id = $2 OR recipient_id = $2)`,
		id, tenantID).Scan(&r.ID, &r.TenantID, &r.CaseID, &r.RecipientID, &r.Stage, &r.Lang, &r.Title, &r.PersonalData, &r.SentBy,
		&sent, &ack, &r.AcknowledgedBy, &r.STIX, &r.PDF)
	if err != nil {
		return nil, s.fail("get report", err)
	}
	r.SentAt, r.AcknowledgedAt = fromMS(sent), fromMS(ack)
	return &r, nil
}

// ListCaseReports lists the reports sent from one of the tenant's cases,
// without bundle and PDF.
func (s *Store) ListCaseReports(ctx context.Context, tenantID, caseID string) ([]store.CaseReport, error) {
	return collect(ctx, s, "list case reports", `SELECT `+reportMeta+` FROM case_reports WHERE tenant_id = $1 AND case_id = $2
		ORDER BY sent_at, id`, scanReportMeta, tenantID, caseID)
}

// ListInbox lists the reports received by the tenant, newest first.
func (s *Store) ListInbox(ctx context.Context, recipientID string) ([]store.CaseReport, error) {
	return collect(ctx, s, "list inbox", `SELECT `+reportMeta+` FROM case_reports WHERE recipient_id = $1
		ORDER BY sent_at DESC, id DESC LIMIT 1000`, scanReportMeta, recipientID)
}

// AcknowledgeReport records the recipient's acknowledgement (the first one
// is kept).
func (s *Store) AcknowledgeReport(ctx context.Context, recipientID, id, by string, at time.Time) error {
	const op = "acknowledge report"
	if !caseText(by, 200) {
		return s.invalid(op, "bad name")
	}
	if err := s.execOne(ctx, op, `UPDATE case_reports SET acknowledged_at = $3, acknowledged_by = $4
		WHERE id = $1 AND recipient_id = $2 AND acknowledged_at = 0`, id, recipientID, s.stamp(at), by); err != nil {
		// Already acknowledged is not an error.
		if _, gerr := s.inboxReport(ctx, recipientID, id); gerr == nil {
			return nil
		}
		return err
	}
	return nil
}

func (s *Store) inboxReport(ctx context.Context, recipientID, id string) (store.CaseReport, error) {
	return scanReportMeta(s.r.QueryRowContext(ctx, `SELECT `+reportMeta+` FROM case_reports WHERE id = $1 AND recipient_id = $2`, id, recipientID))
}

// AddReportMessage stores a question or answer on a report by its sender or
// recipient.
func (s *Store) AddReportMessage(ctx context.Context, m *store.ReportMessage) error {
	const op = "add report message"
	if strings.TrimSpace(m.Body) == "" || !caseText(m.Body, 20000) || !caseText(m.AuthorName, 200) {
		return s.invalid(op, "body must be 1-20000 characters")
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_reports WHERE id = $1 AND (tenant_id = $2 OR recipient_id = $2)`,
		m.ReportID, m.TenantID).Scan(&n); err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return s.notFound(op)
	}
	id, err := s.caseIDOr(op, m.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO report_messages (id, report_id, tenant_id, author_name, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, m.ReportID, m.TenantID, m.AuthorName, m.Body, toMS(now)); err != nil {
		return s.fail(op, err)
	}
	m.ID, m.CreatedAt = id, now
	return nil
}

// ListReportMessages lists the messages of a report the tenant sent or
// received, oldest first.
func (s *Store) ListReportMessages(ctx context.Context, tenantID, reportID string) ([]store.ReportMessage, error) {
	return collect(ctx, s, "list report messages", `SELECT m.id, m.report_id, m.tenant_id, m.author_name, m.body, m.created_at
		FROM report_messages m JOIN case_reports r ON r.id = m.report_id
		WHERE m.report_id = $1 AND (r.tenant_id = $2 OR r.recipient_id = $2) ORDER BY m.created_at, m.id`,
		func(sc scanner) (store.ReportMessage, error) {
			var m store.ReportMessage
			var cr int64
			err := sc.Scan(&m.ID, &m.ReportID, &m.TenantID, &m.AuthorName, &m.Body, &cr)
			m.CreatedAt = fromMS(cr)
			return m, err
		}, reportID, tenantID)
}

// ---- blocks ----

const blockCols = `id, tenant_id, case_id, kind, target, action, created_by, created_at, expires_at, ended_at, ended_by`

func scanBlock(sc scanner) (store.Block, error) {
	var b store.Block
	var cr, ex, en int64
	err := sc.Scan(&b.ID, &b.TenantID, &b.CaseID, &b.Kind, &b.Target, &b.Action, &b.CreatedBy, &cr, &ex, &en, &b.EndedBy)
	b.CreatedAt, b.ExpiresAt, b.EndedAt = fromMS(cr), fromMS(ex), fromMS(en)
	return b, err
}

// CreateBlock records a block made by an action.
func (s *Store) CreateBlock(ctx context.Context, b *store.Block) error {
	const op = "create block"
	if (b.Kind != "block_ip" && b.Kind != "disable_user") || strings.TrimSpace(b.Target) == "" || !caseText(b.Target, 500) ||
		!caseText(b.Action, 100) || !caseText(b.CreatedBy, 200) {
		return s.invalid(op, "bad block")
	}
	if err := s.caseExists(ctx, op, b.TenantID, b.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, b.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO case_blocks (`+blockCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, '')`,
		id, b.TenantID, b.CaseID, b.Kind, b.Target, b.Action, b.CreatedBy, toMS(now), toMS(b.ExpiresAt)); err != nil {
		return s.fail(op, err)
	}
	b.ID, b.CreatedAt = id, now
	return nil
}

// GetBlock returns one of the tenant's blocks.
func (s *Store) GetBlock(ctx context.Context, tenantID, id string) (*store.Block, error) {
	b, err := scanBlock(s.r.QueryRowContext(ctx, `SELECT `+blockCols+` FROM case_blocks WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, s.fail("get block", err)
	}
	return &b, nil
}

// ListBlocks lists the tenant's blocks, newest first.
func (s *Store) ListBlocks(ctx context.Context, tenantID string, activeOnly bool, now time.Time) ([]store.Block, error) {
	q := `SELECT ` + blockCols + ` FROM case_blocks WHERE tenant_id = $1`
	args := []any{tenantID}
	if activeOnly {
		q += ` AND ended_at = 0 AND (expires_at = 0 OR expires_at > $2)`
		args = append(args, toMS(now))
	}
	return collect(ctx, s, "list blocks", q+` ORDER BY created_at DESC, id DESC LIMIT 1000`, scanBlock, args...)
}

// EndBlock marks a block undone.
func (s *Store) EndBlock(ctx context.Context, tenantID, id, by string, at time.Time) error {
	if !caseText(by, 200) {
		return s.invalid("end block", "bad name")
	}
	return s.execOne(ctx, "end block", `UPDATE case_blocks SET ended_at = $3, ended_by = $4 WHERE id = $1 AND tenant_id = $2 AND ended_at = 0`,
		id, tenantID, s.stamp(at), by)
}

// ---- playbooks, settings, action items ----

// SetTenantPlaybook stores or replaces a tenant's playbook.
func (s *Store) SetTenantPlaybook(ctx context.Context, p *store.TenantPlaybook) error {
	const op = "set tenant playbook"
	if p.Name == "" || !caseText(p.Name, 100) || !caseText(p.YAML, 256<<10) || !caseText(p.UpdatedBy, 200) {
		return s.invalid(op, "bad playbook")
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO tenant_playbooks (tenant_id, name, yaml, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, name) DO UPDATE SET yaml = excluded.yaml, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		p.TenantID, p.Name, p.YAML, p.UpdatedBy, toMS(now)); err != nil {
		return s.fail(op, err)
	}
	p.UpdatedAt = now
	return nil
}

func scanPlaybook(sc scanner) (store.TenantPlaybook, error) {
	var p store.TenantPlaybook
	var up int64
	err := sc.Scan(&p.TenantID, &p.Name, &p.YAML, &p.UpdatedBy, &up)
	p.UpdatedAt = fromMS(up)
	return p, err
}

// GetTenantPlaybook returns a tenant's playbook override.
func (s *Store) GetTenantPlaybook(ctx context.Context, tenantID, name string) (*store.TenantPlaybook, error) {
	p, err := scanPlaybook(s.r.QueryRowContext(ctx, `SELECT tenant_id, name, yaml, updated_by, updated_at FROM tenant_playbooks
		WHERE tenant_id = $1 AND name = $2`, tenantID, name))
	if err != nil {
		return nil, s.fail("get tenant playbook", err)
	}
	return &p, nil
}

// ListTenantPlaybooks lists a tenant's playbook overrides by name.
func (s *Store) ListTenantPlaybooks(ctx context.Context, tenantID string) ([]store.TenantPlaybook, error) {
	return collect(ctx, s, "list tenant playbooks", `SELECT tenant_id, name, yaml, updated_by, updated_at FROM tenant_playbooks
		WHERE tenant_id = $1 ORDER BY name`, scanPlaybook, tenantID)
}

// DeleteTenantPlaybook removes a tenant's override.
func (s *Store) DeleteTenantPlaybook(ctx context.Context, tenantID, name string) error {
	return s.execOne(ctx, "delete tenant playbook", `DELETE FROM tenant_playbooks WHERE tenant_id = $1 AND name = $2`, tenantID, name)
}

// GetIncidentSettings returns the tenant's incident settings JSON.
func (s *Store) GetIncidentSettings(ctx context.Context, tenantID string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT settings FROM incident_settings WHERE tenant_id = $1`, tenantID).Scan(&v)
	if err == sql.ErrNoRows {
		return "{}", nil
	}
	if err != nil {
		return "", s.fail("get incident settings", err)
	}
	if v, err = s.box.Open(settingsPurpose(tenantID), v); err != nil {
		return "", fmt.Errorf("%s: get incident settings: %w", s.d.Name, err)
	}
	return v, nil
}

// settingsPurpose names a tenant's sealed incident settings (they hold
// webhook secrets, the SMTP password, the remote centre's token and the
// pseudonymisation key).
func settingsPurpose(tenantID string) string { return "incident_settings.settings|" + tenantID }

// SetIncidentSettings stores the tenant's incident settings (a JSON
// object).
func (s *Store) SetIncidentSettings(ctx context.Context, tenantID, settings string) error {
	const op = "set incident settings"
	v := strings.TrimSpace(settings)
	if !strings.HasPrefix(v, "{") || !json.Valid([]byte(v)) || !caseText(v, 64<<10) {
		return s.invalid(op, "settings must be a JSON object")
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO incident_settings (tenant_id, settings) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings`, tenantID, s.box.Seal(settingsPurpose(tenantID), v)); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// AddActionItem stores an action item drawn from a case.
func (s *Store) AddActionItem(ctx context.Context, a *store.ActionItem) error {
	const op = "add action item"
	if strings.TrimSpace(a.Title) == "" || !caseText(a.Title, 1000) {
		return s.invalid(op, "title must be 1-1000 characters")
	}
	if err := s.caseExists(ctx, op, a.TenantID, a.CaseID); err != nil {
		return err
	}
	id, err := s.caseIDOr(op, a.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO action_items (id, tenant_id, case_id, title, done, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, a.TenantID, a.CaseID, a.Title, a.Done, toMS(now)); err != nil {
		return s.fail(op, err)
	}
	a.ID, a.CreatedAt = id, now
	return nil
}

// ListActionItems lists the tenant's action items, oldest first.
func (s *Store) ListActionItems(ctx context.Context, tenantID string) ([]store.ActionItem, error) {
	return collect(ctx, s, "list action items", `SELECT id, tenant_id, case_id, title, done, created_at FROM action_items
		WHERE tenant_id = $1 ORDER BY created_at, id`, func(sc scanner) (store.ActionItem, error) {
		var a store.ActionItem
		var cr int64
		err := sc.Scan(&a.ID, &a.TenantID, &a.CaseID, &a.Title, &a.Done, &cr)
		a.CreatedAt = fromMS(cr)
		return a, err
	}, tenantID)
}

// SetActionItemDone marks an action item done or not.
func (s *Store) SetActionItemDone(ctx context.Context, tenantID, id string, done bool) error {
	return s.execOne(ctx, "set action item done", `UPDATE action_items SET done = $3 WHERE id = $1 AND tenant_id = $2`, id, tenantID, done)
}

func caseLikeEscape(v string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
}
