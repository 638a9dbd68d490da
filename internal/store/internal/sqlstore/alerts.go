package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// maxEntities bounds each entity list of an alert when matches are merged.
const maxEntities = 50

const alertCols = `id, tenant_id, kind, rule_id, rule_title, indicator_id, indicator_value, indicator_source, tlp,
	severity, title, description, tags_json, entities_json, dedup_key, count, first_seen, last_seen, events_json,
	status, assignee, created_at, updated_at`

func scanAlert(sc scanner) (store.Alert, error) {
	var a store.Alert
	var tags, ents, evs string
	var first, last, created, updated int64
	err := sc.Scan(&a.ID, &a.TenantID, &a.Kind, &a.RuleID, &a.RuleTitle, &a.IndicatorID, &a.IndicatorValue,
		&a.IndicatorSource, &a.TLP, &a.Severity, &a.Title, &a.Description, &tags, &ents, &a.DedupKey, &a.Count,
		&first, &last, &evs, &a.Status, &a.Assignee, &created, &updated)
	if err != nil {
		return a, err
	}
	_ = json.Unmarshal([]byte(tags), &a.Tags)
	_ = json.Unmarshal([]byte(ents), &a.Entities)
	_ = json.Unmarshal([]byte(evs), &a.EventIDs)
	a.FirstSeen, a.LastSeen, a.CreatedAt, a.UpdatedAt = fromMS(first), fromMS(last), fromMS(created), fromMS(updated)
	return a, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// alertSearch is the lower-cased text the Text filter searches.
func alertSearch(a *store.Alert) string {
	parts := []string{a.Title, a.Description, a.RuleTitle, a.RuleID, a.IndicatorValue}
	e := a.Entities
	for _, l := range [][]string{e.Hosts, e.Users, e.IPs, e.Assets, e.Sites} {
		parts = append(parts, l...)
	}
	return strings.ToLower(strings.Join(parts, "\n"))
}

func (s *Store) checkAlert(op string, a *store.Alert) error {
	switch {
	case a.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case !a.Kind.Valid():
		return s.invalid(op, "unknown kind %q", a.Kind)
	case !a.Severity.Valid():
		return s.invalid(op, "unknown severity %q", a.Severity)
	case strings.TrimSpace(a.Title) == "":
		return s.invalid(op, "empty title")
	case a.DedupKey == "":
		return s.invalid(op, "empty dedup key")
	case a.Count < 0:
		return s.invalid(op, "negative count")
	case a.LastSeen.IsZero():
		return s.invalid(op, "zero last seen")
	case a.Status != "" && !a.Status.Valid():
		return s.invalid(op, "unknown status %q", a.Status)
	}
	for _, t := range append([]string{a.RuleID, a.RuleTitle, a.IndicatorID, a.IndicatorValue, a.IndicatorSource,
		a.TLP, a.Title, a.Description, a.DedupKey, a.Assignee}, a.EventIDs...) {
		if badText(t) {
			return s.invalid(op, "text that is not UTF-8 or holds NUL")
		}
	}
	return nil
}

// mergeList adds the values of add missing from l, up to max entries.
func mergeList(l, add []string, max int) []string {
	for _, v := range add {
		if len(l) >= max {
			break
		}
		if v != "" && !slices.Contains(l, v) {
			l = append(l, v)
		}
	}
	return l
}

func mergeEntities(e, add store.Entities) store.Entities {
	e.Hosts = mergeList(e.Hosts, add.Hosts, maxEntities)
	e.Users = mergeList(e.Users, add.Users, maxEntities)
	e.IPs = mergeList(e.IPs, add.IPs, maxEntities)
	e.Assets = mergeList(e.Assets, add.Assets, maxEntities)
	e.Sites = mergeList(e.Sites, add.Sites, maxEntities)
	return e
}

// addAlertEvents records the event ids for the alert and returns the ids
// not recorded before, in order.
func addAlertEvents(ctx context.Context, tx *sql.Tx, alertID string, ids []string) ([]string, error) {
	var fresh []string
	for _, id := range ids {
		if id == "" || slices.Contains(fresh, id) {
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_events (alert_id, event_id) VALUES ($1, $2)
			ON CONFLICT (alert_id, event_id) DO NOTHING`, alertID, id)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			fresh = append(fresh, id)
		}
	}
	return fresh, nil
}

// UpsertAlert groups a match into the tenant's open alert with the same
// dedup key seen within window, or creates an alert. See store.AlertStore.
// Grouping runs in one write transaction; on PostgreSQL two concurrent
// upserts of a new key may each create an alert (the detection consumer
// is single, so this does not happen in practice).
func (s *Store) UpsertAlert(ctx context.Context, a *store.Alert, window time.Duration) (created, changed bool, err error) {
	const op = "upsert alert"
	if err := s.checkAlert(op, a); err != nil {
		return false, false, err
	}
	if a.FirstSeen.IsZero() || a.FirstSeen.After(a.LastSeen) {
		a.FirstSeen = a.LastSeen
	}
	inc := a.Count
	if inc == 0 {
		inc = 1
	}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		cur, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertCols+` FROM alerts
			WHERE tenant_id = $1 AND dedup_key = $2 AND last_seen >= $3 AND status <> $4 AND status <> $5
			ORDER BY last_seen DESC, id DESC LIMIT 1`,
			a.TenantID, a.DedupKey, toMS(a.LastSeen.Add(-window)), string(store.StatusResolved), string(store.StatusFalsePositive)))
		now := s.nowMS()
		switch {
		case err == nil:
			fresh, err := addAlertEvents(ctx, tx, cur.ID, a.EventIDs)
			if err != nil {
				return s.fail(op, err)
			}
			if len(a.EventIDs) > 0 {
				if len(fresh) == 0 {
					*a = cur
					return nil
				}
				inc = int64(len(fresh))
				if a.Count > inc {
					inc = a.Count // a correlation match stands for more events than it names
				}
			}
			cur.Count += inc
			if a.LastSeen.After(cur.LastSeen) {
				cur.LastSeen = ms(a.LastSeen)
			}
			if a.FirstSeen.Before(cur.FirstSeen) {
				cur.FirstSeen = ms(a.FirstSeen)
			}
			cur.EventIDs = mergeList(cur.EventIDs, fresh, store.MaxAlertEvents)
			cur.Entities = mergeEntities(cur.Entities, a.Entities)
			cur.UpdatedAt = now
			_, err = tx.ExecContext(ctx, `UPDATE alerts SET count = $3, first_seen = $4, last_seen = $5,
				events_json = $6, entities_json = $7, search = $8, updated_at = $9 WHERE id = $1 AND tenant_id = $2`,
				cur.ID, cur.TenantID, cur.Count, toMS(cur.FirstSeen), toMS(cur.LastSeen), jsonText(nonNil(cur.EventIDs)),
				jsonText(cur.Entities), alertSearch(&cur), toMS(now))
			if err != nil {
				return s.fail(op, err)
			}
			*a, changed = cur, true
			return nil
		case err != sql.ErrNoRows:
			return s.fail(op, err)
		}
		id, err := s.newID(op)
		if err != nil {
			return err
		}
		n := *a
		n.ID, n.Count, n.Assignee, n.CreatedAt, n.UpdatedAt = id, inc, "", now, now
		if n.Status == "" {
			n.Status = store.StatusNew
		}
		n.FirstSeen, n.LastSeen = ms(a.FirstSeen), ms(a.LastSeen)
		n.Entities = mergeEntities(store.Entities{}, a.Entities)
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (`+alertCols+`, severity_rank, search) VALUES
			($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
			n.ID, n.TenantID, string(n.Kind), n.RuleID, n.RuleTitle, n.IndicatorID, n.IndicatorValue, n.IndicatorSource, n.TLP,
			string(n.Severity), n.Title, n.Description, jsonText(nonNil(n.Tags)), jsonText(n.Entities), n.DedupKey, n.Count,
			toMS(n.FirstSeen), toMS(n.LastSeen), "[]", string(n.Status), n.Assignee, toMS(now), toMS(now),
			n.Severity.Rank(), alertSearch(&n)); err != nil {
			return s.fail(op, err)
		}
		fresh, err := addAlertEvents(ctx, tx, n.ID, a.EventIDs)
		if err != nil {
			return s.fail(op, err)
		}
		n.EventIDs = mergeList(nil, fresh, store.MaxAlertEvents)
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET events_json = $2 WHERE id = $1`, n.ID, jsonText(nonNil(n.EventIDs))); err != nil {
			return s.fail(op, err)
		}
		*a, created, changed = n, true, true
		return nil
	})
	return created, changed, err
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// ms truncates t to the millisecond precision the database keeps, in UTC.
func ms(t time.Time) time.Time { return fromMS(toMS(t)) }

// GetAlert returns the tenant's alert with that id.
func (s *Store) GetAlert(ctx context.Context, tenantID, id string) (*store.Alert, error) {
	a, err := scanAlert(s.r.QueryRowContext(ctx, `SELECT `+alertCols+` FROM alerts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return nil, s.fail("get alert", err)
	}
	return &a, nil
}

// likePattern escapes text for LIKE ... ESCAPE '\' and wraps it in %.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(text)) + "%"
}

// alertWhere builds the WHERE clause of f (without paging) and its args.
func alertWhere(tenantID string, f store.AlertFilter) (string, []any) {
	var b strings.Builder
	args := []any{tenantID}
	b.WriteString("tenant_id = $1")
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Statuses) > 0 {
		b.WriteString(" AND status IN (")
		for i, st := range f.Statuses {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(arg(string(st)))
		}
		b.WriteString(")")
	}
	if f.MinSeverity != "" {
		b.WriteString(" AND severity_rank >= " + arg(f.MinSeverity.Rank()))
	}
	if f.Kind != "" {
		b.WriteString(" AND kind = " + arg(string(f.Kind)))
	}
	if f.RuleID != "" {
		b.WriteString(" AND rule_id = " + arg(f.RuleID))
	}
	if !f.Since.IsZero() {
		b.WriteString(" AND last_seen >= " + arg(toMS(f.Since)))
	}
	if !f.Until.IsZero() {
		b.WriteString(" AND first_seen < " + arg(toMS(f.Until)))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		b.WriteString(" AND search LIKE " + arg(likePattern(t)) + ` ESCAPE '\'`)
	}
	return b.String(), args
}

func (s *Store) checkAlertFilter(op string, f store.AlertFilter) error {
	for _, st := range f.Statuses {
		if !st.Valid() {
			return s.invalid(op, "unknown status %q", st)
		}
	}
	switch {
	case f.MinSeverity != "" && !f.MinSeverity.Valid():
		return s.invalid(op, "unknown severity %q", f.MinSeverity)
	case f.Kind != "" && !f.Kind.Valid():
		return s.invalid(op, "unknown kind %q", f.Kind)
	}
	return nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

// ListAlerts returns the tenant's alerts selected by f, newest first.
func (s *Store) ListAlerts(ctx context.Context, tenantID string, f store.AlertFilter) ([]store.Alert, error) {
	const op = "list alerts"
	if err := s.checkAlertFilter(op, f); err != nil {
		return nil, err
	}
	where, args := alertWhere(tenantID, f)
	if f.Before != "" {
		args = append(args, f.Before)
		where += " AND id < $" + strconv.Itoa(len(args))
	}
	args = append(args, clampLimit(f.Limit))
	return collect(ctx, s, op, `SELECT `+alertCols+` FROM alerts WHERE `+where+
		` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), scanAlert, args...)
}

// CountAlerts counts the alerts f selects by severity and status.
func (s *Store) CountAlerts(ctx context.Context, tenantID string, f store.AlertFilter) (store.AlertCounts, error) {
	const op = "count alerts"
	c := store.AlertCounts{BySeverity: map[store.Severity]int{}, ByStatus: map[store.AlertStatus]int{}}
	if err := s.checkAlertFilter(op, f); err != nil {
		return c, err
	}
	where, args := alertWhere(tenantID, f)
	type row struct {
		sev store.Severity
		st  store.AlertStatus
		n   int
	}
	rows, err := collect(ctx, s, op, `SELECT severity, status, COUNT(*) FROM alerts WHERE `+where+
		` GROUP BY severity, status`, func(sc scanner) (row, error) {
		var r row
		err := sc.Scan(&r.sev, &r.st, &r.n)
		return r, err
	}, args...)
	if err != nil {
		return c, err
	}
	for _, r := range rows {
		c.Total += r.n
		c.BySeverity[r.sev] += r.n
		c.ByStatus[r.st] += r.n
	}
	return c, nil
}

// UpdateAlertStatus sets the status of the tenant's alert.
func (s *Store) UpdateAlertStatus(ctx context.Context, tenantID, id string, status store.AlertStatus) error {
	const op = "update alert status"
	if !status.Valid() {
		return s.invalid(op, "unknown status %q", status)
	}
	return s.execOne(ctx, op, `UPDATE alerts SET status = $3, updated_at = $4 WHERE id = $1 AND tenant_id = $2`,
		id, tenantID, string(status), toMS(s.nowMS()))
}

// AssignAlert sets the assignee of the tenant's alert.
func (s *Store) AssignAlert(ctx context.Context, tenantID, id, assignee string) error {
	const op = "assign alert"
	if badText(assignee) {
		return s.invalid(op, "bad assignee")
	}
	return s.execOne(ctx, op, `UPDATE alerts SET assignee = $3, updated_at = $4 WHERE id = $1 AND tenant_id = $2`,
		id, tenantID, assignee, toMS(s.nowMS()))
}

// AddAlertComment stores a comment on the tenant's alert; an alert of
// another tenant is ErrNotFound.
func (s *Store) AddAlertComment(ctx context.Context, c *store.AlertComment) error {
	const op = "add alert comment"
	switch {
	case c.TenantID == "" || c.AlertID == "":
		return s.invalid(op, "empty tenant or alert id")
	case strings.TrimSpace(c.Text) == "":
		return s.invalid(op, "empty text")
	case badText(c.Text) || badText(c.Author):
		return s.invalid(op, "text that is not UTF-8 or holds NUL")
	}
	id, err := s.newID(op)
	if err != nil {
		return err
	}
	now := s.nowMS()
	res, err := s.w.ExecContext(ctx, `INSERT INTO alert_comments (id, tenant_id, alert_id, author, body, created_at)
		SELECT CAST($1 AS TEXT), tenant_id, id, CAST($4 AS TEXT), CAST($5 AS TEXT), CAST($6 AS BIGINT) FROM alerts WHERE id = $2 AND tenant_id = $3`,
		id, c.AlertID, c.TenantID, c.Author, c.Text, toMS(now))
	if err != nil {
		return s.fail(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(op, err)
	} else if n == 0 {
		return s.notFound(op)
	}
	c.ID, c.CreatedAt = id, now
	return nil
}

// ListAlertComments returns the comments of the tenant's alert, oldest
// first.
func (s *Store) ListAlertComments(ctx context.Context, tenantID, alertID string) ([]store.AlertComment, error) {
	return collect(ctx, s, "list alert comments", `SELECT id, tenant_id, alert_id, author, body, created_at
		FROM alert_comments WHERE tenant_id = $1 AND alert_id = $2 ORDER BY created_at, id`,
		func(sc scanner) (store.AlertComment, error) {
			var c store.AlertComment
			var created int64
			err := sc.Scan(&c.ID, &c.TenantID, &c.AlertID, &c.Author, &c.Text, &created)
			c.CreatedAt = fromMS(created)
			return c, err
		}, tenantID, alertID)
}

const suppressionCols = `id, tenant_id, rule_id, field, value, reason, author, created_at, expires_at, hits, last_hit`

func scanSuppression(sc scanner) (store.Suppression, error) {
	var x store.Suppression
	var created, expires, last int64
	err := sc.Scan(&x.ID, &x.TenantID, &x.RuleID, &x.Field, &x.Value, &x.Reason, &x.Author, &created, &expires,
		&x.Hits, &last)
	x.CreatedAt, x.ExpiresAt, x.LastHit = fromMS(created), fromMS(expires), fromMS(last)
	return x, err
}

func (s *Store) checkSuppression(op string, x *store.Suppression) error {
	switch {
	case x.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case x.RuleID == "" && x.Field == "":
		return s.invalid(op, "neither rule nor field")
	case x.Field == "" && x.Value != "":
		return s.invalid(op, "value without field")
	case strings.TrimSpace(x.Reason) == "":
		return s.invalid(op, "empty reason")
	case badText(x.RuleID) || badText(x.Field) || badText(x.Value) || badText(x.Reason) || badText(x.Author):
		return s.invalid(op, "text that is not UTF-8 or holds NUL")
	}
	return nil
}

// CreateSuppression stores a suppression rule.
func (s *Store) CreateSuppression(ctx context.Context, x *store.Suppression) error {
	const op = "create suppression"
	if err := s.checkSuppression(op, x); err != nil {
		return err
	}
	id, err := s.newID(op)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO suppressions (`+suppressionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0)`,
		id, x.TenantID, x.RuleID, x.Field, x.Value, x.Reason, x.Author, toMS(now), toMS(x.ExpiresAt)); err != nil {
		return s.fail(op, err)
	}
	x.ID, x.CreatedAt, x.ExpiresAt, x.Hits, x.LastHit = id, now, ms(x.ExpiresAt), 0, time.Time{}
	return nil
}

// GetSuppression returns the tenant's suppression with that id.
func (s *Store) GetSuppression(ctx context.Context, tenantID, id string) (*store.Suppression, error) {
	x, err := scanSuppression(s.r.QueryRowContext(ctx, `SELECT `+suppressionCols+` FROM suppressions
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return nil, s.fail("get suppression", err)
	}
	return &x, nil
}

// ListSuppressions returns the tenant's suppressions, newest first.
func (s *Store) ListSuppressions(ctx context.Context, tenantID string) ([]store.Suppression, error) {
	return collect(ctx, s, "list suppressions", `SELECT `+suppressionCols+` FROM suppressions
		WHERE tenant_id = $1 ORDER BY id DESC`, scanSuppression, tenantID)
}

// UpdateSuppression writes the rule, field, value, reason and expiry.
func (s *Store) UpdateSuppression(ctx context.Context, x *store.Suppression) error {
	const op = "update suppression"
	if err := s.checkSuppression(op, x); err != nil {
		return err
	}
	return s.execOne(ctx, op, `UPDATE suppressions SET rule_id = $3, field = $4, value = $5, reason = $6,
		expires_at = $7 WHERE id = $1 AND tenant_id = $2`,
		x.ID, x.TenantID, x.RuleID, x.Field, x.Value, x.Reason, toMS(x.ExpiresAt))
}

// DeleteSuppression deletes the tenant's suppression.
func (s *Store) DeleteSuppression(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete suppression", `DELETE FROM suppressions WHERE id = $1 AND tenant_id = $2`, id, tenantID)
}

// RecordSuppressionHits counts suppressed matches.
func (s *Store) RecordSuppressionHits(ctx context.Context, tenantID, id string, n int64, at time.Time) error {
	const op = "record suppression hits"
	if n < 0 {
		return s.invalid(op, "negative count")
	}
	return s.execOne(ctx, op, `UPDATE suppressions SET hits = hits + $3,
		last_hit = CASE WHEN last_hit > CAST($4 AS BIGINT) THEN last_hit ELSE CAST($4 AS BIGINT) END WHERE id = $1 AND tenant_id = $2`,
		id, tenantID, n, s.stamp(at))
}
