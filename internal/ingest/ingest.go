package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// ErrRefused reports input that was not taken. Errors returned by Submit
// wrap it in a *RefusedError that says why.
var ErrRefused = errors.New("ingest: refused")

// Refusal reasons, the "reason" label of vedetta_ingest_refused_total.
const (
	ReasonUnknownSender = "unknown_sender" // no source matches the sender
	ReasonDisabled      = "disabled"       // the source is disabled
	ReasonBacklogFull   = "backlog_full"   // the bus stream is full (bus.ErrFull)
	ReasonUnavailable   = "bus_unavailable"
	ReasonTooLarge      = "too_large"    // message or body over the limit
	ReasonTenantQuota   = "tenant_quota" // the tenant's events/s quota
	ReasonRateLimit     = "rate_limit"   // the source's events/s limit
	ReasonMalformed     = "malformed"    // the request as a whole could not be read
	ReasonShutdown      = "shutdown"
)

// RefusedError says why a batch was refused and when to retry.
type RefusedError struct {
	Reason     string
	RetryAfter time.Duration // 0 when retrying cannot help
	Err        error
}

func (e *RefusedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("ingest: refused (%s): %v", e.Reason, e.Err)
	}
	return "ingest: refused (" + e.Reason + ")"
}

// Unwrap returns ErrRefused and the cause.
func (e *RefusedError) Unwrap() []error { return []error{ErrRefused, e.Err} }

// Retryable reports whether the same batch may be taken later.
func (e *RefusedError) Retryable() bool { return e.RetryAfter > 0 }

func refused(reason string, retry time.Duration, err error) *RefusedError {
	return &RefusedError{Reason: reason, RetryAfter: retry, Err: err}
}

// Sources is what the receivers need from the store.
type Sources interface {
	GetSourceByTokenHash(ctx context.Context, hash string) (*store.Source, error)
	ListAllSources(ctx context.Context) ([]store.Source, error)
	RecordSourceHealth(ctx context.Context, h store.SourceHealth) error
}

// Options configures an Ingester.
type Options struct {
	Bus     bus.Bus
	Sources Sources
	Logger  *slog.Logger
	// Registry receives the vedetta_ingest_* metrics; nil disables them.
	Registry prometheus.Registerer
	// TenantRate caps the events per second a tenant may submit, summed
	// over its sources (0: no quota); TenantBurst is the bucket size
	// (default: one second's worth, at least 1000).
	TenantRate  float64
	TenantBurst int
	// HealthInterval is how often source health is written to the store
	// (default 10s). ReloadInterval is how often the source table is
	// re-read (default 5s).
	HealthInterval time.Duration
	ReloadInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Pack bounds how many events Submit packs into one bus message
	// (defaults: 256 events, 256 KiB).
	Pack PackLimits
}

// Ingester turns parsed records into durable events on the bus. See the
// package documentation.
type Ingester struct {
	bus     bus.Bus
	sources Sources
	log     *slog.Logger
	opts    Options
	m       *metrics
	reg     *registry
	health  *healthBook

	mu       sync.Mutex
	tenants  map[string]*rate.Limiter
	limiters map[string]*sourceLimiter

	encPool sync.Pool // *[]byte
	ids     *idGen
}

type sourceLimiter struct {
	limit int
	l     *rate.Limiter
}

// New builds an Ingester. Call Run to refresh sources and flush health.
func New(opts Options) (*Ingester, error) {
	if opts.Bus == nil || opts.Sources == nil {
		return nil, errors.New("ingest: Bus and Sources are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = 10 * time.Second
	}
	if opts.ReloadInterval <= 0 {
		opts.ReloadInterval = 5 * time.Second
	}
	if opts.TenantRate > 0 && opts.TenantBurst <= 0 {
		opts.TenantBurst = max(int(opts.TenantRate), 1000)
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	in := &Ingester{
		bus: opts.Bus, sources: opts.Sources, opts: opts, m: m,
		log:      opts.Logger.With("component", "ingest"),
		tenants:  make(map[string]*rate.Limiter),
		limiters: make(map[string]*sourceLimiter),
		health:   newHealthBook(),
		ids:      newIDGen(),
	}
	in.reg = newRegistry(opts.Sources, opts.ReloadInterval, in.log)
	return in, nil
}

// Run loads the sources, then keeps them fresh and flushes source health
// until ctx ends (flushing once more on the way out).
func (in *Ingester) Run(ctx context.Context) error {
	if err := in.reg.reload(ctx); err != nil {
		in.log.Warn("ingest: loading sources failed", "err", err)
	}
	reload := time.NewTicker(in.opts.ReloadInterval)
	defer reload.Stop()
	flush := time.NewTicker(in.opts.HealthInterval)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			in.FlushHealth(fctx)
			cancel()
			return nil
		case <-reload.C:
			if err := in.reg.reload(ctx); err != nil && ctx.Err() == nil {
				in.log.Warn("ingest: reloading sources failed", "err", err)
			}
		case <-flush.C:
			in.FlushHealth(ctx)
		}
	}
}

// Sources returns the current source table, for receivers.
func (in *Ingester) registry() *registry { return in.reg }

// Reload re-reads the source table now.
func (in *Ingester) Reload(ctx context.Context) error { return in.reg.reload(ctx) }

// FlushHealth writes the health accumulated since the last flush.
func (in *Ingester) FlushHealth(ctx context.Context) {
	for _, h := range in.health.drain() {
		if err := in.sources.RecordSourceHealth(ctx, h); err != nil {
			in.health.putBack(h)
			if ctx.Err() == nil {
				in.log.Warn("ingest: recording source health failed", "source", h.SourceID, "err", err)
			}
		}
	}
}

// Health returns the in-memory health of a source since the last flush
// plus the events per second over the last minute.
func (in *Ingester) Health(sourceID string) (store.SourceHealth, float64) {
	return in.health.snapshot(sourceID, in.opts.Now())
}

// parseError records a record that could not be parsed.
func (in *Ingester) parseError(kind string, src *store.Source, err error) {
	in.m.errors.WithLabelValues(kind, ReasonMalformed).Inc()
	if src != nil {
		in.health.fail(src.ID, err.Error())
	}
}

// refuse counts a refusal.
func (in *Ingester) refuse(kind, reason string, n int) {
	in.m.refused.WithLabelValues(kind, reason).Add(float64(n))
}

// received counts records read from the wire.
func (in *Ingester) received(kind string, n int) {
	in.m.received.WithLabelValues(kind).Add(float64(n))
}

// Submit stamps evs (tenant and source; a new UUIDv7 id and the time of
// receipt for events without an id) and publishes them durably on the bus;
// it returns nil only once every event is stored. Submitting the same
// stamped events again after a failure reuses their ids, so the bus
// deduplicates what the failed attempt stored (within its duplicate
// window); a caller reusing an event slot for a new record clears its ID.
// kind labels the metrics (a store.Source* kind). On error nothing should
// be acknowledged to the sender: the error wraps ErrRefused (a
// *RefusedError) with the reason; some events of the batch may have been
// stored nevertheless (bus failure in the middle): Submit again with the
// same events (stream receivers do) and the bus deduplicates them; a
// sender that resends its records (HTTP) gets new ids and may duplicate
// them.
func (in *Ingester) Submit(ctx context.Context, kind string, src *store.Source, evs []event.Event) error {
	var p Prepared
	if bp := in.encPool.Get(); bp != nil {
		p.buf = (*bp.(*[]byte))[:0]
	}
	err := in.Prepare(kind, src, evs, &p)
	if err == nil {
		err = in.Publish(ctx, &p)
	}
	if cap(p.buf) <= 16<<20 {
		in.encPool.Put(&p.buf)
	}
	return err
}

// Prepared is a batch stamped and encoded for the bus by Prepare, waiting
// for Publish. Its encoding lives in its own buffer, so the events it was
// made from may be reused as soon as Prepare returns: a stream receiver
// reads and encodes its next batch while the bus stores this one.
type Prepared struct {
	kind   string
	src    *store.Source
	msgs   []bus.Msg
	buf    []byte // the encodings; reused by the next Prepare into the same Prepared
	zbuf   []byte // compressed encodings (CompressMessages), reused likewise
	n      int
	now    time.Time
	latest time.Time
}

// Prepare is the first half of Submit: it checks that src may submit
// len(evs) events now (enabled, rate limit, tenant quota), stamps them and
// encodes them into p, reusing p's buffer. A refusal is counted and
// returned as for Submit.
func (in *Ingester) Prepare(kind string, src *store.Source, evs []event.Event, p *Prepared) error {
	p.kind, p.src, p.msgs, p.n = kind, src, p.msgs[:0], len(evs)
	p.buf = p.buf[:0]
	if len(evs) == 0 {
		return nil
	}
	if !src.Enabled {
		in.refuse(kind, ReasonDisabled, len(evs))
		return refused(ReasonDisabled, 0, nil)
	}
	if rerr := in.allow(src, len(evs)); rerr != nil {
		in.refuse(kind, rerr.Reason, len(evs))
		in.health.fail(src.ID, rerr.Error())
		return rerr
	}
	p.now = in.opts.Now().UTC()
	subject := bus.EventSubject(src.TenantID, src.ID)
	in.stampIDs(evs, p.now)
	for i := range evs {
		ev := &evs[i]
		ev.TenantID, ev.SourceID = src.TenantID, src.ID
		if ev.Observed.IsZero() {
			ev.Observed = ev.Received
		}
		if ev.Category == "" {
			ev.Category = event.CategorySystem
		}
		if !src.KeepRaw {
			ev.Raw = ""
		}
	}
	p.latest = latestObserved(evs)
	p.msgs, p.buf = AppendMessages(p.msgs, p.buf, subject, evs, in.opts.Pack)
	if !in.opts.Pack.Plain {
		p.zbuf = CompressMessages(p.msgs, p.zbuf)
	}
	return nil
}

// Publish is the second half of Submit: it returns nil once the bus holds
// every event of p. On error p may be published again: its message ids
// are unchanged, so the bus deduplicates what an earlier attempt stored.
func (in *Ingester) Publish(ctx context.Context, p *Prepared) error {
	if p.n == 0 {
		return nil
	}
	if err := in.bus.PublishBatch(ctx, p.msgs); err != nil {
		rerr := in.classify(err)
		in.refuse(p.kind, rerr.Reason, p.n)
		in.health.fail(p.src.ID, rerr.Error())
		return rerr
	}
	in.m.accepted.WithLabelValues(p.kind).Add(float64(p.n))
	in.health.accept(p.src.ID, p.n, p.latest, p.now)
	return nil
}

// stampIDs gives the events without an id a new one (see idGen) and now
// as their time of receipt.
func (in *Ingester) stampIDs(evs []event.Event, now time.Time) {
	var ids [64][16]byte
	wall := time.Now()
	for i := 0; i < len(evs); {
		// The next up to 64 events without an id.
		var idx [len(ids)]int
		n := 0
		for ; i < len(evs) && n < len(idx); i++ {
			if evs[i].ID == "" {
				idx[n] = i
				n++
			}
		}
		if n == 0 {
			return
		}
		in.ids.fill(ids[:n], wall)
		// One string holds the n ids: one allocation, not n.
		var text [len(ids) * 36]byte
		b := text[:0]
		for j := range n {
			b = appendID(b, &ids[j])
		}
		all := string(b)
		for j, k := range idx[:n] {
			evs[k].ID = all[j*36 : j*36+36]
			evs[k].Received = now
		}
	}
}

func latestObserved(evs []event.Event) time.Time {
	var t time.Time
	for i := range evs {
		if evs[i].Observed.After(t) {
			t = evs[i].Observed
		}
	}
	return t
}

func (in *Ingester) classify(err error) *RefusedError {
	switch {
	case errors.Is(err, bus.ErrFull):
		return refused(ReasonBacklogFull, 5*time.Second, err)
	case errors.Is(err, bus.ErrTooLarge):
		return refused(ReasonTooLarge, 0, err)
	case errors.Is(err, bus.ErrClosed):
		return refused(ReasonShutdown, 5*time.Second, err)
	default:
		return refused(ReasonUnavailable, 2*time.Second, err)
	}
}

// allow takes n tokens from the tenant quota and the source rate limit.
func (in *Ingester) allow(src *store.Source, n int) *RefusedError {
	now := in.opts.Now()
	in.mu.Lock()
	var tl *rate.Limiter
	if in.opts.TenantRate > 0 {
		tl = in.tenants[src.TenantID]
		if tl == nil {
			tl = rate.NewLimiter(rate.Limit(in.opts.TenantRate), in.opts.TenantBurst)
			in.tenants[src.TenantID] = tl
		}
	}
	var sl *rate.Limiter
	if src.RateLimit > 0 {
		l := in.limiters[src.ID]
		if l == nil || l.limit != src.RateLimit {
			l = &sourceLimiter{limit: src.RateLimit, l: rate.NewLimiter(rate.Limit(src.RateLimit), src.RateLimit)}
			in.limiters[src.ID] = l
		}
		sl = l.l
	}
	in.mu.Unlock()
	if sl != nil {
		if n > sl.Burst() {
			return refused(ReasonRateLimit, 0, fmt.Errorf("batch of %d exceeds the source limit of %d events/s", n, sl.Burst()))
		}
		r := sl.ReserveN(now, n)
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			return refused(ReasonRateLimit, max(d, 100*time.Millisecond), fmt.Errorf("source limit of %d events/s", src.RateLimit))
		}
		if tl != nil {
			if n > tl.Burst() {
				r.CancelAt(now)
				return refused(ReasonTenantQuota, 0, fmt.Errorf("batch of %d exceeds the tenant quota", n))
			}
			tr := tl.ReserveN(now, n)
			if d := tr.DelayFrom(now); d > 0 {
				tr.CancelAt(now)
				r.CancelAt(now)
				return refused(ReasonTenantQuota, max(d, 100*time.Millisecond), fmt.Errorf("tenant quota of %g events/s", in.opts.TenantRate))
			}
		}
		return nil
	}
	if tl != nil {
		if n > tl.Burst() {
			return refused(ReasonTenantQuota, 0, fmt.Errorf("batch of %d exceeds the tenant quota", n))
		}
		tr := tl.ReserveN(now, n)
		if d := tr.DelayFrom(now); d > 0 {
			tr.CancelAt(now)
			return refused(ReasonTenantQuota, max(d, 100*time.Millisecond), fmt.Errorf("tenant quota of %g events/s", in.opts.TenantRate))
		}
	}
	return nil
}

// maxBatch is the largest batch a stream receiver should submit for src,
// so that a batch never exceeds a rate-limit bucket.
func (in *Ingester) maxBatch(src *store.Source, want int) int {
	n := want
	if src.RateLimit > 0 {
		n = min(n, src.RateLimit)
	}
	if in.opts.TenantRate > 0 {
		n = min(n, in.opts.TenantBurst)
	}
	return max(n, 1)
}

// submitRetrying submits evs, retrying refusals that can succeed later
// (full backlog, rate limits) after their pause until ctx ends: the
// back-pressure of stream receivers. Each refusal is counted.
func (in *Ingester) submitRetrying(ctx context.Context, kind string, src *store.Source, evs []event.Event) error {
	return in.retrying(ctx, src, func() error { return in.Submit(ctx, kind, src, evs) })
}

// retrying calls try until it succeeds, fails for good, or ctx ends,
// waiting out refusals that can succeed later (full backlog, rate limits):
// the back-pressure of stream receivers. Each refusal is counted by try.
func (in *Ingester) retrying(ctx context.Context, src *store.Source, try func() error) error {
	for {
		err := try()
		var rerr *RefusedError
		if err == nil || !errors.As(err, &rerr) || !rerr.Retryable() || rerr.Reason == ReasonShutdown {
			return err
		}
		in.log.Debug("ingest: refused, retrying", "source", src.ID, "reason", rerr.Reason, "after", rerr.RetryAfter)
		t := time.NewTimer(min(rerr.RetryAfter, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
