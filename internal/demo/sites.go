package demo

import (
	"bytes"
	"context"
	_ "embed" // the demo harbour office model
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/geo"
	"github.com/vedetta-sec/vedetta/internal/site/ifc"
	"github.com/vedetta-sec/vedetta/internal/site/plan"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// harbourOfficeIFC is a hand-written IFC 2x3 model of the two-storey
// harbour office on the Calata Doria of Portovenere, georeferenced by its
// site's latitude and longitude.
//
//go:embed data/capitaneria_portovenere.ifc
var harbourOfficeIFC []byte

// Demo geography, drawn by hand from public coordinates. Offsets are in
// metres; mLon and mLat convert them to degrees near 44° N.
const (
	mLat = 1 / 110540.0
)

func mLon(lat float64) float64 { return 1 / (111320 * math.Cos(lat*math.Pi/180)) }

// local maps east/north metre offsets from an origin to WGS84.
type local struct{ lon, lat float64 }

func (o local) at(east, north float64) orb.Point {
	return orb.Point{o.lon + east*mLon(o.lat), o.lat + north*mLat}
}

// Portovenere's waterfront: the Calata Doria runs south-west to north-east
// along the Palmaria channel, land to the north-west, water to the
// south-east. shore(t, off) is the point at fraction t of 300 m along it
// and off metres inland (negative: out over the water).
var portovenere = local{lon: 9.8345, lat: 44.0505}

func shore(t, off float64) orb.Point {
	const length = 300
	ux, uy := 0.747, 0.665  // along the quay, towards the north-east
	nx, ny := -0.665, 0.747 // inland
	e := -150.4 + t*length*ux + off*nx
	n := -46.4 + t*length*uy + off*ny
	return portovenere.at(e, n)
}

// band is the quadrilateral between fractions t0, t1 along the shore and
// offsets o0, o1 from it.
func band(t0, t1, o0, o1 float64) orb.Polygon {
	return orb.Polygon{{shore(t0, o0), shore(t1, o0), shore(t1, o1), shore(t0, o1), shore(t0, o0)}}
}

// rect is an axis-aligned rectangle of w × h metres centred on c.
func rect(o local, e, n, w, h float64) orb.Polygon {
	return orb.Polygon{{o.at(e-w/2, n-h/2), o.at(e+w/2, n-h/2), o.at(e+w/2, n+h/2), o.at(e-w/2, n+h/2), o.at(e-w/2, n-h/2)}}
}

type demoZone struct {
	name, typ string
	geom      orb.Geometry
	props     string
}

type demoAsset struct {
	name     string
	typ      store.AssetType
	crit     int
	status   store.AssetStatus
	owner    string
	pt       orb.Point // zero: no point
	zone     string    // name of a demo zone
	space    string    // long name of an IFC space (servers in the CED)
	idents   []store.Identifier
	tags     []string
	describe string
}

func ids(kv ...string) []store.Identifier {
	var out []store.Identifier
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, store.Identifier{Kind: store.IdentifierKind(kv[i]), Value: kv[i+1]})
	}
	return out
}

func camera(name, id string, ip string, pt orb.Point, status store.AssetStatus, zone string) demoAsset {
	return demoAsset{name: name, typ: store.AssetCamera, crit: 3, status: status, owner: "PFSO", pt: pt, zone: zone,
		idents: ids("camera_id", id, "ip", ip, "mqtt_topic", "frigate/"+id+"/events"), tags: []string{"tvcc", "isps"}}
}

// seedSites installs the sites, layers and assets of the demo port and
// town, the harbour office from its IFC model, and the municipality
// boundaries when the shared geojson-italy data is at hand.
func seedSites(ctx context.Context, st store.Store, tenants map[string]string) error {
	if err := seedPortovenere(ctx, st, tenants["porto-portovenere"]); err != nil {
		return fmt.Errorf("demo: Portovenere: %w", err)
	}
	if err := seedLerici(ctx, st, tenants["comune-lerici"]); err != nil {
		return fmt.Errorf("demo: Lerici: %w", err)
	}
	if err := seedBoundaries(ctx, st); err != nil {
		return fmt.Errorf("demo: boundaries: %w", err)
	}
	return nil
}

func seedPortovenere(ctx context.Context, st store.Store, tenantID string) error {
	site := &store.Site{TenantID: tenantID, Name: "Porto di Portovenere – Calata Doria", Kind: store.SitePortFacility,
		Lon: shore(0.5, 10)[0], Lat: shore(0.5, 10)[1], ISPSLevel: 1,
		Description: "Impianto portuale: Calata Doria, ormeggi dei traghetti per Palmaria e le Cinque Terre, Capitaneria."}
	if err := st.CreateSite(ctx, site); err != nil {
		return err
	}
	// The harbour office comes from its IFC model; its footprint zone is
	// the outline of its rooms.
	m, err := ifc.Parse(bytes.NewReader(harbourOfficeIFC))
	if err != nil {
		return err
	}
	imps, err := plan.FromIFC(m, site.ID)
	if err != nil {
		return err
	}
	spaces := map[string][2]string{} // long name → storey id, space id
	centres := map[string]orb.Point{}
	var outline orb.Bound
	first := true
	for i := range imps {
		for _, s := range imps[i].Building.Storeys {
			for _, sp := range s.Spaces {
				spaces[sp.LongName] = [2]string{s.ID, sp.ID}
				g, err := plan.Geometry(sp.Geometry)
				if err != nil {
					return err
				}
				centres[sp.LongName] = g.Bound().Center()
				if first {
					outline, first = g.Bound(), false
				} else {
					outline = outline.Union(g.Bound())
				}
			}
		}
		if err := st.ImportBuilding(ctx, tenantID, &imps[i]); err != nil {
			return err
		}
		if err := audit(ctx, st, tenantID, "building.import", "building:"+imps[i].Building.ID); err != nil {
			return err
		}
	}
	office := outline.Center()
	zones := []demoZone{
		{"Calata Doria", "quay", band(0.12, 0.86, -5, 18), `{"depth_m":5}`},
		{"Molo Doria", "quay", band(0.86, 0.92, -60, -5), `{"depth_m":6}`},
		{"Ormeggio 1 – traghetti Palmaria", "berth", band(0.52, 0.60, -30, -5), `{"max_loa_m":35}`},
		{"Ormeggio 2 – linea Cinque Terre", "berth", band(0.64, 0.73, -30, -5), `{"max_loa_m":45}`},
		{"Ormeggio 3 – diporto", "berth", band(0.25, 0.33, -22, -5), `{"max_loa_m":20}`},
		{"Area ad accesso ristretto ISPS", "restricted_area", band(0.50, 0.86, -32, 18), `{"isps":true,"access":"badge"}`},
		{"Recinzione area ISPS", "perimeter_fence", band(0.49, 0.87, -34, 20), `{"height_m":2.5}`},
		{"Varco ISPS", "gate", band(0.47, 0.50, 2, 18), `{"hours":"06:00-22:00"}`},
		{"Parcheggio Calata", "parking", band(0.05, 0.20, 22, 45), `{"spaces":40}`},
		{"Capitaneria", "building_footprint", outline.ToPolygon(), `{"source":"ifc"}`},
	}
	zoneIDs, err := seedZones(ctx, st, tenantID, site.ID, zones)
	if err != nil {
		return err
	}
	// The fence line along the water side of the ISPS area, as a line.
	fence, err := plan.GeometryText(orb.LineString{shore(0.49, 20), shore(0.49, -34), shore(0.87, -34), shore(0.87, 20)})
	if err != nil {
		return err
	}
	if err := st.CreateFeature(ctx, &store.SiteFeature{TenantID: tenantID, SiteID: site.ID, Kind: store.FeatureLine, Type: "fence",
		Name: "Recinzione lato mare", Geometry: fence, Properties: `{"height_m":2.5}`}); err != nil {
		return err
	}
	roof := office
	assets := []demoAsset{
		camera("TVCC Calata nord", "cam-calata-nord", "10.20.30.11", shore(0.82, 16), store.AssetActive, "Calata Doria"),
		camera("TVCC Calata sud", "cam-calata-sud", "10.20.30.12", shore(0.16, 16), store.AssetActive, "Calata Doria"),
		camera("TVCC Varco ISPS", "cam-varco", "10.20.30.13", shore(0.48, 19), store.AssetActive, "Varco ISPS"),
		camera("TVCC Ormeggi", "cam-ormeggi", "10.20.30.14", shore(0.62, -4), store.AssetOffline, "Area ad accesso ristretto ISPS"),
		camera("TVCC Molo", "cam-molo", "10.20.30.15", shore(0.89, -55), store.AssetMaintenance, "Molo Doria"),
		{name: "Controllo accessi Varco ISPS", typ: store.AssetGateController, crit: 4, status: store.AssetActive, owner: "PFSO",
			pt: shore(0.485, 10), zone: "Varco ISPS", idents: ids("ip", "10.20.40.10", "serial", "ACC-VARCO-01", "mqtt_topic", "accessi/varco-isps/eventi"), tags: []string{"isps", "accessi"}},
		{name: "Sbarra parcheggio", typ: store.AssetGateController, crit: 2, status: store.AssetActive, owner: "Ufficio tecnico",
			pt: shore(0.12, 30), zone: "Parcheggio Calata", idents: ids("ip", "10.20.40.11", "serial", "SB-PARK-01")},
		{name: "Ricevitore AIS", typ: store.AssetAISReceiver, crit: 4, status: store.AssetActive, owner: "Capitaneria",
			pt: roof, idents: ids("ip", "10.20.50.5", "hostname", "ais.porto.portovenere.example", "serial", "AIS-PV-2291"), tags: []string{"ais", "vts"},
			describe: "Ricevitore AIS classe A sul tetto della Capitaneria, antenna a 12 m s.l.m."},
		{name: "srv-porto-01", typ: store.AssetServer, crit: 5, status: store.AssetActive, owner: "CED portuale", space: "Sala server (CED)",
			idents: ids("ip", "10.20.0.10", "hostname", "srv-porto-01.porto.portovenere.example", "mac", "00:1b:21:3a:4f:10"), tags: []string{"ced", "isps"},
			describe: "Server di dominio e gestione accessi"},
		{name: "nas-porto", typ: store.AssetServer, crit: 4, status: store.AssetActive, owner: "CED portuale", space: "Sala server (CED)",
			idents: ids("ip", "10.20.0.20", "hostname", "nas-porto.porto.portovenere.example"), tags: []string{"ced", "backup"},
			describe: "Archivio registrazioni TVCC (NVR) e backup"},
		{name: "fw-porto", typ: store.AssetFirewall, crit: 5, status: store.AssetActive, owner: "CED portuale", space: "Sala server (CED)",
			idents: ids("ip", "203.0.113.10", "ip", "10.20.0.1", "hostname", "fw.porto.portovenere.example"), tags: []string{"ced", "perimetro"}},
		{name: "sw-core", typ: store.AssetNetworkDevice, crit: 4, status: store.AssetActive, owner: "CED portuale", space: "Sala server (CED)",
			idents: ids("ip", "10.20.0.2", "mac", "00:1b:21:3a:4f:02"), tags: []string{"ced"}},
		{name: "PdL sala operativa", typ: store.AssetWorkstation, crit: 3, status: store.AssetActive, owner: "PFSO", space: "Sala operativa e videosorveglianza",
			idents: ids("ip", "10.20.10.21", "hostname", "pdl-operativa.porto.portovenere.example")},
		{name: "PdL comandante", typ: store.AssetWorkstation, crit: 3, status: store.AssetMaintenance, owner: "Capitaneria", space: "Ufficio del comandante e del PFSO",
			idents: ids("ip", "10.20.10.22")},
		{name: "Sito web del porto", typ: store.AssetWebsite, crit: 3, status: store.AssetActive, owner: "Ufficio comunicazione",
			idents: ids("url", "https://www.porto.portovenere.example/", "hostname", "www.porto.portovenere.example", "ip", "198.51.100.20")},
		{name: "Dominio di posta del porto", typ: store.AssetMailDomain, crit: 4, status: store.AssetActive, owner: "CED portuale",
			idents: ids("hostname", "porto.portovenere.example", "hostname", "mail.porto.portovenere.example")},
	}
	return seedAssets(ctx, st, tenantID, site.ID, assets, zoneIDs, spaces, centres)
}

func seedLerici(ctx context.Context, st store.Store, tenantID string) error {
	hall := local{lon: 9.9115, lat: 44.0757}
	townHall := &store.Site{TenantID: tenantID, Name: "Palazzo comunale di Lerici", Kind: store.SiteTownHall, Lon: hall.lon, Lat: hall.lat,
		Description: "Sede del Comune: uffici, CED, sportello al pubblico, Polizia locale."}
	square := &store.Site{TenantID: tenantID, Name: "Piazza Garibaldi", Kind: store.SitePublicSquare, Lon: hall.at(-48, -12)[0], Lat: hall.at(-48, -12)[1],
		Description: "Piazza principale sul lungomare, mercato e manifestazioni; videosorveglianza urbana."}
	for _, x := range []*store.Site{townHall, square} {
		if err := st.CreateSite(ctx, x); err != nil {
			return err
		}
	}
	hallZones, err := seedZones(ctx, st, tenantID, townHall.ID, []demoZone{
		{"Palazzo comunale", "building_footprint", rect(hall, 0, 0, 30, 18), `{"floors":3}`},
		{"Cortile e accesso uffici", "restricted_area", rect(hall, 0, 16, 26, 12), `{"access":"badge"}`},
		{"Parcheggio dipendenti", "parking", rect(hall, 30, 8, 22, 26), `{"spaces":18}`},
	})
	if err != nil {
		return err
	}
	squareZones, err := seedZones(ctx, st, tenantID, square.ID, []demoZone{
		{"Piazza Garibaldi", "public_space", rect(hall, -48, -12, 70, 44), `{"events":"mercato il sabato"}`},
		{"Area mercato", "public_space", rect(hall, -60, -20, 30, 18), `{"hours":"sab 07:00-14:00"}`},
	})
	if err != nil {
		return err
	}
	hallAssets := []demoAsset{
		{name: "srv-protocollo", typ: store.AssetServer, crit: 5, status: store.AssetActive, owner: "CED comunale", pt: hall.at(-6, 3), zone: "Palazzo comunale",
			idents: ids("ip", "10.1.0.10", "hostname", "protocollo.comune.lerici.example"), tags: []string{"ced", "pa"}, describe: "Protocollo informatico e gestione documentale"},
		{name: "srv-anagrafe", typ: store.AssetServer, crit: 5, status: store.AssetActive, owner: "CED comunale", pt: hall.at(-4, 3), zone: "Palazzo comunale",
			idents: ids("ip", "10.1.0.11", "hostname", "anagrafe.comune.lerici.example"), tags: []string{"ced", "pa", "dati-personali"}},
		{name: "fw-comune", typ: store.AssetFirewall, crit: 5, status: store.AssetActive, owner: "CED comunale", pt: hall.at(-8, 2), zone: "Palazzo comunale",
			idents: ids("ip", "203.0.113.50", "ip", "10.1.0.1", "hostname", "fw.comune.lerici.example"), tags: []string{"ced", "perimetro"}},
		{name: "PdL sportello anagrafe", typ: store.AssetWorkstation, crit: 3, status: store.AssetActive, owner: "Servizi demografici", pt: hall.at(8, -4), zone: "Palazzo comunale",
			idents: ids("ip", "10.1.10.31")},
		{name: "Controllo accessi uffici", typ: store.AssetDoorController, crit: 3, status: store.AssetActive, owner: "Ufficio tecnico", pt: hall.at(0, 10), zone: "Cortile e accesso uffici",
			idents: ids("ip", "10.1.40.10", "serial", "ACC-COM-01")},
		{name: "Sito web istituzionale", typ: store.AssetWebsite, crit: 4, status: store.AssetActive, owner: "Ufficio comunicazione",
			idents: ids("url", "https://www.comune.lerici.example/", "hostname", "www.comune.lerici.example", "ip", "198.51.100.80"), tags: []string{"pa"}},
		{name: "Dominio di posta del Comune", typ: store.AssetMailDomain, crit: 4, status: store.AssetActive, owner: "CED comunale",
			idents: ids("hostname", "comune.lerici.example", "hostname", "mail.comune.lerici.example"), tags: []string{"pa", "pec"}},
	}
	if err := seedAssets(ctx, st, tenantID, townHall.ID, hallAssets, hallZones, nil, nil); err != nil {
		return err
	}
	squareAssets := []demoAsset{
		{name: "Telecamera piazza nord", typ: store.AssetCamera, crit: 3, status: store.AssetActive, owner: "Polizia locale", pt: hall.at(-30, 8), zone: "Piazza Garibaldi",
			idents: ids("camera_id", "lerici-piazza-nord", "ip", "10.1.30.21", "mqtt_topic", "frigate/lerici-piazza-nord/events"), tags: []string{"tvcc", "urbana"}},
		{name: "Telecamera piazza sud", typ: store.AssetCamera, crit: 3, status: store.AssetOffline, owner: "Polizia locale", pt: hall.at(-70, -32), zone: "Piazza Garibaldi",
			idents: ids("camera_id", "lerici-piazza-sud", "ip", "10.1.30.22", "mqtt_topic", "frigate/lerici-piazza-sud/events"), tags: []string{"tvcc", "urbana"}},
		{name: "Telecamera area mercato", typ: store.AssetCamera, crit: 2, status: store.AssetActive, owner: "Polizia locale", pt: hall.at(-74, -14), zone: "Area mercato",
			idents: ids("camera_id", "lerici-mercato", "ip", "10.1.30.23")},
		{name: "Sensore affollamento", typ: store.AssetSensor, crit: 2, status: store.AssetActive, owner: "Polizia locale", pt: hall.at(-48, -10), zone: "Piazza Garibaldi",
			idents: ids("mqtt_topic", "sensori/piazza-garibaldi/persone", "serial", "PC-0042")},
	}
	return seedAssets(ctx, st, tenantID, square.ID, squareAssets, squareZones, nil, nil)
}

func seedZones(ctx context.Context, st store.Store, tenantID, siteID string, zones []demoZone) (map[string]string, error) {
	out := map[string]string{}
	for _, z := range zones {
		text, err := plan.GeometryText(z.geom)
		if err != nil {
			return nil, err
		}
		f := &store.SiteFeature{TenantID: tenantID, SiteID: siteID, Kind: store.FeatureZone, Type: z.typ, Name: z.name, Geometry: text, Properties: z.props}
		if err := plan.ValidateFeature(f); err != nil {
			return nil, fmt.Errorf("zone %s: %w", z.name, err)
		}
		if err := st.CreateFeature(ctx, f); err != nil {
			return nil, fmt.Errorf("zone %s: %w", z.name, err)
		}
		out[z.name] = f.ID
	}
	return out, nil
}

func seedAssets(ctx context.Context, st store.Store, tenantID, siteID string, as []demoAsset, zones map[string]string,
	spaces map[string][2]string, centres map[string]orb.Point) error {
	for i, d := range as {
		a := &store.Asset{TenantID: tenantID, SiteID: siteID, Name: d.name, Type: d.typ, Criticality: d.crit, Status: d.status,
			Owner: d.owner, Description: d.describe, Identifiers: d.idents, Tags: d.tags, ZoneID: zones[d.zone]}
		if d.pt != (orb.Point{}) {
			a.HasPoint, a.Lon, a.Lat = true, d.pt[0], d.pt[1]
		}
		if d.space != "" {
			ref, ok := spaces[d.space]
			if !ok {
				return fmt.Errorf("asset %s: no space %q in the IFC model", d.name, d.space)
			}
			a.StoreyID, a.SpaceID = ref[0], ref[1]
			// Spread the room's devices a little around its centre.
			c := centres[d.space]
			a.HasPoint, a.Lon, a.Lat = true, c[0]+float64(i%3-1)*0.000018, c[1]+float64(i%2)*0.000014
		}
		if err := st.CreateAsset(ctx, a); err != nil {
			return fmt.Errorf("asset %s: %w", d.name, err)
		}
	}
	return nil
}

// sharedBoundaryDir finds geojson-italy in $VEDETTA_SHARED_DATA or in a
// shared/data folder next to the working directory or one of its parents
// (the layout of the development workspace); "" when absent.
func sharedBoundaryDir() string {
	if base := os.Getenv("VEDETTA_SHARED_DATA"); base != "" {
		dir := filepath.Join(base, "geojson-italy", "geojson")
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for range 5 {
		dir := filepath.Join(wd, "..", "shared", "data", "geojson-italy", "geojson")
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(wd)
		if parent == wd {
			break
		}
		wd = parent
	}
	return ""
}

// seedBoundaries loads the municipality boundaries of the provinces in
// geojson-italy, when the folder is there; the demo works without them.
func seedBoundaries(ctx context.Context, st store.Store) error {
	dir := sharedBoundaryDir()
	if dir == "" {
		return nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "limits_P_*_municipalities.geojson"))
	if err != nil || len(files) == 0 {
		return err
	}
	var zones []geo.Zone
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		zs, err := geo.LoadMunicipalities(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		zones = append(zones, zs...)
	}
	bs, err := plan.Boundaries(zones)
	if err != nil {
		return err
	}
	return st.ReplaceBoundaries(ctx, string(geo.ZoneMunicipality), bs)
}
