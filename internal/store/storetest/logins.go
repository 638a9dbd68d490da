package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// testLoginCounters: TOTP steps advance only forward (a replayed code is
// refused), and failed logins counted from many goroutines at once (as
// from several instances) are all counted, the lock only ever extended.
func testLoginCounters(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := &store.User{Username: "counted"}
	must(t, "CreateUser", s.CreateUser(ctx, u))

	for _, c := range []struct {
		step int64
		want bool
	}{{100, true}, {100, false}, {99, false}, {101, true}, {150, true}, {120, false}} {
		ok, err := s.AdvanceTOTPStep(ctx, u.ID, c.step)
		must(t, "AdvanceTOTPStep", err)
		if ok != c.want {
			t.Errorf("AdvanceTOTPStep(%d) = %v, want %v", c.step, ok, c.want)
		}
	}
	_, err := s.AdvanceTOTPStep(ctx, "no-such-user", 1)
	wantErr(t, "AdvanceTOTPStep unknown user", err, store.ErrNotFound)

	// The same step from many instances at once: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Go(func() {
			ok, err := s.AdvanceTOTPStep(ctx, u.ID, 200)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("step 200 accepted %d times, want once", wins)
	}

	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	lock := func(n int) time.Time {
		if n >= 10 {
			return t0.Add(time.Duration(n) * time.Minute)
		}
		return time.Time{}
	}
	for range 12 {
		wg.Go(func() {
			if _, err := s.AddFailedLogin(ctx, u.ID, lock); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.GetUser(ctx, u.ID)
	must(t, "GetUser", err)
	if got.FailedLogins != 12 || !got.LockedUntil.Equal(t0.Add(12*time.Minute)) {
		t.Errorf("after 12 concurrent failures: %d failures, locked until %v; want 12 and %v",
			got.FailedLogins, got.LockedUntil, t0.Add(12*time.Minute))
	}
	// A shorter lock never shortens a longer one.
	n, err := s.AddFailedLogin(ctx, u.ID, func(int) time.Time { return t0 })
	must(t, "AddFailedLogin", err)
	got, _ = s.GetUser(ctx, u.ID)
	if n != 13 || !got.LockedUntil.Equal(t0.Add(12*time.Minute)) {
		t.Errorf("failure 13: n=%d, locked until %v", n, got.LockedUntil)
	}
	_, err = s.AddFailedLogin(ctx, "no-such-user", nil)
	wantErr(t, "AddFailedLogin unknown user", err, store.ErrNotFound)
}
