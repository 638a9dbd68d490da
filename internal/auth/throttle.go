package auth

import (
	"container/list"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ThrottleConfig sets the login attempt limits. Each key gets a token
// bucket of Limit attempts refilled evenly over Window, so a burst of Limit
// is allowed and then one attempt per Window/Limit.
type ThrottleConfig struct {
	IPLimit    int           // attempts per client IP (IPv6: per /64) …
	IPWindow   time.Duration // … per this window
	UserLimit  int           // attempts per username …
	UserWindow time.Duration // … per this window
	MaxKeys    int           // IP and username buckets kept in memory, together
}

// DefaultThrottleConfig allows 10 attempts a minute per IP and 5 per
// username per 15 minutes, remembering at most 100 000 keys (about 25 MB).
func DefaultThrottleConfig() ThrottleConfig {
	return ThrottleConfig{
		IPLimit: 10, IPWindow: time.Minute,
		UserLimit: 5, UserWindow: 15 * time.Minute,
		MaxKeys: 100_000,
	}
}

// Validate reports whether every field is positive.
func (c ThrottleConfig) Validate() error {
	if c.IPLimit < 1 || c.IPWindow <= 0 || c.UserLimit < 1 || c.UserWindow <= 0 || c.MaxKeys < 2 {
		return fmt.Errorf("auth: throttle config %+v: limits and windows must be positive, MaxKeys at least 2", c)
	}
	return nil
}

// Throttle limits login attempts per client IP and per username, in memory.
// Every attempt costs one token from both buckets; an attempt is refused,
// costing nothing, when either bucket is empty. A successful login refills
// the username's bucket (Reset), never the IP's, so owning one account does
// not help guess another from the same address.
//
// Memory is bounded by MaxKeys: buckets are kept in least-recently-used
// order, full (idle) buckets are dropped as they reach the old end, and when
// the cap is hit the least recently used bucket is dropped even if not
// full. An attacker able to touch MaxKeys fresh keys faster than a target's
// bucket refills could thereby reset it; the per-IP limit makes that cost
// MaxKeys/IPLimit address-windows.
type Throttle struct {
	cfg              ThrottleConfig
	ipRate, userRate rate.Limit

	mu    sync.Mutex
	lru   *list.List // of *bucket, most recently used at the front
	index map[string]*list.Element
}

type bucket struct {
	key   string
	burst int
	lim   *rate.Limiter
}

// NewThrottle returns an empty Throttle.
func NewThrottle(cfg ThrottleConfig) (*Throttle, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Throttle{
		cfg:      cfg,
		ipRate:   rate.Limit(float64(cfg.IPLimit) / cfg.IPWindow.Seconds()),
		userRate: rate.Limit(float64(cfg.UserLimit) / cfg.UserWindow.Seconds()),
		lru:      list.New(),
		index:    make(map[string]*list.Element),
	}, nil
}

// Allow records a login attempt for username from ip at now. It returns
// ok=false and how long to wait when either limit is exhausted; the refused
// attempt is not counted. Callers sending Retry-After round up to seconds.
func (t *Throttle) Allow(ip, username string, now time.Time) (retryAfter time.Duration, ok bool) {
	ipKey, userKey := ipThrottleKey(ip), userThrottleKey(username)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pruneIdle(now)
	ipB := t.get(ipKey, t.ipRate, t.cfg.IPLimit, now)
	userB := t.get(userKey, t.userRate, t.cfg.UserLimit, now)
	wait := max(waitFor(ipB.lim, now), waitFor(userB.lim, now))
	if wait > 0 {
		return wait, false
	}
	ipB.lim.AllowN(now, 1)
	userB.lim.AllowN(now, 1)
	return 0, true
}

// Reset forgets the attempts counted against username, after a successful
// login.
func (t *Throttle) Reset(username string) {
	key := userThrottleKey(username)
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.index[key]; ok {
		t.lru.Remove(e)
		delete(t.index, key)
	}
}

// Len returns the number of buckets held.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}

// waitFor returns how long until lim has one whole token, 0 if it has.
func waitFor(lim *rate.Limiter, now time.Time) time.Duration {
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	d := time.Duration((1 - tokens) / float64(lim.Limit()) * float64(time.Second))
	return max(d, time.Nanosecond)
}

// get returns key's bucket, creating it full, and marks it recently used.
// t.mu is held.
func (t *Throttle) get(key string, r rate.Limit, burst int, now time.Time) *bucket {
	if e, ok := t.index[key]; ok {
		t.lru.MoveToFront(e)
		return e.Value.(*bucket)
	}
	for t.lru.Len() >= t.cfg.MaxKeys {
		t.removeElement(t.lru.Back())
	}
	b := &bucket{key: key, burst: burst, lim: rate.NewLimiter(r, burst)}
	b.lim.SetBurstAt(now, burst) // anchor the bucket's clock at now
	t.index[key] = t.lru.PushFront(b)
	return b
}

// pruneIdle drops up to a few full buckets from the old end: forgetting a
// full bucket loses nothing, since a new one starts full. t.mu is held.
func (t *Throttle) pruneIdle(now time.Time) {
	for range 4 {
		e := t.lru.Back()
		if e == nil {
			return
		}
		b := e.Value.(*bucket)
		if b.lim.TokensAt(now) < float64(b.burst) {
			return
		}
		t.removeElement(e)
	}
}

func (t *Throttle) removeElement(e *list.Element) {
	t.lru.Remove(e)
	delete(t.index, e.Value.(*bucket).key)
}

// ipThrottleKey normalises a client address: IPv4-mapped IPv6 becomes IPv4,
// IPv6 is reduced to its /64 (one subscriber's usual allocation), a port or
// zone is dropped, and anything unparsable is kept verbatim (bounded).
func ipThrottleKey(ip string) string {
	if ap, err := netip.ParseAddrPort(ip); err == nil {
		ip = ap.Addr().String()
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip?" + truncateBytes(ip, 64)
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + addr.String()
}

func userThrottleKey(username string) string {
	return "user:" + truncateBytes(strings.ToLower(strings.TrimSpace(username)), 256)
}

func truncateBytes(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
