package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/report"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// sampleBundle is a report bundle as a sender builds it.
func sampleBundle(t testing.TB) []byte {
	t.Helper()
	now := time.Date(2026, 3, 28, 9, 30, 0, 0, time.UTC)
	b, err := report.Build(report.Input{Case: store.Case{ID: "0195d5b2-0000-7000-8000-000000000001", Title: "Ransomware", Status: store.CaseOpen,
		Severity: "critical", Category: store.CatRansomware, AwarenessAt: now.Add(-time.Hour), CreatedAt: now.Add(-time.Hour)},
		Reporter: store.Tenant{ID: "t1", Name: "Comune di Lerici", Country: "IT"}, Stage: "early_warning", Now: now,
		Observables: []store.Observable{{Type: "ip", Value: "185.220.101.47"}}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func inboundBody(t testing.TB, edit func(m map[string]any)) []byte {
	t.Helper()
	m := map[string]any{"bundle": json.RawMessage(sampleBundle(t)), "pdf": base64.StdEncoding.EncodeToString([]byte("%PDF-1.7 x")),
		"stage": "early_warning", "lang": "it", "title": "Preallarme — Ransomware", "sender": "Comune di Lerici"}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseInbound(t *testing.T) {
	rr, err := parseInbound(inboundBody(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if rr.Direction != store.RemoteIn || rr.Peer != "Comune di Lerici" || rr.Stage != "early_warning" || string(rr.PDF) != "%PDF-1.7 x" {
		t.Errorf("parsed = %+v", rr)
	}
	if _, err := report.ParseBundle(rr.STIX); err != nil {
		t.Errorf("stored bundle: %v", err)
	}
	noIncident := `{"type":"bundle","id":"bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8","objects":[]}`
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"empty", nil, "EOF"},
		{"not json", []byte("{"), "unexpected EOF"},
		{"array", []byte("[]"), "cannot unmarshal"},
		{"trailing", append(inboundBody(t, nil), []byte(" {}")...), "data after"},
		{"unknown field", inboundBody(t, func(m map[string]any) { m["case_id"] = "x" }), "unknown field"},
		{"no bundle", inboundBody(t, func(m map[string]any) { delete(m, "bundle") }), "bundle missing"},
		{"null bundle", inboundBody(t, func(m map[string]any) { m["bundle"] = nil }), "bundle missing"},
		{"bundle not a bundle", inboundBody(t, func(m map[string]any) { m["bundle"] = map[string]any{"type": "incident"} }), "not a bundle"},
		{"bundle with spec_version", inboundBody(t, func(m map[string]any) {
			m["bundle"] = json.RawMessage(`{"type":"bundle","spec_version":"2.1","id":"bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8","objects":[]}`)
		}), "no spec_version"},
		{"bundle without incident", inboundBody(t, func(m map[string]any) { m["bundle"] = json.RawMessage(noIncident) }), "no incident"},
		{"dangling ref", inboundBody(t, func(m map[string]any) {
			var b map[string]any
			_ = json.Unmarshal(sampleBundle(t), &b)
			b["objects"] = append(b["objects"].([]any), map[string]any{"type": "relationship", "id": "relationship--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
				"spec_version": "2.1", "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "relationship_type": "x",
				"source_ref": "indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c9", "target_ref": "indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c9"})
			m["bundle"] = b
		}), "not in the bundle"},
		{"bad stage", inboundBody(t, func(m map[string]any) { m["stage"] = "whenever" }), "unknown stage"},
		{"bad lang", inboundBody(t, func(m map[string]any) { m["lang"] = "de" }), "lang"},
		{"no title", inboundBody(t, func(m map[string]any) { m["title"] = "  " }), "title"},
		{"long title", inboundBody(t, func(m map[string]any) { m["title"] = strings.Repeat("x", 501) }), "title"},
		{"control in title", inboundBody(t, func(m map[string]any) { m["title"] = "a\x1b[31mb" }), "title"},
		{"no sender", inboundBody(t, func(m map[string]any) { delete(m, "sender") }), "sender"},
		{"bad sent_by", inboundBody(t, func(m map[string]any) { m["sent_by"] = "a\nb" }), "sent_by"},
		{"pdf not base64", inboundBody(t, func(m map[string]any) { m["pdf"] = "%%%" }), "pdf: illegal base64"},
		{"pdf not a PDF", inboundBody(t, func(m map[string]any) { m["pdf"] = base64.StdEncoding.EncodeToString([]byte("MZ\x90")) }), "not a PDF"},
		{"too large", make([]byte, maxInboundBody+1), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr, err := parseInbound(tt.body)
			if err == nil || rr != nil {
				t.Fatalf("parseInbound accepted (%v, %v); want an error", rr != nil, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

func FuzzParseInbound(f *testing.F) {
	f.Add(inboundBody(f, nil))
	f.Add(inboundBody(f, func(m map[string]any) { delete(m, "pdf") }))
	f.Add([]byte(`{"bundle":{"type":"bundle"},"stage":"final","title":"t","sender":"s"}`))
	f.Add([]byte(`{"bundle":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rr, err := parseInbound(data)
		if err != nil {
			if rr != nil {
				t.Fatal("refused report returned")
			}
			return
		}
		if _, err := report.ParseBundle(rr.STIX); err != nil {
			t.Fatalf("accepted bundle does not parse again: %v", err)
		}
		if rr.Title == "" || rr.Peer == "" || rr.Direction != store.RemoteIn {
			t.Fatalf("accepted incomplete report %+v", rr)
		}
	})
}

// call sends an API request with a bearer token through client.
func call(t *testing.T, client *http.Client, method, url, secret, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

// TestRemoteReportOverHTTPS runs a second Vedetta as the remote police
// centre behind TLS: a municipality's early warning reaches the centre's
// inbox pseudonymised, the centre acknowledges it, the sender's poll puts
// the acknowledgement on the case and the clock is met. A client that
// does not trust the centre's certificate cannot send.
func TestRemoteReportOverHTTPS(t *testing.T) {
	ctx := context.Background()
	// The police centre's installation, over HTTPS.
	police := newTestEnv(t)
	police.ts.Close()
	police.ts = httptest.NewUnstartedServer(police.srv.Handler())
	// The untrusting client below makes the server log a handshake error.
	police.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	police.ts.StartTLS()
	t.Cleanup(police.ts.Close)
	cosc := police.tenant("cosc-liguria", store.KindPoliceCentre)
	_, liaison := police.token(cosc.ID, store.RoleLiaison, "inbound from Lerici")
	_, viewer := police.token(cosc.ID, store.RoleViewer, "viewer")
	pc := police.ts.Client()

	// The municipality's installation trusts the centre's certificate.
	muni := newTestEnv(t)
	srv, err := New(Options{Store: muni.st, Logger: slog.New(slog.DiscardHandler), Hasher: auth.TestHasher(),
		Cases: CaseOptions{Remote: police.ts.Client()}})
	if err != nil {
		t.Fatal(err)
	}
	muni.ts.Close()
	muni.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(muni.ts.Close)
	lerici := muni.tenant("lerici", store.KindMunicipality)
	_, analyst := muni.token(lerici.ID, store.RoleAnalyst, "automation")
	c := &store.Case{TenantID: lerici.ID, Title: "Ransomware at the registry office", Status: store.CaseOpen, Severity: "critical",
		Category: store.CatRansomware, Significant: true, AwarenessAt: time.Now().Add(-time.Hour)}
	if err := muni.st.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := muni.st.AddObservable(ctx, &store.Observable{TenantID: lerici.ID, CaseID: c.ID, Type: "ip", Value: "93.45.112.8", Personal: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := incident.SyncClocks(ctx, muni.st, c, "IT", incident.Settings{}); err != nil {
		t.Fatal(err)
	}
	send := `{"stage":"early_warning","recipient":"remote"}`
	if code, out := call(t, http.DefaultClient, "POST", muni.ts.URL+"/api/v1/cases/"+c.ID+"/reports", analyst, send); code != http.StatusBadRequest {
		t.Errorf("send without a remote centre: %d %v", code, out)
	}
	set := incident.Settings{Remote: incident.RemoteCentre{Name: "COSC Liguria", URL: police.ts.URL + "/", Token: liaison}}
	if err := incident.SaveSettings(ctx, muni.st, lerici.ID, set); err != nil {
		t.Fatal(err)
	}

	code, out := call(t, http.DefaultClient, "POST", muni.ts.URL+"/api/v1/cases/"+c.ID+"/reports", analyst, send)
	if code != http.StatusCreated {
		t.Fatalf("send: %d %v", code, out)
	}
	sentID, _ := out["id"].(string)
	sent, err := muni.st.GetRemoteReport(ctx, lerici.ID, sentID)
	if err != nil || sent.Direction != store.RemoteOut || sent.RemoteID == "" {
		t.Fatalf("sent report = %+v, %v", sent, err)
	}

	// It is in the remote inbox, pseudonymised.
	in, err := police.st.GetRemoteReport(ctx, cosc.ID, sent.RemoteID)
	if err != nil {
		t.Fatalf("remote inbox: %v", err)
	}
	if in.Peer != lerici.Name || in.Stage != "early_warning" || !strings.HasPrefix(string(in.PDF), "%PDF-") || in.AcknowledgedAt.Unix() > 0 {
		t.Errorf("received = %+v", in)
	}
	if _, err := report.ParseBundle(in.STIX); err != nil {
		t.Errorf("received bundle: %v", err)
	}
	if strings.Contains(string(in.STIX), "93.45.112.8") {
		t.Error("a personal address reached the remote centre in clear")
	}
	if code, out := call(t, pc, "GET", police.ts.URL+"/api/v1/reports/inbox", liaison, ""); code != http.StatusOK || !strings.Contains(jsonString(out), sent.RemoteID) {
		t.Errorf("remote inbox API: %d %v", code, out)
	}

	poll := muni.ts.URL + "/api/v1/cases/" + c.ID + "/remote-reports/" + sentID + "/poll"
	if code, out := call(t, http.DefaultClient, "POST", poll, analyst, ""); code != http.StatusOK || out["acknowledged_at"] != nil {
		t.Errorf("poll before the acknowledgement: %d %v", code, out)
	}
	ack := police.ts.URL + "/api/v1/reports/inbound/" + sent.RemoteID + "/ack"
	if code, _ := call(t, pc, "POST", ack, viewer, ""); code != http.StatusForbidden {
		t.Errorf("a viewer token acknowledged: %d", code)
	}
	// The centre's liaison sees it in the inbox and acknowledges it.
	police.user("ispettore", false, cosc.ID, store.RoleLiaison)
	b := police.browser()
	b.c.Transport = pc.Transport
	b.login("ispettore")
	if resp, body := b.get("/reports/inbox"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/reports/remote/`+sent.RemoteID+`"`) {
		t.Fatalf("inbox: %d, remote report not linked", resp.StatusCode)
	}
	if resp, body := b.get("/reports/remote/" + sent.RemoteID); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="acknowledge"`) {
		t.Fatalf("remote report page: %d", resp.StatusCode)
	}
	if resp, body := b.get("/reports/remote/" + sent.RemoteID + "/pdf"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "%PDF-") {
		t.Errorf("remote report PDF: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/reports/remote/"+sent.RemoteID+"/ack", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", resp.StatusCode)
	}
	if resp, body := b.get("/reports/remote/" + sent.RemoteID); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="acknowledged"`) {
		t.Errorf("after acknowledging: %d", resp.StatusCode)
	}
	if code, out := call(t, pc, "POST", ack, liaison, ""); code != http.StatusOK || !strings.Contains(jsonString(out), "ispettore") {
		t.Fatalf("acknowledge again through the API: %d %v, want the first acknowledgement kept", code, out)
	}
	if code, out := call(t, http.DefaultClient, "POST", poll, analyst, ""); code != http.StatusOK || out["acknowledged_at"] == nil ||
		!strings.Contains(jsonString(out), "ispettore (Tenant cosc-liguria) (COSC Liguria)") {
		t.Errorf("poll after the acknowledgement: %d %v", code, out)
	}
	clocks, _ := muni.st.ListClocks(ctx, lerici.ID, c.ID)
	met := false
	for _, k := range clocks {
		if k.Stage == "early_warning" && !k.MetAt.IsZero() && k.NotifiedTo == "COSC Liguria" {
			met = true
		}
	}
	if !met {
		t.Errorf("early warning clock not met by the remote report: %+v", clocks)
	}
	tl, _ := muni.st.ListTimeline(ctx, lerici.ID, c.ID)
	if !strings.Contains(jsonString(tl), "acknowledged: ") {
		t.Error("acknowledgement missing from the timeline")
	}

	// The centre asks a question; the sender's poll puts it on the case
	// once, however often it polls.
	const question = "Quali server sono cifrati?\nAvete copie offline?"
	if resp, _ := b.post("/reports/remote/"+sent.RemoteID+"/messages", url.Values{"body": {question}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("question: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/reports/remote/"+sent.RemoteID+"/messages", url.Values{"body": {"bad\x00text"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("question with a control character: %d", resp.StatusCode)
	}
	if resp, body := b.get("/reports/remote/" + sent.RemoteID); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Avete copie offline?") {
		t.Errorf("the question is not on the centre's page: %d", resp.StatusCode)
	}
	for range 2 {
		if code, out := call(t, http.DefaultClient, "POST", poll, analyst, ""); code != http.StatusOK {
			t.Fatalf("poll for questions: %d %v", code, out)
		}
	}
	tl, _ = muni.st.ListTimeline(ctx, lerici.ID, c.ID)
	questions := 0
	for _, e := range tl {
		if e.Kind == store.TimelineQuestion && e.Text == question && strings.HasSuffix(e.ActorName, "(COSC Liguria)") {
			questions++
		}
	}
	if questions != 1 {
		t.Errorf("the centre's question is %d times on the case's timeline, want once: %s", questions, jsonString(tl))
	}

	// A client that does not trust the centre's certificate cannot send.
	strict, err := New(Options{Store: muni.st, Logger: slog.New(slog.DiscardHandler), Hasher: auth.TestHasher()})
	if err != nil {
		t.Fatal(err)
	}
	sts := httptest.NewServer(strict.Handler())
	defer sts.Close()
	if code, out := call(t, http.DefaultClient, "POST", sts.URL+"/api/v1/cases/"+c.ID+"/reports", analyst, send); code != http.StatusBadRequest ||
		!strings.Contains(jsonString(out), "reports.error.remote") {
		t.Errorf("send to an untrusted certificate: %d %v", code, out)
	}
	if list, _ := police.st.ListRemoteReports(ctx, cosc.ID, store.RemoteIn, ""); len(list) != 1 {
		t.Errorf("remote inbox holds %d reports, want 1", len(list))
	}

	// The inbound endpoint refuses what it cannot check.
	inbound := police.ts.URL + "/api/v1/reports/inbound"
	if code, _ := call(t, pc, "POST", inbound, "", string(inboundBody(t, nil))); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := call(t, pc, "POST", inbound, viewer, string(inboundBody(t, nil))); code != http.StatusForbidden {
		t.Errorf("token without reports.receive: %d", code)
	}
	code, out = call(t, pc, "POST", inbound, liaison, string(inboundBody(t, func(m map[string]any) { m["stage"] = "x" })))
	if code != http.StatusBadRequest || !strings.Contains(jsonString(out), "unknown stage") {
		t.Errorf("bad stage: %d %v", code, out)
	}
	if list, _ := police.st.ListRemoteReports(ctx, cosc.ID, store.RemoteIn, ""); len(list) != 1 {
		t.Errorf("a refused report was kept: %d reports", len(list))
	}
	code, out = call(t, pc, "GET", police.ts.URL+"/api/v1/reports/inbound/"+sent.RemoteID, liaison, "")
	if code != http.StatusOK || out["acknowledged_by"] == nil {
		t.Errorf("status: %d %v", code, out)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func BenchmarkParseInbound(b *testing.B) {
	body := inboundBody(b, nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := parseInbound(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRemoteCentreSettings: the settings form stores the remote centre,
// keeps the token when the field is left empty, refuses plain HTTP and
// forgets the token with the URL.
func TestRemoteCentreSettings(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("admin", false, ten.ID, store.RoleAdmin)
	b := e.browser()
	b.login("admin")
	b.get("/incident-settings")
	save := func(name, u, token string) *http.Response {
		t.Helper()
		resp, _ := b.post("/incident-settings", url.Values{"remote_name": {name}, "remote_url": {u}, "remote_token": {token}})
		return resp
	}
	load := func() incident.RemoteCentre {
		t.Helper()
		s, err := incident.LoadSettings(ctx, e.st, ten.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s.Remote
	}
	if resp := save("COSC Liguria", "https://vedetta.cosc.example/", "vt_secret"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if r := load(); r.URL != "https://vedetta.cosc.example/" || r.Token != "vt_secret" || r.Name != "COSC Liguria" {
		t.Errorf("stored = %+v", r)
	}
	if _, body := b.get("/incident-settings"); strings.Contains(body, "vt_secret") {
		t.Error("the settings page shows the token")
	}
	b.get("/incident-settings")
	save("COSC Liguria", "https://vedetta.cosc.example/", "")
	if r := load(); r.Token != "vt_secret" {
		t.Errorf("an empty field lost the token: %+v", r)
	}
	b.get("/incident-settings")
	if resp := save("COSC", "http://vedetta.cosc.example/", ""); resp.StatusCode == http.StatusSeeOther {
		t.Error("plain HTTP accepted")
	}
	if r := load(); r.URL != "https://vedetta.cosc.example/" {
		t.Errorf("refused settings were stored: %+v", r)
	}
	b.get("/incident-settings")
	save("", "", "")
	if r := load(); r.Configured() || r.Token != "" {
		t.Errorf("cleared = %+v", r)
	}
}
