package ingest

import (
	"errors"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestSubmitRetryDeduplicates: submitting the same stamped events again
// (as after a bus failure of unknown outcome) stores them once.
func TestSubmitRetryDeduplicates(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	src := e.addSource(store.Source{Kind: store.SourceHTTP})
	evs := []event.Event{{Fields: map[string]any{"message": "a"}}, {Fields: map[string]any{"message": "b"}}}
	for range 3 {
		if err := e.in.Submit(t.Context(), store.SourceHTTP, &src, evs); err != nil {
			t.Fatal(err)
		}
	}
	got := c.wait(t, 2)
	if n := len(c.settle()); n != 2 {
		t.Fatalf("%d events stored, want 2", n)
	}
	for _, ev := range got {
		if ev.ID != evs[0].ID && ev.ID != evs[1].ID {
			t.Fatalf("stored id %s is not a submitted one", ev.ID)
		}
		if ev.Observed.IsZero() || ev.Received.IsZero() || ev.Category != event.CategorySystem {
			t.Fatalf("envelope %+v", ev)
		}
	}
}

func TestSubmitRefusals(t *testing.T) {
	e := newEnv(t, envOpts{now: frozenClock()})
	disabled := e.addSource(store.Source{Kind: store.SourceHTTP})
	disabled.Enabled = false
	err := e.in.Submit(t.Context(), store.SourceHTTP, &disabled, []event.Event{{}})
	var re *RefusedError
	if !errors.As(err, &re) || !errors.Is(err, ErrRefused) || re.Reason != ReasonDisabled || re.Retryable() {
		t.Fatalf("disabled: %v", err)
	}
	limited := e.addSource(store.Source{Kind: store.SourceHTTP, RateLimit: 3})
	if err := e.in.Submit(t.Context(), store.SourceHTTP, &limited, make([]event.Event, 3)); err != nil {
		t.Fatal(err)
	}
	err = e.in.Submit(t.Context(), store.SourceHTTP, &limited, make([]event.Event, 1))
	if !errors.As(err, &re) || re.Reason != ReasonRateLimit || re.RetryAfter <= 0 || re.RetryAfter > time.Second {
		t.Fatalf("rate limited: %v", err)
	}
	if got := e.in.maxBatch(&limited, 512); got != 3 {
		t.Fatalf("maxBatch = %d, want 3", got)
	}
	if e.counter("refused", store.SourceHTTP, ReasonRateLimit) != 1 || e.counter("refused", store.SourceHTTP, ReasonDisabled) != 1 {
		t.Fatal("refusals not counted")
	}
	h, _ := e.in.Health(limited.ID)
	if h.Errors != 1 || h.LastError == "" {
		t.Fatalf("health %+v", h)
	}
}
