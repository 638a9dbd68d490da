package sqlstore

import (
	"context"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const sessionCols = `id, user_id, tenant_id, csrf_token, totp_pending, created_at, last_seen, expires_at, ip, user_agent`

func scanSession(sc scanner) (store.Session, error) {
	var x store.Session
	var created, seen, expires int64
	err := sc.Scan(&x.ID, &x.UserID, &x.TenantID, &x.CSRFToken, &x.TOTPPending, &created, &seen, &expires,
		&x.IP, &x.UserAgent)
	x.CreatedAt, x.LastSeen, x.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return x, err
}

// CreateSession stores x. ID (the token's hash), UserID and ExpiresAt are
// required; CreatedAt is now when zero and LastSeen CreatedAt when zero. An
// unknown user is ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, x *store.Session) error {
	const op = "create session"
	switch {
	case x.ID == "":
		return s.invalid(op, "empty id")
	case x.UserID == "":
		return s.invalid(op, "empty user id")
	case x.ExpiresAt.IsZero():
		return s.invalid(op, "no expiry")
	}
	created := x.CreatedAt
	if created.IsZero() {
		created = s.nowMS()
	}
	seen := x.LastSeen
	if seen.IsZero() {
		seen = created
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		x.ID, x.UserID, x.TenantID, x.CSRFToken, x.TOTPPending, toMS(created), toMS(seen), toMS(x.ExpiresAt),
		x.IP, x.UserAgent)
	if err != nil {
		return s.fail(op, err)
	}
	x.CreatedAt, x.LastSeen, x.ExpiresAt = fromMS(toMS(created)), fromMS(toMS(seen)), fromMS(toMS(x.ExpiresAt))
	return nil
}

// GetSession returns the session with that id, expired or not: the caller
// checks ExpiresAt and LastSeen.
func (s *Store) GetSession(ctx context.Context, id string) (*store.Session, error) {
	x, err := scanSession(s.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = $1`, id))
	if err != nil {
		return nil, s.fail("get session", err)
	}
	return &x, nil
}

// UpdateSession writes x's TenantID, TOTPPending, LastSeen and CSRFToken.
func (s *Store) UpdateSession(ctx context.Context, x *store.Session) error {
	return s.execOne(ctx, "update session", `UPDATE sessions SET tenant_id = $2, totp_pending = $3, last_seen = $4,
		csrf_token = $5 WHERE id = $1`, x.ID, x.TenantID, x.TOTPPending, toMS(x.LastSeen), x.CSRFToken)
}

// DeleteSession deletes the session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.execOne(ctx, "delete session", `DELETE FROM sessions WHERE id = $1`, id)
}

// DeleteUserSessions deletes every session of the user; none is not an
// error.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return s.fail("delete user sessions", err)
}

// DeleteExpiredSessions deletes the sessions whose ExpiresAt is not after
// now and, when idle > 0, those not seen for idle or longer. It returns how
// many it deleted.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	const op = "delete expired sessions"
	query, args := `DELETE FROM sessions WHERE expires_at <= $1`, []any{now.UnixMilli()}
	if idle > 0 {
		query += ` OR last_seen <= $2`
		args = append(args, now.Add(-idle).UnixMilli())
	}
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.fail(op, err)
	}
	return int(n), nil
}
