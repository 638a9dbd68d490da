package risk

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func alert(id string, sev store.Severity, st store.AlertStatus, age time.Duration) store.Alert {
	t := now.Add(-age)
	return store.Alert{ID: id, Title: "t" + id, Severity: sev, Status: st, FirstSeen: t, LastSeen: t}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name   string
		m      Model
		items  []Item
		want   float64
		parts  []string
		capped bool
	}{
		{name: "empty", want: 0},
		{name: "one fresh high", items: []Item{{Alert: alert("a", store.SeverityHigh, store.StatusNew, 0)}}, want: 7, parts: []string{"a"}},
		{name: "half-life halves", items: []Item{{Alert: alert("a", store.SeverityHigh, store.StatusNew, 24*time.Hour)}}, want: 3.5, parts: []string{"a"}},
		{name: "vital asset", items: []Item{{Alert: alert("a", store.SeverityCritical, store.StatusAcknowledged, 0), Criticality: 5}}, want: 25, parts: []string{"a"}},
		{name: "closed and suppressed count nothing", items: []Item{
			{Alert: alert("a", store.SeverityHigh, store.StatusResolved, 0)},
			{Alert: alert("b", store.SeverityHigh, store.StatusFalsePositive, 0)},
			{Alert: alert("c", store.SeverityHigh, store.StatusSuppressed, 0)},
			{Alert: alert("d", store.SeverityLow, store.StatusInProgress, 0)},
		}, want: 1, parts: []string{"d"}},
		{name: "informational is listed nowhere", items: []Item{{Alert: alert("a", store.SeverityInformational, store.StatusNew, 0)}}, want: 0},
		{name: "largest first and capped", m: Model{Cap: 10}, items: []Item{
			{Alert: alert("small", store.SeverityMedium, store.StatusNew, 0)},
			{Alert: alert("big", store.SeverityCritical, store.StatusNew, 0)},
		}, want: 10, parts: []string{"big", "small"}, capped: true},
		{name: "future alert ignored", items: []Item{{Alert: alert("a", store.SeverityHigh, store.StatusNew, -time.Hour)}}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.m.Score(now, tt.items)
			if got.Value != tt.want {
				t.Errorf("Value = %v, want %v", got.Value, tt.want)
			}
			var ids []string
			for _, p := range got.Parts {
				ids = append(ids, p.AlertID)
				if math.Abs(p.Points-p.Weight*p.Factor*p.Decay) > 1e-9 {
					t.Errorf("%s: points %v ≠ weight×factor×decay", p.AlertID, p.Points)
				}
			}
			if diff := cmp.Diff(tt.parts, ids); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
			if got.Capped != tt.capped {
				t.Errorf("Capped = %v, want %v", got.Capped, tt.capped)
			}
		})
	}
}

func TestTrend(t *testing.T) {
	items := []Item{{Alert: alert("a", store.SeverityHigh, store.StatusNew, 6*time.Hour)}}
	got := Model{}.Trend(now, 24*time.Hour, 4, items)
	// Instants: now-18h, now-12h, now-6h, now. Raised at now-6h.
	want := []float64{0, 0, 7, math.Round(7*math.Exp2(-0.25)*10) / 10}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Trend (-want +got):\n%s", diff)
	}
}

func TestLevel(t *testing.T) {
	for v, want := range map[float64]string{0: "none", 5: "low", 10: "medium", 59.9: "high", 100: "critical"} {
		if got := Level(v); got != want {
			t.Errorf("Level(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		name string
		vals []float64
		want string
	}{
		{"empty", nil, ""},
		{"one value is flat", []float64{5}, "0.0,5.0 100.0,5.0"},
		{"scaled to max", []float64{0, 20, 10}, "0.0,10.0 50.0,0.0 100.0,5.0"},
		{"floor keeps low lines low", []float64{1, 1}, "0.0,9.0 100.0,9.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sparkline(tt.vals, 100, 10, 10); got != tt.want {
				t.Errorf("Sparkline = %q, want %q", got, tt.want)
			}
		})
	}
}
