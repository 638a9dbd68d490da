package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// registerAlertRoutes declares the alerts list and detail, triage,
// suppressions and indicators, in the browser and in the API.
func (s *Server) registerAlertRoutes() {
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	api := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, API: true, Perm: perm}, h)
	}
	page("GET", "/alerts", auth.PermReadEvents, s.showAlerts)
	page("GET", "/alerts/{alert}", auth.PermReadEvents, s.showAlert)
	page("POST", "/alerts/{alert}/status", auth.PermTriage, s.doAlertsPageStatus)
	page("POST", "/alerts/{alert}/comments", auth.PermTriage, s.doAlertsPageComment)
	page("GET", "/alerts/suppressions", auth.PermReadEvents, s.showSuppressions)
	page("POST", "/alerts/suppressions", auth.PermManageRules, s.doCreateSuppression)
	page("POST", "/alerts/suppressions/{suppression}/delete", auth.PermManageRules, s.doDeleteSuppression)
	page("GET", "/indicators", auth.PermReadEvents, s.showIndicators)
	page("POST", "/indicators", auth.PermManageIntel, s.doAddIndicators)
	page("POST", "/indicators/{indicator}/delete", auth.PermManageIntel, s.doDeleteIndicator)

	api("GET", "/api/v1/alerts", auth.PermReadEvents, s.apiAlerts)
	api("GET", "/api/v1/alerts/{alert}", auth.PermReadEvents, s.apiAlert)
	api("POST", "/api/v1/alerts/{alert}/status", auth.PermTriage, s.apiAlertStatus)
	api("POST", "/api/v1/alerts/{alert}/comments", auth.PermTriage, s.apiAlertComment)
	api("GET", "/api/v1/suppressions", auth.PermReadEvents, s.apiSuppressions)
	api("POST", "/api/v1/suppressions", auth.PermManageRules, s.apiCreateSuppression)
	api("DELETE", "/api/v1/suppressions/{suppression}", auth.PermManageRules, s.apiDeleteSuppression)
	api("GET", "/api/v1/indicators", auth.PermReadEvents, s.apiIndicators)
	api("POST", "/api/v1/indicators", auth.PermManageIntel, s.apiImportIndicators)
	api("DELETE", "/api/v1/indicators/{indicator}", auth.PermManageIntel, s.apiDeleteIndicator)
}

// alertFilter reads the list filters from a query string.
func alertFilter(q url.Values) (store.AlertFilter, error) {
	f := store.AlertFilter{MinSeverity: store.Severity(q.Get("severity")), Kind: store.AlertKind(q.Get("kind")),
		RuleID: strings.TrimSpace(q.Get("rule")), Text: strings.TrimSpace(q.Get("q")), Before: q.Get("before"), Limit: 50}
	for _, st := range q["status"] {
		if st != "" {
			f.Statuses = append(f.Statuses, store.AlertStatus(st))
		}
	}
	for _, st := range f.Statuses {
		if !st.Valid() {
			return f, errStatus(http.StatusBadRequest, "error.bad_request")
		}
	}
	if (f.MinSeverity != "" && !f.MinSeverity.Valid()) || (f.Kind != "" && !f.Kind.Valid()) || len(f.Text) > 200 {
		return f, errStatus(http.StatusBadRequest, "error.bad_request")
	}
	var err error
	if f.Since, err = parseDay(q.Get("since"), false); err != nil {
		return f, err
	}
	if f.Until, err = parseDay(q.Get("until"), true); err != nil {
		return f, err
	}
	return f, nil
}

// parseDay reads a date (YYYY-MM-DD) or an RFC 3339 time; end moves a date
// to the next midnight, so "until" includes the day.
func parseDay(v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, errStatus(http.StatusBadRequest, "error.bad_request")
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

type alertsData struct {
	Alerts     []store.Alert
	Counts     store.AlertCounts
	Filter     store.AlertFilter
	Status     string
	Since      string
	Until      string
	Next       string
	Severities []store.Severity
	Statuses   []store.AlertStatus
	Kinds      []store.AlertKind
	// CanEscalate shows the "Escalate to case" buttons.
	CanEscalate bool
}

func (s *Server) showAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	f, err := alertFilter(q)
	if err != nil {
		return err
	}
	ctx := r.Context()
	alerts, err := s.st.ListAlerts(ctx, rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	counts, err := s.st.CountAlerts(ctx, rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	d := alertsData{Alerts: alerts, Counts: counts, Filter: f, Status: q.Get("status"), Since: q.Get("since"), Until: q.Get("until"),
		Severities: store.Severities, Statuses: store.AlertStatuses, Kinds: store.AlertKinds, CanEscalate: rq.Can(auth.PermManageCases)}
	if len(alerts) == f.Limit {
		d.Next = alerts[len(alerts)-1].ID
	}
	s.render(w, r, rq, "alerts", d)
	return nil
}

type alertData struct {
	Alert       *store.Alert
	Comments    []store.AlertComment
	Events      []event.Event
	Missing     int  // grouped events no longer stored (retention)
	ShowEvents  bool // the caller may read personal data
	CanTriage   bool
	CanSuppress bool
	CanEscalate bool
	Statuses    []store.AlertStatus
	Members     []store.User
}

// alertDetail loads an alert with its comments and, when the caller may
// read personal data, its grouped events (an audited read).
func (s *Server) alertDetail(ctx context.Context, rq *request, id, via string) (*alertData, error) {
	a, err := s.st.GetAlert(ctx, rq.Tenant.ID, id)
	if err != nil {
		return nil, notFoundIf(err)
	}
	cs, err := s.st.ListAlertComments(ctx, rq.Tenant.ID, a.ID)
	if err != nil {
		return nil, err
	}
	d := &alertData{Alert: a, Comments: cs, ShowEvents: rq.Can(auth.PermReadPersonalData),
		CanTriage: rq.Can(auth.PermTriage), CanSuppress: rq.Can(auth.PermManageRules), CanEscalate: rq.Can(auth.PermManageCases),
		Statuses: store.AlertStatuses}
	if d.ShowEvents && len(a.EventIDs) > 0 {
		for _, evID := range a.EventIDs {
			ev, err := s.st.GetEvent(ctx, rq.Tenant.ID, evID)
			if errors.Is(err, store.ErrNotFound) {
				d.Missing++
				continue
			}
			if err != nil {
				return nil, err
			}
			d.Events = append(d.Events, *ev)
		}
		if err := s.audit(ctx, rq, rq.Tenant.ID, "personal_data.read", "alert:"+a.ID,
			map[string]any{"events": len(d.Events), "via": via}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) showAlert(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.alertDetail(r.Context(), rq, r.PathValue("alert"), "web")
	if err != nil {
		return err
	}
	if d.CanTriage {
		if d.Members, err = s.st.ListTenantUsers(r.Context(), rq.Tenant.ID); err != nil {
			return err
		}
	}
	s.render(w, r, rq, "alert", d)
	return nil
}

// setAlertStatus changes an alert's status and assignee (an assignee
// must be a member of the tenant; "-" unassigns, "" keeps).
func (s *Server) setAlertStatus(ctx context.Context, rq *request, id, status, assignee, via string) error {
	a, err := s.st.GetAlert(ctx, rq.Tenant.ID, id)
	if err != nil {
		return notFoundIf(err)
	}
	st := store.AlertStatus(status)
	if status != "" && !st.Valid() {
		return i18n.NewError("alert.bad_status")
	}
	detail := map[string]any{"via": via}
	if status != "" && st != a.Status {
		if err := s.st.UpdateAlertStatus(ctx, rq.Tenant.ID, a.ID, st); err != nil {
			return notFoundIf(err)
		}
		detail["status"], detail["from"] = st, a.Status
	}
	if assignee != "" {
		if assignee == "-" {
			assignee = ""
		} else if _, err := s.member(ctx, rq.Tenant.ID, assignee); err != nil {
			return i18n.NewError("alert.bad_assignee")
		}
		if assignee != a.Assignee {
			if err := s.st.AssignAlert(ctx, rq.Tenant.ID, a.ID, assignee); err != nil {
				return notFoundIf(err)
			}
			detail["assignee"] = assignee
		}
	}
	return s.audit(ctx, rq, rq.Tenant.ID, "alert.update", "alert:"+a.ID, detail)
}

func (s *Server) doAlertsPageStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("alert")
	if err := s.setAlertStatus(r.Context(), rq, id, r.PostFormValue("status"), r.PostFormValue("assignee"), "web"); err != nil {
		var le *i18n.Error
		if errors.As(err, &le) {
			return &httpError{Status: http.StatusBadRequest, Key: le.Key, Err: err}
		}
		return err
	}
	return &errRedirect{"/alerts/" + url.PathEscape(id) + "?flash=flash.saved"}
}

func (s *Server) addAlertComment(ctx context.Context, rq *request, id, text, via string) (*store.AlertComment, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 4000 {
		return nil, i18n.NewError("alert.bad_comment")
	}
	author, _ := rq.actor()
	c := &store.AlertComment{TenantID: rq.Tenant.ID, AlertID: id, Author: author, Text: text}
	if err := s.st.AddAlertComment(ctx, c); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return nil, i18n.NewError("alert.bad_comment")
		}
		return nil, notFoundIf(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "alert.comment", "alert:"+id, map[string]any{"comment": c.ID, "via": via}); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Server) doAlertsPageComment(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("alert")
	if _, err := s.addAlertComment(r.Context(), rq, id, r.PostFormValue("text"), "web"); err != nil {
		var le *i18n.Error
		if errors.As(err, &le) {
			return &httpError{Status: http.StatusBadRequest, Key: le.Key, Err: err}
		}
		return err
	}
	return &errRedirect{"/alerts/" + url.PathEscape(id) + "?flash=flash.saved"}
}

type suppressionsData struct {
	Suppressions []store.Suppression
	Form         store.Suppression
	Days         string
	CanManage    bool
	Now          time.Time
}

func (s *Server) showSuppressions(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	// The form can be prefilled from an alert ("suppress similar").
	form := store.Suppression{RuleID: q.Get("rule"), Field: q.Get("field"), Value: q.Get("value")}
	return s.renderSuppressions(w, r, rq, form, "", nil)
}

func (s *Server) renderSuppressions(w http.ResponseWriter, r *http.Request, rq *request, form store.Suppression, days string, ferr error) error {
	list, err := s.st.ListSuppressions(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	d := suppressionsData{Suppressions: list, Form: form, Days: days, CanManage: rq.Can(auth.PermManageRules), Now: s.now()}
	if ferr != nil {
		return s.formError(w, r, rq, "suppressions", d, ferr)
	}
	s.render(w, r, rq, "suppressions", d)
	return nil
}

// createSuppression validates and stores a suppression of the caller's
// tenant; days 0 means no expiry.
func (s *Server) createSuppression(ctx context.Context, rq *request, x *store.Suppression, days int, via string) error {
	x.RuleID, x.Field, x.Value, x.Reason = strings.TrimSpace(x.RuleID), strings.TrimSpace(x.Field), strings.TrimSpace(x.Value), strings.TrimSpace(x.Reason)
	switch {
	case x.RuleID == "" && x.Field == "":
		return i18n.NewError("suppression.need_rule_or_field")
	case x.Field == "" && x.Value != "":
		return i18n.NewError("suppression.value_without_field")
	case x.Reason == "" || len(x.Reason) > 1000 || len(x.RuleID) > 200 || len(x.Field) > 200 || len(x.Value) > 1000:
		return i18n.NewError("suppression.bad_reason")
	case days < 0 || days > 3650:
		return i18n.NewError("suppression.bad_days")
	}
	x.TenantID = rq.Tenant.ID
	x.Author, _ = rq.actor()
	if days > 0 {
		x.ExpiresAt = s.now().Add(time.Duration(days) * 24 * time.Hour)
	}
	if err := s.st.CreateSuppression(ctx, x); err != nil {
		return err
	}
	return s.audit(ctx, rq, rq.Tenant.ID, "suppression.create", "suppression:"+x.ID,
		map[string]any{"rule": x.RuleID, "field": x.Field, "reason": x.Reason, "days": days, "via": via})
}

func (s *Server) doCreateSuppression(w http.ResponseWriter, r *http.Request, rq *request) error {
	x := store.Suppression{RuleID: r.PostFormValue("rule"), Field: r.PostFormValue("field"), Value: r.PostFormValue("value"), Reason: r.PostFormValue("reason")}
	daysText := strings.TrimSpace(r.PostFormValue("days"))
	days := 0
	if daysText != "" {
		n, err := atoiStrict(daysText)
		if err != nil {
			return s.renderSuppressions(w, r, rq, x, daysText, i18n.NewError("suppression.bad_days"))
		}
		days = n
	}
	if err := s.createSuppression(r.Context(), rq, &x, days, "web"); err != nil {
		return s.renderSuppressions(w, r, rq, x, daysText, err)
	}
	return &errRedirect{"/alerts/suppressions?flash=flash.saved"}
}

func (s *Server) deleteSuppression(ctx context.Context, rq *request, id, via string) error {
	if err := s.st.DeleteSuppression(ctx, rq.Tenant.ID, id); err != nil {
		return notFoundIf(err)
	}
	return s.audit(ctx, rq, rq.Tenant.ID, "suppression.delete", "suppression:"+id, map[string]any{"via": via})
}

func (s *Server) doDeleteSuppression(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.deleteSuppression(r.Context(), rq, r.PathValue("suppression"), "web"); err != nil {
		return err
	}
	return &errRedirect{"/alerts/suppressions?flash=flash.saved"}
}

// API.

type apiComment struct {
	ID        string    `json:"id"`
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

type apiSuppression struct {
	ID        string     `json:"id"`
	RuleID    string     `json:"rule_id,omitempty"`
	Field     string     `json:"field,omitempty"`
	Value     string     `json:"value,omitempty"`
	Reason    string     `json:"reason"`
	Author    string     `json:"author"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Hits      int64      `json:"hits"`
	LastHit   *time.Time `json:"last_hit,omitempty"`
}

func toAPISuppression(x store.Suppression) apiSuppression {
	return apiSuppression{ID: x.ID, RuleID: x.RuleID, Field: x.Field, Value: x.Value, Reason: x.Reason, Author: x.Author,
		CreatedAt: x.CreatedAt, ExpiresAt: optTime(x.ExpiresAt), Hits: x.Hits, LastHit: optTime(x.LastHit)}
}

// alertAPIError writes a translatable validation error as a 400 answer; other
// errors are returned for the common handler.
func alertAPIError(w http.ResponseWriter, rq *request, err error) error {
	var le *i18n.Error
	if errors.As(err, &le) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": le.Key, "message": le.Localize(rq.P)}})
		return nil
	}
	return err
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := alertFilter(r.URL.Query())
	if err != nil {
		return err
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		if f.Limit, err = atoiStrict(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return errStatus(http.StatusBadRequest, "error.bad_request")
		}
	}
	ctx := r.Context()
	alerts, err := s.st.ListAlerts(ctx, rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	counts, err := s.st.CountAlerts(ctx, rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	out := make([]detect.AlertDoc, 0, len(alerts))
	for i := range alerts {
		out = append(out, detect.NewAlertDoc(&alerts[i]))
	}
	resp := map[string]any{"alerts": out, "counts": map[string]any{"total": counts.Total, "severity": counts.BySeverity, "status": counts.ByStatus}}
	if len(alerts) == f.Limit {
		resp["next"] = alerts[len(alerts)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.alertDetail(r.Context(), rq, r.PathValue("alert"), "api")
	if err != nil {
		return err
	}
	comments := make([]apiComment, 0, len(d.Comments))
	for _, c := range d.Comments {
		comments = append(comments, apiComment{ID: c.ID, Author: c.Author, Text: c.Text, CreatedAt: c.CreatedAt})
	}
	resp := map[string]any{"alert": detect.NewAlertDoc(d.Alert), "comments": comments}
	if d.ShowEvents {
		evs := d.Events
		if evs == nil {
			evs = []event.Event{}
		}
		resp["events"] = evs
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) apiAlertStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		Status   string `json:"status"`
		Assignee string `json:"assignee"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Status == "" && body.Assignee == "" {
		return errStatus(http.StatusBadRequest, "error.bad_request")
	}
	id := r.PathValue("alert")
	if err := s.setAlertStatus(r.Context(), rq, id, body.Status, body.Assignee, "api"); err != nil {
		return alertAPIError(w, rq, err)
	}
	a, err := s.st.GetAlert(r.Context(), rq.Tenant.ID, id)
	if err != nil {
		return notFoundIf(err)
	}
	writeJSON(w, http.StatusOK, detect.NewAlertDoc(a))
	return nil
}

func (s *Server) apiAlertComment(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		Text string `json:"text"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	c, err := s.addAlertComment(r.Context(), rq, r.PathValue("alert"), body.Text, "api")
	if err != nil {
		return alertAPIError(w, rq, err)
	}
	writeJSON(w, http.StatusCreated, apiComment{ID: c.ID, Author: c.Author, Text: c.Text, CreatedAt: c.CreatedAt})
	return nil
}

func (s *Server) apiSuppressions(w http.ResponseWriter, r *http.Request, rq *request) error {
	list, err := s.st.ListSuppressions(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	out := make([]apiSuppression, 0, len(list))
	for _, x := range list {
		out = append(out, toAPISuppression(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": out})
	return nil
}

func (s *Server) apiCreateSuppression(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		RuleID string `json:"rule_id"`
		Field  string `json:"field"`
		Value  string `json:"value"`
		Reason string `json:"reason"`
		Days   int    `json:"days"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	x := store.Suppression{RuleID: body.RuleID, Field: body.Field, Value: body.Value, Reason: body.Reason}
	if err := s.createSuppression(r.Context(), rq, &x, body.Days, "api"); err != nil {
		return alertAPIError(w, rq, err)
	}
	writeJSON(w, http.StatusCreated, toAPISuppression(x))
	return nil
}

func (s *Server) apiDeleteSuppression(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.deleteSuppression(r.Context(), rq, r.PathValue("suppression"), "api"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
