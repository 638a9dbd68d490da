package pipeline_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/pipeline"
	"github.com/vedetta-sec/vedetta/internal/store"
)

func TestRetention(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	days := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	type spec struct {
		tenant   *store.Tenant
		src      *store.Source
		category string
		age      int // days
		kept     bool
	}
	specs := []spec{
		// A: camera keeps the default 7 days.
		{f.a, f.srcA, event.CategoryCamera, 8, false},
		{f.a, f.srcA, event.CategoryCamera, 9, false},
		{f.a, f.srcA, event.CategoryCamera, 10, false},
		{f.a, f.srcA, event.CategoryCamera, 11, false},
		{f.a, f.srcA, event.CategoryCamera, 12, false},
		{f.a, f.srcA, event.CategoryCamera, 6, true},
		{f.a, f.srcA, event.CategorySecurity, 300, true},
		{f.a, f.srcA, event.CategorySecurity, 400, false},
		{f.a, f.srcA, "", 100, false}, // uncategorised: DefaultRetentionDays
		{f.a, f.srcA, "", 80, true},
		// B: camera set to 30 days.
		{f.b, f.srcB, event.CategoryCamera, 10, true},
		{f.b, f.srcB, event.CategoryCamera, 31, false},
	}
	if err := f.st.SetRetention(ctx, store.Retention{TenantID: f.b.ID, Category: event.CategoryCamera, Days: 30}); err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	for _, s := range specs {
		e := f.event(s.tenant, s.src, "plate AB123CD")
		e.Category, e.Observed = s.category, days(s.age)
		evs = append(evs, e)
	}
	if _, err := f.st.InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	// Closed alerts: A keeps the default 365 days, B sets 30.
	if err := f.st.SetRetention(ctx, store.Retention{TenantID: f.b.ID, Category: store.RetentionAlerts, Days: 30}); err != nil {
		t.Fatal(err)
	}
	type alertSpec struct {
		tenant *store.Tenant
		age    int
		kept   bool
	}
	alertSpecs := []alertSpec{{f.a, 400, false}, {f.a, 300, true}, {f.b, 40, false}, {f.b, 20, true}}
	alertIDs := make([]string, len(alertSpecs))
	for i, s := range alertSpecs {
		al := &store.Alert{TenantID: s.tenant.ID, Kind: store.AlertSigma, RuleID: "r", RuleTitle: "R", Severity: store.SeverityLow,
			Title: "Brute force from 203.0.113.7", DedupKey: "k" + string(rune('0'+i)), LastSeen: days(s.age)}
		if _, _, err := f.st.UpsertAlert(ctx, al, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := f.st.UpdateAlertStatus(ctx, s.tenant.ID, al.ID, store.StatusResolved); err != nil {
			t.Fatal(err)
		}
		alertIDs[i] = al.ID
	}
	r := pipeline.NewRetention(f.st, nil, pipeline.RetentionOptions{Chunk: 2, Pause: -1, Now: func() time.Time { return now }})
	n, err := r.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wantDeleted int64 = 2 // alerts
	for i, s := range alertSpecs {
		if _, err := f.st.GetAlert(ctx, s.tenant.ID, alertIDs[i]); (err == nil) != s.kept {
			t.Errorf("alert %d days old of %s: kept %v, want %v", s.age, s.tenant.Slug, err == nil, s.kept)
		}
	}
	var gotKept, wantKept []bool
	for i, s := range specs {
		if !s.kept {
			wantDeleted++
		}
		_, err := f.st.GetEvent(ctx, s.tenant.ID, evs[i].ID)
		gotKept = append(gotKept, err == nil)
		wantKept = append(wantKept, s.kept)
	}
	if n != wantDeleted {
		t.Errorf("RunOnce deleted %d, want %d", n, wantDeleted)
	}
	if diff := cmp.Diff(wantKept, gotKept); diff != "" {
		t.Errorf("kept per event (-want +got):\n%s", diff)
	}
	if n, err := r.RunOnce(ctx); n != 0 || err != nil {
		t.Errorf("second run = %d, %v; want 0", n, err)
	}
}
