package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Login outcomes. Login returns ErrBadCredentials alike for an unknown
// username, a wrong password and an account without a password, so the
// answer does not reveal which usernames exist.
var (
	ErrBadCredentials = errors.New("auth: bad username or password")
	ErrLocked         = errors.New("auth: account locked")
	ErrThrottled      = errors.New("auth: too many login attempts")
	ErrDisabled       = errors.New("auth: account disabled")
)

// LockedError is returned by Login for a locked account; it wraps ErrLocked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "auth: account locked until " + e.Until.UTC().Format(time.RFC3339)
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// ThrottledError is returned by Login when the client IP or the username
// has made too many attempts; it wraps ErrThrottled.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many login attempts, retry after %v", e.RetryAfter.Round(time.Second))
}

// Unwrap returns ErrThrottled.
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// UserStore is the part of store.Store the Authenticator uses.
type UserStore interface {
	GetUserByUsername(ctx context.Context, username string) (*store.User, error)
	UpdateUser(ctx context.Context, u *store.User) error
	AddFailedLogin(ctx context.Context, userID string, lockUntil func(failures int) time.Time) (int, error)
}

// Options configures an Authenticator. Zero fields take the defaults noted.
type Options struct {
	Hasher   Hasher           // DefaultHasher()
	Lockout  LockoutPolicy    // DefaultLockoutPolicy()
	Throttle *Throttle        // NewThrottle(DefaultThrottleConfig())
	Now      func() time.Time // time.Now
	Logger   *slog.Logger     // discard
	// MaxConcurrentHashes bounds the argon2id computations running at once
	// (each holds Hasher.Memory KiB); further logins wait. Default
	// runtime.GOMAXPROCS(0).
	MaxConcurrentHashes int
}

// userLockStripes serialises logins per username (hashed onto stripes) so
// that concurrent failures for one account are all counted.
const userLockStripes = 256

// Authenticator checks username and password logins: throttling, lockout,
// argon2id verification, transparent rehashing. The second factor is the
// caller's: when the returned user has TOTPEnabled, the session starts
// with TOTPPending set. It is safe for concurrent use.
//
// Within one process, logins for the same username are serialised; the
// store counts failures atomically (AddFailedLogin), so failures on
// several instances sharing a database are all counted too.
type Authenticator struct {
	users     UserStore
	hasher    Hasher
	lockout   LockoutPolicy
	throttle  *Throttle
	now       func() time.Time
	log       *slog.Logger
	hashSlots chan struct{}
	stripes   [userLockStripes]chan struct{}
	seed      maphash.Seed
	dummyHash string

	verifies atomic.Int64 // argon2id verifications run, for tests
}

// NewAuthenticator returns an Authenticator over users. It computes one
// hash up front (the dummy hash verified for unknown usernames).
func NewAuthenticator(users UserStore, opts Options) (*Authenticator, error) {
	if opts.Hasher == (Hasher{}) {
		opts.Hasher = DefaultHasher()
	}
	if opts.Lockout == (LockoutPolicy{}) {
		opts.Lockout = DefaultLockoutPolicy()
	}
	if err := opts.Lockout.Validate(); err != nil {
		return nil, err
	}
	if opts.Throttle == nil {
		th, err := NewThrottle(DefaultThrottleConfig())
		if err != nil {
			return nil, err
		}
		opts.Throttle = th
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxConcurrentHashes <= 0 {
		opts.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	a := &Authenticator{
		users:     users,
		hasher:    opts.Hasher,
		lockout:   opts.Lockout,
		throttle:  opts.Throttle,
		now:       opts.Now,
		log:       opts.Logger.With("component", "auth"),
		hashSlots: make(chan struct{}, opts.MaxConcurrentHashes),
		seed:      maphash.MakeSeed(),
	}
	for i := range a.stripes {
		a.stripes[i] = make(chan struct{}, 1)
	}
	dummy, err := a.hasher.Hash(rand.Text())
	if err != nil {
		return nil, err
	}
	a.dummyHash = dummy
	return a, nil
}

// Login checks username and password from the client at ip. On success it
// clears the failure count, upgrades the stored hash when the Hasher's cost
// changed, and returns the user. Errors: a *ThrottledError (ErrThrottled),
// a *LockedError (ErrLocked), ErrBadCredentials, ErrDisabled (only after
// the right password), or a wrapped store, context or ErrMalformedHash
// error for the caller to treat as an internal failure.
func (a *Authenticator) Login(ctx context.Context, username, password, ip string) (*store.User, error) {
	now := a.now()
	username = strings.ToLower(strings.TrimSpace(username))
	if wait, ok := a.throttle.Allow(ip, username, now); !ok {
		return nil, &ThrottledError{RetryAfter: wait}
	}
	// No stored password can be this long or empty-named: refuse without
	// a lookup (which reveals nothing about which usernames exist).
	if username == "" || len(username) > 256 || len(password) > MaxPasswordBytes {
		return nil, ErrBadCredentials
	}

	unlock, err := a.lockUser(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	defer unlock()

	u, err := a.users.GetUserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, a.fail(ctx, password)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	if IsLocked(u, now) {
		return nil, &LockedError{Until: u.LockedUntil}
	}
	if u.PasswordHash == "" {
		return nil, a.fail(ctx, password)
	}
	ok, rehash, err := a.verify(ctx, password, u.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("auth: login of user %s: %w", u.ID, err)
	}
	if !ok {
		// Counted in the store in one statement, so failures on several
		// instances at once are all counted.
		n, err := a.users.AddFailedLogin(ctx, u.ID, func(n int) time.Time {
			if d := a.lockout.lockDuration(n); d > 0 {
				return now.Add(d)
			}
			return time.Time{}
		})
		if err != nil {
			return nil, fmt.Errorf("auth: record failed login of user %s: %w", u.ID, err)
		}
		if d := a.lockout.lockDuration(n); d > 0 {
			a.log.Warn("account locked", "user_id", u.ID, "failures", n, "until", now.Add(d), "ip", ip)
		}
		return nil, ErrBadCredentials
	}
	if u.Disabled {
		return nil, ErrDisabled
	}
	dirty := u.FailedLogins != 0 || !u.LockedUntil.IsZero()
	RecordSuccess(u)
	if rehash {
		h, err := a.hash(ctx, password)
		if err != nil {
			return nil, fmt.Errorf("auth: rehash password of user %s: %w", u.ID, err)
		}
		u.PasswordHash = h
		dirty = true
	}
	if dirty {
		if err := a.users.UpdateUser(ctx, u); err != nil {
			return nil, fmt.Errorf("auth: record login of user %s: %w", u.ID, err)
		}
	}
	a.throttle.Reset(username)
	return u, nil
}

// HashPassword applies the password policy (CheckPassword) and returns the
// PHC hash to store, computed within the Authenticator's hash concurrency
// bound. Use it when a user sets or an admin resets a password.
func (a *Authenticator) HashPassword(ctx context.Context, password, username string) (string, error) {
	if err := CheckPassword(password, username); err != nil {
		return "", err
	}
	return a.hash(ctx, password)
}

// fail verifies password against the dummy hash, so that a login for a
// username without a usable password takes as long as a wrong password,
// and returns ErrBadCredentials.
func (a *Authenticator) fail(ctx context.Context, password string) error {
	if _, _, err := a.verify(ctx, password, a.dummyHash); err != nil {
		return fmt.Errorf("auth: login: %w", err)
	}
	return ErrBadCredentials
}

func (a *Authenticator) verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	select {
	case a.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return false, false, ctx.Err()
	}
	defer func() { <-a.hashSlots }()
	a.verifies.Add(1)
	return a.hasher.Verify(password, encoded)
}

func (a *Authenticator) hash(ctx context.Context, password string) (string, error) {
	select {
	case a.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-a.hashSlots }()
	return a.hasher.Hash(password)
}

// lockUser takes the stripe lock for username, or gives up with ctx.
func (a *Authenticator) lockUser(ctx context.Context, username string) (unlock func(), err error) {
	ch := a.stripes[maphash.String(a.seed, username)%userLockStripes]
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
