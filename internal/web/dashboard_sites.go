package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/risk"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// riskModel is the dashboard's scoring: the package defaults (see
// internal/risk for the weights, the 24-hour half-life and the cap).
var riskModel = risk.Model{}

// openAlertFilter selects the alerts that count for risk: open and not
// suppressed.
func openAlertFilter(limit int) store.AlertFilter {
	f := dashFilter{}.store()
	f.Limit = limit
	return f
}

// recentAlerts returns the tenant's open alerts and those seen in the last
// week, each once.
func (s *Server) recentAlerts(ctx context.Context, tenantID string, now time.Time) ([]store.Alert, error) {
	open, err := s.st.ListAlerts(ctx, tenantID, openAlertFilter(1000))
	if err != nil {
		return nil, err
	}
	week, err := s.st.ListAlerts(ctx, tenantID, store.AlertFilter{Since: now.Add(-7 * 24 * time.Hour), Limit: 1000})
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(open))
	for _, a := range open {
		seen[a.ID] = true
	}
	for _, a := range week {
		if !seen[a.ID] {
			open = append(open, a)
		}
	}
	return open, nil
}

// riskItems turns alerts into scoring items; with siteID set, only those
// placed at that site.
func (d *dashCtx) riskItems(alerts []store.Alert, siteID string) []risk.Item {
	var items []risk.Item
	for _, a := range alerts {
		as := d.asset(&a)
		if siteID != "" {
			x := d.site(&a, as)
			if x == nil || x.ID != siteID {
				continue
			}
		}
		it := risk.Item{Alert: a}
		if as != nil {
			it.Criticality, it.AssetName = as.Criticality, as.Name
		}
		items = append(items, it)
	}
	return items
}

type sparkline struct {
	Points string
	Last   float64
	Max    float64
}

func newSparkline(vals []float64) sparkline {
	sl := sparkline{Points: risk.Sparkline(vals, 240, 40, 10)}
	for _, v := range vals {
		sl.Max = max(sl.Max, v)
	}
	if len(vals) > 0 {
		sl.Last = vals[len(vals)-1]
	}
	return sl
}

type ruleCount struct {
	RuleID string
	Title  string
	Count  int
	Events int64
}

type healthRow struct {
	Name      string
	Kind      string
	LastEvent time.Time
	Expected  time.Duration
	State     string // ok, silent, never, disabled, unchecked
	Alert     string // id of an open health alert naming it
}

type siteOverview struct {
	Site      *store.Site
	Score     risk.Score
	Day       sparkline
	Week      sparkline
	Rules     []ruleCount
	OpenCases int
	Sources   []healthRow
	Devices   []deviceRow
	Open      int
	ReadOnly  bool
}

type deviceRow struct {
	ID          string
	Name        string
	Type        string
	Status      string
	Criticality int
	Alert       string // open health alert id
}

func (s *Server) showDashboardSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	x, err := s.tenantSite(ctx, rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	d := s.newDashCtx(rq.Tenant.ID)
	if err := d.load(ctx); err != nil {
		return err
	}
	now := s.now()
	alerts, err := s.recentAlerts(ctx, rq.Tenant.ID, now)
	if err != nil {
		return err
	}
	items := d.riskItems(alerts, x.ID)
	ov := siteOverview{Site: x, Score: riskModel.Score(now, items), ReadOnly: rq.Overseeing}
	ov.Day = newSparkline(riskModel.Trend(now, 24*time.Hour, 24, items))
	ov.Week = newSparkline(riskModel.Trend(now, 7*24*time.Hour, 28, items))
	byRule := map[string]*ruleCount{}
	siteAlerts := map[string]bool{}
	for _, it := range items {
		a := it.Alert
		siteAlerts[a.ID] = true
		if a.Status.Open() && a.Status != store.StatusSuppressed {
			ov.Open++
		}
		key := a.RuleID
		if key == "" {
			key = string(a.Kind) + ":" + a.IndicatorValue
		}
		rc := byRule[key]
		if rc == nil {
			rc = &ruleCount{RuleID: a.RuleID, Title: a.RuleTitle}
			if rc.Title == "" {
				rc.Title = a.Title
			}
			byRule[key] = rc
		}
		rc.Count++
		rc.Events += a.Count
	}
	for _, rc := range byRule {
		ov.Rules = append(ov.Rules, *rc)
	}
	slices.SortFunc(ov.Rules, func(a, b ruleCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Title, b.Title)
	})
	if len(ov.Rules) > 8 {
		ov.Rules = ov.Rules[:8]
	}
	if ov.OpenCases, err = s.openCasesOf(ctx, rq.Tenant.ID, siteAlerts); err != nil {
		return err
	}
	health := openHealthAlerts(alerts)
	if ov.Sources, err = s.sourceHealth(ctx, rq.Tenant.ID, now, health); err != nil {
		return err
	}
	for _, a := range d.assets {
		if a.SiteID != x.ID || slices.ContainsFunc(ov.Devices, func(dr deviceRow) bool { return dr.ID == a.ID }) {
			continue
		}
		dr := deviceRow{ID: a.ID, Name: a.Name, Type: string(a.Type), Status: string(a.Status), Criticality: a.Criticality}
		dr.Alert = health[strings.ToLower(a.Name)]
		if dr.Alert == "" {
			dr.Alert = health[strings.ToLower(a.ID)]
		}
		for _, id := range a.Identifiers {
			if dr.Alert == "" {
				dr.Alert = health[strings.ToLower(id.Value)]
			}
		}
		ov.Devices = append(ov.Devices, dr)
	}
	slices.SortFunc(ov.Devices, func(a, b deviceRow) int { return strings.Compare(a.Name, b.Name) })
	s.render(w, r, rq, "dashboard_site", ov)
	return nil
}

// openHealthAlerts maps the lower-cased entity values of open health
// alerts to the alert id.
func openHealthAlerts(alerts []store.Alert) map[string]string {
	m := map[string]string{}
	for _, a := range alerts {
		if a.Kind != store.AlertHealth || !a.Status.Open() {
			continue
		}
		for _, l := range [][]string{a.Entities.Assets, a.Entities.Hosts} {
			for _, v := range l {
				m[strings.ToLower(v)] = a.ID
			}
		}
	}
	return m
}

// openCasesOf counts the tenant's open cases, or with alertIDs set, those
// linked to one of those alerts.
func (s *Server) openCasesOf(ctx context.Context, tenantID string, alertIDs map[string]bool) (int, error) {
	cases, err := s.st.ListCases(ctx, tenantID, store.CaseFilter{Open: true, Limit: 1000})
	if err != nil {
		return 0, err
	}
	if alertIDs == nil {
		return len(cases), nil
	}
	n := 0
	for _, c := range cases {
		ids, err := s.st.ListCaseAlerts(ctx, tenantID, c.ID)
		if err != nil {
			return 0, err
		}
		if slices.ContainsFunc(ids, func(id string) bool { return alertIDs[id] }) {
			n++
		}
	}
	return n, nil
}

// sourceHealth lists the tenant's sources with their state: silent when
// quiet for longer than the expected interval (the detection engine then
// raises a health alert, linked here).
func (s *Server) sourceHealth(ctx context.Context, tenantID string, now time.Time, health map[string]string) ([]healthRow, error) {
	srcs, err := s.st.ListSources(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	hs, err := s.st.ListSourceHealth(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	last := map[string]time.Time{}
	for _, h := range hs {
		last[h.SourceID] = h.LastEvent
	}
	var out []healthRow
	for _, x := range srcs {
		hr := healthRow{Name: x.Name, Kind: x.Kind, LastEvent: last[x.ID], Expected: x.ExpectedInterval, Alert: health[strings.ToLower(x.Name)]}
		switch {
		case !x.Enabled:
			hr.State = "disabled"
		case x.ExpectedInterval <= 0:
			hr.State = "unchecked"
		case hr.LastEvent.IsZero():
			hr.State = "never"
		case now.Sub(hr.LastEvent) > x.ExpectedInterval:
			hr.State = "silent"
		default:
			hr.State = "ok"
		}
		out = append(out, hr)
	}
	return out, nil
}

// down counts the rows of sources that should report and do not.
func down(rows []healthRow) int {
	n := 0
	for _, h := range rows {
		if h.State == "silent" || h.State == "never" {
			n++
		}
	}
	return n
}

type regionEntity struct {
	Tenant    store.Tenant
	Risk      risk.Score
	Open      int
	Critical  int
	Cases     int
	Down      int
	Sites     []regionSite
	SourcesOf []healthRow
	Rows      []alertRow
}

type regionSite struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Lon   float64 `json:"lon"`
	Lat   float64 `json:"lat"`
	Risk  float64 `json:"risk"`
	Level string  `json:"level"`
	Open  int     `json:"open"`
	// Entity fields, for the regional map's popups.
	Entity   string `json:"entity"`
	EntityID string `json:"entity_id"`
	URL      string `json:"url"`
}

type regionData struct {
	Entities []regionEntity
	MapJSON  string
	TileURL  string
}

// entitySummary computes an overseen entity's risk, open alerts, cases
// and sources down, and each site's risk.
func (s *Server) entitySummary(ctx context.Context, rq *request, t store.Tenant, withRows bool) (regionEntity, error) {
	now := s.now()
	e := regionEntity{Tenant: t}
	alerts, err := s.st.ListAlerts(ctx, t.ID, openAlertFilter(1000))
	if err != nil {
		return e, err
	}
	d := s.newDashCtx(t.ID)
	if err := d.load(ctx); err != nil {
		return e, err
	}
	items := d.riskItems(alerts, "")
	e.Risk = riskModel.Score(now, items)
	e.Open = len(alerts)
	for _, a := range alerts {
		if a.Severity == store.SeverityCritical || a.Severity == store.SeverityHigh {
			e.Critical++
		}
	}
	if e.Cases, err = s.openCasesOf(ctx, t.ID, nil); err != nil {
		return e, err
	}
	if e.SourcesOf, err = s.sourceHealth(ctx, t.ID, now, openHealthAlerts(alerts)); err != nil {
		return e, err
	}
	e.Down = down(e.SourcesOf)
	for _, x := range d.sites {
		sc := riskModel.Score(now, d.riskItems(alerts, x.ID))
		e.Sites = append(e.Sites, regionSite{ID: x.ID, Name: x.Name, Lon: x.Lon, Lat: x.Lat, Risk: sc.Value, Level: sc.Level(),
			Open: len(sc.Parts), Entity: t.Name, EntityID: t.ID, URL: "/dashboard/region/" + t.ID})
	}
	if withRows {
		for i := range alerts {
			if i == 100 {
				break
			}
			e.Rows = append(e.Rows, d.row(ctx, rq, &alerts[i]))
		}
	}
	return e, nil
}

// overseen returns the tenants the active tenant oversees.
func (s *Server) overseen(ctx context.Context, rq *request) ([]store.Tenant, error) {
	grants, err := s.st.ListOverseen(ctx, rq.Tenant.ID)
	if err != nil {
		return nil, err
	}
	var out []store.Tenant
	for _, g := range grants {
		t, err := s.st.GetTenant(ctx, g.OverseenID)
		if err != nil {
			continue
		}
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b store.Tenant) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// showRegion is the overseeing tenant's view of every entity it oversees.
func (s *Server) showRegion(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	ts, err := s.overseen(ctx, rq)
	if err != nil {
		return err
	}
	data := regionData{TileURL: s.opt.TileURL}
	sites := []regionSite{}
	for _, t := range ts {
		e, err := s.entitySummary(ctx, rq, t, false)
		if err != nil {
			return err
		}
		data.Entities = append(data.Entities, e)
		sites = append(sites, e.Sites...)
	}
	b, _ := json.Marshal(sites)
	data.MapJSON = string(b)
	s.render(w, r, rq, "dashboard_region", data)
	return nil
}

// showRegionEntity is the read-only drill-down into one overseen entity;
// every access is audited in the overseen tenant's log.
func (s *Server) showRegionEntity(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	ts, err := s.overseen(ctx, rq)
	if err != nil {
		return err
	}
	id := r.PathValue("tenant")
	i := slices.IndexFunc(ts, func(t store.Tenant) bool { return t.ID == id })
	if i < 0 {
		return errNotFound
	}
	if err := s.audit(ctx, rq, id, "oversight.access", "tenant:"+id, map[string]any{"via": "dashboard.region", "overseer": rq.Tenant.ID}); err != nil {
		return err
	}
	e, err := s.entitySummary(ctx, rq, ts[i], true)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(e.Sites)
	s.render(w, r, rq, "dashboard_entity", map[string]any{"E": e, "MapJSON": string(b), "TileURL": s.opt.TileURL})
	return nil
}
