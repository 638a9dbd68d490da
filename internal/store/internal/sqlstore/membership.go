package sqlstore

import (
	"context"

	"github.com/vedetta-sec/vedetta/internal/store"
)

func scanMembership(sc scanner) (store.Membership, error) {
	var m store.Membership
	err := sc.Scan(&m.UserID, &m.TenantID, &m.Role)
	return m, err
}

// SetMembership gives the user the role in the tenant, replacing any role
// held there. An unknown user or tenant is ErrNotFound.
func (s *Store) SetMembership(ctx context.Context, m store.Membership) error {
	const op = "set membership"
	if !m.Role.Valid() {
		return s.invalid(op, "unknown role %q", m.Role)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, tenant_id) DO UPDATE SET role = excluded.role`,
		m.UserID, m.TenantID, string(m.Role))
	return s.fail(op, err)
}

// RemoveMembership removes the user from the tenant.
func (s *Store) RemoveMembership(ctx context.Context, userID, tenantID string) error {
	return s.execOne(ctx, "remove membership", `DELETE FROM memberships WHERE user_id = $1 AND tenant_id = $2`,
		userID, tenantID)
}

// ListMemberships returns the user's memberships ordered by tenant id.
func (s *Store) ListMemberships(ctx context.Context, userID string) ([]store.Membership, error) {
	return collect(ctx, s, "list memberships", `SELECT user_id, tenant_id, role FROM memberships
		WHERE user_id = $1 ORDER BY tenant_id`, scanMembership, userID)
}

// ListTenantMemberships returns the tenant's memberships ordered by user id.
func (s *Store) ListTenantMemberships(ctx context.Context, tenantID string) ([]store.Membership, error) {
	return collect(ctx, s, "list tenant memberships", `SELECT user_id, tenant_id, role FROM memberships
		WHERE tenant_id = $1 ORDER BY user_id`, scanMembership, tenantID)
}

const oversightCols = `overseer_id, overseen_id, granted_by, created_at`

func scanOversight(sc scanner) (store.Oversight, error) {
	var o store.Oversight
	var created int64
	err := sc.Scan(&o.OverseerID, &o.OverseenID, &o.GrantedBy, &created)
	o.CreatedAt = fromMS(created)
	return o, err
}

// GrantOversight lets o.OverseerID read o.OverseenID's data; CreatedAt is
// now when zero. An existing grant is ErrConflict, an unknown tenant
// ErrNotFound, a tenant overseeing itself ErrInvalid.
func (s *Store) GrantOversight(ctx context.Context, o store.Oversight) error {
	const op = "grant oversight"
	if o.OverseerID == o.OverseenID {
		return s.invalid(op, "tenant %q cannot oversee itself", o.OverseerID)
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.nowMS()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO oversight (`+oversightCols+`) VALUES ($1, $2, $3, $4)`,
		o.OverseerID, o.OverseenID, o.GrantedBy, toMS(o.CreatedAt))
	return s.fail(op, err)
}

// RevokeOversight removes the grant.
func (s *Store) RevokeOversight(ctx context.Context, overseerID, overseenID string) error {
	return s.execOne(ctx, "revoke oversight", `DELETE FROM oversight WHERE overseer_id = $1 AND overseen_id = $2`,
		overseerID, overseenID)
}

// ListOverseen returns the grants the overseer holds, ordered by overseen id.
func (s *Store) ListOverseen(ctx context.Context, overseerID string) ([]store.Oversight, error) {
	return collect(ctx, s, "list overseen", `SELECT `+oversightCols+` FROM oversight
		WHERE overseer_id = $1 ORDER BY overseen_id`, scanOversight, overseerID)
}

// ListOverseers returns the grants over the tenant, ordered by overseer id.
func (s *Store) ListOverseers(ctx context.Context, overseenID string) ([]store.Oversight, error) {
	return collect(ctx, s, "list overseers", `SELECT `+oversightCols+` FROM oversight
		WHERE overseen_id = $1 ORDER BY overseer_id`, scanOversight, overseenID)
}
