package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// runAlertTests runs the alert, suppression and indicator subtests.
func runAlertTests(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"AlertsGrouping", testAlertsGrouping},
		{"AlertsInvalid", testAlertsInvalid},
		{"AlertsList", testAlertsList},
		{"AlertsTriage", testAlertsTriage},
		{"AlertsTenantScope", testAlertsScope},
		{"AlertsRetention", testAlertsRetention},
		{"Suppressions", testSuppressions},
		{"Indicators", testIndicators},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			must(t, "Migrate", s.Migrate(t.Context()))
			tt.fn(t, s)
		})
	}
}

func newAlert(tenantID, key string, at time.Time, sev store.Severity, events ...string) *store.Alert {
	return &store.Alert{TenantID: tenantID, Kind: store.AlertSigma, RuleID: "rule-" + key, RuleTitle: "Rule " + key,
		Severity: sev, Title: "Alert " + key, Description: "about " + key, Tags: []string{"attack.t1110"},
		Entities: store.Entities{IPs: []string{"203.0.113.7"}, Users: []string{"root"}}, DedupKey: key,
		LastSeen: at, EventIDs: events}
}

func testAlertsGrouping(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "alerts", store.KindPort)
	a := newAlert(tn.ID, "k1", base, store.SeverityHigh, "e1")
	created, changed, err := s.UpsertAlert(ctx, a, 10*time.Minute)
	must(t, "UpsertAlert", err)
	if !created || !changed {
		t.Fatalf("first upsert: created %v changed %v, want true true", created, changed)
	}
	checkV7(t, a.ID)
	if a.Count != 1 || a.Status != store.StatusNew || !a.FirstSeen.Equal(ms(base)) {
		t.Errorf("new alert = %+v", a)
	}
	// The same event again (a redelivery) changes nothing.
	again := newAlert(tn.ID, "k1", base, store.SeverityHigh, "e1")
	created, changed, err = s.UpsertAlert(ctx, again, 10*time.Minute)
	must(t, "UpsertAlert again", err)
	if created || changed || again.ID != a.ID || again.Count != 1 {
		t.Errorf("redelivered: created %v changed %v id %s count %d; want false false %s 1", created, changed, again.ID, again.Count, a.ID)
	}
	// A new event within the window groups, merging entities.
	b := newAlert(tn.ID, "k1", base.Add(5*time.Minute), store.SeverityHigh, "e2", "e1")
	b.Entities = store.Entities{IPs: []string{"203.0.113.7", "198.51.100.1"}}
	created, changed, err = s.UpsertAlert(ctx, b, 10*time.Minute)
	must(t, "UpsertAlert grouped", err)
	if created || !changed || b.ID != a.ID {
		t.Fatalf("grouped: created %v changed %v id %s", created, changed, b.ID)
	}
	if b.Count != 2 || !b.LastSeen.Equal(ms(base.Add(5*time.Minute))) || !b.FirstSeen.Equal(ms(base)) {
		t.Errorf("grouped alert count %d first %v last %v", b.Count, b.FirstSeen, b.LastSeen)
	}
	if diff := cmp.Diff([]string{"e1", "e2"}, b.EventIDs); diff != "" {
		t.Errorf("EventIDs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"203.0.113.7", "198.51.100.1"}, b.Entities.IPs); diff != "" {
		t.Errorf("IPs (-want +got):\n%s", diff)
	}
	// Outside the window: a new alert.
	c := newAlert(tn.ID, "k1", base.Add(time.Hour), store.SeverityHigh, "e3")
	created, _, err = s.UpsertAlert(ctx, c, 10*time.Minute)
	must(t, "UpsertAlert later", err)
	if !created || c.ID == a.ID {
		t.Errorf("after the window: created %v id %s, want a new alert", created, c.ID)
	}
	// A resolved alert no longer groups.
	must(t, "UpdateAlertStatus", s.UpdateAlertStatus(ctx, tn.ID, c.ID, store.StatusResolved))
	d := newAlert(tn.ID, "k1", base.Add(time.Hour+time.Minute), store.SeverityHigh, "e4")
	created, _, err = s.UpsertAlert(ctx, d, 10*time.Minute)
	must(t, "UpsertAlert after resolve", err)
	if !created || d.ID == c.ID {
		t.Errorf("after resolve: created %v, want a new alert", created)
	}
	// Event ids are bounded, counts are not.
	e := newAlert(tn.ID, "many", base, store.SeverityLow)
	for i := range store.MaxAlertEvents + 5 {
		e = newAlert(tn.ID, "many", base.Add(time.Duration(i)*time.Second), store.SeverityLow, fmt.Sprintf("m%d", i))
		_, _, err := s.UpsertAlert(ctx, e, time.Hour)
		must(t, "UpsertAlert many", err)
	}
	if e.Count != store.MaxAlertEvents+5 || len(e.EventIDs) != store.MaxAlertEvents {
		t.Errorf("many: count %d, %d event ids; want %d and %d", e.Count, len(e.EventIDs), store.MaxAlertEvents+5, store.MaxAlertEvents)
	}
	// A new alert may start in another status (a match already known to
	// be a false positive).
	sup := newAlert(tn.ID, "warned", base, store.SeverityInformational, "w1")
	sup.Status = store.StatusSuppressed
	_, _, err = s.UpsertAlert(ctx, sup, time.Minute)
	must(t, "UpsertAlert suppressed", err)
	if sup.Status != store.StatusSuppressed {
		t.Errorf("status = %q, want suppressed", sup.Status)
	}
	// Without event ids (a health alert), every upsert counts.
	h := &store.Alert{TenantID: tn.ID, Kind: store.AlertHealth, Severity: store.SeverityMedium, Title: "silent", DedupKey: "h", LastSeen: base}
	_, _, err = s.UpsertAlert(ctx, h, time.Hour)
	must(t, "UpsertAlert health", err)
	h2 := &store.Alert{TenantID: tn.ID, Kind: store.AlertHealth, Severity: store.SeverityMedium, Title: "silent", DedupKey: "h", LastSeen: base.Add(time.Minute)}
	_, _, err = s.UpsertAlert(ctx, h2, time.Hour)
	must(t, "UpsertAlert health 2", err)
	if h2.ID != h.ID || h2.Count != 2 {
		t.Errorf("health: id %s count %d, want %s 2", h2.ID, h2.Count, h.ID)
	}
	got, err := s.GetAlert(ctx, tn.ID, a.ID)
	must(t, "GetAlert", err)
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("GetAlert (-upserted +got):\n%s", diff)
	}
}

func testAlertsInvalid(t *testing.T, s store.Store) {
	tn := newTenant(t, s, "alerts-invalid", store.KindPort)
	tests := []struct {
		name string
		edit func(a *store.Alert)
	}{
		{"no tenant", func(a *store.Alert) { a.TenantID = "" }},
		{"bad kind", func(a *store.Alert) { a.Kind = "magic" }},
		{"bad severity", func(a *store.Alert) { a.Severity = "urgent" }},
		{"no title", func(a *store.Alert) { a.Title = " " }},
		{"no dedup key", func(a *store.Alert) { a.DedupKey = "" }},
		{"no time", func(a *store.Alert) { a.LastSeen = time.Time{} }},
		{"NUL", func(a *store.Alert) { a.Description = "a\x00b" }},
		{"bad UTF-8", func(a *store.Alert) { a.EventIDs = []string{"\xff"} }},
		{"bad status", func(a *store.Alert) { a.Status = "closed" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAlert(tn.ID, "x", base, store.SeverityLow, "e")
			tt.edit(a)
			_, _, err := s.UpsertAlert(t.Context(), a, time.Minute)
			wantErr(t, "UpsertAlert", err, store.ErrInvalid)
		})
	}
	_, _, err := s.UpsertAlert(t.Context(), newAlert("no-such-tenant", "x", base, store.SeverityLow, "e"), time.Minute)
	wantErr(t, "UpsertAlert unknown tenant", err, store.ErrNotFound)
	list, err := s.ListAlerts(t.Context(), tn.ID, store.AlertFilter{})
	must(t, "ListAlerts", err)
	if len(list) != 0 {
		t.Errorf("invalid alerts were stored: %d", len(list))
	}
	_, err = s.ListAlerts(t.Context(), tn.ID, store.AlertFilter{MinSeverity: "urgent"})
	wantErr(t, "ListAlerts bad severity", err, store.ErrInvalid)
}

func testAlertsList(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "alerts-list", store.KindPort)
	sevs := []store.Severity{store.SeverityLow, store.SeverityMedium, store.SeverityHigh, store.SeverityCritical, store.SeverityInformational}
	var all []store.Alert
	for i, sev := range sevs {
		a := newAlert(tn.ID, fmt.Sprintf("k%d", i), base.Add(time.Duration(i)*time.Hour), sev, fmt.Sprintf("e%d", i))
		if i == 3 {
			a.Kind, a.Title, a.IndicatorValue = store.AlertIOC, "Indicator hit", "evil.example"
		}
		_, _, err := s.UpsertAlert(ctx, a, time.Minute)
		must(t, "UpsertAlert", err)
		all = append([]store.Alert{*a}, all...) // newest first
	}
	must(t, "UpdateAlertStatus", s.UpdateAlertStatus(ctx, tn.ID, all[0].ID, store.StatusAcknowledged))
	idsOf := func(l []store.Alert) []string {
		var out []string
		for _, a := range l {
			out = append(out, a.DedupKey)
		}
		return out
	}
	tests := []struct {
		name string
		f    store.AlertFilter
		want []string
	}{
		{"all", store.AlertFilter{}, []string{"k4", "k3", "k2", "k1", "k0"}},
		{"high or more", store.AlertFilter{MinSeverity: store.SeverityHigh}, []string{"k3", "k2"}},
		{"status", store.AlertFilter{Statuses: []store.AlertStatus{store.StatusAcknowledged}}, []string{"k4"}},
		{"two statuses", store.AlertFilter{Statuses: []store.AlertStatus{store.StatusNew, store.StatusAcknowledged}}, []string{"k4", "k3", "k2", "k1", "k0"}},
		{"kind", store.AlertFilter{Kind: store.AlertIOC}, []string{"k3"}},
		{"rule", store.AlertFilter{RuleID: "rule-k1"}, []string{"k1"}},
		{"since", store.AlertFilter{Since: base.Add(3 * time.Hour)}, []string{"k4", "k3"}},
		{"until", store.AlertFilter{Until: base.Add(time.Hour)}, []string{"k0"}},
		{"text", store.AlertFilter{Text: "EVIL.example"}, []string{"k3"}},
		{"text entity", store.AlertFilter{Text: "203.0.113"}, []string{"k4", "k3", "k2", "k1", "k0"}},
		{"text wildcard literal", store.AlertFilter{Text: "%"}, nil},
		{"page", store.AlertFilter{Before: all[1].ID, Limit: 2}, []string{"k2", "k1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAlerts(ctx, tn.ID, tt.f)
			must(t, "ListAlerts", err)
			if diff := cmp.Diff(tt.want, idsOf(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	c, err := s.CountAlerts(ctx, tn.ID, store.AlertFilter{Before: all[4].ID, Limit: 1})
	must(t, "CountAlerts", err)
	want := store.AlertCounts{Total: 5,
		BySeverity: map[store.Severity]int{"low": 1, "medium": 1, "high": 1, "critical": 1, "informational": 1},
		ByStatus:   map[store.AlertStatus]int{"new": 4, "acknowledged": 1}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("CountAlerts (-want +got):\n%s", diff)
	}
}

func testAlertsTriage(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "alerts-triage", store.KindPort)
	u := newUser(t, s, "analyst")
	a := newAlert(tn.ID, "k", base, store.SeverityHigh, "e")
	_, _, err := s.UpsertAlert(ctx, a, time.Minute)
	must(t, "UpsertAlert", err)
	must(t, "AssignAlert", s.AssignAlert(ctx, tn.ID, a.ID, u.ID))
	must(t, "UpdateAlertStatus", s.UpdateAlertStatus(ctx, tn.ID, a.ID, store.StatusInProgress))
	wantErr(t, "bad status", s.UpdateAlertStatus(ctx, tn.ID, a.ID, "closed"), store.ErrInvalid)
	got, err := s.GetAlert(ctx, tn.ID, a.ID)
	must(t, "GetAlert", err)
	if got.Assignee != u.ID || got.Status != store.StatusInProgress {
		t.Errorf("after triage: assignee %q status %q", got.Assignee, got.Status)
	}
	c1 := &store.AlertComment{TenantID: tn.ID, AlertID: a.ID, Author: u.ID, Text: "looking"}
	must(t, "AddAlertComment", s.AddAlertComment(ctx, c1))
	checkV7(t, c1.ID)
	checkRecent(t, "comment CreatedAt", c1.CreatedAt)
	c2 := &store.AlertComment{TenantID: tn.ID, AlertID: a.ID, Author: u.ID, Text: "blocked at the firewall"}
	must(t, "AddAlertComment 2", s.AddAlertComment(ctx, c2))
	wantErr(t, "empty comment", s.AddAlertComment(ctx, &store.AlertComment{TenantID: tn.ID, AlertID: a.ID, Text: " "}), store.ErrInvalid)
	wantErr(t, "comment on missing alert", s.AddAlertComment(ctx, &store.AlertComment{TenantID: tn.ID, AlertID: "nope", Text: "x"}), store.ErrNotFound)
	cs, err := s.ListAlertComments(ctx, tn.ID, a.ID)
	must(t, "ListAlertComments", err)
	if diff := cmp.Diff([]store.AlertComment{*c1, *c2}, cs); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	must(t, "DeleteTenant", s.DeleteTenant(ctx, tn.ID))
	if _, err := s.GetAlert(ctx, tn.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("alert survived its tenant: %v", err)
	}
}

func testAlertsScope(t *testing.T, s store.Store) {
	ctx := t.Context()
	ta := newTenant(t, s, "scope-a", store.KindPort)
	tb := newTenant(t, s, "scope-b", store.KindPort)
	a := newAlert(tb.ID, "k", base, store.SeverityHigh, "e")
	_, _, err := s.UpsertAlert(ctx, a, time.Minute)
	must(t, "UpsertAlert", err)
	// The same dedup key in tenant A is a separate alert.
	other := newAlert(ta.ID, "k", base, store.SeverityHigh, "e")
	created, _, err := s.UpsertAlert(ctx, other, time.Minute)
	must(t, "UpsertAlert A", err)
	if !created || other.ID == a.ID {
		t.Errorf("tenant A grouped into tenant B's alert")
	}
	_, err = s.GetAlert(ctx, ta.ID, a.ID)
	wantErr(t, "GetAlert other tenant", err, store.ErrNotFound)
	wantErr(t, "UpdateAlertStatus other tenant", s.UpdateAlertStatus(ctx, ta.ID, a.ID, store.StatusResolved), store.ErrNotFound)
	wantErr(t, "AssignAlert other tenant", s.AssignAlert(ctx, ta.ID, a.ID, "x"), store.ErrNotFound)
	wantErr(t, "AddAlertComment other tenant", s.AddAlertComment(ctx, &store.AlertComment{TenantID: ta.ID, AlertID: a.ID, Text: "x"}), store.ErrNotFound)
	x := &store.Suppression{TenantID: tb.ID, RuleID: "r", Reason: "noisy", Author: "u"}
	must(t, "CreateSuppression", s.CreateSuppression(ctx, x))
	_, err = s.GetSuppression(ctx, ta.ID, x.ID)
	wantErr(t, "GetSuppression other tenant", err, store.ErrNotFound)
	wantErr(t, "DeleteSuppression other tenant", s.DeleteSuppression(ctx, ta.ID, x.ID), store.ErrNotFound)
	wantErr(t, "RecordSuppressionHits other tenant", s.RecordSuppressionHits(ctx, ta.ID, x.ID, 1, base), store.ErrNotFound)
	y := *x
	y.TenantID = ta.ID
	wantErr(t, "UpdateSuppression other tenant", s.UpdateSuppression(ctx, &y), store.ErrNotFound)
	inds := []store.Indicator{{TenantID: tb.ID, Type: "ipv4", Value: "203.0.113.9", Source: "police"}}
	_, err = s.UpsertIndicators(ctx, inds)
	must(t, "UpsertIndicators", err)
	wantErr(t, "DeleteIndicator other tenant", s.DeleteIndicator(ctx, ta.ID, inds[0].ID), store.ErrNotFound)
	for name, n := range map[string]func() (int, error){
		"ListAlerts":       func() (int, error) { l, err := s.ListAlerts(ctx, ta.ID, store.AlertFilter{}); return len(l), err },
		"ListSuppressions": func() (int, error) { l, err := s.ListSuppressions(ctx, ta.ID); return len(l), err },
		"AllIndicators":    func() (int, error) { l, err := s.AllIndicators(ctx, ta.ID); return len(l), err },
	} {
		got, err := n()
		must(t, name, err)
		want := 0
		if name == "ListAlerts" {
			want = 1 // its own
		}
		if got != want {
			t.Errorf("%s for tenant A = %d, want %d", name, got, want)
		}
	}
}

func testSuppressions(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "supp", store.KindPort)
	x := &store.Suppression{TenantID: tn.ID, RuleID: "r1", Field: "source.ip", Value: "10.0.0.5", Reason: "scanner", Author: "u1",
		ExpiresAt: base.Add(24 * time.Hour)}
	must(t, "CreateSuppression", s.CreateSuppression(ctx, x))
	checkV7(t, x.ID)
	y := &store.Suppression{TenantID: tn.ID, Field: "user.name", Value: "backup", Reason: "service account", Author: "u1"}
	must(t, "CreateSuppression 2", s.CreateSuppression(ctx, y))
	for name, bad := range map[string]*store.Suppression{
		"nothing":        {TenantID: tn.ID, Reason: "r"},
		"value no field": {TenantID: tn.ID, RuleID: "r", Value: "v", Reason: "r"},
		"no reason":      {TenantID: tn.ID, RuleID: "r"},
	} {
		wantErr(t, "CreateSuppression "+name, s.CreateSuppression(ctx, bad), store.ErrInvalid)
	}
	if !x.Active(base) || x.Active(base.Add(25*time.Hour)) || !y.Active(base.Add(1000*time.Hour)) {
		t.Errorf("Active wrong")
	}
	must(t, "RecordSuppressionHits", s.RecordSuppressionHits(ctx, tn.ID, x.ID, 3, base))
	must(t, "RecordSuppressionHits earlier", s.RecordSuppressionHits(ctx, tn.ID, x.ID, 1, base.Add(-time.Hour)))
	got, err := s.GetSuppression(ctx, tn.ID, x.ID)
	must(t, "GetSuppression", err)
	if got.Hits != 4 || !got.LastHit.Equal(ms(base)) {
		t.Errorf("hits %d last %v, want 4 %v", got.Hits, got.LastHit, base)
	}
	x.Reason, x.ExpiresAt = "known scanner", time.Time{}
	must(t, "UpdateSuppression", s.UpdateSuppression(ctx, x))
	list, err := s.ListSuppressions(ctx, tn.ID)
	must(t, "ListSuppressions", err)
	if len(list) != 2 || list[0].ID != y.ID || list[1].Reason != "known scanner" || !list[1].ExpiresAt.IsZero() || list[1].Hits != 4 {
		t.Errorf("ListSuppressions = %+v", list)
	}
	must(t, "DeleteSuppression", s.DeleteSuppression(ctx, tn.ID, y.ID))
	wantErr(t, "DeleteSuppression again", s.DeleteSuppression(ctx, tn.ID, y.ID), store.ErrNotFound)
}

func testIndicators(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "ind", store.KindPort)
	v0, err := s.IndicatorsVersion(ctx, tn.ID)
	must(t, "IndicatorsVersion", err)
	inds := []store.Indicator{
		{TenantID: tn.ID, Type: "ipv4", Value: "203.0.113.9", Source: "police", Confidence: 80, TLP: "amber",
			ValidUntil: base.Add(48 * time.Hour), Tags: []string{"c2"}, Description: "C2 server"},
		{TenantID: tn.ID, Type: "domain", Value: "evil.example", Source: "police", Confidence: 60},
	}
	n, err := s.UpsertIndicators(ctx, inds)
	must(t, "UpsertIndicators", err)
	if n != 2 || inds[0].ID == "" {
		t.Fatalf("UpsertIndicators = %d, ids %q", n, inds[0].ID)
	}
	v1, _ := s.IndicatorsVersion(ctx, tn.ID)
	if v1 == v0 {
		t.Errorf("version did not change after insert")
	}
	upd := []store.Indicator{{TenantID: tn.ID, Type: "domain", Value: "evil.example", Source: "police", Confidence: 90}}
	n, err = s.UpsertIndicators(ctx, upd)
	must(t, "UpsertIndicators update", err)
	if n != 0 || upd[0].ID != inds[1].ID {
		t.Errorf("update: new %d id %s, want 0 %s", n, upd[0].ID, inds[1].ID)
	}
	bad := []store.Indicator{{TenantID: tn.ID, Type: "ipv4", Value: "198.51.100.1"}, {TenantID: tn.ID, Type: "ipv4", Value: "x", Confidence: 101}}
	_, err = s.UpsertIndicators(ctx, bad)
	wantErr(t, "UpsertIndicators bad", err, store.ErrInvalid)
	all, err := s.AllIndicators(ctx, tn.ID)
	must(t, "AllIndicators", err)
	if len(all) != 2 {
		t.Fatalf("AllIndicators = %d, want 2 (nothing of a failed batch)", len(all))
	}
	if diff := cmp.Diff(inds[0], all[0]); diff != "" {
		t.Errorf("stored indicator (-want +got):\n%s", diff)
	}
	if all[1].Confidence != 90 {
		t.Errorf("updated confidence %d", all[1].Confidence)
	}
	l, err := s.ListIndicators(ctx, tn.ID, store.IndicatorFilter{Text: "C2"})
	must(t, "ListIndicators text", err)
	if len(l) != 1 || l[0].Value != "203.0.113.9" {
		t.Errorf("ListIndicators text = %+v", l)
	}
	l, err = s.ListIndicators(ctx, tn.ID, store.IndicatorFilter{Type: "domain"})
	must(t, "ListIndicators type", err)
	if len(l) != 1 {
		t.Errorf("ListIndicators type = %d", len(l))
	}
	l, err = s.ListIndicators(ctx, tn.ID, store.IndicatorFilter{Before: inds[1].ID})
	must(t, "ListIndicators page", err)
	if len(l) != 1 || l[0].ID != inds[0].ID {
		t.Errorf("ListIndicators page = %+v", l)
	}
	must(t, "DeleteIndicator", s.DeleteIndicator(ctx, tn.ID, inds[0].ID))
	v2, _ := s.IndicatorsVersion(ctx, tn.ID)
	if v2 == v1 {
		t.Errorf("version did not change after delete")
	}
}

// testAlertsRetention: DeleteAlertsBefore removes closed alerts last seen
// before the cut, with their comments and digest entries, in chunks, and
// keeps open alerts, newer ones, alerts of a case and other tenants'.
func testAlertsRetention(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "alret-a", store.KindMunicipality)
	b := newTenant(t, s, "alret-b", store.KindPort)
	old := time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC)
	cut := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	add := func(tenant, key string, at time.Time, st store.AlertStatus) string {
		al := newAlert(tenant, key, at, store.SeverityHigh, "e-"+key)
		_, _, err := s.UpsertAlert(ctx, al, time.Minute)
		must(t, "UpsertAlert", err)
		if st != store.StatusNew {
			must(t, "UpdateAlertStatus", s.UpdateAlertStatus(ctx, tenant, al.ID, st))
		}
		return al.ID
	}
	resolved := add(a.ID, "resolved", old, store.StatusResolved)
	fp := add(a.ID, "fp", old, store.StatusFalsePositive)
	suppressed := add(a.ID, "suppressed", old, store.StatusSuppressed)
	open := add(a.ID, "open", old, store.StatusInProgress)
	recent := add(a.ID, "recent", cut.Add(time.Hour), store.StatusResolved)
	inCase := add(a.ID, "in-case", old, store.StatusResolved)
	other := add(b.ID, "other", old, store.StatusResolved)
	c := newCase(t, s, a.ID, "Case keeping its alert")
	must(t, "LinkCaseAlerts", s.LinkCaseAlerts(ctx, a.ID, c.ID, []string{inCase}))
	must(t, "AddAlertComment", s.AddAlertComment(ctx, &store.AlertComment{TenantID: a.ID, AlertID: resolved, Author: "u1", Text: "IP 203.0.113.7"}))
	ch := newChannel(a.ID, "digest")
	must(t, "CreateNotifyChannel", s.CreateNotifyChannel(ctx, ch))
	must(t, "QueueDigest", s.QueueDigest(ctx, store.DigestItem{TenantID: a.ID, ChannelID: ch.ID, AlertID: fp,
		Severity: store.SeverityHigh, Title: "Alert fp", At: old}))

	n1, err := s.DeleteAlertsBefore(ctx, a.ID, cut, 2)
	must(t, "DeleteAlertsBefore", err)
	n2, err := s.DeleteAlertsBefore(ctx, a.ID, cut, 2)
	must(t, "DeleteAlertsBefore", err)
	n3, err := s.DeleteAlertsBefore(ctx, a.ID, cut, 2)
	must(t, "DeleteAlertsBefore", err)
	if n1 != 2 || n2 != 1 || n3 != 0 {
		t.Errorf("deleted %d, %d, %d in chunks of 2; want 2, 1, 0", n1, n2, n3)
	}
	for _, id := range []string{resolved, fp, suppressed} {
		if _, err := s.GetAlert(ctx, a.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("closed old alert %s: %v, want deleted", id, err)
		}
	}
	for _, id := range []string{open, recent, inCase} {
		if _, err := s.GetAlert(ctx, a.ID, id); err != nil {
			t.Errorf("alert %s was deleted: %v", id, err)
		}
	}
	if _, err := s.GetAlert(ctx, b.ID, other); err != nil {
		t.Errorf("the other tenant's alert was deleted: %v", err)
	}
	if cs, err := s.ListAlertComments(ctx, a.ID, resolved); err != nil || len(cs) != 0 {
		t.Errorf("comments of a deleted alert: %v, %v", cs, err)
	}
	if items, err := s.TakeDigest(ctx, a.ID, ch.ID, cut); err != nil || len(items) != 0 {
		t.Errorf("digest of a deleted alert: %+v, %v", items, err)
	}
	_, err = s.DeleteAlertsBefore(ctx, "", cut, 10)
	wantErr(t, "DeleteAlertsBefore without tenant", err, store.ErrInvalid)
}
