package geo

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/paulmach/orb"
)

// maxMunicipalityBytes bounds LoadMunicipalities' input (a whole Italian
// region's municipalities is a few tens of MB).
const maxMunicipalityBytes = 256 << 20

// LoadMunicipalities reads a GeoJSON FeatureCollection of municipality
// boundaries in the openpolis/geojson-italy layout (properties name,
// com_istat_code, prov_acr, …) and returns one zone of type
// ZoneMunicipality per feature, with ID "istat:<com_istat_code>" (or the
// feature id or name when the code is absent) and all properties kept.
func LoadMunicipalities(r io.Reader) ([]Zone, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMunicipalityBytes+1))
	if err != nil {
		return nil, fmt.Errorf("geo: read municipalities: %w", err)
	}
	if len(data) > maxMunicipalityBytes {
		return nil, fmt.Errorf("geo: municipalities: input larger than %d bytes", maxMunicipalityBytes)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			ID         any            `json:"id"`
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("geo: decode municipalities: %w", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("geo: decode municipalities: type %q is not a FeatureCollection", fc.Type)
	}
	zones := make([]Zone, 0, len(fc.Features))
	seen := make(map[string]bool, len(fc.Features))
	for i, f := range fc.Features {
		var mp orb.MultiPolygon
		switch f.Geometry.Type {
		case "Polygon":
			var p orb.Polygon
			if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
				return nil, fmt.Errorf("geo: municipality feature %d: %w", i, err)
			}
			mp = orb.MultiPolygon{p}
		case "MultiPolygon":
			if err := json.Unmarshal(f.Geometry.Coordinates, &mp); err != nil {
				return nil, fmt.Errorf("geo: municipality feature %d: %w", i, err)
			}
		default:
			return nil, fmt.Errorf("geo: municipality feature %d: geometry type %q is not a polygon", i, f.Geometry.Type)
		}
		name, _ := f.Properties["name"].(string)
		id := ""
		if code, ok := f.Properties["com_istat_code"].(string); ok && code != "" {
			id = "istat:" + code
		} else if fid, ok := f.ID.(string); ok && fid != "" {
			id = fid
		} else {
			id = name
		}
		if seen[id] {
			return nil, fmt.Errorf("geo: municipality feature %d: %w: %q", i, ErrDuplicateID, id)
		}
		seen[id] = true
		z := Zone{ID: id, Name: name, Type: ZoneMunicipality, Properties: f.Properties, Geometry: mp}
		if err := z.Validate(); err != nil {
			return nil, fmt.Errorf("geo: municipality feature %d: %w", i, err)
		}
		zones = append(zones, z)
	}
	return zones, nil
}
