package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/site/plan"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// LiveSubscriber is the part of the bus the live dashboard uses: the
// ephemeral notifications of bus.LiveSubject (core NATS, at most once).
type LiveSubscriber interface {
	Subscribe(subject string, fn func(subject string, data []byte)) (unsubscribe func(), err error)
	Notify(subject string, data []byte) error
}

// registerDashboardRoutes declares the security dashboard: the live alert
// queue with triage, its map, the site overview with the risk score, the
// regional view of an overseeing tenant and the notification settings.
func (s *Server) registerDashboardRoutes() {
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	read, triage := auth.PermReadEvents, auth.PermTriage
	page("GET", "/dashboard", read, s.showDashboard)
	if s.opt.Live != nil {
		// One server-sent events stream per tab; without a bus there is
		// nothing to stream and the route does not exist.
		page("GET", "/dashboard/stream", read, s.dashboardStream)
	}
	page("GET", "/dashboard/alerts/{alert}", read, s.showDashboardAlert)
	page("POST", "/dashboard/alerts/{alert}/status", triage, s.doAlertStatus)
	page("POST", "/dashboard/alerts/{alert}/assign", triage, s.doAlertAssign)
	page("POST", "/dashboard/alerts/{alert}/comment", triage, s.doAlertComment)
	page("POST", "/dashboard/alerts/{alert}/suppress", auth.PermManageRules, s.doAlertSuppress)
	page("POST", "/dashboard/alerts/{alert}/escalate", auth.PermManageCases, s.doAlertEscalate)
	page("GET", "/dashboard/sites/{site}", read, s.showDashboardSite)
	page("GET", "/dashboard/region", read, s.showRegion)
	page("GET", "/dashboard/region/{tenant}", read, s.showRegionEntity)
	s.registerNotifyRoutes()
}

// dashboardStrings are the i18n keys the dashboard script needs.
var dashboardStrings = []string{
	"dashboard.live", "dashboard.offline", "dashboard.new_alert", "dashboard.acknowledged", "dashboard.action_failed",
	"dashboard.open", "dashboard.events", "dashboard.no_events", "dashboard.count", "dashboard.help_title",
}

// alertRow is an alert as the queue and the map show it. It carries no
// personal data (users and addresses stay on the alert page).
type alertRow struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Kind      string    `json:"kind"`
	RuleID    string    `json:"rule_id"`
	Rule      string    `json:"rule"`
	Severity  string    `json:"severity"`
	SevLabel  string    `json:"severity_label"`
	Status    string    `json:"status"`
	StLabel   string    `json:"status_label"`
	Assignee  string    `json:"assignee"`
	Count     int64     `json:"count"`
	LastSeen  time.Time `json:"last_seen"`
	SiteID    string    `json:"site_id"`
	SiteName  string    `json:"site"`
	AssetID   string    `json:"asset_id"`
	AssetName string    `json:"asset"`
	SourceID  string    `json:"source_id"`
	Source    string    `json:"source"`
	Placed    bool      `json:"placed"`
	Lon       float64   `json:"lon"`
	Lat       float64   `json:"lat"`
	Created   bool      `json:"created"`
	URL       string    `json:"url"`
}

// Open reports whether the row's alert is still open.
func (r alertRow) Open() bool { return store.AlertStatus(r.Status).Open() }

// dashCtx resolves what alerts point at (sites, assets, zones, sources,
// users) for one tenant, loading each list once.
type dashCtx struct {
	s        *Server
	tenantID string
	loaded   bool
	sites    []store.Site
	siteByID map[string]*store.Site
	assets   map[string]*store.Asset // by id and by identifier value
	zones    map[string]orb.Point
	sources  map[string]string // id → name
	users    map[string]string // id → display name
	evSource map[string]string // event id → source id
}

func (s *Server) newDashCtx(tenantID string) *dashCtx {
	return &dashCtx{s: s, tenantID: tenantID}
}

func (d *dashCtx) load(ctx context.Context) error {
	if d.loaded {
		return nil
	}
	st := d.s.st
	var err error
	if d.sites, err = st.ListSites(ctx, d.tenantID); err != nil {
		return err
	}
	d.siteByID = map[string]*store.Site{}
	for i := range d.sites {
		d.siteByID[d.sites[i].ID] = &d.sites[i]
		d.siteByID[strings.ToLower(d.sites[i].Name)] = &d.sites[i]
	}
	as, err := st.ListAssets(ctx, d.tenantID, store.AssetFilter{Limit: 10000})
	if err != nil {
		return err
	}
	d.assets = map[string]*store.Asset{}
	for i := range as {
		a := &as[i]
		d.assets[a.ID] = a
		d.assets[strings.ToLower(a.Name)] = a
		for _, id := range a.Identifiers {
			d.assets[strings.ToLower(id.Value)] = a
		}
	}
	fs, err := st.ListFeatures(ctx, d.tenantID, "")
	if err != nil {
		return err
	}
	d.zones = map[string]orb.Point{}
	for _, f := range fs {
		if g, err := plan.Geometry(f.Geometry); err == nil {
			d.zones[f.ID] = g.Bound().Center()
		}
	}
	srcs, err := st.ListSources(ctx, d.tenantID)
	if err != nil {
		return err
	}
	d.sources = map[string]string{}
	for _, x := range srcs {
		d.sources[x.ID] = x.Name
	}
	users, err := st.ListTenantUsers(ctx, d.tenantID)
	if err != nil {
		return err
	}
	d.users = map[string]string{}
	for _, u := range users {
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		d.users[u.ID] = name
	}
	d.evSource = map[string]string{}
	d.loaded = true
	return nil
}

// asset finds the asset an alert is about: an asset id, name or identifier
// among its asset, host and address entities.
func (d *dashCtx) asset(a *store.Alert) *store.Asset {
	for _, l := range [][]string{a.Entities.Assets, a.Entities.Hosts, a.Entities.IPs} {
		for _, v := range l {
			if x := d.assets[strings.ToLower(v)]; x != nil {
				return x
			}
			if x := d.assets[v]; x != nil {
				return x
			}
		}
	}
	return nil
}

// site returns the alert's site: its asset's, else a site entity matching
// a site id or name.
func (d *dashCtx) site(a *store.Alert, as *store.Asset) *store.Site {
	if as != nil && as.SiteID != "" {
		if x := d.siteByID[as.SiteID]; x != nil {
			return x
		}
	}
	for _, v := range a.Entities.Sites {
		if x := d.siteByID[v]; x != nil {
			return x
		}
		if x := d.siteByID[strings.ToLower(v)]; x != nil {
			return x
		}
	}
	return nil
}

// source returns the source of the alert's first event.
func (d *dashCtx) source(ctx context.Context, a *store.Alert) string {
	if len(a.EventIDs) == 0 {
		return ""
	}
	id := a.EventIDs[0]
	if src, ok := d.evSource[id]; ok {
		return src
	}
	src := ""
	if ev, err := d.s.st.GetEvent(ctx, d.tenantID, id); err == nil {
		src = ev.SourceID
	}
	if src == "" {
		return "" // not stored yet (the event writer is asynchronous): ask again next time
	}
	d.noteSource(id, src)
	return src
}

// noteSource remembers the source of an event.
func (d *dashCtx) noteSource(eventID, sourceID string) {
	if len(d.evSource) > 10000 {
		clear(d.evSource)
	}
	d.evSource[eventID] = sourceID
}

// row builds the queue row of an alert, placed at its asset (its point,
// else its zone's centre) or its site's centre.
func (d *dashCtx) row(ctx context.Context, rq *request, a *store.Alert) alertRow {
	p := rq.P
	r := alertRow{ID: a.ID, Title: a.Title, Kind: string(a.Kind), RuleID: a.RuleID, Rule: a.RuleTitle, Severity: string(a.Severity),
		SevLabel: p.T("dashboard.sev." + string(a.Severity)), Status: string(a.Status), StLabel: p.T("dashboard.st." + string(a.Status)),
		Count: a.Count, LastSeen: a.LastSeen, URL: "/dashboard/alerts/" + a.ID}
	if r.Rule == "" {
		r.Rule = a.IndicatorValue
	}
	if a.Assignee != "" {
		r.Assignee = d.users[a.Assignee]
		if r.Assignee == "" {
			r.Assignee = a.Assignee
		}
	}
	as := d.asset(a)
	if as != nil {
		r.AssetID, r.AssetName = as.ID, as.Name
		switch {
		case as.HasPoint:
			r.Placed, r.Lon, r.Lat = true, as.Lon, as.Lat
		case as.ZoneID != "":
			if c, ok := d.zones[as.ZoneID]; ok {
				r.Placed, r.Lon, r.Lat = true, c[0], c[1]
			}
		}
	}
	if x := d.site(a, as); x != nil {
		r.SiteID, r.SiteName = x.ID, x.Name
		if !r.Placed && (x.Lon != 0 || x.Lat != 0) {
			r.Placed, r.Lon, r.Lat = true, x.Lon, x.Lat
		}
	}
	r.SourceID = d.source(ctx, a)
	r.Source = d.sources[r.SourceID]
	return r
}

// dashFilter is the queue's filter form.
type dashFilter struct {
	Severity string // minimum
	Status   string // "" = open ones, "all", or a status
	Site     string
	Source   string
	Rule     string
}

func dashFilterFrom(r *http.Request) dashFilter {
	q := r.URL.Query()
	f := dashFilter{Severity: q.Get("severity"), Status: q.Get("status"), Site: q.Get("site"), Source: q.Get("source"), Rule: q.Get("rule")}
	if !store.Severity(f.Severity).Valid() {
		f.Severity = ""
	}
	if f.Status != "all" && !store.AlertStatus(f.Status).Valid() {
		f.Status = ""
	}
	return f
}

func (f dashFilter) store() store.AlertFilter {
	af := store.AlertFilter{MinSeverity: store.Severity(f.Severity), RuleID: f.Rule, Limit: 300}
	switch f.Status {
	case "":
		for _, st := range store.AlertStatuses {
			if st.Open() && st != store.StatusSuppressed {
				af.Statuses = append(af.Statuses, st)
			}
		}
	case "all":
	default:
		af.Statuses = []store.AlertStatus{store.AlertStatus(f.Status)}
	}
	return af
}

func (f dashFilter) keep(r alertRow) bool {
	return (f.Site == "" || r.SiteID == f.Site) && (f.Source == "" || r.SourceID == f.Source)
}

// queue lists the tenant's alerts the filter selects, at most limit.
func (s *Server) queue(ctx context.Context, rq *request, d *dashCtx, f dashFilter, limit int) ([]alertRow, error) {
	if err := d.load(ctx); err != nil {
		return nil, err
	}
	as, err := s.st.ListAlerts(ctx, rq.Tenant.ID, f.store())
	if err != nil {
		return nil, err
	}
	var rows []alertRow
	for i := range as {
		r := d.row(ctx, rq, &as[i])
		if f.keep(r) {
			rows = append(rows, r)
		}
		if len(rows) == limit {
			break
		}
	}
	return rows, nil
}

type option struct{ Value, Label string }

// sevOption is a severity with the number of open alerts.
type sevOption struct {
	Value, Label string
	Count        int
}

type dashboardData struct {
	Filter     dashFilter
	Rows       []alertRow
	Counts     store.AlertCounts
	Severities []sevOption
	Statuses   []option
	Sites      []store.Site
	Sources    []option
	Rules      []option
	CanTriage  bool
	CanCase    bool
	Live       bool
	Strings    string
	MapJSON    string
	TileURL    string
	Large      bool
	Overseen   int
}

func (s *Server) showDashboard(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	f := dashFilterFrom(r)
	d := s.newDashCtx(rq.Tenant.ID)
	rows, err := s.queue(ctx, rq, d, f, 100)
	if err != nil {
		return err
	}
	counts, err := s.st.CountAlerts(ctx, rq.Tenant.ID, dashFilter{}.store())
	if err != nil {
		return err
	}
	p := rq.P
	data := dashboardData{Filter: f, Rows: rows, Counts: counts, Sites: d.sites, CanTriage: rq.Can(auth.PermTriage),
		CanCase: rq.Can(auth.PermManageCases), Live: s.opt.Live != nil, TileURL: s.opt.TileURL, Large: r.URL.Query().Get("wall") == "1"}
	for i := len(store.Severities) - 1; i >= 0; i-- {
		sv := store.Severities[i]
		data.Severities = append(data.Severities, sevOption{string(sv), p.T("dashboard.sev." + string(sv)), counts.BySeverity[sv]})
	}
	data.Statuses = append(data.Statuses, option{"all", p.T("dashboard.status_all")})
	for _, st := range store.AlertStatuses {
		data.Statuses = append(data.Statuses, option{string(st), p.T("dashboard.st." + string(st))})
	}
	for id, name := range d.sources {
		data.Sources = append(data.Sources, option{id, name})
	}
	slices.SortFunc(data.Sources, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	// Rules: those of the alerts on screen, plus the one filtered on.
	seen := map[string]bool{}
	for _, rw := range rows {
		if rw.RuleID != "" && !seen[rw.RuleID] {
			seen[rw.RuleID] = true
			data.Rules = append(data.Rules, option{rw.RuleID, rw.Rule})
		}
	}
	if f.Rule != "" && !seen[f.Rule] {
		data.Rules = append(data.Rules, option{f.Rule, f.Rule})
	}
	grants, err := s.st.ListOverseen(ctx, rq.Tenant.ID)
	if err != nil {
		return err
	}
	data.Overseen = len(grants)
	str := map[string]string{}
	for _, k := range dashboardStrings {
		str[k] = p.T(k)
	}
	for _, sv := range store.Severities {
		str["dashboard.sev."+string(sv)] = p.T("dashboard.sev." + string(sv))
	}
	b, _ := json.Marshal(str)
	data.Strings = string(b)
	data.MapJSON = dashboardMapJSON(d.sites, rows)
	s.render(w, r, rq, "dashboard", data)
	return nil
}

// mapSite is a site as the dashboard map draws it: its centre and where
// its layers (zones, assets coloured by status) come from.
type mapSite struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Lon    float64 `json:"lon"`
	Lat    float64 `json:"lat"`
	Layers string  `json:"layers"`
}

// dashboardMapJSON is the map's data, passed in a data attribute: the
// tenant's sites and the alerts on screen.
func dashboardMapJSON(sites []store.Site, rows []alertRow) string {
	ms := []mapSite{}
	for _, x := range sites {
		ms = append(ms, mapSite{x.ID, x.Name, x.Lon, x.Lat, "/sites/" + x.ID + "/layers.json"})
	}
	if rows == nil {
		rows = []alertRow{}
	}
	b, _ := json.Marshal(map[string]any{"alerts": rows, "sites": ms})
	return string(b)
}

// dashboardStream is the live queue: one server-sent events stream per
// tab, fed by the tenant's ephemeral alert notifications. A comment line
// every Heartbeat keeps proxies from closing it and lets the client see a
// dead connection; a slow client loses notifications (the queue shows the
// stored state on reload) rather than slowing the bus.
func (s *Server) dashboardStream(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.opt.Live == nil {
		return errStatus(http.StatusServiceUnavailable, "dashboard.no_live")
	}
	tenantID := rq.Tenant.ID
	ch := make(chan []byte, 256)
	unsub, err := s.opt.Live.Subscribe(bus.LiveSubject(tenantID, "alerts"), func(_ string, data []byte) {
		select {
		case ch <- append([]byte(nil), data...):
		default:
		}
	})
	if err != nil {
		return err
	}
	defer unsub()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 3000\n: live\n\n")); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	beat := s.opt.Heartbeat
	if beat <= 0 {
		beat = 15 * time.Second
	}
	t := time.NewTicker(beat)
	defer t.Stop()
	ctx := r.Context()
	d := s.newDashCtx(tenantID)
	loaded := time.Now()
	f := dashFilter{Status: "all"}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := w.Write([]byte(": beat\n\n")); err != nil {
				return nil
			}
		case data := <-ch:
			if time.Since(loaded) > time.Minute {
				d, loaded = s.newDashCtx(tenantID), time.Now()
			}
			// Write every notification already waiting, then flush once:
			// a burst of alerts costs one network write per tab.
			for more := true; more; {
				if !s.streamAlert(ctx, w, rq, d, f, data) {
					return nil
				}
				select {
				case data = <-ch:
				default:
					more = false
				}
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

// streamAlert writes one alert notification as a server-sent event if it
// is the tenant's and passes f. It returns false when the stream is over.
func (s *Server) streamAlert(ctx context.Context, w http.ResponseWriter, rq *request, d *dashCtx, f dashFilter, data []byte) bool {
	var m detect.Message
	if err := json.Unmarshal(data, &m); err != nil || m.Alert.TenantID != d.tenantID {
		return true // never another tenant's alert
	}
	if err := d.load(ctx); err != nil {
		return false
	}
	a := alertOfDoc(&m.Alert)
	if m.Created && m.SourceID != "" && len(a.EventIDs) > 0 {
		// The event that raised the alert is its first: its source is
		// known without reading the event, which may not be stored yet.
		d.noteSource(a.EventIDs[0], m.SourceID)
	}
	row := d.row(ctx, rq, &a)
	row.Created = m.Created
	if !f.keep(row) {
		return true
	}
	b, _ := json.Marshal(row)
	buf := make([]byte, 0, len(b)+len(a.ID)+32)
	buf = append(buf, "event: alert\nid: "...)
	buf = append(buf, a.ID...)
	buf = append(buf, "\ndata: "...)
	buf = append(buf, b...)
	buf = append(buf, "\n\n"...)
	_, err := w.Write(buf)
	return err == nil
}

// alertOfDoc converts a bus message's alert back.
func alertOfDoc(d *detect.AlertDoc) store.Alert {
	return store.Alert{ID: d.ID, TenantID: d.TenantID, Kind: store.AlertKind(d.Kind), RuleID: d.RuleID, RuleTitle: d.RuleTitle,
		IndicatorID: d.IndicatorID, IndicatorValue: d.IndicatorValue, IndicatorSource: d.IndicatorSource, TLP: d.TLP,
		Severity: store.Severity(d.Severity), Title: d.Title, Description: d.Description, Tags: d.Tags, Entities: d.Entities,
		DedupKey: d.DedupKey, Count: d.Count, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, EventIDs: d.EventIDs,
		Status: store.AlertStatus(d.Status), Assignee: d.Assignee, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// announce tells the tenant's open dashboards that an alert changed.
func (s *Server) announce(a *store.Alert) {
	if s.opt.Live == nil {
		return
	}
	b, err := json.Marshal(detect.Message{Alert: detect.NewAlertDoc(a)})
	if err != nil {
		return
	}
	if err := s.opt.Live.Notify(bus.LiveSubject(a.TenantID, "alerts"), b); err != nil {
		s.log.Debug("dashboard notification not sent", "err", err)
	}
}
