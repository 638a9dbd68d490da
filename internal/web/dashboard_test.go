package web

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

// seedDashboard gives the cross-tenant walker the dashboard's wildcards:
// tenant B and the tenant B oversees for the regional drill-down.
func (f *crossTenantFixture) seedDashboard(t *testing.T) {
	t.Helper()
	f.wildcard["tenant"] = append([]string{f.b.ID}, f.wildcard["overseen"]...)
	f.seedNotify(t)
}

// liveHub is an in-memory LiveSubscriber: exact subjects, synchronous.
type liveHub struct {
	mu   sync.Mutex
	subs map[string][]func(string, []byte)
}

func (h *liveHub) Subscribe(subject string, fn func(string, []byte)) (func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[string][]func(string, []byte){}
	}
	h.subs[subject] = append(h.subs[subject], fn)
	i := len(h.subs[subject]) - 1
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.subs[subject][i] = nil
	}, nil
}

func (h *liveHub) Notify(subject string, data []byte) error {
	h.mu.Lock()
	fns := append([]func(string, []byte){}, h.subs[subject]...)
	h.mu.Unlock()
	for _, fn := range fns {
		if fn != nil {
			fn(subject, data)
		}
	}
	return nil
}

func (h *liveHub) subscribers(subject string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, fn := range h.subs[subject] {
		if fn != nil {
			n++
		}
	}
	return n
}

type dashEnv struct {
	*testEnv
	hub    *liveHub
	tenant *store.Tenant
	admin  *browser
	site   *store.Site
	asset  *store.Asset
	alert  *store.Alert
}

func newDashEnv(t *testing.T) *dashEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hub := &liveHub{}
	srv, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler), Hasher: auth.TestHasher(), Live: hub, Heartbeat: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, st: st, srv: srv, ts: httptest.NewServer(srv.Handler())}
	t.Cleanup(e.ts.Close)
	d := &dashEnv{testEnv: e, hub: hub, tenant: e.tenant("porto", store.KindPort)}
	e.user("pfso", false, d.tenant.ID, store.RoleAdmin)
	d.admin = e.browser()
	d.admin.login("pfso")
	d.site = &store.Site{TenantID: d.tenant.ID, Name: "Molo Nord", Kind: store.SitePortFacility, Lon: 9.84, Lat: 44.05}
	if err := st.CreateSite(ctx, d.site); err != nil {
		t.Fatal(err)
	}
	d.asset = &store.Asset{TenantID: d.tenant.ID, SiteID: d.site.ID, Name: "Varco 3", Type: store.AssetGateController, Criticality: 5,
		Status: store.AssetActive, HasPoint: true, Lon: 9.841, Lat: 44.051, Identifiers: []store.Identifier{{Kind: store.IdentSerial, Value: "gate-3"}}}
	if err := st.CreateAsset(ctx, d.asset); err != nil {
		t.Fatal(err)
	}
	d.alert = d.raise(t, "Door forced open", store.SeverityHigh, "gate-3", time.Now())
	return d
}

// raise stores an alert about entity, with one event.
func (d *dashEnv) raise(t *testing.T, title string, sev store.Severity, entity string, at time.Time) *store.Alert {
	t.Helper()
	ctx := context.Background()
	ev := event.Event{ID: uuid.Must(uuid.NewV7()).String(), TenantID: d.tenant.ID, SourceID: "src-1", Observed: at.UTC(), Received: at.UTC(),
		Category: event.CategorySecurity, Fields: map[string]any{"event.action": "door-forced", "message": "door " + entity + " forced"}}
	if _, err := d.st.InsertEvents(ctx, []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	a := &store.Alert{TenantID: d.tenant.ID, Kind: store.AlertPhysical, RuleID: "rule-" + title, RuleTitle: title, Severity: sev, Title: title,
		DedupKey: title + entity, Entities: store.Entities{Assets: []string{entity}, Users: []string{"mario.rossi"}}, FirstSeen: at, LastSeen: at, EventIDs: []string{ev.ID}}
	if _, _, err := d.st.UpsertAlert(ctx, a, time.Minute); err != nil {
		t.Fatal(err)
	}
	return a
}

func (d *dashEnv) audited(t *testing.T, tenantID, action string) int {
	t.Helper()
	es, err := d.st.ListAudit(context.Background(), store.AuditFilter{TenantIDs: []string{tenantID}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Action == action {
			n++
		}
	}
	return n
}

func TestDashboardQueue(t *testing.T) {
	d := newDashEnv(t)
	other := d.raise(t, "SSH brute force", store.SeverityMedium, "nowhere", time.Now())
	tests := []struct {
		name     string
		query    string
		want     []string
		dontWant []string
	}{
		{"all open", "", []string{"Door forced open", "SSH brute force", "Molo Nord · Varco 3"}, nil},
		{"min severity", "?severity=high", []string{"Door forced open"}, []string{"SSH brute force"}},
		{"site", "?site=" + d.site.ID, []string{"Door forced open"}, []string{"SSH brute force"}},
		{"rule", "?rule=" + url.QueryEscape(other.RuleID), []string{"SSH brute force"}, []string{">Door forced open<"}},
		{"closed only", "?status=resolved", nil, []string{"Door forced open", "SSH brute force"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := d.admin.get("/dashboard" + tt.query)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(body, w) {
					t.Errorf("page shows %q", w)
				}
			}
			if strings.Contains(body, "mario.rossi") {
				t.Error("the queue shows a user name (personal data)")
			}
		})
	}
	_, body := d.admin.get("/dashboard")
	m := regexp.MustCompile(`data-map="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no map data on the page")
	}
	var got struct {
		Alerts []alertRow `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatal(err)
	}
	placed := 0
	for _, a := range got.Alerts {
		if a.ID == d.alert.ID && a.Placed && a.Lon == d.asset.Lon && a.AssetID == d.asset.ID {
			placed++
		}
	}
	if placed != 1 {
		t.Errorf("the door alert is not placed at its asset: %+v", got.Alerts)
	}
}

func TestDashboardTriage(t *testing.T) {
	d := newDashEnv(t)
	ctx := context.Background()
	id := d.alert.ID
	base := "/dashboard/alerts/" + id

	// The alert page shows the events and the user, and audits the read.
	resp, body := d.admin.get(base)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "door gate-3 forced") || !strings.Contains(body, "mario.rossi") {
		t.Fatalf("alert page: status %d, events or entities missing", resp.StatusCode)
	}
	if d.audited(t, d.tenant.ID, "personal_data.read") != 1 {
		t.Error("reading the alert's events was not audited")
	}

	steps := []struct {
		name   string
		path   string
		form   url.Values
		action string
		check  func(a *store.Alert) bool
	}{
		{"acknowledge", "/status", url.Values{"status": {"acknowledged"}}, "alert.acknowledge", func(a *store.Alert) bool { return a.Status == store.StatusAcknowledged }},
		{"assign to me", "/assign", url.Values{"assignee": {"me"}}, "alert.assign", func(a *store.Alert) bool { return a.Assignee != "" }},
		{"comment", "/comment", url.Values{"text": {"checked the camera"}}, "alert.comment", nil},
		{"false positive", "/status", url.Values{"status": {"false_positive"}}, "alert.false_positive", func(a *store.Alert) bool { return a.Status == store.StatusFalsePositive }},
		{"suppress", "/suppress", url.Values{"reason": {"maintenance"}, "expires": {"48"}}, "alert.suppress", func(a *store.Alert) bool { return a.Status == store.StatusSuppressed }},
		{"escalate", "/escalate", url.Values{}, "alert.escalate", nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			resp, body := d.admin.post(base+s.path, s.form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			a, err := d.st.GetAlert(ctx, d.tenant.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.check != nil && !s.check(a) {
				t.Errorf("not persisted: %+v", a)
			}
			if d.audited(t, d.tenant.ID, s.action) != 1 {
				t.Errorf("%s not audited", s.action)
			}
		})
	}
	comments, err := d.st.ListAlertComments(ctx, d.tenant.ID, id)
	if err != nil || len(comments) != 1 || comments[0].Text != "checked the camera" {
		t.Errorf("comments = %+v, %v", comments, err)
	}
	sups, err := d.st.ListSuppressions(ctx, d.tenant.ID)
	if err != nil || len(sups) != 1 || sups[0].Reason != "maintenance" || sups[0].ExpiresAt.IsZero() {
		t.Errorf("suppressions = %+v, %v", sups, err)
	}
	cases, err := d.st.ListAlertCases(ctx, d.tenant.ID, id)
	if err != nil || len(cases) != 1 {
		t.Fatalf("cases = %v, %v", cases, err)
	}
	// Escalating again reuses the case.
	d.admin.post(base+"/escalate", url.Values{})
	if again, _ := d.st.ListAlertCases(ctx, d.tenant.ID, id); len(again) != 1 {
		t.Errorf("second escalation opened another case: %v", again)
	}

	// The script's path: JSON answers with the CSRF header.
	resp, body = d.admin.do("POST", base+"/status", url.Values{"status": {"in_progress"}}, map[string]string{"X-CSRF-Token": d.admin.csrf, "Accept": "application/json"})
	var row alertRow
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &row) != nil || row.Status != "in_progress" {
		t.Errorf("JSON triage: %d %s", resp.StatusCode, body)
	}

	bad := []struct {
		name string
		path string
		form url.Values
	}{
		{"unknown status", "/status", url.Values{"status": {"eaten"}}},
		{"empty comment", "/comment", url.Values{"text": {"  "}}},
		{"suppress without reason", "/suppress", url.Values{"expires": {"24"}}},
		{"suppress in the past", "/suppress", url.Values{"reason": {"x"}, "expires": {"2001-01-01"}}},
		{"assign a stranger", "/assign", url.Values{"assignee": {"no-such-user"}}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if resp, _ := d.admin.post(base+b.path, b.form); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}

func TestDashboardRoles(t *testing.T) {
	d := newDashEnv(t)
	d.user("guardia", false, d.tenant.ID, store.RoleViewer)
	v := d.browser()
	v.login("guardia")
	if resp, _ := v.get("/dashboard"); resp.StatusCode != http.StatusOK {
		t.Fatalf("viewer dashboard: %d", resp.StatusCode)
	}
	_, body := v.get("/dashboard/alerts/" + d.alert.ID)
	if strings.Contains(body, "mario.rossi") || strings.Contains(body, "door gate-3 forced") {
		t.Error("a viewer sees personal data")
	}
	if resp, _ := v.post("/dashboard/alerts/"+d.alert.ID+"/status", url.Values{"status": {"acknowledged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer triage: %d, want 403", resp.StatusCode)
	}
}

// readEvents reads server-sent "alert" events from a stream until n are
// read or the deadline passes.
func readEvents(t *testing.T, sc *bufio.Scanner, n int) []alertRow {
	t.Helper()
	var out []alertRow
	var ev string
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && ev == "alert":
			var r alertRow
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &r); err != nil {
				t.Fatalf("bad event data %q: %v", line, err)
			}
			out = append(out, r)
		case line == "":
			ev = ""
		}
	}
	return out
}

func TestDashboardStream(t *testing.T) {
	d := newDashEnv(t)
	other := d.testEnv.tenant("altro", store.KindMunicipality)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.ts.URL+"/dashboard/stream", nil)
	resp, err := d.admin.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	// The first heartbeat proves the stream is flushed while idle.
	for sc.Scan() && sc.Text() != ": beat" {
	}
	subject := bus.LiveSubject(d.tenant.ID, "alerts")
	if n := d.hub.subscribers(subject); n != 1 {
		t.Fatalf("%d subscribers on %s, want 1", n, subject)
	}
	send := func(subject string, a *store.Alert, created bool) {
		b, _ := json.Marshal(detect.Message{Created: created, Alert: detect.NewAlertDoc(a)})
		d.hub.Notify(subject, b)
	}
	// Another tenant's alert, on its own subject and forged onto ours.
	foreign := *d.alert
	foreign.ID, foreign.TenantID, foreign.Title = "foreign", other.ID, "Foreign alert"
	send(bus.LiveSubject(other.ID, "alerts"), &foreign, true)
	send(subject, &foreign, true)
	fresh := d.raise(t, "Password spray", store.SeverityCritical, "gate-3", time.Now())
	send(subject, fresh, true)
	got := readEvents(t, sc, 1)
	if len(got) != 1 || got[0].ID != fresh.ID || !got[0].Created || got[0].AssetName != "Varco 3" || !got[0].Placed {
		t.Fatalf("stream events = %+v", got)
	}
	// A triage action is announced to every open dashboard.
	d.admin.post("/dashboard/alerts/"+fresh.ID+"/status", url.Values{"status": {"acknowledged"}})
	got = readEvents(t, sc, 1)
	if len(got) != 1 || got[0].ID != fresh.ID || got[0].Status != "acknowledged" {
		t.Fatalf("after triage: %+v", got)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for d.hub.subscribers(subject) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := d.hub.subscribers(subject); n != 0 {
		t.Errorf("%d subscriptions left after the client went away", n)
	}
}

func TestSiteOverview(t *testing.T) {
	d := newDashEnv(t)
	d.raise(t, "Old scan", store.SeverityMedium, "gate-3", time.Now().Add(-48*time.Hour))
	resp, body := d.admin.get("/dashboard/sites/" + d.site.ID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// High (7) on a vital asset (×5/3) fresh ≈ 11.67, plus medium (3) ×5/3
	// two half-lives old ≈ 1.25: 12.9.
	for _, want := range []string{"Door forced open", "Old scan", ">12.9<", "<polyline points=", "Varco 3, 5/5"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if resp, _ := d.admin.get("/dashboard/sites/no-such-site"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown site: %d", resp.StatusCode)
	}
}

func TestRegion(t *testing.T) {
	d := newDashEnv(t)
	ctx := context.Background()
	centre := d.testEnv.tenant("cosc", store.KindPoliceCentre)
	outsider := d.testEnv.tenant("altro", store.KindMunicipality)
	boss := d.user("ispettore", false, centre.ID, store.RoleAnalyst)
	if err := d.st.GrantOversight(ctx, store.Oversight{OverseerID: centre.ID, OverseenID: d.tenant.ID, GrantedBy: boss.ID}); err != nil {
		t.Fatal(err)
	}
	d.user("estraneo", false, outsider.ID, store.RoleAdmin)
	b := d.browser()
	b.login("ispettore")
	_, body := b.get("/dashboard/region")
	if !strings.Contains(body, d.tenant.Name) || !strings.Contains(body, "Molo Nord") {
		t.Fatalf("regional view lacks the overseen entity or its site")
	}
	resp, body := b.get("/dashboard/region/" + d.tenant.ID)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Door forced open") {
		t.Fatalf("drill-down: %d", resp.StatusCode)
	}
	if strings.Contains(body, "/dashboard/alerts/") || strings.Contains(body, `method="post"`) && strings.Contains(body, "/status") {
		t.Error("the drill-down offers triage")
	}
	if d.audited(t, d.tenant.ID, "oversight.access") != 1 {
		t.Error("the drill-down was not audited in the overseen tenant")
	}
	x := d.browser()
	x.login("estraneo")
	if resp, body := x.get("/dashboard/region/" + d.tenant.ID); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Door forced open") {
		t.Errorf("a tenant without the grant reached the entity: %d", resp.StatusCode)
	}
	if _, body := x.get("/dashboard/region"); strings.Contains(body, d.tenant.Name) {
		t.Error("a tenant without the grant sees the entity in its regional view")
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"never", time.Time{}, false},
		{"24", now.Add(24 * time.Hour), false},
		{"2026-11-30", time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC), false},
		{"0", time.Time{}, true},
		{"-5", time.Time{}, true},
		{"2026-11-23", time.Time{}, true},
		{"2030-01-01", time.Time{}, true},
		{"tomorrow", time.Time{}, true},
		{"", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseExpiry(tt.in, now)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Errorf("parseExpiry(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"never", "24", "2026-12-01", "", "9999999999", "2026-13-40"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseExpiry(s, now)
		if err == nil && !got.IsZero() && (!got.After(now) || got.After(now.AddDate(1, 0, 2))) {
			t.Errorf("parseExpiry(%q) = %v outside (now, now+1y]", s, got)
		}
	})
}

// seedNotify gives tenant B a failing channel and a personal one.
func (f *crossTenantFixture) seedNotify(t *testing.T) {
	t.Helper()
	for _, c := range []*store.NotifyChannel{
		{TenantID: f.b.ID, Name: "B hook " + marker, Kind: store.ChannelWebhook, Target: "https://b.example/" + marker,
			Config: `{"secret":"` + marker + `-0123456789"}`, MinSeverity: store.SeverityHigh, Enabled: true},
		{TenantID: f.b.ID, UserID: f.bUsers[0].ID, Name: "B mail " + marker, Kind: store.ChannelEmail, Target: marker + "@b.example",
			Config: `{"smtp_addr":"mail.b.example:587","from":"soc@b.example"}`, MinSeverity: store.SeverityLow, Enabled: true},
	} {
		if err := f.e.st.CreateNotifyChannel(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if err := f.e.st.RecordNotifyResult(context.Background(), f.b.ID, c.ID, time.Now(), "refused "+marker); err != nil {
			t.Fatal(err)
		}
		f.wildcard["channel"] = append(f.wildcard["channel"], c.ID)
	}
}

func TestNotifySettings(t *testing.T) {
	d := newDashEnv(t)
	ctx := context.Background()
	d.user("operatore", false, d.tenant.ID, store.RoleOperator)
	op := d.browser()
	op.login("operatore")

	// The admin adds a tenant webhook; the secret is generated and shown once.
	resp, body := d.admin.post("/dashboard/notifications", url.Values{"scope": {"tenant"}, "name": {"SOAR"}, "kind": {"webhook"},
		"target": {"https://soar.example/hook"}, "min_severity": {"high"}, "digest_severity": {"low"}, "digest_every": {"60"},
		"quiet_from": {"22:00"}, "quiet_to": {"07:00"}, "timezone": {"Europe/Rome"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="webhook-secret"`) {
		t.Fatalf("create webhook: %d", resp.StatusCode)
	}
	// The operator adds a personal e-mail channel; a tenant one is refused.
	form := url.Values{"scope": {"me"}, "name": {"Mine"}, "kind": {"email"}, "target": {"op@porto.example"}, "min_severity": {"critical"},
		"digest_every": {"60"}, "smtp_addr": {"mail.porto.example:587"}, "from": {"soc@porto.example"}, "username": {"op"},
		"password": {"pw-secret-123"}, "starttls": {"1"}}
	if resp, body := op.post("/dashboard/notifications", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("personal channel: %d %s", resp.StatusCode, body)
	}
	form.Set("scope", "tenant")
	if resp, _ := op.post("/dashboard/notifications", form); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusForbidden {
		t.Errorf("an operator created a tenant channel: %d", resp.StatusCode)
	}
	chs, err := d.st.ListNotifyChannels(ctx, d.tenant.ID)
	if err != nil || len(chs) != 2 {
		t.Fatalf("channels: %+v %v", chs, err)
	}
	var hook, mine store.NotifyChannel
	for _, c := range chs {
		if c.Kind == store.ChannelWebhook {
			hook = c
		} else {
			mine = c
		}
	}
	if hook.UserID != "" || hook.QuietFrom != 22*60 || hook.QuietTo != 7*60 || mine.UserID == "" || !strings.Contains(mine.Config, "pw-secret-123") {
		t.Errorf("stored channels: %+v / %+v", hook, mine)
	}
	if d.audited(t, d.tenant.ID, "notify.create") != 2 {
		t.Error("channel creation not audited")
	}

	// A failing channel shows its error; passwords never appear.
	if err := d.st.RecordNotifyResult(ctx, d.tenant.ID, hook.ID, time.Now(), "soar.example answered 503"); err != nil {
		t.Fatal(err)
	}
	_, body = d.admin.get("/dashboard/notifications")
	if !strings.Contains(body, "soar.example answered 503") || strings.Contains(body, "pw-secret-123") {
		t.Error("the settings page hides the failure or shows a password")
	}
	// The operator sees the tenant channel read-only, cannot delete it.
	if resp, _ := op.post("/dashboard/notifications/"+hook.ID+"/delete", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("operator deleted a tenant channel: %d", resp.StatusCode)
	}
	if resp, _ := op.post("/dashboard/notifications/"+mine.ID+"/toggle", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("toggle own channel: %d", resp.StatusCode)
	}
	if c, _ := d.st.GetNotifyChannel(ctx, d.tenant.ID, mine.ID); c.Enabled {
		t.Error("toggle did not disable")
	}
	if resp, _ := op.post("/dashboard/notifications/"+mine.ID+"/delete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete own channel: %d", resp.StatusCode)
	}

	bad := []struct {
		name string
		edit func(v url.Values)
	}{
		{"bad url", func(v url.Values) { v.Set("kind", "webhook"); v.Set("target", "ftp://x") }},
		{"bad recipients", func(v url.Values) { v.Set("target", "not-an-address") }},
		{"password without starttls", func(v url.Values) { v.Del("starttls") }},
		{"bad severity", func(v url.Values) { v.Set("min_severity", "urgent") }},
		{"bad quiet hours", func(v url.Values) { v.Set("quiet_from", "25:00") }},
		{"bad period", func(v url.Values) { v.Set("digest_every", "1") }},
		{"bad time zone", func(v url.Values) { v.Set("timezone", "Mars/Olympus") }},
		{"short secret", func(v url.Values) {
			v.Set("kind", "webhook")
			v.Set("target", "https://x.example")
			v.Set("secret", "short")
		}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{}
			for k, vs := range form {
				v[k] = append([]string(nil), vs...)
			}
			v.Set("scope", "me")
			tt.edit(v)
			if resp, _ := op.post("/dashboard/notifications", v); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
	if chs, _ := d.st.ListNotifyChannels(ctx, d.tenant.ID); len(chs) != 1 {
		t.Errorf("refused forms stored channels: %d", len(chs))
	}
}
