package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Upload limits of the site area.
const (
	maxGeoJSONUpload = 32 << 20
	maxIFCUpload     = 64 << 20
	maxCSVUpload     = 16 << 20
)

// registerSiteRoutes declares the pages and API of sites, their map and
// the asset inventory (issue 5). Object wildcards are named after the
// object ({site}, {feature}, {asset}) so the cross-tenant walker feeds each
// the right kind of foreign id.
func (s *Server) registerSiteRoutes() {
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	api := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, API: true, Perm: perm}, h)
	}
	read, manage := auth.PermReadEvents, auth.PermManageSites

	page("GET", "/map", read, s.showMap)
	page("GET", "/sites", read, s.showSites)
	page("POST", "/sites", manage, s.doCreateSite)
	page("GET", "/sites/{site}", read, s.showSite)
	page("POST", "/sites/{site}", manage, s.doUpdateSite)
	page("POST", "/sites/{site}/delete", manage, s.doDeleteSite)
	page("GET", "/sites/{site}/map", read, s.showSiteMap)
	page("GET", "/sites/{site}/layers.json", read, s.siteLayersJSON)
	page("GET", "/sites/{site}/layers.geojson", read, s.siteLayersGeoJSON)
	page("POST", "/sites/{site}/features", manage, s.doCreateFeature)
	page("POST", "/sites/{site}/import/geojson", manage, s.doImportGeoJSON)
	page("POST", "/sites/{site}/import/ifc", manage, s.doImportIFC)
	page("POST", "/features/{feature}", manage, s.doUpdateFeature)
	page("POST", "/features/{feature}/delete", manage, s.doDeleteFeature)
	page("POST", "/buildings/{building}/delete", manage, s.doDeleteBuilding)

	page("GET", "/assets", read, s.showAssets)
	page("POST", "/assets", manage, s.doCreateAsset)
	page("GET", "/assets/new", manage, s.showNewAsset)
	page("POST", "/assets/import", manage, s.doImportAssets)
	page("GET", "/assets/{asset}", read, s.showAsset)
	page("POST", "/assets/{asset}", manage, s.doUpdateAsset)
	page("POST", "/assets/{asset}/delete", manage, s.doDeleteAsset)

	api("GET", "/api/v1/sites", read, s.apiSites)
	api("POST", "/api/v1/sites", manage, s.apiCreateSite)
	api("GET", "/api/v1/sites/{site}", read, s.apiSite)
	api("PUT", "/api/v1/sites/{site}", manage, s.apiUpdateSite)
	api("DELETE", "/api/v1/sites/{site}", manage, s.apiDeleteSite)
	api("GET", "/api/v1/sites/{site}/layers", read, s.siteLayersGeoJSON)
	api("POST", "/api/v1/sites/{site}/layers", manage, s.apiImportGeoJSON)
	api("POST", "/api/v1/sites/{site}/ifc", manage, s.apiImportIFC)
	api("GET", "/api/v1/assets", read, s.apiAssets)
	api("POST", "/api/v1/assets", manage, s.apiCreateAsset)
	api("POST", "/api/v1/assets/import", manage, s.apiImportAssets)
	api("GET", "/api/v1/assets/{asset}", read, s.apiAsset)
	api("PUT", "/api/v1/assets/{asset}", manage, s.apiUpdateAsset)
	api("DELETE", "/api/v1/assets/{asset}", manage, s.apiDeleteAsset)
	api("GET", "/api/v1/geo/locate", read, s.apiLocate)
}

// invalidateGeo tells the geo service that a tenant's zones changed.
func (s *Server) invalidateGeo(tenantID string) {
	if s.opt.Geo != nil {
		s.opt.Geo.Invalidate(tenantID)
	}
}

// siteForm is the editable part of a site, as typed.
type siteForm struct {
	Name, Kind, Description, Lon, Lat, ISPS string
}

func siteFormOf(x *store.Site) siteForm {
	return siteForm{Name: x.Name, Kind: string(x.Kind), Description: x.Description,
		Lon: strconv.FormatFloat(x.Lon, 'f', -1, 64), Lat: strconv.FormatFloat(x.Lat, 'f', -1, 64), ISPS: strconv.Itoa(x.ISPSLevel)}
}

func siteFormFrom(r *http.Request) siteForm {
	return siteForm{Name: strings.TrimSpace(r.PostFormValue("name")), Kind: r.PostFormValue("kind"),
		Description: strings.TrimSpace(r.PostFormValue("description")), Lon: strings.TrimSpace(r.PostFormValue("lon")),
		Lat: strings.TrimSpace(r.PostFormValue("lat")), ISPS: strings.TrimSpace(r.PostFormValue("isps_level"))}
}

// apply validates the form into x.
func (f siteForm) apply(x *store.Site) error {
	if f.Name == "" || len(f.Name) > 200 {
		return i18n.NewError("site.bad_name")
	}
	if !store.SiteKind(f.Kind).Valid() {
		return i18n.NewError("site.bad_kind")
	}
	lon, lat, err := parseLonLat(f.Lon, f.Lat)
	if err != nil {
		return err
	}
	isps := 0
	if f.ISPS != "" {
		if isps, err = strconv.Atoi(f.ISPS); err != nil || isps < 0 || isps > 3 {
			return i18n.NewError("site.bad_isps")
		}
	}
	if len(f.Description) > 4000 {
		return i18n.NewError("site.bad_description")
	}
	x.Name, x.Kind, x.Description, x.Lon, x.Lat, x.ISPSLevel = f.Name, store.SiteKind(f.Kind), f.Description, lon, lat, isps
	return nil
}

// parseLonLat parses a WGS84 position typed in a form.
func parseLonLat(lonS, latS string) (float64, float64, error) {
	lon, err1 := strconv.ParseFloat(strings.ReplaceAll(lonS, ",", "."), 64)
	lat, err2 := strconv.ParseFloat(strings.ReplaceAll(latS, ",", "."), 64)
	if err1 != nil || err2 != nil || math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return 0, 0, i18n.NewError("site.bad_position")
	}
	return lon, lat, nil
}

type sitesData struct {
	Sites []store.Site
	Kinds []store.SiteKind
	Form  siteForm
}

func (s *Server) showSites(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderSites(w, r, rq, siteForm{Kind: string(store.SitePortFacility)}, nil)
}

func (s *Server) renderSites(w http.ResponseWriter, r *http.Request, rq *request, f siteForm, ferr error) error {
	sites, err := s.st.ListSites(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	d := sitesData{Sites: sites, Kinds: store.SiteKinds, Form: f}
	if ferr != nil {
		return s.formError(w, r, rq, "sites", d, ferr)
	}
	s.render(w, r, rq, "sites", d)
	return nil
}

func (s *Server) doCreateSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := siteFormFrom(r)
	x := &store.Site{TenantID: rq.Tenant.ID}
	if err := f.apply(x); err != nil {
		return s.renderSites(w, r, rq, f, err)
	}
	if err := s.st.CreateSite(r.Context(), x); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "site.create", "site:"+x.ID, map[string]any{"name": x.Name}); err != nil {
		return err
	}
	return &errRedirect{"/sites/" + x.ID + "?flash=flash.site_created"}
}

type siteData struct {
	Site      *store.Site
	Kinds     []store.SiteKind
	Form      siteForm
	Zones     []store.SiteFeature
	Buildings []store.Building
	Assets    int
	Problems  []string // reasons a refused upload was refused
}

// tenantSite loads a site of the caller's tenant; another tenant's id is a
// 404.
func (s *Server) tenantSite(ctx context.Context, rq *request, id string) (*store.Site, error) {
	x, err := s.st.GetSite(ctx, rq.Tenant.ID, id)
	if err != nil {
		return nil, notFoundIf(err)
	}
	return x, nil
}

func (s *Server) showSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	return s.renderSite(w, r, rq, x, siteFormOf(x), nil)
}

func (s *Server) renderSite(w http.ResponseWriter, r *http.Request, rq *request, x *store.Site, f siteForm, ferr error) error {
	ctx := r.Context()
	fs, err := s.st.ListFeatures(ctx, rq.Tenant.ID, x.ID)
	if err != nil {
		return err
	}
	bs, err := s.st.ListBuildings(ctx, rq.Tenant.ID, x.ID)
	if err != nil {
		return err
	}
	as, err := s.st.ListAssets(ctx, rq.Tenant.ID, store.AssetFilter{SiteID: x.ID, Limit: 10000})
	if err != nil {
		return err
	}
	d := siteData{Site: x, Kinds: store.SiteKinds, Form: f, Buildings: bs, Assets: len(as)}
	for _, z := range fs {
		if z.BuildingID == "" {
			d.Zones = append(d.Zones, z)
		}
	}
	if ferr != nil {
		return s.formError(w, r, rq, "site", d, ferr)
	}
	s.render(w, r, rq, "site", d)
	return nil
}

func (s *Server) doUpdateSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	f := siteFormFrom(r)
	if err := f.apply(x); err != nil {
		return s.renderSite(w, r, rq, x, f, err)
	}
	if err := s.st.UpdateSite(r.Context(), x); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "site.update", "site:"+x.ID, map[string]any{"name": x.Name, "isps_level": x.ISPSLevel}); err != nil {
		return err
	}
	return &errRedirect{"/sites/" + x.ID + "?flash=flash.saved"}
}

func (s *Server) doDeleteSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("site")
	if err := s.st.DeleteSite(r.Context(), rq.Tenant.ID, id); err != nil {
		return notFoundIf(err)
	}
	s.invalidateGeo(rq.Tenant.ID)
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "site.delete", "site:"+id, nil); err != nil {
		return err
	}
	return &errRedirect{"/sites?flash=flash.site_deleted"}
}

// ---- API ----

type apiSite struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Kind        store.SiteKind `json:"kind"`
	Description string         `json:"description"`
	Lon         float64        `json:"lon"`
	Lat         float64        `json:"lat"`
	ISPSLevel   int            `json:"isps_level"`
	CreatedAt   string         `json:"created_at"`
	UpdatedAt   string         `json:"updated_at"`
}

func toAPISite(x *store.Site) apiSite {
	return apiSite{ID: x.ID, Name: x.Name, Kind: x.Kind, Description: x.Description, Lon: x.Lon, Lat: x.Lat, ISPSLevel: x.ISPSLevel,
		CreatedAt: x.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), UpdatedAt: x.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
}

// siteBody is what POST and PUT /api/v1/sites accept.
type siteBody struct {
	Name        string         `json:"name"`
	Kind        store.SiteKind `json:"kind"`
	Description string         `json:"description"`
	Lon         float64        `json:"lon"`
	Lat         float64        `json:"lat"`
	ISPSLevel   int            `json:"isps_level"`
}

func (b siteBody) form() siteForm {
	return siteForm{Name: strings.TrimSpace(b.Name), Kind: string(b.Kind), Description: b.Description,
		Lon: strconv.FormatFloat(b.Lon, 'f', -1, 64), Lat: strconv.FormatFloat(b.Lat, 'f', -1, 64), ISPS: strconv.Itoa(b.ISPSLevel)}
}

// apiInvalid answers 400 with a localised reason when err is one, and
// returns false otherwise.
func apiInvalid(w http.ResponseWriter, rq *request, err error) bool {
	var le *i18n.Error
	if errors.As(err, &le) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": le.Key, "message": le.Localize(rq.P)}})
		return true
	}
	return false
}

func (s *Server) apiSites(w http.ResponseWriter, r *http.Request, rq *request) error {
	sites, err := s.st.ListSites(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	out := make([]apiSite, 0, len(sites))
	for i := range sites {
		out = append(out, toAPISite(&sites[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": out})
	return nil
}

func (s *Server) apiCreateSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body siteBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	x := &store.Site{TenantID: rq.Tenant.ID}
	if err := body.form().apply(x); err != nil {
		if apiInvalid(w, rq, err) {
			return nil
		}
		return err
	}
	if err := s.st.CreateSite(r.Context(), x); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "site.create", "site:"+x.ID, map[string]any{"name": x.Name, "via": "api"}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAPISite(x))
	return nil
}

func (s *Server) apiSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPISite(x))
	return nil
}

func (s *Server) apiUpdateSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	var body siteBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if err := body.form().apply(x); err != nil {
		if apiInvalid(w, rq, err) {
			return nil
		}
		return err
	}
	if err := s.st.UpdateSite(r.Context(), x); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "site.update", "site:"+x.ID, map[string]any{"via": "api"}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPISite(x))
	return nil
}

func (s *Server) apiDeleteSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("site")
	if err := s.st.DeleteSite(r.Context(), rq.Tenant.ID, id); err != nil {
		return notFoundIf(err)
	}
	s.invalidateGeo(rq.Tenant.ID)
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "site.delete", "site:"+id, map[string]any{"via": "api"}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
