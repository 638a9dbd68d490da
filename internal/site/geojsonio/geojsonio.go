// Package geojsonio reads and writes the GeoJSON FeatureCollections that
// hold a site's layers: zones (Polygon, MultiPolygon), points of interest
// (Point) and lines (LineString, MultiLineString).
//
// Reading is all-or-nothing: either every feature is valid and all are
// returned, or a *ValidationError lists every bad feature by index and
// reason. Positions are WGS84 [lon, lat]; an altitude, if present, is
// dropped. Write validates too, so it never produces a file Read rejects.
package geojsonio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/vedetta-sec/vedetta/internal/geo"
)

// Property names with a meaning of their own.
const (
	PropType   = "type"    // required: a zone type, or a point/line kind
	PropName   = "name"    // optional display name
	PropSiteID = "site_id" // optional owning site
)

// Default limits for Options.
const (
	DefaultMaxBytes    = 64 << 20
	DefaultMaxFeatures = 200_000
)

// ErrInvalid is wrapped by every error about the content of the input.
var ErrInvalid = errors.New("invalid GeoJSON")

// Feature is one feature of a site layer.
type Feature struct {
	// ID is the feature's "id" (a number is kept as its decimal text).
	ID string
	// Type is properties.type: a geo.ZoneType for polygons, a lowercase
	// kind such as "camera" or "fence" for points and lines.
	Type   string
	Name   string
	SiteID string
	// Geometry is an orb.Point, orb.LineString, orb.MultiLineString,
	// orb.Polygon or orb.MultiPolygon with closed rings.
	Geometry orb.Geometry
	// Properties are the other properties, as decoded by encoding/json.
	Properties map[string]any
}

// Options bound what Read accepts; zero fields take the defaults.
type Options struct {
	MaxBytes    int64
	MaxFeatures int
}

// FeatureError is why one feature was rejected.
type FeatureError struct {
	Index  int
	ID     string
	Reason string
}

func (e FeatureError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("feature %d (id %q): %s", e.Index, e.ID, e.Reason)
	}
	return fmt.Sprintf("feature %d: %s", e.Index, e.Reason)
}

// ValidationError lists every rejected feature.
type ValidationError struct {
	Features []FeatureError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Features))
	for i, f := range e.Features {
		parts[i] = f.Error()
	}
	return fmt.Sprintf("geojsonio: %d invalid feature(s): %s", len(e.Features), strings.Join(parts, "; "))
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

type rawCollection struct {
	Type     string            `json:"type"`
	Features []json.RawMessage `json:"features"`
}

type rawFeature struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

type rawGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// Read decodes and validates a FeatureCollection.
func Read(r io.Reader, opts Options) ([]Feature, error) {
	maxBytes, maxFeatures := opts.MaxBytes, opts.MaxFeatures
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxFeatures <= 0 {
		maxFeatures = DefaultMaxFeatures
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("geojsonio: read: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("geojsonio: %w: input larger than %d bytes", ErrInvalid, maxBytes)
	}
	var fc rawCollection
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("geojsonio: %w: %w", ErrInvalid, err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("geojsonio: %w: type %q is not a FeatureCollection", ErrInvalid, fc.Type)
	}
	if len(fc.Features) > maxFeatures {
		return nil, fmt.Errorf("geojsonio: %w: %d features, more than %d", ErrInvalid, len(fc.Features), maxFeatures)
	}
	out := make([]Feature, 0, len(fc.Features))
	var bad []FeatureError
	seen := make(map[string]int, len(fc.Features))
	for i, raw := range fc.Features {
		f, err := decodeFeature(raw)
		if err == nil {
			err = Validate(&f)
		}
		if err == nil && f.ID != "" {
			if j, dup := seen[f.ID]; dup {
				err = fmt.Errorf("duplicate id (also feature %d)", j)
			} else {
				seen[f.ID] = i
			}
		}
		if err != nil {
			bad = append(bad, FeatureError{Index: i, ID: f.ID, Reason: err.Error()})
			continue
		}
		out = append(out, f)
	}
	if bad != nil {
		return nil, &ValidationError{Features: bad}
	}
	return out, nil
}

func decodeFeature(raw json.RawMessage) (Feature, error) {
	var f Feature
	var rf rawFeature
	if err := json.Unmarshal(raw, &rf); err != nil {
		return f, fmt.Errorf("not a feature object: %w", err)
	}
	id, err := decodeID(rf.ID)
	f.ID = id
	if err != nil {
		return f, err
	}
	if rf.Type != "Feature" {
		return f, fmt.Errorf("type %q is not Feature", rf.Type)
	}
	if len(rf.Properties) > 0 && !bytes.Equal(rf.Properties, []byte("null")) {
		if err := json.Unmarshal(rf.Properties, &f.Properties); err != nil {
			return f, fmt.Errorf("properties: %w", err)
		}
	}
	var ok bool
	if v, present := f.Properties[PropType]; present {
		if f.Type, ok = v.(string); !ok {
			return f, errors.New("property type is not a string")
		}
	}
	if v, present := f.Properties[PropName]; present {
		if f.Name, ok = v.(string); !ok {
			return f, errors.New("property name is not a string")
		}
	}
	if v, present := f.Properties[PropSiteID]; present {
		if f.SiteID, ok = v.(string); !ok {
			return f, errors.New("property site_id is not a string")
		}
	}
	delete(f.Properties, PropType)
	delete(f.Properties, PropName)
	delete(f.Properties, PropSiteID)
	if len(f.Properties) == 0 {
		f.Properties = nil
	}
	if len(rf.Geometry) == 0 || bytes.Equal(rf.Geometry, []byte("null")) {
		return f, errors.New("missing geometry")
	}
	f.Geometry, err = decodeGeometry(rf.Geometry)
	return f, err
}

func decodeID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", errors.New("id is neither a string nor a number")
}

func decodeGeometry(raw json.RawMessage) (orb.Geometry, error) {
	var g rawGeometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	bad := func(err error) (orb.Geometry, error) {
		return nil, fmt.Errorf("%s coordinates: %w", g.Type, err)
	}
	switch g.Type {
	case "Point":
		var c []float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return bad(err)
		}
		p, err := position(c)
		if err != nil {
			return bad(err)
		}
		return p, nil
	case "LineString":
		var c [][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return bad(err)
		}
		ls, err := lineString(c)
		if err != nil {
			return bad(err)
		}
		return ls, nil
	case "MultiLineString":
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return bad(err)
		}
		if len(c) == 0 {
			return bad(errors.New("no lines"))
		}
		mls := make(orb.MultiLineString, len(c))
		for i, l := range c {
			ls, err := lineString(l)
			if err != nil {
				return bad(fmt.Errorf("line %d: %w", i, err))
			}
			mls[i] = ls
		}
		return mls, nil
	case "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return bad(err)
		}
		p, err := polygon(c)
		if err != nil {
			return bad(err)
		}
		return p, nil
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return bad(err)
		}
		if len(c) == 0 {
			return bad(errors.New("no polygons"))
		}
		mp := make(orb.MultiPolygon, len(c))
		for i, pc := range c {
			p, err := polygon(pc)
			if err != nil {
				return bad(fmt.Errorf("polygon %d: %w", i, err))
			}
			mp[i] = p
		}
		return mp, nil
	case "":
		return nil, errors.New("geometry without type")
	default:
		return nil, fmt.Errorf("unsupported geometry type %q", g.Type)
	}
}

func position(c []float64) (orb.Point, error) {
	if len(c) < 2 || len(c) > 3 {
		return orb.Point{}, fmt.Errorf("position has %d numbers, want 2 or 3", len(c))
	}
	p := orb.Point{c[0], c[1]}
	return p, geo.ValidatePoint(p)
}

func lineString(c [][]float64) (orb.LineString, error) {
	if len(c) < 2 {
		return nil, fmt.Errorf("line has %d positions, want at least 2", len(c))
	}
	ls := make(orb.LineString, len(c))
	for i, pc := range c {
		p, err := position(pc)
		if err != nil {
			return nil, err
		}
		ls[i] = p
	}
	return ls, nil
}

func polygon(c [][][]float64) (orb.Polygon, error) {
	if len(c) == 0 {
		return nil, errors.New("polygon has no rings")
	}
	p := make(orb.Polygon, len(c))
	for i, rc := range c {
		r := make(orb.Ring, len(rc))
		for j, pc := range rc {
			pt, err := position(pc)
			if err != nil {
				return nil, fmt.Errorf("ring %d: %w", i, err)
			}
			r[j] = pt
		}
		p[i] = r
	}
	return p, nil
}

// Validate checks a feature's geometry and type; Read and Write call it.
func Validate(f *Feature) error {
	switch g := f.Geometry.(type) {
	case orb.Point:
		if err := geo.ValidatePoint(g); err != nil {
			return err
		}
		return validateKind(f.Type)
	case orb.LineString:
		if _, err := lineString(toCoords(g)); err != nil {
			return err
		}
		return validateKind(f.Type)
	case orb.MultiLineString:
		if len(g) == 0 {
			return errors.New("MultiLineString has no lines")
		}
		for i, ls := range g {
			if _, err := lineString(toCoords(ls)); err != nil {
				return fmt.Errorf("line %d: %w", i, err)
			}
		}
		return validateKind(f.Type)
	case orb.Polygon:
		if err := validatePolygon(g); err != nil {
			return err
		}
		return validateZoneType(f.Type)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return errors.New("MultiPolygon has no polygons")
		}
		for i, p := range g {
			if err := validatePolygon(p); err != nil {
				return fmt.Errorf("polygon %d: %w", i, err)
			}
		}
		return validateZoneType(f.Type)
	case nil:
		return errors.New("missing geometry")
	default:
		return fmt.Errorf("unsupported geometry %T", f.Geometry)
	}
}

func toCoords(ls orb.LineString) [][]float64 {
	c := make([][]float64, len(ls))
	for i, p := range ls {
		c[i] = []float64{p[0], p[1]}
	}
	return c
}

func validatePolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return errors.New("polygon has no rings")
	}
	for i, r := range p {
		if len(r) < 4 {
			return fmt.Errorf("ring %d has %d positions, want at least 4", i, len(r))
		}
		if r[0] != r[len(r)-1] {
			return fmt.Errorf("ring %d: unclosed ring", i)
		}
		if err := geo.ValidateRing(r); err != nil {
			return fmt.Errorf("ring %d: %w", i, err)
		}
	}
	return nil
}

func validateZoneType(t string) error {
	if t == "" {
		return errors.New("missing required property type")
	}
	if !geo.ZoneType(t).Valid() {
		return fmt.Errorf("unknown zone type %q", t)
	}
	return nil
}

// validateKind accepts a lowercase identifier such as "camera" or
// "perimeter_fence".
func validateKind(t string) error {
	if t == "" {
		return errors.New("missing required property type")
	}
	if len(t) > 64 {
		return errors.New("type longer than 64 bytes")
	}
	for i, c := range t {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Errorf("type %q is not a lowercase identifier", t)
		}
	}
	return nil
}

type outFeature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id,omitempty"`
	Geometry   outGeometry    `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type outGeometry struct {
	Type        string       `json:"type"`
	Coordinates orb.Geometry `json:"coordinates"`
}

// Write encodes features as a FeatureCollection. It validates them all
// first and writes nothing if any is invalid.
func Write(w io.Writer, fs []Feature) error {
	var bad []FeatureError
	seen := make(map[string]int, len(fs))
	for i := range fs {
		err := Validate(&fs[i])
		if err == nil && fs[i].ID != "" {
			if j, dup := seen[fs[i].ID]; dup {
				err = fmt.Errorf("duplicate id (also feature %d)", j)
			} else {
				seen[fs[i].ID] = i
			}
		}
		if err != nil {
			bad = append(bad, FeatureError{Index: i, ID: fs[i].ID, Reason: err.Error()})
		}
	}
	if bad != nil {
		return &ValidationError{Features: bad}
	}
	var buf bytes.Buffer
	buf.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, f := range fs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n")
		props := make(map[string]any, len(f.Properties)+3)
		for k, v := range f.Properties {
			props[k] = v
		}
		props[PropType] = f.Type
		if f.Name != "" {
			props[PropName] = f.Name
		}
		if f.SiteID != "" {
			props[PropSiteID] = f.SiteID
		}
		b, err := json.Marshal(outFeature{
			Type:       "Feature",
			ID:         f.ID,
			Geometry:   outGeometry{Type: f.Geometry.GeoJSONType(), Coordinates: f.Geometry},
			Properties: props,
		})
		if err != nil {
			return fmt.Errorf("geojsonio: feature %d: %w", i, err)
		}
		buf.Write(b)
	}
	buf.WriteString("\n]}\n")
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("geojsonio: write: %w", err)
	}
	return nil
}

// ToZones converts polygonal features to zones; the error lists every
// feature that is not a valid zone. A feature without an id gets
// "<prefix><index>".
func ToZones(fs []Feature, idPrefix string) ([]geo.Zone, error) {
	var bad []FeatureError
	zones := make([]geo.Zone, 0, len(fs))
	for i, f := range fs {
		var mp orb.MultiPolygon
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			mp = g
		default:
			bad = append(bad, FeatureError{Index: i, ID: f.ID, Reason: fmt.Sprintf("geometry %s is not a zone", f.Geometry.GeoJSONType())})
			continue
		}
		id := f.ID
		if id == "" {
			id = idPrefix + strconv.Itoa(i)
		}
		z := geo.Zone{ID: id, Name: f.Name, Type: geo.ZoneType(f.Type), SiteID: f.SiteID, Properties: f.Properties, Geometry: mp}
		if err := z.Validate(); err != nil {
			bad = append(bad, FeatureError{Index: i, ID: f.ID, Reason: err.Error()})
			continue
		}
		zones = append(zones, z)
	}
	if bad != nil {
		return nil, &ValidationError{Features: bad}
	}
	return zones, nil
}

// FromZones converts zones to features, closing open rings and writing a
// single polygon as a Polygon.
func FromZones(zs []geo.Zone) []Feature {
	fs := make([]Feature, len(zs))
	for i, z := range zs {
		mp := make(orb.MultiPolygon, len(z.Geometry))
		for j, p := range z.Geometry {
			cp := make(orb.Polygon, len(p))
			for k, r := range p {
				if len(r) > 0 && r[0] != r[len(r)-1] {
					r = append(r[:len(r):len(r)], r[0])
				}
				cp[k] = r
			}
			mp[j] = cp
		}
		var g orb.Geometry = mp
		if len(mp) == 1 {
			g = mp[0]
		}
		fs[i] = Feature{ID: z.ID, Type: string(z.Type), Name: z.Name, SiteID: z.SiteID, Geometry: g, Properties: z.Properties}
	}
	return fs
}
