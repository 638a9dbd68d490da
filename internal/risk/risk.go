// Package risk computes an explainable risk score for a site from its open
// alerts. Every point of the score comes from one alert and is listed with
// the reasons for its size:
//
//	points = weight(severity) × criticality factor × decay
//	decay  = 0.5 ^ (age / half-life), age measured from the alert's last match
//	score  = min(cap, Σ points)
//
// The criticality factor is the criticality of the asset the alert is about
// divided by 3, so an alert on a vital asset (5) counts 5/3 of one on an
// ordinary asset (3), and one on a low asset (1) a third; an alert placed
// on no asset uses factor 1. Defaults (Model's zero value): informational
// 0, low 1, medium 3, high 7, critical 15 points; a half-life of 24 hours,
// so an alert nobody handled for a day weighs half as much and one a week
// old under 1%; a cap of 100.
//
// The package has no state and no I/O; callers pass the alerts.
package risk

import (
	"math"
	"sort"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Default parameters of a Model.
const (
	DefaultHalfLife = 24 * time.Hour
	DefaultCap      = 100.0
)

// DefaultWeights are the points of one fresh alert on an ordinary asset.
var DefaultWeights = map[store.Severity]float64{
	store.SeverityInformational: 0,
	store.SeverityLow:           1,
	store.SeverityMedium:        3,
	store.SeverityHigh:          7,
	store.SeverityCritical:      15,
}

// Model holds the scoring parameters. The zero value uses the defaults.
type Model struct {
	Weights  map[store.Severity]float64
	HalfLife time.Duration
	Cap      float64
}

func (m Model) halfLife() time.Duration {
	if m.HalfLife <= 0 {
		return DefaultHalfLife
	}
	return m.HalfLife
}

func (m Model) cap() float64 {
	if m.Cap <= 0 {
		return DefaultCap
	}
	return m.Cap
}

// Weight returns the points of a fresh alert of severity s on an ordinary
// asset.
func (m Model) Weight(s store.Severity) float64 {
	w := m.Weights
	if w == nil {
		w = DefaultWeights
	}
	return w[s]
}

// Item is one alert with what the caller knows about where it happened.
type Item struct {
	Alert store.Alert
	// Criticality is the criticality (1–5) of the asset the alert is
	// about; 0 when the alert is placed on no asset.
	Criticality int
	AssetName   string
}

// Factor returns the criticality factor: c/3 for c in 1..5, 1 otherwise.
func Factor(c int) float64 {
	if c < 1 || c > 5 {
		return 1
	}
	return float64(c) / 3
}

// Contribution is what one alert adds to a score, with its reasons.
type Contribution struct {
	AlertID     string
	Title       string
	RuleID      string
	Severity    store.Severity
	Weight      float64 // points of the severity
	Criticality int     // of the asset, 0 when none
	AssetName   string
	Factor      float64       // criticality factor
	Age         time.Duration // since the alert's last match
	Decay       float64       // 0.5^(age/half-life)
	Points      float64       // Weight × Factor × Decay
}

// Score is a site's risk with every contribution, largest first.
type Score struct {
	Value    float64 // min(Cap, Sum), rounded to one decimal
	Sum      float64 // uncapped total
	Capped   bool
	HalfLife time.Duration
	Cap      float64
	At       time.Time
	Parts    []Contribution
}

// Level names a score band for display: "none" (0), "low" (<10),
// "medium" (<30), "high" (<60), "critical".
func (s Score) Level() string { return Level(s.Value) }

// Level names the band of a score value.
func Level(v float64) string {
	switch {
	case v <= 0:
		return "none"
	case v < 10:
		return "low"
	case v < 30:
		return "medium"
	case v < 60:
		return "high"
	}
	return "critical"
}

// Decay returns 0.5^(age/half-life); a negative age counts as zero.
func (m Model) Decay(age time.Duration) float64 {
	if age < 0 {
		age = 0
	}
	return math.Exp2(-float64(age) / float64(m.halfLife()))
}

// Score scores the open alerts among items at time now. Closed alerts
// (resolved, false positive) and suppressed ones add nothing and are not
// listed; neither are alerts first seen after now.
func (m Model) Score(now time.Time, items []Item) Score {
	sc := Score{HalfLife: m.halfLife(), Cap: m.cap(), At: now}
	for _, it := range items {
		a := &it.Alert
		if !counts(a.Status) || a.FirstSeen.After(now) {
			continue
		}
		c := m.contribution(now, it)
		if c.Points <= 0 {
			continue
		}
		sc.Parts = append(sc.Parts, c)
		sc.Sum += c.Points
	}
	sort.SliceStable(sc.Parts, func(i, j int) bool { return sc.Parts[i].Points > sc.Parts[j].Points })
	v := sc.Sum
	if v > sc.Cap {
		v, sc.Capped = sc.Cap, true
	}
	sc.Value = math.Round(v*10) / 10
	return sc
}

func (m Model) contribution(now time.Time, it Item) Contribution {
	a := &it.Alert
	last := a.LastSeen
	if last.IsZero() || last.After(now) {
		last = a.FirstSeen
	}
	if last.After(now) {
		last = now
	}
	c := Contribution{AlertID: a.ID, Title: a.Title, RuleID: a.RuleID, Severity: a.Severity, Weight: m.Weight(a.Severity),
		Criticality: it.Criticality, AssetName: it.AssetName, Factor: Factor(it.Criticality), Age: now.Sub(last)}
	c.Decay = m.Decay(c.Age)
	c.Points = c.Weight * c.Factor * c.Decay
	return c
}

// counts reports whether an alert in status st adds to the risk.
func counts(st store.AlertStatus) bool {
	return st.Open() && st != store.StatusSuppressed
}

// Trend returns the score at n evenly spaced instants ending at now and
// spanning span (the first is now−span×(n−1)/n … the last is now). At
// each instant an alert counts if it had been raised by then, with the
// decay since its last match before that instant (its first match when
// it matched again later). The history of statuses is not kept, so alerts
// closed since count with their current status: a trend shows the risk
// still open, as it built up.
func (m Model) Trend(now time.Time, span time.Duration, n int, items []Item) []float64 {
	if n < 1 {
		return nil
	}
	out := make([]float64, n)
	step := span / time.Duration(n)
	for i := range n {
		at := now.Add(-step * time.Duration(n-1-i))
		sum := 0.0
		for _, it := range items {
			a := &it.Alert
			if !counts(a.Status) || a.FirstSeen.After(at) {
				continue
			}
			c := m.contribution(at, it)
			sum += c.Points
		}
		out[i] = math.Round(math.Min(sum, m.cap())*10) / 10
	}
	return out
}
