package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/pipeline"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

// fixture is a migrated SQLite store with two tenants and a source each,
// and an embedded NATS bus, both in temp dirs.
type fixture struct {
	st       *sqlite.Store
	bus      *natsbus.Bus
	a, b     *store.Tenant
	srcA     *store.Source
	srcB     *store.Source
	nextTime time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vedetta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, nextTime: time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()}
	for _, slug := range []string{"porto", "comune"} {
		tn := &store.Tenant{Slug: slug, Name: slug, Kind: store.KindMunicipality}
		if err := st.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		src := &store.Source{TenantID: tn.ID, Name: "fw", Kind: store.SourceSyslogUDP, Enabled: true}
		if err := st.CreateSource(ctx, src); err != nil {
			t.Fatal(err)
		}
		if f.a == nil {
			f.a, f.srcA = tn, src
		} else {
			f.b, f.srcB = tn, src
		}
	}
	f.bus, err = natsbus.OpenEmbedded(ctx, natsbus.Options{StoreDir: t.TempDir(), ShutdownTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.bus.Close() })
	return f
}

// event returns a new event of tenant/source.
func (f *fixture) event(tenant *store.Tenant, src *store.Source, raw string) event.Event {
	id, _ := uuid.NewV7()
	f.nextTime = f.nextTime.Add(time.Millisecond)
	return event.Event{ID: id.String(), TenantID: tenant.ID, SourceID: src.ID, Observed: f.nextTime,
		Received: f.nextTime, Category: event.CategoryNetwork, Raw: raw,
		Fields: map[string]any{"source.ip": "192.0.2.7", "destination.port": int64(443), "message": raw}}
}

func (f *fixture) publish(t *testing.T, subject, msgID string, data []byte) {
	t.Helper()
	if err := f.bus.Publish(t.Context(), subject, msgID, data); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func (f *fixture) publishEvents(t *testing.T, evs ...event.Event) {
	t.Helper()
	for _, e := range evs {
		f.publish(t, bus.EventSubject(e.TenantID, e.SourceID), e.ID, ingest.MarshalEvent(&e))
	}
}

// run starts w and stops it when the test ends.
func run(t *testing.T, w *pipeline.EventWriter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// waitFor polls cond until it holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(t *testing.T, st store.Store, tenantID string) int {
	t.Helper()
	evs, err := st.SearchEvents(t.Context(), tenantID, store.EventQuery{Limit: store.MaxEventLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

var fast = []time.Duration{20 * time.Millisecond}

func TestWriterStoresAndDrops(t *testing.T) {
	f := newFixture(t)
	w := pipeline.NewEventWriter(f.bus, f.st, nil, pipeline.WriterOptions{BatchSize: 64, Linger: 10 * time.Millisecond, Backoff: fast})
	run(t, w)

	var evs []event.Event
	for i := range 300 {
		evs = append(evs, f.event(f.a, f.srcA, fmt.Sprintf("deny tcp line %d", i)))
	}
	f.publishEvents(t, evs...)
	subjA := bus.EventSubject(f.a.ID, f.srcA.ID)
	// The same event again under another message id: the bus stores it,
	// the store must absorb it.
	f.publish(t, subjA, "dup-of-0", ingest.MarshalEvent(&evs[0]))
	// Poison: not an event; tenant B's event on A's subject; an event of
	// a tenant that does not exist (deleted).
	f.publish(t, subjA, "junk", []byte(`{"id": "x", "tenant_id": `))
	spoof := f.event(f.b, f.srcB, "spoofed")
	f.publish(t, subjA, spoof.ID, ingest.MarshalEvent(&spoof))
	gone := f.event(&store.Tenant{ID: "gone-tenant"}, &store.Source{ID: "gone-source"}, "orphan")
	f.publishEvents(t, gone)
	// Invalid UTF-8 and NUL in raw text are stored, made valid.
	dirty := f.event(f.a, f.srcA, "bad \xff byte and \x00 NUL")
	f.publishEvents(t, dirty)

	want := pipeline.Stats{Stored: 301, Duplicates: 1, Dropped: map[string]int64{
		pipeline.DropUndecodable: 1, pipeline.DropWrongSubject: 1, pipeline.DropRefused: 1, pipeline.DropExhausted: 0}}
	waitFor(t, "every message settled", func() bool {
		st := w.Stats()
		return st.Stored+st.Duplicates+st.Dropped[pipeline.DropUndecodable]+st.Dropped[pipeline.DropWrongSubject]+
			st.Dropped[pipeline.DropRefused] >= 305
	})
	if diff := cmp.Diff(want, w.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	if n := count(t, f.st, f.a.ID); n != 301 {
		t.Errorf("tenant A has %d events, want 301", n)
	}
	if n := count(t, f.st, f.b.ID); n != 0 {
		t.Errorf("tenant B has %d events, want 0 (the spoofed one was dropped)", n)
	}
	got, err := f.st.GetEvent(t.Context(), f.a.ID, dirty.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Raw != "bad \uFFFD byte and \uFFFD NUL" {
		t.Errorf("dirty raw stored as %q", got.Raw)
	}
	if bs := f.bus.Stats(); bs.Dropped != 3 {
		t.Errorf("bus counted %d dropped, want 3", bs.Dropped)
	}
	health, err := f.st.ListSourceHealth(t.Context(), f.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(health) != 1 || health[0].Errors != 2 || health[0].Events != 0 || !strings.Contains(health[0].LastError, "not stored") {
		t.Errorf("source A health = %+v; want the 2 dropped messages of its subject as errors", health)
	}
}

// flakySink wraps a store: it fails the first failFirst InsertEvents calls,
// always fails events whose raw text contains "poison" (transiently), and
// counts the attempts at the poison.
type flakySink struct {
	store.Store
	mu             sync.Mutex
	failFirst      int
	calls          int
	poisonAttempts atomic.Int64
	commitThenFail int // store, then report failure (a crash before ack)
}

var errTransient = errors.New("database is locked")

func (s *flakySink) InsertEvents(ctx context.Context, evs []event.Event) (int, error) {
	s.mu.Lock()
	s.calls++
	fail := s.calls <= s.failFirst
	crash := s.calls <= s.commitThenFail
	s.mu.Unlock()
	for _, e := range evs {
		if strings.Contains(e.Raw, "poison") {
			s.poisonAttempts.Add(1)
			return 0, fmt.Errorf("insert: %w", errTransient)
		}
	}
	if fail {
		return 0, errTransient
	}
	n, err := s.Store.InsertEvents(ctx, evs)
	if crash && err == nil {
		return 0, errors.New("connection reset after commit")
	}
	return n, err
}

func TestWriterRetriesTransientFailures(t *testing.T) {
	f := newFixture(t)
	sink := &flakySink{Store: f.st, failFirst: 2}
	w := pipeline.NewEventWriter(f.bus, sink, nil, pipeline.WriterOptions{Backoff: fast, Linger: 10 * time.Millisecond})
	run(t, w)
	var evs []event.Event
	for i := range 50 {
		evs = append(evs, f.event(f.a, f.srcA, fmt.Sprintf("line %d", i)))
	}
	f.publishEvents(t, evs...)
	waitFor(t, "50 events stored", func() bool { return w.Stats().Stored == 50 })
	if n := count(t, f.st, f.a.ID); n != 50 {
		t.Errorf("%d events stored, want 50", n)
	}
	if d := w.Stats().Dropped; d[pipeline.DropExhausted]+d[pipeline.DropRefused] != 0 {
		t.Errorf("dropped %v, want nothing", d)
	}
}

func TestWriterAbsorbsRedeliveryAfterCommit(t *testing.T) {
	f := newFixture(t)
	sink := &flakySink{Store: f.st, commitThenFail: 1}
	w := pipeline.NewEventWriter(f.bus, sink, nil, pipeline.WriterOptions{Backoff: fast, Linger: 50 * time.Millisecond})
	run(t, w)
	var evs []event.Event
	for i := range 40 {
		evs = append(evs, f.event(f.a, f.srcA, fmt.Sprintf("line %d", i)))
	}
	f.publishEvents(t, evs...)
	waitFor(t, "every event settled", func() bool { st := w.Stats(); return st.Stored+st.Duplicates >= 40 })
	st := w.Stats()
	if st.Duplicates == 0 {
		t.Errorf("no duplicates counted: the committed-but-unacknowledged batch was not redelivered (%+v)", st)
	}
	if n := count(t, f.st, f.a.ID); n != 40 {
		t.Errorf("%d events stored, want 40 exactly once", n)
	}
}

func TestWriterGivesUpOnPoison(t *testing.T) {
	f := newFixture(t)
	sink := &flakySink{Store: f.st}
	w := pipeline.NewEventWriter(f.bus, sink, nil, pipeline.WriterOptions{Backoff: fast, MaxAttempts: 3, Linger: 20 * time.Millisecond})
	run(t, w)
	var evs []event.Event
	for i := range 10 {
		evs = append(evs, f.event(f.a, f.srcA, fmt.Sprintf("line %d", i)))
	}
	poison := f.event(f.a, f.srcA, "poison pill")
	f.publishEvents(t, append(evs[:5:5], append([]event.Event{poison}, evs[5:]...)...)...)
	waitFor(t, "poison dropped", func() bool { return w.Stats().Dropped[pipeline.DropExhausted] == 1 })
	waitFor(t, "the others stored", func() bool { return w.Stats().Stored == 10 })
	if n := count(t, f.st, f.a.ID); n != 10 {
		t.Errorf("%d events stored, want 10", n)
	}
	// Three deliveries, each tried as part of its batch and alone.
	if a := sink.poisonAttempts.Load(); a < 3 || a > 6 {
		t.Errorf("poison tried %d times, want 3 deliveries", a)
	}
}

// memSink is an in-memory EventSink for the fuzz target.
type memSink struct{ n int }

func (m *memSink) InsertEvents(_ context.Context, evs []event.Event) (int, error) {
	for _, e := range evs {
		if e.ID == "" || e.TenantID == "" {
			return 0, store.ErrInvalid
		}
		if strings.IndexByte(e.Raw, 0) >= 0 || !utf8.ValidString(e.Raw) {
			return 0, store.ErrInvalid
		}
	}
	m.n += len(evs)
	return len(evs), nil
}

func (m *memSink) RecordSourceHealth(context.Context, store.SourceHealth) error { return nil }

// FuzzHandle feeds arbitrary bytes and subjects to the handler: a message
// is either stored or terminated, never left to be redelivered forever.
func FuzzHandle(f *testing.F) {
	ev := event.Event{ID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", TenantID: "t1", SourceID: "s1",
		Observed: time.Unix(1700000000, 0), Category: "network", Fields: map[string]any{"a": "b"}, Raw: "x"}
	good := ingest.MarshalEvent(&ev)
	subj := bus.EventSubject("t1", "s1")
	for _, seed := range []struct {
		subject string
		data    []byte
	}{
		{subj, good},
		{bus.EventSubject("t2", "s1"), good},
		{"vedetta.events", good},
		{subj, []byte(`{}`)},
		{subj, []byte(`{"id":"a","tenant_id":"t1","source_id":"s1","fields":{"x":[1,2]}}`)},
		{subj, []byte(`{"id":"a","tenant_id":"t1","source_id":"s1","raw":"\u0000"}`)},
		{subj, []byte("\xff\xfe")},
		{subj, nil},
	} {
		f.Add(seed.subject, seed.data)
	}
	w := pipeline.NewEventWriter(nil, &memSink{}, nil, pipeline.WriterOptions{})
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		err := w.Handle(t.Context(), []bus.Delivery{{Subject: subject, Data: data, Attempt: 1}})
		if err == nil {
			return
		}
		var pe *bus.PartialError
		if !errors.As(err, &pe) || len(pe.Retry) != 0 || len(pe.Drop) != 1 {
			t.Fatalf("Handle(%q, %q) = %v; want stored or dropped", subject, data, err)
		}
	})
}
