package pipeline_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/pipeline"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestWriterPackedMessages: messages of several events (what the
// receivers publish) are stored event by event; a message is dropped
// whole if a line does not decode, if an event is on another tenant's
// subject or if the store refuses its events; drops count messages.
func TestWriterPackedMessages(t *testing.T) {
	f := newFixture(t)
	w := pipeline.NewEventWriter(f.bus, f.st, nil, pipeline.WriterOptions{BatchSize: 16, Linger: 10 * time.Millisecond, Backoff: fast})
	run(t, w)
	subjA := bus.EventSubject(f.a.ID, f.srcA.ID)
	newEvents := func(n int) []event.Event {
		evs := make([]event.Event, n)
		for i := range evs {
			evs[i] = f.event(f.a, f.srcA, fmt.Sprintf("line %d", i))
		}
		return evs
	}
	publish := func(msgs []bus.Msg) {
		t.Helper()
		if err := f.bus.PublishBatch(t.Context(), msgs); err != nil {
			t.Fatal(err)
		}
	}

	good, _ := ingest.AppendMessages(nil, nil, subjA, newEvents(200), ingest.PackLimits{MaxEvents: 64})
	publish(good) // 4 messages, 200 events

	// Three good lines and a truncated one: nothing of it is stored.
	torn, _ := ingest.AppendMessages(nil, nil, subjA, newEvents(3), ingest.PackLimits{})
	torn[0].Data = append(bytes.Clone(torn[0].Data), "\n{\"id\":\"cut"...)
	publish(torn)

	// Tenant B's event packed with A's on A's subject.
	mixed := append(newEvents(2), f.event(f.b, f.srcB, "spoofed"))
	spoof, _ := ingest.AppendMessages(nil, nil, subjA, mixed, ingest.PackLimits{})
	publish(spoof)

	// Events of a tenant that is gone: refused, the message dropped once.
	gone, goneSrc := &store.Tenant{ID: "gone-tenant"}, &store.Source{ID: "gone-source"}
	orphans := []event.Event{f.event(gone, goneSrc, "o1"), f.event(gone, goneSrc, "o2")}
	refused, _ := ingest.AppendMessages(nil, nil, bus.EventSubject(gone.ID, goneSrc.ID), orphans, ingest.PackLimits{})
	publish(refused)

	want := pipeline.Stats{Stored: 200, Dropped: map[string]int64{
		pipeline.DropUndecodable: 1, pipeline.DropWrongSubject: 1, pipeline.DropRefused: 1, pipeline.DropExhausted: 0}}
	waitFor(t, "every message settled", func() bool {
		st := w.Stats()
		return st.Stored+st.Dropped[pipeline.DropUndecodable]+st.Dropped[pipeline.DropWrongSubject]+st.Dropped[pipeline.DropRefused] >= 203
	})
	if diff := cmp.Diff(want, w.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	if n := count(t, f.st, f.a.ID); n != 200 {
		t.Errorf("tenant A has %d events, want 200", n)
	}
}
