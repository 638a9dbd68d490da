package sqlstore

import (
	"context"
	"database/sql"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const tenantCols = `id, slug, name, kind, country, locale, created_at`

func scanTenant(sc scanner) (store.Tenant, error) {
	var t store.Tenant
	var created int64
	err := sc.Scan(&t.ID, &t.Slug, &t.Name, &t.Kind, &t.Country, &t.Locale, &created)
	t.CreatedAt = fromMS(created)
	return t, err
}

// validSlug reports whether s is 1-64 characters of a-z, 0-9, '-' and '_'.
func validSlug(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func (s *Store) checkTenant(op string, t *store.Tenant) error {
	switch {
	case !validSlug(t.Slug):
		return s.invalid(op, "slug %q must be 1-64 characters of a-z, 0-9, - and _", t.Slug)
	case t.Name == "":
		return s.invalid(op, "empty name")
	case !t.Kind.Valid():
		return s.invalid(op, "unknown tenant kind %q", t.Kind)
	}
	return nil
}

// CreateTenant stores t, setting ID (UUIDv7) and CreatedAt when empty. A
// taken slug is ErrConflict.
func (s *Store) CreateTenant(ctx context.Context, t *store.Tenant) error {
	const op = "create tenant"
	if err := s.checkTenant(op, t); err != nil {
		return err
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
	_, err := s.w.ExecContext(ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, t.Slug, t.Name, string(t.Kind), t.Country, t.Locale, toMS(created))
	if err != nil {
		return s.fail(op, err)
	}
	t.ID, t.CreatedAt = id, fromMS(toMS(created))
	return nil
}

// GetTenant returns the tenant with that id.
func (s *Store) GetTenant(ctx context.Context, id string) (*store.Tenant, error) {
	t, err := scanTenant(s.r.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
	if err != nil {
		return nil, s.fail("get tenant", err)
	}
	return &t, nil
}

// GetTenantBySlug returns the tenant with that slug.
func (s *Store) GetTenantBySlug(ctx context.Context, slug string) (*store.Tenant, error) {
	t, err := scanTenant(s.r.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE slug = $1`, slug))
	if err != nil {
		return nil, s.fail("get tenant by slug", err)
	}
	return &t, nil
}

// ListTenants returns every tenant ordered by name, then id.
func (s *Store) ListTenants(ctx context.Context) ([]store.Tenant, error) {
	return collect(ctx, s, "list tenants", `SELECT `+tenantCols+` FROM tenants ORDER BY name, id`, scanTenant)
}

// UpdateTenant writes t's Slug, Name, Kind, Country and Locale.
func (s *Store) UpdateTenant(ctx context.Context, t *store.Tenant) error {
	const op = "update tenant"
	if err := s.checkTenant(op, t); err != nil {
		return err
	}
	return s.execOne(ctx, op, `UPDATE tenants SET slug = $2, name = $3, kind = $4, country = $5, locale = $6 WHERE id = $1`,
		t.ID, t.Slug, t.Name, string(t.Kind), t.Country, t.Locale)
}

// DeleteTenant deletes the tenant; its memberships, oversight grants (both
// ways) and API tokens go with it, and sessions whose active tenant it was
// fall back to no active tenant.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	const op = "delete tenant"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE id = $1`, id)
		if err != nil {
			return s.fail(op, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.fail(op, err)
		} else if n == 0 {
			return s.notFound(op)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET tenant_id = '' WHERE tenant_id = $1`, id); err != nil {
			return s.fail(op, err)
		}
		return nil
	})
}
