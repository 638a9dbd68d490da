package store

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// SiteKind is what a site is.
type SiteKind string

// Site kinds.
const (
	SitePortFacility SiteKind = "port_facility"
	SiteTownHall     SiteKind = "town_hall"
	SitePublicSquare SiteKind = "public_square"
	SitePostOffice   SiteKind = "post_office"
	SiteOther        SiteKind = "other"
)

// SiteKinds lists every site kind, in display order.
var SiteKinds = []SiteKind{SitePortFacility, SiteTownHall, SitePublicSquare, SitePostOffice, SiteOther}

// Valid reports whether k is a known site kind.
func (k SiteKind) Valid() bool { return slices.Contains(SiteKinds, k) }

// Site is a place a tenant protects: a port facility, a town hall, a
// square. Its plan is made of features (zones, points, lines) and
// buildings.
type Site struct {
	ID          string
	TenantID    string
	Name        string
	Kind        SiteKind
	Description string
	// Lon and Lat are the site's centre (WGS84), where the map opens.
	Lon, Lat float64
	// ISPSLevel is the current ISPS security level (1-3) of a port
	// facility, 0 when not applicable.
	ISPSLevel int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FeatureKind is the geometry class of a site feature.
type FeatureKind string

// Feature kinds.
const (
	FeatureZone  FeatureKind = "zone"  // Polygon or MultiPolygon; Type is a zone type
	FeaturePoint FeatureKind = "point" // Point; Type is a kind such as "door"
	FeatureLine  FeatureKind = "line"  // LineString or MultiLineString
)

// FeatureKinds lists every feature kind.
var FeatureKinds = []FeatureKind{FeatureZone, FeaturePoint, FeatureLine}

// Valid reports whether k is a known feature kind.
func (k FeatureKind) Valid() bool { return slices.Contains(FeatureKinds, k) }

// SiteFeature is one element of a site's layers. Geometry is the GeoJSON
// geometry object as text (WGS84 [lon, lat]); Properties a JSON object.
// Indoor features name their building and storey.
type SiteFeature struct {
	ID         string
	TenantID   string
	SiteID     string
	Kind       FeatureKind
	Type       string // zone type (restricted_area, quay, …) or point/line kind
	Name       string
	Geometry   string
	Properties string // JSON object; "" is stored as "{}"
	BuildingID string // "" outdoors
	StoreyID   string // "" outdoors
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Building is a building of a site, with its storeys and spaces, imported
// from an IFC model or drawn.
type Building struct {
	ID       string
	TenantID string
	SiteID   string
	Name     string
	Source   string // "ifc" or "drawn"
	// ExternalID is the IFC GlobalId when imported.
	ExternalID string
	Lon, Lat   float64
	Storeys    []Storey // ordered by Ordinal
	CreatedAt  time.Time
}

// Storey is one floor of a building.
type Storey struct {
	ID         string
	BuildingID string
	Name       string
	Elevation  float64 // metres
	Ordinal    int     // display order, lowest first
	ExternalID string
	Spaces     []Space
}

// Space is a room or area of a storey. Geometry is a GeoJSON Polygon
// text, "" when its outline is unknown; Lon, Lat its reference point.
type Space struct {
	ID         string
	StoreyID   string
	Name       string
	LongName   string
	ExternalID string
	Geometry   string
	Lon, Lat   float64
}

// BuildingImport is a building with the indoor features (doors, …) and
// assets (devices) found with it, stored all together or not at all. The
// caller may assign ids up front so features and assets can name storeys
// and spaces.
type BuildingImport struct {
	Building Building
	Features []SiteFeature
	Assets   []Asset
}

// AssetType is what kind of thing an asset is.
type AssetType string

// Asset types.
const (
	AssetServer         AssetType = "server"
	AssetWorkstation    AssetType = "workstation"
	AssetNetworkDevice  AssetType = "network_device"
	AssetFirewall       AssetType = "firewall"
	AssetWebsite        AssetType = "website"
	AssetMailDomain     AssetType = "mail_domain"
	AssetCamera         AssetType = "camera"
	AssetDoorController AssetType = "door_controller"
	AssetGateController AssetType = "gate_controller"
	AssetSensor         AssetType = "sensor"
	AssetAISReceiver    AssetType = "ais_receiver"
	AssetOther          AssetType = "other"
)

// AssetTypes lists every asset type, in display order.
var AssetTypes = []AssetType{AssetServer, AssetWorkstation, AssetNetworkDevice, AssetFirewall, AssetWebsite,
	AssetMailDomain, AssetCamera, AssetDoorController, AssetGateController, AssetSensor, AssetAISReceiver, AssetOther}

// Valid reports whether t is a known asset type.
func (t AssetType) Valid() bool { return slices.Contains(AssetTypes, t) }

// AssetStatus is an asset's life-cycle state.
type AssetStatus string

// Asset statuses.
const (
	AssetActive      AssetStatus = "active"
	AssetMaintenance AssetStatus = "maintenance"
	AssetOffline     AssetStatus = "offline"
	AssetRetired     AssetStatus = "retired"
)

// AssetStatuses lists every status, in display order.
var AssetStatuses = []AssetStatus{AssetActive, AssetMaintenance, AssetOffline, AssetRetired}

// Valid reports whether s is a known status.
func (s AssetStatus) Valid() bool { return slices.Contains(AssetStatuses, s) }

// IdentifierKind says what an asset identifier is.
type IdentifierKind string

// Identifier kinds.
const (
	IdentIP        IdentifierKind = "ip"
	IdentHostname  IdentifierKind = "hostname"
	IdentURL       IdentifierKind = "url"
	IdentMAC       IdentifierKind = "mac"
	IdentCameraID  IdentifierKind = "camera_id"
	IdentMQTTTopic IdentifierKind = "mqtt_topic"
	IdentSerial    IdentifierKind = "serial"
)

// IdentifierKinds lists every identifier kind, in display order.
var IdentifierKinds = []IdentifierKind{IdentIP, IdentHostname, IdentURL, IdentMAC, IdentCameraID, IdentMQTTTopic, IdentSerial}

// Valid reports whether k is a known identifier kind.
func (k IdentifierKind) Valid() bool { return slices.Contains(IdentifierKinds, k) }

// Identifier is one way events name an asset.
type Identifier struct {
	Kind  IdentifierKind
	Value string
}

// NormalizeIdentifier returns the canonical form of an identifier value, as
// stored and as looked up: IPs in netip form, hostnames lower-case without a
// trailing dot, MACs as lower-case colon-separated hex, other kinds trimmed.
// ok is false when the value is empty or malformed for its kind.
func NormalizeIdentifier(kind IdentifierKind, v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 1024 || strings.ContainsAny(v, "\x00\r\n") {
		return "", false
	}
	switch kind {
	case IdentIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return "", false
		}
		return a.Unmap().WithZone("").String(), true
	case IdentHostname:
		v = strings.ToLower(strings.TrimSuffix(v, "."))
		if v == "" || len(v) > 253 || strings.ContainsAny(v, " /\\@:") {
			return "", false
		}
		return v, true
	case IdentMAC:
		hw, err := net.ParseMAC(v)
		if err != nil {
			return "", false
		}
		return hw.String(), true
	case IdentURL, IdentCameraID, IdentMQTTTopic, IdentSerial:
		return v, true
	}
	return "", false
}

// Asset is something a tenant owns that can be attacked or can see an
// attack: a server, a website, a camera, an AIS receiver. Its location is
// a point (HasPoint), a zone (a zone feature), a storey and space of a
// building, or any combination.
type Asset struct {
	ID          string
	TenantID    string
	SiteID      string // "" when not tied to a site
	Name        string
	Type        AssetType
	Criticality int // 1 (low) to 5 (vital)
	Owner       string
	Status      AssetStatus
	Description string
	HasPoint    bool
	Lon, Lat    float64
	ZoneID      string
	StoreyID    string
	SpaceID     string
	Identifiers []Identifier // normalised, sorted by kind then value
	Tags        []string     // sorted, unique
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// AssetFilter selects assets of one tenant; zero fields match everything.
type AssetFilter struct {
	SiteID string
	Type   AssetType
	Status AssetStatus
	Tag    string
	// Text matches name, owner or description, case-insensitively.
	Text  string
	Limit int // default 1000, max 10000
}

// Boundary is a public administrative boundary (a municipality), shared by
// every tenant: reference data loaded by an administrator or the demo.
type Boundary struct {
	ID         string // e.g. "istat:011022"
	Kind       string // "municipality"
	Name       string
	Geometry   string // GeoJSON Polygon or MultiPolygon
	Properties string // JSON object
}

// SiteStore keeps sites, their layers and buildings, and the asset
// inventory. Every method but the boundary ones is scoped by tenant id: an
// object of another tenant is ErrNotFound, and references (a feature's
// site, an asset's zone or space) must belong to the same tenant or the
// write fails with ErrInvalid.
type SiteStore interface {
	CreateSite(ctx context.Context, s *Site) error // sets ID, CreatedAt, UpdatedAt
	GetSite(ctx context.Context, tenantID, id string) (*Site, error)
	ListSites(ctx context.Context, tenantID string) ([]Site, error)
	UpdateSite(ctx context.Context, s *Site) error
	// DeleteSite deletes a site with its features and buildings; its
	// assets stay, without a site.
	DeleteSite(ctx context.Context, tenantID, id string) error

	CreateFeature(ctx context.Context, f *SiteFeature) error
	GetFeature(ctx context.Context, tenantID, id string) (*SiteFeature, error)
	// ListFeatures lists a site's features, or every feature of the
	// tenant when siteID is "".
	ListFeatures(ctx context.Context, tenantID, siteID string) ([]SiteFeature, error)
	UpdateFeature(ctx context.Context, f *SiteFeature) error
	DeleteFeature(ctx context.Context, tenantID, id string) error
	// ImportFeatures stores features of one site in one transaction:
	// those whose ID exists in the tenant are updated, the others created.
	ImportFeatures(ctx context.Context, tenantID, siteID string, fs []SiteFeature) error

	// ImportSitePlan stores features and assets of one site in one
	// transaction, creating or updating each by ID like ImportFeatures
	// and ImportAssets; assets without a site get this one.
	ImportSitePlan(ctx context.Context, tenantID, siteID string, fs []SiteFeature, as []Asset) error

	// ImportBuilding stores a building with its storeys, spaces, features
	// and assets in one transaction.
	ImportBuilding(ctx context.Context, tenantID string, b *BuildingImport) error
	GetBuilding(ctx context.Context, tenantID, id string) (*Building, error)
	ListBuildings(ctx context.Context, tenantID, siteID string) ([]Building, error)
	// DeleteBuilding deletes a building, its storeys, spaces and indoor
	// features; assets placed in it keep their point but lose storey and
	// space.
	DeleteBuilding(ctx context.Context, tenantID, id string) error

	CreateAsset(ctx context.Context, a *Asset) error
	GetAsset(ctx context.Context, tenantID, id string) (*Asset, error)
	ListAssets(ctx context.Context, tenantID string, f AssetFilter) ([]Asset, error)
	UpdateAsset(ctx context.Context, a *Asset) error
	DeleteAsset(ctx context.Context, tenantID, id string) error
	// ImportAssets stores assets in one transaction: those whose ID exists
	// in the tenant are replaced, the others created. Nothing is stored if
	// any is refused.
	ImportAssets(ctx context.Context, tenantID string, as []Asset) error
	// FindAssetsByIdentifier returns the tenant's assets carrying that
	// identifier (value normalised with NormalizeIdentifier), via an
	// index: the event path calls it.
	FindAssetsByIdentifier(ctx context.Context, tenantID string, kind IdentifierKind, value string) ([]Asset, error)

	// ReplaceBoundaries replaces every boundary of a kind.
	ReplaceBoundaries(ctx context.Context, kind string, bs []Boundary) error
	ListBoundaries(ctx context.Context, kind string) ([]Boundary, error)
}
