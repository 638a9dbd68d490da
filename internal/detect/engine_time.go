package detect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Hours is a daily time range in minutes after midnight, local time. From
// after To wraps midnight (22:00–06:00).
type Hours struct {
	From, To int
}

// IsZero reports whether h is unset.
func (h Hours) IsZero() bool { return h.From == 0 && h.To == 0 }

// Contains reports whether the local time t falls in the range.
func (h Hours) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if h.From <= h.To {
		return m >= h.From && m < h.To
	}
	return m >= h.From || m < h.To
}

// String writes h as "HH:MM-HH:MM".
func (h Hours) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", h.From/60, h.From%60, h.To/60, h.To%60)
}

// ParseHours reads "HH:MM-HH:MM" (24-hour clock).
func ParseHours(s string) (Hours, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Hours{}, fmt.Errorf("detect: hours %q: want HH:MM-HH:MM", s)
	}
	f, err := parseClock(from)
	if err != nil {
		return Hours{}, fmt.Errorf("detect: hours %q: %w", s, err)
	}
	t, err := parseClock(to)
	if err != nil {
		return Hours{}, fmt.Errorf("detect: hours %q: %w", s, err)
	}
	if f == t {
		return Hours{}, fmt.Errorf("detect: hours %q: empty range", s)
	}
	return Hours{From: f, To: t}, nil
}

func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(hh) == 0 || len(hh) > 2 || len(mm) != 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return h*60 + m, nil
}

// Identifiers of the Go time rules and the health checks.
const (
	RuleAdminNight   = "vedetta-admin-login-night"
	RuleAfterHours   = "vedetta-access-after-hours"
	RuleSourceSilent = "vedetta-source-silent"
	RuleAssetSilent  = "vedetta-asset-silent"
)

// timeRules evaluates the rules Sigma cannot express: they depend on the
// event's local time of day.
func (e *Engine) timeRules(ev *event.Event) []store.Alert {
	if ev.Observed.IsZero() {
		return nil
	}
	local := ev.Observed.In(e.cfg.Location)
	var out []store.Alert
	if e.adminLogin(ev) && e.cfg.Night.Contains(local) {
		user := ev.String("user.name")
		out = append(out, store.Alert{TenantID: ev.TenantID, Kind: store.AlertPhysical, RuleID: RuleAdminNight,
			RuleTitle: "Administrator login at night", Severity: store.SeverityMedium,
			Title:       "Administrator login at night",
			Description: fmt.Sprintf("%s logged in successfully at %s local time, outside %s.", user, local.Format("15:04"), e.cfg.Night.String()+" is night"),
			Tags:        []string{"attack.initial-access", "attack.t1078"}, Entities: entities(ev),
			DedupKey:  "time:" + RuleAdminNight + ":" + strings.ToLower(user) + "|" + ev.String("host.name"),
			FirstSeen: ev.Observed, LastSeen: ev.Observed, EventIDs: eventIDs(ev)})
	}
	if door := ev.String("vedetta.door.id"); door != "" && ev.String("event.action") == "access-granted" && !e.open(local) {
		out = append(out, store.Alert{TenantID: ev.TenantID, Kind: store.AlertPhysical, RuleID: RuleAfterHours,
			RuleTitle: "Access outside opening hours", Severity: store.SeverityMedium,
			Title:       "Door " + door + " opened outside opening hours",
			Description: fmt.Sprintf("Access granted at %s local time (%s); opening hours are %s.", local.Format("15:04"), local.Weekday(), e.cfg.Opening),
			Tags:        []string{"physical"}, Entities: entities(ev),
			DedupKey:  "time:" + RuleAfterHours + ":" + door + "|" + ev.String("user.id"),
			FirstSeen: ev.Observed, LastSeen: ev.Observed, EventIDs: eventIDs(ev)})
	}
	return out
}

// open reports whether local is within opening hours.
func (e *Engine) open(local time.Time) bool {
	for _, d := range e.cfg.OpenDays {
		if d == local.Weekday() {
			return e.cfg.Opening.Contains(local)
		}
	}
	return false
}

// adminLogin reports whether ev is a successful login of an administrator:
// an authentication success of a configured administrator account, or a
// Windows special-privilege logon (4672).
func (e *Engine) adminLogin(ev *event.Event) bool {
	if ev.String("winlog.event_id") == "4672" {
		u := strings.ToLower(ev.String("user.name"))
		// SYSTEM and machine accounts get special privileges at every boot.
		return u != "" && u != "system" && !strings.HasSuffix(u, "$") && u != "local service" && u != "network service"
	}
	if !hasValue(ev.Fields["event.category"], "authentication") || ev.String("event.outcome") != "success" {
		return false
	}
	if a := ev.String("event.action"); a == "session_opened" || a == "logged-out" {
		return false
	}
	u := strings.ToLower(ev.String("user.name"))
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		u = u[i+1:]
	}
	return e.admins[u]
}

func hasValue(v any, s string) bool {
	for _, x := range values(v) {
		if x == s {
			return true
		}
	}
	return false
}

// assetKey names an asset of a tenant.
type assetKey struct{ tenant, asset string }

type assetState struct {
	last    time.Time // newest heartbeat
	alerted bool      // a silence alert was raised since that heartbeat
}

// noteAsset records heartbeats: events with event.action "heartbeat"
// naming an asset (vedetta.asset.id, vedetta.camera.id or observer.name).
func (e *Engine) noteAsset(ev *event.Event) {
	if ev.String("event.action") != "heartbeat" {
		return
	}
	id := assetID(ev)
	if id == "" {
		return
	}
	t := ev.Observed
	if t.IsZero() {
		t = e.cfg.Now()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	k := assetKey{ev.TenantID, id}
	if st := e.assets[k]; t.After(st.last) {
		e.assets[k] = assetState{last: t}
	}
}

func assetID(ev *event.Event) string {
	for _, f := range []string{"vedetta.asset.id", "vedetta.camera.id", "observer.name"} {
		if v := ev.String(f); v != "" {
			return v
		}
	}
	return ""
}

// healthLoop runs CheckHealth every HealthEvery until ctx ends.
func (e *Engine) healthLoop(ctx context.Context) {
	t := time.NewTicker(e.cfg.HealthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := e.CheckHealth(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("health check failed", "err", err)
		}
	}
}

// CheckHealth raises a health alert for every enabled source silent for
// longer than its ExpectedInterval and every heartbeat asset silent for
// longer than AssetSilence. A source that never reported counts from its
// creation. Repeated checks of a still-silent source group into one alert.
// It returns the alerts raised or updated.
func (e *Engine) CheckHealth(ctx context.Context) ([]store.Alert, error) {
	now := e.cfg.Now()
	var out []store.Alert
	srcs, err := e.st.ListAllSources(ctx)
	if err != nil {
		return nil, fmt.Errorf("detect: health: %w", err)
	}
	health := make(map[string]map[string]store.SourceHealth)
	window := max(e.cfg.GroupWindow, 3*e.cfg.HealthEvery)
	for _, src := range srcs {
		if !src.Enabled || src.ExpectedInterval <= 0 {
			continue
		}
		hs, ok := health[src.TenantID]
		if !ok {
			list, err := e.st.ListSourceHealth(ctx, src.TenantID)
			if err != nil {
				return out, fmt.Errorf("detect: health: %w", err)
			}
			hs = make(map[string]store.SourceHealth, len(list))
			for _, h := range list {
				hs[h.SourceID] = h
			}
			health[src.TenantID] = hs
		}
		last := hs[src.ID].LastEvent
		if last.IsZero() {
			last = src.CreatedAt
		}
		silent := now.Sub(last)
		if silent <= src.ExpectedInterval {
			continue
		}
		a := store.Alert{TenantID: src.TenantID, Kind: store.AlertHealth, RuleID: RuleSourceSilent,
			RuleTitle: "Source stopped reporting", Severity: store.SeverityMedium,
			Title:       "Source " + src.Name + " stopped reporting",
			Description: fmt.Sprintf("No event since %s (%s); expected at least every %s.", last.UTC().Format(time.RFC3339), silent.Truncate(time.Second), src.ExpectedInterval),
			Entities:    store.Entities{Assets: []string{src.Name}}, DedupKey: "health:source:" + src.ID,
			FirstSeen: now, LastSeen: now}
		if err := e.raiseHealth(ctx, &a, window); err != nil {
			return out, err
		}
		out = append(out, a)
	}
	e.mu.Lock()
	var silent []assetKey
	for k, st := range e.assets {
		if !st.alerted && now.Sub(st.last) > e.cfg.AssetSilence {
			silent = append(silent, k)
			st.alerted = true
			e.assets[k] = st
		}
	}
	lasts := make(map[assetKey]time.Time, len(silent))
	for _, k := range silent {
		lasts[k] = e.assets[k].last
	}
	e.mu.Unlock()
	for _, k := range silent {
		a := store.Alert{TenantID: k.tenant, Kind: store.AlertHealth, RuleID: RuleAssetSilent,
			RuleTitle: "Device stopped reporting", Severity: store.SeverityHigh,
			Title:       "Device " + k.asset + " stopped reporting",
			Description: fmt.Sprintf("Last heartbeat at %s; expected at least every %s.", lasts[k].UTC().Format(time.RFC3339), e.cfg.AssetSilence),
			Tags:        []string{"physical"}, Entities: store.Entities{Assets: []string{k.asset}},
			DedupKey: "health:asset:" + k.asset, FirstSeen: lasts[k], LastSeen: now}
		if err := e.raiseHealth(ctx, &a, window); err != nil {
			return out, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (e *Engine) raiseHealth(ctx context.Context, a *store.Alert, window time.Duration) error {
	if sp := e.suppressHealth(ctx, a); sp {
		return nil
	}
	created, changed, err := e.st.UpsertAlert(ctx, a, window)
	if err != nil {
		return fmt.Errorf("detect: health alert: %w", err)
	}
	if changed {
		if created {
			e.stats.alerts.Add(1)
		}
		e.publish(ctx, a, created, "")
	}
	return nil
}

// suppressHealth applies the tenant's rule-only suppressions to a health
// alert (there is no event to match fields against).
func (e *Engine) suppressHealth(ctx context.Context, a *store.Alert) bool {
	supps, err := e.st.ListSuppressions(ctx, a.TenantID)
	if err != nil {
		return false
	}
	ev := &event.Event{Fields: map[string]any{"vedetta.asset.id": firstOf(a.Entities.Assets)}}
	if sp := suppressedBy(supps, a, ev, e.cfg.Now()); sp != nil {
		e.stats.suppressed.Add(1)
		_ = e.st.RecordSuppressionHits(ctx, a.TenantID, sp.ID, 1, a.LastSeen)
		return true
	}
	return false
}

func firstOf(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}
