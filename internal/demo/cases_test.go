package demo

import (
	"context"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestDemoCase checks the Lerici ransomware case: open, with the ransomware
// playbook's tasks, personal observables marked, and NIS2 and GDPR clocks
// pending, reportable to COSC Liguria.
func TestDemoCase(t *testing.T) {
	ctx := context.Background()
	st := seeded(t)
	lerici, err := st.GetTenantBySlug(ctx, "comune-lerici")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.ListCases(ctx, lerici.ID, store.CaseFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("cases = %v, %v", cs, err)
	}
	c := cs[0]
	if c.Playbook != "ransomware" || c.Status != store.CaseOpen {
		t.Errorf("case = %+v", c)
	}
	cl, _ := st.ListClocks(ctx, lerici.ID, c.ID)
	if len(cl) != 4 {
		t.Errorf("clocks = %d, want 4", len(cl))
	}
	for _, k := range cl {
		if k.Status(time.Now()) != store.ClockPending {
			t.Errorf("clock %s/%s is %s", k.Regime, k.Stage, k.Status(time.Now()))
		}
	}
	obs, _ := st.ListObservables(ctx, lerici.ID, c.ID)
	personal := 0
	for _, o := range obs {
		if o.Personal {
			personal++
		}
	}
	if personal != 2 {
		t.Errorf("personal observables = %d, want 2", personal)
	}
	tasks, _ := st.ListTasks(ctx, lerici.ID, c.ID)
	if len(tasks) < 5 {
		t.Errorf("tasks = %d", len(tasks))
	}
	os, _ := st.ListOverseers(ctx, lerici.ID)
	found := false
	for _, o := range os {
		if t2, _ := st.GetTenant(ctx, o.OverseerID); t2 != nil && t2.Kind == store.KindPoliceCentre {
			found = true
		}
	}
	al, err := st.ListAlerts(ctx, lerici.ID, store.AlertFilter{RuleID: DemoRansomRule})
	if err != nil || len(al) != 1 || al[0].Severity != store.SeverityCritical || al[0].Status != store.StatusNew {
		t.Errorf("demo ransomware alert = %+v, %v", al, err)
	}
	if !found {
		t.Error("no police centre oversees Lerici")
	}
}
