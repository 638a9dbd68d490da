package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// runCaseTests runs the CaseStore part of the contract.
func runCaseTests(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Cases", testCases},
		{"CaseParts", testCaseParts},
		{"CaseEvidence", testCaseEvidence},
		{"CaseClocks", testCaseClocks},
		{"CaseReports", testCaseReports},
		{"CaseBlocks", testCaseBlocks},
		{"CasePlaybooksSettings", testCasePlaybooks},
		{"CaseTenantScope", testCaseTenantScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			tt.fn(t, s)
		})
	}
}

func newCase(t *testing.T, s store.Store, tenantID, title string) *store.Case {
	t.Helper()
	c := &store.Case{TenantID: tenantID, Title: title, Status: store.CaseNew, Severity: "high", Category: store.CatRansomware,
		AwarenessAt: time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC)}
	must(t, "CreateCase", s.CreateCase(t.Context(), c))
	return c
}

func testCases(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "lerici", store.KindMunicipality)
	c := newCase(t, s, tn.ID, "Cifratura file server anagrafe")
	checkV7(t, c.ID)
	if c.TLP != "amber" {
		t.Errorf("default TLP = %q, want amber", c.TLP)
	}
	got, err := s.GetCase(ctx, tn.ID, c.ID)
	must(t, "GetCase", err)
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("GetCase mismatch (-want +got):\n%s", diff)
	}
	p := newCase(t, s, tn.ID, "Phishing 100% ufficio_tributi")
	p.Category, p.Severity = store.CatPhishing, "medium"
	must(t, "UpdateCase", s.UpdateCase(ctx, p))

	for _, tt := range []struct {
		name string
		f    store.CaseFilter
		want []string
	}{
		{"all newest first", store.CaseFilter{}, []string{p.ID, c.ID}},
		{"category", store.CaseFilter{Category: store.CatPhishing}, []string{p.ID}},
		{"severity", store.CaseFilter{Severity: "high"}, []string{c.ID}},
		{"text", store.CaseFilter{Text: "ANAGRAFE"}, []string{c.ID}},
		{"like wildcards are literal", store.CaseFilter{Text: "0%"}, []string{p.ID}},
		{"underscore literal", store.CaseFilter{Text: "o_t"}, []string{p.ID}},
		{"status", store.CaseFilter{Status: store.CaseClosed}, nil},
		{"limit", store.CaseFilter{Limit: 1}, []string{p.ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := s.ListCases(ctx, tn.ID, tt.f)
			must(t, "ListCases", err)
			var ids []string
			for _, x := range cs {
				ids = append(ids, x.ID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}

	// Closing needs a resolution and lessons learned.
	c.Status = store.CaseClosed
	wantErr(t, "close without resolution", s.UpdateCase(ctx, c), store.ErrInvalid)
	c.Resolution, c.Lessons = "Ripristino da backup", "Backup offline settimanale"
	c.ClosedAt = time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC)
	must(t, "close", s.UpdateCase(ctx, c))
	open, err := s.ListCases(ctx, tn.ID, store.CaseFilter{Open: true})
	must(t, "ListCases open", err)
	if len(open) != 1 || open[0].ID != p.ID {
		t.Errorf("open cases = %v, want only %s", open, p.ID)
	}

	for _, bad := range []store.Case{
		{TenantID: tn.ID, Title: "", Status: store.CaseNew, Severity: "high", Category: store.CatOther},
		{TenantID: tn.ID, Title: "x", Status: "bogus", Severity: "high", Category: store.CatOther},
		{TenantID: tn.ID, Title: "x", Status: store.CaseNew, Severity: "huge", Category: store.CatOther},
		{TenantID: tn.ID, Title: "x", Status: store.CaseNew, Severity: "high", Category: "alien"},
		{TenantID: tn.ID, Title: "x", Status: store.CaseNew, Severity: "high", Category: store.CatOther, TLP: "purple"},
		{TenantID: tn.ID, Title: "bad\x00nul", Status: store.CaseNew, Severity: "high", Category: store.CatOther},
	} {
		wantErr(t, "CreateCase "+bad.Title, s.CreateCase(ctx, &bad), store.ErrInvalid)
	}
	wantErr(t, "GetCase missing", func() error { _, err := s.GetCase(ctx, tn.ID, "nope"); return err }(), store.ErrNotFound)
}

func testCaseParts(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "lerici", store.KindMunicipality)
	c := newCase(t, s, tn.ID, "Ransomware")
	c2 := newCase(t, s, tn.ID, "Esfiltrazione")

	// An alert can feed several cases; linking twice is harmless.
	must(t, "Link", s.LinkCaseAlerts(ctx, tn.ID, c.ID, []string{"a2", "a1"}))
	must(t, "Link again", s.LinkCaseAlerts(ctx, tn.ID, c.ID, []string{"a1"}))
	must(t, "Link c2", s.LinkCaseAlerts(ctx, tn.ID, c2.ID, []string{"a1"}))
	al, err := s.ListCaseAlerts(ctx, tn.ID, c.ID)
	must(t, "ListCaseAlerts", err)
	if diff := cmp.Diff([]string{"a1", "a2"}, al); diff != "" {
		t.Errorf("case alerts (-want +got):\n%s", diff)
	}
	cs, err := s.ListAlertCases(ctx, tn.ID, "a1")
	must(t, "ListAlertCases", err)
	if len(cs) != 2 {
		t.Errorf("alert a1 cases = %v, want 2", cs)
	}
	wantErr(t, "link empty id", s.LinkCaseAlerts(ctx, tn.ID, c.ID, []string{""}), store.ErrInvalid)

	o := &store.Observable{TenantID: tn.ID, CaseID: c.ID, Type: "ip", Value: "203.0.113.7", EventIDs: []string{"e1"}, AlertIDs: []string{"a1"}}
	must(t, "AddObservable", s.AddObservable(ctx, o))
	u := &store.Observable{TenantID: tn.ID, CaseID: c.ID, Type: "user", Value: "m.rossi", Personal: true}
	must(t, "AddObservable user", s.AddObservable(ctx, u))
	wantErr(t, "duplicate observable", s.AddObservable(ctx, &store.Observable{TenantID: tn.ID, CaseID: c.ID, Type: "ip", Value: "203.0.113.7"}), store.ErrConflict)
	wantErr(t, "bad type", s.AddObservable(ctx, &store.Observable{TenantID: tn.ID, CaseID: c.ID, Type: "ssn", Value: "x"}), store.ErrInvalid)
	obs, err := s.ListObservables(ctx, tn.ID, c.ID)
	must(t, "ListObservables", err)
	u.EventIDs, u.AlertIDs = []string{}, []string{}
	if diff := cmp.Diff([]store.Observable{*o, *u}, obs); diff != "" {
		t.Errorf("observables (-want +got):\n%s", diff)
	}
	must(t, "DeleteObservable", s.DeleteObservable(ctx, tn.ID, c.ID, u.ID))
	wantErr(t, "DeleteObservable again", s.DeleteObservable(ctx, tn.ID, c.ID, u.ID), store.ErrNotFound)

	task := &store.CaseTask{TenantID: tn.ID, CaseID: c.ID, Title: "Isolare il server", Step: "contain"}
	must(t, "AddTask", s.AddTask(ctx, task))
	done := time.Date(2026, 3, 28, 11, 0, 0, 0, time.UTC)
	must(t, "SetTaskDone", s.SetTaskDone(ctx, tn.ID, c.ID, task.ID, true, done))
	tasks, err := s.ListTasks(ctx, tn.ID, c.ID)
	must(t, "ListTasks", err)
	if len(tasks) != 1 || !tasks[0].Done || !tasks[0].DoneAt.Equal(done) {
		t.Errorf("tasks = %+v, want one done at %v", tasks, done)
	}
	wantErr(t, "SetTaskDone wrong case", s.SetTaskDone(ctx, tn.ID, c2.ID, task.ID, true, done), store.ErrNotFound)

	must(t, "AddComment", s.AddComment(ctx, &store.CaseComment{TenantID: tn.ID, CaseID: c.ID, AuthorName: "anna", Body: "Visto"}))
	cm, err := s.ListComments(ctx, tn.ID, c.ID)
	must(t, "ListComments", err)
	if len(cm) != 1 || cm[0].Body != "Visto" {
		t.Errorf("comments = %+v", cm)
	}

	t1 := time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC)
	must(t, "AddTimeline late", s.AddTimeline(ctx, &store.TimelineEntry{TenantID: tn.ID, CaseID: c.ID, At: t1.Add(time.Hour), Kind: store.TimelineStatus, Text: "open"}))
	must(t, "AddTimeline early", s.AddTimeline(ctx, &store.TimelineEntry{TenantID: tn.ID, CaseID: c.ID, At: t1, Kind: store.TimelineEvent, Text: "login", Ref: "event:e1"}))
	tl, err := s.ListTimeline(ctx, tn.ID, c.ID)
	must(t, "ListTimeline", err)
	if len(tl) != 2 || tl[0].Kind != store.TimelineEvent || !tl[0].At.Equal(t1) {
		t.Errorf("timeline = %+v, want event first", tl)
	}

	must(t, "AddActionItem", s.AddActionItem(ctx, &store.ActionItem{TenantID: tn.ID, CaseID: c.ID, Title: "MFA per la posta"}))
	items, err := s.ListActionItems(ctx, tn.ID)
	must(t, "ListActionItems", err)
	if len(items) != 1 {
		t.Fatalf("action items = %d, want 1", len(items))
	}
	must(t, "SetActionItemDone", s.SetActionItemDone(ctx, tn.ID, items[0].ID, true))
	items, _ = s.ListActionItems(ctx, tn.ID)
	if !items[0].Done {
		t.Error("action item not done")
	}
}

func testCaseEvidence(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "lerici", store.KindMunicipality)
	c := newCase(t, s, tn.ID, "Ransomware")
	sum := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	e := &store.Evidence{TenantID: tn.ID, CaseID: c.ID, Name: "nota.txt", MediaType: "text/plain", SHA256: sum, Path: "evidence/x", UploadedBy: "anna"}
	must(t, "AddEvidence", s.AddEvidence(ctx, e))
	got, err := s.GetEvidence(ctx, tn.ID, e.ID)
	must(t, "GetEvidence", err)
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	wantErr(t, "bad sha", s.AddEvidence(ctx, &store.Evidence{TenantID: tn.ID, CaseID: c.ID, Name: "x", SHA256: "ABC", Path: "p"}), store.ErrInvalid)
	at := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	must(t, "AddCustody upload", s.AddCustody(ctx, &store.CustodyRecord{TenantID: tn.ID, EvidenceID: e.ID, At: at, ActorName: "anna", Action: "upload"}))
	must(t, "AddCustody download", s.AddCustody(ctx, &store.CustodyRecord{TenantID: tn.ID, EvidenceID: e.ID, At: at.Add(time.Minute), ActorName: "bruno", Action: "download", IP: "192.0.2.1"}))
	wantErr(t, "bad action", s.AddCustody(ctx, &store.CustodyRecord{TenantID: tn.ID, EvidenceID: e.ID, Action: "delete"}), store.ErrInvalid)
	cr, err := s.ListCustody(ctx, tn.ID, e.ID)
	must(t, "ListCustody", err)
	if len(cr) != 2 || cr[0].Action != "upload" || cr[1].ActorName != "bruno" {
		t.Errorf("custody = %+v", cr)
	}
	ev, err := s.ListEvidence(ctx, tn.ID, c.ID)
	must(t, "ListEvidence", err)
	if len(ev) != 1 {
		t.Errorf("evidence = %d, want 1", len(ev))
	}
}

func testCaseClocks(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "lerici", store.KindMunicipality)
	c := newCase(t, s, tn.ID, "Ransomware")
	start := time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC)
	ew := &store.CaseClock{TenantID: tn.ID, CaseID: c.ID, Regime: "nis2", Stage: "early_warning", StartAt: start, DeadlineAt: start.Add(24 * time.Hour)}
	nt := &store.CaseClock{TenantID: tn.ID, CaseID: c.ID, Regime: "nis2", Stage: "notification", StartAt: start, DeadlineAt: start.Add(72 * time.Hour)}
	gd := &store.CaseClock{TenantID: tn.ID, CaseID: c.ID, Regime: "gdpr", Stage: "gdpr_notification", StartAt: start, DeadlineAt: start.Add(72 * time.Hour), Waived: true}
	for _, k := range []*store.CaseClock{nt, ew, gd} {
		must(t, "AddClock "+k.Stage, s.AddClock(ctx, k))
	}
	wantErr(t, "duplicate clock", s.AddClock(ctx, &store.CaseClock{TenantID: tn.ID, CaseID: c.ID, Regime: "nis2", Stage: "early_warning", StartAt: start, DeadlineAt: start}), store.ErrConflict)
	wantErr(t, "deadline before start", s.AddClock(ctx, &store.CaseClock{TenantID: tn.ID, CaseID: c.ID, Regime: "x", Stage: "y", StartAt: start, DeadlineAt: start.Add(-time.Hour)}), store.ErrInvalid)
	cl, err := s.ListClocks(ctx, tn.ID, c.ID)
	must(t, "ListClocks", err)
	if len(cl) != 3 || cl[0].Stage != "early_warning" {
		t.Fatalf("clocks = %+v, want early warning first", cl)
	}

	// Due within 25 h of start: only the early warning (the waived GDPR
	// clock never reminds).
	due, err := s.ListClocksDue(ctx, start.Add(25*time.Hour))
	must(t, "ListClocksDue", err)
	if len(due) != 1 || due[0].ID != ew.ID {
		t.Errorf("due = %+v, want the early warning", due)
	}
	ew.RemindedAt = start.Add(22 * time.Hour)
	must(t, "UpdateClock reminded", s.UpdateClock(ctx, ew))
	due, _ = s.ListClocksDue(ctx, start.Add(25*time.Hour))
	if len(due) != 0 {
		t.Errorf("due after reminder = %d, want 0", len(due))
	}

	// At start+80h: early warning pending (breached), notification
	// breached; met late counts too, met in time does not.
	n, err := s.CountBreachedClocks(ctx, tn.ID, start.Add(80*time.Hour))
	must(t, "CountBreachedClocks", err)
	if n != 2 {
		t.Errorf("breached = %d, want 2", n)
	}
	ew.MetAt, ew.NotifiedTo = start.Add(3*time.Hour), "COSC Liguria"
	must(t, "UpdateClock met", s.UpdateClock(ctx, ew))
	nt.MetAt = start.Add(73 * time.Hour)
	must(t, "UpdateClock late", s.UpdateClock(ctx, nt))
	n, _ = s.CountBreachedClocks(ctx, tn.ID, start.Add(80*time.Hour))
	if n != 1 {
		t.Errorf("breached after notifying = %d, want 1 (the late one)", n)
	}
	for _, tt := range []struct {
		c    store.CaseClock
		now  time.Time
		want string
	}{
		{*ew, start.Add(100 * time.Hour), store.ClockMet},
		{*nt, start.Add(100 * time.Hour), store.ClockBreached},
		{*gd, start.Add(100 * time.Hour), store.ClockWaived},
		{store.CaseClock{DeadlineAt: start}, start, store.ClockPending},
		{store.CaseClock{DeadlineAt: start}, start.Add(time.Millisecond), store.ClockBreached},
	} {
		if got := tt.c.Status(tt.now); got != tt.want {
			t.Errorf("%s Status = %s, want %s", tt.c.Stage, got, tt.want)
		}
	}
}

func testCaseReports(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "lerici", store.KindMunicipality)
	police := newTenant(t, s, "cosc-liguria", store.KindPoliceCentre)
	other := newTenant(t, s, "sarzana", store.KindMunicipality)
	c := newCase(t, s, tn.ID, "Ransomware")
	r := &store.CaseReport{TenantID: tn.ID, CaseID: c.ID, RecipientID: police.ID, Stage: "early_warning", Lang: "it",
		Title: "Preallarme", STIX: []byte(`{"type":"bundle"}`), PDF: []byte("%PDF-1.4"), SentBy: "anna"}
	must(t, "CreateReport", s.CreateReport(ctx, r))
	wantErr(t, "bad bundle", s.CreateReport(ctx, &store.CaseReport{TenantID: tn.ID, CaseID: c.ID, RecipientID: police.ID, Stage: "x",
		Title: "t", STIX: []byte("{"), PDF: []byte("x")}), store.ErrInvalid)

	for _, id := range []string{tn.ID, police.ID} {
		got, err := s.GetReport(ctx, id, r.ID)
		must(t, "GetReport", err)
		if string(got.PDF) != "%PDF-1.4" || string(got.STIX) != `{"type":"bundle"}` {
			t.Errorf("report content lost: %+v", got)
		}
	}
	_, err := s.GetReport(ctx, other.ID, r.ID)
	wantErr(t, "GetReport other tenant", err, store.ErrNotFound)

	inbox, err := s.ListInbox(ctx, police.ID)
	must(t, "ListInbox", err)
	if len(inbox) != 1 || inbox[0].ID != r.ID || inbox[0].PDF != nil {
		t.Errorf("inbox = %+v, want the report without content", inbox)
	}
	wantErr(t, "sender cannot acknowledge", s.AcknowledgeReport(ctx, tn.ID, r.ID, "anna", time.Time{}), store.ErrNotFound)
	ack := time.Date(2026, 3, 28, 11, 0, 0, 0, time.UTC)
	must(t, "AcknowledgeReport", s.AcknowledgeReport(ctx, police.ID, r.ID, "ispettore", ack))
	must(t, "AcknowledgeReport again", s.AcknowledgeReport(ctx, police.ID, r.ID, "altro", ack.Add(time.Hour)))
	got, _ := s.GetReport(ctx, tn.ID, r.ID)
	if !got.AcknowledgedAt.Equal(ack) || got.AcknowledgedBy != "ispettore" {
		t.Errorf("acknowledged = %v by %q, want the first", got.AcknowledgedAt, got.AcknowledgedBy)
	}

	must(t, "question", s.AddReportMessage(ctx, &store.ReportMessage{ReportID: r.ID, TenantID: police.ID, AuthorName: "ispettore", Body: "Quanti PC?"}))
	must(t, "answer", s.AddReportMessage(ctx, &store.ReportMessage{ReportID: r.ID, TenantID: tn.ID, AuthorName: "anna", Body: "Tre"}))
	wantErr(t, "outsider message", s.AddReportMessage(ctx, &store.ReportMessage{ReportID: r.ID, TenantID: other.ID, Body: "?"}), store.ErrNotFound)
	msgs, err := s.ListReportMessages(ctx, tn.ID, r.ID)
	must(t, "ListReportMessages", err)
	if len(msgs) != 2 || msgs[0].Body != "Quanti PC?" {
		t.Errorf("messages = %+v", msgs)
	}
	msgs, err = s.ListReportMessages(ctx, other.ID, r.ID)
	must(t, "ListReportMessages other", err)
	if len(msgs) != 0 {
		t.Errorf("outsider sees %d messages", len(msgs))
	}
	rs, err := s.ListCaseReports(ctx, tn.ID, c.ID)
	must(t, "ListCaseReports", err)
	if len(rs) != 1 {
		t.Errorf("case reports = %d, want 1", len(rs))
	}
}

func testCaseBlocks(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "lerici", store.KindMunicipality)
	c := newCase(t, s, tn.ID, "DDoS")
	now := time.Now().UTC()
	b1 := &store.Block{TenantID: tn.ID, CaseID: c.ID, Kind: "block_ip", Target: "203.0.113.7", Action: "firewall", ExpiresAt: now.Add(time.Hour)}
	b2 := &store.Block{TenantID: tn.ID, CaseID: c.ID, Kind: "disable_user", Target: "m.rossi", Action: "directory"}
	b3 := &store.Block{TenantID: tn.ID, CaseID: c.ID, Kind: "block_ip", Target: "198.51.100.1", ExpiresAt: now.Add(-time.Minute)}
	for _, b := range []*store.Block{b1, b2, b3} {
		must(t, "CreateBlock", s.CreateBlock(ctx, b))
	}
	wantErr(t, "bad kind", s.CreateBlock(ctx, &store.Block{TenantID: tn.ID, CaseID: c.ID, Kind: "nuke", Target: "x"}), store.ErrInvalid)
	act, err := s.ListBlocks(ctx, tn.ID, true, now)
	must(t, "ListBlocks", err)
	if len(act) != 2 {
		t.Errorf("active = %d, want 2", len(act))
	}
	must(t, "EndBlock", s.EndBlock(ctx, tn.ID, b1.ID, "anna", now))
	wantErr(t, "EndBlock twice", s.EndBlock(ctx, tn.ID, b1.ID, "anna", now), store.ErrNotFound)
	act, _ = s.ListBlocks(ctx, tn.ID, true, now)
	if len(act) != 1 || act[0].ID != b2.ID {
		t.Errorf("active after undo = %+v, want only the user", act)
	}
	all, _ := s.ListBlocks(ctx, tn.ID, false, now)
	if len(all) != 3 {
		t.Errorf("all blocks = %d, want 3", len(all))
	}
	got, err := s.GetBlock(ctx, tn.ID, b1.ID)
	must(t, "GetBlock", err)
	if got.Active(now) || got.EndedBy != "anna" {
		t.Errorf("ended block = %+v", got)
	}
}

func testCasePlaybooks(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := newTenant(t, s, "lerici", store.KindMunicipality)
	p := &store.TenantPlaybook{TenantID: tn.ID, Name: "ransomware", YAML: "name: ransomware\n", UpdatedBy: "anna"}
	must(t, "SetTenantPlaybook", s.SetTenantPlaybook(ctx, p))
	p.YAML = "name: ransomware\nsteps: []\n"
	must(t, "SetTenantPlaybook replace", s.SetTenantPlaybook(ctx, p))
	got, err := s.GetTenantPlaybook(ctx, tn.ID, "ransomware")
	must(t, "GetTenantPlaybook", err)
	if got.YAML != p.YAML {
		t.Errorf("yaml = %q", got.YAML)
	}
	ps, _ := s.ListTenantPlaybooks(ctx, tn.ID)
	if len(ps) != 1 {
		t.Errorf("playbooks = %d", len(ps))
	}
	must(t, "DeleteTenantPlaybook", s.DeleteTenantPlaybook(ctx, tn.ID, "ransomware"))
	_, err = s.GetTenantPlaybook(ctx, tn.ID, "ransomware")
	wantErr(t, "deleted", err, store.ErrNotFound)

	v, err := s.GetIncidentSettings(ctx, tn.ID)
	must(t, "GetIncidentSettings", err)
	if v != "{}" {
		t.Errorf("default settings = %q", v)
	}
	must(t, "SetIncidentSettings", s.SetIncidentSettings(ctx, tn.ID, `{"early_warning_hours":24}`))
	must(t, "SetIncidentSettings again", s.SetIncidentSettings(ctx, tn.ID, `{"early_warning_hours":12}`))
	v, _ = s.GetIncidentSettings(ctx, tn.ID)
	if v != `{"early_warning_hours":12}` {
		t.Errorf("settings = %q", v)
	}
	wantErr(t, "not an object", s.SetIncidentSettings(ctx, tn.ID, `[1]`), store.ErrInvalid)
}

// testCaseTenantScope checks that another tenant reaches none of a case's
// parts.
func testCaseTenantScope(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "lerici", store.KindMunicipality)
	b := newTenant(t, s, "sarzana", store.KindMunicipality)
	c := newCase(t, s, a.ID, "Ransomware")
	task := &store.CaseTask{TenantID: a.ID, CaseID: c.ID, Title: "t"}
	must(t, "AddTask", s.AddTask(ctx, task))
	e := &store.Evidence{TenantID: a.ID, CaseID: c.ID, Name: "n", SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Path: "p"}
	must(t, "AddEvidence", s.AddEvidence(ctx, e))
	blk := &store.Block{TenantID: a.ID, CaseID: c.ID, Kind: "block_ip", Target: "192.0.2.1"}
	must(t, "CreateBlock", s.CreateBlock(ctx, blk))

	_, err := s.GetCase(ctx, b.ID, c.ID)
	wantErr(t, "GetCase", err, store.ErrNotFound)
	x := *c
	x.TenantID = b.ID
	wantErr(t, "UpdateCase", s.UpdateCase(ctx, &x), store.ErrNotFound)
	wantErr(t, "LinkCaseAlerts", s.LinkCaseAlerts(ctx, b.ID, c.ID, []string{"a"}), store.ErrNotFound)
	wantErr(t, "AddObservable", s.AddObservable(ctx, &store.Observable{TenantID: b.ID, CaseID: c.ID, Type: "ip", Value: "1.2.3.4"}), store.ErrNotFound)
	wantErr(t, "AddTask", s.AddTask(ctx, &store.CaseTask{TenantID: b.ID, CaseID: c.ID, Title: "t"}), store.ErrNotFound)
	wantErr(t, "SetTaskDone", s.SetTaskDone(ctx, b.ID, c.ID, task.ID, true, time.Now()), store.ErrNotFound)
	wantErr(t, "AddComment", s.AddComment(ctx, &store.CaseComment{TenantID: b.ID, CaseID: c.ID, Body: "x"}), store.ErrNotFound)
	wantErr(t, "AddTimeline", s.AddTimeline(ctx, &store.TimelineEntry{TenantID: b.ID, CaseID: c.ID, Kind: "note", Text: "x"}), store.ErrNotFound)
	wantErr(t, "AddEvidence", s.AddEvidence(ctx, &store.Evidence{TenantID: b.ID, CaseID: c.ID, Name: "n", SHA256: e.SHA256, Path: "p"}), store.ErrNotFound)
	_, err = s.GetEvidence(ctx, b.ID, e.ID)
	wantErr(t, "GetEvidence", err, store.ErrNotFound)
	wantErr(t, "AddCustody", s.AddCustody(ctx, &store.CustodyRecord{TenantID: b.ID, EvidenceID: e.ID, Action: "view"}), store.ErrNotFound)
	wantErr(t, "AddClock", s.AddClock(ctx, &store.CaseClock{TenantID: b.ID, CaseID: c.ID, Regime: "r", Stage: "s", StartAt: time.Now(), DeadlineAt: time.Now()}), store.ErrNotFound)
	wantErr(t, "CreateBlock", s.CreateBlock(ctx, &store.Block{TenantID: b.ID, CaseID: c.ID, Kind: "block_ip", Target: "x"}), store.ErrNotFound)
	wantErr(t, "EndBlock", s.EndBlock(ctx, b.ID, blk.ID, "x", time.Now()), store.ErrNotFound)
	_, err = s.GetBlock(ctx, b.ID, blk.ID)
	wantErr(t, "GetBlock", err, store.ErrNotFound)
	wantErr(t, "AddActionItem", s.AddActionItem(ctx, &store.ActionItem{TenantID: b.ID, CaseID: c.ID, Title: "x"}), store.ErrNotFound)
	for name, n := range map[string]func() (int, error){
		"ListCases":     func() (int, error) { v, err := s.ListCases(ctx, b.ID, store.CaseFilter{}); return len(v), err },
		"ListTasks":     func() (int, error) { v, err := s.ListTasks(ctx, b.ID, c.ID); return len(v), err },
		"ListEvidence":  func() (int, error) { v, err := s.ListEvidence(ctx, b.ID, c.ID); return len(v), err },
		"ListCustody":   func() (int, error) { v, err := s.ListCustody(ctx, b.ID, e.ID); return len(v), err },
		"ListBlocks":    func() (int, error) { v, err := s.ListBlocks(ctx, b.ID, false, time.Now()); return len(v), err },
		"ListTimeline":  func() (int, error) { v, err := s.ListTimeline(ctx, b.ID, c.ID); return len(v), err },
		"ListCaseAlert": func() (int, error) { v, err := s.ListCaseAlerts(ctx, b.ID, c.ID); return len(v), err },
	} {
		got, err := n()
		must(t, name, err)
		if got != 0 {
			t.Errorf("%s for another tenant = %d rows, want 0", name, got)
		}
	}
}
