package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const sourceCols = `id, tenant_id, name, kind, format, match, config, token_prefix, token_hash,
	keep_raw, expected_interval_ms, rate_limit, enabled, created_at, updated_at`

func scanSource(sc scanner) (store.Source, error) {
	var src store.Source
	var interval, created, updated int64
	err := sc.Scan(&src.ID, &src.TenantID, &src.Name, &src.Kind, &src.Format, &src.Match, &src.Config,
		&src.TokenPrefix, &src.TokenHash, &src.KeepRaw, &interval, &src.RateLimit, &src.Enabled, &created, &updated)
	src.ExpectedInterval = time.Duration(interval) * time.Millisecond
	src.CreatedAt, src.UpdatedAt = fromMS(created), fromMS(updated)
	return src, err
}

func (s *Store) checkSource(op string, src *store.Source) error {
	if strings.TrimSpace(src.Config) == "" {
		src.Config = "{}"
	}
	var obj map[string]any
	switch {
	case src.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case strings.TrimSpace(src.Name) == "":
		return s.invalid(op, "empty name")
	case !store.ValidSourceKind(src.Kind):
		return s.invalid(op, "unknown source kind %q", src.Kind)
	case src.ExpectedInterval < 0 || src.RateLimit < 0:
		return s.invalid(op, "negative interval or rate limit")
	case badText(src.Name) || badText(src.Format) || badText(src.Match) || badText(src.Config) ||
		badText(src.TokenPrefix) || badText(src.TokenHash):
		return s.invalid(op, "text that is not UTF-8 or holds NUL")
	case json.Unmarshal([]byte(src.Config), &obj) != nil || obj == nil:
		return s.invalid(op, "config is not a JSON object")
	}
	return nil
}

// CreateSource stores src, setting ID (UUIDv7), CreatedAt and UpdatedAt. A
// name the tenant already uses, or a token hash already stored, is
// ErrConflict; an unknown tenant ErrNotFound.
func (s *Store) CreateSource(ctx context.Context, src *store.Source) error {
	const op = "create source"
	if err := s.checkSource(op, src); err != nil {
		return err
	}
	id := src.ID
	if id == "" {
		var err error
		if id, err = s.newID(op); err != nil {
			return err
		}
	}
	now := s.nowMS()
	_, err := s.w.ExecContext(ctx, `INSERT INTO sources (`+sourceCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		id, src.TenantID, src.Name, src.Kind, src.Format, src.Match, src.Config, src.TokenPrefix, src.TokenHash,
		src.KeepRaw, src.ExpectedInterval.Milliseconds(), src.RateLimit, src.Enabled, toMS(now), toMS(now))
	if err != nil {
		return s.fail(op, err)
	}
	src.ID, src.CreatedAt, src.UpdatedAt = id, now, now
	src.ExpectedInterval = src.ExpectedInterval.Truncate(time.Millisecond)
	return nil
}

// GetSource returns the tenant's source with that id.
func (s *Store) GetSource(ctx context.Context, tenantID, id string) (*store.Source, error) {
	src, err := scanSource(s.r.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM sources WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return nil, s.fail("get source", err)
	}
	return &src, nil
}

// GetSourceByTokenHash returns the enabled HTTP source whose push token has
// that hash.
func (s *Store) GetSourceByTokenHash(ctx context.Context, hash string) (*store.Source, error) {
	if hash == "" {
		return nil, s.notFound("get source by token")
	}
	src, err := scanSource(s.r.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM sources
		WHERE token_hash = $1 AND kind = $2 AND enabled = $3`, hash, store.SourceHTTP, true))
	if err != nil {
		return nil, s.fail("get source by token", err)
	}
	return &src, nil
}

// ListSources returns the tenant's sources by name.
func (s *Store) ListSources(ctx context.Context, tenantID string) ([]store.Source, error) {
	return collect(ctx, s, "list sources", `SELECT `+sourceCols+` FROM sources WHERE tenant_id = $1 ORDER BY name, id`,
		scanSource, tenantID)
}

// ListAllSources returns every tenant's sources, by tenant then name.
func (s *Store) ListAllSources(ctx context.Context) ([]store.Source, error) {
	return collect(ctx, s, "list all sources", `SELECT `+sourceCols+` FROM sources ORDER BY tenant_id, name, id`, scanSource)
}

// UpdateSource writes every mutable field of the tenant's source and bumps
// UpdatedAt.
func (s *Store) UpdateSource(ctx context.Context, src *store.Source) error {
	const op = "update source"
	if err := s.checkSource(op, src); err != nil {
		return err
	}
	now := s.nowMS()
	err := s.execOne(ctx, op, `UPDATE sources SET name = $3, kind = $4, format = $5, match = $6, config = $7,
		token_prefix = $8, token_hash = $9, keep_raw = $10, expected_interval_ms = $11, rate_limit = $12,
		enabled = $13, updated_at = $14
		WHERE id = $1 AND tenant_id = $2`,
		src.ID, src.TenantID, src.Name, src.Kind, src.Format, src.Match, src.Config, src.TokenPrefix, src.TokenHash,
		src.KeepRaw, src.ExpectedInterval.Milliseconds(), src.RateLimit, src.Enabled, toMS(now))
	if err != nil {
		return err
	}
	src.UpdatedAt = now
	return nil
}

// DeleteSource deletes the tenant's source and its health; its events stay.
func (s *Store) DeleteSource(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete source", `DELETE FROM sources WHERE id = $1 AND tenant_id = $2`, id, tenantID)
}

// RecordSourceHealth adds h's counters to the source's, keeps the later
// last-event time, replaces the last error when h has one and rolls the
// per-minute window. An unknown source is ErrNotFound.
func (s *Store) RecordSourceHealth(ctx context.Context, h store.SourceHealth) error {
	const op = "record source health"
	if h.Events < 0 || h.Errors < 0 {
		return s.invalid(op, "negative counter")
	}
	at := s.stamp(h.UpdatedAt)
	window := at - at%60000
	return s.execOne(ctx, op, `INSERT INTO source_health (source_id, tenant_id, last_event, events, errors, last_error,
			updated_at, window_ms, window_events, prev_events)
		SELECT id, tenant_id, CAST($2 AS BIGINT), CAST($3 AS BIGINT), CAST($4 AS BIGINT), CAST($5 AS TEXT),
			CAST($6 AS BIGINT), CAST($7 AS BIGINT), CAST($3 AS BIGINT), 0
		FROM sources WHERE id = $1
		ON CONFLICT (source_id) DO UPDATE SET
			last_event = CASE WHEN excluded.last_event > source_health.last_event
				THEN excluded.last_event ELSE source_health.last_event END,
			events = source_health.events + excluded.events,
			errors = source_health.errors + excluded.errors,
			last_error = CASE WHEN excluded.last_error <> '' THEN excluded.last_error ELSE source_health.last_error END,
			updated_at = CASE WHEN excluded.updated_at > source_health.updated_at
				THEN excluded.updated_at ELSE source_health.updated_at END,
			prev_events = CASE
				WHEN excluded.window_ms <= source_health.window_ms THEN source_health.prev_events
				WHEN excluded.window_ms = source_health.window_ms + 60000 THEN source_health.window_events
				ELSE 0 END,
			window_events = CASE
				WHEN excluded.window_ms = source_health.window_ms THEN source_health.window_events + excluded.window_events
				WHEN excluded.window_ms < source_health.window_ms THEN source_health.window_events
				ELSE excluded.window_events END,
			window_ms = CASE WHEN excluded.window_ms > source_health.window_ms
				THEN excluded.window_ms ELSE source_health.window_ms END`,
		h.SourceID, toMS(h.LastEvent), h.Events, h.Errors, cleanText(h.LastError), at, window)
}

// ListSourceHealth returns the health of the tenant's sources that have
// reported, by source id.
func (s *Store) ListSourceHealth(ctx context.Context, tenantID string) ([]store.SourceHealth, error) {
	return collect(ctx, s, "list source health", `SELECT source_id, tenant_id, last_event, events, errors, last_error,
			updated_at, window_ms, window_events, prev_events
		FROM source_health WHERE tenant_id = $1 ORDER BY source_id`,
		func(sc scanner) (store.SourceHealth, error) {
			var h store.SourceHealth
			var last, updated, window int64
			err := sc.Scan(&h.SourceID, &h.TenantID, &last, &h.Events, &h.Errors, &h.LastError, &updated, &window,
				&h.WindowEvents, &h.PrevEvents)
			h.LastEvent, h.UpdatedAt, h.WindowStart = fromMS(last), fromMS(updated), fromMS(window)
			return h, err
		}, tenantID)
}

// SetRetention stores the tenant's policy for a category, or removes it
// when Days is 0.
func (s *Store) SetRetention(ctx context.Context, r store.Retention) error {
	const op = "set retention"
	switch {
	case r.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case !validSlug(r.Category):
		return s.invalid(op, "bad category %q", r.Category)
	case r.Days < 0 || r.Days > store.MaxRetentionDays:
		return s.invalid(op, "days %d outside 0-%d", r.Days, store.MaxRetentionDays)
	}
	var err error
	if r.Days == 0 {
		_, err = s.w.ExecContext(ctx, `DELETE FROM retention WHERE tenant_id = $1 AND category = $2`, r.TenantID, r.Category)
	} else {
		_, err = s.w.ExecContext(ctx, `INSERT INTO retention (tenant_id, category, days) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id, category) DO UPDATE SET days = excluded.days`, r.TenantID, r.Category, r.Days)
	}
	return s.fail(op, err)
}

// ListRetention returns the effective policy of every kind in
// store.RetentionKinds order, then the tenant's other categories by name.
func (s *Store) ListRetention(ctx context.Context, tenantID string) ([]store.Retention, error) {
	stored, err := collect(ctx, s, "list retention", `SELECT tenant_id, category, days FROM retention
		WHERE tenant_id = $1 ORDER BY category`, func(sc scanner) (store.Retention, error) {
		var r store.Retention
		err := sc.Scan(&r.TenantID, &r.Category, &r.Days)
		return r, err
	}, tenantID)
	if err != nil {
		return nil, err
	}
	days := make(map[string]int, len(stored))
	for _, r := range stored {
		days[r.Category] = r.Days
	}
	out := make([]store.Retention, 0, len(store.RetentionKinds)+len(stored))
	known := make(map[string]bool, len(store.RetentionKinds))
	for _, c := range store.RetentionKinds {
		known[c] = true
		d, ok := days[c]
		if !ok {
			d = store.RetentionDays(c)
		}
		out = append(out, store.Retention{TenantID: tenantID, Category: c, Days: d})
	}
	for _, r := range stored {
		if !known[r.Category] {
			out = append(out, r)
		}
	}
	return out, nil
}
