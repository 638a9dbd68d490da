package web

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// registerEventRoutes declares the event search, the sources and the
// retention settings, in the browser and in the API.
func (s *Server) registerEventRoutes() {
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	api := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, API: true, Perm: perm}, h)
	}
	page("GET", "/events", auth.PermReadEvents, s.showEvents)
	api("GET", "/api/v1/events", auth.PermReadEvents, s.apiEvents)
	api("GET", "/api/v1/events/{event}", auth.PermReadEvents, s.apiEvent)

	page("GET", "/sources", auth.PermReadEvents, s.showSources)
	page("GET", "/sources/new", auth.PermManageSettings, s.showNewSource)
	page("POST", "/sources", auth.PermManageSettings, s.doCreateSource)
	page("GET", "/sources/{source}", auth.PermManageSettings, s.showSource)
	page("POST", "/sources/{source}", auth.PermManageSettings, s.doUpdateSource)
	page("POST", "/sources/{source}/token", auth.PermManageSettings, s.doRotateSourceToken)
	page("POST", "/sources/{source}/delete", auth.PermManageSettings, s.doDeleteSource)
	api("GET", "/api/v1/sources", auth.PermReadEvents, s.apiSources)
	api("POST", "/api/v1/sources", auth.PermManageSettings, s.apiCreateSource)
	api("GET", "/api/v1/sources/{source}", auth.PermReadEvents, s.apiSource)
	api("PUT", "/api/v1/sources/{source}", auth.PermManageSettings, s.apiUpdateSource)
	api("DELETE", "/api/v1/sources/{source}", auth.PermManageSettings, s.apiDeleteSource)

	page("GET", "/settings/retention", auth.PermManageSettings, s.showRetention)
	page("POST", "/settings/retention", auth.PermManageSettings, s.doRetention)
}

// Event search limits.
const (
	maxFieldFilters = 10
	maxFieldName    = 100
	maxFieldValue   = 512
	maxTextQuery    = 500
	pageEventLimit  = 50
)

// eventRanges are the quick time ranges of the search, by parameter value.
var eventRanges = []struct {
	Name string
	D    time.Duration
}{
	{"1h", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"all", 0},
}

// eventForm is the search as the user typed it, to fill the form again.
type eventForm struct {
	Range      string
	Since      string
	Until      string
	Sources    []string
	Categories []string
	Fields     []string // "name=value"
	Text       string
	Limit      int
}

// Selected reports whether v is in list (for the template).
func (eventForm) Selected(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// FieldSlots returns the field filters padded with empty inputs.
func (f eventForm) FieldSlots() []string {
	out := append([]string(nil), f.Fields...)
	for len(out) < 3 {
		out = append(out, "")
	}
	return out
}

// parseTime reads an RFC 3339 time or the value of a datetime-local input
// (taken as UTC).
func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, i18n.NewError("events.bad_time", "value", v)
}

// validFieldName reports whether n looks like an ECS field name.
func validFieldName(n string) bool {
	if n == "" || len(n) > maxFieldName {
		return false
	}
	for _, c := range []byte(n) {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '@' && c != '-' {
			return false
		}
	}
	return true
}

// parseEventQuery turns request parameters into a store query. Without
// since, until or range it searches the last 24 hours, so a query is
// always time-bounded unless range=all asks otherwise. It refuses, with a
// localised error, anything malformed rather than ignore it.
func parseEventQuery(v url.Values, now time.Time, defLimit int) (store.EventQuery, eventForm, error) {
	var q store.EventQuery
	f := eventForm{Range: v.Get("range"), Since: v.Get("since"), Until: v.Get("until"), Text: v.Get("q")}
	for k, vals := range v {
		for _, x := range vals {
			if !utf8.ValidString(x) || strings.IndexByte(x, 0) >= 0 || !utf8.ValidString(k) {
				return q, f, i18n.NewError("events.bad_text")
			}
		}
	}
	if f.Range == "" && f.Since == "" && f.Until == "" {
		f.Range = "24h"
	}
	if f.Range != "" {
		found := false
		for _, r := range eventRanges {
			if r.Name == f.Range {
				found = true
				if r.D > 0 {
					q.Since = now.Add(-r.D)
				}
			}
		}
		if !found {
			return q, f, i18n.NewError("events.bad_range")
		}
	}
	var err error
	if f.Since != "" {
		if q.Since, err = parseTime(f.Since); err != nil {
			return q, f, err
		}
	}
	if f.Until != "" {
		if q.Until, err = parseTime(f.Until); err != nil {
			return q, f, err
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return q, f, i18n.NewError("events.bad_range")
	}
	for _, src := range v["source"] {
		if src = strings.TrimSpace(src); src != "" {
			if len(src) > 64 {
				return q, f, i18n.NewError("events.bad_source")
			}
			q.SourceIDs = append(q.SourceIDs, src)
		}
	}
	f.Sources = q.SourceIDs
	for _, c := range v["category"] {
		if c = strings.TrimSpace(c); c != "" {
			if !validFieldName(c) || len(c) > 64 {
				return q, f, i18n.NewError("events.bad_category")
			}
			q.Categories = append(q.Categories, c)
		}
	}
	f.Categories = q.Categories
	for _, fv := range v["f"] {
		fv = strings.TrimSpace(fv)
		if fv == "" {
			continue
		}
		name, value, ok := strings.Cut(fv, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !validFieldName(name) || value == "" || len(value) > maxFieldValue {
			return q, f, i18n.NewError("events.bad_field", "value", fv)
		}
		if q.Fields == nil {
			q.Fields = map[string]string{}
		}
		if _, dup := q.Fields[name]; dup {
			return q, f, i18n.NewError("events.bad_field", "value", fv)
		}
		q.Fields[name] = value
		f.Fields = append(f.Fields, name+"="+value)
	}
	if len(q.Fields) > maxFieldFilters {
		return q, f, i18n.NewError("events.too_many_fields")
	}
	if len(f.Text) > maxTextQuery {
		return q, f, i18n.NewError("events.bad_text")
	}
	q.Text = strings.TrimSpace(f.Text)
	if b := v.Get("before"); b != "" {
		if len(b) > 64 {
			return q, f, errStatus(http.StatusBadRequest, "error.bad_request")
		}
		q.Before = b
	}
	q.Limit = defLimit
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxEventLimit {
			return q, f, i18n.NewError("events.bad_limit")
		}
		q.Limit = n
	}
	f.Limit = q.Limit
	return q, f, nil
}

// publicField reports whether a field holds no personal data, so callers
// without the personal-data permission may see and search it.
func publicField(name string) bool {
	for _, p := range []string{"event.", "observer.", "rule.", "network.", "http.response.", "ecs.", "log.level", "service."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return name == "destination.port" || name == "source.port" || name == "url.domain"
}

// redact keeps only the public fields of e, and drops its raw text.
func redact(e event.Event) event.Event {
	f := make(map[string]any)
	for k, v := range e.Fields {
		if publicField(k) {
			f[k] = v
		}
	}
	e.Fields, e.Raw = f, ""
	return e
}

// checkPersonal refuses personal-data filters for a caller without the
// permission: matching on an address or a name reveals it as well.
func checkPersonal(rq *request, q store.EventQuery) error {
	if rq.Can(auth.PermReadPersonalData) {
		return nil
	}
	if q.Text != "" {
		return i18n.NewError("events.needs_personal")
	}
	for k := range q.Fields {
		if !publicField(k) {
			return i18n.NewError("events.needs_personal")
		}
	}
	return nil
}

// searchEvents runs the search for the caller and audits it when it
// returns personal data.
func (s *Server) searchEvents(r *http.Request, rq *request, q store.EventQuery, via string) ([]event.Event, error) {
	if err := checkPersonal(rq, q); err != nil {
		return nil, err
	}
	evs, err := s.st.SearchEvents(r.Context(), rq.Tenant.ID, q)
	if err != nil {
		return nil, notFoundIf(err)
	}
	if !rq.Can(auth.PermReadPersonalData) {
		for i := range evs {
			evs[i] = redact(evs[i])
		}
		return evs, nil
	}
	detail := map[string]any{"count": len(evs), "via": via}
	if q.Text != "" {
		detail["q"] = q.Text
	}
	if len(q.Fields) > 0 {
		detail["fields"] = q.Fields
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "personal_data.read", "events", detail); err != nil {
		return nil, err
	}
	return evs, nil
}

// eventRow is one event as the page shows it.
type eventRow struct {
	event.Event
	SourceName string
	Summary    string
	Fields     []fieldKV
}

type fieldKV struct{ Name, Value string }

func toEventRow(e event.Event, names map[string]string) eventRow {
	row := eventRow{Event: e, SourceName: names[e.SourceID]}
	if row.SourceName == "" {
		row.SourceName = e.SourceID
	}
	row.Summary = e.String("message")
	if row.Summary == "" {
		row.Summary = e.Raw
	}
	if row.Summary == "" {
		row.Summary = e.String("event.action")
	}
	if utf8.RuneCountInString(row.Summary) > 240 {
		row.Summary = string([]rune(row.Summary)[:240]) + "…"
	}
	for k, v := range e.Fields {
		row.Fields = append(row.Fields, fieldKV{k, strings.Join(store.FieldValues(v), ", ")})
	}
	sort.Slice(row.Fields, func(i, j int) bool { return row.Fields[i].Name < row.Fields[j].Name })
	return row
}

type eventsData struct {
	Form       eventForm
	Rows       []eventRow
	Sources    []store.Source
	Categories []string
	Ranges     []string
	Next       template.URL // link to the next page, "" on the last
	Personal   bool         // the caller sees personal data
}

func (s *Server) showEvents(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	srcs, err := s.st.ListSources(ctx, rq.Tenant.ID)
	if err != nil {
		return err
	}
	d := eventsData{Sources: srcs, Categories: store.Categories, Personal: rq.Can(auth.PermReadPersonalData)}
	for _, rg := range eventRanges {
		d.Ranges = append(d.Ranges, rg.Name)
	}
	q, form, err := parseEventQuery(r.URL.Query(), s.now(), pageEventLimit)
	d.Form = form
	if err != nil {
		return s.formError(w, r, rq, "events", d, err)
	}
	evs, err := s.searchEvents(r, rq, q, "web")
	if err != nil {
		return s.formError(w, r, rq, "events", d, err)
	}
	names := make(map[string]string, len(srcs))
	for _, src := range srcs {
		names[src.ID] = src.Name
	}
	for _, e := range evs {
		d.Rows = append(d.Rows, toEventRow(e, names))
	}
	if len(evs) == q.Limit {
		next := r.URL.Query()
		next.Set("before", evs[len(evs)-1].ID)
		if form.Range != "" && form.Since == "" {
			// Keep the window fixed while paging back.
			next.Del("range")
			next.Set("since", q.Since.Format(time.RFC3339))
			if q.Since.IsZero() {
				next.Del("since")
				next.Set("range", "all")
			}
		}
		d.Next = template.URL("/events?" + next.Encode()) // built by url.Values: safe
	}
	s.render(w, r, rq, "events", d)
	return nil
}

// apiEvent is the JSON shape of an event.
type apiEvent struct {
	ID       string         `json:"id"`
	SourceID string         `json:"source_id"`
	Observed time.Time      `json:"@timestamp"`
	Received time.Time      `json:"received"`
	Category string         `json:"category"`
	Fields   map[string]any `json:"fields"`
	Raw      string         `json:"raw,omitempty"`
}

func toAPIEvent(e event.Event) apiEvent {
	f := e.Fields
	if f == nil {
		f = map[string]any{}
	}
	return apiEvent{ID: e.ID, SourceID: e.SourceID, Observed: e.Observed, Received: e.Received, Category: e.Category, Fields: f, Raw: e.Raw}
}

// apiError answers a localised client error as JSON.
func apiError(w http.ResponseWriter, rq *request, err error) error {
	var le *i18n.Error
	if asErr(err, &le) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": le.Key, "message": le.Localize(rq.P)}})
		return nil
	}
	return err
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request, rq *request) error {
	q, _, err := parseEventQuery(r.URL.Query(), s.now(), store.DefaultEventLimit)
	if err != nil {
		return apiError(w, rq, err)
	}
	evs, err := s.searchEvents(r, rq, q, "api")
	if err != nil {
		return apiError(w, rq, err)
	}
	out := make([]apiEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, toAPIEvent(e))
	}
	next := ""
	if len(evs) == q.Limit {
		next = evs[len(evs)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "next_before": next})
	return nil
}

func (s *Server) apiEvent(w http.ResponseWriter, r *http.Request, rq *request) error {
	e, err := s.st.GetEvent(r.Context(), rq.Tenant.ID, r.PathValue("event"))
	if err != nil {
		return notFoundIf(err)
	}
	if !rq.Can(auth.PermReadPersonalData) {
		*e = redact(*e)
	} else if err := s.audit(r.Context(), rq, rq.Tenant.ID, "personal_data.read", "event:"+e.ID, map[string]any{"via": "api"}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIEvent(*e))
	return nil
}

// durationText formats an expected interval for a form ("15m", "2h").
func durationText(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	return s
}

// rateText formats events per second for the sources page.
func rateText(p *i18n.Printer, r float64) string {
	if r <= 0 {
		return "0"
	}
	if r < 10 {
		return p.Decimal(r, 2)
	}
	return p.Number(int64(r + 0.5))
}
