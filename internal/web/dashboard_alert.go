package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// maxAlertEventsShown bounds the events listed on an alert's page.
const maxAlertEventsShown = 25

type alertEventView struct {
	ID       string
	Observed time.Time
	Source   string
	Action   string
	Message  string
}

type alertPageData struct {
	Alert      *store.Alert
	Row        alertRow
	Personal   bool // users and addresses shown (and audited)
	Events     []alertEventView
	Comments   []store.AlertComment
	Authors    map[string]string
	Members    []store.User
	Cases      []string
	CaseRoute  bool
	CanTriage  bool
	CanCase    bool
	Statuses   []option
	ReadOnly   bool
	Now        time.Time
	DefaultExp string
}

// tenantAlert loads one of the active tenant's alerts.
func (s *Server) tenantAlert(ctx context.Context, rq *request, id string) (*store.Alert, error) {
	a, err := s.st.GetAlert(ctx, rq.Tenant.ID, id)
	if err != nil {
		return nil, notFoundIf(err)
	}
	return a, nil
}

func (s *Server) showDashboardAlert(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.tenantAlert(ctx, rq, r.PathValue("alert"))
	if err != nil {
		return err
	}
	d := s.newDashCtx(rq.Tenant.ID)
	if err := d.load(ctx); err != nil {
		return err
	}
	data := alertPageData{Alert: a, Row: d.row(ctx, rq, a), CanTriage: rq.Can(auth.PermTriage), CanCase: rq.Can(auth.PermManageCases),
		ReadOnly: rq.Overseeing, Now: s.now(), Authors: d.users, CaseRoute: s.hasRoute("GET", "/cases/{case}"),
		DefaultExp: s.now().Add(7 * 24 * time.Hour).Format("2006-01-02")}
	for _, st := range []store.AlertStatus{store.StatusAcknowledged, store.StatusInProgress, store.StatusResolved, store.StatusNew} {
		data.Statuses = append(data.Statuses, option{string(st), rq.P.T("dashboard.st." + string(st))})
	}
	if data.Comments, err = s.st.ListAlertComments(ctx, rq.Tenant.ID, a.ID); err != nil {
		return err
	}
	if data.Cases, err = s.st.ListAlertCases(ctx, rq.Tenant.ID, a.ID); err != nil {
		return err
	}
	if data.CanTriage {
		if data.Members, err = s.st.ListTenantUsers(ctx, rq.Tenant.ID); err != nil {
			return err
		}
	}
	// Events and the users and addresses an alert names are personal data:
	// shown to those allowed, and every read is audited.
	data.Personal = rq.Can(auth.PermReadPersonalData)
	if data.Personal {
		for i, id := range a.EventIDs {
			if i == maxAlertEventsShown {
				break
			}
			ev, err := s.st.GetEvent(ctx, rq.Tenant.ID, id)
			if err != nil {
				continue // retention may have removed it
			}
			data.Events = append(data.Events, eventView(ev, d.sources))
		}
		if err := s.audit(ctx, rq, rq.Tenant.ID, "personal_data.read", "alert:"+a.ID,
			map[string]any{"events": len(data.Events), "users": len(a.Entities.Users), "ips": len(a.Entities.IPs), "via": "dashboard"}); err != nil {
			return err
		}
	}
	s.render(w, r, rq, "dashboard_alert", data)
	return nil
}

func eventView(ev *event.Event, sources map[string]string) alertEventView {
	v := alertEventView{ID: ev.ID, Observed: ev.Observed, Source: sources[ev.SourceID]}
	if v.Source == "" {
		v.Source = ev.SourceID
	}
	v.Action = event.ValueString(ev.Fields["event.action"])
	v.Message = event.ValueString(ev.Fields["message"])
	if v.Message == "" {
		v.Message = ev.Raw
	}
	if len(v.Message) > 300 {
		v.Message = v.Message[:300] + "…"
	}
	return v
}

// hasRoute reports whether a route is registered (another area's page
// that the dashboard links to when present).
func (s *Server) hasRoute(method, pattern string) bool {
	for _, rt := range s.routes {
		if rt.Method == method && rt.Pattern == pattern {
			return true
		}
	}
	return false
}

// triageDone answers a triage action: JSON with the updated row for the
// dashboard script (which sends the CSRF token in a header), a redirect
// back to the alert otherwise. Every open dashboard of the tenant hears
// of the change.
func (s *Server) triageDone(w http.ResponseWriter, r *http.Request, rq *request, id string) error {
	a, err := s.tenantAlert(r.Context(), rq, id)
	if err != nil {
		return err
	}
	s.announce(a)
	if r.Header.Get("X-CSRF-Token") != "" {
		d := s.newDashCtx(rq.Tenant.ID)
		if err := d.load(r.Context()); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, d.row(r.Context(), rq, a))
		return nil
	}
	return &errRedirect{"/dashboard/alerts/" + id + "?flash=flash.saved"}
}

func (s *Server) doAlertStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.tenantAlert(ctx, rq, r.PathValue("alert"))
	if err != nil {
		return err
	}
	st := store.AlertStatus(r.PostFormValue("status"))
	if !st.Valid() || st == store.StatusSuppressed {
		return errStatus(http.StatusBadRequest, "error.bad_request")
	}
	if err := s.st.UpdateAlertStatus(ctx, rq.Tenant.ID, a.ID, st); err != nil {
		return notFoundIf(err)
	}
	action := "alert.status"
	switch st {
	case store.StatusAcknowledged:
		action = "alert.acknowledge"
	case store.StatusFalsePositive:
		action = "alert.false_positive"
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, action, "alert:"+a.ID, map[string]any{"from": a.Status, "to": st}); err != nil {
		return err
	}
	return s.triageDone(w, r, rq, a.ID)
}

func (s *Server) doAlertAssign(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.tenantAlert(ctx, rq, r.PathValue("alert"))
	if err != nil {
		return err
	}
	who := r.PostFormValue("assignee")
	if who == "me" {
		if rq.User == nil {
			return errStatus(http.StatusBadRequest, "error.bad_request")
		}
		who = rq.User.ID
	}
	if who != "" {
		// Only members of the tenant can be assigned.
		members, err := s.st.ListTenantUsers(ctx, rq.Tenant.ID)
		if err != nil {
			return err
		}
		ok := false
		for _, u := range members {
			ok = ok || u.ID == who
		}
		if !ok {
			return errStatus(http.StatusBadRequest, "error.bad_request")
		}
	}
	if err := s.st.AssignAlert(ctx, rq.Tenant.ID, a.ID, who); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "alert.assign", "alert:"+a.ID, map[string]any{"from": a.Assignee, "to": who}); err != nil {
		return err
	}
	return s.triageDone(w, r, rq, a.ID)
}

// maxCommentLen bounds a triage comment.
const maxCommentLen = 4000

func (s *Server) doAlertComment(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.tenantAlert(ctx, rq, r.PathValue("alert"))
	if err != nil {
		return err
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" || len(text) > maxCommentLen {
		return errStatus(http.StatusBadRequest, "dashboard.bad_comment")
	}
	author, _ := rq.actor()
	c := &store.AlertComment{TenantID: rq.Tenant.ID, AlertID: a.ID, Author: author, Text: text}
	if err := s.st.AddAlertComment(ctx, c); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "alert.comment", "alert:"+a.ID, map[string]any{"comment": c.ID}); err != nil {
		return err
	}
	return s.triageDone(w, r, rq, a.ID)
}

// doAlertSuppress silences the alert's rule (optionally only for one field
// value) with a reason and an expiry, and marks the alert suppressed.
func (s *Server) doAlertSuppress(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.tenantAlert(ctx, rq, r.PathValue("alert"))
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || len(reason) > maxCommentLen {
		return errStatus(http.StatusBadRequest, "dashboard.bad_reason")
	}
	exp, err := parseExpiry(r.PostFormValue("expires"), s.now())
	if err != nil {
		return errStatus(http.StatusBadRequest, "dashboard.bad_expiry")
	}
	author, _ := rq.actor()
	sp := &store.Suppression{TenantID: rq.Tenant.ID, RuleID: a.RuleID, Field: strings.TrimSpace(r.PostFormValue("field")),
		Value: strings.TrimSpace(r.PostFormValue("value")), Reason: reason, Author: author, ExpiresAt: exp}
	if sp.RuleID == "" && sp.Field == "" {
		return errStatus(http.StatusBadRequest, "dashboard.bad_suppression")
	}
	if err := s.st.CreateSuppression(ctx, sp); err != nil {
		return errStatus(http.StatusBadRequest, "dashboard.bad_suppression")
	}
	if err := s.st.UpdateAlertStatus(ctx, rq.Tenant.ID, a.ID, store.StatusSuppressed); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "alert.suppress", "alert:"+a.ID,
		map[string]any{"suppression": sp.ID, "rule": sp.RuleID, "field": sp.Field, "reason": reason, "expires": exp}); err != nil {
		return err
	}
	return s.triageDone(w, r, rq, a.ID)
}

// parseExpiry reads a suppression's expiry: a date (end of that day,
// UTC), a number of hours, or "never"; it must be in the future and within
// a year.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "never" {
		return time.Time{}, nil
	}
	var t time.Time
	if h, err := strconv.Atoi(v); err == nil {
		if h <= 0 || h > 24*366 {
			return t, i18n.NewError("dashboard.bad_expiry")
		}
		return now.Add(time.Duration(h) * time.Hour), nil
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return t, i18n.NewError("dashboard.bad_expiry")
	}
	t = d.Add(24*time.Hour - time.Second)
	if !t.After(now) || t.After(now.AddDate(1, 0, 1)) {
		return time.Time{}, i18n.NewError("dashboard.bad_expiry")
	}
	return t, nil
}

// doAlertEscalate opens a case for the alert through the incident area
// (caseFromAlerts) and moves the alert in progress. An alert already linked to a case goes to that case.
func (s *Server) doAlertEscalate(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.tenantAlert(ctx, rq, r.PathValue("alert"))
	if err != nil {
		return err
	}
	cases, err := s.st.ListAlertCases(ctx, rq.Tenant.ID, a.ID)
	if err != nil {
		return err
	}
	var caseID string
	if len(cases) > 0 {
		caseID = cases[0]
	} else {
		// The incident area opens the case: category guessed from the
		// rule, severity, awareness time, the alert's entities and events.
		c, err := s.caseFromAlerts(ctx, rq, []string{a.ID}, "")
		if err != nil {
			return err
		}
		caseID = c.ID
	}
	if a.Status == store.StatusNew || a.Status == store.StatusAcknowledged {
		if err := s.st.UpdateAlertStatus(ctx, rq.Tenant.ID, a.ID, store.StatusInProgress); err != nil {
			return notFoundIf(err)
		}
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "alert.escalate", "alert:"+a.ID, map[string]any{"case": caseID}); err != nil {
		return err
	}
	if updated, err := s.tenantAlert(ctx, rq, a.ID); err == nil {
		s.announce(updated)
	}
	to := "/dashboard/alerts/" + a.ID + "?flash=flash.escalated"
	if s.hasRoute("GET", "/cases/{case}") {
		to = "/cases/" + caseID
	}
	if r.Header.Get("X-CSRF-Token") != "" {
		writeJSON(w, http.StatusOK, map[string]any{"case": caseID, "location": to})
		return nil
	}
	return &errRedirect{to}
}
