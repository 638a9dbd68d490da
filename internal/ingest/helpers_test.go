package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// fakeSources is an in-memory Sources.
type fakeSources struct {
	mu     sync.Mutex
	srcs   []store.Source
	health []store.SourceHealth
	seq    int
}

func (f *fakeSources) add(s store.Source) store.Source {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	if s.ID == "" {
		s.ID = fmt.Sprintf("src-%d", f.seq)
	}
	s.CreatedAt = time.Unix(1700000000, 0).UTC()
	s.UpdatedAt = s.CreatedAt
	f.srcs = append(f.srcs, s)
	return s
}

func (f *fakeSources) GetSourceByTokenHash(_ context.Context, hash string) (*store.Source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.srcs {
		if s.TokenHash == hash && s.Kind == store.SourceHTTP && s.Enabled {
			return &s, nil
		}
	}
	return nil, store.ErrNotFound
}

func (f *fakeSources) ListAllSources(context.Context) ([]store.Source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.Source(nil), f.srcs...), nil
}

func (f *fakeSources) RecordSourceHealth(_ context.Context, h store.SourceHealth) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.health = append(f.health, h)
	return nil
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testStream is an EVENTS stream that keeps every message until the
// collector's durable "test" acknowledged it.
func testStream(maxMsgs int64) []bus.StreamConfig {
	return []bus.StreamConfig{{
		Name: bus.StreamEvents, Subjects: []string{bus.AllEvents}, Retention: bus.RetainInterest,
		MaxMsgs: maxMsgs, MaxAge: time.Hour, Durables: []bus.DurableConfig{{Name: "test"}},
	}}
}

// env is an Ingester on an embedded bus with a fake source table.
type env struct {
	t    *testing.T
	bus  *natsbus.Bus
	srcs *fakeSources
	in   *Ingester
	reg  *prometheus.Registry
}

type envOpts struct {
	maxMsgs    int64
	tenantRate float64
	bus        *natsbus.Bus // external bus; nil opens an embedded one
	now        func() time.Time
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	b := o.bus
	if b == nil {
		var err error
		b, err = natsbus.OpenEmbedded(t.Context(), natsbus.Options{StoreDir: t.TempDir(), Streams: testStream(o.maxMsgs)}, testLogger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
	}
	e := &env{t: t, bus: b, srcs: &fakeSources{}, reg: prometheus.NewRegistry()}
	in, err := New(Options{Bus: b, Sources: e.srcs, Logger: testLogger(), Registry: e.reg,
		TenantRate: o.tenantRate, Now: o.now, ReloadInterval: 100 * time.Millisecond, HealthInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.in = in
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// frozenClock is a clock that does not move: rate limits do not refill.
func frozenClock() func() time.Time {
	t := time.Now()
	return func() time.Time { return t }
}

// addSource adds a source and reloads the table.
func (e *env) addSource(s store.Source) store.Source {
	e.t.Helper()
	if s.TenantID == "" {
		s.TenantID = "tenant-a"
	}
	s.Enabled = true
	s = e.srcs.add(s)
	if err := e.in.Reload(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// httpSource adds an HTTP source and returns it with its token.
func (e *env) httpSource(tenant, format, config string) (store.Source, string) {
	secret, prefix, _ := auth.NewAPIToken()
	s := e.addSource(store.Source{TenantID: tenant, Name: "http " + format, Kind: store.SourceHTTP, Format: format,
		Config: config, TokenPrefix: prefix, TokenHash: auth.HashToken(secret), KeepRaw: true})
	return s, secret
}

// collector reads every event of the stream.
type collector struct {
	mu   sync.Mutex
	evs  []event.Event
	ids  map[string]int
	n    atomic.Int64
	errs []error
}

func (e *env) collect(durable string) *collector {
	e.t.Helper()
	return e.collectFrom(bus.StreamEvents, durable)
}

// collectFrom reads every event of a stream with a durable consumer.
func (e *env) collectFrom(stream, durable string) *collector {
	e.t.Helper()
	c := &collector{ids: make(map[string]int)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := e.bus.Consume(ctx, stream, durable, nil, func(_ context.Context, batch []bus.Delivery) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, d := range batch {
				evs, err := DecodeMessage(nil, d.Data)
				if err != nil {
					c.errs = append(c.errs, err)
					continue
				}
				if want := MessageID(evs); d.ID != want {
					c.errs = append(c.errs, fmt.Errorf("message id %q != %q of its events", d.ID, want))
				}
				for _, ev := range evs {
					tenant, source, err := bus.ParseEventSubject(d.Subject)
					if err != nil || tenant != ev.TenantID || source != ev.SourceID {
						c.errs = append(c.errs, fmt.Errorf("subject %q does not match event %s/%s", d.Subject, ev.TenantID, ev.SourceID))
					}
					c.ids[ev.ID]++
					c.evs = append(c.evs, ev)
				}
			}
			c.n.Store(int64(len(c.evs)))
			return nil
		}, bus.ConsumeOptions{})
		if err != nil && ctx.Err() == nil {
			e.t.Errorf("consume: %v", err)
		}
	}()
	e.t.Cleanup(func() { cancel(); <-done })
	return c
}

// wait waits until at least n events arrived and returns them.
func (c *collector) wait(t *testing.T, n int) []event.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for c.n.Load() < int64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("got %d events, want %d", c.n.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, err := range c.errs {
		t.Error(err)
	}
	for id, k := range c.ids {
		if k > 1 {
			t.Errorf("event %s delivered %d times", id, k)
		}
	}
	return append([]event.Event(nil), c.evs...)
}

// settle waits a little and returns the events so far (for "nothing more
// arrives" checks).
func (c *collector) settle() []event.Event {
	time.Sleep(300 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.evs...)
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

func (e *env) counter(name string, labels ...string) float64 {
	e.t.Helper()
	var c prometheus.Counter
	switch name {
	case "received":
		c = e.in.m.received.WithLabelValues(labels...)
	case "accepted":
		c = e.in.m.accepted.WithLabelValues(labels...)
	case "refused":
		c = e.in.m.refused.WithLabelValues(labels...)
	case "errors":
		c = e.in.m.errors.WithLabelValues(labels...)
	default:
		e.t.Fatalf("no counter %s", name)
	}
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		e.t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// eventually polls cond for up to 20s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
