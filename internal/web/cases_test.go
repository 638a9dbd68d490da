package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/report"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// seedCasesB gives tenant B a case with every part, a report to a police
// centre, a block and a playbook override, all carrying the marker.
func seedCasesB(t *testing.T, f *crossTenantFixture) {
	t.Helper()
	ctx := context.Background()
	st := f.e.st
	c := &store.Case{TenantID: f.b.ID, Title: "Case " + marker, Description: marker, Status: store.CaseOpen, Severity: "high",
		Category: store.CatRansomware, Significant: true, Playbook: "ransomware", AwarenessAt: time.Now().Add(-time.Hour)}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateCase(ctx, c))
	task := &store.CaseTask{TenantID: f.b.ID, CaseID: c.ID, Title: "Task " + marker}
	must(st.AddTask(ctx, task))
	obs := &store.Observable{TenantID: f.b.ID, CaseID: c.ID, Type: "user", Value: marker, Personal: true}
	must(st.AddObservable(ctx, obs))
	must(st.AddComment(ctx, &store.CaseComment{TenantID: f.b.ID, CaseID: c.ID, AuthorName: "b", Body: "Comment " + marker}))
	must(st.AddTimeline(ctx, &store.TimelineEntry{TenantID: f.b.ID, CaseID: c.ID, Kind: store.TimelineNote, Text: "Note " + marker}))
	ev := &store.Evidence{TenantID: f.b.ID, CaseID: c.ID, Name: marker + ".txt", SHA256: strings.Repeat("a", 64), Path: "x/" + marker}
	must(st.AddEvidence(ctx, ev))
	clock := &store.CaseClock{TenantID: f.b.ID, CaseID: c.ID, Regime: "nis2", Stage: "early_warning", StartAt: time.Now(), DeadlineAt: time.Now().Add(time.Hour), NotifiedTo: marker}
	must(st.AddClock(ctx, clock))
	police := &store.Tenant{Slug: "police-b", Name: "Police of B", Kind: store.KindPoliceCentre, Country: "IT", Locale: "it"}
	must(st.CreateTenant(ctx, police))
	rep := &store.CaseReport{TenantID: f.b.ID, CaseID: c.ID, RecipientID: police.ID, Stage: "early_warning", Lang: "it",
		Title: "Report " + marker, STIX: []byte(`{"m":"` + marker + `"}`), PDF: []byte("%PDF " + marker), SentBy: marker}
	must(st.CreateReport(ctx, rep))
	must(st.AddReportMessage(ctx, &store.ReportMessage{ReportID: rep.ID, TenantID: police.ID, AuthorName: "p", Body: "Question " + marker}))
	blk := &store.Block{TenantID: f.b.ID, CaseID: c.ID, Kind: "block_ip", Target: "192.0.2.250", Action: "block-c2", CreatedBy: marker}
	must(st.CreateBlock(ctx, blk))
	must(st.SetTenantPlaybook(ctx, &store.TenantPlaybook{TenantID: f.b.ID, Name: "b-only", YAML: "# " + marker}))
	item := &store.ActionItem{TenantID: f.b.ID, CaseID: c.ID, Title: "Item " + marker}
	must(st.AddActionItem(ctx, item))
	f.wildcard["case"] = []string{c.ID, "missing-case"}
	f.wildcard["task"] = []string{task.ID}
	f.wildcard["obs"] = []string{obs.ID}
	f.wildcard["ev"] = []string{ev.ID}
	f.wildcard["clock"] = []string{clock.ID}
	// Reports exchanged with remote installations: one B received, one
	// B sent from its case.
	rin := &store.RemoteReport{TenantID: f.b.ID, Direction: store.RemoteIn, Peer: "Sender " + marker, Stage: "early_warning",
		Title: "Remote " + marker, STIX: []byte(`{"m":"` + marker + `"}`), PDF: []byte("%PDF " + marker), SentBy: marker}
	must(st.CreateRemoteReport(ctx, rin))
	rout := &store.RemoteReport{TenantID: f.b.ID, Direction: store.RemoteOut, CaseID: c.ID, Peer: "https://" + marker + ".example/",
		RemoteID: marker, Stage: "early_warning", Title: "Sent " + marker, STIX: []byte(`{"m":"` + marker + `"}`), SentBy: marker}
	must(st.CreateRemoteReport(ctx, rout))
	f.wildcard["report"] = []string{rep.ID, rin.ID, rout.ID}
	f.wildcard["format"] = []string{"pdf", "stix"}
	f.wildcard["action"] = []string{"block-c2"}
	f.wildcard["block"] = []string{blk.ID}
	f.wildcard["name"] = []string{"b-only", "ransomware"}
	f.wildcard["item"] = []string{item.ID}
}

// snapshotCasesB captures tenant B's cases and everything hanging off them.
func snapshotCasesB(t *testing.T, f *crossTenantFixture, b *strings.Builder) {
	t.Helper()
	ctx := context.Background()
	st := f.e.st
	cs, _ := st.ListCases(ctx, f.b.ID, store.CaseFilter{})
	for _, c := range cs {
		fmt.Fprintf(b, "case %s %s %s %s %v\n", c.ID, c.Title, c.Status, c.Playbook, c.UpdatedAt.UnixMilli())
		tasks, _ := st.ListTasks(ctx, f.b.ID, c.ID)
		obs, _ := st.ListObservables(ctx, f.b.ID, c.ID)
		com, _ := st.ListComments(ctx, f.b.ID, c.ID)
		tl, _ := st.ListTimeline(ctx, f.b.ID, c.ID)
		ev, _ := st.ListEvidence(ctx, f.b.ID, c.ID)
		cl, _ := st.ListClocks(ctx, f.b.ID, c.ID)
		rs, _ := st.ListCaseReports(ctx, f.b.ID, c.ID)
		al, _ := st.ListCaseAlerts(ctx, f.b.ID, c.ID)
		fmt.Fprintf(b, " tasks %+v obs %d comments %d timeline %d evidence %d clocks %+v reports %+v alerts %v\n",
			tasks, len(obs), len(com), len(tl), len(ev), cl, rs, al)
		for _, r := range rs {
			ms, _ := st.ListReportMessages(ctx, f.b.ID, r.ID)
			fmt.Fprintf(b, " messages %d\n", len(ms))
		}
		for _, e := range ev {
			cr, _ := st.ListCustody(ctx, f.b.ID, e.ID)
			fmt.Fprintf(b, " custody %d\n", len(cr))
		}
	}
	bl, _ := st.ListBlocks(ctx, f.b.ID, false, time.Now())
	pb, _ := st.ListTenantPlaybooks(ctx, f.b.ID)
	ai, _ := st.ListActionItems(ctx, f.b.ID)
	set, _ := st.GetIncidentSettings(ctx, f.b.ID)
	fmt.Fprintf(b, "blocks %+v playbooks %d items %+v settings %s\n", bl, len(pb), ai, set)
}

type hookLog struct {
	mu    sync.Mutex
	calls []incident.WebhookPayload
	bad   int
}

func (h *hookLog) get() []incident.WebhookPayload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]incident.WebhookPayload(nil), h.calls...)
}

// TestCaseFlow takes a case from creation through the ransomware
// playbook's block action and its undo to the early warning, acknowledged
// and questioned by the police centre.
func TestCaseFlow(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ten := e.tenant("lerici", store.KindMunicipality)
	police := e.tenant("cosc", store.KindPoliceCentre)
	if err := e.st.GrantOversight(ctx, store.Oversight{OverseerID: police.ID, OverseenID: ten.ID, GrantedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	e.user("anna", false, ten.ID, store.RoleAnalyst)
	e.user("admin", false, ten.ID, store.RoleAdmin)
	e.user("ispettore", false, police.ID, store.RoleLiaison)

	hooks := &hookLog{}
	const secret = "hook-secret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get(incident.HeaderTimestamp), 10, 64)
		var p incident.WebhookPayload
		_ = json.Unmarshal(body, &p)
		hooks.mu.Lock()
		if r.Header.Get(incident.HeaderSignature) != incident.Sign(secret, ts, body) {
			hooks.bad++
		}
		hooks.calls = append(hooks.calls, p)
		hooks.mu.Unlock()
	}))
	defer hook.Close()

	// The admin configures the firewall webhook.
	adm := e.browser()
	adm.login("admin")
	adm.get("/incident-settings")
	if resp, body := adm.post("/incident-settings", url.Values{"block_url": {hook.URL}, "block_secret": {secret}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", resp.StatusCode, body)
	}

	b := e.browser()
	b.login("anna")
	b.get("/cases")
	resp, body := b.post("/cases", url.Values{"title": {"Ransomware all'anagrafe"}, "category": {"ransomware"}, "severity": {"critical"},
		"significant": {"on"}, "personal_data": {"on"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create case: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	caseURL := strings.SplitN(loc, "?", 2)[0]
	caseID := strings.TrimPrefix(caseURL, "/cases/")
	c, err := e.st.GetCase(ctx, ten.ID, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Playbook != "ransomware" {
		t.Errorf("playbook = %q, want ransomware chosen from the category", c.Playbook)
	}
	cl, _ := e.st.ListClocks(ctx, ten.ID, caseID)
	if len(cl) != 4 {
		t.Errorf("clocks = %d, want 3 NIS2 + GDPR", len(cl))
	}
	for _, tab := range caseTabs {
		if resp, body := b.get(caseURL + "?tab=" + tab); resp.StatusCode != http.StatusOK || !strings.Contains(body, "</html>") {
			t.Errorf("tab %s: %d", tab, resp.StatusCode)
		}
	}
	_, body = b.get(caseURL + "?tab=playbook")
	if !strings.Contains(body, `id="action-block-c2"`) || !strings.Contains(body, "Contain") {
		t.Errorf("playbook tab lacks the ransomware steps:\n%s", body)
	}

	// Block, then undo from the active-blocks page.
	resp, body = b.post(caseURL+"/actions/block-c2", url.Values{"target": {"203.0.113.66"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("block: %d %s", resp.StatusCode, body)
	}
	_, body = b.get("/blocks")
	m := regexp.MustCompile(`action="/blocks/([^/]+)/undo"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "203.0.113.66") {
		t.Fatalf("active blocks page lacks the block:\n%s", body)
	}
	if resp, _ := b.post("/blocks/"+m[1]+"/undo", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo: %d", resp.StatusCode)
	}
	if _, body = b.get("/blocks"); !strings.Contains(body, `id="no-blocks"`) {
		t.Error("block still listed as active after undo")
	}
	calls := hooks.get()
	if len(calls) != 2 || calls[0].Action != "block" || calls[1].Action != "unblock" || calls[1].Target != "203.0.113.66" || hooks.bad != 0 {
		t.Errorf("webhook calls = %+v (bad signatures %d)", calls, hooks.bad)
	}

	// An observable with personal data, then the early warning.
	b.get(caseURL + "?tab=observables")
	b.post(caseURL+"/observables", url.Values{"type": {"ip"}, "value": {"198.51.100.23"}, "personal": {"on"}})
	b.post(caseURL+"/observables", url.Values{"type": {"domain"}, "value": {"evil.example"}})
	b.get(caseURL + "?tab=reports")
	resp, body = b.post(caseURL+"/reports", url.Values{"stage": {"early_warning"}, "lang": {"it"}, "recipient": {police.ID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send report: %d %s", resp.StatusCode, body)
	}
	reps, _ := e.st.ListCaseReports(ctx, ten.ID, caseID)
	if len(reps) != 1 {
		t.Fatalf("reports = %d", len(reps))
	}
	rep, _ := e.st.GetReport(ctx, ten.ID, reps[0].ID)
	if strings.Contains(string(rep.STIX), "198.51.100.23") || !strings.Contains(string(rep.STIX), "evil.example") {
		t.Error("bundle: personal address not pseudonymised or IoC missing")
	}
	if _, err := report.ParseBundle(rep.STIX); err != nil {
		t.Errorf("sent bundle does not parse: %v", err)
	}
	cl, _ = e.st.ListClocks(ctx, ten.ID, caseID)
	for _, k := range cl {
		if k.Stage == "early_warning" && (k.MetAt.IsZero() || k.NotifiedTo != police.Name) {
			t.Errorf("early warning clock not met: %+v", k)
		}
	}

	// The police liaison acknowledges and asks; the question reaches the case.
	p := e.browser()
	p.login("ispettore")
	_, body = p.get("/reports/inbox")
	if !strings.Contains(body, rep.ID) {
		t.Fatalf("inbox lacks the report:\n%s", body)
	}
	if resp, _ := p.get("/reports/inbox/" + rep.ID + "/pdf"); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("inbox PDF: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p.get("/reports/inbox/" + rep.ID)
	if resp, _ := p.post("/reports/inbox/"+rep.ID+"/ack", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ack: %d", resp.StatusCode)
	}
	p.get("/reports/inbox/" + rep.ID)
	p.post("/reports/inbox/"+rep.ID+"/messages", url.Values{"body": {"Quanti server sono cifrati?"}})
	// The liaison cannot open the municipality's case.
	if resp, _ := p.get(caseURL); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("liaison opened the case: %d", resp.StatusCode)
	}
	_, body = b.get(caseURL + "?tab=reports")
	if !strings.Contains(body, "Quanti server sono cifrati?") || !strings.Contains(body, `class="badge ok" id="ack-`+rep.ID) {
		t.Error("question or acknowledgement not shown on the case")
	}

	// Closing needs resolution and lessons; lessons become action items.
	b.get(caseURL)
	if resp, _ := b.post(caseURL+"/close", url.Values{"resolution": {""}, "lessons": {""}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("close without resolution: %d", resp.StatusCode)
	}
	b.get(caseURL)
	if resp, _ := b.post(caseURL+"/close", url.Values{"resolution": {"Ripristino da backup"}, "lessons": {"- Backup offline\n- MFA per la VPN"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("close: %d", resp.StatusCode)
	}
	items, _ := e.st.ListActionItems(ctx, ten.ID)
	if len(items) != 2 || items[1].Title != "MFA per la VPN" {
		t.Errorf("action items = %+v", items)
	}
	c, _ = e.st.GetCase(ctx, ten.ID, caseID)
	if c.Status != store.CaseClosed || c.AcknowledgedAt.IsZero() || c.ClosedAt.IsZero() {
		t.Errorf("closed case = %+v", c)
	}
}

// TestPlaybookEditor checks that a malformed playbook is refused with its
// line and a valid one becomes the tenant's version.
func TestPlaybookEditor(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("anna", false, ten.ID, store.RoleAnalyst)
	b := e.browser()
	b.login("anna")
	b.get("/playbooks/ransomware")
	y := incident.DefaultYAML("ransomware")
	resp, body := b.post("/playbooks", url.Values{"name": {"ransomware"}, "yaml": {strings.Replace(y, "category: ransomware", "category: ransomware\ncolour: red", 1)}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "line 3") {
		t.Errorf("malformed playbook: %d, want 400 naming line 3", resp.StatusCode)
	}
	resp, _ = b.post("/playbooks", url.Values{"yaml": {strings.Replace(y, "it: Contenere", "it: Isolare subito", 1)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	pbs, err := incident.Playbooks(context.Background(), e.st, ten.ID)
	if err != nil || pbs["ransomware"].Steps[0].Title.IT != "Isolare subito" {
		t.Errorf("override not used: %v", err)
	}
}

// TestCaseAPI creates a case through the API and reads it back; personal
// observables are hidden from a token without the personal-data
// permission.
func TestCaseAPI(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	_, analyst := e.token(ten.ID, store.RoleAnalyst, "soar")
	_, viewer := e.token(ten.ID, store.RoleViewer, "wall")
	resp, body := apiDo(t, e, "POST", "/api/v1/cases", analyst, `{"title":"DDoS portale","severity":"high","category":"ddos","significant":true}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var c apiCase
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddObservable(context.Background(), &store.Observable{TenantID: ten.ID, CaseID: c.ID, Type: "user", Value: "m.rossi", Personal: true}); err != nil {
		t.Fatal(err)
	}
	resp, body = apiDo(t, e, "GET", "/api/v1/cases/"+c.ID, viewer, "")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "m.rossi") || !strings.Contains(body, `"stage": "early_warning"`) {
		t.Errorf("viewer read: %d %s", resp.StatusCode, body)
	}
	resp, body = apiDo(t, e, "GET", "/api/v1/cases/"+c.ID, analyst, "")
	if !strings.Contains(body, "m.rossi") {
		t.Errorf("analyst read lacks the personal observable: %s", body)
	}
	if resp, _ := apiDo(t, e, "POST", "/api/v1/cases", viewer, `{"title":"x","severity":"low","category":"other"}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer create: %d", resp.StatusCode)
	}
	if resp, body := apiDo(t, e, "POST", "/api/v1/cases", analyst, `{"title":"","severity":"low","category":"other"}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty title: %d %s", resp.StatusCode, body)
	}
}

// TestCaseEvidenceWeb uploads, downloads and verifies evidence through the
// UI, checking the chain of custody.
func TestCaseEvidenceWeb(t *testing.T) {
	e := newTestEnv(t)
	ev, err := incident.OpenEvidence(t.TempDir(), e.st, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	srv, err := New(Options{Store: e.st, Logger: slog.New(slog.DiscardHandler), Hasher: auth.TestHasher(), Cases: CaseOptions{Evidence: ev}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	e.ts = ts
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("anna", false, ten.ID, store.RoleAnalyst)
	c := &store.Case{TenantID: ten.ID, Title: "Defacement", Status: store.CaseOpen, Severity: "medium", Category: store.CatDefacement}
	if err := e.st.CreateCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("anna")
	b.get("/cases/" + c.ID + "?tab=evidence")
	var buf strings.Builder
	boundary := "XBOUNDARYX"
	fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n", boundary, b.csrf)
	fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"screenshot.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--%s--\r\n", boundary, boundary)
	req, _ := http.NewRequest("POST", ts.URL+"/cases/"+c.ID+"/evidence", strings.NewReader(buf.String()))
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	list, _ := e.st.ListEvidence(context.Background(), ten.ID, c.ID)
	if len(list) != 1 || list[0].SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("evidence = %+v", list)
	}
	resp, body := b.get("/cases/" + c.ID + "/evidence/" + list[0].ID)
	if resp.StatusCode != http.StatusOK || body != "hello" {
		t.Errorf("download: %d %q", resp.StatusCode, body)
	}
	b.get("/cases/" + c.ID + "?tab=evidence")
	b.post("/cases/"+c.ID+"/evidence/"+list[0].ID+"/verify", url.Values{})
	cr, _ := e.st.ListCustody(context.Background(), ten.ID, list[0].ID)
	if len(cr) != 3 || cr[0].Action != "upload" || cr[1].Action != "download" || cr[2].Detail != "intact" {
		t.Errorf("custody = %+v", cr)
	}
}
