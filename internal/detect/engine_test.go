package detect

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/detect/ioc"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

type pipelineEnv struct {
	st     *sqlite.Store
	bus    *natsbus.Bus
	eng    *Engine
	tenant *store.Tenant
	live   chan Message
}

// newPipeline starts a real SQLite store, an embedded NATS bus and an
// engine consuming it.
func newPipeline(t *testing.T) *pipelineEnv {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "v.db"), nil)
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
	b, err := natsbus.OpenEmbedded(ctx, natsbus.Options{StoreDir: filepath.Join(dir, "nats")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := New(Config{Location: rome, HealthEvery: time.Hour, Consume: bus.ConsumeOptions{Linger: 10 * time.Millisecond}}, st, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &pipelineEnv{st: st, bus: b, eng: eng, tenant: tn, live: make(chan Message, 16)}
	unsub, err := b.Subscribe(bus.LiveSubject(tn.ID, "alerts"), func(_ string, data []byte) {
		var m Message
		if json.Unmarshal(data, &m) == nil {
			p.live <- m
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := eng.Run(runCtx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(func() {
		unsub()
		cancel()
		wg.Wait()
		b.Close()
	})
	return p
}

func (p *pipelineEnv) publish(t *testing.T, msgID string, ev *event.Event) {
	t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.bus.Publish(t.Context(), bus.EventSubject(p.tenant.ID, ev.SourceID), msgID, data); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or ten seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func doorEvent(t *testing.T, tenantID, result, door string, at time.Time) *event.Event {
	t.Helper()
	ev := parse(t, "accesscontrol", at, doorLine(result, door, at))[0]
	ev.TenantID, ev.SourceID = tenantID, "doors"
	return ev
}

func TestPipelineRaisesAlert(t *testing.T) {
	p := newPipeline(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, rome)
	ev := doorEvent(t, p.tenant.ID, "forced", "gate-3", at)
	p.publish(t, ev.ID, ev)
	var alerts []store.Alert
	waitFor(t, "the alert", func() bool {
		var err error
		alerts, err = p.st.ListAlerts(ctx, p.tenant.ID, store.AlertFilter{})
		return err == nil && len(alerts) == 1
	})
	a := alerts[0]
	if a.RuleID != idDoorForced || a.Count != 1 || a.Severity != store.SeverityHigh || len(a.EventIDs) != 1 || a.EventIDs[0] != ev.ID {
		t.Errorf("alert = %+v", a)
	}
	select {
	case m := <-p.live:
		if !m.Created || m.Alert.ID != a.ID {
			t.Errorf("live notification = %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Error("no live notification")
	}

	// The same event delivered again (published under another message id,
	// so the bus does not deduplicate it) does not count twice.
	p.publish(t, ev.ID+"-again", ev)
	waitFor(t, "the redelivery", func() bool { return p.eng.Stats().Duplicates == 1 })
	// Nor after a restart, when the engine's memory of seen ids is gone.
	fresh, err := New(Config{Location: rome}, p.st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Process(ctx, ev); err != nil {
		t.Fatal(err)
	}
	got, err := p.st.GetAlert(ctx, p.tenant.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 1 {
		t.Errorf("count after redelivery = %d, want 1", got.Count)
	}

	// A second forced opening of the same door within the window groups.
	ev2 := doorEvent(t, p.tenant.ID, "forced", "gate-3", at.Add(time.Minute))
	p.publish(t, ev2.ID, ev2)
	waitFor(t, "the grouped match", func() bool {
		got, err = p.st.GetAlert(ctx, p.tenant.ID, a.ID)
		return err == nil && got.Count == 2
	})
	if len(got.EventIDs) != 2 {
		t.Errorf("event ids = %v", got.EventIDs)
	}
	select {
	case m := <-p.live:
		if m.Created || m.Alert.Count != 2 {
			t.Errorf("update notification = %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Error("no update notification")
	}
}

func TestPipelineSuppression(t *testing.T) {
	p := newPipeline(t)
	ctx := t.Context()
	sp := &store.Suppression{TenantID: p.tenant.ID, RuleID: idDoorForced, Field: "vedetta.door.id", Value: "GATE-9",
		Reason: "door sensor broken, ticket 42", Author: "u1"}
	if err := p.st.CreateSuppression(ctx, sp); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, rome)
	suppressed := doorEvent(t, p.tenant.ID, "forced", "gate-9", at)
	other := doorEvent(t, p.tenant.ID, "forced", "gate-3", at.Add(time.Second))
	p.publish(t, suppressed.ID, suppressed)
	p.publish(t, other.ID, other)
	waitFor(t, "both events", func() bool { return p.eng.Stats().Events == 2 })
	alerts, err := p.st.ListAlerts(ctx, p.tenant.ID, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Entities.Assets[0] != "gate-3" {
		t.Errorf("alerts = %+v, want only gate-3", alerts)
	}
	got, err := p.st.GetSuppression(ctx, p.tenant.ID, sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hits != 1 || p.eng.Stats().Suppressed != 1 {
		t.Errorf("suppression hits %d, engine count %d; want 1 and 1", got.Hits, p.eng.Stats().Suppressed)
	}
}

func TestPipelineIndicator(t *testing.T) {
	p := newPipeline(t)
	ctx := t.Context()
	inds := []store.Indicator{{TenantID: p.tenant.ID, Type: "ipv4", Value: "203.0.113.66", Source: "police-cc",
		Confidence: 90, TLP: "amber", Tags: []string{"botnet"}}}
	if _, err := p.st.UpsertIndicators(ctx, inds); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, rome)
	ev := parse(t, "access", at, accessLine("203.0.113.66", "/index.html", 200, at))[0]
	ev.TenantID = p.tenant.ID
	p.publish(t, ev.ID, ev)
	var alerts []store.Alert
	waitFor(t, "the indicator alert", func() bool {
		alerts, _ = p.st.ListAlerts(ctx, p.tenant.ID, store.AlertFilter{Kind: store.AlertIOC})
		return len(alerts) == 1
	})
	a := alerts[0]
	if a.IndicatorID != inds[0].ID || a.IndicatorValue != "203.0.113.66" || a.TLP != "amber" || a.Severity != store.SeverityHigh || a.IndicatorSource != "police-cc" {
		t.Errorf("alert = %+v", a)
	}
}

func TestPipelineDropsMalformed(t *testing.T) {
	p := newPipeline(t)
	if err := p.bus.Publish(t.Context(), bus.EventSubject(p.tenant.ID, "s"), "bad-1", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drop", func() bool { return p.eng.Stats().Malformed == 1 })
}

func TestCheckHealth(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn := &store.Tenant{Slug: "t", Name: "T", Kind: store.KindPort}
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	mk := func(name string, interval time.Duration, last time.Time) *store.Source {
		src := &store.Source{TenantID: tn.ID, Name: name, Kind: store.SourceMQTT, Format: "frigate", ExpectedInterval: interval, Enabled: true}
		if err := st.CreateSource(ctx, src); err != nil {
			t.Fatal(err)
		}
		if !last.IsZero() {
			if err := st.RecordSourceHealth(ctx, store.SourceHealth{SourceID: src.ID, LastEvent: last, Events: 1, UpdatedAt: last}); err != nil {
				t.Fatal(err)
			}
		}
		return src
	}
	silent := mk("cameras quay 3", 5*time.Minute, now.Add(-20*time.Minute))
	mk("cameras gate", 5*time.Minute, now.Add(-time.Minute))
	mk("firewall", 0, now.Add(-48*time.Hour))
	clock := now
	e, err := New(Config{Location: rome, AssetSilence: 10 * time.Minute, Now: func() time.Time { return clock }}, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two sensors send heartbeats; one stops.
	for _, hb := range []struct {
		asset string
		at    time.Time
	}{{"sensor-1", now.Add(-30 * time.Minute)}, {"sensor-2", now.Add(-time.Minute)}} {
		ev := &event.Event{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tn.ID, Observed: hb.at,
			Fields: map[string]any{"event.action": "heartbeat", "vedetta.asset.id": hb.asset}}
		if _, err := e.Process(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.CheckHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byRule := map[string][]store.Alert{}
	for _, a := range got {
		byRule[a.RuleID] = append(byRule[a.RuleID], a)
	}
	if len(byRule[RuleSourceSilent]) != 1 || byRule[RuleSourceSilent][0].DedupKey != "health:source:"+silent.ID {
		t.Errorf("source alerts = %+v", byRule[RuleSourceSilent])
	}
	if len(byRule[RuleAssetSilent]) != 1 || byRule[RuleAssetSilent][0].Entities.Assets[0] != "sensor-1" {
		t.Errorf("asset alerts = %+v", byRule[RuleAssetSilent])
	}
	// A minute later the source is still silent: the same alert counts
	// again; the asset alert is not repeated.
	clock = now.Add(time.Minute)
	got, err = e.CheckHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Count != 2 {
		t.Errorf("second check = %+v, want the source alert with count 2", got)
	}
	all, _ := st.ListAlerts(ctx, tn.ID, store.AlertFilter{Kind: store.AlertHealth})
	if len(all) != 2 {
		t.Errorf("%d health alerts stored, want 2", len(all))
	}
}

func TestWarninglistHitIsSuppressedWithReason(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn := &store.Tenant{Slug: "t", Name: "T", Kind: store.KindPort}
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	// A partner feed lists a public resolver; the warninglist knows it.
	inds := []store.Indicator{
		{TenantID: tn.ID, Type: "ipv4", Value: "8.8.8.8", Source: "feed", Confidence: 70},
		{TenantID: tn.ID, Type: "ipv4", Value: "203.0.113.66", Source: "feed", Confidence: 70},
	}
	if _, err := st.UpsertIndicators(ctx, inds); err != nil {
		t.Fatal(err)
	}
	wl, err := ioc.NewWarninglists([]*ioc.Warninglist{{Name: "public-dns-v4", Description: "Public DNS resolvers", Type: "cidr",
		MatchingAttributes: []string{"ip-src", "ip-dst"}, List: []string{"8.8.8.8/32"}}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{Warninglists: wl}, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, ip := range []string{"8.8.8.8", "203.0.113.66"} {
		ev := &event.Event{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tn.ID, Observed: at,
			Fields: map[string]any{"destination.ip": ip, "event.category": []any{"network"}}}
		if _, err := e.Process(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.ListAlerts(ctx, tn.ID, store.AlertFilter{Kind: store.AlertIOC})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d alerts, want 2", len(got))
	}
	byValue := map[string]store.Alert{}
	for _, a := range got {
		byValue[a.IndicatorValue] = a
	}
	w := byValue["8.8.8.8"]
	if w.Status != store.StatusSuppressed || w.Severity != store.SeverityInformational || !strings.Contains(w.Description, "public-dns-v4") {
		t.Errorf("warninglisted hit = %+v", w)
	}
	if a := byValue["203.0.113.66"]; a.Status != store.StatusNew || a.Severity != store.SeverityMedium {
		t.Errorf("plain hit = %+v", a)
	}
	if e.Stats().Warned != 1 {
		t.Errorf("Warned = %d, want 1", e.Stats().Warned)
	}
}
