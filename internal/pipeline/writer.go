// Package pipeline moves events from the bus into the store and keeps the
// store within its retention policies.
//
// EventWriter is the durable consumer bus.ConsumerEventStore on
// bus.StreamEvents. It decodes each batch of deliveries (each message
// holds one or more events, ingest.DecodeMessage), stores their events with
// store.EventStore.InsertEvents calls of at most WriterOptions.TxEvents
// events (one transaction each, short so that detection's alert writes get
// the SQLite writer in between) and acknowledges the messages only after
// every transaction has committed. A crash at any point therefore loses nothing:
// the unacknowledged batch is delivered again, and InsertEvents skips the
// events already stored (idempotent by event id).
//
// A message that can never be stored must not block the stream. One that
// does not decode (any of its lines: a message is all or nothing, since
// producers only write whole valid messages and a bad line means the
// message is corrupt), one with an event whose tenant or source differs
// from its subject's, or one with an event that the store refuses as
// invalid or for an unknown (deleted) tenant is terminated at once (the
// message's other events that the store accepted stay stored). One that keeps failing for another reason is retried
// with the bus's backoff and terminated after WriterOptions.MaxAttempts
// deliveries. Each termination is logged with its subject, counted
// (vedetta_pipeline_events_dropped_total{reason}) and added to the source's
// error count in the store. Accepted events are counted by the receivers
// (ingest), not here, so a source's counters are not doubled.
//
// Retention deletes, periodically, every tenant's events older than the
// tenant's policy for their category (store.ListRetention, falling back to
// store.DefaultRetention), in bounded chunks so the writer is never locked
// out for long.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// EventSink is what EventWriter needs of the store.
type EventSink interface {
	InsertEvents(ctx context.Context, evs []event.Event) (int, error)
	RecordSourceHealth(ctx context.Context, h store.SourceHealth) error
}

// WriterOptions tunes an EventWriter. The zero value gives the defaults.
type WriterOptions struct {
	// BatchSize is the most messages per bus batch (default 500); a
	// message holds up to ingest.PackLimits.MaxEvents events.
	BatchSize int
	// TxEvents is the most events per InsertEvents call, so one
	// transaction (default 250). A bus batch is stored in as many
	// transactions as it needs, and acknowledged once all have committed.
	// On SQLite every writer shares one connection: a short transaction
	// lets detection store its alerts between two of ours instead of
	// waiting behind a whole batch of tens of thousands of events.
	TxEvents int
	// Linger is how long a batch may wait to fill (default 100ms).
	Linger time.Duration
	// MaxAttempts is how many deliveries a message that keeps failing to
	// store gets before it is terminated (default 10). With the bus's
	// default backoff that is about six minutes of retries, enough to ride
	// out a database restart.
	MaxAttempts int
	// Backoff overrides the bus's redelivery schedule (tests).
	Backoff []time.Duration
	// Registerer receives the metrics (nil: not registered).
	Registerer prometheus.Registerer
}

func (o WriterOptions) withDefaults() WriterOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.Linger <= 0 {
		o.Linger = 100 * time.Millisecond
	}
	if o.TxEvents <= 0 {
		o.TxEvents = 250
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	return o
}

// Drop reasons, the label of the dropped counter.
const (
	DropUndecodable  = "undecodable"   // not an encoded event
	DropWrongSubject = "wrong_subject" // tenant or source differs from the subject's
	DropRefused      = "refused"       // the store refuses it (invalid, unknown tenant)
	DropExhausted    = "exhausted"     // failed MaxAttempts times
)

// EventWriter stores the events of the bus. Run it with Run.
type EventWriter struct {
	bus  bus.Bus
	sink EventSink
	log  *slog.Logger
	opts WriterOptions

	stored, duplicates atomic.Int64
	dropped            [len(dropReasons)]atomic.Int64
	batches            prometheus.Histogram
}

// dropReasons indexes EventWriter.dropped.
var dropReasons = [...]string{DropUndecodable, DropWrongSubject, DropRefused, DropExhausted}

// NewEventWriter returns a writer from b to sink.
func NewEventWriter(b bus.Bus, sink EventSink, logger *slog.Logger, opts WriterOptions) *EventWriter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w := &EventWriter{
		bus: b, sink: sink, log: logger.With("component", "pipeline", "consumer", bus.ConsumerEventStore),
		opts: opts.withDefaults(),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vedetta_pipeline_store_batch_seconds",
			Help: "Time to store one batch.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
	}
	if r := opts.Registerer; r != nil {
		r.MustRegister(w.batches,
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vedetta_pipeline_events_stored_total",
				Help: "Events written to the store."}, func() float64 { return float64(w.stored.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vedetta_pipeline_events_duplicate_total",
				Help: "Redelivered events that were stored already."}, func() float64 { return float64(w.duplicates.Load()) }))
		for i, reason := range dropReasons {
			r.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vedetta_pipeline_events_dropped_total",
				Help:        "Bus messages terminated because they can never be stored, by reason.",
				ConstLabels: prometheus.Labels{"reason": reason}}, func() float64 { return float64(w.dropped[i].Load()) }))
		}
	}
	return w
}

// Run consumes until ctx is done (returning nil) or the consumer fails.
func (w *EventWriter) Run(ctx context.Context) error {
	err := w.bus.Consume(ctx, bus.StreamEvents, bus.ConsumerEventStore, nil, w.Handle, bus.ConsumeOptions{
		BatchSize: w.opts.BatchSize, Linger: w.opts.Linger, Backoff: w.opts.Backoff,
	})
	if err != nil {
		return fmt.Errorf("pipeline: event writer: %w", err)
	}
	return nil
}

// Stats is a snapshot of an EventWriter's counters.
type Stats struct {
	Stored, Duplicates int64
	Dropped            map[string]int64 // by reason
}

// Stats returns the counters.
func (w *EventWriter) Stats() Stats {
	st := Stats{Stored: w.stored.Load(), Duplicates: w.duplicates.Load(), Dropped: map[string]int64{}}
	for i, r := range dropReasons {
		st.Dropped[r] = w.dropped[i].Load()
	}
	return st
}

// item is one decoded event and the delivery that carried it.
type item struct {
	idx int // of the delivery in the batch
	ev  event.Event
}

// Handle is the bus.Handler: it stores the events of all the batch's
// messages with InsertEvents calls of at most TxEvents events and settles
// the messages.
func (w *EventWriter) Handle(ctx context.Context, batch []bus.Delivery) error {
	start := time.Now()
	items := make([]item, 0, len(batch))
	var drop []int
	var evs []event.Event
	for i, d := range batch {
		var err error
		n := len(evs)
		if evs, err = ingest.DecodeMessage(evs, d.Data); err != nil {
			w.terminate(ctx, d, DropUndecodable, err)
			drop = append(drop, i)
			continue
		}
		tenant, source, serr := bus.ParseEventSubject(d.Subject)
		for j := n; j < len(evs); j++ {
			if serr != nil || tenant != evs[j].TenantID || source != evs[j].SourceID {
				w.terminate(ctx, d, DropWrongSubject, fmt.Errorf("event of tenant %q source %q on this subject", evs[j].TenantID, evs[j].SourceID))
				drop = append(drop, i)
				clear(evs[n:])
				evs = evs[:n]
				break
			}
		}
		for j := n; j < len(evs); j++ {
			sanitize(&evs[j])
			items = append(items, item{idx: i, ev: evs[j]})
		}
	}
	// items[j].ev is evs[j]: a failed chunk falls back to event by event
	// from its first event on; the chunks before it are stored.
	var err error
	for from := 0; from < len(evs); from += w.opts.TxEvents {
		chunk := evs[from:min(from+w.opts.TxEvents, len(evs))]
		var n int
		if n, err = w.sink.InsertEvents(ctx, chunk); err != nil {
			items = items[from:]
			break
		}
		w.stored.Add(int64(n))
		w.duplicates.Add(int64(len(chunk) - n))
	}
	if err == nil {
		w.batches.Observe(time.Since(start).Seconds())
		return settle(drop, nil, nil)
	}
	if ctx.Err() != nil {
		return err // shutting down: the whole batch comes back
	}
	// A refusal of one event fails the batch: find it. A transient error
	// is retried as a batch, unless some message has used its attempts.
	if !permanent(err) && !w.anyExhausted(batch, items) {
		w.log.Warn("storing batch failed; it will be redelivered", "events", len(items), "err", err)
		return err
	}
	// Event by event. A message is retried if one of its events failed
	// transiently (the events stored meanwhile are skipped as duplicates on
	// redelivery), else terminated if one was refused or exhausted.
	const (
		ok = iota
		dropRefused
		dropExhausted
		retryMsg
	)
	state := make(map[int]int)
	cause := make(map[int]error)
	var lastErr error
	for _, it := range items {
		n, err := w.sink.InsertEvents(ctx, []event.Event{it.ev})
		st := ok
		switch {
		case err == nil:
			w.stored.Add(int64(n))
			w.duplicates.Add(int64(1 - n))
		case ctx.Err() != nil:
			return err
		case permanent(err):
			st = dropRefused
		case batch[it.idx].Attempt >= w.opts.MaxAttempts:
			st = dropExhausted
		default:
			st = retryMsg
			lastErr = err
		}
		if st > state[it.idx] {
			state[it.idx], cause[it.idx] = st, err
		}
	}
	var retry []int
	for i := range batch {
		switch state[i] {
		case dropRefused:
			w.terminate(ctx, batch[i], DropRefused, cause[i])
			drop = append(drop, i)
		case dropExhausted:
			w.terminate(ctx, batch[i], DropExhausted, cause[i])
			drop = append(drop, i)
		case retryMsg:
			retry = append(retry, i)
		}
	}
	w.batches.Observe(time.Since(start).Seconds())
	return settle(drop, retry, lastErr)
}

// settle returns what the bus needs to acknowledge all but drop and retry.
func settle(drop, retry []int, err error) error {
	if len(drop) == 0 && len(retry) == 0 {
		return nil
	}
	if err == nil {
		err = errors.New("pipeline: messages that can never be stored")
	}
	return &bus.PartialError{Drop: drop, Retry: retry, Err: err}
}

// permanent reports whether storing can never succeed: the event is
// invalid or its tenant is gone.
func permanent(err error) bool {
	return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound)
}

func (w *EventWriter) anyExhausted(batch []bus.Delivery, items []item) bool {
	for _, it := range items {
		if batch[it.idx].Attempt >= w.opts.MaxAttempts {
			return true
		}
	}
	return false
}

// terminate logs, counts and records a message that is given up.
func (w *EventWriter) terminate(ctx context.Context, d bus.Delivery, reason string, err error) {
	for i, r := range dropReasons {
		if r == reason {
			w.dropped[i].Add(1)
		}
	}
	w.log.Error("event message dropped", "subject", d.Subject, "msg_id", d.ID, "seq", d.Seq,
		"attempt", d.Attempt, "reason", reason, "err", err)
	_, source, perr := bus.ParseEventSubject(d.Subject)
	if perr != nil || source == "" {
		return
	}
	msg := "not stored (" + reason + "): " + err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	h := store.SourceHealth{SourceID: source, Errors: 1, LastError: msg}
	if herr := w.sink.RecordSourceHealth(ctx, h); herr != nil && !errors.Is(herr, store.ErrNotFound) {
		w.log.Warn("recording source health failed", "source", source, "err", herr)
	}
}

// sanitize makes the raw text storable: valid UTF-8, no NUL. Receivers
// accept whatever bytes a device sends; the store refuses what a text
// column cannot hold rather than change it silently, so the change is
// made here, visibly, with U+FFFD.
func sanitize(e *event.Event) {
	if !validText(e.Raw) {
		e.Raw = strings.ReplaceAll(strings.ToValidUTF8(e.Raw, "\uFFFD"), "\x00", "\uFFFD")
	}
}

func validText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}
