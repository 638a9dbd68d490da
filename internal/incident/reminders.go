package incident

import (
	"context"
	"log/slog"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Reminder is the background job that warns before a legal clock expires:
// every Interval it lists the pending clocks due within the tenant's
// Settings.ReminderHours (Before when unset), records a
// reminder on the case timeline and calls Notify (the application raises
// an alert there), then marks the clock reminded so it warns once.
type Reminder struct {
	Store    store.CaseStore
	Log      *slog.Logger
	Interval time.Duration // default 1 minute
	Before   time.Duration // default 2 hours
	Now      func() time.Time
	// Notify, when set, is called for each reminder.
	Notify func(ctx context.Context, c store.CaseClock) error
}

// maxReminder is the longest lead a tenant can set (Settings.Validate).
const maxReminder = 72 * time.Hour

// Run runs the job until ctx ends.
func (r *Reminder) Run(ctx context.Context) error {
	iv := r.Interval
	if iv <= 0 {
		iv = time.Minute
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		if _, err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("clock reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Once sends the reminders due now and returns how many it sent.
func (r *Reminder) Once(ctx context.Context) (int, error) {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	before := r.Before
	if before <= 0 {
		before = 2 * time.Hour
	}
	due, err := r.Store.ListClocksDue(ctx, now.Add(max(before, maxReminder)))
	if err != nil {
		return 0, err
	}
	leads := map[string]time.Duration{}
	n := 0
	for _, c := range due {
		lead, ok := leads[c.TenantID]
		if !ok {
			lead = before
			if s, err := LoadSettings(ctx, r.Store, c.TenantID); err == nil && s.ReminderHours > 0 {
				lead = time.Duration(s.ReminderHours) * time.Hour
			}
			leads[c.TenantID] = lead
		}
		if c.DeadlineAt.After(now.Add(lead)) {
			continue
		}
		text := "reminder: " + c.Regime + " " + c.Stage + " due " + c.DeadlineAt.UTC().Format(time.RFC3339)
		if now.After(c.DeadlineAt) {
			text = "breached: " + c.Regime + " " + c.Stage + " was due " + c.DeadlineAt.UTC().Format(time.RFC3339)
		}
		if err := r.Store.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.CaseID, At: now,
			Kind: store.TimelineClock, ActorName: "system", Text: text, Ref: "clock:" + c.ID}); err != nil {
			return n, err
		}
		if r.Notify != nil {
			if err := r.Notify(ctx, c); err != nil {
				r.Log.Warn("clock reminder notify", "clock", c.ID, "err", err)
			}
		}
		c.RemindedAt = now
		if err := r.Store.UpdateClock(ctx, &c); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
