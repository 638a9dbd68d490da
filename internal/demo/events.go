package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// demoSource is a demo source and how its events look.
type demoSource struct {
	tenant string // slug
	src    store.Source
	silent bool // last event hours ago: flagged on the sources page
	make   func(r *rand.Rand, at time.Time) (category, raw string, fields map[string]any)
}

// Documentation addresses (RFC 5737) stand in for attackers and citizens.
var (
	demoScanners = []string{"203.0.113.45", "203.0.113.77", "198.51.100.23"}
	demoCitizens = []string{"192.0.2.14", "192.0.2.51", "192.0.2.88", "192.0.2.120", "192.0.2.201"}
)

func demoSources() []demoSource {
	pick := func(r *rand.Rand, l []string) string { return l[r.IntN(len(l))] }
	return []demoSource{
		{tenant: "comune-lerici", src: store.Source{Name: "Firewall municipio", Kind: store.SourceSyslogUDP, Format: "cef",
			Match: "10.10.0.1", KeepRaw: true, ExpectedInterval: 15 * time.Minute, Enabled: true},
			make: func(r *rand.Rand, at time.Time) (string, string, map[string]any) {
				src, port := pick(r, demoScanners), []int{22, 3389, 445, 23}[r.IntN(4)]
				raw := fmt.Sprintf("CEF:0|Fortinet|FortiGate|7.2|13|deny|5|src=%s spt=%d dst=10.10.0.20 dpt=%d proto=6 act=deny", src, 40000+r.IntN(20000), port)
				return event.CategoryNetwork, raw, map[string]any{"source.ip": src, "destination.ip": "10.10.0.20",
					"destination.port": int64(port), "event.action": "deny", "observer.name": "fw-municipio", "message": "connection denied"}
			}},
		{tenant: "comune-lerici", src: store.Source{Name: "Sito web istituzionale", Kind: store.SourceFile, Format: "nginx",
			Match: "/var/log/nginx/access.log", KeepRaw: true, ExpectedInterval: time.Hour, Enabled: true},
			make: func(r *rand.Rand, at time.Time) (string, string, map[string]any) {
				ip, path, status := pick(r, demoCitizens), "/albo-pretorio", 200
				if r.IntN(4) == 0 {
					ip, path, status = pick(r, demoScanners), "/wp-login.php", 404
				}
				raw := fmt.Sprintf(`%s - - [%s] "GET %s HTTP/1.1" %d 5123 "-" "Mozilla/5.0"`, ip, at.Format("02/Jan/2006:15:04:05 -0700"), path, status)
				return event.CategoryWeb, raw, map[string]any{"source.ip": ip, "url.path": path, "url.domain": "www.comune.lerici.example",
					"http.request.method": "GET", "http.response.status_code": int64(status)}
			}},
		{tenant: "comune-lerici", src: store.Source{Name: "Controller di dominio", Kind: store.SourceSyslogTCP, Format: "winlogbeat",
			Match: "10.10.0.5", KeepRaw: true, ExpectedInterval: 15 * time.Minute, Enabled: true}, silent: true,
			make: func(r *rand.Rand, at time.Time) (string, string, map[string]any) {
				user, outcome, code := []string{"m.bianchi", "g.neri", "admin"}[r.IntN(3)], "success", int64(4624)
				if r.IntN(3) == 0 {
					outcome, code = "failure", 4625
				}
				raw := fmt.Sprintf("EventID=%d TargetUserName=%s IpAddress=10.10.1.%d LogonType=3", code, user, 10+r.IntN(40))
				return event.CategorySecurity, raw, map[string]any{"user.name": user, "event.code": fmt.Sprint(code),
					"event.outcome": outcome, "event.action": "logon", "host.name": "dc01"}
			}},
		{tenant: "porto-portovenere", src: store.Source{Name: "Ricevitore AIS", Kind: store.SourceMQTT, Format: "json",
			// An AIS gateway publishing decoded positions as JSON; NMEA
			// decoding is the maritime capability's work.
			Config: `{"field_map":{"mmsi":"vessel.mmsi","lat":"geo.lat","lon":"geo.lon","text":"message"},"category":"maritime"}`,
			Match:  "ais/portovenere/#", KeepRaw: false, ExpectedInterval: 10 * time.Minute, Enabled: true},
			make: func(r *rand.Rand, at time.Time) (string, string, map[string]any) {
				mmsi := []string{"247123450", "247987650", "256001230"}[r.IntN(3)]
				return event.CategoryMaritime, "", map[string]any{"vessel.mmsi": mmsi, "event.action": "position",
					"geo.lat": 44.05 + r.Float64()/100, "geo.lon": 9.83 + r.Float64()/100, "message": "position report " + mmsi}
			}},
		{tenant: "porto-portovenere", src: store.Source{Name: "Varco carrabile", Kind: store.SourceHTTP, Format: "json",
			Config:  `{"field_map":{"plate":"vehicle.plate","gate":"vedetta.door.id","direction":"network.direction"},"category":"camera"}`,
			KeepRaw: true, ExpectedInterval: time.Hour, Enabled: true},
			make: func(r *rand.Rand, at time.Time) (string, string, map[string]any) {
				plate := []string{"GE123AB", "SP456CD", "AB789EF"}[r.IntN(3)]
				raw := fmt.Sprintf(`{"gate":"carrabile","plate":%q,"direction":"in"}`, plate)
				return event.CategoryCamera, raw, map[string]any{"vehicle.plate": plate, "event.action": "plate_read", "door.id": "varco-1"}
			}},
	}
}

// seedEvents installs the demo sources with a day of events and health.
func seedEvents(ctx context.Context, st store.Store, tenants map[string]string) error {
	r := rand.New(rand.NewPCG(7, 11))
	now := time.Now().UTC().Truncate(time.Second)
	for _, ds := range demoSources() {
		src := ds.src
		src.TenantID = tenants[ds.tenant]
		if src.Kind == store.SourceHTTP {
			// No one knows this token: the demo shows the prefix only.
			sum := sha256.Sum256([]byte("demo " + src.Name))
			src.TokenPrefix, src.TokenHash = "vsp_demo0000", hex.EncodeToString(sum[:])
		}
		if err := st.CreateSource(ctx, &src); err != nil {
			return fmt.Errorf("demo: source %s: %w", src.Name, err)
		}
		end := now
		if ds.silent {
			end = now.Add(-3 * time.Hour)
		}
		var evs []event.Event
		for i := range 120 {
			at := end.Add(-time.Duration(i) * 12 * time.Minute).Add(-time.Duration(r.IntN(600)) * time.Second)
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			cat, raw, fields := ds.make(r, at)
			evs = append(evs, event.Event{ID: id.String(), TenantID: src.TenantID, SourceID: src.ID, Observed: at,
				Received: at.Add(time.Second), Category: cat, Fields: fields, Raw: raw})
		}
		if _, err := st.InsertEvents(ctx, evs); err != nil {
			return fmt.Errorf("demo: events of %s: %w", src.Name, err)
		}
		h := store.SourceHealth{SourceID: src.ID, LastEvent: evs[0].Observed, Events: int64(len(evs)), UpdatedAt: evs[0].Observed}
		if ds.src.Format == "nginx" {
			h.Errors, h.LastError = 2, "unparseable line: truncated request"
		}
		if err := st.RecordSourceHealth(ctx, h); err != nil {
			return fmt.Errorf("demo: health of %s: %w", src.Name, err)
		}
	}
	return nil
}
