package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/pipeline"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// sizeSink records the size of every InsertEvents call and refuses events
// whose raw text says "refuse".
type sizeSink struct {
	memSink
	calls []int
}

func (s *sizeSink) InsertEvents(ctx context.Context, evs []event.Event) (int, error) {
	s.calls = append(s.calls, len(evs))
	for _, e := range evs {
		if strings.Contains(e.Raw, "refuse") {
			return 0, fmt.Errorf("insert: %w", store.ErrInvalid)
		}
	}
	return s.memSink.InsertEvents(ctx, evs)
}

// TestWriterShortTransactions: a bus batch is stored in transactions of
// at most TxEvents events, and a refused event in a later transaction
// drops only its own message, the earlier transactions staying stored.
func TestWriterShortTransactions(t *testing.T) {
	const tenant, source = "t1", "s1"
	subject := bus.EventSubject(tenant, source)
	newEvents := func(n int, raw string) []event.Event {
		evs := make([]event.Event, n)
		for i := range evs {
			evs[i] = event.Event{ID: fmt.Sprintf("%s-%d", raw, i), TenantID: tenant, SourceID: source, Raw: raw}
		}
		return evs
	}
	deliveries := func(groups ...[]event.Event) []bus.Delivery {
		var ds []bus.Delivery
		for _, evs := range groups {
			msgs, _ := ingest.AppendMessages(nil, nil, subject, evs, ingest.PackLimits{MaxEvents: 64})
			for _, m := range msgs {
				ds = append(ds, bus.Delivery{Subject: m.Subject, ID: m.ID, Data: m.Data, Attempt: 1})
			}
		}
		return ds
	}

	sink := &sizeSink{}
	w := pipeline.NewEventWriter(nil, sink, nil, pipeline.WriterOptions{TxEvents: 30})
	if err := w.Handle(t.Context(), deliveries(newEvents(200, "ok"))); err != nil {
		t.Fatal(err)
	}
	if sink.n != 200 || len(sink.calls) != 7 {
		t.Errorf("stored %d events in %d calls %v, want 200 in 7", sink.n, len(sink.calls), sink.calls)
	}
	for _, c := range sink.calls {
		if c > 30 {
			t.Errorf("a transaction of %d events, want at most 30", c)
		}
	}

	// 64 + 36 good events, then a message with a refused one.
	sink = &sizeSink{}
	w = pipeline.NewEventWriter(nil, sink, nil, pipeline.WriterOptions{TxEvents: 50})
	err := w.Handle(t.Context(), deliveries(newEvents(100, "good"), newEvents(3, "refuse")))
	var pe *bus.PartialError
	if !errors.As(err, &pe) || len(pe.Drop) != 1 || pe.Drop[0] != 2 || len(pe.Retry) != 0 {
		t.Fatalf("Handle = %v, want the third message dropped", err)
	}
	if sink.n != 100 || w.Stats().Stored != 100 || w.Stats().Dropped[pipeline.DropRefused] != 1 {
		t.Errorf("stored %d (stats %+v), want the 100 good events and one message refused", sink.n, w.Stats())
	}
}
