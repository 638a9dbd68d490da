package sqlstore

import (
	"context"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const tokenCols = `id, tenant_id, name, role, prefix, hash, created_by, created_at, expires_at, revoked_at, last_used_at`

func scanToken(sc scanner) (store.APIToken, error) {
	var t store.APIToken
	var created, expires, revoked, used int64
	err := sc.Scan(&t.ID, &t.TenantID, &t.Name, &t.Role, &t.Prefix, &t.Hash, &t.CreatedBy,
		&created, &expires, &revoked, &used)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromMS(created), fromMS(expires), fromMS(revoked), fromMS(used)
	return t, err
}

// CreateToken stores t, setting ID (UUIDv7) and CreatedAt when empty.
// TenantID, a valid Role and Hash are required; a hash already stored is
// ErrConflict and an unknown tenant ErrNotFound.
func (s *Store) CreateToken(ctx context.Context, t *store.APIToken) error {
	const op = "create token"
	switch {
	case t.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case !t.Role.Valid():
		return s.invalid(op, "unknown role %q", t.Role)
	case t.Hash == "":
		return s.invalid(op, "empty hash")
	}
	id := t.ID
	if id == "" {
		var err error
		if id, err = s.newID(op); err != nil {
			return err
		}
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.nowMS()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_tokens (`+tokenCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		id, t.TenantID, t.Name, string(t.Role), t.Prefix, t.Hash, t.CreatedBy,
		toMS(created), toMS(t.ExpiresAt), toMS(t.RevokedAt), toMS(t.LastUsedAt))
	if err != nil {
		return s.fail(op, err)
	}
	t.ID, t.CreatedAt = id, fromMS(toMS(created))
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromMS(toMS(t.ExpiresAt)), fromMS(toMS(t.RevokedAt)), fromMS(toMS(t.LastUsedAt))
	return nil
}

// GetTokenByHash returns the token with that hash, whether expired, revoked
// or active: the caller checks.
func (s *Store) GetTokenByHash(ctx context.Context, hash string) (*store.APIToken, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, s.fail("get token by hash", err)
	}
	return &t, nil
}

// ListTokens returns the tenant's tokens ordered by creation, then id.
func (s *Store) ListTokens(ctx context.Context, tenantID string) ([]store.APIToken, error) {
	return collect(ctx, s, "list tokens", `SELECT `+tokenCols+` FROM api_tokens
		WHERE tenant_id = $1 ORDER BY created_at, id`, scanToken, tenantID)
}

// RevokeToken marks the tenant's token revoked at at (now when zero); a token already
// revoked keeps its first revocation time. A token of another tenant is
// ErrNotFound, exactly like a missing one.
func (s *Store) RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error {
	return s.execOne(ctx, "revoke token", `UPDATE api_tokens
		SET revoked_at = CASE WHEN revoked_at = 0 THEN $3 ELSE revoked_at END
		WHERE id = $1 AND tenant_id = $2`, id, tenantID, s.stamp(at))
}

// TouchToken records that the token was used at at (now when zero).
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return s.execOne(ctx, "touch token", `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, s.stamp(at))
}
