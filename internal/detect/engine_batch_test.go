package detect

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

// hitCounter counts the store's RecordSuppressionHits calls.
type hitCounter struct {
	Store
	calls atomic.Int64
}

func (h *hitCounter) RecordSuppressionHits(ctx context.Context, tenantID, id string, n int64, at time.Time) error {
	h.calls.Add(1)
	return h.Store.RecordSuppressionHits(ctx, tenantID, id, n, at)
}

// TestBatchSuppressionHits: the suppressed matches of a consumer batch are
// recorded with one write per suppression, all counted, with the latest
// event time; the events are counted once their hits are recorded.
func TestBatchSuppressionHits(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn := &store.Tenant{Slug: "port", Name: "Port", Kind: store.KindPort, Country: "IT", Locale: "it"}
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	sp := &store.Suppression{TenantID: tn.ID, RuleID: idDoorForced, Field: "vedetta.door.id", Value: "GATE-9",
		Reason: "door sensor broken", Author: "u1"}
	if err := st.CreateSuppression(ctx, sp); err != nil {
		t.Fatal(err)
	}
	counter := &hitCounter{Store: st}
	eng, err := New(Config{Location: rome, HealthEvery: time.Hour}, counter, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, rome)
	var evs []event.Event
	for i := range 20 {
		evs = append(evs, *doorEvent(t, tn.ID, "forced", "gate-9", at.Add(time.Duration(i)*time.Second)))
	}
	msgs, _ := ingest.AppendMessages(nil, nil, bus.EventSubject(tn.ID, "doors"), evs, ingest.PackLimits{MaxEvents: 8})
	var batch []bus.Delivery
	for _, m := range msgs {
		batch = append(batch, bus.Delivery{Subject: m.Subject, ID: m.ID, Data: m.Data, Attempt: 1})
	}
	if err := eng.handle(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetSuppression(ctx, tn.ID, sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hits != 20 || !got.LastHit.Equal(at.Add(19*time.Second)) {
		t.Errorf("suppression: %d hits, last %v; want 20, %v", got.Hits, got.LastHit, at.Add(19*time.Second))
	}
	if n := counter.calls.Load(); n != 1 {
		t.Errorf("%d RecordSuppressionHits calls for one batch, want 1", n)
	}
	if s := eng.Stats(); s.Events != 20 || s.Suppressed != 20 || s.Alerts != 0 {
		t.Errorf("stats %+v, want 20 events suppressed and no alert", s)
	}
}
