package sqlstore

import (
	"context"
	"fmt"

	"github.com/vedetta-sec/vedetta/internal/secret"
)

// SetSecrets makes the store seal the credentials it keeps (users' TOTP
// secrets, notification channel configs, incident settings) with b from
// now on, and open sealed
// ones. Call it once, before the store is shared.
func (s *Store) SetSecrets(b *secret.Box) { s.box = b }

// SealStoredSecrets seals every credential still stored in clear (written
// before sealing existed, or by a process without a key) and returns how
// many rows it sealed. It is idempotent; concurrent instances may run it.
func (s *Store) SealStoredSecrets(ctx context.Context) (int, error) {
	if s.box == nil {
		return 0, nil
	}
	n := 0
	type row struct{ tenant, id, v string }
	sweep := func(what, query, update string, purpose func(r row) string) error {
		rows, err := s.w.QueryContext(ctx, query, secret.Prefix+"%")
		if err != nil {
			return s.fail("seal "+what, err)
		}
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.tenant, &r.id, &r.v); err != nil {
				rows.Close()
				return s.fail("seal "+what, err)
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.fail("seal "+what, err)
		}
		for _, r := range todo {
			// Only a row still holding the same clear text is rewritten: a
			// concurrent write (already sealed) wins.
			res, err := s.w.ExecContext(ctx, update, r.tenant, r.id, r.v, s.box.Seal(purpose(r), r.v))
			if err != nil {
				return s.fail("seal "+what, err)
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n++
			}
		}
		return nil
	}
	if err := sweep("notify channels",
		`SELECT tenant_id, id, config FROM notify_channels WHERE config NOT LIKE $1`,
		`UPDATE notify_channels SET config = $4 WHERE tenant_id = $1 AND id = $2 AND config = $3`,
		func(r row) string { return channelPurpose(r.tenant, r.id) }); err != nil {
		return n, err
	}
	if err := sweep("TOTP secrets",
		`SELECT id, id, totp_secret FROM users WHERE totp_secret <> '' AND totp_secret NOT LIKE $1`,
		`UPDATE users SET totp_secret = $4 WHERE id = $1 AND id = $2 AND totp_secret = $3`,
		func(r row) string { return totpPurpose(r.id) }); err != nil {
		return n, err
	}
	if err := sweep("incident settings",
		`SELECT tenant_id, tenant_id, settings FROM incident_settings WHERE settings NOT LIKE $1`,
		`UPDATE incident_settings SET settings = $4 WHERE tenant_id = $1 AND tenant_id = $2 AND settings = $3`,
		func(r row) string { return settingsPurpose(r.tenant) }); err != nil {
		return n, err
	}
	if n > 0 {
		s.log.Info(fmt.Sprintf("sealed %d stored credentials", n))
	}
	return n, s.checkSealed(ctx)
}

// checkSealed opens every sealed credential once, so that a key that is
// not the one they were sealed with (a lost or replaced key file) is
// reported at start, not at the first alert to notify.
func (s *Store) checkSealed(ctx context.Context) error {
	bad := 0
	for _, q := range []struct{ query string }{
		{`SELECT tenant_id, id, config FROM notify_channels WHERE config LIKE $1`},
		{`SELECT tenant_id, '', settings FROM incident_settings WHERE settings LIKE $1`},
		{`SELECT '', id, totp_secret FROM users WHERE totp_secret LIKE $1`},
	} {
		rows, err := s.r.QueryContext(ctx, q.query, secret.Prefix+"%")
		if err != nil {
			return s.fail("check sealed credentials", err)
		}
		for rows.Next() {
			var tenant, id, v string
			if err := rows.Scan(&tenant, &id, &v); err != nil {
				rows.Close()
				return s.fail("check sealed credentials", err)
			}
			var purpose string
			switch {
			case tenant == "":
				purpose = totpPurpose(id)
			case id == "":
				purpose = settingsPurpose(tenant)
			default:
				purpose = channelPurpose(tenant, id)
			}
			if _, err := s.box.Open(purpose, v); err != nil {
				bad++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.fail("check sealed credentials", err)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%s: %d stored credentials do not open with this key: %w", s.d.Name, bad, secret.ErrOpen)
	}
	return nil
}
