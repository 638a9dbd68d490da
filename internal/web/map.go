package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/geo"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/site/geojsonio"
	"github.com/vedetta-sec/vedetta/internal/site/ifc"
	"github.com/vedetta-sec/vedetta/internal/site/plan"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// mapStrings are the i18n keys the map script needs, passed to it as a
// JSON object in a data attribute (no inline script under the CSP).
var mapStrings = []string{
	"map.zones", "map.points", "map.assets", "map.floor", "map.outdoor", "map.draw", "map.draw_help", "map.finish",
	"map.cancel", "map.save", "map.delete", "map.edit_shape", "map.save_shape", "map.zone_name", "map.zone_type",
	"map.open_asset", "map.criticality", "map.status", "map.type", "map.saved", "map.save_failed", "map.confirm_delete",
	"map.identifiers", "map.no_layers", "map.space", "map.loading",
}

type mapData struct {
	Site       *store.Site
	Sites      []store.Site
	CanEdit    bool
	TileURL    string
	Strings    string // JSON object key → text
	ZoneTypes  string // JSON list of {value, label}
	AssetTypes string
	Statuses   string
}

func (s *Server) showMap(w http.ResponseWriter, r *http.Request, rq *request) error {
	sites, err := s.st.ListSites(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	var x *store.Site
	if len(sites) > 0 {
		x = &sites[0]
	}
	return s.renderMap(w, r, rq, x, sites)
}

func (s *Server) showSiteMap(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	sites, err := s.st.ListSites(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	return s.renderMap(w, r, rq, x, sites)
}

func (s *Server) renderMap(w http.ResponseWriter, r *http.Request, rq *request, x *store.Site, sites []store.Site) error {
	p := rq.P
	str := map[string]string{}
	for _, k := range mapStrings {
		str[k] = p.T(k)
	}
	type option struct {
		Value string `json:"value"`
		Label string `json:"label"`
	}
	var zoneTypes, assetTypes, statuses []option
	for _, t := range geo.ZoneTypes() {
		if t != geo.ZoneMunicipality {
			zoneTypes = append(zoneTypes, option{string(t), p.T("zone." + string(t))})
		}
	}
	for _, t := range store.AssetTypes {
		assetTypes = append(assetTypes, option{string(t), p.T("asset_type." + string(t))})
	}
	for _, st := range store.AssetStatuses {
		statuses = append(statuses, option{string(st), p.T("asset_status." + string(st))})
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	s.render(w, r, rq, "map", mapData{Site: x, Sites: sites, CanEdit: rq.Can(auth.PermManageSites), TileURL: s.opt.TileURL,
		Strings: enc(str), ZoneTypes: enc(zoneTypes), AssetTypes: enc(assetTypes), Statuses: enc(statuses)})
	return nil
}

// The JSON the map script draws.
type mapFeature struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	BuildingID string          `json:"building_id,omitempty"`
	StoreyID   string          `json:"storey_id,omitempty"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

type mapSpace struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	LongName string          `json:"long_name"`
	Lon      float64         `json:"lon"`
	Lat      float64         `json:"lat"`
	Geometry json.RawMessage `json:"geometry,omitempty"`
}

type mapStorey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Ordinal   int        `json:"ordinal"`
	Elevation float64    `json:"elevation"`
	Spaces    []mapSpace `json:"spaces"`
}

type mapBuilding struct {
	ID      string      `json:"id"`
	Name    string      `json:"name"`
	Source  string      `json:"source"`
	Storeys []mapStorey `json:"storeys"`
}

type mapAsset struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Status      string   `json:"status"`
	Criticality int      `json:"criticality"`
	Owner       string   `json:"owner,omitempty"`
	Lon         float64  `json:"lon"`
	Lat         float64  `json:"lat"`
	StoreyID    string   `json:"storey_id,omitempty"`
	SpaceID     string   `json:"space_id,omitempty"`
	ZoneID      string   `json:"zone_id,omitempty"`
	Identifiers []string `json:"identifiers,omitempty"`
	URL         string   `json:"url"`
}

type mapLayers struct {
	Site      apiSite       `json:"site"`
	Features  []mapFeature  `json:"features"`
	Buildings []mapBuilding `json:"buildings"`
	Assets    []mapAsset    `json:"assets"`
}

// siteLayersJSON serves the map's data for one site (browser session).
func (s *Server) siteLayersJSON(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	x, err := s.tenantSite(ctx, rq, r.PathValue("site"))
	if err != nil {
		return err
	}
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
	out := mapLayers{Site: toAPISite(x), Features: []mapFeature{}, Buildings: []mapBuilding{}, Assets: []mapAsset{}}
	centre := map[string]orb.Point{}
	for _, f := range fs {
		props := json.RawMessage(f.Properties)
		if !json.Valid(props) {
			props = json.RawMessage("{}")
		}
		out.Features = append(out.Features, mapFeature{ID: f.ID, Kind: string(f.Kind), Type: f.Type, Name: f.Name,
			BuildingID: f.BuildingID, StoreyID: f.StoreyID, Geometry: json.RawMessage(f.Geometry), Properties: props})
		if g, err := plan.Geometry(f.Geometry); err == nil {
			centre[f.ID] = g.Bound().Center()
		}
	}
	for _, b := range bs {
		mb := mapBuilding{ID: b.ID, Name: b.Name, Source: b.Source, Storeys: []mapStorey{}}
		for _, st := range b.Storeys {
			ms := mapStorey{ID: st.ID, Name: st.Name, Ordinal: st.Ordinal, Elevation: st.Elevation, Spaces: []mapSpace{}}
			for _, sp := range st.Spaces {
				m := mapSpace{ID: sp.ID, Name: sp.Name, LongName: sp.LongName, Lon: sp.Lon, Lat: sp.Lat}
				if sp.Geometry != "" {
					m.Geometry = json.RawMessage(sp.Geometry)
				}
				centre[sp.ID] = orb.Point{sp.Lon, sp.Lat}
				ms.Spaces = append(ms.Spaces, m)
			}
			mb.Storeys = append(mb.Storeys, ms)
		}
		out.Buildings = append(out.Buildings, mb)
	}
	for _, a := range as {
		pt, ok := orb.Point{a.Lon, a.Lat}, a.HasPoint
		if !ok {
			if c, found := centre[a.SpaceID]; found && a.SpaceID != "" {
				pt, ok = c, true
			} else if c, found := centre[a.ZoneID]; found && a.ZoneID != "" {
				pt, ok = c, true
			}
		}
		if !ok {
			continue
		}
		m := mapAsset{ID: a.ID, Name: a.Name, Type: string(a.Type), Status: string(a.Status), Criticality: a.Criticality, Owner: a.Owner,
			Lon: pt[0], Lat: pt[1], StoreyID: a.StoreyID, SpaceID: a.SpaceID, ZoneID: a.ZoneID, URL: "/assets/" + a.ID}
		for _, id := range a.Identifiers {
			m.Identifiers = append(m.Identifiers, string(id.Kind)+" "+id.Value)
		}
		out.Assets = append(out.Assets, m)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// siteLayersGeoJSON exports a site's features and located assets as a
// GeoJSON FeatureCollection (browser download and API).
func (s *Server) siteLayersGeoJSON(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	x, err := s.tenantSite(ctx, rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	fs, err := s.st.ListFeatures(ctx, rq.Tenant.ID, x.ID)
	if err != nil {
		return err
	}
	as, err := s.st.ListAssets(ctx, rq.Tenant.ID, store.AssetFilter{SiteID: x.ID, Limit: 10000})
	if err != nil {
		return err
	}
	gf, err := plan.Export(fs, as)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := geojsonio.Write(&buf, gf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="site-`+x.ID+`.geojson"`)
	}
	_, err = buf.WriteTo(w)
	return err
}

// featureBody is the JSON of a zone drawn or edited on the map.
type featureBody struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// jsonFail answers a JSON error to the map script.
func jsonFail(w http.ResponseWriter, rq *request, status int, key string) error {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": key, "message": rq.P.T(key)}})
	return nil
}

func (b featureBody) apply(f *store.SiteFeature) bool {
	f.Type, f.Name, f.Geometry = strings.TrimSpace(b.Type), strings.TrimSpace(b.Name), string(b.Geometry)
	if len(b.Properties) > 0 && string(b.Properties) != "null" {
		f.Properties = string(b.Properties)
	}
	if len(f.Name) > 200 {
		return false
	}
	return plan.ValidateFeature(f) == nil
}

func (s *Server) doCreateFeature(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	var body featureBody
	if err := decodeBody(r, &body); err != nil {
		return jsonFail(w, rq, http.StatusBadRequest, "error.bad_json")
	}
	f := &store.SiteFeature{TenantID: rq.Tenant.ID, SiteID: x.ID}
	if !body.apply(f) {
		return jsonFail(w, rq, http.StatusBadRequest, "map.bad_feature")
	}
	if err := s.st.CreateFeature(r.Context(), f); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return jsonFail(w, rq, http.StatusBadRequest, "map.bad_feature")
		}
		return err
	}
	s.invalidateGeo(rq.Tenant.ID)
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "feature.create", "feature:"+f.ID, map[string]any{"site": x.ID, "type": f.Type, "name": f.Name}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, mapFeature{ID: f.ID, Kind: string(f.Kind), Type: f.Type, Name: f.Name,
		Geometry: json.RawMessage(f.Geometry), Properties: json.RawMessage(f.Properties)})
	return nil
}

func (s *Server) doUpdateFeature(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := s.st.GetFeature(r.Context(), rq.Tenant.ID, r.PathValue("feature"))
	if err != nil {
		return notFoundIf(err)
	}
	var body featureBody
	if err := decodeBody(r, &body); err != nil {
		return jsonFail(w, rq, http.StatusBadRequest, "error.bad_json")
	}
	if !body.apply(f) {
		return jsonFail(w, rq, http.StatusBadRequest, "map.bad_feature")
	}
	if err := s.st.UpdateFeature(r.Context(), f); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return jsonFail(w, rq, http.StatusBadRequest, "map.bad_feature")
		}
		return notFoundIf(err)
	}
	s.invalidateGeo(rq.Tenant.ID)
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "feature.update", "feature:"+f.ID, map[string]any{"type": f.Type, "name": f.Name}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapFeature{ID: f.ID, Kind: string(f.Kind), Type: f.Type, Name: f.Name, BuildingID: f.BuildingID,
		StoreyID: f.StoreyID, Geometry: json.RawMessage(f.Geometry), Properties: json.RawMessage(f.Properties)})
	return nil
}

func (s *Server) doDeleteFeature(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := s.st.GetFeature(r.Context(), rq.Tenant.ID, r.PathValue("feature"))
	if err != nil {
		return notFoundIf(err)
	}
	if err := s.st.DeleteFeature(r.Context(), rq.Tenant.ID, f.ID); err != nil {
		return notFoundIf(err)
	}
	s.invalidateGeo(rq.Tenant.ID)
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "feature.delete", "feature:"+f.ID, map[string]any{"site": f.SiteID}); err != nil {
		return err
	}
	if r.Header.Get("X-CSRF-Token") != "" {
		writeJSON(w, http.StatusOK, map[string]any{"deleted": f.ID})
		return nil
	}
	return &errRedirect{"/sites/" + f.SiteID + "?flash=flash.saved"}
}

func (s *Server) doDeleteBuilding(w http.ResponseWriter, r *http.Request, rq *request) error {
	b, err := s.st.GetBuilding(r.Context(), rq.Tenant.ID, r.PathValue("building"))
	if err != nil {
		return notFoundIf(err)
	}
	if err := s.st.DeleteBuilding(r.Context(), rq.Tenant.ID, b.ID); err != nil {
		return notFoundIf(err)
	}
	s.invalidateGeo(rq.Tenant.ID)
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "building.delete", "building:"+b.ID, map[string]any{"name": b.Name}); err != nil {
		return err
	}
	return &errRedirect{"/sites/" + b.SiteID + "?flash=flash.saved"}
}

// importError is a refused upload: a localised summary and the reasons,
// row by row or feature by feature.
type importError struct {
	Key      string
	Problems []string
}

func (e *importError) Error() string { return e.Key + ": " + strings.Join(e.Problems, "; ") }

// importGeoJSON reads a FeatureCollection into a site: zones, points and
// lines become features, asset points assets; all or nothing.
func (s *Server) importGeoJSON(ctx context.Context, rq *request, x *store.Site, body io.Reader) (int, int, error) {
	gf, err := geojsonio.Read(body, geojsonio.Options{MaxBytes: maxGeoJSONUpload})
	if err != nil {
		return 0, 0, geoProblems(err)
	}
	fs, as, err := plan.Import(gf)
	if err != nil {
		return 0, 0, geoProblems(err)
	}
	known, err := s.tenantRefs(ctx, rq.Tenant.ID)
	if err != nil {
		return 0, 0, err
	}
	var problems []string
	for i := range fs {
		f := &fs[i]
		if f.SiteID != "" && f.SiteID != x.ID {
			problems = append(problems, fmt.Sprintf("feature %d (%s): belongs to another site %q", i, f.Name, f.SiteID))
		}
		if err := plan.ValidateFeature(f); err != nil {
			problems = append(problems, fmt.Sprintf("feature %d (%s): %v", i, f.Name, err))
		}
		if (f.BuildingID != "" && !known("building", f.BuildingID)) || (f.StoreyID != "" && !known("storey", f.StoreyID)) {
			problems = append(problems, fmt.Sprintf("feature %d (%s): unknown building or storey", i, f.Name))
		}
	}
	for i := range as {
		a := &as[i]
		n := len(fs) + i
		if a.SiteID != "" && a.SiteID != x.ID {
			problems = append(problems, fmt.Sprintf("feature %d (%s): belongs to another site %q", n, a.Name, a.SiteID))
		}
		for _, ref := range []struct{ what, id string }{{"zone", a.ZoneID}, {"storey", a.StoreyID}, {"space", a.SpaceID}} {
			if ref.id != "" && !known(ref.what, ref.id) && !importsZone(fs, ref) {
				problems = append(problems, fmt.Sprintf("feature %d (%s): no %s with id %q", n, a.Name, ref.what, ref.id))
			}
		}
	}
	if problems != nil {
		return 0, 0, &importError{Key: "import.refused", Problems: problems}
	}
	if err := s.st.ImportSitePlan(ctx, rq.Tenant.ID, x.ID, fs, as); err != nil {
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
			return 0, 0, &importError{Key: "import.refused", Problems: []string{storeReason(err)}}
		}
		return 0, 0, err
	}
	s.invalidateGeo(rq.Tenant.ID)
	return len(fs), len(as), nil
}

// importsZone reports whether a zone reference points at a zone of the
// same upload.
func importsZone(fs []store.SiteFeature, ref struct{ what, id string }) bool {
	if ref.what != "zone" {
		return false
	}
	for _, f := range fs {
		if f.ID == ref.id && f.Kind == store.FeatureZone {
			return true
		}
	}
	return false
}

// storeReason is the part of a store validation error worth showing.
func storeReason(err error) string {
	msg := err.Error()
	for _, p := range []string{"sqlite: ", "postgres: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return strings.TrimSuffix(msg, ": "+store.ErrInvalid.Error())
}

func geoProblems(err error) error {
	var verr *geojsonio.ValidationError
	if errors.As(err, &verr) {
		ie := &importError{Key: "import.refused"}
		for _, f := range verr.Features {
			ie.Problems = append(ie.Problems, f.Error())
		}
		return ie
	}
	if errors.Is(err, geojsonio.ErrInvalid) {
		return &importError{Key: "import.refused", Problems: []string{err.Error()}}
	}
	return err
}

// tenantRefs returns a lookup of the ids of the tenant's zones, buildings,
// storeys and spaces.
func (s *Server) tenantRefs(ctx context.Context, tenantID string) (func(what, id string) bool, error) {
	ids := map[string]map[string]bool{"site": {}, "zone": {}, "building": {}, "storey": {}, "space": {}}
	sites, err := s.st.ListSites(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, x := range sites {
		ids["site"][x.ID] = true
	}
	fs, err := s.st.ListFeatures(ctx, tenantID, "")
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.Kind == store.FeatureZone {
			ids["zone"][f.ID] = true
		}
	}
	bs, err := s.st.ListBuildings(ctx, tenantID, "")
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		ids["building"][b.ID] = true
		for _, st := range b.Storeys {
			ids["storey"][st.ID] = true
			for _, sp := range st.Spaces {
				ids["space"][sp.ID] = true
			}
		}
	}
	return func(what, id string) bool { return ids[what][id] }, nil
}

// importIFC places the buildings of an IFC model on a site. With several
// buildings, one that fails removes those stored before it.
func (s *Server) importIFC(ctx context.Context, rq *request, x *store.Site, body io.Reader) (int, int, error) {
	m, err := ifc.Parse(body, ifc.WithMaxBytes(maxIFCUpload))
	if err != nil {
		return 0, 0, &importError{Key: "import.ifc_refused", Problems: []string{err.Error()}}
	}
	imps, err := plan.FromIFC(m, x.ID)
	if err != nil {
		return 0, 0, &importError{Key: "import.ifc_refused", Problems: []string{err.Error()}}
	}
	var done []store.BuildingImport
	assets := 0
	for i := range imps {
		if err := s.st.ImportBuilding(ctx, rq.Tenant.ID, &imps[i]); err != nil {
			for _, d := range done {
				_ = s.st.DeleteBuilding(ctx, rq.Tenant.ID, d.Building.ID)
				for _, a := range d.Assets {
					_ = s.st.DeleteAsset(ctx, rq.Tenant.ID, a.ID)
				}
			}
			if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
				return 0, 0, &importError{Key: "import.ifc_refused", Problems: []string{storeReason(err)}}
			}
			return 0, 0, err
		}
		done = append(done, imps[i])
		assets += len(imps[i].Assets)
		if err := s.audit(ctx, rq, rq.Tenant.ID, "building.import", "building:"+imps[i].Building.ID,
			map[string]any{"site": x.ID, "name": imps[i].Building.Name, "storeys": len(imps[i].Building.Storeys), "assets": len(imps[i].Assets), "schema": m.Schema}); err != nil {
			return 0, 0, err
		}
	}
	s.invalidateGeo(rq.Tenant.ID)
	return len(imps), assets, nil
}

// uploadedFile returns the "file" part of a multipart form.
func uploadedFile(r *http.Request) (io.ReadCloser, error) {
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, i18n.NewError("import.no_file")
	}
	return f, nil
}

// renderImportResult shows the site page with the outcome of an upload.
func (s *Server) renderImportResult(w http.ResponseWriter, r *http.Request, rq *request, x *store.Site, err error, flash string) error {
	var ie *importError
	if errors.As(err, &ie) {
		ctx := r.Context()
		fs, lerr := s.st.ListFeatures(ctx, rq.Tenant.ID, x.ID)
		if lerr != nil {
			return lerr
		}
		bs, lerr := s.st.ListBuildings(ctx, rq.Tenant.ID, x.ID)
		if lerr != nil {
			return lerr
		}
		d := siteData{Site: x, Kinds: store.SiteKinds, Form: siteFormOf(x), Buildings: bs, Problems: ie.Problems}
		for _, z := range fs {
			if z.BuildingID == "" {
				d.Zones = append(d.Zones, z)
			}
		}
		w.WriteHeader(http.StatusBadRequest)
		s.renderPage(w, r, rq, &page{View: "site", Data: d, Error: rq.P.T(ie.Key)})
		return nil
	}
	var le *i18n.Error
	if errors.As(err, &le) {
		return s.renderSite(w, r, rq, x, siteFormOf(x), err)
	}
	if err != nil {
		return err
	}
	return &errRedirect{"/sites/" + x.ID + "?flash=" + flash}
}

func (s *Server) doImportGeoJSON(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	f, err := uploadedFile(r)
	if err != nil {
		return s.renderImportResult(w, r, rq, x, err, "")
	}
	defer f.Close()
	nf, na, err := s.importGeoJSON(r.Context(), rq, x, f)
	if err == nil {
		err = s.audit(r.Context(), rq, rq.Tenant.ID, "site.import_geojson", "site:"+x.ID, map[string]any{"features": nf, "assets": na})
	}
	return s.renderImportResult(w, r, rq, x, err, "flash.imported")
}

func (s *Server) doImportIFC(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	f, err := uploadedFile(r)
	if err != nil {
		return s.renderImportResult(w, r, rq, x, err, "")
	}
	defer f.Close()
	_, _, err = s.importIFC(r.Context(), rq, x, f)
	return s.renderImportResult(w, r, rq, x, err, "flash.imported")
}

// apiImportFail answers a refused upload.
func apiImportFail(w http.ResponseWriter, rq *request, err error) bool {
	var ie *importError
	if errors.As(err, &ie) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": ie.Key, "message": rq.P.T(ie.Key), "problems": ie.Problems}})
		return true
	}
	return false
}

func (s *Server) apiImportGeoJSON(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	nf, na, err := s.importGeoJSON(r.Context(), rq, x, http.MaxBytesReader(w, r.Body, maxGeoJSONUpload+1))
	if apiImportFail(w, rq, err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "site.import_geojson", "site:"+x.ID, map[string]any{"features": nf, "assets": na, "via": "api"}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"features": nf, "assets": na})
	return nil
}

func (s *Server) apiImportIFC(w http.ResponseWriter, r *http.Request, rq *request) error {
	x, err := s.tenantSite(r.Context(), rq, r.PathValue("site"))
	if err != nil {
		return err
	}
	nb, na, err := s.importIFC(r.Context(), rq, x, http.MaxBytesReader(w, r.Body, maxIFCUpload+1))
	if apiImportFail(w, rq, err) {
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"buildings": nb, "assets": na})
	return nil
}

// apiLocate answers GET /api/v1/geo/locate?lat=…&lon=…: the caller's
// zones, site and the municipality containing the point.
func (s *Server) apiLocate(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.opt.Geo == nil {
		return errStatus(http.StatusServiceUnavailable, "error.internal")
	}
	lat, err1 := strconv.ParseFloat(r.URL.Query().Get("lat"), 64)
	lon, err2 := strconv.ParseFloat(r.URL.Query().Get("lon"), 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return errStatus(http.StatusBadRequest, "site.bad_position")
	}
	loc, err := s.opt.Geo.Locate(r.Context(), rq.Tenant.ID, orb.Point{lon, lat})
	if err != nil {
		return err
	}
	type zone struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Type   string `json:"type"`
		SiteID string `json:"site_id"`
	}
	zones := []zone{}
	for _, z := range loc.Zones {
		zones = append(zones, zone{z.ID, z.Name, string(z.Type), z.SiteID})
	}
	out := map[string]any{"site_id": loc.SiteID, "zones": zones}
	if loc.Municipality.ID != "" {
		out["municipality"] = map[string]any{"id": loc.Municipality.ID, "name": loc.Municipality.Name, "distance_m": math.Round(loc.MunicipalityDistance)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
