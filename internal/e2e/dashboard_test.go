package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vedetta-sec/vedetta/internal/app"
	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/demo"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// httpSource creates an HTTP push source of format in the demo tenant and
// returns its token.
func httpSource(t *testing.T, a *app.App, slug, format string) (tenantID, token string) {
	t.Helper()
	ctx := context.Background()
	tn, err := a.Store.GetTenantBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	secret, prefix, _ := auth.NewAPIToken()
	src := &store.Source{TenantID: tn.ID, Name: "e2e " + format, Kind: store.SourceHTTP, Format: format, TokenPrefix: prefix,
		TokenHash: auth.HashToken(secret), Enabled: true, KeepRaw: true, Config: "{}"}
	if err := a.Store.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	return tn.ID, secret
}

// ingest posts NDJSON records to the HTTP receiver.
func ingest(t *testing.T, base, token string, lines ...string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/api/v1/events", bytes.NewBufferString(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("ingest: status %d", resp.StatusCode)
	}
}

// waitJS polls a boolean expression in the page until it holds.
func waitJS(t *testing.T, ctx context.Context, what, js string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v (%v)", what, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventually polls cond for up to twenty seconds (generous: CI runs the
// packages in parallel on two CPUs).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
	}
}

func login(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	do(t, ctx, "log in as "+user,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("nav.side")),
	)
}

func doorForced(door string, at time.Time) string {
	return fmt.Sprintf(`{"time":%q,"door":%q,"result":"forced","site":"porto","controller":"ac-varco"}`, at.UTC().Format(time.RFC3339), door)
}

const rowWith = `[...document.querySelectorAll("#queue-body tr.alert-row")].some((r) => r.textContent.includes(%q))`

// TestBrowserDashboard: an alert raised by an event sent to the HTTP
// receiver appears in the open dashboard without a reload and on its map;
// triage from the keyboard and the alert page persists; the police
// centre's regional view shows the entities it oversees, and an entity
// without the grant cannot reach them.
func TestBrowserDashboard(t *testing.T) {
	a, base := startDemo(t)
	portID, token := httpSource(t, a, "porto-portovenere", "accesscontrol")
	ctx := browser(t, "it-IT,it;q=0.9")
	login(t, ctx, base, "pfso.portovenere")
	do(t, ctx, "open the dashboard from the navigation",
		chromedp.Click(chromedp.CSS(`nav.side a[href="/dashboard"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#live-state[data-state="on"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dash-map[data-ready="1"]`)),
	)
	if h := text(t, ctx, "h1"); h != "Cruscotto di sicurezza" {
		t.Errorf("heading %q, want Italian", h)
	}
	markers := evalInt(t, ctx, `document.querySelectorAll("#dash-map path.alert-marker").length`)

	// An event accepted by the receiver becomes an alert on screen.
	ingest(t, base, token, doorForced("ACC-VARCO-01", time.Now()))
	waitJS(t, ctx, "the alert appears live", fmt.Sprintf(rowWith, "Door forced open"), 20*time.Second)
	waitJS(t, ctx, "the map shows it", fmt.Sprintf(`document.querySelectorAll("#dash-map path.alert-marker").length > %d`, markers), 15*time.Second)
	if where := text(t, ctx, "#queue-body tr.alert-row td:nth-child(3)"); !strings.Contains(where, "Controllo accessi Varco ISPS") {
		t.Errorf("alert placed at %q, want the gate's access controller", where)
	}
	if n := text(t, ctx, "#count-high"); n != "1" {
		t.Errorf("high alerts counter = %q after the alert arrived, want 1", n)
	}
	screenshot(t, ctx, "dashboard-live")

	alerts, err := a.Store.ListAlerts(context.Background(), portID, store.AlertFilter{})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts of the port: %v %v", alerts, err)
	}
	id := alerts[0].ID

	// Keyboard: j selects the row, a acknowledges it.
	do(t, ctx, "acknowledge from the keyboard", chromedp.KeyEvent("j"))
	waitJS(t, ctx, "row focused", `document.activeElement && document.activeElement.classList.contains("alert-row")`, 15*time.Second)
	do(t, ctx, "press a", chromedp.KeyEvent("a"))
	waitJS(t, ctx, "status shown", `document.querySelector("#queue-body tr.alert-row").dataset.status === "acknowledged"`, 15*time.Second)
	do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#queue-body")))
	if st := text(t, ctx, "#queue-body tr.alert-row td.st"); !strings.Contains(st, "Preso in carico") {
		t.Errorf("after reload the status is %q", st)
	}
	// The help opens with ?.
	do(t, ctx, "help", chromedp.KeyEvent("?"), chromedp.WaitVisible(chromedp.CSS("dialog#help")))
	screenshot(t, ctx, "dashboard-help")
	do(t, ctx, "close help", chromedp.Click(chromedp.CSS("dialog#help button")))

	// The alert page: its event, a comment, then escalation to a case.
	do(t, ctx, "open the alert",
		chromedp.Navigate(base+"/dashboard/alerts/"+id),
		chromedp.WaitVisible(chromedp.CSS("#alert-events")),
	)
	if ev := text(t, ctx, "#alert-events"); !strings.Contains(ev, "door-forced") {
		t.Errorf("alert events = %q", ev)
	}
	do(t, ctx, "comment",
		chromedp.SendKeys(chromedp.CSS("#comment"), "Verificato con la guardia al varco"),
		chromedp.Click(chromedp.CSS("#do-comment")),
		chromedp.WaitVisible(chromedp.CSS("#comments")),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#comments")),
	)
	if c := text(t, ctx, "#comments"); !strings.Contains(c, "Verificato con la guardia al varco") {
		t.Errorf("comments after reload = %q", c)
	}
	do(t, ctx, "escalate", chromedp.Click(chromedp.CSS("#do-escalate")))
	// The handler links the case, then moves the alert to in progress: wait
	// for both, the browser's click returns before the request ends.
	eventually(t, "the escalation opens a case and moves the alert to in progress", func() bool {
		cases, err := a.Store.ListAlertCases(context.Background(), portID, id)
		if err != nil || len(cases) != 1 {
			return false
		}
		got, err := a.Store.GetAlert(context.Background(), portID, id)
		return err == nil && got.Status == store.StatusInProgress
	})

	// The site overview explains the port's risk with the alert.
	sites, err := a.Store.ListSites(context.Background(), portID)
	if err != nil || len(sites) == 0 {
		t.Fatalf("port sites: %v %v", sites, err)
	}
	do(t, ctx, "site overview", chromedp.Navigate(base+"/dashboard/sites/"+sites[0].ID), chromedp.WaitVisible(chromedp.CSS("#risk-parts")))
	if s := text(t, ctx, "#risk-parts"); !strings.Contains(s, "Door forced open") {
		t.Errorf("risk contributions = %q", s)
	}
	screenshot(t, ctx, "dashboard-site")
	do(t, ctx, "notification settings", chromedp.Navigate(base+"/dashboard/notifications"), chromedp.WaitVisible(chromedp.CSS("#channels")))
	screenshot(t, ctx, "dashboard-notifications")

	// Large type for a wall screen.
	do(t, ctx, "wall screen", chromedp.Navigate(base+"/dashboard?wall=1&status=all"), chromedp.WaitVisible(chromedp.CSS("#dashboard.wall")))
	screenshot(t, ctx, "dashboard-wall")

	// The police centre oversees the Italian entities.
	cosc := browser(t, "it-IT,it;q=0.9")
	login(t, cosc, base, "analista.cosc")
	do(t, cosc, "regional view", chromedp.Navigate(base+"/dashboard/region"), chromedp.WaitVisible(chromedp.CSS("#region-table")))
	if n := evalInt(t, cosc, `document.querySelectorAll("#region-table tbody tr").length`); n < 2 {
		t.Errorf("regional view lists %d entities, want the demo's overseen ones", n)
	}
	region := text(t, cosc, "#region-table")
	for _, want := range []string{"Porto di Portovenere", "Comune di Lerici"} {
		if !strings.Contains(region, want) {
			t.Errorf("regional view lacks %q", want)
		}
	}
	waitJS(t, cosc, "regional map markers", `document.querySelectorAll("#region-map path").length >= 2`, 15*time.Second)
	screenshot(t, cosc, "dashboard-region")
	do(t, cosc, "drill down", chromedp.Navigate(base+"/dashboard/region/"+portID), chromedp.WaitVisible(chromedp.CSS("#entity-alerts")))
	if s := text(t, cosc, "#entity-alerts"); !strings.Contains(s, "Door forced open") {
		t.Errorf("drill-down alerts = %q", s)
	}
	audit, err := a.Store.ListAudit(context.Background(), store.AuditFilter{TenantIDs: []string{portID}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	accessed := false
	for _, e := range audit {
		accessed = accessed || e.Action == "oversight.access"
	}
	if !accessed {
		t.Error("the drill-down is not in the port's audit log")
	}

	// The Albanian port has no grant: nothing of the Italian port reaches it.
	al := browser(t, "sq")
	login(t, al, base, "siguria.shengjin")
	for _, p := range []string{"/dashboard/region/" + portID, "/dashboard/region", "/dashboard?status=all", "/dashboard/alerts/" + id} {
		do(t, al, "open "+p, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS("body")))
		body, err := chromedp.Run(al, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(body, "Door forced open") || strings.Contains(body, "Portovenere") {
			t.Errorf("%s shows the overseen port's data to an entity without the grant", p)
		}
	}
}
