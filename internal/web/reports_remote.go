package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/report"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Reports to a police centre on another Vedetta installation travel over
// HTTPS with an API token of the centre's tenant that has the
// reports.receive permission (the protocol is described in
// docs/ARCHITECTURE-incident.md):
//
//	POST {base}/api/v1/reports/inbound        inboundReport → 201 {"id", "received_at"}
//	GET  {base}/api/v1/reports/inbound/{id}    → 200 inboundStatus (the sender polls it)
//	POST {base}/api/v1/reports/inbound/{id}/ack → 200 inboundStatus
//
// The centre's questions (POST /reports/remote/{id}/messages in its UI)
// travel back in inboundStatus.Messages: the sender's poll puts new ones
// on the case's timeline, so the sender needs no inbound connection.
const (
	inboundPath = "/api/v1/reports/inbound"
	// remoteRecipient is the recipient value naming the remote centre.
	remoteRecipient = "remote"
	// maxPDFSize bounds the PDF of an inbound report.
	maxPDFSize = 16 << 20
	// maxInboundBody bounds the request: bundle plus PDF in base64.
	maxInboundBody = report.MaxBundleSize + maxPDFSize*4/3 + 64<<10
)

// inboundReport is the body of POST /api/v1/reports/inbound.
type inboundReport struct {
	Bundle       json.RawMessage `json:"bundle"`
	PDF          string          `json:"pdf,omitempty"` // base64 (standard, padded)
	Stage        string          `json:"stage"`
	Lang         string          `json:"lang,omitempty"`
	Title        string          `json:"title"`
	Sender       string          `json:"sender"`
	SentBy       string          `json:"sent_by,omitempty"`
	PersonalData bool            `json:"personal_data,omitempty"`
}

// inboundStatus is what the receiving side tells the sender of a report.
type inboundStatus struct {
	ID             string     `json:"id"`
	Stage          string     `json:"stage"`
	Title          string     `json:"title"`
	ReceivedAt     time.Time  `json:"received_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	// Messages are the centre's questions on the report, oldest first;
	// the sender's poll copies new ones to its case.
	Messages []inboundMessage `json:"messages,omitempty"`
}

// inboundMessage is a question of the receiving centre on a report.
type inboundMessage struct {
	ID     string    `json:"id"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

// errInbound is the reason an inbound report is refused.
var errInbound = errors.New("web: inbound report refused")

// plainText reports whether v is 1..max bytes of valid UTF-8 without
// control characters.
func plainText(v string, max int) bool {
	if strings.TrimSpace(v) == "" || len(v) > max || !utf8.ValidString(v) {
		return false
	}
	return !strings.ContainsFunc(v, unicode.IsControl)
}

// parseInbound validates an inbound report: the bundle through
// report.ParseBundle (it must hold an incident), the stage, the texts and
// the PDF. Nothing of a refused report is kept.
func parseInbound(data []byte) (*store.RemoteReport, error) {
	if len(data) > maxInboundBody {
		return nil, fmt.Errorf("%w: body larger than %d bytes", errInbound, maxInboundBody)
	}
	var in inboundReport
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%w: %v", errInbound, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the report", errInbound)
	}
	switch {
	case len(in.Bundle) == 0 || string(in.Bundle) == "null":
		return nil, fmt.Errorf("%w: bundle missing", errInbound)
	case !slices.Contains(incident.Stages, in.Stage):
		return nil, fmt.Errorf("%w: unknown stage %q", errInbound, in.Stage)
	case in.Lang != "" && in.Lang != "it" && in.Lang != "en":
		return nil, fmt.Errorf("%w: lang must be it or en", errInbound)
	case !plainText(in.Title, 500):
		return nil, fmt.Errorf("%w: title must be 1-500 bytes of text", errInbound)
	case !plainText(in.Sender, 200):
		return nil, fmt.Errorf("%w: sender must be 1-200 bytes of text", errInbound)
	case in.SentBy != "" && !plainText(in.SentBy, 200):
		return nil, fmt.Errorf("%w: sent_by must be at most 200 bytes of text", errInbound)
	}
	b, err := report.ParseBundle(in.Bundle)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errInbound, err)
	}
	if b.Incident() == nil {
		return nil, fmt.Errorf("%w: the bundle holds no incident", errInbound)
	}
	var pdf []byte
	if in.PDF != "" {
		if len(in.PDF) > base64.StdEncoding.EncodedLen(maxPDFSize) {
			return nil, fmt.Errorf("%w: PDF larger than %d bytes", errInbound, maxPDFSize)
		}
		if pdf, err = base64.StdEncoding.DecodeString(in.PDF); err != nil {
			return nil, fmt.Errorf("%w: pdf: %v", errInbound, err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			return nil, fmt.Errorf("%w: pdf is not a PDF", errInbound)
		}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, in.Bundle); err != nil {
		return nil, fmt.Errorf("%w: %v", errInbound, err)
	}
	return &store.RemoteReport{Direction: store.RemoteIn, Peer: in.Sender, Stage: in.Stage, Lang: in.Lang, Title: in.Title,
		STIX: compact.Bytes(), PDF: pdf, PersonalData: in.PersonalData, SentBy: in.SentBy}, nil
}

// registerRemoteReportRoutes declares both ends of the remote protocol and
// the receiving tenant's pages for remote reports.
func (s *Server) registerRemoteReportRoutes() {
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	api := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, API: true, Perm: perm}, h)
	}
	api("POST", inboundPath, auth.PermReceiveReports, s.apiInboundReport)
	api("GET", inboundPath+"/{report}", auth.PermReceiveReports, s.apiInboundStatus)
	api("POST", inboundPath+"/{report}/ack", auth.PermReceiveReports, s.apiInboundAck)
	page("GET", "/reports/remote/{report}", auth.PermReceiveReports, s.showRemoteReport)
	page("GET", "/reports/remote/{report}/{format}", auth.PermReceiveReports, s.remoteReportFile)
	page("POST", "/reports/remote/{report}/ack", auth.PermReceiveReports, s.doAckRemoteReport)
	page("POST", "/reports/remote/{report}/messages", auth.PermReceiveReports, s.doRemoteReportMessage)
	page("POST", "/cases/{case}/remote-reports/{report}/poll", auth.PermManageCases, s.doPollRemoteReport)
	api("POST", "/api/v1/cases/{case}/remote-reports/{report}/poll", auth.PermManageCases, s.apiPollRemoteReport)
}

// ---- receiving side ----

func (s *Server) apiInboundReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInboundBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": map[string]any{"code": "too_large", "message": err.Error()}})
		return nil
	}
	rr, err := parseInbound(data)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "bad_report", "message": err.Error()}})
		return nil
	}
	rr.TenantID = rq.Tenant.ID
	if err := s.st.CreateRemoteReport(ctx, rr); err != nil {
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "report.receive_remote", "remote-report:"+rr.ID,
		map[string]any{"sender": rr.Peer, "stage": rr.Stage, "personal_data": rr.PersonalData}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": rr.ID, "received_at": rr.SentAt})
	return nil
}

// inboundReportOf loads a report the tenant received from a remote
// installation.
func (s *Server) inboundReportOf(ctx context.Context, rq *request, id string) (*store.RemoteReport, error) {
	rr, err := s.st.GetRemoteReport(ctx, rq.Tenant.ID, id)
	if err != nil || rr.Direction != store.RemoteIn {
		return nil, errNotFound
	}
	return rr, nil
}

func statusOf(rr *store.RemoteReport) inboundStatus {
	return inboundStatus{ID: rr.ID, Stage: rr.Stage, Title: rr.Title, ReceivedAt: rr.SentAt,
		AcknowledgedAt: optTime(rr.AcknowledgedAt), AcknowledgedBy: rr.AcknowledgedBy}
}

// inboundStatusOf is the status of a received report with its questions.
func (s *Server) inboundStatusOf(ctx context.Context, rr *store.RemoteReport) (inboundStatus, error) {
	st := statusOf(rr)
	msgs, err := s.st.ListRemoteReportMessages(ctx, rr.TenantID, rr.ID)
	if err != nil {
		return st, err
	}
	for _, m := range msgs {
		st.Messages = append(st.Messages, inboundMessage{ID: m.ID, Author: m.AuthorName, Body: m.Body, At: m.CreatedAt})
	}
	return st, nil
}

func (s *Server) apiInboundStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	rr, err := s.inboundReportOf(r.Context(), rq, r.PathValue("report"))
	if err != nil {
		return err
	}
	st, err := s.inboundStatusOf(r.Context(), rr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// ackRemote acknowledges a received remote report.
func (s *Server) ackRemote(ctx context.Context, rq *request, id string) (*store.RemoteReport, error) {
	rr, err := s.inboundReportOf(ctx, rq, id)
	if err != nil {
		return nil, err
	}
	_, name := rq.actor()
	if err := s.st.AcknowledgeRemoteReport(ctx, rq.Tenant.ID, rr.ID, name+" ("+rq.Tenant.Name+")", s.now()); err != nil {
		return nil, notFoundIf(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "report.acknowledge", "remote-report:"+rr.ID, nil); err != nil {
		return nil, err
	}
	return s.inboundReportOf(ctx, rq, id)
}

func (s *Server) apiInboundAck(w http.ResponseWriter, r *http.Request, rq *request) error {
	rr, err := s.ackRemote(r.Context(), rq, r.PathValue("report"))
	if err != nil {
		return err
	}
	st, err := s.inboundStatusOf(r.Context(), rr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// doRemoteReportMessage stores the centre's question on a received report;
// the sender's next poll takes it to the case.
func (s *Server) doRemoteReportMessage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	rr, err := s.inboundReportOf(ctx, rq, r.PathValue("report"))
	if err != nil {
		return err
	}
	body := strings.TrimSpace(r.PostFormValue("body"))
	if body == "" || len(body) > 20000 || !messageText(body) {
		return errStatus(http.StatusBadRequest, "cases.error.comment")
	}
	_, name := rq.actor()
	m := &store.RemoteReportMessage{TenantID: rq.Tenant.ID, ReportID: rr.ID, AuthorName: name + " (" + rq.Tenant.Name + ")", Body: body}
	if _, err := s.st.AddRemoteReportMessage(ctx, m); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "report.message", "remote-report:"+rr.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/reports/remote/" + rr.ID + "?flash=flash.report_message_sent"}
}

// messageText reports whether v is valid UTF-8 without control characters
// other than tab and line breaks.
func messageText(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

func (s *Server) doAckRemoteReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	rr, err := s.ackRemote(r.Context(), rq, r.PathValue("report"))
	if err != nil {
		return err
	}
	return &errRedirect{"/reports/remote/" + rr.ID + "?flash=flash.report_acknowledged"}
}

// remoteRow shows a received remote report like a local one.
func remoteRow(rr store.RemoteReport) inboxRow {
	return inboxRow{CaseReport: store.CaseReport{ID: rr.ID, TenantID: rr.TenantID, Stage: rr.Stage, Lang: rr.Lang, Title: rr.Title,
		PersonalData: rr.PersonalData, SentBy: rr.SentBy, SentAt: rr.SentAt, AcknowledgedAt: rr.AcknowledgedAt,
		AcknowledgedBy: rr.AcknowledgedBy}, From: rr.Peer, Remote: true}
}

func (s *Server) showRemoteReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	rr, err := s.inboundReportOf(r.Context(), rq, r.PathValue("report"))
	if err != nil {
		return err
	}
	row := remoteRow(*rr)
	row.PDF = rr.PDF // the template only asks whether there is one
	msgs, err := s.st.ListRemoteReportMessages(r.Context(), rq.Tenant.ID, rr.ID)
	if err != nil {
		return err
	}
	data := inboxReportData{Report: row}
	for _, m := range msgs {
		data.Messages = append(data.Messages, store.ReportMessage{ID: m.ID, ReportID: rr.ID, TenantID: m.TenantID,
			AuthorName: m.AuthorName, Body: m.Body, CreatedAt: m.CreatedAt})
	}
	s.render(w, r, rq, "reports_report", data)
	return nil
}

func (s *Server) remoteReportFile(w http.ResponseWriter, r *http.Request, rq *request) error {
	rr, err := s.inboundReportOf(r.Context(), rq, r.PathValue("report"))
	if err != nil {
		return err
	}
	if r.PathValue("format") == "pdf" && len(rr.PDF) == 0 {
		return errNotFound
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "report.download", "remote-report:"+rr.ID,
		map[string]any{"format": r.PathValue("format"), "personal_data": rr.PersonalData}); err != nil {
		return err
	}
	return serveReportFile(w, &store.CaseReport{ID: rr.ID, STIX: rr.STIX, PDF: rr.PDF}, r.PathValue("format"))
}

// ---- sending side ----

// remoteClient is the HTTPS client towards remote centres: TLS
// certificates are verified (the default transport) and redirects are not
// followed, so the token goes only where it was configured.
func (s *Server) remoteClient() *http.Client {
	if c := s.opt.Cases.Remote; c != nil {
		return c
	}
	return &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// remoteCall sends one request of the protocol and decodes a JSON answer
// of the wanted status into out.
func (s *Server) remoteCall(ctx context.Context, rc incident.RemoteCentre, method, path string, body []byte, want int, out any) error {
	u, err := url.Parse(rc.URL)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("web: remote centre: URL must be https")
	}
	u = u.JoinPath(path)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("web: remote centre: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+rc.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.remoteClient().Do(req)
	if err != nil {
		return fmt.Errorf("web: remote centre: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("web: remote centre: %w", err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("web: remote centre answered %s: %.300s", resp.Status, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("web: remote centre: bad answer: %w", err)
	}
	return nil
}

// sendRemote delivers a built report to the remote centre and records it
// on the sender's side.
func (s *Server) sendRemote(ctx context.Context, rq *request, rc incident.RemoteCentre, rep *store.CaseReport) (*store.RemoteReport, error) {
	body, err := json.Marshal(inboundReport{Bundle: rep.STIX, PDF: base64.StdEncoding.EncodeToString(rep.PDF), Stage: rep.Stage,
		Lang: rep.Lang, Title: rep.Title, Sender: rq.Tenant.Name, SentBy: rep.SentBy, PersonalData: rep.PersonalData})
	if err != nil {
		return nil, fmt.Errorf("web: remote report: %w", err)
	}
	var ans struct {
		ID string `json:"id"`
	}
	if err := s.remoteCall(ctx, rc, http.MethodPost, inboundPath, body, http.StatusCreated, &ans); err != nil {
		s.log.WarnContext(ctx, "report to remote centre failed", "tenant", rq.Tenant.ID, "url", rc.URL, "err", err)
		return nil, i18n.NewError("reports.error.remote")
	}
	if ans.ID == "" || len(ans.ID) > 100 {
		return nil, i18n.NewError("reports.error.remote")
	}
	rr := &store.RemoteReport{TenantID: rq.Tenant.ID, Direction: store.RemoteOut, CaseID: rep.CaseID, Peer: rc.URL, RemoteID: ans.ID,
		Stage: rep.Stage, Lang: rep.Lang, Title: rep.Title, STIX: rep.STIX, PDF: rep.PDF, PersonalData: rep.PersonalData,
		SentBy: rep.SentBy, SentAt: rep.SentAt}
	if err := s.st.CreateRemoteReport(ctx, rr); err != nil {
		return nil, err
	}
	return rr, nil
}

// pollRemote asks the remote centre for the state of a report sent there
// and records its acknowledgement on the case.
func (s *Server) pollRemote(ctx context.Context, rq *request, c *store.Case, id string) (*store.RemoteReport, error) {
	rr, err := s.st.GetRemoteReport(ctx, rq.Tenant.ID, id)
	if err != nil || rr.Direction != store.RemoteOut || rr.CaseID != c.ID {
		return nil, errNotFound
	}
	set, err := incident.LoadSettings(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return nil, err
	}
	if !set.Remote.Configured() || set.Remote.URL != rr.Peer {
		return nil, i18n.NewError("reports.error.remote_changed")
	}
	var st inboundStatus
	if err := s.remoteCall(ctx, set.Remote, http.MethodGet, inboundPath+"/"+url.PathEscape(rr.RemoteID), nil, http.StatusOK, &st); err != nil {
		s.log.WarnContext(ctx, "remote report status failed", "tenant", rq.Tenant.ID, "url", rr.Peer, "err", err)
		return nil, i18n.NewError("reports.error.remote")
	}
	if err := s.copyRemoteQuestions(ctx, rq, c, rr, set.Remote, st.Messages); err != nil {
		return nil, err
	}
	if st.AcknowledgedAt == nil || st.AcknowledgedAt.IsZero() || !rr.AcknowledgedAt.IsZero() {
		return rr, nil
	}
	by := st.AcknowledgedBy
	if !plainText(by, 150) {
		by = "?"
	}
	by += " (" + set.Remote.DisplayName() + ")"
	if err := s.st.AcknowledgeRemoteReport(ctx, rq.Tenant.ID, rr.ID, by, *st.AcknowledgedAt); err != nil {
		return nil, err
	}
	if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.ID, Kind: store.TimelineReport,
		ActorName: by, Text: "acknowledged: " + rr.Title, Ref: "remote-report:" + rr.ID}); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.report_acknowledged", "remote-report:"+rr.ID, map[string]any{"case": c.ID}); err != nil {
		return nil, err
	}
	return s.st.GetRemoteReport(ctx, rq.Tenant.ID, id)
}

// copyRemoteQuestions stores the centre's questions not seen before on the
// sent report and the case's timeline. They come from another
// installation: a message that is not plain text of sane size is skipped
// (and logged), not shown.
func (s *Server) copyRemoteQuestions(ctx context.Context, rq *request, c *store.Case, rr *store.RemoteReport,
	rc incident.RemoteCentre, msgs []inboundMessage) error {
	if len(msgs) > 1000 {
		msgs = msgs[:1000]
	}
	for _, m := range msgs {
		body := strings.TrimSpace(m.Body)
		if !plainText(m.ID, 100) || !plainText(m.Author, 150) || body == "" || len(body) > 20000 || !messageText(body) {
			s.log.WarnContext(ctx, "remote question skipped: not plain text", "tenant", rq.Tenant.ID, "report", rr.ID)
			continue
		}
		author := m.Author + " (" + rc.DisplayName() + ")"
		added, err := s.st.AddRemoteReportMessage(ctx, &store.RemoteReportMessage{TenantID: rq.Tenant.ID, ReportID: rr.ID,
			RemoteID: m.ID, AuthorName: author, Body: body, CreatedAt: m.At})
		if err != nil {
			return err
		}
		if !added {
			continue
		}
		if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.ID, Kind: store.TimelineQuestion,
			ActorName: author, Text: body, Ref: "remote-report:" + rr.ID}); err != nil {
			return err
		}
		if err := s.audit(ctx, rq, rq.Tenant.ID, "case.report_question", "remote-report:"+rr.ID, map[string]any{"case": c.ID}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) doPollRemoteReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	if _, err := s.pollRemote(r.Context(), rq, c, r.PathValue("report")); err != nil {
		if _, ok := err.(*i18n.Error); ok {
			r.URL.RawQuery = "tab=reports"
			return s.renderCase(w, r, rq, c, err)
		}
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=reports"}
}

func (s *Server) apiPollRemoteReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	rr, err := s.pollRemote(r.Context(), rq, c, r.PathValue("report"))
	if err != nil {
		if apiLocalized(w, rq, err) {
			return nil
		}
		return err
	}
	st := statusOf(rr)
	st.ID = rr.ID
	writeJSON(w, http.StatusOK, map[string]any{"id": rr.ID, "remote_id": rr.RemoteID, "stage": rr.Stage,
		"acknowledged_at": st.AcknowledgedAt, "acknowledged_by": rr.AcknowledgedBy})
	return nil
}
