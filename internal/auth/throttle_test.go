package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func newTestThrottle(t *testing.T, cfg ThrottleConfig) *Throttle {
	t.Helper()
	th, err := NewThrottle(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestThrottlePerIP(t *testing.T) {
	th := newTestThrottle(t, DefaultThrottleConfig())
	for i := range 10 {
		if _, ok := th.Allow("192.0.2.7", fmt.Sprint("user", i), t0); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	wait, ok := th.Allow("192.0.2.7", "user99", t0)
	if ok || wait != 6*time.Second {
		t.Fatalf("11th attempt = %v, %v; want refused, 6s", wait, ok)
	}
	// Another address is unaffected.
	if _, ok := th.Allow("192.0.2.8", "user99", t0); !ok {
		t.Fatal("other IP refused")
	}
	// Refused attempts cost nothing: just before the wait ends still
	// refused, at its end exactly one more is allowed.
	if _, ok := th.Allow("192.0.2.7", "x", t0.Add(5999*time.Millisecond)); ok {
		t.Fatal("allowed before retry-after elapsed")
	}
	if _, ok := th.Allow("192.0.2.7", "y", t0.Add(6*time.Second)); !ok {
		t.Fatal("refused after retry-after elapsed")
	}
	if _, ok := th.Allow("192.0.2.7", "z", t0.Add(6*time.Second)); ok {
		t.Fatal("two allowed after one refill")
	}
	// A full minute refills all ten.
	for i := range 10 {
		if _, ok := th.Allow("192.0.2.7", fmt.Sprint("later", i), t0.Add(2*time.Minute)); !ok {
			t.Fatalf("after refill, attempt %d refused", i+1)
		}
	}
}

func TestThrottlePerUsername(t *testing.T) {
	th := newTestThrottle(t, DefaultThrottleConfig())
	for i := range 5 {
		if _, ok := th.Allow(fmt.Sprintf("198.51.100.%d", i), "MRossi ", t0); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	wait, ok := th.Allow("203.0.113.1", "mrossi", t0)
	if ok || wait != 3*time.Minute {
		t.Fatalf("6th attempt on the username = %v, %v; want refused, 3m", wait, ok)
	}
	if _, ok := th.Allow("203.0.113.1", "gbianchi", t0); !ok {
		t.Fatal("other username refused")
	}
	th.Reset("mrossi")
	if _, ok := th.Allow("203.0.113.2", "mrossi", t0); !ok {
		t.Fatal("refused after Reset")
	}
}

func TestThrottleResetKeepsIP(t *testing.T) {
	th := newTestThrottle(t, DefaultThrottleConfig())
	for range 10 {
		th.Allow("192.0.2.1", "own", t0)
		th.Reset("own")
	}
	if _, ok := th.Allow("192.0.2.1", "victim", t0); ok {
		t.Fatal("resetting a username refilled the IP bucket")
	}
}

func TestThrottleIPv6Prefix(t *testing.T) {
	th := newTestThrottle(t, DefaultThrottleConfig())
	for i := range 10 {
		th.Allow(fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprint("u", i), t0)
	}
	if _, ok := th.Allow("2001:db8:1:2:ffff::1", "u99", t0); ok {
		t.Error("same /64 not throttled together")
	}
	if _, ok := th.Allow("2001:db8:1:3::1", "u99", t0); !ok {
		t.Error("different /64 throttled")
	}
}

func TestIPThrottleKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "ip:192.0.2.1"},
		{"192.0.2.1:54321", "ip:192.0.2.1"},
		{"::ffff:192.0.2.1", "ip:192.0.2.1"},
		{"2001:db8:aa:bb:cc:dd:ee:ff", "ip:2001:db8:aa:bb::/64"},
		{"[2001:db8::1]:443", "ip:2001:db8::/64"},
		{"fe80::1%eth0", "ip:fe80::/64"},
		{"", "ip?"},
		{"not an ip", "ip?not an ip"},
	}
	for _, tt := range tests {
		if got := ipThrottleKey(tt.in); got != tt.want {
			t.Errorf("ipThrottleKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestThrottleBoundedMemory(t *testing.T) {
	cfg := DefaultThrottleConfig()
	cfg.MaxKeys = 50
	th := newTestThrottle(t, cfg)
	for i := range 1000 {
		th.Allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256), fmt.Sprint("user", i), t0)
		if n := th.Len(); n > 50 {
			t.Fatalf("after %d attempts Len = %d > MaxKeys", i+1, n)
		}
	}
	// Once every bucket has refilled, later calls shed the idle ones.
	later := t0.Add(time.Hour)
	for i := range 20 {
		th.Allow("10.9.9.9", fmt.Sprint("late", i%2), later)
	}
	if n := th.Len(); n > 3 {
		t.Errorf("Len = %d after all buckets went idle, want ≤ 3", n)
	}
}

func TestThrottleConcurrent(t *testing.T) {
	th := newTestThrottle(t, DefaultThrottleConfig())
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				if _, ok := th.Allow("192.0.2.50", fmt.Sprintf("g%d-%d", g, i), t0); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 10 {
		t.Errorf("%d concurrent attempts allowed, want exactly 10", got)
	}
}

func TestThrottleConfigValidate(t *testing.T) {
	bad := []func(*ThrottleConfig){
		func(c *ThrottleConfig) { c.IPLimit = 0 },
		func(c *ThrottleConfig) { c.IPWindow = 0 },
		func(c *ThrottleConfig) { c.UserLimit = -1 },
		func(c *ThrottleConfig) { c.UserWindow = -time.Second },
		func(c *ThrottleConfig) { c.MaxKeys = 1 },
	}
	for i, mod := range bad {
		c := DefaultThrottleConfig()
		mod(&c)
		if _, err := NewThrottle(c); err == nil {
			t.Errorf("case %d: NewThrottle(%+v) accepted", i, c)
		}
	}
}
