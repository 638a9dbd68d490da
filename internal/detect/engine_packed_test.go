package detect

import (
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestPipelinePackedMessage: every event of a message packing several
// (what the receivers publish) is processed; a message with a line that
// does not decode is dropped whole.
func TestPipelinePackedMessage(t *testing.T) {
	p := newPipeline(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, rome)
	var evs []event.Event
	for i := range 3 {
		evs = append(evs, *doorEvent(t, p.tenant.ID, "forced", "gate-5", at.Add(time.Duration(i)*time.Second)))
	}
	subject := bus.EventSubject(p.tenant.ID, "doors")
	torn, _ := ingest.AppendMessages(nil, nil, subject, []event.Event{*doorEvent(t, p.tenant.ID, "forced", "gate-6", at)}, ingest.PackLimits{})
	torn[0].Data = append(append([]byte{}, torn[0].Data...), "\n{\"id\":"...)
	torn[0].ID = "torn"
	msgs, _ := ingest.AppendMessages(torn, nil, subject, evs, ingest.PackLimits{})
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if err := p.bus.PublishBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the packed events", func() bool { return p.eng.Stats().Events == 3 && p.eng.Stats().Malformed == 1 })
	alerts, err := p.st.ListAlerts(ctx, p.tenant.ID, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Count != 3 || len(alerts[0].EventIDs) != 3 || alerts[0].Entities.Assets[0] != "gate-5" {
		t.Errorf("alerts = %+v, want one of gate-5 counting 3 events", alerts)
	}
}
