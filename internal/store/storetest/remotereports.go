package storetest

import (
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// runRemoteReportTests runs the RemoteReportStore part of the contract.
func runRemoteReportTests(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RemoteReports", func(t *testing.T) {
		s := open(t)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		testRemoteReports(t, s)
	})
}

func testRemoteReports(t *testing.T, s store.Store) {
	ctx := t.Context()
	police := newTenant(t, s, "cosc-remote", store.KindPoliceCentre)
	tn := newTenant(t, s, "lerici", store.KindMunicipality)
	other := newTenant(t, s, "sarzana", store.KindMunicipality)
	c := newCase(t, s, tn.ID, "Ransomware")

	in := &store.RemoteReport{TenantID: police.ID, Direction: store.RemoteIn, Peer: "Comune di Lerici", Stage: "early_warning",
		Lang: "it", Title: "Preallarme", STIX: []byte(`{"type":"bundle"}`), PDF: []byte("%PDF-1.4"), SentBy: "anna"}
	must(t, "CreateRemoteReport in", s.CreateRemoteReport(ctx, in))
	if in.ID == "" || in.SentAt.IsZero() {
		t.Fatalf("created = %+v", in)
	}
	out := &store.RemoteReport{TenantID: tn.ID, Direction: store.RemoteOut, CaseID: c.ID, Peer: "https://cosc.example/",
		RemoteID: in.ID, Stage: "early_warning", Lang: "it", Title: "Preallarme", STIX: []byte(`{"type":"bundle"}`)}
	must(t, "CreateRemoteReport out", s.CreateRemoteReport(ctx, out))

	bad := []struct {
		name string
		r    store.RemoteReport
		want error
	}{
		{"direction", store.RemoteReport{TenantID: police.ID, Direction: "sideways", Peer: "p", Stage: "s", Title: "t", STIX: []byte("{}")}, store.ErrInvalid},
		{"no peer", store.RemoteReport{TenantID: police.ID, Direction: store.RemoteIn, Stage: "s", Title: "t", STIX: []byte("{}")}, store.ErrInvalid},
		{"no title", store.RemoteReport{TenantID: police.ID, Direction: store.RemoteIn, Peer: "p", Stage: "s", STIX: []byte("{}")}, store.ErrInvalid},
		{"bad json", store.RemoteReport{TenantID: police.ID, Direction: store.RemoteIn, Peer: "p", Stage: "s", Title: "t", STIX: []byte("{")}, store.ErrInvalid},
		{"nul", store.RemoteReport{TenantID: police.ID, Direction: store.RemoteIn, Peer: "p\x00", Stage: "s", Title: "t", STIX: []byte("{}")}, store.ErrInvalid},
		{"in with case", store.RemoteReport{TenantID: police.ID, Direction: store.RemoteIn, CaseID: c.ID, Peer: "p", Stage: "s", Title: "t", STIX: []byte("{}")}, store.ErrInvalid},
		{"out without case", store.RemoteReport{TenantID: tn.ID, Direction: store.RemoteOut, Peer: "p", Stage: "s", Title: "t", STIX: []byte("{}")}, store.ErrNotFound},
		{"out other's case", store.RemoteReport{TenantID: other.ID, Direction: store.RemoteOut, CaseID: c.ID, Peer: "p", Stage: "s", Title: "t", STIX: []byte("{}")}, store.ErrNotFound},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			wantErr(t, tt.name, s.CreateRemoteReport(ctx, &r), tt.want)
		})
	}

	got, err := s.GetRemoteReport(ctx, police.ID, in.ID)
	must(t, "GetRemoteReport", err)
	if string(got.PDF) != "%PDF-1.4" || string(got.STIX) != `{"type":"bundle"}` || got.Peer != "Comune di Lerici" || got.Direction != store.RemoteIn {
		t.Errorf("received report = %+v", got)
	}
	got, err = s.GetRemoteReport(ctx, tn.ID, out.ID)
	must(t, "GetRemoteReport out", err)
	if len(got.PDF) != 0 || got.RemoteID != in.ID || got.CaseID != c.ID {
		t.Errorf("sent report = %+v", got)
	}
	_, err = s.GetRemoteReport(ctx, other.ID, in.ID)
	wantErr(t, "GetRemoteReport other tenant", err, store.ErrNotFound)

	list, err := s.ListRemoteReports(ctx, police.ID, store.RemoteIn, "")
	must(t, "ListRemoteReports", err)
	if len(list) != 1 || list[0].ID != in.ID || list[0].STIX != nil {
		t.Errorf("inbound list = %+v, want the report without content", list)
	}
	if list, _ := s.ListRemoteReports(ctx, police.ID, store.RemoteOut, ""); len(list) != 0 {
		t.Errorf("police outbound = %+v", list)
	}
	if list, _ := s.ListRemoteReports(ctx, tn.ID, store.RemoteOut, c.ID); len(list) != 1 || list[0].ID != out.ID {
		t.Errorf("case outbound = %+v", list)
	}
	if list, _ := s.ListRemoteReports(ctx, tn.ID, store.RemoteOut, "other-case"); len(list) != 0 {
		t.Errorf("other case outbound = %+v", list)
	}

	wantErr(t, "ack other tenant", s.AcknowledgeRemoteReport(ctx, other.ID, in.ID, "x", time.Time{}), store.ErrNotFound)
	wantErr(t, "ack no name", s.AcknowledgeRemoteReport(ctx, police.ID, in.ID, "", time.Time{}), store.ErrInvalid)
	ack := time.Date(2026, 3, 28, 11, 0, 0, 0, time.UTC)
	must(t, "AcknowledgeRemoteReport", s.AcknowledgeRemoteReport(ctx, police.ID, in.ID, "ispettore", ack))
	must(t, "AcknowledgeRemoteReport again", s.AcknowledgeRemoteReport(ctx, police.ID, in.ID, "altro", ack.Add(time.Hour)))
	got, _ = s.GetRemoteReport(ctx, police.ID, in.ID)
	if !got.AcknowledgedAt.Equal(ack) || got.AcknowledgedBy != "ispettore" {
		t.Errorf("acknowledged = %v by %q, want the first", got.AcknowledgedAt, got.AcknowledgedBy)
	}

	// Messages: the centre asks on its received report; the sender's poll
	// copies the question to its sent report once, however often it polls.
	q := &store.RemoteReportMessage{TenantID: police.ID, ReportID: in.ID, AuthorName: "ispettore (COSC)", Body: "Quali sistemi sono cifrati?"}
	added, err := s.AddRemoteReportMessage(ctx, q)
	if err != nil || !added || q.ID == "" || q.CreatedAt.IsZero() {
		t.Fatalf("AddRemoteReportMessage = %v, %v: %+v", added, err, q)
	}
	for i := range 2 {
		copied := &store.RemoteReportMessage{TenantID: tn.ID, ReportID: out.ID, RemoteID: q.ID, AuthorName: q.AuthorName,
			Body: q.Body, CreatedAt: q.CreatedAt}
		added, err := s.AddRemoteReportMessage(ctx, copied)
		if err != nil || added != (i == 0) {
			t.Errorf("copy %d: added %v, %v", i, added, err)
		}
	}
	badMsgs := []struct {
		name string
		m    store.RemoteReportMessage
		want error
	}{
		{"other tenant's report", store.RemoteReportMessage{TenantID: other.ID, ReportID: in.ID, AuthorName: "a", Body: "b"}, store.ErrNotFound},
		{"no body", store.RemoteReportMessage{TenantID: police.ID, ReportID: in.ID, AuthorName: "a", Body: " "}, store.ErrInvalid},
		{"no author", store.RemoteReportMessage{TenantID: police.ID, ReportID: in.ID, Body: "b"}, store.ErrInvalid},
		{"control character", store.RemoteReportMessage{TenantID: police.ID, ReportID: in.ID, AuthorName: "a", Body: "b\x00"}, store.ErrInvalid},
	}
	for _, tt := range badMsgs {
		m := tt.m
		_, err := s.AddRemoteReportMessage(ctx, &m)
		wantErr(t, "AddRemoteReportMessage "+tt.name, err, tt.want)
	}
	msgs, err := s.ListRemoteReportMessages(ctx, tn.ID, out.ID)
	must(t, "ListRemoteReportMessages", err)
	if len(msgs) != 1 || msgs[0].RemoteID != q.ID || msgs[0].Body != q.Body || !msgs[0].CreatedAt.Equal(q.CreatedAt) {
		t.Errorf("sender's messages = %+v", msgs)
	}
	if msgs, _ := s.ListRemoteReportMessages(ctx, other.ID, in.ID); len(msgs) != 0 {
		t.Errorf("another tenant lists the centre's messages: %+v", msgs)
	}

	must(t, "DeleteTenant", s.DeleteTenant(ctx, police.ID))
	_, err = s.GetRemoteReport(ctx, police.ID, in.ID)
	wantErr(t, "after tenant deletion", err, store.ErrNotFound)
}
