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
	"github.com/vedetta-sec/vedetta/internal/store"
)

// CaseOptions is what the case handlers need beyond the store.
type CaseOptions struct {
	// Evidence keeps evidence files; nil disables uploads.
	Evidence *incident.Evidence
	// HTTP is the client of action webhooks; nil uses a 10 s timeout.
	HTTP *http.Client
	// Remote is the HTTPS client towards remote police centres; nil
	// verifies certificates against the system roots, 30 s timeout, no
	// redirects.
	Remote *http.Client
}

// registerCaseRoutes declares the incident-response routes: cases, their
// parts, playbooks and settings.
func (s *Server) registerCaseRoutes() {
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	api := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, API: true, Perm: perm}, h)
	}
	page("GET", "/cases", auth.PermReadEvents, s.showCases)
	page("POST", "/cases", auth.PermManageCases, s.doCreateCase)
	page("POST", "/cases/from-alerts", auth.PermManageCases, s.doCaseFromAlerts)
	page("GET", "/cases/{case}", auth.PermReadEvents, s.showCase)
	page("POST", "/cases/{case}", auth.PermManageCases, s.doUpdateCase)
	page("POST", "/cases/{case}/close", auth.PermManageCases, s.doCloseCase)
	page("POST", "/cases/{case}/alerts", auth.PermManageCases, s.doLinkAlerts)
	page("POST", "/cases/{case}/comments", auth.PermTriage, s.doCaseComment)
	page("POST", "/cases/{case}/tasks", auth.PermManageCases, s.doAddTask)
	page("POST", "/cases/{case}/tasks/{task}", auth.PermManageCases, s.doToggleTask)
	page("POST", "/cases/{case}/observables", auth.PermManageCases, s.doAddObservable)
	page("POST", "/cases/{case}/observables/{obs}/delete", auth.PermManageCases, s.doDeleteObservable)
	page("POST", "/cases/{case}/playbook", auth.PermManageCases, s.doApplyPlaybook)
	page("POST", "/cases/{case}/actions/{action}", auth.PermManageCases, s.doRunAction)
	page("POST", "/cases/{case}/evidence", auth.PermManageCases, s.doUploadEvidence)
	page("GET", "/cases/{case}/evidence/{ev}", auth.PermReadEvents, s.downloadEvidence)
	page("POST", "/cases/{case}/evidence/{ev}/verify", auth.PermManageCases, s.doVerifyEvidence)
	page("POST", "/cases/{case}/clocks/{clock}/waive", auth.PermManageCases, s.doWaiveClock)
	page("GET", "/playbooks", auth.PermReadEvents, s.showPlaybooks)
	page("GET", "/playbooks/{name}", auth.PermReadEvents, s.showPlaybook)
	page("POST", "/playbooks", auth.PermManageCases, s.doSavePlaybook)
	page("POST", "/playbooks/{name}/reset", auth.PermManageCases, s.doResetPlaybook)
	page("GET", "/incident-settings", auth.PermManageSettings, s.showCaseSettings)
	page("POST", "/incident-settings", auth.PermManageSettings, s.doCaseSettings)
	page("GET", "/action-items", auth.PermReadEvents, s.showActionItems)
	page("POST", "/action-items/{item}", auth.PermManageCases, s.doToggleActionItem)

	api("GET", "/api/v1/cases", auth.PermReadEvents, s.apiCases)
	api("POST", "/api/v1/cases", auth.PermManageCases, s.apiCreateCase)
	api("GET", "/api/v1/cases/{case}", auth.PermReadEvents, s.apiCase)
	api("POST", "/api/v1/cases/from-alerts", auth.PermManageCases, s.apiCaseFromAlerts)

	s.registerReportRoutes()
	s.registerRemoteReportRoutes()
	s.registerBlockRoutes()
}

func (s *Server) runner() *incident.Runner {
	return &incident.Runner{Store: s.st, HTTP: s.opt.Cases.HTTP, Log: s.log, Now: s.now}
}

// caseForm is the create/edit form of a case.
type caseForm struct {
	Title, Description, Severity, Category, Status, OwnerID, TLP string
	Significant, PublicAdmin, PersonalData                       bool
	Awareness                                                    string // datetime-local in the tenant's zone
}

func (s *Server) readCaseForm(r *http.Request) caseForm {
	return caseForm{
		Title: strings.TrimSpace(r.PostFormValue("title")), Description: r.PostFormValue("description"),
		Severity: r.PostFormValue("severity"), Category: r.PostFormValue("category"), Status: r.PostFormValue("status"),
		OwnerID: r.PostFormValue("owner"), TLP: r.PostFormValue("tlp"), Awareness: r.PostFormValue("awareness"),
		Significant: r.PostFormValue("significant") == "on", PublicAdmin: r.PostFormValue("public_admin") == "on",
		PersonalData: r.PostFormValue("personal_data") == "on",
	}
}

const localLayout = "2006-01-02T15:04"

// apply copies the form onto c, checking values the store would refuse
// with a translatable error.
func (f caseForm) apply(c *store.Case, loc *time.Location) error {
	if f.Title == "" || len(f.Title) > 300 {
		return i18n.NewError("cases.error.title")
	}
	if !slices.Contains(store.CaseSeverities, f.Severity) || !store.CaseCategory(f.Category).Valid() {
		return i18n.NewError("cases.error.values")
	}
	if f.Status != "" {
		if !store.CaseStatus(f.Status).Valid() || store.CaseStatus(f.Status) == store.CaseClosed {
			return i18n.NewError("cases.error.values")
		}
		c.Status = store.CaseStatus(f.Status)
	}
	if f.TLP != "" {
		c.TLP = f.TLP
	}
	if f.Awareness != "" {
		t, err := time.ParseInLocation(localLayout, f.Awareness, loc)
		if err != nil {
			return i18n.NewError("cases.error.awareness")
		}
		c.AwarenessAt = t.UTC()
	}
	c.Title, c.Description, c.Severity, c.Category = f.Title, f.Description, f.Severity, store.CaseCategory(f.Category)
	c.OwnerID, c.Significant, c.PublicAdmin, c.PersonalData = f.OwnerID, f.Significant, f.PublicAdmin, f.PersonalData
	return nil
}

type casesData struct {
	Cases      []store.Case
	Filter     store.CaseFilter
	Statuses   []store.CaseStatus
	Categories []store.CaseCategory
	Severities []string
	Breached   int
	Now        time.Time
}

func (s *Server) showCases(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderCases(w, r, rq, nil)
}

func (s *Server) renderCases(w http.ResponseWriter, r *http.Request, rq *request, ferr error) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := store.CaseFilter{Status: store.CaseStatus(q.Get("status")), Severity: q.Get("severity"),
		Category: store.CaseCategory(q.Get("category")), Text: strings.TrimSpace(q.Get("q")), Open: q.Get("open") == "1"}
	if (f.Status != "" && !f.Status.Valid()) || (f.Category != "" && !f.Category.Valid()) || len(f.Text) > 200 {
		return errStatus(http.StatusBadRequest, "error.bad_request")
	}
	cs, err := s.st.ListCases(ctx, rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	n, err := s.st.CountBreachedClocks(ctx, rq.Tenant.ID, s.now())
	if err != nil {
		return err
	}
	d := casesData{Cases: cs, Filter: f, Statuses: store.CaseStatuses, Categories: store.CaseCategories,
		Severities: store.CaseSeverities, Breached: n, Now: s.now()}
	if ferr != nil {
		return s.formError(w, r, rq, "cases", d, ferr)
	}
	s.render(w, r, rq, "cases", d)
	return nil
}

// newCase creates a case with its clocks and first timeline entry.
func (s *Server) newCase(ctx context.Context, rq *request, c *store.Case) error {
	c.TenantID = rq.Tenant.ID
	if c.Status == "" {
		c.Status = store.CaseNew
	}
	if c.AwarenessAt.IsZero() {
		c.AwarenessAt = s.now().UTC()
	}
	id, name := rq.actor()
	c.CreatedBy = id
	pbs, err := incident.Playbooks(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	if c.Playbook == "" {
		c.Playbook = incident.PlaybookFor(pbs, c.Category)
	}
	if err := s.st.CreateCase(ctx, c); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return i18n.NewError("cases.error.values")
		}
		return err
	}
	if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.ID, Kind: store.TimelineStatus,
		ActorName: name, Text: "created: " + string(c.Status)}); err != nil {
		return err
	}
	if err := s.syncClocks(ctx, rq.Tenant, c); err != nil {
		return err
	}
	if c.Playbook != "" {
		if err := s.applyPlaybook(ctx, c, pbs[c.Playbook], rq.P.Lang); err != nil {
			return err
		}
	}
	return s.audit(ctx, rq, rq.Tenant.ID, "case.create", "case:"+c.ID, map[string]any{"title": c.Title, "category": c.Category})
}

func (s *Server) syncClocks(ctx context.Context, t *store.Tenant, c *store.Case) error {
	set, err := incident.LoadSettings(ctx, s.st, t.ID)
	if err != nil {
		return err
	}
	_, err = incident.SyncClocks(ctx, s.st, c, t.Country, set)
	return err
}

// applyPlaybook adds the playbook's checklists as tasks (once per step).
func (s *Server) applyPlaybook(ctx context.Context, c *store.Case, pb *incident.Playbook, lang string) error {
	if pb == nil {
		return nil
	}
	have, err := s.st.ListTasks(ctx, c.TenantID, c.ID)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, t := range have {
		done[t.Step] = true
	}
	for _, st := range pb.Steps {
		if done[st.ID] {
			continue
		}
		for _, item := range st.Checklist {
			if err := s.st.AddTask(ctx, &store.CaseTask{TenantID: c.TenantID, CaseID: c.ID, Title: item.In(lang), Step: st.ID}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) doCreateCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := s.readCaseForm(r)
	c := &store.Case{}
	if err := f.apply(c, incident.Location(rq.Tenant.Country)); err != nil {
		return s.renderCases(w, r, rq, err)
	}
	if err := s.newCase(r.Context(), rq, c); err != nil {
		return s.renderCases(w, r, rq, err)
	}
	return &errRedirect{"/cases/" + c.ID + "?flash=flash.case_created"}
}

// caseFromAlerts creates a case from alerts of the caller's tenant: the
// highest severity, the first alert's title, observables from the alerts'
// entities and timeline entries from the alerts and their events.
func (s *Server) caseFromAlerts(ctx context.Context, rq *request, ids []string, category string) (*store.Case, error) {
	if len(ids) == 0 || len(ids) > 100 {
		return nil, i18n.NewError("cases.error.no_alerts")
	}
	var alerts []store.Alert
	for _, id := range ids {
		a, err := s.st.GetAlert(ctx, rq.Tenant.ID, id)
		if err != nil {
			return nil, notFoundIf(err)
		}
		alerts = append(alerts, *a)
	}
	cat := store.CaseCategory(category)
	if category == "" {
		cat = guessCategory(alerts)
	}
	if !cat.Valid() {
		cat = store.CatOther
	}
	sev := "low"
	for _, a := range alerts {
		v := string(a.Severity)
		if v == "informational" {
			v = "low"
		}
		if slices.Index(store.CaseSeverities, v) > slices.Index(store.CaseSeverities, sev) {
			sev = v
		}
	}
	c := &store.Case{Title: alerts[0].Title, Severity: sev, Category: cat, AwarenessAt: alerts[0].FirstSeen}
	if len(alerts) == 1 && len(alerts[0].Description) <= 20000 {
		c.Description = strings.ReplaceAll(strings.ToValidUTF8(alerts[0].Description, ""), "\x00", "")
	}
	if len(alerts) > 1 {
		c.Title = fmt.Sprintf("%s (+%d)", alerts[0].Title, len(alerts)-1)
	}
	if len(c.Title) > 300 {
		c.Title = c.Title[:300]
	}
	for _, a := range alerts {
		if !a.FirstSeen.IsZero() && a.FirstSeen.Before(c.AwarenessAt) {
			c.AwarenessAt = a.FirstSeen
		}
	}
	if err := s.newCase(ctx, rq, c); err != nil {
		return nil, err
	}
	if err := s.linkAlerts(ctx, rq, c, alerts); err != nil {
		return nil, err
	}
	return c, nil
}

// linkAlerts links alerts to a case and brings their entities and events
// into it.
func (s *Server) linkAlerts(ctx context.Context, rq *request, c *store.Case, alerts []store.Alert) error {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	if err := s.st.LinkCaseAlerts(ctx, rq.Tenant.ID, c.ID, ids); err != nil {
		return err
	}
	for _, a := range alerts {
		if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.ID, At: a.FirstSeen,
			Kind: store.TimelineAlert, Text: string(a.Severity) + ": " + a.Title, Ref: "alert:" + a.ID}); err != nil {
			return err
		}
		add := func(typ, v string, personal bool) error {
			err := s.st.AddObservable(ctx, &store.Observable{TenantID: c.TenantID, CaseID: c.ID, Type: typ, Value: v,
				Personal: personal, AlertIDs: []string{a.ID}, EventIDs: a.EventIDs})
			if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrInvalid) {
				return err
			}
			return nil
		}
		for _, ip := range a.Entities.IPs {
			// An address may be a citizen's: personal unless shown otherwise.
			if err := add("ip", ip, true); err != nil {
				return err
			}
		}
		for _, u := range a.Entities.Users {
			if err := add("user", u, true); err != nil {
				return err
			}
		}
		for _, h := range a.Entities.Hosts {
			if err := add("host", h, false); err != nil {
				return err
			}
		}
		if a.IndicatorValue != "" {
			if err := add(indicatorType(a.IndicatorValue), a.IndicatorValue, false); err != nil {
				return err
			}
		}
		for i, eid := range a.EventIDs {
			if i >= 20 {
				break
			}
			ev, err := s.st.GetEvent(ctx, rq.Tenant.ID, eid)
			if err != nil {
				continue // expired by retention
			}
			text := ev.Category
			if m := ev.String("message"); m != "" {
				text += ": " + m
			}
			if len(text) > 500 {
				text = text[:500]
			}
			if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.ID, At: ev.Observed,
				Kind: store.TimelineEvent, Text: strings.ToValidUTF8(text, "?"), Ref: "event:" + ev.ID}); err != nil {
				return err
			}
		}
	}
	return s.audit(ctx, rq, rq.Tenant.ID, "case.link_alerts", "case:"+c.ID, map[string]any{"alerts": ids})
}

func indicatorType(v string) string {
	switch {
	case strings.Contains(v, "://"):
		return "url"
	case strings.Contains(v, "@"):
		return "email"
	case strings.Trim(strings.ToLower(v), "0123456789abcdef") == "" && (len(v) == 32 || len(v) == 40 || len(v) == 64):
		return "hash"
	case strings.Trim(v, "0123456789.:abcdefABCDEF/") == "":
		return "ip"
	}
	return "domain"
}

func formIDs(r *http.Request, name string) []string {
	var ids []string
	for _, v := range r.PostForm[name] {
		for _, x := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
			if !slices.Contains(ids, x) {
				ids = append(ids, x)
			}
		}
	}
	return ids
}

// categoryHints map words in an alert's rule, title or tags to the case
// category an escalation without a chosen category starts with; the
// first match in this order wins.
var categoryHints = []struct {
	words []string
	cat   store.CaseCategory
}{
	{[]string{"ransom", "lockbit", "t1486"}, store.CatRansomware},
	{[]string{"phish", "t1566"}, store.CatPhishing},
	{[]string{"ddos", "denial of service", "t1498", "t1499"}, store.CatDDoS},
	{[]string{"defac", "t1491"}, store.CatDefacement},
	{[]string{"exfiltrat", "data breach", "t1041", "t1048"}, store.CatDataBreach},
	{[]string{"brute", "password spray", "t1110", "t1078"}, store.CatAccountCompromise},
	{[]string{"physical", "perimeter", "fence", "gate"}, store.CatPhysicalIntrusion},
}

// guessCategory picks the category an escalation from the alerts' page
// starts with; the technician can change it on the case.
func guessCategory(alerts []store.Alert) store.CaseCategory {
	var text strings.Builder
	for _, a := range alerts {
		text.WriteString(strings.ToLower(a.RuleID + " " + a.RuleTitle + " " + a.Title + " " + strings.Join(a.Tags, " ") + " "))
	}
	t := text.String()
	for _, h := range categoryHints {
		for _, w := range h.words {
			if strings.Contains(t, w) {
				return h.cat
			}
		}
	}
	return store.CatOther
}

func (s *Server) doCaseFromAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.caseFromAlerts(r.Context(), rq, formIDs(r, "alert"), r.PostFormValue("category"))
	if err != nil {
		var le *i18n.Error
		if errors.As(err, &le) {
			return s.renderCases(w, r, rq, err)
		}
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?flash=flash.case_created"}
}

func (s *Server) getCase(r *http.Request, rq *request) (*store.Case, error) {
	c, err := s.st.GetCase(r.Context(), rq.Tenant.ID, r.PathValue("case"))
	return c, notFoundIf(err)
}

// caseView is everything the case page shows.
type caseView struct {
	Case         *store.Case
	Tab          string
	Tabs         []string
	Form         caseForm
	Alerts       []string
	Observables  []store.Observable
	ShowPersonal bool
	Tasks        []store.CaseTask
	Comments     []store.CaseComment
	Timeline     []store.TimelineEntry
	Evidence     []store.Evidence
	Custody      map[string][]store.CustodyRecord
	Clocks       []clockView
	Reports      []reportView
	Recipients   []store.Tenant
	// RemoteName names the remote police centre of the settings ("" when
	// none); RemoteReports are the case's reports sent there.
	RemoteName    string
	RemoteReports []store.RemoteReport
	Playbook      *incident.Playbook
	Playbooks     []string
	Blocks        []store.Block
	Users         []store.User
	Statuses      []store.CaseStatus
	Categories    []store.CaseCategory
	Severities    []string
	ObsTypes      []string
	Stages        []string
	Metrics       caseMetrics
	Breached      int
	Now           time.Time
	Lang          string
}

type clockView struct {
	store.CaseClock
	State string
	Left  string
}

type reportView struct {
	store.CaseReport
	Messages []store.ReportMessage
}

type caseMetrics struct {
	Acknowledge, Contain, Notify string
}

func since(a, b time.Time) string {
	if a.IsZero() || b.IsZero() {
		return "—"
	}
	return b.Sub(a).Round(time.Minute).String()
}

var caseTabs = []string{"overview", "timeline", "observables", "tasks", "evidence", "playbook", "clocks", "reports"}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	return s.renderCase(w, r, rq, c, nil)
}

func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, rq *request, c *store.Case, ferr error) error {
	ctx := r.Context()
	tab := r.URL.Query().Get("tab")
	if !slices.Contains(caseTabs, tab) {
		tab = "overview"
	}
	now := s.now()
	loc := incident.Location(rq.Tenant.Country)
	d := caseView{Case: c, Tab: tab, Tabs: caseTabs, Statuses: store.CaseStatuses, Categories: store.CaseCategories,
		Severities: store.CaseSeverities, ObsTypes: store.ObservableTypes, Stages: incident.Stages, Now: now, Lang: rq.P.Lang,
		ShowPersonal: rq.Can(auth.PermReadPersonalData)}
	d.Form = caseForm{Title: c.Title, Description: c.Description, Severity: c.Severity, Category: string(c.Category),
		Status: string(c.Status), OwnerID: c.OwnerID, TLP: c.TLP, Significant: c.Significant, PublicAdmin: c.PublicAdmin,
		PersonalData: c.PersonalData, Awareness: c.AwarenessAt.In(loc).Format(localLayout)}
	var err error
	if d.Alerts, err = s.st.ListCaseAlerts(ctx, rq.Tenant.ID, c.ID); err != nil {
		return err
	}
	if d.Observables, err = s.st.ListObservables(ctx, rq.Tenant.ID, c.ID); err != nil {
		return err
	}
	if tab == "observables" && d.ShowPersonal {
		n := 0
		for _, o := range d.Observables {
			if o.Personal {
				n++
			}
		}
		if n > 0 {
			if err := s.audit(ctx, rq, rq.Tenant.ID, "personal_data.read", "case:"+c.ID, map[string]any{"observables": n}); err != nil {
				return err
			}
		}
	}
	if d.Tasks, err = s.st.ListTasks(ctx, rq.Tenant.ID, c.ID); err != nil {
		return err
	}
	if d.Comments, err = s.st.ListComments(ctx, rq.Tenant.ID, c.ID); err != nil {
		return err
	}
	if d.Timeline, err = s.st.ListTimeline(ctx, rq.Tenant.ID, c.ID); err != nil {
		return err
	}
	if d.Evidence, err = s.st.ListEvidence(ctx, rq.Tenant.ID, c.ID); err != nil {
		return err
	}
	if tab == "evidence" {
		d.Custody = map[string][]store.CustodyRecord{}
		for _, e := range d.Evidence {
			if d.Custody[e.ID], err = s.st.ListCustody(ctx, rq.Tenant.ID, e.ID); err != nil {
				return err
			}
		}
	}
	clocks, err := s.st.ListClocks(ctx, rq.Tenant.ID, c.ID)
	if err != nil {
		return err
	}
	for _, k := range clocks {
		v := clockView{CaseClock: k, State: k.Status(now)}
		if v.State == store.ClockPending {
			v.Left = k.DeadlineAt.Sub(now).Round(time.Minute).String()
		}
		if v.State == store.ClockBreached {
			d.Breached++
		}
		d.Clocks = append(d.Clocks, v)
	}
	reps, err := s.st.ListCaseReports(ctx, rq.Tenant.ID, c.ID)
	if err != nil {
		return err
	}
	var firstReport time.Time
	for _, rp := range reps {
		ms, err := s.st.ListReportMessages(ctx, rq.Tenant.ID, rp.ID)
		if err != nil {
			return err
		}
		d.Reports = append(d.Reports, reportView{CaseReport: rp, Messages: ms})
		if firstReport.IsZero() {
			firstReport = rp.SentAt
		}
	}
	if d.Recipients, err = s.recipients(ctx, rq.Tenant.ID); err != nil {
		return err
	}
	if d.RemoteReports, err = s.st.ListRemoteReports(ctx, rq.Tenant.ID, store.RemoteOut, c.ID); err != nil {
		return err
	}
	for _, rr := range d.RemoteReports {
		if firstReport.IsZero() || rr.SentAt.Before(firstReport) {
			firstReport = rr.SentAt
		}
	}
	if set, err := incident.LoadSettings(ctx, s.st, rq.Tenant.ID); err != nil {
		return err
	} else if set.Remote.Configured() {
		d.RemoteName = set.Remote.DisplayName()
	}
	pbs, err := incident.Playbooks(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	d.Playbooks = incident.PlaybookNames(pbs)
	d.Playbook = pbs[c.Playbook]
	all, err := s.st.ListBlocks(ctx, rq.Tenant.ID, false, now)
	if err != nil {
		return err
	}
	for _, b := range all {
		if b.CaseID == c.ID {
			d.Blocks = append(d.Blocks, b)
		}
	}
	if d.Users, err = s.st.ListTenantUsers(ctx, rq.Tenant.ID); err != nil {
		return err
	}
	d.Metrics = caseMetrics{Acknowledge: since(c.AwarenessAt, c.AcknowledgedAt), Contain: since(c.AwarenessAt, c.ContainedAt),
		Notify: since(c.AwarenessAt, firstReport)}
	if ferr != nil {
		return s.formError(w, r, rq, "case", d, ferr)
	}
	s.render(w, r, rq, "case", d)
	return nil
}

// recipients are the police centres overseeing the tenant.
func (s *Server) recipients(ctx context.Context, tenantID string) ([]store.Tenant, error) {
	gs, err := s.st.ListOverseers(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []store.Tenant
	for _, g := range gs {
		t, err := s.st.GetTenant(ctx, g.OverseerID)
		if err != nil {
			continue
		}
		if t.Kind == store.KindPoliceCentre {
			out = append(out, *t)
		}
	}
	return out, nil
}

// setStatus moves a case to a status, stamping the metric times and the
// timeline.
func (s *Server) setStatus(ctx context.Context, rq *request, c *store.Case, to store.CaseStatus) error {
	if c.Status == to {
		return nil
	}
	now := s.now().UTC()
	from := c.Status
	c.Status = to
	if to != store.CaseNew && c.AcknowledgedAt.IsZero() {
		c.AcknowledgedAt = now
	}
	if (to == store.CaseContained || to == store.CaseResolved || to == store.CaseClosed) && c.ContainedAt.IsZero() {
		c.ContainedAt = now
	}
	if (to == store.CaseResolved || to == store.CaseClosed) && c.ResolvedAt.IsZero() {
		c.ResolvedAt = now
	}
	if to == store.CaseClosed {
		c.ClosedAt = now
	}
	_, name := rq.actor()
	return s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.ID, At: now, Kind: store.TimelineStatus,
		ActorName: name, Text: string(from) + " → " + string(to)})
}

func (s *Server) doUpdateCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	if c.Status == store.CaseClosed {
		return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.closed"))
	}
	f := s.readCaseForm(r)
	prev := c.Status
	if err := f.apply(c, incident.Location(rq.Tenant.Country)); err != nil {
		return s.renderCase(w, r, rq, c, err)
	}
	next := c.Status
	c.Status = prev
	if err := s.setStatus(ctx, rq, c, next); err != nil {
		return err
	}
	if err := s.st.UpdateCase(ctx, c); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.values"))
		}
		return notFoundIf(err)
	}
	if err := s.syncClocks(ctx, rq.Tenant, c); err != nil {
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.update", "case:"+c.ID, map[string]any{"status": c.Status, "severity": c.Severity}); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?flash=flash.case_saved"}
}

func (s *Server) doCloseCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	res, lessons := strings.TrimSpace(r.PostFormValue("resolution")), strings.TrimSpace(r.PostFormValue("lessons"))
	if res == "" || lessons == "" {
		return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.close"))
	}
	c.Resolution, c.Lessons = res, lessons
	if err := s.setStatus(ctx, rq, c, store.CaseClosed); err != nil {
		return err
	}
	if err := s.st.UpdateCase(ctx, c); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.close"))
		}
		return err
	}
	// Each line of the lessons learned becomes an action item.
	for _, line := range strings.Split(lessons, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "-*•"))
		if line == "" {
			continue
		}
		if err := s.st.AddActionItem(ctx, &store.ActionItem{TenantID: c.TenantID, CaseID: c.ID, Title: line}); err != nil {
			return err
		}
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.close", "case:"+c.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?flash=flash.case_closed"}
}

func (s *Server) doLinkAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	var alerts []store.Alert
	for _, id := range formIDs(r, "alert") {
		a, err := s.st.GetAlert(ctx, rq.Tenant.ID, id)
		if err != nil {
			return notFoundIf(err)
		}
		alerts = append(alerts, *a)
	}
	if len(alerts) == 0 {
		return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.no_alerts"))
	}
	if err := s.linkAlerts(ctx, rq, c, alerts); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=timeline&flash=flash.case_saved"}
}

func (s *Server) doCaseComment(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	id, name := rq.actor()
	body := strings.TrimSpace(r.PostFormValue("body"))
	if body == "" || len(body) > 20000 {
		return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.comment"))
	}
	if err := s.st.AddComment(ctx, &store.CaseComment{TenantID: c.TenantID, CaseID: c.ID, AuthorID: id, AuthorName: name, Body: body}); err != nil {
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.comment", "case:"+c.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID}
}

func (s *Server) doAddTask(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	t := &store.CaseTask{TenantID: c.TenantID, CaseID: c.ID, Title: strings.TrimSpace(r.PostFormValue("title")), AssigneeID: r.PostFormValue("assignee")}
	if t.Title == "" || len(t.Title) > 1000 {
		return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.task"))
	}
	if err := s.st.AddTask(ctx, t); err != nil {
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.task_add", "case:"+c.ID, map[string]any{"task": t.ID}); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=tasks"}
}

func (s *Server) doToggleTask(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	done := r.PostFormValue("done") == "1"
	if err := s.st.SetTaskDone(ctx, rq.Tenant.ID, c.ID, r.PathValue("task"), done, s.now()); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.task_done", "case:"+c.ID, map[string]any{"task": r.PathValue("task"), "done": done}); err != nil {
		return err
	}
	tab := r.PostFormValue("tab")
	if tab != "playbook" {
		tab = "tasks"
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=" + tab}
}

func (s *Server) doAddObservable(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	o := &store.Observable{TenantID: c.TenantID, CaseID: c.ID, Type: r.PostFormValue("type"), Value: strings.TrimSpace(r.PostFormValue("value")),
		Personal: r.PostFormValue("personal") == "on", Note: r.PostFormValue("note"), EventIDs: formIDs(r, "events"), AlertIDs: formIDs(r, "alerts")}
	for _, id := range o.AlertIDs {
		if _, err := s.st.GetAlert(ctx, rq.Tenant.ID, id); err != nil {
			return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.observable"))
		}
	}
	for _, id := range o.EventIDs {
		if _, err := s.st.GetEvent(ctx, rq.Tenant.ID, id); err != nil {
			return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.observable"))
		}
	}
	if err := s.st.AddObservable(ctx, o); err != nil {
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
			return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.observable"))
		}
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.observable_add", "case:"+c.ID, map[string]any{"type": o.Type, "personal": o.Personal}); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=observables"}
}

func (s *Server) doDeleteObservable(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	if err := s.st.DeleteObservable(ctx, rq.Tenant.ID, c.ID, r.PathValue("obs")); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.observable_delete", "case:"+c.ID, map[string]any{"observable": r.PathValue("obs")}); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=observables"}
}

func (s *Server) doApplyPlaybook(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	pbs, err := incident.Playbooks(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	pb := pbs[r.PostFormValue("playbook")]
	if pb == nil {
		return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.playbook"))
	}
	c.Playbook = pb.Name
	if err := s.st.UpdateCase(ctx, c); err != nil {
		return err
	}
	if err := s.applyPlaybook(ctx, c, pb, rq.P.Lang); err != nil {
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.playbook", "case:"+c.ID, map[string]any{"playbook": pb.Name}); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=playbook"}
}

func (s *Server) doRunAction(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	pbs, err := incident.Playbooks(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	pb := pbs[c.Playbook]
	if pb == nil {
		return errNotFound
	}
	a := pb.Action(r.PathValue("action"))
	if a == nil {
		return errNotFound
	}
	set, err := incident.LoadSettings(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	_, name := rq.actor()
	target := strings.TrimSpace(r.PostFormValue("target"))
	blk, err := s.runner().Run(ctx, set, incident.ActionRequest{Tenant: rq.Tenant, Case: c, Action: a, Target: target, Actor: name, Lang: rq.P.Lang})
	detail := map[string]any{"action": a.ID, "kind": a.Kind, "target": target, "ok": err == nil}
	if aerr := s.audit(ctx, rq, rq.Tenant.ID, "case.action", "case:"+c.ID, detail); aerr != nil {
		return aerr
	}
	if err != nil {
		key := "cases.error.action_failed"
		switch {
		case errors.Is(err, incident.ErrNotConfigured):
			key = "cases.error.action_not_configured"
		case errors.Is(err, incident.ErrBadTarget):
			key = "cases.error.action_target"
		}
		s.log.Warn("case action failed", "case", c.ID, "action", a.ID, "err", err)
		r.URL.RawQuery = "tab=playbook"
		return s.renderCase(w, r, rq, c, i18n.NewError(key))
	}
	flash := "flash.case_action_done"
	if blk != nil {
		flash = "flash.case_blocked"
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=playbook&flash=" + flash}
}

func (s *Server) doUploadEvidence(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	if s.opt.Cases.Evidence == nil {
		return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.evidence_off"))
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.evidence"))
	}
	defer f.Close()
	id, name := rq.actor()
	ev, err := s.opt.Cases.Evidence.Upload(ctx, rq.Tenant.ID, c.ID, hdr.Filename, hdr.Header.Get("Content-Type"),
		r.PostFormValue("personal") == "on", f, incident.Accessor{ID: id, Name: name, IP: rq.IP})
	if err != nil {
		if errors.Is(err, incident.ErrTooLarge) {
			return s.renderCase(w, r, rq, c, i18n.NewError("cases.error.evidence_size"))
		}
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.evidence_upload", "evidence:"+ev.ID, map[string]any{"sha256": ev.SHA256, "size": ev.Size}); err != nil {
		return err
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=evidence&flash=flash.case_evidence"}
}

func (s *Server) downloadEvidence(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	if s.opt.Cases.Evidence == nil {
		return errNotFound
	}
	ev, err := s.st.GetEvidence(ctx, rq.Tenant.ID, r.PathValue("ev"))
	if err != nil || ev.CaseID != c.ID {
		return errNotFound
	}
	if ev.Personal && !rq.Can(auth.PermReadPersonalData) {
		return errForbidden
	}
	action := "download"
	if r.URL.Query().Get("view") == "1" {
		action = "view"
	}
	id, name := rq.actor()
	ev, f, err := s.opt.Cases.Evidence.Open(ctx, rq.Tenant.ID, ev.ID, action, incident.Accessor{ID: id, Name: name, IP: rq.IP})
	if err != nil {
		return notFoundIf(err)
	}
	defer f.Close()
	act := "case.evidence_" + action
	if ev.Personal {
		act = "personal_data.read"
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, act, "evidence:"+ev.ID, map[string]any{"case": c.ID, "access": action}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '_'
		}
		return r
	}, ev.Name)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Digest", "sha-256="+ev.SHA256)
	http.ServeContent(w, r, "", ev.UploadedAt, f)
	return nil
}

func (s *Server) doVerifyEvidence(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	if s.opt.Cases.Evidence == nil {
		return errNotFound
	}
	ev, err := s.st.GetEvidence(ctx, rq.Tenant.ID, r.PathValue("ev"))
	if err != nil || ev.CaseID != c.ID {
		return errNotFound
	}
	id, name := rq.actor()
	ok, err := s.opt.Cases.Evidence.Verify(ctx, rq.Tenant.ID, ev.ID, incident.Accessor{ID: id, Name: name, IP: rq.IP})
	if err != nil {
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.evidence_verify", "evidence:"+ev.ID, map[string]any{"intact": ok}); err != nil {
		return err
	}
	flash := "flash.case_evidence_intact"
	if !ok {
		flash = "flash.case_evidence_altered"
	}
	return &errRedirect{"/cases/" + c.ID + "?tab=evidence&flash=" + flash}
}

func (s *Server) doWaiveClock(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	cl, err := s.st.ListClocks(ctx, rq.Tenant.ID, c.ID)
	if err != nil {
		return err
	}
	for _, k := range cl {
		if k.ID != r.PathValue("clock") {
			continue
		}
		k.Waived = r.PostFormValue("waive") != "0"
		if err := s.st.UpdateClock(ctx, &k); err != nil {
			return err
		}
		_, name := rq.actor()
		if err := s.st.AddTimeline(ctx, &store.TimelineEntry{TenantID: c.TenantID, CaseID: c.ID, Kind: store.TimelineClock,
			ActorName: name, Text: fmt.Sprintf("%s %s waived=%v", k.Regime, k.Stage, k.Waived), Ref: "clock:" + k.ID}); err != nil {
			return err
		}
		if err := s.audit(ctx, rq, rq.Tenant.ID, "case.clock_waive", "case:"+c.ID, map[string]any{"clock": k.ID, "waived": k.Waived}); err != nil {
			return err
		}
		return &errRedirect{"/cases/" + c.ID + "?tab=clocks"}
	}
	return errNotFound
}

// ---- action items ----

func (s *Server) showActionItems(w http.ResponseWriter, r *http.Request, rq *request) error {
	items, err := s.st.ListActionItems(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	s.render(w, r, rq, "case_actionitems", items)
	return nil
}

func (s *Server) doToggleActionItem(w http.ResponseWriter, r *http.Request, rq *request) error {
	done := r.PostFormValue("done") == "1"
	if err := s.st.SetActionItemDone(r.Context(), rq.Tenant.ID, r.PathValue("item"), done); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "case.action_item", "action_item:"+r.PathValue("item"), map[string]any{"done": done}); err != nil {
		return err
	}
	return &errRedirect{"/action-items"}
}
