package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// seedAlerts gives tenant B an alert over an event, a suppression and an
// indicator, all carrying the marker, for the cross-tenant walker.
func (f *crossTenantFixture) seedAlerts(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ev := event.Event{ID: uuid.Must(uuid.NewV7()).String(), TenantID: f.b.ID, SourceID: "s", Observed: time.Now().UTC(),
		Received: time.Now().UTC(), Category: event.CategorySecurity, Fields: map[string]any{"user.name": marker}, Raw: "raw " + marker}
	if _, err := f.e.st.InsertEvents(ctx, []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	a := &store.Alert{TenantID: f.b.ID, Kind: store.AlertSigma, RuleID: "rule-b", RuleTitle: "Rule " + marker,
		Severity: store.SeverityHigh, Title: "Alert " + marker, Description: marker, DedupKey: "k",
		Entities: store.Entities{Users: []string{marker}}, LastSeen: time.Now(), EventIDs: []string{ev.ID}}
	if _, _, err := f.e.st.UpsertAlert(ctx, a, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := f.e.st.AddAlertComment(ctx, &store.AlertComment{TenantID: f.b.ID, AlertID: a.ID, Author: f.bUsers[0].ID, Text: "note " + marker}); err != nil {
		t.Fatal(err)
	}
	x := &store.Suppression{TenantID: f.b.ID, RuleID: "rule-b", Reason: "reason " + marker, Author: f.bUsers[0].ID}
	if err := f.e.st.CreateSuppression(ctx, x); err != nil {
		t.Fatal(err)
	}
	inds := []store.Indicator{{TenantID: f.b.ID, Type: "domain", Value: "b.example", Source: "src " + marker, Description: marker}}
	if _, err := f.e.st.UpsertIndicators(ctx, inds); err != nil {
		t.Fatal(err)
	}
	f.wildcard["alert"] = append(f.wildcard["alert"], a.ID)
	f.wildcard["suppression"] = append(f.wildcard["suppression"], x.ID)
	f.wildcard["indicator"] = append(f.wildcard["indicator"], inds[0].ID)
}

// snapshotAlerts captures tenant B's alerts, comments, suppressions and
// indicators.
func (f *crossTenantFixture) snapshotAlerts(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	as, _ := f.e.st.ListAlerts(ctx, f.b.ID, store.AlertFilter{Limit: 1000})
	for _, a := range as {
		cs, _ := f.e.st.ListAlertComments(ctx, f.b.ID, a.ID)
		fmt.Fprintf(&b, "alert %s %s %s %d %s comments %d\n", a.ID, a.Status, a.Assignee, a.Count, a.UpdatedAt, len(cs))
	}
	xs, _ := f.e.st.ListSuppressions(ctx, f.b.ID)
	fmt.Fprintf(&b, "suppressions %+v\n", xs)
	v, _ := f.e.st.IndicatorsVersion(ctx, f.b.ID)
	fmt.Fprintf(&b, "indicators %s\n", v)
	return b.String()
}

func seedAlert(t *testing.T, e *testEnv, tenantID string, sev store.Severity, title string) (*store.Alert, event.Event) {
	t.Helper()
	ctx := context.Background()
	ev := event.Event{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenantID, SourceID: "gw", Observed: time.Now().UTC(),
		Received: time.Now().UTC(), Category: event.CategorySecurity, Fields: map[string]any{"source.ip": "203.0.113.7"},
		Raw: "Failed password for root from 203.0.113.7 port 4242 ssh2"}
	if _, err := e.st.InsertEvents(ctx, []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	a := &store.Alert{TenantID: tenantID, Kind: store.AlertCorrelation, RuleID: "91628a85-fb16-48a1-b8b3-246a77c680fb",
		RuleTitle: "SSH brute force", Severity: sev, Title: title, DedupKey: title, Tags: []string{"attack.t1110.001"},
		Entities: store.Entities{IPs: []string{"203.0.113.7"}}, LastSeen: time.Now(), EventIDs: []string{ev.ID}}
	if _, _, err := e.st.UpsertAlert(ctx, a, time.Minute); err != nil {
		t.Fatal(err)
	}
	return a, ev
}

func TestAlertPages(t *testing.T) {
	e := newTestEnv(t)
	tn := e.tenant("port", store.KindPort)
	analyst := e.user("ana", false, tn.ID, store.RoleAnalyst)
	e.user("vito", false, tn.ID, store.RoleViewer)
	a, ev := seedAlert(t, e, tn.ID, store.SeverityHigh, "SSH brute force from 203.0.113.7")
	seedAlert(t, e, tn.ID, store.SeverityLow, "Something minor")
	ctx := context.Background()

	br := e.browser()
	br.login("ana")
	resp, body := br.get("/alerts")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "SSH brute force from 203.0.113.7") || !strings.Contains(body, "Something minor") {
		t.Fatalf("/alerts: status %d\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `class="sev sev-high"`) {
		t.Error("no severity colour class")
	}
	if _, body = br.get("/alerts?severity=high"); strings.Contains(body, "Something minor") {
		t.Error("severity filter does not filter")
	}
	if resp, _ = br.get("/alerts?severity=urgent"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad severity: status %d, want 400", resp.StatusCode)
	}
	resp, body = br.get("/alerts/" + a.ID)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ev.Raw) {
		t.Fatalf("detail: status %d, event missing\n%s", resp.StatusCode, body)
	}
	au, _ := e.st.ListAudit(ctx, store.AuditFilter{TenantIDs: []string{tn.ID}, Action: "personal_data.read"})
	if len(au) != 1 || au[0].Object != "alert:"+a.ID {
		t.Errorf("reading the events was not audited: %+v", au)
	}
	resp, _ = br.post("/alerts/"+a.ID+"/status", url.Values{"status": {"acknowledged"}, "assignee": {analyst.ID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("status change: %d", resp.StatusCode)
	}
	got, _ := e.st.GetAlert(ctx, tn.ID, a.ID)
	if got.Status != store.StatusAcknowledged || got.Assignee != analyst.ID {
		t.Errorf("after triage: %s %q", got.Status, got.Assignee)
	}
	if resp, _ = br.post("/alerts/"+a.ID+"/status", url.Values{"status": {"closed"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad status: %d, want 400", resp.StatusCode)
	}
	br.post("/alerts/"+a.ID+"/comments", url.Values{"text": {"Blocked at the firewall."}})
	if cs, _ := e.st.ListAlertComments(ctx, tn.ID, a.ID); len(cs) != 1 || cs[0].Author != analyst.ID {
		t.Errorf("comments = %+v", cs)
	}
	if _, body = br.get("/alerts/" + a.ID); !strings.Contains(body, "Blocked at the firewall.") {
		t.Error("comment not shown")
	}

	// Suppressions.
	br.post("/alerts/suppressions", url.Values{"rule": {a.RuleID}, "field": {"source.ip"}, "value": {"203.0.113.7"}, "reason": {"our own pentest"}, "days": {"7"}})
	if resp, body = br.get("/alerts/suppressions"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "our own pentest") {
		t.Errorf("create suppression: %d\n%s", resp.StatusCode, body)
	}
	if _, body = br.post("/alerts/suppressions", url.Values{"reason": {"nothing to match"}}); !strings.Contains(body, "Give a rule id") {
		t.Errorf("a suppression matching everything was not refused:\n%s", body)
	}
	xs, _ := e.st.ListSuppressions(ctx, tn.ID)
	if len(xs) != 1 || xs[0].ExpiresAt.IsZero() || xs[0].Author != analyst.ID {
		t.Fatalf("suppressions = %+v", xs)
	}
	br.post("/alerts/suppressions/"+xs[0].ID+"/delete", url.Values{})
	if xs, _ = e.st.ListSuppressions(ctx, tn.ID); len(xs) != 0 {
		t.Error("suppression not deleted")
	}

	// Indicators: one from the form fields, then a pasted file with one
	// bad line, which is refused whole.
	br.post("/indicators", url.Values{"type": {"ipv4"}, "value": {"198.51.100.23"}, "source": {"police"}, "confidence": {"90"}, "tlp": {"amber"}})
	if resp, body = br.get("/indicators"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "198.51.100.23") {
		t.Errorf("add indicator: %d\n%s", resp.StatusCode, body)
	}
	_, body = br.post("/indicators", url.Values{"format": {"csv"}, "file": {"type,value\ndomain,evil.example\nipv4,300.1.1.1\n"}})
	if !strings.Contains(body, "line 3") {
		t.Errorf("bad file error does not name the line:\n%s", body)
	}
	if all, _ := e.st.AllIndicators(ctx, tn.ID); len(all) != 1 {
		t.Errorf("%d indicators stored, want 1 (nothing of the bad file)", len(all))
	}

	// A viewer sees alerts but neither events nor triage forms.
	vb := e.browser()
	vb.login("vito")
	resp, body = vb.get("/alerts/" + a.ID)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, ev.Raw) || strings.Contains(body, `action="/alerts/`+a.ID+`/status"`) {
		t.Errorf("viewer detail: %d, shows events or triage", resp.StatusCode)
	}
	if resp, _ = vb.post("/alerts/"+a.ID+"/status", url.Values{"status": {"resolved"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer triage: %d, want 403", resp.StatusCode)
	}
}

func TestAlertAPI(t *testing.T) {
	e := newTestEnv(t)
	tn := e.tenant("port", store.KindPort)
	_, secret := e.token(tn.ID, store.RoleAnalyst, "soc")
	a, ev := seedAlert(t, e, tn.ID, store.SeverityCritical, "Critical thing")
	resp, body := apiDo(t, e, "GET", "/api/v1/alerts?severity=high", secret, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	var list struct {
		Alerts []struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
			Count    int    `json:"count"`
		} `json:"alerts"`
		Counts struct {
			Total    int            `json:"total"`
			Severity map[string]int `json:"severity"`
		} `json:"counts"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Alerts) != 1 || list.Alerts[0].ID != a.ID || list.Counts.Severity["critical"] != 1 {
		t.Errorf("list = %+v", list)
	}
	resp, body = apiDo(t, e, "GET", "/api/v1/alerts/"+a.ID, secret, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ev.ID) || !strings.Contains(body, `"events": [`) {
		t.Errorf("detail: %d %s", resp.StatusCode, body)
	}
	resp, body = apiDo(t, e, "POST", "/api/v1/alerts/"+a.ID+"/status", secret, `{"status":"false_positive"}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"status": "false_positive"`) {
		t.Errorf("status: %d %s", resp.StatusCode, body)
	}
	if resp, _ = apiDo(t, e, "POST", "/api/v1/alerts/"+a.ID+"/status", secret, `{"status":"nope"}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad status: %d", resp.StatusCode)
	}
	if resp, _ = apiDo(t, e, "POST", "/api/v1/alerts/"+a.ID+"/comments", secret, `{"text":"seen"}`); resp.StatusCode != http.StatusCreated {
		t.Errorf("comment: %d", resp.StatusCode)
	}
	if resp, _ = apiDo(t, e, "GET", "/api/v1/alerts/0190aaaa-0000-7000-8000-000000000000", secret, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing alert: %d", resp.StatusCode)
	}

	resp, body = apiDo(t, e, "POST", "/api/v1/indicators", secret, `[{"type":"url","value":"HTTP://Evil.Example:80/a/../b","source":"police","tlp":"red"},{"type":"sha256","value":"`+strings.Repeat("ab", 32)+`"}]`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"new": 2`) {
		t.Errorf("import: %d %s", resp.StatusCode, body)
	}
	resp, body = apiDo(t, e, "GET", "/api/v1/indicators?type=url", secret, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"value": "http://evil.example/b"`) {
		t.Errorf("indicators: %d %s", resp.StatusCode, body)
	}
	if resp, body = apiDo(t, e, "POST", "/api/v1/indicators", secret, `[{"type":"md5","value":"xyz"}]`); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "indicator.bad_file") {
		t.Errorf("bad import: %d %s", resp.StatusCode, body)
	}

	resp, body = apiDo(t, e, "POST", "/api/v1/suppressions", secret, `{"rule_id":"r1","reason":"noisy rule","days":1}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create suppression: %d %s", resp.StatusCode, body)
	}
	var x struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal([]byte(body), &x)
	if resp, body = apiDo(t, e, "GET", "/api/v1/suppressions", secret, ""); !strings.Contains(body, "noisy rule") {
		t.Errorf("list suppressions: %d %s", resp.StatusCode, body)
	}
	if resp, _ = apiDo(t, e, "DELETE", "/api/v1/suppressions/"+x.ID, secret, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete suppression: %d", resp.StatusCode)
	}
	if resp, _ = apiDo(t, e, "POST", "/api/v1/suppressions", secret, `{"reason":"everything"}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("suppress everything: %d", resp.StatusCode)
	}
}
