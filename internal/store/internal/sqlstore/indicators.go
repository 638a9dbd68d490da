package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const indicatorCols = `id, tenant_id, type, value, source, confidence, tlp, valid_from, valid_until, tags_json,
	description, created_at, updated_at`

func scanIndicator(sc scanner) (store.Indicator, error) {
	var in store.Indicator
	var tags string
	var from, until, created, updated int64
	err := sc.Scan(&in.ID, &in.TenantID, &in.Type, &in.Value, &in.Source, &in.Confidence, &in.TLP, &from, &until,
		&tags, &in.Description, &created, &updated)
	_ = json.Unmarshal([]byte(tags), &in.Tags)
	in.ValidFrom, in.ValidUntil, in.CreatedAt, in.UpdatedAt = fromMS(from), fromMS(until), fromMS(created), fromMS(updated)
	return in, err
}

func (s *Store) checkIndicator(op string, i int, in *store.Indicator) error {
	switch {
	case in.TenantID == "":
		return s.invalid(op, "indicator %d: empty tenant id", i)
	case in.Type == "" || in.Value == "":
		return s.invalid(op, "indicator %d: empty type or value", i)
	case in.Confidence < 0 || in.Confidence > 100:
		return s.invalid(op, "indicator %d: confidence %d outside 0-100", i, in.Confidence)
	case !in.ValidUntil.IsZero() && in.ValidUntil.Before(in.ValidFrom):
		return s.invalid(op, "indicator %d: valid until before valid from", i)
	case badText(in.Type) || badText(in.Value) || badText(in.Source) || badText(in.TLP) || badText(in.Description):
		return s.invalid(op, "indicator %d: text that is not UTF-8 or holds NUL", i)
	}
	return nil
}

// UpsertIndicators inserts or updates indicators in one transaction; any
// invalid one fails the whole batch.
func (s *Store) UpsertIndicators(ctx context.Context, inds []store.Indicator) (int, error) {
	const op = "upsert indicators"
	for i := range inds {
		if err := s.checkIndicator(op, i, &inds[i]); err != nil {
			return 0, err
		}
	}
	created := 0
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		created = 0
		now := s.nowMS()
		for i := range inds {
			in := &inds[i]
			var id string
			var createdAt int64
			err := tx.QueryRowContext(ctx, `SELECT id, created_at FROM indicators
				WHERE tenant_id = $1 AND type = $2 AND value = $3 AND source = $4`,
				in.TenantID, in.Type, in.Value, in.Source).Scan(&id, &createdAt)
			tags := jsonText(nonNil(in.Tags))
			switch {
			case err == nil:
				if _, err := tx.ExecContext(ctx, `UPDATE indicators SET confidence = $2, tlp = $3, valid_from = $4,
					valid_until = $5, tags_json = $6, description = $7, updated_at = $8 WHERE id = $1`,
					id, in.Confidence, in.TLP, toMS(in.ValidFrom), toMS(in.ValidUntil), tags, in.Description, toMS(now)); err != nil {
					return s.fail(op, err)
				}
				in.ID, in.CreatedAt, in.UpdatedAt = id, fromMS(createdAt), now
			case err == sql.ErrNoRows:
				if id, err = s.newID(op); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO indicators (`+indicatorCols+`)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
					id, in.TenantID, in.Type, in.Value, in.Source, in.Confidence, in.TLP, toMS(in.ValidFrom),
					toMS(in.ValidUntil), tags, in.Description, toMS(now), toMS(now)); err != nil {
					return s.fail(op, err)
				}
				in.ID, in.CreatedAt, in.UpdatedAt = id, now, now
				created++
			default:
				return s.fail(op, err)
			}
			in.ValidFrom, in.ValidUntil = ms(in.ValidFrom), ms(in.ValidUntil)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return created, nil
}

// ListIndicators returns the tenant's indicators selected by f, newest
// first.
func (s *Store) ListIndicators(ctx context.Context, tenantID string, f store.IndicatorFilter) ([]store.Indicator, error) {
	where := "tenant_id = $1"
	args := []any{tenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args)))
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		add(`lower(value || ' ' || source || ' ' || description) LIKE ? ESCAPE '\'`, likePattern(t))
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	args = append(args, clampLimit(f.Limit))
	return collect(ctx, s, "list indicators", `SELECT `+indicatorCols+` FROM indicators WHERE `+where+
		` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), scanIndicator, args...)
}

// AllIndicators returns every indicator of the tenant.
func (s *Store) AllIndicators(ctx context.Context, tenantID string) ([]store.Indicator, error) {
	return collect(ctx, s, "all indicators", `SELECT `+indicatorCols+` FROM indicators WHERE tenant_id = $1 ORDER BY id`,
		scanIndicator, tenantID)
}

// IndicatorsVersion returns "count:last update" of the tenant's indicators.
func (s *Store) IndicatorsVersion(ctx context.Context, tenantID string) (string, error) {
	var n, last int64
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM indicators WHERE tenant_id = $1`,
		tenantID).Scan(&n, &last)
	if err != nil {
		return "", s.fail("indicators version", err)
	}
	return strconv.FormatInt(n, 10) + ":" + strconv.FormatInt(last, 10), nil
}

// DeleteIndicator deletes the tenant's indicator.
func (s *Store) DeleteIndicator(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete indicator", `DELETE FROM indicators WHERE id = $1 AND tenant_id = $2`, id, tenantID)
}
