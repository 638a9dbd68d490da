// Package plan converts a site plan between its stored form (store.Site,
// store.SiteFeature, store.Building, store.Asset) and the formats it is
// exchanged in: GeoJSON FeatureCollections (through site/geojsonio), IFC
// building models (through site/ifc) and the geo.Zone values the geo index
// answers queries on.
//
// In GeoJSON, zones, points and lines are features with properties type
// and name; indoor features carry building_id and storey_id. Assets are
// Point features with the property layer "asset" and their inventory
// fields as properties, so an export read back gives the same assets.
package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/geo"
	"github.com/vedetta-sec/vedetta/internal/site/geojsonio"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Property names used by the conversions.
const (
	PropLayer      = "layer" // "asset" on asset points
	PropBuildingID = "building_id"
	PropStoreyID   = "storey_id"

	LayerAsset = "asset"
)

// ErrInvalid is wrapped by the conversion errors about content.
var ErrInvalid = errors.New("plan: invalid site plan")

// Geometry parses a stored GeoJSON geometry text (Point, LineString,
// MultiLineString, Polygon or MultiPolygon).
func Geometry(text string) (orb.Geometry, error) {
	var raw struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("plan: geometry: %w: %w", ErrInvalid, err)
	}
	var g orb.Geometry
	var err error
	switch raw.Type {
	case "Point":
		var v orb.Point
		if err = json.Unmarshal(raw.Coordinates, &v); err == nil {
			g = v
		}
	case "LineString":
		var v orb.LineString
		if err = json.Unmarshal(raw.Coordinates, &v); err == nil {
			g = v
		}
	case "MultiLineString":
		var v orb.MultiLineString
		if err = json.Unmarshal(raw.Coordinates, &v); err == nil {
			g = v
		}
	case "Polygon":
		var v orb.Polygon
		if err = json.Unmarshal(raw.Coordinates, &v); err == nil {
			g = v
		}
	case "MultiPolygon":
		var v orb.MultiPolygon
		if err = json.Unmarshal(raw.Coordinates, &v); err == nil {
			g = v
		}
	default:
		return nil, fmt.Errorf("plan: geometry: %w: unsupported type %q", ErrInvalid, raw.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("plan: geometry: %w: %s coordinates: %w", ErrInvalid, raw.Type, err)
	}
	return g, nil
}

// GeometryText encodes a geometry as a GeoJSON geometry object.
func GeometryText(g orb.Geometry) (string, error) {
	b, err := json.Marshal(struct {
		Type        string       `json:"type"`
		Coordinates orb.Geometry `json:"coordinates"`
	}{g.GeoJSONType(), g})
	if err != nil {
		return "", fmt.Errorf("plan: encode geometry: %w", err)
	}
	return string(b), nil
}

// KindOf returns the feature kind of a geometry.
func KindOf(g orb.Geometry) (store.FeatureKind, bool) {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return store.FeatureZone, true
	case orb.Point:
		return store.FeaturePoint, true
	case orb.LineString, orb.MultiLineString:
		return store.FeatureLine, true
	}
	return "", false
}

// ValidateFeature checks a feature's geometry and type with the rules of
// geojsonio (closed rings in range, a known zone type for zones) and sets
// its Kind from the geometry.
func ValidateFeature(f *store.SiteFeature) error {
	g, err := Geometry(f.Geometry)
	if err != nil {
		return err
	}
	kind, ok := KindOf(g)
	if !ok {
		return fmt.Errorf("plan: %w: geometry %s cannot be a site feature", ErrInvalid, g.GeoJSONType())
	}
	gf := geojsonio.Feature{Type: f.Type, Geometry: g}
	if err := geojsonio.Validate(&gf); err != nil {
		return fmt.Errorf("plan: %w: %w", ErrInvalid, err)
	}
	if f.Properties != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(f.Properties), &m); err != nil || m == nil {
			return fmt.Errorf("plan: %w: properties are not a JSON object", ErrInvalid)
		}
	}
	f.Kind = kind
	return nil
}

// Zones converts the zone features of a tenant into geo zones. Features
// that are not zones are skipped; a zone whose stored geometry does not
// parse is an error.
func Zones(fs []store.SiteFeature) ([]geo.Zone, error) {
	var zs []geo.Zone
	for _, f := range fs {
		if f.Kind != store.FeatureZone {
			continue
		}
		g, err := Geometry(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("plan: zone %s: %w", f.ID, err)
		}
		var mp orb.MultiPolygon
		switch g := g.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		default:
			return nil, fmt.Errorf("plan: zone %s: %w: %s is not a polygon", f.ID, ErrInvalid, g.GeoJSONType())
		}
		props := map[string]any{}
		_ = json.Unmarshal([]byte(f.Properties), &props)
		if f.BuildingID != "" {
			props[PropBuildingID] = f.BuildingID
			props[PropStoreyID] = f.StoreyID
		}
		zs = append(zs, geo.Zone{ID: f.ID, Name: f.Name, Type: geo.ZoneType(f.Type), SiteID: f.SiteID, Properties: props, Geometry: mp})
	}
	return zs, nil
}

// BoundaryZones converts stored boundaries into municipality zones.
func BoundaryZones(bs []store.Boundary) ([]geo.Zone, error) {
	zs := make([]geo.Zone, 0, len(bs))
	for _, b := range bs {
		g, err := Geometry(b.Geometry)
		if err != nil {
			return nil, fmt.Errorf("plan: boundary %s: %w", b.ID, err)
		}
		var mp orb.MultiPolygon
		switch g := g.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		default:
			return nil, fmt.Errorf("plan: boundary %s: %w: not a polygon", b.ID, ErrInvalid)
		}
		props := map[string]any{}
		_ = json.Unmarshal([]byte(b.Properties), &props)
		zs = append(zs, geo.Zone{ID: b.ID, Name: b.Name, Type: geo.ZoneMunicipality, Properties: props, Geometry: mp})
	}
	return zs, nil
}

// Boundaries converts municipality zones (geo.LoadMunicipalities) into
// boundaries for the store.
func Boundaries(zs []geo.Zone) ([]store.Boundary, error) {
	out := make([]store.Boundary, 0, len(zs))
	for _, z := range zs {
		var g orb.Geometry = z.Geometry
		if len(z.Geometry) == 1 {
			g = z.Geometry[0]
		}
		text, err := GeometryText(g)
		if err != nil {
			return nil, err
		}
		props, err := json.Marshal(z.Properties)
		if err != nil || z.Properties == nil {
			props = []byte("{}")
		}
		out = append(out, store.Boundary{ID: z.ID, Kind: string(geo.ZoneMunicipality), Name: z.Name, Geometry: text, Properties: string(props)})
	}
	return out, nil
}

// Export converts features and the assets that have a point into GeoJSON
// features, in that order.
func Export(fs []store.SiteFeature, as []store.Asset) ([]geojsonio.Feature, error) {
	out := make([]geojsonio.Feature, 0, len(fs)+len(as))
	for _, f := range fs {
		g, err := Geometry(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("plan: feature %s: %w", f.ID, err)
		}
		props := map[string]any{}
		if f.Properties != "" {
			if err := json.Unmarshal([]byte(f.Properties), &props); err != nil {
				return nil, fmt.Errorf("plan: feature %s: %w: properties: %w", f.ID, ErrInvalid, err)
			}
		}
		if f.BuildingID != "" {
			props[PropBuildingID] = f.BuildingID
		}
		if f.StoreyID != "" {
			props[PropStoreyID] = f.StoreyID
		}
		out = append(out, geojsonio.Feature{ID: f.ID, Type: f.Type, Name: f.Name, SiteID: f.SiteID, Geometry: g, Properties: props})
	}
	for _, a := range as {
		if !a.HasPoint {
			continue
		}
		out = append(out, AssetFeature(a))
	}
	return out, nil
}

// AssetFeature is the GeoJSON Point feature of an asset with a point.
func AssetFeature(a store.Asset) geojsonio.Feature {
	props := map[string]any{
		PropLayer:     LayerAsset,
		"criticality": a.Criticality,
		"status":      string(a.Status),
	}
	set := func(k, v string) {
		if v != "" {
			props[k] = v
		}
	}
	set("owner", a.Owner)
	set("description", a.Description)
	set("zone_id", a.ZoneID)
	set(PropStoreyID, a.StoreyID)
	set("space_id", a.SpaceID)
	if len(a.Tags) > 0 {
		props["tags"] = slices.Clone(a.Tags)
	}
	if len(a.Identifiers) > 0 {
		ids := map[string][]string{}
		for _, id := range a.Identifiers {
			ids[string(id.Kind)] = append(ids[string(id.Kind)], id.Value)
		}
		props["identifiers"] = ids
	}
	return geojsonio.Feature{ID: a.ID, Type: string(a.Type), Name: a.Name, SiteID: a.SiteID, Geometry: orb.Point{a.Lon, a.Lat}, Properties: props}
}

// Import splits GeoJSON features into site features and assets. Every
// feature that is not a valid asset or feature is reported in a
// *geojsonio.ValidationError and nothing is returned.
func Import(fs []geojsonio.Feature) ([]store.SiteFeature, []store.Asset, error) {
	var feats []store.SiteFeature
	var assets []store.Asset
	var bad []geojsonio.FeatureError
	for i, f := range fs {
		if layer, _ := f.Properties[PropLayer].(string); layer == LayerAsset {
			a, err := assetFrom(f)
			if err != nil {
				bad = append(bad, geojsonio.FeatureError{Index: i, ID: f.ID, Reason: err.Error()})
				continue
			}
			assets = append(assets, a)
			continue
		}
		sf, err := featureFrom(f)
		if err != nil {
			bad = append(bad, geojsonio.FeatureError{Index: i, ID: f.ID, Reason: err.Error()})
			continue
		}
		feats = append(feats, sf)
	}
	if bad != nil {
		return nil, nil, &geojsonio.ValidationError{Features: bad}
	}
	return feats, assets, nil
}

func featureFrom(f geojsonio.Feature) (store.SiteFeature, error) {
	kind, ok := KindOf(f.Geometry)
	if !ok {
		return store.SiteFeature{}, fmt.Errorf("geometry %T cannot be a site feature", f.Geometry)
	}
	text, err := GeometryText(f.Geometry)
	if err != nil {
		return store.SiteFeature{}, err
	}
	props := map[string]any{}
	var building, storey string
	for k, v := range f.Properties {
		switch k {
		case PropBuildingID, PropStoreyID:
			s, ok := v.(string)
			if !ok {
				return store.SiteFeature{}, fmt.Errorf("property %s is not a string", k)
			}
			if k == PropBuildingID {
				building = s
			} else {
				storey = s
			}
		default:
			props[k] = v
		}
	}
	pb, err := json.Marshal(props)
	if err != nil {
		return store.SiteFeature{}, fmt.Errorf("properties: %w", err)
	}
	if len(f.Name) > 200 {
		return store.SiteFeature{}, errors.New("name longer than 200 bytes")
	}
	return store.SiteFeature{ID: f.ID, SiteID: f.SiteID, Kind: kind, Type: f.Type, Name: f.Name, Geometry: text,
		Properties: string(pb), BuildingID: building, StoreyID: storey}, nil
}

func assetFrom(f geojsonio.Feature) (store.Asset, error) {
	pt, ok := f.Geometry.(orb.Point)
	if !ok {
		return store.Asset{}, errors.New("an asset must be a Point")
	}
	a := store.Asset{ID: f.ID, Name: f.Name, Type: store.AssetType(f.Type), SiteID: f.SiteID, HasPoint: true, Lon: pt[0], Lat: pt[1],
		Criticality: 3, Status: store.AssetActive}
	str := func(k string) (string, error) {
		v, ok := f.Properties[k]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("property %s is not a string", k)
		}
		return s, nil
	}
	var err error
	for _, p := range []struct {
		k   string
		dst *string
	}{{"owner", &a.Owner}, {"description", &a.Description}, {"zone_id", &a.ZoneID}, {PropStoreyID, &a.StoreyID}, {"space_id", &a.SpaceID}} {
		if *p.dst, err = str(p.k); err != nil {
			return a, err
		}
	}
	if s, err := str("status"); err != nil {
		return a, err
	} else if s != "" {
		a.Status = store.AssetStatus(s)
	}
	if v, ok := f.Properties["criticality"]; ok {
		n, ok := v.(float64)
		if !ok || n != float64(int(n)) {
			return a, errors.New("property criticality is not a whole number")
		}
		a.Criticality = int(n)
	}
	if v, ok := f.Properties["tags"]; ok {
		list, ok := v.([]any)
		if !ok {
			return a, errors.New("property tags is not a list")
		}
		for _, t := range list {
			s, ok := t.(string)
			if !ok {
				return a, errors.New("property tags holds a non-string")
			}
			a.Tags = append(a.Tags, s)
		}
	}
	if v, ok := f.Properties["identifiers"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return a, errors.New("property identifiers is not an object")
		}
		kinds := make([]string, 0, len(m))
		for k := range m {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			kind := store.IdentifierKind(k)
			if !kind.Valid() {
				return a, fmt.Errorf("unknown identifier kind %q", k)
			}
			list, ok := m[k].([]any)
			if !ok {
				return a, fmt.Errorf("identifiers.%s is not a list", k)
			}
			for _, x := range list {
				s, ok := x.(string)
				if !ok {
					return a, fmt.Errorf("identifiers.%s holds a non-string", k)
				}
				n, ok := store.NormalizeIdentifier(kind, s)
				if !ok {
					return a, fmt.Errorf("malformed %s %q", k, s)
				}
				a.Identifiers = append(a.Identifiers, store.Identifier{Kind: kind, Value: n})
			}
		}
	}
	switch {
	case !a.Type.Valid():
		return a, fmt.Errorf("unknown asset type %q", a.Type)
	case a.Name == "":
		return a, errors.New("an asset needs a name")
	case a.Criticality < 1 || a.Criticality > 5:
		return a, fmt.Errorf("criticality %d not in 1-5", a.Criticality)
	case !a.Status.Valid():
		return a, fmt.Errorf("unknown status %q", a.Status)
	}
	return a, nil
}
