package demo

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

var streamStart = time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)

// plan runs steps of a fresh stream, one second apart.
func planSteps(seed uint64, steps int) [][]Line {
	s := NewStream(nil, nil, slog.New(slog.DiscardHandler), StreamOptions{Seed: seed})
	out := make([][]Line, steps)
	for i := range steps {
		out[i] = s.Plan(streamStart.Add(time.Duration(i) * time.Second))
	}
	return out
}

func TestStreamPlan(t *testing.T) {
	const steps = 900
	a, b := planSteps(7, steps), planSteps(7, steps)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different plans:\n%s", diff)
	}
	if diff := cmp.Diff(a, planSteps(8, steps)); diff == "" {
		t.Error("another seed gives the same plan")
	}
	parsers := map[int]normalize.Parser{}
	attacks := map[string]int{}
	background := 0
	for _, lines := range a {
		for _, l := range lines {
			p := parsers[l.Source]
			if p == nil {
				var err error
				if p, err = normalize.New(streamSources[l.Source].format, normalize.Options{Location: time.UTC}); err != nil {
					t.Fatal(err)
				}
				parsers[l.Source] = p
			}
			var ev event.Event
			if err := p.Parse([]byte(l.Text), &ev); err != nil {
				t.Fatalf("%s line does not parse: %v\n%s", streamSources[l.Source].format, err, l.Text)
			}
			if l.Attack != "" {
				attacks[l.Attack]++
			} else {
				background++
			}
		}
	}
	want := map[string]int{"door-forced-night": 1, "ssh-brute-force": 12 * 4, "ssh-password-spray": 7 * 3, "admin-panel-probing": 6 * 3, "door-forced": 2}
	if diff := cmp.Diff(want, attacks); diff != "" {
		t.Errorf("attack lines in %d steps (-want +got):\n%s", steps, diff)
	}
	if rate := float64(background) / steps; rate < 2.5 || rate > 3.5 {
		t.Errorf("background rate %.2f/s, want about 3", rate)
	}
}

// TestStreamRaisesAlerts runs ten minutes of the stream through the demo
// tenants' sources and Vedetta's detection engine.
func TestStreamRaisesAlerts(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Seed(ctx, st, auth.TestHasher()); err != nil {
		t.Fatal(err)
	}
	eng, err := detect.New(detect.Config{}, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s := NewStream(st, nil, slog.New(slog.DiscardHandler), StreamOptions{})
	port, err := st.GetTenantBySlug(ctx, "porto-portovenere")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := st.ListSources(ctx, port.ID)
	if err := s.setup(ctx); err != nil {
		t.Fatal(err)
	}
	once, _ := st.ListSources(ctx, port.ID)
	if err := s.setup(ctx); err != nil { // idempotent: sources are found again
		t.Fatal(err)
	}
	twice, _ := st.ListSources(ctx, port.ID)
	if len(once) != len(before)+4 || len(twice) != len(once) {
		t.Errorf("the port's sources: %d before, %d after setup, %d after a second one; want 4 more, once", len(before), len(once), len(twice))
	}
	for i := range 600 {
		now := streamStart.Add(time.Duration(i) * time.Second)
		evs, err := s.events(s.Plan(now), now)
		if err != nil {
			t.Fatal(err)
		}
		for j := range evs {
			if _, err := eng.Process(ctx, &evs[j]); err != nil {
				t.Fatal(err)
			}
		}
	}
	titles := map[string]bool{}
	for _, slug := range []string{"comune-lerici", "porto-portovenere"} {
		ten, _ := st.GetTenantBySlug(ctx, slug)
		as, err := st.ListAlerts(ctx, ten.ID, store.AlertFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			titles[slug+": "+a.Title] = true
		}
	}
	for _, want := range []string{"comune-lerici: SSH brute force", "porto-portovenere: SSH password spray",
		"comune-lerici: Administration panel probing", "porto-portovenere: Door forced open"} {
		if !titles[want] {
			t.Errorf("no alert %q; got %v", want, titles)
		}
	}
}
