package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const channelCols = `id, tenant_id, user_id, name, kind, target, config, min_severity, digest_severity, digest_every_ms,
	quiet_from, quiet_to, timezone, enabled, last_success, last_failure, last_error, failures, last_digest, created_at, updated_at`

// channelPurpose names a channel's sealed config (secret.Box): the
// credentials it holds open only in this tenant's row of this channel.
func channelPurpose(tenantID, id string) string {
	return "notify_channels.config|" + tenantID + "|" + id
}

func (s *Store) scanChannel(sc scanner) (store.NotifyChannel, error) {
	var c store.NotifyChannel
	var every, succ, fail, digest, created, updated int64
	err := sc.Scan(&c.ID, &c.TenantID, &c.UserID, &c.Name, &c.Kind, &c.Target, &c.Config, &c.MinSeverity, &c.DigestSeverity,
		&every, &c.QuietFrom, &c.QuietTo, &c.Timezone, &c.Enabled, &succ, &fail, &c.LastError, &c.Failures, &digest, &created, &updated)
	if err != nil {
		return c, err
	}
	if c.Config, err = s.box.Open(channelPurpose(c.TenantID, c.ID), c.Config); err != nil {
		return c, fmt.Errorf("notify channel %s config: %w", c.ID, err)
	}
	c.DigestEvery = time.Duration(every) * time.Millisecond
	c.LastSuccess, c.LastFailure, c.LastDigest = fromMS(succ), fromMS(fail), fromMS(digest)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

func (s *Store) checkChannel(op string, c *store.NotifyChannel) error {
	switch {
	case c.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case !c.ValidKind():
		return s.invalid(op, "unknown kind %q", c.Kind)
	case c.Name == "" || len(c.Name) > 200:
		return s.invalid(op, "name must be 1 to 200 characters")
	case c.Target == "" || len(c.Target) > 2000:
		return s.invalid(op, "target must be 1 to 2000 characters")
	case !c.MinSeverity.Valid():
		return s.invalid(op, "unknown minimum severity %q", c.MinSeverity)
	case c.DigestSeverity != "" && !c.DigestSeverity.Valid():
		return s.invalid(op, "unknown digest severity %q", c.DigestSeverity)
	case c.DigestEvery < 0:
		return s.invalid(op, "negative digest period")
	case c.QuietFrom < 0 || c.QuietFrom >= 24*60 || c.QuietTo < 0 || c.QuietTo >= 24*60:
		return s.invalid(op, "quiet hours out of range")
	}
	if c.Config == "" {
		c.Config = "{}"
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(c.Config), &obj); err != nil {
		return s.invalid(op, "config is not a JSON object")
	}
	if c.DigestEvery == 0 {
		c.DigestEvery = time.Hour
	}
	return nil
}

// CreateNotifyChannel stores a notification channel.
func (s *Store) CreateNotifyChannel(ctx context.Context, c *store.NotifyChannel) error {
	const op = "create notify channel"
	if err := s.checkChannel(op, c); err != nil {
		return err
	}
	id, err := s.newID(op)
	if err != nil {
		return err
	}
	now := s.nowMS()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO notify_channels (`+channelCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, 0, '', 0, 0, $15, $15)`,
		id, c.TenantID, c.UserID, c.Name, c.Kind, c.Target, s.box.Seal(channelPurpose(c.TenantID, id), c.Config),
		string(c.MinSeverity), string(c.DigestSeverity),
		c.DigestEvery.Milliseconds(), c.QuietFrom, c.QuietTo, c.Timezone, c.Enabled, toMS(now)); err != nil {
		return s.fail(op, err)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
	c.LastSuccess, c.LastFailure, c.LastError, c.Failures, c.LastDigest = time.Time{}, time.Time{}, "", 0, time.Time{}
	return nil
}

// GetNotifyChannel returns one of the tenant's channels.
func (s *Store) GetNotifyChannel(ctx context.Context, tenantID, id string) (*store.NotifyChannel, error) {
	c, err := s.scanChannel(s.r.QueryRowContext(ctx, `SELECT `+channelCols+` FROM notify_channels
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return nil, s.fail("get notify channel", err)
	}
	return &c, nil
}

// ListNotifyChannels returns the tenant's channels by name.
func (s *Store) ListNotifyChannels(ctx context.Context, tenantID string) ([]store.NotifyChannel, error) {
	return collect(ctx, s, "list notify channels", `SELECT `+channelCols+` FROM notify_channels
		WHERE tenant_id = $1 ORDER BY name, id`, s.scanChannel, tenantID)
}

// ListAllNotifyChannels returns every enabled channel.
func (s *Store) ListAllNotifyChannels(ctx context.Context) ([]store.NotifyChannel, error) {
	return collect(ctx, s, "list all notify channels", `SELECT `+channelCols+` FROM notify_channels
		WHERE enabled = $1 ORDER BY tenant_id, name, id`, s.scanChannel, true)
}

// UpdateNotifyChannel writes a channel's settings.
func (s *Store) UpdateNotifyChannel(ctx context.Context, c *store.NotifyChannel) error {
	const op = "update notify channel"
	if err := s.checkChannel(op, c); err != nil {
		return err
	}
	now := s.nowMS()
	if err := s.execOne(ctx, op, `UPDATE notify_channels SET user_id = $3, name = $4, kind = $5, target = $6, config = $7,
		min_severity = $8, digest_severity = $9, digest_every_ms = $10, quiet_from = $11, quiet_to = $12, timezone = $13,
		enabled = $14, updated_at = $15 WHERE id = $1 AND tenant_id = $2`,
		c.ID, c.TenantID, c.UserID, c.Name, c.Kind, c.Target, s.box.Seal(channelPurpose(c.TenantID, c.ID), c.Config),
		string(c.MinSeverity), string(c.DigestSeverity),
		c.DigestEvery.Milliseconds(), c.QuietFrom, c.QuietTo, c.Timezone, c.Enabled, toMS(now)); err != nil {
		return err
	}
	c.UpdatedAt = now
	return nil
}

// DeleteNotifyChannel deletes a channel with its digest queue and marks.
func (s *Store) DeleteNotifyChannel(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete notify channel", `DELETE FROM notify_channels WHERE id = $1 AND tenant_id = $2`, id, tenantID)
}

// RecordNotifyResult records a delivery's outcome.
func (s *Store) RecordNotifyResult(ctx context.Context, tenantID, id string, t time.Time, errText string) error {
	const op = "record notify result"
	if t.IsZero() {
		t = s.now()
	}
	if errText == "" {
		return s.execOne(ctx, op, `UPDATE notify_channels SET last_success = $3, failures = 0 WHERE id = $1 AND tenant_id = $2`,
			id, tenantID, toMS(t))
	}
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	return s.execOne(ctx, op, `UPDATE notify_channels SET last_failure = $3, last_error = $4, failures = failures + 1
		WHERE id = $1 AND tenant_id = $2`, id, tenantID, toMS(t), errText)
}

// channelOf checks that a channel belongs to the tenant.
func (s *Store) channelOf(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, op, tenantID, channelID string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM notify_channels WHERE id = $1 AND tenant_id = $2`, channelID, tenantID).Scan(&one)
	return s.fail(op, err)
}

// MarkNotified records that the channel was told of the alert.
func (s *Store) MarkNotified(ctx context.Context, tenantID, channelID, alertID string, at time.Time) (bool, error) {
	const op = "mark notified"
	if err := s.channelOf(ctx, s.w, op, tenantID, channelID); err != nil {
		return false, err
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO notify_sent (channel_id, alert_id, at) VALUES ($1, $2, $3)
		ON CONFLICT (channel_id, alert_id) DO NOTHING`, channelID, alertID, toMS(at))
	if err != nil {
		return false, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(op, err)
	}
	return n == 1, nil
}

// PruneNotified forgets marks older than before.
func (s *Store) PruneNotified(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM notify_sent WHERE at < $1`, toMS(before))
	if err != nil {
		return 0, s.fail("prune notified", err)
	}
	n, err := res.RowsAffected()
	return n, s.fail("prune notified", err)
}

// QueueDigest adds an alert to a channel's next digest.
func (s *Store) QueueDigest(ctx context.Context, it store.DigestItem) error {
	const op = "queue digest"
	if !it.Severity.Valid() {
		return s.invalid(op, "unknown severity %q", it.Severity)
	}
	if err := s.channelOf(ctx, s.w, op, it.TenantID, it.ChannelID); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO notify_digest (channel_id, alert_id, tenant_id, severity, title, at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel_id, alert_id) DO NOTHING`,
		it.ChannelID, it.AlertID, it.TenantID, string(it.Severity), it.Title, toMS(it.At))
	return s.fail(op, err)
}

// TakeDigest removes and returns a channel's queued items.
func (s *Store) TakeDigest(ctx context.Context, tenantID, channelID string, at time.Time) ([]store.DigestItem, error) {
	const op = "take digest"
	var out []store.DigestItem
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := s.channelOf(ctx, tx, op, tenantID, channelID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT channel_id, alert_id, tenant_id, severity, title, at FROM notify_digest
			WHERE channel_id = $1 ORDER BY at, alert_id`, channelID)
		if err != nil {
			return s.fail(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var it store.DigestItem
			var ms int64
			if err := rows.Scan(&it.ChannelID, &it.AlertID, &it.TenantID, &it.Severity, &it.Title, &ms); err != nil {
				return s.fail(op, err)
			}
			it.At = fromMS(ms)
			out = append(out, it)
		}
		if err := rows.Err(); err != nil {
			return s.fail(op, err)
		}
		rows.Close()
		if _, err := tx.ExecContext(ctx, `DELETE FROM notify_digest WHERE channel_id = $1`, channelID); err != nil {
			return s.fail(op, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notify_channels SET last_digest = $2 WHERE id = $1`, channelID, toMS(at)); err != nil {
			return s.fail(op, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
