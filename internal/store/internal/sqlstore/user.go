package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const userCols = `id, username, display_name, email, password_hash, locale, platform_admin,
	totp_secret, totp_enabled, failed_logins, locked_until, disabled, created_at, updated_at`

// totpPurpose names a user's sealed TOTP secret (secret.Box).
func totpPurpose(userID string) string { return "users.totp_secret|" + userID }

func (s *Store) scanUser(sc scanner) (store.User, error) {
	var u store.User
	var locked, created, updated int64
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.PasswordHash, &u.Locale, &u.PlatformAdmin,
		&u.TOTPSecret, &u.TOTPEnabled, &u.FailedLogins, &locked, &u.Disabled, &created, &updated)
	if err != nil {
		return u, err
	}
	if u.TOTPSecret, err = s.box.Open(totpPurpose(u.ID), u.TOTPSecret); err != nil {
		return u, fmt.Errorf("user %s TOTP secret: %w", u.ID, err)
	}
	u.LockedUntil, u.CreatedAt, u.UpdatedAt = fromMS(locked), fromMS(created), fromMS(updated)
	return u, nil
}

func (s *Store) checkUser(op string, u *store.User) error {
	switch {
	case u.Username == "":
		return s.invalid(op, "empty username")
	case strings.TrimSpace(u.Username) != u.Username:
		return s.invalid(op, "username %q has surrounding spaces", u.Username)
	case u.FailedLogins < 0:
		return s.invalid(op, "negative failed logins")
	}
	return nil
}

// CreateUser stores u with its username in lower case, setting ID (UUIDv7
// when empty), CreatedAt and UpdatedAt. A username taken in any letter case
// is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	const op = "create user"
	if err := s.checkUser(op, u); err != nil {
		return err
	}
	id := u.ID
	if id == "" {
		var err error
		if id, err = s.newID(op); err != nil {
			return err
		}
	}
	now := s.nowMS()
	name := strings.ToLower(u.Username)
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (`+userCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		id, name, u.DisplayName, u.Email, u.PasswordHash, u.Locale, u.PlatformAdmin,
		s.box.Seal(totpPurpose(id), u.TOTPSecret), u.TOTPEnabled, u.FailedLogins, toMS(u.LockedUntil), u.Disabled, toMS(now), toMS(now))
	if err != nil {
		return s.fail(op, err)
	}
	u.ID, u.Username, u.CreatedAt, u.UpdatedAt = id, name, now, now
	u.LockedUntil = fromMS(toMS(u.LockedUntil))
	return nil
}

// GetUser returns the user with that id.
func (s *Store) GetUser(ctx context.Context, id string) (*store.User, error) {
	u, err := s.scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, s.fail("get user", err)
	}
	return &u, nil
}

// GetUserByUsername returns the user with that username, in any letter case.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (*store.User, error) {
	u, err := s.scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`,
		strings.ToLower(username)))
	if err != nil {
		return nil, s.fail("get user by username", err)
	}
	return &u, nil
}

// ListUsers returns every user ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	return collect(ctx, s, "list users", `SELECT `+userCols+` FROM users ORDER BY username`, s.scanUser)
}

// ListTenantUsers returns the users with a membership in the tenant, ordered
// by username.
func (s *Store) ListTenantUsers(ctx context.Context, tenantID string) ([]store.User, error) {
	return collect(ctx, s, "list tenant users", `SELECT `+prefixCols("u.", userCols)+`
		FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE m.tenant_id = $1 ORDER BY u.username`, s.scanUser, tenantID)
}

// UpdateUser writes every mutable field of u (the username in lower case)
// and sets UpdatedAt to now.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	const op = "update user"
	if err := s.checkUser(op, u); err != nil {
		return err
	}
	now := s.nowMS()
	name := strings.ToLower(u.Username)
	err := s.execOne(ctx, op, `UPDATE users SET username = $2, display_name = $3, email = $4, password_hash = $5,
		locale = $6, platform_admin = $7, totp_secret = $8, totp_enabled = $9, failed_logins = $10,
		locked_until = $11, disabled = $12, updated_at = $13 WHERE id = $1`,
		u.ID, name, u.DisplayName, u.Email, u.PasswordHash, u.Locale, u.PlatformAdmin, s.box.Seal(totpPurpose(u.ID), u.TOTPSecret),
		u.TOTPEnabled, u.FailedLogins, toMS(u.LockedUntil), u.Disabled, toMS(now))
	if err != nil {
		return err
	}
	u.Username, u.UpdatedAt = name, now
	u.LockedUntil = fromMS(toMS(u.LockedUntil))
	return nil
}

// prefixCols qualifies each column of a comma-separated list with p.
func prefixCols(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// AdvanceTOTPStep moves the user's last TOTP step forward, or reports a
// replay.
func (s *Store) AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	const op = "advance totp step"
	res, err := s.w.ExecContext(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, userID, step)
	if err != nil {
		return false, s.fail(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, s.fail(op, err)
	} else if n == 1 {
		return true, nil
	}
	if _, err := s.GetUser(ctx, userID); err != nil {
		return false, err
	}
	return false, nil
}

// AddFailedLogin counts a failed login in one statement, so concurrent
// failures on several instances are all counted, then extends the lock.
func (s *Store) AddFailedLogin(ctx context.Context, userID string, lockUntil func(failures int) time.Time) (int, error) {
	const op = "add failed login"
	var n int
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`,
			userID).Scan(&n); err != nil {
			return s.fail(op, err)
		}
		if lockUntil == nil {
			return nil
		}
		if until := lockUntil(n); !until.IsZero() {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET locked_until = $2 WHERE id = $1 AND locked_until < $2`,
				userID, toMS(until)); err != nil {
				return s.fail(op, err)
			}
		}
		return nil
	})
	return n, err
}
