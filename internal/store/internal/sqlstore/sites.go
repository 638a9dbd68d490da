package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// querier is *sql.DB or *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// nullable maps "" to SQL NULL for the optional references.
func nullable(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// siteText reports whether v is valid UTF-8 without NUL, of at most max
// bytes.
func siteText(v string, max int) bool {
	return len(v) <= max && utf8.ValidString(v) && !strings.ContainsRune(v, 0)
}

func validLonLat(lon, lat float64) bool {
	return !math.IsNaN(lon) && !math.IsNaN(lat) && lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
}

// jsonObject reports whether v is a JSON object.
func jsonObject(v string) bool {
	v = strings.TrimSpace(v)
	return strings.HasPrefix(v, "{") && json.Valid([]byte(v))
}

// checkRef fails with ErrInvalid unless id is "" or a row of table owned
// by the tenant. table is a constant of this file, never user input.
func (s *Store) checkRef(ctx context.Context, q querier, op, table, what, tenantID, id string) error {
	if id == "" {
		return nil
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = $1 AND tenant_id = $2`, id, tenantID).Scan(&n); err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return s.invalid(op, "%s %q is not in this tenant", what, id)
	}
	return nil
}

func (s *Store) idOr(op, id string) (string, error) {
	if id != "" {
		if !siteText(id, 100) {
			return "", s.invalid(op, "bad id")
		}
		return id, nil
	}
	return s.newID(op)
}

// ---- sites ----

const siteCols = `id, tenant_id, name, kind, description, lon, lat, isps_level, created_at, updated_at`

func scanSite(sc scanner) (store.Site, error) {
	var x store.Site
	var created, updated int64
	err := sc.Scan(&x.ID, &x.TenantID, &x.Name, &x.Kind, &x.Description, &x.Lon, &x.Lat, &x.ISPSLevel, &created, &updated)
	x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
	return x, err
}

func (s *Store) checkSite(op string, x *store.Site) error {
	switch {
	case x.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case strings.TrimSpace(x.Name) == "" || !siteText(x.Name, 200):
		return s.invalid(op, "name must be 1-200 characters")
	case !x.Kind.Valid():
		return s.invalid(op, "unknown site kind %q", x.Kind)
	case !siteText(x.Description, 4000):
		return s.invalid(op, "description too long")
	case !validLonLat(x.Lon, x.Lat):
		return s.invalid(op, "centre [%g, %g] out of range", x.Lon, x.Lat)
	case x.ISPSLevel < 0 || x.ISPSLevel > 3:
		return s.invalid(op, "ISPS level %d not in 0-3", x.ISPSLevel)
	}
	return nil
}

// CreateSite stores a site, setting ID, CreatedAt and UpdatedAt.
func (s *Store) CreateSite(ctx context.Context, x *store.Site) error {
	const op = "create site"
	if err := s.checkSite(op, x); err != nil {
		return err
	}
	id, err := s.idOr(op, x.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	created := x.CreatedAt
	if created.IsZero() {
		created = now
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO sites (`+siteCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, x.TenantID, x.Name, string(x.Kind), x.Description, x.Lon, x.Lat, x.ISPSLevel, toMS(created), toMS(now))
	if err != nil {
		return s.fail(op, err)
	}
	x.ID, x.CreatedAt, x.UpdatedAt = id, fromMS(toMS(created)), now
	return nil
}

// GetSite returns a site of the tenant.
func (s *Store) GetSite(ctx context.Context, tenantID, id string) (*store.Site, error) {
	x, err := scanSite(s.r.QueryRowContext(ctx, `SELECT `+siteCols+` FROM sites WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, s.fail("get site", err)
	}
	return &x, nil
}

// ListSites lists the tenant's sites by name.
func (s *Store) ListSites(ctx context.Context, tenantID string) ([]store.Site, error) {
	return collect(ctx, s, "list sites", `SELECT `+siteCols+` FROM sites WHERE tenant_id = $1 ORDER BY name, id`, scanSite, tenantID)
}

// UpdateSite changes name, kind, description, centre and ISPS level.
func (s *Store) UpdateSite(ctx context.Context, x *store.Site) error {
	const op = "update site"
	if err := s.checkSite(op, x); err != nil {
		return err
	}
	now := s.nowMS()
	if err := s.execOne(ctx, op, `UPDATE sites SET name = $3, kind = $4, description = $5, lon = $6, lat = $7,
		isps_level = $8, updated_at = $9 WHERE id = $1 AND tenant_id = $2`,
		x.ID, x.TenantID, x.Name, string(x.Kind), x.Description, x.Lon, x.Lat, x.ISPSLevel, toMS(now)); err != nil {
		return err
	}
	x.UpdatedAt = now
	return nil
}

// DeleteSite deletes a site; features and buildings cascade, assets keep
// existing without a site.
func (s *Store) DeleteSite(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete site", `DELETE FROM sites WHERE id = $1 AND tenant_id = $2`, id, tenantID)
}

// ---- features ----

const featureCols = `id, tenant_id, site_id, kind, type, name, geometry, properties,
	COALESCE(building_id, ''), COALESCE(storey_id, ''), created_at, updated_at`

func scanFeature(sc scanner) (store.SiteFeature, error) {
	var f store.SiteFeature
	var created, updated int64
	err := sc.Scan(&f.ID, &f.TenantID, &f.SiteID, &f.Kind, &f.Type, &f.Name, &f.Geometry, &f.Properties,
		&f.BuildingID, &f.StoreyID, &created, &updated)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(updated)
	return f, err
}

// checkFeature validates f and its references inside q.
func (s *Store) checkFeature(ctx context.Context, q querier, op string, f *store.SiteFeature) error {
	if f.Properties == "" {
		f.Properties = "{}"
	}
	switch {
	case f.TenantID == "" || f.SiteID == "":
		return s.invalid(op, "empty tenant or site id")
	case !f.Kind.Valid():
		return s.invalid(op, "unknown feature kind %q", f.Kind)
	case f.Type == "" || !siteText(f.Type, 64):
		return s.invalid(op, "type must be 1-64 characters")
	case !siteText(f.Name, 200):
		return s.invalid(op, "name longer than 200 bytes")
	case len(f.Geometry) > 16<<20 || !jsonObject(f.Geometry):
		return s.invalid(op, "geometry is not a JSON object")
	case len(f.Properties) > 1<<20 || !jsonObject(f.Properties):
		return s.invalid(op, "properties are not a JSON object")
	case f.StoreyID != "" && f.BuildingID == "":
		return s.invalid(op, "a storey needs its building")
	}
	if err := s.checkRef(ctx, q, op, "sites", "site", f.TenantID, f.SiteID); err != nil {
		return err
	}
	if f.BuildingID != "" {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM site_buildings WHERE id = $1 AND tenant_id = $2 AND site_id = $3`,
			f.BuildingID, f.TenantID, f.SiteID).Scan(&n); err != nil {
			return s.fail(op, err)
		}
		if n == 0 {
			return s.invalid(op, "building %q is not in this site", f.BuildingID)
		}
	}
	if f.StoreyID != "" {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM site_storeys WHERE id = $1 AND tenant_id = $2 AND building_id = $3`,
			f.StoreyID, f.TenantID, f.BuildingID).Scan(&n); err != nil {
			return s.fail(op, err)
		}
		if n == 0 {
			return s.invalid(op, "storey %q is not in building %q", f.StoreyID, f.BuildingID)
		}
	}
	return nil
}

func (s *Store) insertFeature(ctx context.Context, q querier, op string, f *store.SiteFeature) error {
	if err := s.checkFeature(ctx, q, op, f); err != nil {
		return err
	}
	id, err := s.idOr(op, f.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	created := f.CreatedAt
	if created.IsZero() {
		created = now
	}
	_, err = q.ExecContext(ctx, `INSERT INTO site_features (id, tenant_id, site_id, kind, type, name, geometry, properties,
		building_id, storey_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		id, f.TenantID, f.SiteID, string(f.Kind), f.Type, f.Name, f.Geometry, f.Properties,
		nullable(f.BuildingID), nullable(f.StoreyID), toMS(created), toMS(now))
	if err != nil {
		return s.fail(op, err)
	}
	f.ID, f.CreatedAt, f.UpdatedAt = id, fromMS(toMS(created)), now
	return nil
}

// updateFeature rewrites f; it reports false when no feature of the
// tenant has f.ID.
func (s *Store) updateFeature(ctx context.Context, q querier, op string, f *store.SiteFeature) (bool, error) {
	if err := s.checkFeature(ctx, q, op, f); err != nil {
		return false, err
	}
	now := s.nowMS()
	res, err := q.ExecContext(ctx, `UPDATE site_features SET site_id = $3, kind = $4, type = $5, name = $6, geometry = $7,
		properties = $8, building_id = $9, storey_id = $10, updated_at = $11 WHERE id = $1 AND tenant_id = $2`,
		f.ID, f.TenantID, f.SiteID, string(f.Kind), f.Type, f.Name, f.Geometry, f.Properties,
		nullable(f.BuildingID), nullable(f.StoreyID), toMS(now))
	if err != nil {
		return false, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(op, err)
	}
	f.UpdatedAt = now
	return n > 0, nil
}

// CreateFeature stores a feature of a site of the tenant.
func (s *Store) CreateFeature(ctx context.Context, f *store.SiteFeature) error {
	const op = "create feature"
	return s.inTx(ctx, op, func(tx *sql.Tx) error { return s.insertFeature(ctx, tx, op, f) })
}

// GetFeature returns a feature of the tenant.
func (s *Store) GetFeature(ctx context.Context, tenantID, id string) (*store.SiteFeature, error) {
	f, err := scanFeature(s.r.QueryRowContext(ctx, `SELECT `+featureCols+` FROM site_features WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, s.fail("get feature", err)
	}
	return &f, nil
}

// ListFeatures lists a site's features (every feature of the tenant when
// siteID is ""), zones first.
func (s *Store) ListFeatures(ctx context.Context, tenantID, siteID string) ([]store.SiteFeature, error) {
	q := `SELECT ` + featureCols + ` FROM site_features WHERE tenant_id = $1`
	args := []any{tenantID}
	if siteID != "" {
		q += ` AND site_id = $2`
		args = append(args, siteID)
	}
	return collect(ctx, s, "list features", q+` ORDER BY kind DESC, name, id`, scanFeature, args...)
}

// UpdateFeature rewrites a feature of the tenant.
func (s *Store) UpdateFeature(ctx context.Context, f *store.SiteFeature) error {
	const op = "update feature"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		ok, err := s.updateFeature(ctx, tx, op, f)
		if err == nil && !ok {
			err = s.notFound(op)
		}
		return err
	})
}

// DeleteFeature deletes a feature of the tenant.
func (s *Store) DeleteFeature(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete feature", `DELETE FROM site_features WHERE id = $1 AND tenant_id = $2`, id, tenantID)
}

// ImportFeatures creates or updates features of a site in one transaction.
func (s *Store) ImportFeatures(ctx context.Context, tenantID, siteID string, fs []store.SiteFeature) error {
	const op = "import features"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := s.checkRef(ctx, tx, op, "sites", "site", tenantID, siteID); err != nil {
			return err
		}
		return s.importFeatures(ctx, tx, op, tenantID, siteID, fs)
	})
}

func (s *Store) importFeatures(ctx context.Context, tx *sql.Tx, op, tenantID, siteID string, fs []store.SiteFeature) error {
	for i := range fs {
		f := &fs[i]
		f.TenantID, f.SiteID = tenantID, siteID
		if f.ID != "" {
			ok, err := s.updateFeature(ctx, tx, op, f)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
		}
		if err := s.insertFeature(ctx, tx, op, f); err != nil {
			return err
		}
	}
	return nil
}

// ImportSitePlan creates or updates features and assets of a site in one
// transaction.
func (s *Store) ImportSitePlan(ctx context.Context, tenantID, siteID string, fs []store.SiteFeature, as []store.Asset) error {
	const op = "import site plan"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := s.checkRef(ctx, tx, op, "sites", "site", tenantID, siteID); err != nil {
			return err
		}
		if siteID == "" {
			return s.invalid(op, "empty site id")
		}
		if err := s.importFeatures(ctx, tx, op, tenantID, siteID, fs); err != nil {
			return err
		}
		for i := range as {
			if as[i].SiteID == "" {
				as[i].SiteID = siteID
			}
		}
		return s.importAssets(ctx, tx, op, tenantID, as)
	})
}

// ---- buildings ----

const buildingCols = `id, tenant_id, site_id, name, source, external_id, lon, lat, created_at`

func scanBuilding(sc scanner) (store.Building, error) {
	var b store.Building
	var created int64
	err := sc.Scan(&b.ID, &b.TenantID, &b.SiteID, &b.Name, &b.Source, &b.ExternalID, &b.Lon, &b.Lat, &created)
	b.CreatedAt = fromMS(created)
	return b, err
}

// ImportBuilding stores a building, its storeys and spaces, its indoor
// features and the assets found in it, in one transaction.
func (s *Store) ImportBuilding(ctx context.Context, tenantID string, bi *store.BuildingImport) error {
	const op = "import building"
	b := &bi.Building
	b.TenantID = tenantID
	switch {
	case strings.TrimSpace(b.Name) == "" || !siteText(b.Name, 200):
		return s.invalid(op, "building name must be 1-200 characters")
	case !siteText(b.Source, 20) || !siteText(b.ExternalID, 100):
		return s.invalid(op, "bad source or external id")
	case !validLonLat(b.Lon, b.Lat):
		return s.invalid(op, "building position out of range")
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := s.checkRef(ctx, tx, op, "sites", "site", tenantID, b.SiteID); err != nil {
			return err
		}
		if b.SiteID == "" {
			return s.invalid(op, "empty site id")
		}
		id, err := s.idOr(op, b.ID)
		if err != nil {
			return err
		}
		created := b.CreatedAt
		if created.IsZero() {
			created = s.nowMS()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO site_buildings (`+buildingCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			id, tenantID, b.SiteID, b.Name, b.Source, b.ExternalID, b.Lon, b.Lat, toMS(created)); err != nil {
			return s.fail(op, err)
		}
		b.ID, b.CreatedAt = id, fromMS(toMS(created))
		for i := range b.Storeys {
			st := &b.Storeys[i]
			if strings.TrimSpace(st.Name) == "" || !siteText(st.Name, 200) || !siteText(st.ExternalID, 100) || math.IsNaN(st.Elevation) || math.IsInf(st.Elevation, 0) {
				return s.invalid(op, "storey %d: bad name, id or elevation", i)
			}
			if st.ID, err = s.idOr(op, st.ID); err != nil {
				return err
			}
			st.BuildingID = b.ID
			if _, err := tx.ExecContext(ctx, `INSERT INTO site_storeys (id, tenant_id, building_id, name, elevation, ordinal, external_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, st.ID, tenantID, b.ID, st.Name, st.Elevation, st.Ordinal, st.ExternalID); err != nil {
				return s.fail(op, err)
			}
			for j := range st.Spaces {
				sp := &st.Spaces[j]
				switch {
				case strings.TrimSpace(sp.Name) == "" || !siteText(sp.Name, 200) || !siteText(sp.LongName, 400) || !siteText(sp.ExternalID, 100):
					return s.invalid(op, "storey %d space %d: bad name or id", i, j)
				case sp.Geometry != "" && (len(sp.Geometry) > 1<<20 || !jsonObject(sp.Geometry)):
					return s.invalid(op, "storey %d space %d: geometry is not a JSON object", i, j)
				case !validLonLat(sp.Lon, sp.Lat):
					return s.invalid(op, "storey %d space %d: position out of range", i, j)
				}
				if sp.ID, err = s.idOr(op, sp.ID); err != nil {
					return err
				}
				sp.StoreyID = st.ID
				if _, err := tx.ExecContext(ctx, `INSERT INTO site_spaces (id, tenant_id, storey_id, name, long_name, external_id, geometry, lon, lat)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
					sp.ID, tenantID, st.ID, sp.Name, sp.LongName, sp.ExternalID, sp.Geometry, sp.Lon, sp.Lat); err != nil {
					return s.fail(op, err)
				}
			}
		}
		for i := range bi.Features {
			f := &bi.Features[i]
			f.TenantID = tenantID
			if f.SiteID == "" {
				f.SiteID = b.SiteID
			}
			if f.BuildingID == "" {
				f.BuildingID = b.ID
			}
			if err := s.insertFeature(ctx, tx, op, f); err != nil {
				return err
			}
		}
		for i := range bi.Assets {
			a := &bi.Assets[i]
			a.TenantID = tenantID
			if a.SiteID == "" {
				a.SiteID = b.SiteID
			}
			if err := s.insertAsset(ctx, tx, op, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadStoreys fills the storeys and spaces of the given buildings.
func (s *Store) loadStoreys(ctx context.Context, op, tenantID string, bs []store.Building) error {
	if len(bs) == 0 {
		return nil
	}
	idx := make(map[string]int, len(bs))
	for i, b := range bs {
		idx[b.ID] = i
	}
	storeys, err := collect(ctx, s, op, `SELECT id, building_id, name, elevation, ordinal, external_id FROM site_storeys
		WHERE tenant_id = $1 ORDER BY building_id, ordinal, elevation, name`, func(sc scanner) (store.Storey, error) {
		var st store.Storey
		err := sc.Scan(&st.ID, &st.BuildingID, &st.Name, &st.Elevation, &st.Ordinal, &st.ExternalID)
		return st, err
	}, tenantID)
	if err != nil {
		return err
	}
	spaces, err := collect(ctx, s, op, `SELECT id, storey_id, name, long_name, external_id, geometry, lon, lat FROM site_spaces
		WHERE tenant_id = $1 ORDER BY name, id`, func(sc scanner) (store.Space, error) {
		var sp store.Space
		err := sc.Scan(&sp.ID, &sp.StoreyID, &sp.Name, &sp.LongName, &sp.ExternalID, &sp.Geometry, &sp.Lon, &sp.Lat)
		return sp, err
	}, tenantID)
	if err != nil {
		return err
	}
	byStorey := map[string][]store.Space{}
	for _, sp := range spaces {
		byStorey[sp.StoreyID] = append(byStorey[sp.StoreyID], sp)
	}
	for _, st := range storeys {
		i, ok := idx[st.BuildingID]
		if !ok {
			continue
		}
		st.Spaces = byStorey[st.ID]
		bs[i].Storeys = append(bs[i].Storeys, st)
	}
	return nil
}

// GetBuilding returns a building of the tenant with storeys and spaces.
func (s *Store) GetBuilding(ctx context.Context, tenantID, id string) (*store.Building, error) {
	const op = "get building"
	b, err := scanBuilding(s.r.QueryRowContext(ctx, `SELECT `+buildingCols+` FROM site_buildings WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, s.fail(op, err)
	}
	bs := []store.Building{b}
	if err := s.loadStoreys(ctx, op, tenantID, bs); err != nil {
		return nil, err
	}
	return &bs[0], nil
}

// ListBuildings lists a site's buildings (all of the tenant when siteID is
// "") with storeys and spaces.
func (s *Store) ListBuildings(ctx context.Context, tenantID, siteID string) ([]store.Building, error) {
	const op = "list buildings"
	q := `SELECT ` + buildingCols + ` FROM site_buildings WHERE tenant_id = $1`
	args := []any{tenantID}
	if siteID != "" {
		q += ` AND site_id = $2`
		args = append(args, siteID)
	}
	bs, err := collect(ctx, s, op, q+` ORDER BY name, id`, scanBuilding, args...)
	if err != nil {
		return nil, err
	}
	if err := s.loadStoreys(ctx, op, tenantID, bs); err != nil {
		return nil, err
	}
	return bs, nil
}

// DeleteBuilding deletes a building of the tenant; storeys, spaces and
// indoor features cascade, assets lose their storey and space.
func (s *Store) DeleteBuilding(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete building", `DELETE FROM site_buildings WHERE id = $1 AND tenant_id = $2`, id, tenantID)
}

// ---- assets ----

const assetCols = `id, tenant_id, COALESCE(site_id, ''), name, type, criticality, owner, status, description,
	has_point, lon, lat, COALESCE(zone_id, ''), COALESCE(storey_id, ''), COALESCE(space_id, ''), tags, created_at, updated_at`

// assetColsA is assetCols qualified with the alias a.
const assetColsA = `a.id, a.tenant_id, COALESCE(a.site_id, ''), a.name, a.type, a.criticality, a.owner, a.status, a.description,
	a.has_point, a.lon, a.lat, COALESCE(a.zone_id, ''), COALESCE(a.storey_id, ''), COALESCE(a.space_id, ''), a.tags, a.created_at, a.updated_at`

func scanAsset(sc scanner) (store.Asset, error) {
	var a store.Asset
	var created, updated int64
	var tags string
	err := sc.Scan(&a.ID, &a.TenantID, &a.SiteID, &a.Name, &a.Type, &a.Criticality, &a.Owner, &a.Status, &a.Description,
		&a.HasPoint, &a.Lon, &a.Lat, &a.ZoneID, &a.StoreyID, &a.SpaceID, &tags, &created, &updated)
	if err == nil && tags != "" && tags != "[]" {
		err = json.Unmarshal([]byte(tags), &a.Tags)
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return a, err
}

// normalizeAsset validates an asset's fields and canonicalises its
// identifiers and tags (without references).
func (s *Store) normalizeAsset(op string, a *store.Asset) error {
	switch {
	case a.TenantID == "":
		return s.invalid(op, "empty tenant id")
	case strings.TrimSpace(a.Name) == "" || !siteText(a.Name, 200):
		return s.invalid(op, "name must be 1-200 characters")
	case !a.Type.Valid():
		return s.invalid(op, "unknown asset type %q", a.Type)
	case a.Criticality < 1 || a.Criticality > 5:
		return s.invalid(op, "criticality %d not in 1-5", a.Criticality)
	case !a.Status.Valid():
		return s.invalid(op, "unknown status %q", a.Status)
	case !siteText(a.Owner, 200) || !siteText(a.Description, 4000):
		return s.invalid(op, "owner or description too long")
	case a.HasPoint && !validLonLat(a.Lon, a.Lat):
		return s.invalid(op, "position [%g, %g] out of range", a.Lon, a.Lat)
	case a.SpaceID != "" && a.StoreyID == "":
		return s.invalid(op, "a space needs its storey")
	case len(a.Identifiers) > 200 || len(a.Tags) > 100:
		return s.invalid(op, "too many identifiers or tags")
	}
	if !a.HasPoint {
		a.Lon, a.Lat = 0, 0
	}
	ids := make([]store.Identifier, 0, len(a.Identifiers))
	for _, id := range a.Identifiers {
		if !id.Kind.Valid() {
			return s.invalid(op, "unknown identifier kind %q", id.Kind)
		}
		v, ok := store.NormalizeIdentifier(id.Kind, id.Value)
		if !ok {
			return s.invalid(op, "malformed %s %q", id.Kind, id.Value)
		}
		ids = append(ids, store.Identifier{Kind: id.Kind, Value: v})
	}
	slices.SortFunc(ids, func(x, y store.Identifier) int {
		if c := strings.Compare(string(x.Kind), string(y.Kind)); c != 0 {
			return c
		}
		return strings.Compare(x.Value, y.Value)
	})
	a.Identifiers = slices.Compact(ids)
	if len(a.Identifiers) == 0 {
		a.Identifiers = nil
	}
	var tags []string
	for _, t := range a.Tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !siteText(t, 64) {
			return s.invalid(op, "tag %q too long", t)
		}
		tags = append(tags, t)
	}
	slices.Sort(tags)
	a.Tags = slices.Compact(tags)
	return nil
}

// checkAssetRefs verifies that the asset's site, zone, storey and space
// belong to its tenant and agree with each other.
func (s *Store) checkAssetRefs(ctx context.Context, q querier, op string, a *store.Asset) error {
	if err := s.checkRef(ctx, q, op, "sites", "site", a.TenantID, a.SiteID); err != nil {
		return err
	}
	if a.ZoneID != "" {
		var kind string
		err := q.QueryRowContext(ctx, `SELECT kind FROM site_features WHERE id = $1 AND tenant_id = $2`, a.ZoneID, a.TenantID).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && kind != string(store.FeatureZone)) {
			return s.invalid(op, "zone %q is not a zone of this tenant", a.ZoneID)
		}
		if err != nil {
			return s.fail(op, err)
		}
	}
	if err := s.checkRef(ctx, q, op, "site_storeys", "storey", a.TenantID, a.StoreyID); err != nil {
		return err
	}
	if a.SpaceID != "" {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM site_spaces WHERE id = $1 AND tenant_id = $2 AND storey_id = $3`,
			a.SpaceID, a.TenantID, a.StoreyID).Scan(&n); err != nil {
			return s.fail(op, err)
		}
		if n == 0 {
			return s.invalid(op, "space %q is not on storey %q", a.SpaceID, a.StoreyID)
		}
	}
	return nil
}

func tagsJSON(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

func (s *Store) writeIdentifiers(ctx context.Context, q querier, op string, a *store.Asset) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM asset_identifiers WHERE asset_id = $1`, a.ID); err != nil {
		return s.fail(op, err)
	}
	for _, id := range a.Identifiers {
		if _, err := q.ExecContext(ctx, `INSERT INTO asset_identifiers (asset_id, tenant_id, kind, value) VALUES ($1, $2, $3, $4)`,
			a.ID, a.TenantID, string(id.Kind), id.Value); err != nil {
			return s.fail(op, err)
		}
	}
	return nil
}

func (s *Store) insertAsset(ctx context.Context, q querier, op string, a *store.Asset) error {
	if err := s.normalizeAsset(op, a); err != nil {
		return err
	}
	if err := s.checkAssetRefs(ctx, q, op, a); err != nil {
		return err
	}
	id, err := s.idOr(op, a.ID)
	if err != nil {
		return err
	}
	now := s.nowMS()
	created := a.CreatedAt
	if created.IsZero() {
		created = now
	}
	_, err = q.ExecContext(ctx, `INSERT INTO assets (id, tenant_id, site_id, name, type, criticality, owner, status, description,
		has_point, lon, lat, zone_id, storey_id, space_id, tags, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		id, a.TenantID, nullable(a.SiteID), a.Name, string(a.Type), a.Criticality, a.Owner, string(a.Status), a.Description,
		a.HasPoint, a.Lon, a.Lat, nullable(a.ZoneID), nullable(a.StoreyID), nullable(a.SpaceID), tagsJSON(a.Tags), toMS(created), toMS(now))
	if err != nil {
		return s.fail(op, err)
	}
	a.ID, a.CreatedAt, a.UpdatedAt = id, fromMS(toMS(created)), now
	return s.writeIdentifiers(ctx, q, op, a)
}

// updateAsset rewrites a; false when the tenant has no asset a.ID.
func (s *Store) updateAsset(ctx context.Context, q querier, op string, a *store.Asset) (bool, error) {
	if err := s.normalizeAsset(op, a); err != nil {
		return false, err
	}
	if err := s.checkAssetRefs(ctx, q, op, a); err != nil {
		return false, err
	}
	now := s.nowMS()
	res, err := q.ExecContext(ctx, `UPDATE assets SET site_id = $3, name = $4, type = $5, criticality = $6, owner = $7,
		status = $8, description = $9, has_point = $10, lon = $11, lat = $12, zone_id = $13, storey_id = $14, space_id = $15,
		tags = $16, updated_at = $17 WHERE id = $1 AND tenant_id = $2`,
		a.ID, a.TenantID, nullable(a.SiteID), a.Name, string(a.Type), a.Criticality, a.Owner, string(a.Status), a.Description,
		a.HasPoint, a.Lon, a.Lat, nullable(a.ZoneID), nullable(a.StoreyID), nullable(a.SpaceID), tagsJSON(a.Tags), toMS(now))
	if err != nil {
		return false, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(op, err)
	}
	if n == 0 {
		return false, nil
	}
	a.UpdatedAt = now
	var created int64
	if err := q.QueryRowContext(ctx, `SELECT created_at FROM assets WHERE id = $1`, a.ID).Scan(&created); err != nil {
		return false, s.fail(op, err)
	}
	a.CreatedAt = fromMS(created)
	return true, s.writeIdentifiers(ctx, q, op, a)
}

// CreateAsset stores an asset of the tenant with its identifiers.
func (s *Store) CreateAsset(ctx context.Context, a *store.Asset) error {
	const op = "create asset"
	return s.inTx(ctx, op, func(tx *sql.Tx) error { return s.insertAsset(ctx, tx, op, a) })
}

// fillIdentifiers loads the identifiers of the given assets.
func (s *Store) fillIdentifiers(ctx context.Context, op, tenantID string, as []store.Asset) error {
	if len(as) == 0 {
		return nil
	}
	idx := make(map[string]int, len(as))
	for i, a := range as {
		idx[a.ID] = i
	}
	// One asset (already read with its tenant): by the primary key. Many:
	// every identifier of the tenant, in one pass.
	q := `SELECT asset_id, kind, value FROM asset_identifiers WHERE tenant_id = $1`
	args := []any{tenantID}
	if len(as) == 1 {
		q = `SELECT asset_id, kind, value FROM asset_identifiers WHERE asset_id = $1`
		args = []any{as[0].ID}
	}
	type row struct {
		asset string
		id    store.Identifier
	}
	rows, err := collect(ctx, s, op, q+` ORDER BY kind, value`, func(sc scanner) (row, error) {
		var r row
		err := sc.Scan(&r.asset, &r.id.Kind, &r.id.Value)
		return r, err
	}, args...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if i, ok := idx[r.asset]; ok {
			as[i].Identifiers = append(as[i].Identifiers, r.id)
		}
	}
	return nil
}

// GetAsset returns an asset of the tenant.
func (s *Store) GetAsset(ctx context.Context, tenantID, id string) (*store.Asset, error) {
	const op = "get asset"
	a, err := scanAsset(s.r.QueryRowContext(ctx, `SELECT `+assetCols+` FROM assets WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, s.fail(op, err)
	}
	as := []store.Asset{a}
	if err := s.fillIdentifiers(ctx, op, tenantID, as); err != nil {
		return nil, err
	}
	return &as[0], nil
}

// ListAssets lists the tenant's assets by name.
func (s *Store) ListAssets(ctx context.Context, tenantID string, f store.AssetFilter) ([]store.Asset, error) {
	const op = "list assets"
	q := `SELECT ` + assetCols + ` FROM assets WHERE tenant_id = $1`
	args := []any{tenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		q += strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args)))
	}
	if f.SiteID != "" {
		add(` AND site_id = $?`, f.SiteID)
	}
	if f.Type != "" {
		add(` AND type = $?`, string(f.Type))
	}
	if f.Status != "" {
		add(` AND status = $?`, string(f.Status))
	}
	if f.Tag != "" {
		b, _ := json.Marshal(f.Tag)
		add(` AND tags LIKE $? ESCAPE '\'`, "%"+likeEscape(string(b))+"%")
	}
	if f.Text != "" {
		add(` AND (LOWER(name) LIKE $? ESCAPE '\' OR LOWER(owner) LIKE $? ESCAPE '\' OR LOWER(description) LIKE $? ESCAPE '\')`,
			"%"+likeEscape(strings.ToLower(f.Text))+"%")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, 10000)
	as, err := collect(ctx, s, op, q+` ORDER BY name, id LIMIT `+strconv.Itoa(limit), scanAsset, args...)
	if err != nil {
		return nil, err
	}
	if err := s.fillIdentifiers(ctx, op, tenantID, as); err != nil {
		return nil, err
	}
	return as, nil
}

func likeEscape(v string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
}

// UpdateAsset rewrites an asset of the tenant.
func (s *Store) UpdateAsset(ctx context.Context, a *store.Asset) error {
	const op = "update asset"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		ok, err := s.updateAsset(ctx, tx, op, a)
		if err == nil && !ok {
			err = s.notFound(op)
		}
		return err
	})
}

// DeleteAsset deletes an asset of the tenant.
func (s *Store) DeleteAsset(ctx context.Context, tenantID, id string) error {
	return s.execOne(ctx, "delete asset", `DELETE FROM assets WHERE id = $1 AND tenant_id = $2`, id, tenantID)
}

// ImportAssets creates or replaces assets in one transaction.
func (s *Store) ImportAssets(ctx context.Context, tenantID string, as []store.Asset) error {
	const op = "import assets"
	return s.inTx(ctx, op, func(tx *sql.Tx) error { return s.importAssets(ctx, tx, op, tenantID, as) })
}

func (s *Store) importAssets(ctx context.Context, tx *sql.Tx, op, tenantID string, as []store.Asset) error {
	for i := range as {
		a := &as[i]
		a.TenantID = tenantID
		if a.ID != "" {
			ok, err := s.updateAsset(ctx, tx, op, a)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
		}
		if err := s.insertAsset(ctx, tx, op, a); err != nil {
			return err
		}
	}
	return nil
}

// FindAssetsByIdentifier looks an identifier up through the
// (tenant_id, kind, value) index.
func (s *Store) FindAssetsByIdentifier(ctx context.Context, tenantID string, kind store.IdentifierKind, value string) ([]store.Asset, error) {
	const op = "find assets by identifier"
	v, ok := store.NormalizeIdentifier(kind, value)
	if !kind.Valid() || !ok {
		return nil, nil
	}
	as, err := collect(ctx, s, op, `SELECT `+assetColsA+` FROM asset_identifiers i JOIN assets a ON a.id = i.asset_id
		WHERE i.tenant_id = $1 AND i.kind = $2 AND i.value = $3 AND a.tenant_id = $1 ORDER BY a.name, a.id`,
		scanAsset, tenantID, string(kind), v)
	if err != nil {
		return nil, err
	}
	for i := range as {
		one := as[i : i+1]
		if err := s.fillIdentifiers(ctx, op, tenantID, one); err != nil {
			return nil, err
		}
	}
	return as, nil
}

// ---- boundaries ----

// ReplaceBoundaries replaces every boundary of a kind in one transaction.
func (s *Store) ReplaceBoundaries(ctx context.Context, kind string, bs []store.Boundary) error {
	const op = "replace boundaries"
	if kind == "" || !siteText(kind, 40) {
		return s.invalid(op, "bad kind")
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM geo_boundaries WHERE kind = $1`, kind); err != nil {
			return s.fail(op, err)
		}
		for i, b := range bs {
			if b.Properties == "" {
				b.Properties = "{}"
			}
			switch {
			case b.ID == "" || !siteText(b.ID, 100) || !siteText(b.Name, 200):
				return s.invalid(op, "boundary %d: bad id or name", i)
			case !jsonObject(b.Geometry) || !jsonObject(b.Properties):
				return s.invalid(op, "boundary %d: geometry or properties not a JSON object", i)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO geo_boundaries (id, kind, name, geometry, properties) VALUES ($1, $2, $3, $4, $5)`,
				b.ID, kind, b.Name, b.Geometry, b.Properties); err != nil {
				return s.fail(op, err)
			}
		}
		return nil
	})
}

// ListBoundaries lists the boundaries of a kind by name.
func (s *Store) ListBoundaries(ctx context.Context, kind string) ([]store.Boundary, error) {
	return collect(ctx, s, "list boundaries", `SELECT id, kind, name, geometry, properties FROM geo_boundaries WHERE kind = $1 ORDER BY name, id`,
		func(sc scanner) (store.Boundary, error) {
			var b store.Boundary
			err := sc.Scan(&b.ID, &b.Kind, &b.Name, &b.Geometry, &b.Properties)
			return b, err
		}, kind)
}
