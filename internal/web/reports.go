package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/report"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// registerReportRoutes declares the routes of reports to police centres:
// sending from a case, and the receiving tenant's inbox.
func (s *Server) registerReportRoutes() {
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	api := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, API: true, Perm: perm}, h)
	}
	page("POST", "/cases/{case}/reports", auth.PermManageCases, s.doSendReport)
	page("GET", "/cases/{case}/reports/{report}/{format}", auth.PermReadEvents, s.caseReportFile)
	page("POST", "/cases/{case}/reports/{report}/messages", auth.PermManageCases, s.doCaseReportMessage)
	page("GET", "/reports/inbox", auth.PermReceiveReports, s.showInbox)
	page("GET", "/reports/inbox/{report}", auth.PermReceiveReports, s.showInboxReport)
	page("GET", "/reports/inbox/{report}/{format}", auth.PermReceiveReports, s.inboxReportFile)
	page("POST", "/reports/inbox/{report}/ack", auth.PermReceiveReports, s.doAckReport)
	page("POST", "/reports/inbox/{report}/messages", auth.PermReceiveReports, s.doInboxMessage)

	api("POST", "/api/v1/cases/{case}/reports", auth.PermManageCases, s.apiSendReport)
	api("GET", "/api/v1/reports/inbox", auth.PermReceiveReports, s.apiInbox)
}

// sendReport builds the STIX bundle and the PDF of a stage and delivers
// them to a police centre overseeing the tenant. Personal observables are
// pseudonymised with the recipient's key unless includePersonal, which
// needs the personal-data permission and is audited as a disclosure.
func (s *Server) sendReport(ctx context.Context, rq *request, c *store.Case, stage, lang, recipientID string, includePersonal bool) (*store.CaseReport, error) {
	if !slices.Contains(incident.Stages, stage) {
		return nil, i18n.NewError("cases.error.stage")
	}
	if lang != "it" && lang != "en" {
		lang = "it"
	}
	if includePersonal && !rq.Can(auth.PermReadPersonalData) {
		return nil, errForbidden
	}
	set, err := incident.LoadSettings(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return nil, err
	}
	// The recipient: a police-centre tenant of this installation, or the
	// remote centre of the settings.
	remote := recipientID == remoteRecipient
	var to store.Tenant
	var ps *incident.Pseudonymiser
	if remote {
		if !set.Remote.Configured() {
			return nil, i18n.NewError("cases.error.no_recipient")
		}
		to = store.Tenant{ID: remoteRecipient, Name: set.Remote.DisplayName()}
		if !includePersonal {
			if ps, err = incident.RemotePseudonymiser(ctx, s.st, rq.Tenant.ID); err != nil {
				return nil, err
			}
		}
	} else {
		recips, err := s.recipients(ctx, rq.Tenant.ID)
		if err != nil {
			return nil, err
		}
		found := false
		for i := range recips {
			if recips[i].ID == recipientID || (recipientID == "" && i == 0) {
				to, found = recips[i], true
				break
			}
		}
		if !found {
			return nil, i18n.NewError("cases.error.no_recipient")
		}
		if !includePersonal {
			if ps, err = incident.RecipientPseudonymiser(ctx, s.st, to.ID); err != nil {
				return nil, err
			}
		}
	}
	obs, err := s.st.ListObservables(ctx, rq.Tenant.ID, c.ID)
	if err != nil {
		return nil, err
	}
	clocks, err := s.st.ListClocks(ctx, rq.Tenant.ID, c.ID)
	if err != nil {
		return nil, err
	}
	tl, err := s.st.ListTimeline(ctx, rq.Tenant.ID, c.ID)
	if err != nil {
		return nil, err
	}
	all, err := s.st.ListBlocks(ctx, rq.Tenant.ID, false, s.now())
	if err != nil {
		return nil, err
	}
	var blocks []store.Block
	for _, b := range all {
		if b.CaseID == c.ID {
			blocks = append(blocks, b)
		}
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	in := report.Input{Case: *c, Reporter: *rq.Tenant, Observables: obs, Stage: stage, Now: now}
	if ps != nil {
		in.Pseudonym = ps.Pseudonym
	}
	b, err := report.Build(in)
	if err != nil {
		return nil, err
	}
	bundle, err := b.Marshal()
	if err != nil {
		return nil, err
	}
	if _, err := report.ParseBundle(bundle); err != nil {
		return nil, fmt.Errorf("web: own bundle refused: %w", err)
	}
	p := i18n.NewPrinter(lang)
	pdf, err := report.PDF(report.PDFInput{Input: in, Recipient: to.Name, Clocks: clocks, Timeline: tl, Blocks: blocks,
		Printer: p, Loc: incident.Location(rq.Tenant.Country)})
	if err != nil {
		return nil, err
	}
	_, name := rq.actor()
	title := p.T("cases.report.stage."+stage) + " — " + in.Scrub(c.Title)
	if len(title) > 500 {
		title = title[:500]
	}
	rep := &store.CaseReport{TenantID: rq.Tenant.ID, CaseID: c.ID, RecipientID: to.ID, Stage: stage, Lang: lang,
		Title: strings.ToValidUTF8(title, ""), STIX: bundle, PDF: pdf, PersonalData: includePersonal, SentBy: name, SentAt: now}
	ref := "report:"
	if remote {
		rr, err := s.sendRemote(ctx, rq, set.Remote, rep)
		if err != nil {
			return nil, err
		}
		rep.ID, ref = rr.ID, "remote-report:"
	} else if err := s.st.CreateReport(ctx, rep); err != nil {
		return nil, err
	}
	if includePersonal {
		if err := s.audit(ctx, rq, rq.Tenant.ID, "personal_data.disclose", ref+rep.ID,
			map[string]any{"case": c.ID, "recipient": to.ID, "justification": "report to police centre, user chose to include personal data"}); err != nil {
			return nil, err
		}
	}
	if _, err := incident.MarkClock(ctx, s.st, rq.Tenant.ID, c.ID, stage, to.Name, rep.ID, rq.Tenant.Country, set, now); err != nil {
		return nil, err
	}
	if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.ID, At: now, Kind: store.TimelineReport,
		ActorName: name, Text: title + " → " + to.Name, Ref: ref + rep.ID}); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.report_send", ref+rep.ID,
		map[string]any{"case": c.ID, "stage": stage, "recipient": to.ID, "personal_data": includePersonal}); err != nil {
		return nil, err
	}
	return rep, nil
}

func (s *Server) doSendReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	_, err = s.sendReport(r.Context(), rq, c, r.PostFormValue("stage"), r.PostFormValue("lang"), r.PostFormValue("recipient"),
		r.PostFormValue("include_personal") == "on")
	if err != nil {
		if _, ok := err.(*i18n.Error); ok {
			r.URL.RawQuery = "tab=reports"
			return s.renderCase(w, r, rq, c, err)
		}
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=reports&flash=flash.report_sent"}
}

// serveReportFile writes a report's PDF or STIX bundle.
func serveReportFile(w http.ResponseWriter, rep *store.CaseReport, format string) error {
	switch format {
	case "pdf":
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"report-%s.pdf\"", rep.ID))
		_, err := w.Write(rep.PDF)
		return err
	case "stix":
		w.Header().Set("Content-Type", "application/stix+json;version=2.1")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"report-%s.json\"", rep.ID))
		_, err := w.Write(rep.STIX)
		return err
	}
	return errNotFound
}

func (s *Server) caseReportFile(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	rep, err := s.st.GetReport(r.Context(), rq.Tenant.ID, r.PathValue("report"))
	if err != nil || rep.TenantID != rq.Tenant.ID || rep.CaseID != c.ID {
		return errNotFound
	}
	if rep.PersonalData && !rq.Can(auth.PermReadPersonalData) {
		return errForbidden
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "case.report_download", "report:"+rep.ID, map[string]any{"format": r.PathValue("format")}); err != nil {
		return err
	}
	return serveReportFile(w, rep, r.PathValue("format"))
}

func (s *Server) doCaseReportMessage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	rep, err := s.st.GetReport(ctx, rq.Tenant.ID, r.PathValue("report"))
	if err != nil || rep.TenantID != rq.Tenant.ID || rep.CaseID != c.ID {
		return errNotFound
	}
	if err := s.addReportMessage(ctx, rq, rep, r.PostFormValue("body")); err != nil {
		if _, ok := err.(*i18n.Error); ok {
			r.URL.RawQuery = "tab=reports"
			return s.renderCase(w, r, rq, c, err)
		}
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=reports"}
}

// addReportMessage stores a question or answer and puts it on the case's
// timeline.
func (s *Server) addReportMessage(ctx context.Context, rq *request, rep *store.CaseReport, body string) error {
	body = strings.TrimSpace(body)
	if body == "" || len(body) > 20000 || !messageText(body) {
		return i18n.NewError("cases.error.comment")
	}
	_, name := rq.actor()
	m := &store.ReportMessage{ReportID: rep.ID, TenantID: rq.Tenant.ID, AuthorName: name + " (" + rq.Tenant.Name + ")", Body: body}
	if err := s.st.AddReportMessage(ctx, m); err != nil {
		return notFoundIf(err)
	}
	// The timeline belongs to the reporting tenant's case.
	if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: rep.TenantID, CaseID: rep.CaseID, Kind: store.TimelineQuestion,
		ActorName: m.AuthorName, Text: body, Ref: "report:" + rep.ID}); err != nil {
		return err
	}
	return s.audit(ctx, rq, rq.Tenant.ID, "report.message", "report:"+rep.ID, nil)
}

// ---- inbox (receiving side) ----

type inboxRow struct {
	store.CaseReport
	From   string
	Remote bool // received from a remote installation
}

func (s *Server) inbox(ctx context.Context, rq *request) ([]inboxRow, error) {
	reps, err := s.st.ListInbox(ctx, rq.Tenant.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	var out []inboxRow
	for _, rp := range reps {
		if _, ok := names[rp.TenantID]; !ok {
			if t, err := s.st.GetTenant(ctx, rp.TenantID); err == nil {
				names[rp.TenantID] = t.Name
			}
		}
		out = append(out, inboxRow{CaseReport: rp, From: names[rp.TenantID]})
	}
	remote, err := s.st.ListRemoteReports(ctx, rq.Tenant.ID, store.RemoteIn, "")
	if err != nil {
		return nil, err
	}
	for _, rr := range remote {
		out = append(out, remoteRow(rr))
	}
	slices.SortStableFunc(out, func(a, b inboxRow) int { return b.SentAt.Compare(a.SentAt) })
	return out, nil
}

func (s *Server) showInbox(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := s.inbox(r.Context(), rq)
	if err != nil {
		return err
	}
	s.render(w, r, rq, "reports_inbox", rows)
	return nil
}

type inboxReportData struct {
	Report   inboxRow
	Messages []store.ReportMessage
}

func (s *Server) inboxReport(r *http.Request, rq *request) (*store.CaseReport, error) {
	rep, err := s.st.GetReport(r.Context(), rq.Tenant.ID, r.PathValue("report"))
	if err != nil || rep.RecipientID != rq.Tenant.ID {
		return nil, errNotFound
	}
	return rep, nil
}

func (s *Server) showInboxReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	rep, err := s.inboxReport(r, rq)
	if err != nil {
		return err
	}
	ms, err := s.st.ListReportMessages(ctx, rq.Tenant.ID, rep.ID)
	if err != nil {
		return err
	}
	from := ""
	if t, err := s.st.GetTenant(ctx, rep.TenantID); err == nil {
		from = t.Name
	}
	rep.STIX, rep.PDF = nil, nil
	s.render(w, r, rq, "reports_report", inboxReportData{Report: inboxRow{CaseReport: *rep, From: from}, Messages: ms})
	return nil
}

func (s *Server) inboxReportFile(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := s.inboxReport(r, rq)
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "report.download", "report:"+rep.ID, map[string]any{"format": r.PathValue("format"), "personal_data": rep.PersonalData}); err != nil {
		return err
	}
	return serveReportFile(w, rep, r.PathValue("format"))
}

func (s *Server) doAckReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	rep, err := s.inboxReport(r, rq)
	if err != nil {
		return err
	}
	_, name := rq.actor()
	by := name + " (" + rq.Tenant.Name + ")"
	if err := s.st.AcknowledgeReport(ctx, rq.Tenant.ID, rep.ID, by, s.now()); err != nil {
		return notFoundIf(err)
	}
	if rep.AcknowledgedAt.IsZero() {
		if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: rep.TenantID, CaseID: rep.CaseID, Kind: store.TimelineReport,
			ActorName: by, Text: "acknowledged: " + rep.Title, Ref: "report:" + rep.ID}); err != nil {
			return err
		}
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "report.acknowledge", "report:"+rep.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/reports/inbox/" + rep.ID + "?flash=flash.report_acknowledged"}
}

func (s *Server) doInboxMessage(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := s.inboxReport(r, rq)
	if err != nil {
		return err
	}
	if err := s.addReportMessage(r.Context(), rq, rep, r.PostFormValue("body")); err != nil {
		var le *i18n.Error
		if errors.As(err, &le) {
			return &httpError{Status: http.StatusBadRequest, Key: le.Key, Err: err}
		}
		return err
	}
	return &errRedirect{"/reports/inbox/" + rep.ID}
}

// ---- API ----

func (s *Server) apiSendReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	var body struct {
		Stage           string `json:"stage"`
		Lang            string `json:"lang"`
		Recipient       string `json:"recipient"`
		IncludePersonal bool   `json:"include_personal"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	rep, err := s.sendReport(r.Context(), rq, c, body.Stage, body.Lang, body.Recipient, body.IncludePersonal)
	if err != nil {
		if apiLocalized(w, rq, err) {
			return nil
		}
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": rep.ID, "stage": rep.Stage, "recipient": rep.RecipientID, "sent_at": rep.SentAt})
	return nil
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := s.inbox(r.Context(), rq)
	if err != nil {
		return err
	}
	type item struct {
		ID             string     `json:"id"`
		From           string     `json:"from"`
		Title          string     `json:"title"`
		Stage          string     `json:"stage"`
		SentAt         time.Time  `json:"sent_at"`
		AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
		Remote         bool       `json:"remote,omitempty"`
	}
	out := []item{}
	for _, x := range rows {
		out = append(out, item{ID: x.ID, From: x.From, Title: x.Title, Stage: x.Stage, SentAt: x.SentAt, AcknowledgedAt: optTime(x.AcknowledgedAt), Remote: x.Remote})
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": out})
	return nil
}
