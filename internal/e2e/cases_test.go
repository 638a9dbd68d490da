package e2e

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	imagepng "image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vedetta-sec/vedetta/internal/demo"
	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/report"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func caseLogin(t *testing.T, ctx context.Context, base, user string) {
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

// waitFor polls a boolean expression in the page for up to twenty seconds.
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s (%v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pdfStreams inflates the streams of a PDF, where its text is drawn.
func pdfStreams(pdf []byte) string {
	var out strings.Builder
	rest := pdf
	for {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			return out.String()
		}
		rest = rest[i+len("stream\n"):]
		j := bytes.Index(rest, []byte("endstream"))
		if j < 0 {
			return out.String()
		}
		if r, err := zlib.NewReader(bytes.NewReader(rest[:j])); err == nil {
			b, _ := io.ReadAll(r)
			out.Write(b)
		}
		rest = rest[j:]
	}
}

// TestBrowserCaseToPolice: a ransomware alert at the Comune di Lerici is
// escalated to a case, the playbook's block action reaches a local
// firewall webhook and is undone from the active-blocks page, the 24 h
// early warning goes to COSC Liguria, whose liaison acknowledges it and
// asks a question that appears on the case.
func TestBrowserCaseToPolice(t *testing.T) {
	a, base := startDemo(t)
	bctx := context.Background()
	lerici, err := a.Store.GetTenantBySlug(bctx, "comune-lerici")
	if err != nil {
		t.Fatal(err)
	}

	// The firewall: a webhook receiver on loopback that checks signatures.
	const secret = "firewall-hmac-secret"
	var mu sync.Mutex
	var calls []incident.WebhookPayload
	badSig := 0
	fw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get(incident.HeaderTimestamp), 10, 64)
		var p incident.WebhookPayload
		_ = json.Unmarshal(body, &p)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get(incident.HeaderSignature) != incident.Sign(secret, ts, body) {
			badSig++
		}
		calls = append(calls, p)
	}))
	defer fw.Close()

	// The demo's ransomware alert, raised by detection and not yet a case.
	alerts, err := a.Store.ListAlerts(bctx, lerici.ID, store.AlertFilter{RuleID: demo.DemoRansomRule})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("demo ransomware alert = %v, %v", alerts, err)
	}
	al := alerts[0]

	ctx := browser(t, "it-IT")
	caseLogin(t, ctx, base, "tecnico.lerici")
	do(t, ctx, "configure the firewall webhook",
		chromedp.Navigate(base+"/incident-settings"),
		chromedp.WaitVisible(chromedp.CSS("#block_url")),
		chromedp.SetValue(chromedp.CSS("#block_url"), fw.URL),
		chromedp.SetValue(chromedp.CSS("#block_secret"), secret),
		chromedp.Click(chromedp.CSS("#save-settings")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)

	do(t, ctx, "open the alert from the list",
		chromedp.Navigate(base+"/alerts?rule="+demo.DemoRansomRule),
		chromedp.WaitVisible(chromedp.CSS("#escalate-"+al.ID)),
		chromedp.Click(chromedp.CSS(`table.alerts tbody a[href="/alerts/`+al.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#escalate")),
	)
	screenshot(t, ctx, "cases-alert")
	do(t, ctx, "escalate the alert to a case",
		chromedp.Click(chromedp.CSS("#escalate")),
		chromedp.WaitVisible(chromedp.CSS("#case-title")),
	)
	if got := text(t, ctx, "#case-title"); got != al.Title {
		t.Errorf("case title = %q, want %q", got, al.Title)
	}
	caseURL, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	caseID := strings.TrimPrefix(caseURL, "/cases/")
	if c, err := a.Store.GetCase(bctx, lerici.ID, caseID); err != nil || c.Category != store.CatRansomware || c.Playbook != "ransomware" {
		t.Fatalf("escalated case = %+v, %v", c, err)
	}
	// Reload without the creation flash, so the next flash is the save's.
	do(t, ctx, "mark the incident significant",
		chromedp.Navigate(base+caseURL),
		chromedp.WaitVisible(chromedp.CSS("#significant")),
		chromedp.Click(chromedp.CSS("#significant")),
		chromedp.Click(chromedp.CSS("#save-case")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	screenshot(t, ctx, "cases-overview")

	do(t, ctx, "block the attacker from the playbook",
		chromedp.Navigate(base+caseURL+"?tab=playbook"),
		chromedp.WaitVisible(chromedp.CSS("#target-block-c2")),
		chromedp.SendKeys(chromedp.CSS("#target-block-c2"), "185.220.101.99"),
		chromedp.Click(chromedp.CSS("#action-block-c2")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	screenshot(t, ctx, "cases-playbook")
	do(t, ctx, "undo the block",
		chromedp.Navigate(base+"/blocks"),
		chromedp.WaitVisible(chromedp.CSS("#blocks button.danger")),
	)
	if got := text(t, ctx, "#blocks tbody"); !strings.Contains(got, "185.220.101.99") {
		t.Errorf("active blocks = %q", got)
	}
	screenshot(t, ctx, "cases-blocks")
	do(t, ctx, "click undo", chromedp.Click(chromedp.CSS("#blocks button.danger")), chromedp.WaitVisible(chromedp.CSS("#no-blocks")))
	mu.Lock()
	if len(calls) != 2 || calls[0].Action != "block" || calls[1].Action != "unblock" || calls[0].Target != "185.220.101.99" || badSig != 0 {
		t.Errorf("firewall calls = %+v, bad signatures %d", calls, badSig)
	}
	mu.Unlock()

	do(t, ctx, "send the early warning",
		chromedp.Navigate(base+caseURL+"?tab=reports"),
		chromedp.WaitVisible(chromedp.CSS("#send-report")),
		chromedp.SetValue(chromedp.CSS("#stage"), "early_warning"),
		chromedp.Click(chromedp.CSS("#send-report")),
		chromedp.WaitVisible(chromedp.CSS(".report")),
	)
	reps, err := a.Store.ListCaseReports(bctx, lerici.ID, caseID)
	if err != nil || len(reps) != 1 {
		t.Fatalf("reports = %v, %v", reps, err)
	}
	rep, err := a.Store.GetReport(bctx, lerici.ID, reps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := report.ParseBundle(rep.STIX); err != nil {
		t.Errorf("bundle: %v", err)
	}
	if strings.Contains(string(rep.STIX), "185.220.101.99") {
		t.Error("an address marked personal left the municipality in clear")
	}

	// The police side.
	pctx := browser(t, "it-IT")
	caseLogin(t, pctx, base, "referente.cosc")
	do(t, pctx, "open the inbox",
		chromedp.Navigate(base+"/reports/inbox"),
		chromedp.WaitVisible(chromedp.CSS("#inbox tbody a")),
	)
	screenshot(t, pctx, "cases-police-inbox")
	do(t, pctx, "acknowledge",
		chromedp.Click(chromedp.CSS("#inbox tbody a")),
		chromedp.WaitVisible(chromedp.CSS("#acknowledge")),
		chromedp.Click(chromedp.CSS("#acknowledge")),
		chromedp.WaitVisible(chromedp.CSS("#acknowledged")),
		chromedp.SendKeys(chromedp.CSS("#question"), "Il backup su nastro è integro?"),
		chromedp.Click(chromedp.CSS("#send-question")),
		chromedp.WaitVisible(chromedp.CSS(".comment")),
	)
	screenshot(t, pctx, "cases-police-report")

	do(t, ctx, "see the acknowledgement on the case", chromedp.Navigate(base+caseURL+"?tab=reports"), chromedp.WaitVisible(chromedp.CSS(".report")))
	waitFor(t, ctx, "acknowledged badge", `document.querySelector("#ack-`+rep.ID+`").classList.contains("ok")`)
	if got := text(t, ctx, "#report-"+rep.ID); !strings.Contains(got, "Il backup su nastro è integro?") {
		t.Errorf("question missing on the case: %q", got)
	}
	screenshot(t, ctx, "cases-reports")
	do(t, ctx, "clocks", chromedp.Navigate(base+caseURL+"?tab=clocks"), chromedp.WaitVisible(chromedp.CSS("#clocks")))
	if got := text(t, ctx, "#clocks"); !strings.Contains(got, "rispettata") {
		t.Errorf("early warning clock not met: %q", got)
	}
	screenshot(t, ctx, "cases-clocks")

	// The technician downloads the PDF from the case, as the browser does.
	do(t, ctx, "reports tab", chromedp.Navigate(base+caseURL+"?tab=reports"), chromedp.WaitVisible(chromedp.CSS("#pdf-"+rep.ID)))
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector("#pdf-`+rep.ID+`").href)
		.then(r => { if (!r.ok || r.headers.get("Content-Type") !== "application/pdf") throw new Error("status " + r.status); return r.arrayBuffer(); })
		.then(b => { let s = ""; for (const x of new Uint8Array(b)) s += String.fromCharCode(x); return btoa(s); })`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download the PDF: %v", err)
	}
	pdf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pdf, rep.PDF) {
		t.Errorf("downloaded PDF (%d bytes) differs from the stored one (%d bytes)", len(pdf), len(rep.PDF))
	}
	checkReportPDF(t, pdf, al.Title)
}

// checkReportPDF renders the first page of a report to PNG with pdftoppm
// (kept in test-artifacts/) and checks its text with pdftotext. Both come
// with Debian's poppler-utils (scripts/test-deps.sh); required under CI.
func checkReportPDF(t *testing.T, pdf []byte, title string) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !strings.Contains(pdfStreams(pdf), title) {
		t.Error("PDF lacks the case title in its text streams")
	}
	toPPM, err := exec.LookPath("pdftoppm")
	if err != nil {
		testenv.Unavailable(t, "pdftoppm (poppler-utils) is not installed: %v", err)
	}
	toText, err := exec.LookPath("pdftotext")
	if err != nil {
		testenv.Unavailable(t, "pdftotext (poppler-utils) is not installed: %v", err)
	}
	tmp := t.TempDir()
	in := filepath.Join(tmp, "report.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(toText, "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	if txt := strings.Join(strings.Fields(string(out)), " "); !strings.Contains(txt, title) {
		t.Errorf("pdftotext output lacks %q:\n%s", title, txt)
	}
	if out, err := exec.Command(toPPM, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(tmp, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	png, err := os.ReadFile(filepath.Join(tmp, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := imagepng.DecodeConfig(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("pdftoppm output: %v", err)
	}
	// An A4 page at 80 dpi is about 661×935; a page with text compresses
	// to well over a blank page's few hundred bytes.
	if cfg.Width < 600 || cfg.Height < 800 || len(png) < 10_000 {
		t.Errorf("rendered page %dx%d, %d bytes: looks blank", cfg.Width, cfg.Height, len(png))
	}
	dir := filepath.Join(testenv.ModuleRoot(t), "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cases-report-pdf.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
