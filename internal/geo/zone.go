package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// ZoneType classifies a zone.
type ZoneType string

// The zone types a site may use.
const (
	ZoneRestrictedArea    ZoneType = "restricted_area"
	ZoneQuay              ZoneType = "quay"
	ZoneBerth             ZoneType = "berth"
	ZoneGate              ZoneType = "gate"
	ZonePublicSpace       ZoneType = "public_space"
	ZoneParking           ZoneType = "parking"
	ZoneBuildingFootprint ZoneType = "building_footprint"
	ZonePerimeterFence    ZoneType = "perimeter_fence"
	ZoneMunicipality      ZoneType = "municipality"
	ZoneOther             ZoneType = "other"
)

// ZoneTypes returns every known zone type in a stable order.
func ZoneTypes() []ZoneType {
	return []ZoneType{
		ZoneRestrictedArea, ZoneQuay, ZoneBerth, ZoneGate, ZonePublicSpace,
		ZoneParking, ZoneBuildingFootprint, ZonePerimeterFence, ZoneMunicipality, ZoneOther,
	}
}

// Valid reports whether t is one of the known zone types.
func (t ZoneType) Valid() bool {
	switch t {
	case ZoneRestrictedArea, ZoneQuay, ZoneBerth, ZoneGate, ZonePublicSpace,
		ZoneParking, ZoneBuildingFootprint, ZonePerimeterFence, ZoneMunicipality, ZoneOther:
		return true
	}
	return false
}

// Zone is a named area of a site or a municipality boundary.
type Zone struct {
	ID         string
	Name       string
	Type       ZoneType
	SiteID     string
	Properties map[string]any
	// Geometry is the zone's area in WGS84 [lon, lat]; the first ring of
	// each polygon is the outer boundary and the others are holes. Rings
	// may be closed (first position repeated) or not.
	Geometry orb.MultiPolygon
}

// Errors reported by this package.
var (
	ErrInvalidZone = errors.New("invalid zone")
	ErrNotFound    = errors.New("zone not found")
	ErrDuplicateID = errors.New("duplicate zone id")
)

// Validate reports whether z can be indexed; the error wraps ErrInvalidZone.
func (z *Zone) Validate() error {
	if z.ID == "" {
		return fmt.Errorf("geo: %w: empty id", ErrInvalidZone)
	}
	if !z.Type.Valid() {
		return fmt.Errorf("geo: %w: zone %q: unknown type %q", ErrInvalidZone, z.ID, z.Type)
	}
	if len(z.Geometry) == 0 {
		return fmt.Errorf("geo: %w: zone %q: empty geometry", ErrInvalidZone, z.ID)
	}
	for i, p := range z.Geometry {
		if len(p) == 0 {
			return fmt.Errorf("geo: %w: zone %q: polygon %d has no rings", ErrInvalidZone, z.ID, i)
		}
		for j, r := range p {
			if err := ValidateRing(r); err != nil {
				return fmt.Errorf("geo: %w: zone %q: polygon %d ring %d: %w", ErrInvalidZone, z.ID, i, j, err)
			}
		}
	}
	return nil
}

// ValidateRing checks that r has at least three distinct positions and that
// every coordinate is a finite WGS84 longitude/latitude.
func ValidateRing(r orb.Ring) error {
	if !threeDistinct(r) {
		return errors.New("ring has fewer than 3 distinct positions")
	}
	for _, pt := range r {
		if err := ValidatePoint(pt); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePoint checks that pt is a finite WGS84 [lon, lat] position.
func ValidatePoint(pt orb.Point) error {
	lon, lat := pt[0], pt[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return fmt.Errorf("coordinate [%g, %g] out of range", lon, lat)
	}
	return nil
}

func threeDistinct(r orb.Ring) bool {
	if len(r) < 3 {
		return false
	}
	a, i := r[0], 1
	for i < len(r) && r[i] == a {
		i++
	}
	if i == len(r) {
		return false
	}
	b := r[i]
	for _, c := range r[i+1:] {
		if c != a && c != b {
			return true
		}
	}
	return false
}
