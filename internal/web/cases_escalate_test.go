package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

func TestGuessCategory(t *testing.T) {
	tests := []struct {
		name string
		a    store.Alert
		want store.CaseCategory
	}{
		{"ransom note rule", store.Alert{RuleTitle: "Ransom note written"}, store.CatRansomware},
		{"ATT&CK impact tag", store.Alert{Title: "Mass rename", Tags: []string{"attack.t1486"}}, store.CatRansomware},
		{"phishing title", store.Alert{Title: "Phishing link clicked"}, store.CatPhishing},
		{"brute force", store.Alert{RuleID: "ssh-bruteforce", Title: "SSH brute force"}, store.CatAccountCompromise},
		{"ddos", store.Alert{Title: "DDoS on the portal"}, store.CatDDoS},
		{"perimeter", store.Alert{Title: "Perimeter fence opened at night"}, store.CatPhysicalIntrusion},
		{"nothing known", store.Alert{Title: "Odd DNS query"}, store.CatOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := guessCategory([]store.Alert{tt.a}); got != tt.want {
				t.Errorf("guessCategory = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEscalateButton: the alert page and list offer "Escalate to case" to
// those who manage cases; the button's form opens a ransomware case from a
// ransomware alert.
func TestEscalateButton(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("anna", false, ten.ID, store.RoleAnalyst)
	e.user("otto", false, ten.ID, store.RoleOperator)
	now := time.Now().UTC()
	a := &store.Alert{TenantID: ten.ID, Kind: store.AlertSigma, RuleID: "ransom", RuleTitle: "Ransom note written", Severity: store.SeverityCritical,
		Title: "Ransom note on FS-1", Description: "Files renamed to .lockbit", DedupKey: "k", Count: 1, FirstSeen: now.Add(-time.Minute), LastSeen: now}
	if _, _, err := e.st.UpsertAlert(ctx, a, time.Minute); err != nil {
		t.Fatal(err)
	}
	op := e.browser()
	op.login("otto")
	if _, body := op.get("/alerts/" + a.ID); strings.Contains(body, `id="escalate"`) {
		t.Error("an operator sees the escalate button")
	}
	b := e.browser()
	b.login("anna")
	if _, body := b.get("/alerts"); !strings.Contains(body, `id="escalate-`+a.ID+`"`) {
		t.Error("alerts list lacks the escalate button")
	}
	_, body := b.get("/alerts/" + a.ID)
	if !strings.Contains(body, `id="escalate"`) || !strings.Contains(body, `action="/cases/from-alerts"`) {
		t.Fatal("alert page lacks the escalate form")
	}
	if resp, _ := b.do("POST", "/cases/from-alerts", url.Values{"alert": {a.ID}, "csrf": {"wrong"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("escalate without CSRF: %d", resp.StatusCode)
	}
	resp, _ := b.post("/cases/from-alerts", url.Values{"alert": {a.ID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("escalate: %d", resp.StatusCode)
	}
	cs, err := e.st.ListCases(ctx, ten.ID, store.CaseFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("cases = %v, %v", cs, err)
	}
	c := cs[0]
	if c.Title != a.Title || c.Category != store.CatRansomware || c.Playbook != "ransomware" || c.Description != a.Description ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/cases/"+c.ID) {
		t.Errorf("case = %+v, redirect %q", c, resp.Header.Get("Location"))
	}
}
