package storetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// BenchEventsEnv names the environment variable that sets how many events
// BenchmarkSearchEvents loads (default 20000, so -benchtime=1x stays cheap).
const BenchEventsEnv = "VEDETTA_BENCH_EVENTS"

// eventGen makes realistic events of about 1 KB: firewall, web access and
// authentication lines with their ECS fields, spread over sources, users
// and addresses so that field values have the selectivity of real logs.
type eventGen struct {
	r       *rand.Rand
	tenants []string
	start   time.Time
	span    time.Duration
	clock   time.Duration // time of the last event, from start
	step    time.Duration // clock advance per event
	pad     string
}

// newEventGen returns a generator of n events observed over span from start.
func newEventGen(tenants []string, start time.Time, span time.Duration, n int) *eventGen {
	return &eventGen{r: rand.New(rand.NewPCG(1, 2)), tenants: tenants, start: start, span: span,
		step: span / time.Duration(max(n, 1)), pad: strings.Repeat("x", 200)}
}

var (
	benchUsers   = []string{"mrossi", "lbianchi", "gverdi", "admin", "backup", "svc_print", "aneri", "pgallo"}
	benchActions = []string{"deny", "allow", "drop", "reset"}
	benchPaths   = []string{"/", "/login", "/albo-pretorio", "/tributi/imu", "/wp-login.php", "/anagrafe/certificati"}
)

func (g *eventGen) ip() string {
	return fmt.Sprintf("%d.%d.%d.%d", 10+g.r.IntN(200), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

// next returns one event observed at a random time in the span (ids are
// UUIDv7 of the current time, as receivers assign them).
func (g *eventGen) next() event.Event {
	id, _ := uuid.NewV7()
	// Receivers see events roughly in time order: the generator's clock
	// walks through the span, each event a little late or early.
	g.clock += g.step
	at := g.start.Add(g.clock - time.Duration(g.r.Int64N(int64(5*time.Second)))).Truncate(time.Millisecond)
	e := event.Event{ID: id.String(), TenantID: g.tenants[g.r.IntN(len(g.tenants))], Observed: at, Received: at.Add(2 * time.Second)}
	src, dst := g.ip(), g.ip()
	ts := at.Format(time.RFC3339)
	switch g.r.IntN(3) {
	case 0:
		act := benchActions[g.r.IntN(len(benchActions))]
		sport, dport := 1024+g.r.IntN(60000), []int{22, 80, 443, 3389, 445}[g.r.IntN(5)]
		e.SourceID, e.Category = "fw-"+strconv.Itoa(g.r.IntN(10)), event.CategoryNetwork
		e.Raw = fmt.Sprintf("<134>%s fw01 CEF:0|Vendor|NGFW|9.1|traffic|%s|3|src=%s spt=%d dst=%s dpt=%d proto=TCP act=%s rule=policy-%d deviceInboundInterface=ethernet1/1 cs1Label=zone cs1=untrust %s",
			ts, act, src, sport, dst, dport, act, g.r.IntN(200), g.pad[:g.r.IntN(200)])
		e.Fields = map[string]any{"source.ip": src, "source.port": float64(sport), "destination.ip": dst,
			"destination.port": float64(dport), "event.action": act, "network.transport": "tcp",
			"rule.name": "policy-" + strconv.Itoa(g.r.IntN(200)), "observer.name": "fw01", "message": "traffic " + act}
	case 1:
		path := benchPaths[g.r.IntN(len(benchPaths))]
		status := []int{200, 200, 200, 301, 404, 401, 500}[g.r.IntN(7)]
		e.SourceID, e.Category = "web-"+strconv.Itoa(g.r.IntN(5)), event.CategoryWeb
		e.Raw = fmt.Sprintf(`%s - - [%s] "GET %s HTTP/1.1" %d %d "https://www.comune.example.it/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36" %s`,
			src, ts, path, status, 200+g.r.IntN(90000), g.pad[:g.r.IntN(200)])
		e.Fields = map[string]any{"source.ip": src, "url.path": path, "url.domain": "www.comune.example.it",
			"http.request.method": "GET", "http.response.status_code": float64(status),
			"user_agent.original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0", "host.name": "web01"}
	default:
		user := benchUsers[g.r.IntN(len(benchUsers))]
		outcome := []string{"success", "success", "success", "failure"}[g.r.IntN(4)]
		e.SourceID, e.Category = "dc-"+strconv.Itoa(g.r.IntN(3)), event.CategorySecurity
		e.Raw = fmt.Sprintf(`%s dc01 sshd[%d]: %s password for %s from %s port %d ssh2 %s`,
			ts, 1000+g.r.IntN(60000), map[string]string{"success": "Accepted", "failure": "Failed"}[outcome], user, src,
			1024+g.r.IntN(60000), g.pad[:g.r.IntN(200)])
		e.Fields = map[string]any{"source.ip": src, "user.name": user, "event.outcome": outcome,
			"event.action": "ssh_login", "host.name": "dc01", "process.name": "sshd",
			"event.category": []any{"authentication"}, "message": "ssh login " + outcome + " for " + user}
	}
	return e
}

// BenchInsertEvents measures InsertEvents with batches of batch new events
// of about 1 KB, as the bus consumer writes them, and reports events/s.
func BenchInsertEvents(b *testing.B, s store.Store, batch int) {
	ctx := b.Context()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var tenants []string
	for i := range 2 {
		tn := &store.Tenant{Slug: fmt.Sprintf("bench-%d", i), Name: "Bench", Kind: store.KindMunicipality}
		if err := s.CreateTenant(ctx, tn); err != nil {
			b.Fatal(err)
		}
		tenants = append(tenants, tn.ID)
	}
	// 100,000 events a minute, as a busy installation receives them.
	g := newEventGen(tenants, time.Now().Add(-time.Minute), time.Minute, 100000)
	evs := make([]event.Event, batch)
	var bytes int64
	b.ReportAllocs()
	var total int
	for b.Loop() {
		b.StopTimer()
		for i := range evs {
			evs[i] = g.next()
			bytes += int64(len(evs[i].Raw)) + 400
		}
		b.StartTimer()
		n, err := s.InsertEvents(ctx, evs)
		if err != nil {
			b.Fatal(err)
		}
		total += n
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
	b.SetBytes(bytes / int64(b.N))
}

// BenchSearchEvents loads $VEDETTA_BENCH_EVENTS events (default 20000)
// spread over 30 days and two tenants, runs loaded (if not nil; e.g. to
// gather planner statistics as autovacuum would), then times typical
// searches, each as a sub-benchmark reporting ms/query.
func BenchSearchEvents(b *testing.B, s store.Store, loaded func(b *testing.B)) {
	ctx := b.Context()
	n := 20000
	if v := os.Getenv(BenchEventsEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", BenchEventsEnv, v)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var tenants []string
	for i := range 2 {
		tn := &store.Tenant{Slug: fmt.Sprintf("search-%d", i), Name: "Bench", Kind: store.KindMunicipality}
		if err := s.CreateTenant(ctx, tn); err != nil {
			b.Fatal(err)
		}
		tenants = append(tenants, tn.ID)
	}
	end := time.Now().Truncate(time.Hour)
	g := newEventGen(tenants, end.Add(-30*24*time.Hour), 30*24*time.Hour, n)
	start := time.Now()
	var rareIP string
	batch := make([]event.Event, 0, 500)
	for i := 0; i < n; i += len(batch) {
		batch = batch[:0]
		for range min(500, n-i) {
			e := g.next()
			if rareIP == "" && e.TenantID == tenants[0] {
				rareIP = e.String("source.ip")
			}
			batch = append(batch, e)
		}
		if _, err := s.InsertEvents(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	load := time.Since(start)
	b.Logf("loaded %d events in %v (%.0f events/s)", n, load.Round(time.Millisecond), float64(n)/load.Seconds())
	if loaded != nil {
		loaded(b)
	}

	tenant := tenants[0]
	first, err := s.SearchEvents(ctx, tenant, store.EventQuery{Limit: 100})
	if err != nil || len(first) == 0 {
		b.Fatalf("first page: %d events, %v", len(first), err)
	}
	cursor := first[len(first)-1].ID
	day := end.Add(-24 * time.Hour)
	queries := []struct {
		name string
		q    store.EventQuery
	}{
		{"latest", store.EventQuery{}},
		{"next_page", store.EventQuery{Before: cursor}},
		{"last_hour", store.EventQuery{Since: end.Add(-time.Hour)}},
		{"source", store.EventQuery{SourceIDs: []string{"fw-3"}}},
		{"category_day", store.EventQuery{Categories: []string{event.CategorySecurity}, Since: day}},
		{"field_rare_ip", store.EventQuery{Fields: map[string]string{"source.ip": rareIP}}},
		{"field_common", store.EventQuery{Fields: map[string]string{"event.outcome": "failure"}}},
		{"two_fields", store.EventQuery{Fields: map[string]string{"user.name": "admin", "event.outcome": "failure"}}},
		{"field_unindexed_day", store.EventQuery{Fields: map[string]string{"url.path": "/wp-login.php"}, Since: day}},
		{"text_rare", store.EventQuery{Text: rareIP}},
		{"text_common", store.EventQuery{Text: "failed password"}},
		{"text_common_day", store.EventQuery{Text: "failed password", Since: day}},
		{"text_and_field", store.EventQuery{Text: "wp-login", Fields: map[string]string{"http.response.status_code": "404"}}},
	}
	for _, tt := range queries {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SearchEvents(ctx, tenant, tt.q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/query")
		})
	}
}

// LoadIndexedEvents stores generated events with every kind of indexed
// value (strings, numbers, lists, a value needing cleaning) in a new
// tenant, for backend tests that check index rows in their own SQL; it
// returns how many.
func LoadIndexedEvents(t *testing.T, s store.Store) int {
	t.Helper()
	tn := newTenant(t, s, "indexed", store.KindMunicipality)
	g := newEventGen([]string{tn.ID}, base, time.Hour, 300)
	var evs []event.Event
	for range 300 {
		evs = append(evs, g.next())
	}
	evs[0].Fields["host.ip"] = []any{"192.0.2.1", "192.0.2.1", "2001:db8::1", 7.0}
	evs[1].Fields["event.code"] = 4625.0
	evs[2].Fields["vessel.mmsi"] = 247123456.0
	evs[3].Fields["user.name"] = "caf\xe9"
	evs[4].Fields["url.domain"] = true
	evs[5].Fields["event.dataset"] = []any{"fw.traffic", "fw.traffic", "fw.threat"}
	evs[6].Fields["network.transport"] = true
	evs[7].Fields["http.response.status_code"] = 404.5
	insert(t, s, evs...)
	return len(evs)
}

// DeleteAllEvents runs DeleteEventsBefore for every tenant and category
// until nothing is left.
func DeleteAllEvents(t *testing.T, s store.Store) {
	t.Helper()
	tenants, err := s.ListTenants(t.Context())
	must(t, "ListTenants", err)
	for _, tn := range tenants {
		for _, c := range store.Categories {
			for {
				n, err := s.DeleteEventsBefore(t.Context(), tn.ID, c, time.Now().Add(time.Hour), 100)
				must(t, "DeleteEventsBefore", err)
				if n == 0 {
					break
				}
			}
		}
	}
}
