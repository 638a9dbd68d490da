package plan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/site/ifc"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// ErrNotGeoreferenced is returned for an IFC model that cannot be placed
// on the map.
var ErrNotGeoreferenced = errors.New("plan: the IFC model is not georeferenced (no IfcMapConversion and no site latitude/longitude)")

// AssetTypeOfElement infers the asset type of an IFC element; ok is false
// for elements that are not assets (doors, walls, furniture, …).
func AssetTypeOfElement(e ifc.Element) (store.AssetType, bool) {
	text := strings.ToLower(e.Name + " " + e.Tag)
	switch e.Kind {
	case "camera":
		return store.AssetCamera, true
	case "sensor", "alarm":
		return store.AssetSensor, true
	case "control":
		if strings.Contains(text, "gate") || strings.Contains(text, "cancello") || strings.Contains(text, "varco") {
			return store.AssetGateController, true
		}
		return store.AssetSensor, true
	case "access_control", "controller":
		if strings.Contains(text, "gate") || strings.Contains(text, "cancello") || strings.Contains(text, "varco") || strings.Contains(text, "sbarra") {
			return store.AssetGateController, true
		}
		return store.AssetDoorController, true
	case "actuator":
		return store.AssetGateController, true
	case "communications":
		if strings.Contains(text, "ais") {
			return store.AssetAISReceiver, true
		}
		return store.AssetNetworkDevice, true
	}
	return "", false
}

// pointFeatureKinds are the IFC element kinds that become indoor point
// features rather than assets.
var pointFeatureKinds = map[string]bool{"door": true}

// FromIFC turns a georeferenced IFC model into building imports for a
// site: one per IfcBuilding, with storeys ordered by elevation, spaces with
// their footprints, doors as point features and devices (cameras, sensors,
// controllers, …) as assets placed on their storey and space. Devices
// contained directly in the IfcSite go with the first building, outdoors.
// Ids are assigned here so features and assets can name their storey.
func FromIFC(m *ifc.Model, siteID string) ([]store.BuildingImport, error) {
	if m.Georef == "" {
		return nil, ErrNotGeoreferenced
	}
	if len(m.Buildings) == 0 {
		return nil, fmt.Errorf("plan: %w: the IFC model has no IfcBuilding", ErrInvalid)
	}
	var out []store.BuildingImport
	for bi, b := range m.Buildings {
		name := firstNonEmpty(b.Name, b.LongName, fmt.Sprintf("Building %d", bi+1))
		imp := store.BuildingImport{Building: store.Building{
			ID: newID(), SiteID: siteID, Name: name, Source: "ifc", ExternalID: b.GlobalID, Lon: b.Point[0], Lat: b.Point[1],
		}}
		storeys := slices.Clone(b.Storeys)
		slices.SortStableFunc(storeys, func(x, y ifc.Storey) int { return cmp.Compare(x.Elevation, y.Elevation) })
		for si, st := range storeys {
			sst := store.Storey{ID: newID(), Name: firstNonEmpty(st.Name, st.LongName, fmt.Sprintf("Storey %d", si)),
				Elevation: st.Elevation, Ordinal: si, ExternalID: st.GlobalID}
			spaceIDs := map[string]string{}
			for _, sp := range st.Spaces {
				ssp := store.Space{ID: newID(), Name: firstNonEmpty(sp.Name, sp.LongName, "?"), LongName: sp.LongName,
					ExternalID: sp.GlobalID, Lon: sp.Point[0], Lat: sp.Point[1]}
				if len(sp.Footprint) > 0 {
					text, err := GeometryText(closePolygon(sp.Footprint))
					if err != nil {
						return nil, err
					}
					ssp.Geometry = text
				}
				spaceIDs[sp.Name] = ssp.ID
				sst.Spaces = append(sst.Spaces, ssp)
			}
			imp.Building.Storeys = append(imp.Building.Storeys, sst)
			for _, e := range st.Elements {
				if err := addElement(&imp, e, sst.ID, spaceIDs[e.Space]); err != nil {
					return nil, err
				}
			}
		}
		for _, e := range b.Elements {
			if err := addElement(&imp, e, "", ""); err != nil {
				return nil, err
			}
		}
		if bi == 0 {
			for _, e := range m.Site.Elements {
				if err := addElement(&imp, e, "", ""); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, imp)
	}
	return out, nil
}

func addElement(imp *store.BuildingImport, e ifc.Element, storeyID, spaceID string) error {
	name := firstNonEmpty(e.Name, e.Tag, e.Kind)
	if pointFeatureKinds[e.Kind] {
		if storeyID == "" {
			return nil // an outdoor door has no indoor layer to go to
		}
		geom, err := GeometryText(e.Point)
		if err != nil {
			return err
		}
		props := fmt.Sprintf(`{"ifc_global_id":%q,"tag":%q}`, e.GlobalID, e.Tag)
		imp.Features = append(imp.Features, store.SiteFeature{Kind: store.FeaturePoint, Type: e.Kind, Name: name,
			Geometry: geom, Properties: props, StoreyID: storeyID})
		return nil
	}
	typ, ok := AssetTypeOfElement(e)
	if !ok {
		return nil
	}
	a := store.Asset{Name: name, Type: typ, Criticality: 3, Status: store.AssetActive, HasPoint: true, Lon: e.Point[0], Lat: e.Point[1],
		StoreyID: storeyID, SpaceID: spaceID, Tags: []string{"ifc"},
		Description: strings.TrimSpace(fmt.Sprintf("IFC %s %s", e.Type, e.GlobalID))}
	if e.Tag != "" {
		kind := store.IdentSerial
		if typ == store.AssetCamera {
			kind = store.IdentCameraID
		}
		if v, ok := store.NormalizeIdentifier(kind, e.Tag); ok {
			a.Identifiers = append(a.Identifiers, store.Identifier{Kind: kind, Value: v})
		}
	}
	imp.Assets = append(imp.Assets, a)
	return nil
}

func closePolygon(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		if len(r) > 0 && r[0] != r[len(r)-1] {
			r = append(r[:len(r):len(r)], r[0])
		}
		out[i] = r
	}
	return out
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// newID returns a time-ordered UUIDv7, like the store's own ids.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
