package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/site/assetcsv"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// assetForm is an asset as typed in the form; multi-valued fields are
// separated by ";" like in the CSV.
type assetForm struct {
	Name, Type, Criticality, Status, Owner, SiteID, ZoneID, Lon, Lat, Tags, Description string
	Idents                                                                              map[string]string // kind → "a; b"
}

func assetFormOf(a *store.Asset) assetForm {
	f := assetForm{Name: a.Name, Type: string(a.Type), Criticality: strconv.Itoa(a.Criticality), Status: string(a.Status),
		Owner: a.Owner, SiteID: a.SiteID, ZoneID: a.ZoneID, Tags: strings.Join(a.Tags, "; "), Description: a.Description, Idents: map[string]string{}}
	if a.HasPoint {
		f.Lon, f.Lat = strconv.FormatFloat(a.Lon, 'f', -1, 64), strconv.FormatFloat(a.Lat, 'f', -1, 64)
	}
	for _, id := range a.Identifiers {
		if f.Idents[string(id.Kind)] != "" {
			f.Idents[string(id.Kind)] += "; "
		}
		f.Idents[string(id.Kind)] += id.Value
	}
	return f
}

func assetFormFrom(r *http.Request) assetForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := assetForm{Name: v("name"), Type: v("type"), Criticality: v("criticality"), Status: v("status"), Owner: v("owner"),
		SiteID: v("site_id"), ZoneID: v("zone_id"), Lon: v("lon"), Lat: v("lat"), Tags: v("tags"), Description: v("description"),
		Idents: map[string]string{}}
	for _, k := range store.IdentifierKinds {
		f.Idents[string(k)] = v("ident_" + string(k))
	}
	return f
}

// apply validates the form into a (which keeps its storey and space).
func (f assetForm) apply(a *store.Asset) error {
	if f.Name == "" || len(f.Name) > 200 {
		return i18n.NewError("asset.bad_name")
	}
	if !store.AssetType(f.Type).Valid() {
		return i18n.NewError("asset.bad_type")
	}
	c, err := strconv.Atoi(f.Criticality)
	if err != nil || c < 1 || c > 5 {
		return i18n.NewError("asset.bad_criticality")
	}
	if !store.AssetStatus(f.Status).Valid() {
		return i18n.NewError("asset.bad_status")
	}
	if len(f.Owner) > 200 || len(f.Description) > 4000 {
		return i18n.NewError("asset.too_long")
	}
	a.HasPoint, a.Lon, a.Lat = false, 0, 0
	if f.Lon != "" || f.Lat != "" {
		lon, lat, err := parseLonLat(f.Lon, f.Lat)
		if err != nil {
			return err
		}
		a.HasPoint, a.Lon, a.Lat = true, lon, lat
	}
	a.Identifiers = nil
	for _, k := range store.IdentifierKinds {
		for _, v := range strings.Split(f.Idents[string(k)], ";") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			n, ok := store.NormalizeIdentifier(k, v)
			if !ok {
				return i18n.NewError("asset.bad_identifier", "kind", string(k), "value", v)
			}
			a.Identifiers = append(a.Identifiers, store.Identifier{Kind: k, Value: n})
		}
	}
	a.Tags = nil
	for _, t := range strings.Split(f.Tags, ";") {
		if t = strings.TrimSpace(t); t != "" {
			a.Tags = append(a.Tags, t)
		}
	}
	a.Name, a.Type, a.Criticality, a.Status, a.Owner, a.Description = f.Name, store.AssetType(f.Type), c, store.AssetStatus(f.Status), f.Owner, f.Description
	if a.SiteID != f.SiteID {
		a.StoreyID, a.SpaceID = "", "" // indoor placement belongs to the old site
	}
	a.SiteID, a.ZoneID = f.SiteID, f.ZoneID
	return nil
}

type assetsData struct {
	Assets   []store.Asset
	Sites    map[string]string // id → name
	Filter   store.AssetFilter
	Types    []store.AssetType
	Statuses []store.AssetStatus
	SiteList []store.Site
	Problems []string
	Columns  string
}

func (s *Server) showAssets(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	f := store.AssetFilter{SiteID: q.Get("site"), Type: store.AssetType(q.Get("type")), Status: store.AssetStatus(q.Get("status")),
		Tag: q.Get("tag"), Text: strings.TrimSpace(q.Get("q")), Limit: 10000}
	if q.Get("format") == "csv" {
		return s.exportAssetsCSV(w, r, rq, f)
	}
	return s.renderAssets(w, r, rq, f, nil, nil)
}

func (s *Server) renderAssets(w http.ResponseWriter, r *http.Request, rq *request, f store.AssetFilter, problems []string, ferr error) error {
	ctx := r.Context()
	as, err := s.st.ListAssets(ctx, rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	sites, err := s.st.ListSites(ctx, rq.Tenant.ID)
	if err != nil {
		return err
	}
	d := assetsData{Assets: as, Sites: map[string]string{}, Filter: f, Types: store.AssetTypes, Statuses: store.AssetStatuses,
		SiteList: sites, Problems: problems, Columns: strings.Join(assetcsv.Columns, ", ")}
	for _, x := range sites {
		d.Sites[x.ID] = x.Name
	}
	if ferr != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.renderPage(w, r, rq, &page{View: "assets", Data: d, Error: ferr.Error()})
		return nil
	}
	s.render(w, r, rq, "assets", d)
	return nil
}

func (s *Server) exportAssetsCSV(w http.ResponseWriter, r *http.Request, rq *request, f store.AssetFilter) error {
	as, err := s.st.ListAssets(r.Context(), rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := assetcsv.Write(&buf, as); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "asset.export", "assets", map[string]any{"count": len(as)}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="assets-`+time.Now().UTC().Format("20060102")+`.csv"`)
	_, err = buf.WriteTo(w)
	return err
}

type assetData struct {
	Asset    *store.Asset // nil for a new asset
	Form     assetForm
	Types    []store.AssetType
	Statuses []store.AssetStatus
	Kinds    []store.IdentifierKind
	Sites    []store.Site
	Zones    []store.SiteFeature
	Place    string // storey and space, for IFC-placed assets
}

func (s *Server) renderAsset(w http.ResponseWriter, r *http.Request, rq *request, a *store.Asset, f assetForm, ferr error) error {
	ctx := r.Context()
	sites, err := s.st.ListSites(ctx, rq.Tenant.ID)
	if err != nil {
		return err
	}
	fs, err := s.st.ListFeatures(ctx, rq.Tenant.ID, "")
	if err != nil {
		return err
	}
	d := assetData{Asset: a, Form: f, Types: store.AssetTypes, Statuses: store.AssetStatuses, Kinds: store.IdentifierKinds, Sites: sites}
	for _, z := range fs {
		if z.Kind == store.FeatureZone {
			d.Zones = append(d.Zones, z)
		}
	}
	if a != nil && a.StoreyID != "" {
		bs, err := s.st.ListBuildings(ctx, rq.Tenant.ID, a.SiteID)
		if err != nil {
			return err
		}
		for _, b := range bs {
			for _, st := range b.Storeys {
				if st.ID != a.StoreyID {
					continue
				}
				d.Place = b.Name + " · " + st.Name
				for _, sp := range st.Spaces {
					if sp.ID == a.SpaceID {
						d.Place += " · " + sp.Name + " " + sp.LongName
					}
				}
			}
		}
	}
	view := "asset"
	if ferr != nil {
		return s.formError(w, r, rq, view, d, ferr)
	}
	s.render(w, r, rq, view, d)
	return nil
}

func (s *Server) showNewAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderAsset(w, r, rq, nil, assetForm{Criticality: "3", Status: string(store.AssetActive), Type: string(store.AssetServer),
		SiteID: r.URL.Query().Get("site"), Idents: map[string]string{}}, nil)
}

func (s *Server) showAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := s.st.GetAsset(r.Context(), rq.Tenant.ID, r.PathValue("asset"))
	if err != nil {
		return notFoundIf(err)
	}
	return s.renderAsset(w, r, rq, a, assetFormOf(a), nil)
}

// storeFormError turns a store refusal (a reference outside the tenant)
// into a form error.
func storeFormError(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return i18n.NewError("asset.bad_reference")
	}
	return err
}

func (s *Server) doCreateAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := assetFormFrom(r)
	a := &store.Asset{TenantID: rq.Tenant.ID}
	if err := f.apply(a); err != nil {
		return s.renderAsset(w, r, rq, nil, f, err)
	}
	if err := s.st.CreateAsset(r.Context(), a); err != nil {
		return s.renderAsset(w, r, rq, nil, f, storeFormError(err))
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "asset.create", "asset:"+a.ID, map[string]any{"name": a.Name, "type": a.Type}); err != nil {
		return err
	}
	return &errRedirect{"/assets/" + a.ID + "?flash=flash.asset_created"}
}

func (s *Server) doUpdateAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := s.st.GetAsset(r.Context(), rq.Tenant.ID, r.PathValue("asset"))
	if err != nil {
		return notFoundIf(err)
	}
	f := assetFormFrom(r)
	if err := f.apply(a); err != nil {
		return s.renderAsset(w, r, rq, a, f, err)
	}
	if err := s.st.UpdateAsset(r.Context(), a); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		return s.renderAsset(w, r, rq, a, f, storeFormError(err))
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "asset.update", "asset:"+a.ID, map[string]any{"name": a.Name, "status": a.Status}); err != nil {
		return err
	}
	return &errRedirect{"/assets/" + a.ID + "?flash=flash.saved"}
}

func (s *Server) doDeleteAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("asset")
	if err := s.st.DeleteAsset(r.Context(), rq.Tenant.ID, id); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "asset.delete", "asset:"+id, nil); err != nil {
		return err
	}
	return &errRedirect{"/assets?flash=flash.asset_deleted"}
}

// importAssetsCSV reads and stores an asset CSV, all or nothing; the
// problems are the rejected rows.
func (s *Server) importAssetsCSV(r *http.Request, rq *request, body []byte) (int, []string, error) {
	known, err := s.tenantRefs(r.Context(), rq.Tenant.ID)
	if err != nil {
		return 0, nil, err
	}
	as, err := assetcsv.Read(bytes.NewReader(body), assetcsv.Options{MaxBytes: maxCSVUpload, Known: known})
	var verr *assetcsv.ValidationError
	if errors.As(err, &verr) {
		var problems []string
		for _, row := range verr.Rows {
			problems = append(problems, row.Error())
		}
		if verr.Total > len(verr.Rows) {
			problems = append(problems, rq.P.T("import.more_rows", "n", verr.Total-len(verr.Rows)))
		}
		return 0, problems, nil
	}
	if err != nil {
		return 0, nil, err
	}
	if err := s.st.ImportAssets(r.Context(), rq.Tenant.ID, as); err != nil {
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
			return 0, []string{storeReason(err)}, nil
		}
		return 0, nil, err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "asset.import", "assets", map[string]any{"count": len(as)}); err != nil {
		return 0, nil, err
	}
	return len(as), nil, nil
}

func (s *Server) doImportAssets(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := uploadedFile(r)
	if err != nil {
		return s.renderAssets(w, r, rq, store.AssetFilter{Limit: 10000}, nil, errors.New(rq.P.T("import.no_file")))
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return err
	}
	_, problems, err := s.importAssetsCSV(r, rq, buf.Bytes())
	if err != nil {
		return err
	}
	if problems != nil {
		return s.renderAssets(w, r, rq, store.AssetFilter{Limit: 10000}, problems, errors.New(rq.P.T("import.refused")))
	}
	return &errRedirect{"/assets?flash=flash.imported"}
}

// ---- API ----

type apiAsset struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Type        store.AssetType     `json:"type"`
	Criticality int                 `json:"criticality"`
	Status      store.AssetStatus   `json:"status"`
	Owner       string              `json:"owner"`
	Description string              `json:"description"`
	SiteID      string              `json:"site_id,omitempty"`
	Lon         *float64            `json:"lon,omitempty"`
	Lat         *float64            `json:"lat,omitempty"`
	ZoneID      string              `json:"zone_id,omitempty"`
	StoreyID    string              `json:"storey_id,omitempty"`
	SpaceID     string              `json:"space_id,omitempty"`
	Identifiers map[string][]string `json:"identifiers"`
	Tags        []string            `json:"tags"`
	CreatedAt   *time.Time          `json:"created_at,omitempty"`
	UpdatedAt   *time.Time          `json:"updated_at,omitempty"`
}

func toAPIAsset(a *store.Asset) apiAsset {
	out := apiAsset{ID: a.ID, Name: a.Name, Type: a.Type, Criticality: a.Criticality, Status: a.Status, Owner: a.Owner,
		Description: a.Description, SiteID: a.SiteID, ZoneID: a.ZoneID, StoreyID: a.StoreyID, SpaceID: a.SpaceID,
		Identifiers: map[string][]string{}, Tags: a.Tags, CreatedAt: optTime(a.CreatedAt), UpdatedAt: optTime(a.UpdatedAt)}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if a.HasPoint {
		lon, lat := a.Lon, a.Lat
		out.Lon, out.Lat = &lon, &lat
	}
	for _, id := range a.Identifiers {
		out.Identifiers[string(id.Kind)] = append(out.Identifiers[string(id.Kind)], id.Value)
	}
	return out
}

// toAsset validates an API body into a (keeping a's ID and tenant).
func (b apiAsset) toAsset(a *store.Asset) error {
	f := assetForm{Name: strings.TrimSpace(b.Name), Type: string(b.Type), Criticality: strconv.Itoa(b.Criticality), Status: string(b.Status),
		Owner: b.Owner, SiteID: b.SiteID, ZoneID: b.ZoneID, Description: b.Description, Tags: strings.Join(b.Tags, ";"), Idents: map[string]string{}}
	if f.Status == "" {
		f.Status = string(store.AssetActive)
	}
	if b.Criticality == 0 {
		f.Criticality = "3"
	}
	if (b.Lon == nil) != (b.Lat == nil) {
		return i18n.NewError("site.bad_position")
	}
	if b.Lon != nil {
		f.Lon, f.Lat = strconv.FormatFloat(*b.Lon, 'f', -1, 64), strconv.FormatFloat(*b.Lat, 'f', -1, 64)
	}
	for k, vs := range b.Identifiers {
		if !store.IdentifierKind(k).Valid() {
			return i18n.NewError("asset.bad_identifier", "kind", k, "value", "")
		}
		for _, v := range vs {
			if strings.Contains(v, ";") {
				return i18n.NewError("asset.bad_identifier", "kind", k, "value", v)
			}
		}
		f.Idents[k] = strings.Join(vs, ";")
	}
	if err := f.apply(a); err != nil {
		return err
	}
	a.StoreyID, a.SpaceID = b.StoreyID, b.SpaceID
	return nil
}

func (s *Server) apiAssets(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	f := store.AssetFilter{SiteID: q.Get("site_id"), Type: store.AssetType(q.Get("type")), Status: store.AssetStatus(q.Get("status")),
		Tag: q.Get("tag"), Text: q.Get("q"), Limit: 10000}
	if q.Get("format") == "csv" {
		return s.exportAssetsCSV(w, r, rq, f)
	}
	if kind, value := q.Get("identifier_kind"), q.Get("identifier"); kind != "" {
		as, err := s.st.FindAssetsByIdentifier(r.Context(), rq.Tenant.ID, store.IdentifierKind(kind), value)
		if err != nil {
			return err
		}
		return writeAssets(w, as)
	}
	as, err := s.st.ListAssets(r.Context(), rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	return writeAssets(w, as)
}

func writeAssets(w http.ResponseWriter, as []store.Asset) error {
	out := make([]apiAsset, 0, len(as))
	for i := range as {
		out = append(out, toAPIAsset(&as[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"assets": out})
	return nil
}

func (s *Server) apiCreateAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body apiAsset
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	a := &store.Asset{TenantID: rq.Tenant.ID}
	if err := body.toAsset(a); err != nil {
		if apiInvalid(w, rq, err) {
			return nil
		}
		return err
	}
	if err := s.st.CreateAsset(r.Context(), a); err != nil {
		if apiInvalid(w, rq, storeFormError(err)) {
			return nil
		}
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "asset.create", "asset:"+a.ID, map[string]any{"name": a.Name, "via": "api"}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAPIAsset(a))
	return nil
}

func (s *Server) apiAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := s.st.GetAsset(r.Context(), rq.Tenant.ID, r.PathValue("asset"))
	if err != nil {
		return notFoundIf(err)
	}
	writeJSON(w, http.StatusOK, toAPIAsset(a))
	return nil
}

func (s *Server) apiUpdateAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := s.st.GetAsset(r.Context(), rq.Tenant.ID, r.PathValue("asset"))
	if err != nil {
		return notFoundIf(err)
	}
	var body apiAsset
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if err := body.toAsset(a); err != nil {
		if apiInvalid(w, rq, err) {
			return nil
		}
		return err
	}
	if err := s.st.UpdateAsset(r.Context(), a); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		if apiInvalid(w, rq, storeFormError(err)) {
			return nil
		}
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "asset.update", "asset:"+a.ID, map[string]any{"via": "api"}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIAsset(a))
	return nil
}

func (s *Server) apiDeleteAsset(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("asset")
	if err := s.st.DeleteAsset(r.Context(), rq.Tenant.ID, id); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "asset.delete", "asset:"+id, map[string]any{"via": "api"}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiImportAssets(w http.ResponseWriter, r *http.Request, rq *request) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxCSVUpload+1)); err != nil {
		return errStatus(http.StatusRequestEntityTooLarge, "import.too_large")
	}
	n, problems, err := s.importAssetsCSV(r, rq, buf.Bytes())
	if err != nil {
		return err
	}
	if problems != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "import.refused", "message": rq.P.T("import.refused"), "problems": problems}})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"imported": n})
	return nil
}
