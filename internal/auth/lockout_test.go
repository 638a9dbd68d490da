package auth

import (
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

func TestLockoutSequence(t *testing.T) {
	pol := DefaultLockoutPolicy()
	u := &store.User{}
	now := t0
	// Nine failures: no lock.
	for i := 1; i <= 9; i++ {
		RecordFailure(u, now, pol)
		if IsLocked(u, now) || !u.LockedUntil.IsZero() {
			t.Fatalf("locked after %d failures", i)
		}
	}
	// From the 10th on, each failure (after the previous lock expires)
	// locks for twice as long, capped at 24 h.
	want := []time.Duration{
		15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
		8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour, 24 * time.Hour,
	}
	for i, d := range want {
		RecordFailure(u, now, pol)
		if got := u.LockedUntil.Sub(now); got != d {
			t.Fatalf("failure %d: locked for %v, want %v", 10+i, got, d)
		}
		if !IsLocked(u, now) || !IsLocked(u, now.Add(d-time.Nanosecond)) {
			t.Fatalf("failure %d: not locked within the lock", 10+i)
		}
		if IsLocked(u, now.Add(d)) {
			t.Fatalf("failure %d: still locked at LockedUntil", 10+i)
		}
		now = now.Add(d)
	}
	if u.FailedLogins != 19 {
		t.Errorf("FailedLogins = %d, want 19", u.FailedLogins)
	}
	RecordSuccess(u)
	if u.FailedLogins != 0 || !u.LockedUntil.IsZero() || IsLocked(u, now) {
		t.Errorf("after success: %d, %v", u.FailedLogins, u.LockedUntil)
	}
}

func TestLockDuration(t *testing.T) {
	pol := LockoutPolicy{Threshold: 3, Base: time.Minute, Max: 5 * time.Minute}
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, 0}, {2, 0}, {3, time.Minute}, {4, 2 * time.Minute}, {5, 4 * time.Minute},
		{6, 5 * time.Minute}, {1 << 30, 5 * time.Minute},
	}
	for _, tt := range tests {
		if got := pol.lockDuration(tt.n); got != tt.want {
			t.Errorf("lockDuration(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestLockoutPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		p    LockoutPolicy
		ok   bool
	}{
		{"default", DefaultLockoutPolicy(), true},
		{"zero", LockoutPolicy{}, false},
		{"no base", LockoutPolicy{Threshold: 1, Max: time.Hour}, false},
		{"max below base", LockoutPolicy{Threshold: 1, Base: time.Hour, Max: time.Minute}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
