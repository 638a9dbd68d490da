package auth

import (
	"fmt"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// LockoutPolicy locks an account after consecutive failed logins, kept in
// store.User.FailedLogins and LockedUntil. The Threshold-th consecutive
// failure locks the account for Base; each further failure (possible only
// once a lock has expired) locks it for twice the previous duration, up to
// Max. A successful login clears both fields.
type LockoutPolicy struct {
	Threshold int
	Base      time.Duration
	Max       time.Duration
}

// DefaultLockoutPolicy locks after 10 consecutive failures for 15 minutes,
// then 30 min, 1 h, … up to 24 h.
func DefaultLockoutPolicy() LockoutPolicy {
	return LockoutPolicy{Threshold: 10, Base: 15 * time.Minute, Max: 24 * time.Hour}
}

// Validate reports whether the policy is usable.
func (p LockoutPolicy) Validate() error {
	if p.Threshold < 1 || p.Base <= 0 || p.Max < p.Base {
		return fmt.Errorf("auth: lockout policy %+v: want Threshold ≥ 1, Base > 0, Max ≥ Base", p)
	}
	return nil
}

// lockDuration returns how long the n-th consecutive failure locks the
// account (0 below the threshold).
func (p LockoutPolicy) lockDuration(n int) time.Duration {
	if n < p.Threshold {
		return 0
	}
	d := p.Base
	for i := p.Threshold; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// RecordFailure counts a failed password check for u at now and locks the
// account when pol says so. The caller stores u.
func RecordFailure(u *store.User, now time.Time, pol LockoutPolicy) {
	u.FailedLogins++
	if d := pol.lockDuration(u.FailedLogins); d > 0 {
		u.LockedUntil = now.Add(d)
	}
}

// RecordSuccess clears u's failure count and lock after a successful login.
// The caller stores u.
func RecordSuccess(u *store.User) {
	u.FailedLogins = 0
	u.LockedUntil = time.Time{}
}

// IsLocked reports whether u is locked at now.
func IsLocked(u *store.User, now time.Time) bool {
	return now.Before(u.LockedUntil)
}
