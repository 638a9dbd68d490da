package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// fakeUsers is an in-memory UserStore. It stores copies, as a database
// would, so the test sees only what UpdateUser wrote.
type fakeUsers struct {
	mu      sync.Mutex
	users   map[string]store.User // by username
	updates int
	getErr  error
	updErr  error
}

func newFakeUsers(us ...store.User) *fakeUsers {
	f := &fakeUsers{users: make(map[string]store.User)}
	for _, u := range us {
		f.users[u.Username] = u
	}
	return f
}

func (f *fakeUsers) GetUserByUsername(_ context.Context, username string) (*store.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErr != nil {
		return nil, f.getErr
	}
	u, ok := f.users[username]
	if !ok {
		return nil, fmt.Errorf("fake: user %q: %w", username, store.ErrNotFound)
	}
	return &u, nil
}

func (f *fakeUsers) UpdateUser(_ context.Context, u *store.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.updErr != nil {
		return f.updErr
	}
	if _, ok := f.users[u.Username]; !ok {
		return store.ErrNotFound
	}
	f.users[u.Username] = *u
	f.updates++
	return nil
}

func (f *fakeUsers) AddFailedLogin(_ context.Context, userID string, lockUntil func(int) time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.updErr != nil {
		return 0, f.updErr
	}
	for name, u := range f.users {
		if u.ID != userID {
			continue
		}
		u.FailedLogins++
		if lockUntil != nil {
			if t := lockUntil(u.FailedLogins); t.After(u.LockedUntil) {
				u.LockedUntil = t
			}
		}
		f.users[name] = u
		f.updates++
		return u.FailedLogins, nil
	}
	return 0, store.ErrNotFound
}

func (f *fakeUsers) get(username string) store.User {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.users[username]
}

const goodPassword = "vela rossa sul molo 7"

// fixture builds an Authenticator with the cheap TestHasher, a clock the
// test moves, and a throttle loose enough not to interfere unless wanted.
type fixture struct {
	a     *Authenticator
	users *fakeUsers
	now   time.Time
}

func newFixture(t *testing.T, thr ThrottleConfig, us ...store.User) *fixture {
	t.Helper()
	f := &fixture{users: newFakeUsers(us...), now: t0}
	th, err := NewThrottle(thr)
	if err != nil {
		t.Fatal(err)
	}
	f.a, err = NewAuthenticator(f.users, Options{
		Hasher:   TestHasher(),
		Throttle: th,
		Now:      func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func looseThrottle() ThrottleConfig {
	return ThrottleConfig{IPLimit: 1000, IPWindow: time.Second, UserLimit: 1000, UserWindow: time.Second, MaxKeys: 100}
}

func testUser(t *testing.T, username string, mod func(*store.User)) store.User {
	t.Helper()
	h, err := TestHasher().Hash(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{ID: "id-" + username, Username: username, PasswordHash: h}
	if mod != nil {
		mod(&u)
	}
	return u
}

func TestLogin(t *testing.T) {
	weak, _ := Hasher{Memory: 32, Time: 1, Threads: 1}.Hash(goodPassword)
	tests := []struct {
		name        string
		user        store.User
		login       string
		password    string
		wantErr     error
		wantFailed  int  // FailedLogins stored afterwards
		wantUpdates int  // UpdateUser calls
		wantVerify  bool // an argon2id verification ran
	}{
		{name: "success", user: testUser(t, "mrossi", nil),
			login: "mrossi", password: goodPassword, wantVerify: true},
		{name: "success, username case and spaces", user: testUser(t, "mrossi", nil),
			login: "  MRossi ", password: goodPassword, wantVerify: true},
		{name: "success clears failures", user: testUser(t, "mrossi", func(u *store.User) { u.FailedLogins = 4 }),
			login: "mrossi", password: goodPassword, wantUpdates: 1, wantVerify: true},
		{name: "success after lock expired", user: testUser(t, "mrossi", func(u *store.User) {
			u.FailedLogins = 10
			u.LockedUntil = t0.Add(-time.Second)
		}), login: "mrossi", password: goodPassword, wantUpdates: 1, wantVerify: true},
		{name: "wrong password", user: testUser(t, "mrossi", nil),
			login: "mrossi", password: "wrong", wantErr: ErrBadCredentials, wantFailed: 1, wantUpdates: 1, wantVerify: true},
		{name: "unknown user verifies the dummy hash", user: testUser(t, "mrossi", nil),
			login: "gbianchi", password: goodPassword, wantErr: ErrBadCredentials, wantVerify: true},
		{name: "no password set", user: testUser(t, "mrossi", func(u *store.User) { u.PasswordHash = "" }),
			login: "mrossi", password: "", wantErr: ErrBadCredentials, wantVerify: true},
		{name: "empty username", user: testUser(t, "mrossi", nil),
			login: "   ", password: goodPassword, wantErr: ErrBadCredentials},
		{name: "overlong password", user: testUser(t, "mrossi", nil),
			login: "mrossi", password: string(make([]byte, 257)), wantErr: ErrBadCredentials},
		{name: "locked, right password", user: testUser(t, "mrossi", func(u *store.User) {
			u.FailedLogins = 10
			u.LockedUntil = t0.Add(time.Minute)
		}), login: "mrossi", password: goodPassword, wantErr: ErrLocked, wantFailed: 10},
		{name: "locked, wrong password is not counted", user: testUser(t, "mrossi", func(u *store.User) {
			u.FailedLogins = 10
			u.LockedUntil = t0.Add(time.Minute)
		}), login: "mrossi", password: "wrong", wantErr: ErrLocked, wantFailed: 10},
		{name: "disabled, right password", user: testUser(t, "mrossi", func(u *store.User) { u.Disabled = true }),
			login: "mrossi", password: goodPassword, wantErr: ErrDisabled, wantVerify: true},
		{name: "disabled, wrong password", user: testUser(t, "mrossi", func(u *store.User) { u.Disabled = true }),
			login: "mrossi", password: "wrong", wantErr: ErrBadCredentials, wantFailed: 1, wantUpdates: 1, wantVerify: true},
		{name: "weak stored hash is upgraded", user: testUser(t, "mrossi", func(u *store.User) { u.PasswordHash = weak }),
			login: "mrossi", password: goodPassword, wantUpdates: 1, wantVerify: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, looseThrottle(), tt.user)
			got, err := f.a.Login(t.Context(), tt.login, tt.password, "192.0.2.1")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Login error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got == nil || got.ID != tt.user.ID) {
				t.Fatalf("Login returned %+v, want user %s", got, tt.user.ID)
			}
			if err != nil && got != nil {
				t.Errorf("Login returned a user with error %v", err)
			}
			stored := f.users.get(tt.user.Username)
			if stored.FailedLogins != tt.wantFailed {
				t.Errorf("stored FailedLogins = %d, want %d", stored.FailedLogins, tt.wantFailed)
			}
			if f.users.updates != tt.wantUpdates {
				t.Errorf("UpdateUser calls = %d, want %d", f.users.updates, tt.wantUpdates)
			}
			if v := f.a.verifies.Load(); (v > 0) != tt.wantVerify || v > 1 {
				t.Errorf("verifications = %d, want %v (at most 1)", v, tt.wantVerify)
			}
			if ok, rehash, err := TestHasher().Verify(goodPassword, stored.PasswordHash); stored.PasswordHash != "" && (!ok || rehash || err != nil) {
				t.Errorf("stored hash after login: ok=%v rehash=%v err=%v; want a current TestHasher hash", ok, rehash, err)
			}
		})
	}
}

func TestLoginLockedError(t *testing.T) {
	until := t0.Add(10 * time.Minute)
	f := newFixture(t, looseThrottle(), testUser(t, "mrossi", func(u *store.User) { u.FailedLogins = 10; u.LockedUntil = until }))
	_, err := f.a.Login(t.Context(), "mrossi", goodPassword, "192.0.2.1")
	var le *LockedError
	if !errors.As(err, &le) || !le.Until.Equal(until) {
		t.Fatalf("Login error = %v, want *LockedError until %v", err, until)
	}
}

func TestLoginLockoutOverTime(t *testing.T) {
	f := newFixture(t, looseThrottle(), testUser(t, "mrossi", nil))
	ctx := t.Context()
	for i := 1; i <= 10; i++ {
		if _, err := f.a.Login(ctx, "mrossi", "wrong", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := f.a.Login(ctx, "mrossi", goodPassword, "192.0.2.1"); !errors.Is(err, ErrLocked) {
		t.Fatalf("right password while locked: %v, want ErrLocked", err)
	}
	f.now = f.now.Add(15 * time.Minute)
	if _, err := f.a.Login(ctx, "mrossi", "wrong", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("11th failure: %v", err)
	}
	if u := f.users.get("mrossi"); u.LockedUntil.Sub(f.now) != 30*time.Minute {
		t.Fatalf("11th failure locked for %v, want 30m", u.LockedUntil.Sub(f.now))
	}
	f.now = f.now.Add(30 * time.Minute)
	if _, err := f.a.Login(ctx, "mrossi", goodPassword, "192.0.2.1"); err != nil {
		t.Fatalf("right password after the lock: %v", err)
	}
	if u := f.users.get("mrossi"); u.FailedLogins != 0 || !u.LockedUntil.IsZero() {
		t.Errorf("after success: FailedLogins %d, LockedUntil %v", u.FailedLogins, u.LockedUntil)
	}
}

func TestLoginThrottled(t *testing.T) {
	f := newFixture(t, DefaultThrottleConfig(), testUser(t, "mrossi", nil))
	ctx := t.Context()
	for i := range 5 {
		if _, err := f.a.Login(ctx, "mrossi", "wrong", fmt.Sprintf("198.51.100.%d", i)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	before := f.a.verifies.Load()
	_, err := f.a.Login(ctx, "MROSSI", goodPassword, "198.51.100.9")
	var te *ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) || te.RetryAfter != 3*time.Minute {
		t.Fatalf("6th attempt: %v, want *ThrottledError after 3m", err)
	}
	if f.a.verifies.Load() != before {
		t.Error("a throttled attempt ran a hash")
	}
	// A success resets the username's budget.
	f.now = f.now.Add(3 * time.Minute)
	if _, err := f.a.Login(ctx, "mrossi", goodPassword, "198.51.100.9"); err != nil {
		t.Fatalf("after waiting: %v", err)
	}
	for i := range 5 {
		if _, err := f.a.Login(ctx, "mrossi", goodPassword, fmt.Sprintf("203.0.113.%d", i)); err != nil {
			t.Fatalf("after a success, attempt %d: %v", i+1, err)
		}
	}
}

func TestLoginStoreErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	f := newFixture(t, looseThrottle(), testUser(t, "mrossi", nil))
	f.users.getErr = boom
	_, err := f.a.Login(t.Context(), "mrossi", goodPassword, "192.0.2.1")
	if !errors.Is(err, boom) || errors.Is(err, ErrBadCredentials) {
		t.Errorf("get failure: %v, want the store error, not ErrBadCredentials", err)
	}
	f.users.getErr = nil
	f.users.updErr = boom
	if _, err := f.a.Login(t.Context(), "mrossi", "wrong", "192.0.2.1"); !errors.Is(err, boom) {
		t.Errorf("update failure after a wrong password: %v, want the store error", err)
	}
}

func TestLoginMalformedStoredHash(t *testing.T) {
	f := newFixture(t, looseThrottle(), testUser(t, "mrossi", func(u *store.User) { u.PasswordHash = "$2a$10$bcrypt" }))
	_, err := f.a.Login(t.Context(), "mrossi", goodPassword, "192.0.2.1")
	if !errors.Is(err, ErrMalformedHash) {
		t.Errorf("Login error = %v, want ErrMalformedHash", err)
	}
}

func TestLoginContextCancelled(t *testing.T) {
	f := newFixture(t, looseThrottle(), testUser(t, "mrossi", nil))
	// Occupy every hash slot, so Login must wait and then give up.
	for range cap(f.a.hashSlots) {
		f.a.hashSlots <- struct{}{}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.a.Login(ctx, "mrossi", goodPassword, "192.0.2.1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Login error = %v, want context.Canceled", err)
	}
}

// TestLoginConcurrentFailuresAllCounted runs parallel wrong logins for one
// user; the per-username lock must make every failure count.
func TestLoginConcurrentFailuresAllCounted(t *testing.T) {
	f := newFixture(t, looseThrottle(), testUser(t, "mrossi", nil))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := f.a.Login(t.Context(), "mrossi", "wrong", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("Login: %v", err)
			}
		})
	}
	wg.Wait()
	if got := f.users.get("mrossi").FailedLogins; got != 8 {
		t.Errorf("FailedLogins = %d after 8 concurrent failures, want 8", got)
	}
}

func TestHashPassword(t *testing.T) {
	f := newFixture(t, looseThrottle())
	if _, err := f.a.HashPassword(t.Context(), "password1234", "mrossi"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("weak password: %v, want ErrWeakPassword", err)
	}
	h, err := f.a.HashPassword(t.Context(), goodPassword, "mrossi")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := TestHasher().Verify(goodPassword, h); !ok || err != nil {
		t.Errorf("hash does not verify: %v, %v", ok, err)
	}
}

func TestNewAuthenticatorDefaults(t *testing.T) {
	if _, err := NewAuthenticator(newFakeUsers(), Options{Hasher: TestHasher(), Lockout: LockoutPolicy{Threshold: 1}}); err == nil {
		t.Error("accepted an invalid lockout policy")
	}
	if _, err := NewAuthenticator(newFakeUsers(), Options{Hasher: Hasher{Memory: 1}}); err == nil {
		t.Error("accepted an invalid hasher")
	}
	a, err := NewAuthenticator(newFakeUsers(), Options{Hasher: TestHasher()})
	if err != nil {
		t.Fatal(err)
	}
	if a.lockout != DefaultLockoutPolicy() || a.throttle == nil || a.now == nil || cap(a.hashSlots) < 1 {
		t.Errorf("defaults not applied: %+v", a)
	}
}

// Any store.Store backend can be handed to NewAuthenticator.
var _ UserStore = store.Store(nil)
