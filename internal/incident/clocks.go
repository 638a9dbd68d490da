package incident

import (
	"context"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // deadlines are computed in the tenant's zone, whatever the host has

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Regimes of legal reporting clocks.
const (
	RegimeNIS2 = "nis2" // Dir. 2022/2555 art. 23; Italy D.Lgs. 138/2024 art. 25
	RegimeL90  = "l90"  // Italy L. 90/2024 art. 1 (listed public administrations)
	RegimeGDPR = "gdpr" // GDPR art. 33, 72 h to the supervisory authority
	RegimeAL   = "al"   // Albania, Law 25/2024 (AKSK); configurable
	RegimeME   = "me"   // Montenegro (CIRT.ME); configurable
	RegimeDPA  = "dpa"  // AL/ME national data-protection law; configurable
)

// Clock stages.
const (
	StageEarlyWarning = "early_warning"
	StageNotification = "notification"
	StageFinal        = "final"
	StageGDPR         = "gdpr_notification"
)

// Stages lists the report stages in order; the first three are NIS2's.
var Stages = []string{StageEarlyWarning, StageNotification, StageFinal, StageGDPR}

// DefaultRules are NIS2 art. 23's deadlines and GDPR art. 33's, the
// defaults for every jurisdiction.
var defaultRules = ClockRules{EarlyWarningHours: 24, NotificationHours: 72, FinalMonths: 1, GDPRHours: 72}

// Location returns the time zone deadlines are computed in for a country
// (calendar months are counted there, across daylight-saving changes).
func Location(country string) *time.Location {
	name := map[string]string{"IT": "Europe/Rome", "AL": "Europe/Tirane", "ME": "Europe/Podgorica"}[country]
	if name == "" {
		name = "Europe/Rome"
	}
	loc, err := time.LoadLocation(name)
	if err != nil { // cannot happen with time/tzdata embedded
		return time.UTC
	}
	return loc
}

// AddMonths adds n calendar months to t in loc, clamping to the last day
// of the month (31 January + 1 month = 28 or 29 February) and keeping the
// wall-clock time, so a deadline crossing a daylight-saving change still
// falls at the same local hour.
func AddMonths(t time.Time, n int, loc *time.Location) time.Time {
	l := t.In(loc)
	y, m, d := l.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, loc)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc).UTC()
}

// rules merges a tenant's overrides over the defaults.
func (s Settings) rules() ClockRules {
	r := defaultRules
	if s.Clocks.EarlyWarningHours > 0 {
		r.EarlyWarningHours = s.Clocks.EarlyWarningHours
	}
	if s.Clocks.NotificationHours > 0 {
		r.NotificationHours = s.Clocks.NotificationHours
	}
	if s.Clocks.FinalMonths > 0 {
		r.FinalMonths = s.Clocks.FinalMonths
	}
	if s.Clocks.GDPRHours > 0 {
		r.GDPRHours = s.Clocks.GDPRHours
	}
	return r
}

// PlanClocks returns the clocks a case needs, from the tenant's country
// and the case's nature, started at the case's awareness time. Italian
// deadlines are fixed by law; settings override them only for Albania and
// Montenegro. The final report falls FinalMonths after the notification
// deadline (recomputed from the notification when it is sent, see
// MarkClock). Existing clocks (notification met) are taken into account
// through done, keyed by regime and stage.
func PlanClocks(c *store.Case, country string, s Settings) []store.CaseClock {
	start := c.AwarenessAt
	if start.IsZero() {
		start = c.CreatedAt
	}
	start = start.UTC()
	loc := Location(country)
	r := defaultRules
	nis, dpa := RegimeNIS2, RegimeGDPR
	switch country {
	case "AL":
		r, nis, dpa = s.rules(), RegimeAL, RegimeDPA
	case "ME":
		r, nis, dpa = s.rules(), RegimeME, RegimeDPA
	}
	hours := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	var out []store.CaseClock
	add := func(regime, stage string, deadline time.Time) {
		out = append(out, store.CaseClock{TenantID: c.TenantID, CaseID: c.ID, Regime: regime, Stage: stage, StartAt: start, DeadlineAt: deadline})
	}
	if c.Significant {
		add(nis, StageEarlyWarning, hours(r.EarlyWarningHours))
		add(nis, StageNotification, hours(r.NotificationHours))
		add(nis, StageFinal, AddMonths(hours(r.NotificationHours), r.FinalMonths, loc))
	}
	if c.PublicAdmin && country == "IT" {
		add(RegimeL90, StageEarlyWarning, hours(24))
		add(RegimeL90, StageNotification, hours(72))
	}
	if c.PersonalData {
		add(dpa, StageGDPR, hours(r.GDPRHours))
	}
	return out
}

// SyncClocks adds the clocks a case needs and is missing, and moves the
// start and deadline of pending ones when the awareness time changed. It
// returns the case's clocks after the sync.
func SyncClocks(ctx context.Context, st store.CaseStore, c *store.Case, country string, s Settings) ([]store.CaseClock, error) {
	have, err := st.ListClocks(ctx, c.TenantID, c.ID)
	if err != nil {
		return nil, fmt.Errorf("incident: clocks: %w", err)
	}
	idx := map[string]*store.CaseClock{}
	for i := range have {
		idx[have[i].Regime+"/"+have[i].Stage] = &have[i]
	}
	changed := false
	for _, want := range PlanClocks(c, country, s) {
		cur := idx[want.Regime+"/"+want.Stage]
		if cur == nil {
			if err := st.AddClock(ctx, &want); err != nil && !errors.Is(err, store.ErrConflict) {
				return nil, fmt.Errorf("incident: add clock: %w", err)
			}
			changed = true
			continue
		}
		if !cur.MetAt.IsZero() || cur.Waived || cur.StartAt.Equal(want.StartAt) {
			continue
		}
		cur.StartAt, cur.DeadlineAt, cur.RemindedAt = want.StartAt, want.DeadlineAt, time.Time{}
		if err := st.UpdateClock(ctx, cur); err != nil {
			return nil, fmt.Errorf("incident: update clock: %w", err)
		}
	}
	if !changed {
		return have, nil
	}
	return st.ListClocks(ctx, c.TenantID, c.ID)
}

// MarkClock records that the report of a stage was sent: every pending
// clock of that stage is met at at, notifying to. When the notification
// is met, the final report's deadline is moved to FinalMonths after it.
// It returns the clocks it met.
func MarkClock(ctx context.Context, st store.CaseStore, tenantID, caseID, stage, to, reportID, country string, s Settings, at time.Time) ([]store.CaseClock, error) {
	cl, err := st.ListClocks(ctx, tenantID, caseID)
	if err != nil {
		return nil, fmt.Errorf("incident: clocks: %w", err)
	}
	months := defaultRules.FinalMonths
	if country == "AL" || country == "ME" {
		months = s.rules().FinalMonths
	}
	var met []store.CaseClock
	for i := range cl {
		k := &cl[i]
		if k.Waived || !k.MetAt.IsZero() {
			continue
		}
		switch {
		case k.Stage == stage:
			k.MetAt, k.NotifiedTo, k.ReportID = at, to, reportID
			met = append(met, *k)
		case k.Stage == StageFinal && stage == StageNotification:
			k.DeadlineAt = AddMonths(at, months, Location(country))
		default:
			continue
		}
		if err := st.UpdateClock(ctx, k); err != nil {
			return nil, fmt.Errorf("incident: update clock: %w", err)
		}
	}
	return met, nil
}
