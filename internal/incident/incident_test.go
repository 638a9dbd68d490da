package incident

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

func fixture(t *testing.T, st store.Store, country string) (*store.Tenant, *store.Case) {
	t.Helper()
	tn := &store.Tenant{Slug: "lerici", Name: "Comune di Lerici", Kind: store.KindMunicipality, Country: country, Locale: "it"}
	if err := st.CreateTenant(t.Context(), tn); err != nil {
		t.Fatal(err)
	}
	c := &store.Case{TenantID: tn.ID, Title: "Ransomware anagrafe", Status: store.CaseOpen, Severity: "high",
		Category: store.CatRansomware, Significant: true, PersonalData: true, AwarenessAt: time.Date(2026, 3, 28, 9, 30, 0, 0, time.UTC)}
	if err := st.CreateCase(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return tn, c
}

func TestAddMonths(t *testing.T) {
	rome := Location("IT")
	tests := []struct {
		name string
		in   time.Time
		n    int
		want time.Time
	}{
		// 10:00 CET on 1 March is 09:00Z; one month later it is 10:00
		// CEST, 08:00Z: the wall clock is kept across the DST change.
		{"across spring DST", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), 1, time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)},
		{"across autumn DST", time.Date(2026, 10, 15, 8, 0, 0, 0, time.UTC), 1, time.Date(2026, 11, 15, 9, 0, 0, 0, time.UTC)},
		{"clamp to February", time.Date(2026, 1, 31, 11, 0, 0, 0, time.UTC), 1, time.Date(2026, 2, 28, 11, 0, 0, 0, time.UTC)},
		{"leap year", time.Date(2028, 1, 31, 11, 0, 0, 0, time.UTC), 1, time.Date(2028, 2, 29, 11, 0, 0, 0, time.UTC)},
		{"year end", time.Date(2026, 12, 15, 11, 0, 0, 0, time.UTC), 1, time.Date(2027, 1, 15, 11, 0, 0, 0, time.UTC)},
		// 23:30Z on 31 March is 01:30 on 1 April in Rome: the month is
		// counted in local time, so the deadline is 1 May 01:30 CEST.
		{"local date differs from UTC", time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC), 1, time.Date(2026, 4, 30, 23, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AddMonths(tt.in, tt.n, rome); !got.Equal(tt.want) {
				t.Errorf("AddMonths(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlanClocks(t *testing.T) {
	// Awareness at 01:30 CET on Sunday 29 March 2026, the night clocks go
	// forward: 24 h and 72 h are elapsed hours, not wall-clock days.
	aware := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	type clock struct {
		Regime, Stage string
		Deadline      time.Time
	}
	tests := []struct {
		name     string
		country  string
		c        store.Case
		settings Settings
		want     []clock
	}{
		{"IT significant with personal data", "IT", store.Case{Significant: true, PersonalData: true}, Settings{}, []clock{
			{RegimeNIS2, StageEarlyWarning, aware.Add(24 * time.Hour)},
			{RegimeNIS2, StageNotification, aware.Add(72 * time.Hour)},
			// 1 April 02:30 CEST + 1 month = 1 May 02:30 CEST.
			{RegimeNIS2, StageFinal, time.Date(2026, 5, 1, 0, 30, 0, 0, time.UTC)},
			{RegimeGDPR, StageGDPR, aware.Add(72 * time.Hour)},
		}},
		{"IT public administration only", "IT", store.Case{PublicAdmin: true}, Settings{}, []clock{
			{RegimeL90, StageEarlyWarning, aware.Add(24 * time.Hour)},
			{RegimeL90, StageNotification, aware.Add(72 * time.Hour)},
		}},
		{"IT ignores overrides", "IT", store.Case{Significant: true}, Settings{Clocks: ClockRules{EarlyWarningHours: 48}}, []clock{
			{RegimeNIS2, StageEarlyWarning, aware.Add(24 * time.Hour)},
			{RegimeNIS2, StageNotification, aware.Add(72 * time.Hour)},
			{RegimeNIS2, StageFinal, time.Date(2026, 5, 1, 0, 30, 0, 0, time.UTC)},
		}},
		{"AL configured", "AL", store.Case{Significant: true, PersonalData: true, PublicAdmin: true},
			Settings{Clocks: ClockRules{EarlyWarningHours: 12, NotificationHours: 48, FinalMonths: 2, GDPRHours: 96}}, []clock{
				{RegimeAL, StageEarlyWarning, aware.Add(12 * time.Hour)},
				{RegimeAL, StageNotification, aware.Add(48 * time.Hour)},
				// 31 March 02:30 CEST (Tirane) + 2 months = 31 May.
				{RegimeAL, StageFinal, time.Date(2026, 5, 31, 0, 30, 0, 0, time.UTC)},
				{RegimeDPA, StageGDPR, aware.Add(96 * time.Hour)},
			}},
		{"ME defaults", "ME", store.Case{Significant: true}, Settings{}, []clock{
			{RegimeME, StageEarlyWarning, aware.Add(24 * time.Hour)},
			{RegimeME, StageNotification, aware.Add(72 * time.Hour)},
			{RegimeME, StageFinal, time.Date(2026, 5, 1, 0, 30, 0, 0, time.UTC)},
		}},
		{"not reportable", "IT", store.Case{}, Settings{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.AwarenessAt = aware
			var got []clock
			for _, k := range PlanClocks(&c, tt.country, tt.settings) {
				if !k.StartAt.Equal(aware) {
					t.Errorf("%s start = %v", k.Stage, k.StartAt)
				}
				got = append(got, clock{k.Regime, k.Stage, k.DeadlineAt})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("clocks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSyncAndMarkClocks(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	_, c := fixture(t, st, "IT")
	cl, err := SyncClocks(ctx, st, c, "IT", Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl) != 4 {
		t.Fatalf("clocks = %d, want 4", len(cl))
	}
	// Moving the awareness time moves pending deadlines; syncing twice
	// adds nothing.
	c.AwarenessAt = c.AwarenessAt.Add(-time.Hour)
	if _, err := SyncClocks(ctx, st, c, "IT", Settings{}); err != nil {
		t.Fatal(err)
	}
	cl, _ = SyncClocks(ctx, st, c, "IT", Settings{})
	if len(cl) != 4 || !cl[0].StartAt.Equal(c.AwarenessAt) || !cl[0].DeadlineAt.Equal(c.AwarenessAt.Add(24*time.Hour)) {
		t.Fatalf("after moving awareness: %+v", cl[0])
	}
	sent := c.AwarenessAt.Add(50 * time.Hour)
	met, err := MarkClock(ctx, st, c.TenantID, c.ID, StageNotification, "COSC Liguria", "r1", "IT", Settings{}, sent)
	if err != nil || len(met) != 1 {
		t.Fatalf("MarkClock = %v, %v", met, err)
	}
	cl, _ = st.ListClocks(ctx, c.TenantID, c.ID)
	for _, k := range cl {
		switch k.Stage {
		case StageFinal:
			if want := AddMonths(sent, 1, Location("IT")); !k.DeadlineAt.Equal(want) {
				t.Errorf("final deadline = %v, want %v (one month after the notification)", k.DeadlineAt, want)
			}
		case StageNotification:
			if k.Status(sent) != store.ClockMet || k.NotifiedTo != "COSC Liguria" {
				t.Errorf("notification = %+v", k)
			}
		}
	}
	// The early warning was never sent: breached after 24 h.
	n, err := st.CountBreachedClocks(ctx, c.TenantID, sent)
	if err != nil || n != 1 {
		t.Errorf("breached = %d, %v; want 1", n, err)
	}
}

type hookCall struct {
	Payload WebhookPayload
	Valid   bool
}

func webhook(t *testing.T, secret string, status int) (*httptest.Server, func() []hookCall) {
	var mu sync.Mutex
	var calls []hookCall
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get(HeaderTimestamp), 10, 64)
		var p WebhookPayload
		_ = json.Unmarshal(body, &p)
		mu.Lock()
		calls = append(calls, hookCall{p, r.Header.Get(HeaderSignature) == Sign(secret, ts, body)})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []hookCall { mu.Lock(); defer mu.Unlock(); return append([]hookCall(nil), calls...) }
}

func TestRunBlockAndUndo(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	tn, c := fixture(t, st, "IT")
	srv, calls := webhook(t, "s3cret", http.StatusOK)
	now := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	r := &Runner{Store: st, Now: func() time.Time { return now }}
	d, _ := Defaults()
	pb := d["ransomware"]
	s := Settings{BlockWebhook: Webhook{URL: srv.URL, Secret: "s3cret"}}

	blk, err := r.Run(ctx, s, ActionRequest{Tenant: tn, Case: c, Action: pb.Action("block-c2"), Target: " 203.0.113.7 ", Actor: "anna", Lang: "it"})
	if err != nil {
		t.Fatal(err)
	}
	if blk.Target != "203.0.113.7" || !blk.ExpiresAt.Equal(now.Add(24*time.Hour)) {
		t.Errorf("block = %+v", blk)
	}
	if _, err := r.Undo(ctx, s, tn, blk.ID, "bruno"); err != nil {
		t.Fatal(err)
	}
	got := calls()
	if len(got) != 2 {
		t.Fatalf("webhook calls = %d, want 2", len(got))
	}
	want := []WebhookPayload{
		{Action: "block", Target: "203.0.113.7", ExpiresAt: "2026-03-29T12:00:00Z", BlockID: blk.ID, CaseID: c.ID, Tenant: "lerici", SentAt: "2026-03-28T12:00:00Z"},
		{Action: "unblock", Target: "203.0.113.7", BlockID: blk.ID, CaseID: c.ID, Tenant: "lerici", SentAt: "2026-03-28T12:00:00Z"},
	}
	for i := range got {
		if !got[i].Valid {
			t.Errorf("call %d: bad signature", i)
		}
		if diff := cmp.Diff(want[i], got[i].Payload); diff != "" {
			t.Errorf("call %d (-want +got):\n%s", i, diff)
		}
	}
	active, _ := st.ListBlocks(ctx, tn.ID, true, now)
	if len(active) != 0 {
		t.Errorf("active blocks after undo = %d", len(active))
	}
	tl, _ := st.ListTimeline(ctx, tn.ID, c.ID)
	if len(tl) != 2 || !strings.Contains(tl[0].Text, "203.0.113.7") || !strings.HasPrefix(tl[1].Text, "unblock") {
		t.Errorf("timeline = %+v", tl)
	}

	// A refused webhook records no block but a failed action.
	bad, _ := webhook(t, "s3cret", http.StatusBadGateway)
	_, err = r.Run(ctx, Settings{BlockWebhook: Webhook{URL: bad.URL}}, ActionRequest{Tenant: tn, Case: c, Action: pb.Action("block-c2"), Target: "198.51.100.9", Actor: "anna"})
	if !errors.Is(err, ErrWebhook) {
		t.Errorf("refused webhook: err = %v", err)
	}
	_, err = r.Run(ctx, Settings{}, ActionRequest{Tenant: tn, Case: c, Action: pb.Action("block-c2"), Target: "not-an-ip", Actor: "anna"})
	if !errors.Is(err, ErrBadTarget) {
		t.Errorf("bad target: err = %v", err)
	}
	_, err = r.Run(ctx, Settings{}, ActionRequest{Tenant: tn, Case: c, Action: pb.Action("block-c2"), Target: "192.0.2.1", Actor: "anna"})
	if !errors.Is(err, ErrNotConfigured) {
		t.Errorf("no webhook: err = %v", err)
	}
	all, _ := st.ListBlocks(ctx, tn.ID, false, now)
	if len(all) != 1 {
		t.Errorf("blocks = %d, want only the first", len(all))
	}
	tl, _ = st.ListTimeline(ctx, tn.ID, c.ID)
	if len(tl) != 5 || !strings.HasSuffix(tl[4].Text, "not configured") {
		t.Errorf("failed runs not on the timeline: %+v", tl)
	}
}

func TestRunMailAndChat(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	tn, c := fixture(t, st, "IT")
	srv, calls := webhook(t, "k", http.StatusNoContent)
	var sent []byte
	var rcpt []string
	r := &Runner{Store: st, SendMail: func(addr string, a smtp.Auth, from string, to []string, msg []byte) error {
		sent, rcpt = msg, to
		return nil
	}}
	d, _ := Defaults()
	s := Settings{ChatWebhook: Webhook{URL: srv.URL, Secret: "k"}, SMTP: SMTP{Addr: "mail.example.org:25", From: "soc@example.org"}}
	if _, err := r.Run(ctx, s, ActionRequest{Tenant: tn, Case: c, Action: d["ransomware"].Action("chat-team"), Actor: "anna", Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	if got := calls(); len(got) != 1 || !got[0].Valid || !strings.Contains(got[0].Payload.Text, "crisis team") {
		t.Errorf("chat calls = %+v", got)
	}
	if _, err := r.Run(ctx, s, ActionRequest{Tenant: tn, Case: c, Action: d["phishing"].Action("warn-staff"), Actor: "anna", Lang: "it"}); err != nil {
		t.Fatal(err)
	}
	if len(rcpt) != 1 || !bytes.Contains(sent, []byte("Subject: [Vedetta] Ransomware anagrafe\r\n")) || !bytes.Contains(sent, []byte("messaggio fraudolento")) {
		t.Errorf("mail to %v:\n%s", rcpt, sent)
	}
}

func TestEvidence(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	tn, c := fixture(t, st, "IT")
	dir := t.TempDir()
	ev, err := OpenEvidence(dir, st, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	who := Accessor{ID: "u1", Name: "anna", IP: "192.0.2.10"}
	e, err := ev.Upload(ctx, tn.ID, c.ID, "../../etc/passwd", "text/plain", true, strings.NewReader("hello"), who)
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "passwd" || e.SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" || e.Size != 5 {
		t.Errorf("evidence = %+v", e)
	}
	got, f, err := ev.Open(ctx, tn.ID, e.ID, "download", Accessor{Name: "bruno"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello" || got.ID != e.ID {
		t.Errorf("content = %q", b)
	}
	ok, err := ev.Verify(ctx, tn.ID, e.ID, who)
	if err != nil || !ok {
		t.Errorf("Verify = %v, %v", ok, err)
	}
	if _, err := ev.Upload(ctx, tn.ID, c.ID, "big.bin", "", false, strings.NewReader(strings.Repeat("x", 17)), who); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize upload: err = %v", err)
	}
	if _, err := ev.Upload(ctx, "other-tenant", c.ID, "x", "", false, strings.NewReader("x"), who); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("upload to another tenant's case: err = %v", err)
	}
	cr, _ := st.ListCustody(ctx, tn.ID, e.ID)
	var actions []string
	for _, r := range cr {
		actions = append(actions, r.Action+":"+r.ActorName)
	}
	if diff := cmp.Diff([]string{"upload:anna", "download:bruno", "verify:anna"}, actions); diff != "" {
		t.Errorf("custody (-want +got):\n%s", diff)
	}
	list, _ := st.ListEvidence(ctx, tn.ID, c.ID)
	if len(list) != 1 {
		t.Errorf("evidence rows = %d, want 1 (the oversize one is not kept)", len(list))
	}
	// Tampering is detected.
	if err := ev.Root.WriteFile(e.Path, []byte("HELLO"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ev.Verify(ctx, tn.ID, e.ID, who); ok {
		t.Error("Verify missed a modified file")
	}
}

func TestPseudonymiser(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	a := &store.Tenant{Slug: "cosc", Name: "COSC", Kind: store.KindPoliceCentre, Country: "IT", Locale: "it"}
	b := &store.Tenant{Slug: "cosc2", Name: "COSC 2", Kind: store.KindPoliceCentre, Country: "IT", Locale: "it"}
	for _, tn := range []*store.Tenant{a, b} {
		if err := st.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	pa, err := RecipientPseudonymiser(ctx, st, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	pa2, _ := RecipientPseudonymiser(ctx, st, a.ID)
	pb, _ := RecipientPseudonymiser(ctx, st, b.ID)
	x := pa.Pseudonym("ip", "203.0.113.7")
	if !strings.HasPrefix(x, "pseud-ip-") || len(x) != len("pseud-ip-")+16 {
		t.Errorf("pseudonym = %q", x)
	}
	if pa2.Pseudonym("ip", "203.0.113.7") != x {
		t.Error("same recipient, different pseudonym: the key was not kept")
	}
	if pb.Pseudonym("ip", "203.0.113.7") == x {
		t.Error("two recipients share pseudonyms")
	}
	if pa.Pseudonym("user", "203.0.113.7") == x {
		t.Error("kind does not separate pseudonyms")
	}
	if _, err := NewPseudonymiser("abcd"); err == nil {
		t.Error("short key accepted")
	}
}

func TestReminder(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	_, c := fixture(t, st, "IT")
	if _, err := SyncClocks(ctx, st, c, "IT", Settings{}); err != nil {
		t.Fatal(err)
	}
	now := c.AwarenessAt.Add(22*time.Hour + 30*time.Minute)
	var notified []string
	r := &Reminder{Store: st, Now: func() time.Time { return now }, Notify: func(ctx context.Context, k store.CaseClock) error {
		notified = append(notified, k.Stage)
		return nil
	}}
	n, err := r.Once(ctx)
	if err != nil || n != 1 || len(notified) != 1 || notified[0] != StageEarlyWarning {
		t.Fatalf("Once = %d, %v; notified %v", n, err, notified)
	}
	if n, _ := r.Once(ctx); n != 0 {
		t.Errorf("second run reminded %d again", n)
	}
	tl, _ := st.ListTimeline(ctx, c.TenantID, c.ID)
	if len(tl) != 1 || tl[0].Kind != store.TimelineClock {
		t.Errorf("timeline = %+v", tl)
	}
	// A tenant asking for 50 hours' notice hears of the 72 h clocks now.
	if err := SaveSettings(ctx, st, c.TenantID, Settings{ReminderHours: 50}); err != nil {
		t.Fatal(err)
	}
	notified = nil
	if n, err := r.Once(ctx); err != nil || n != 2 {
		t.Errorf("with a 50 h lead: reminded %d, %v; want the two 72 h clocks (%v)", n, err, notified)
	}
}
