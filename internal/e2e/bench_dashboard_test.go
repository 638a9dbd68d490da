package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vedetta-sec/vedetta/internal/app"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// TestDashboardLatencyW9 is workload W9 (make bench-dashboard): from an
// event posted to the HTTP receiver to its alert rendered in the DOM of a
// dashboard open in headless Chromium, while other sources ingest a
// background load through the same receiver, with many alerts already
// stored and several dashboards open.
//
// Each probe is a request for an administration panel from a new address
// (so a new alert); probes go one at a time, and the measured page records
// with a MutationObserver when each new row appears. The other dashboards
// are clients of the same event stream with the same session, each holding
// its own subscription, so the server's fan-out (a row built, encoded and
// written per dashboard) is paid as many times as there are dashboards.
// They are not further Chromium tabs: twenty dashboards are twenty screens
// on as many machines, whose rendering does not compete for this
// machine's two CPUs; and one Chromium stalls its fourteenth tab (every
// tab holds a connection for its stream).
//
// It runs only with VEDETTA_BENCH_DASHBOARD=1. Knobs:
//
//	VEDETTA_BENCH_RATE        target background rate (default 10000 events/s)
//	VEDETTA_BENCH_PROBES      number of probes (default 200)
//	VEDETTA_BENCH_PROBE_MS    least time between two probes' requests (default 250)
//	VEDETTA_BENCH_ALERTS      alerts stored beforehand in the port (default 100000)
//	VEDETTA_BENCH_TABS        dashboards open, the measured one included (default 20)
//	VEDETTA_BENCH_CPUPROFILE  write a CPU profile of the measured window here
//	VEDETTA_BENCH_LOG         write the application's log here
//
// It reports p50/p95/p99 from the probe's request to the row in the DOM,
// and, to tell the stages apart, to the receiver's answer and to the
// alert's storing; the background rate actually accepted; the dashboard's
// load time with the stored alerts and the longest stall of the measured
// page's main thread.
func TestDashboardLatencyW9(t *testing.T) {
	if os.Getenv("VEDETTA_BENCH_DASHBOARD") == "" {
		t.Skip("set VEDETTA_BENCH_DASHBOARD=1 (make bench-dashboard)")
	}
	rate := envInt("VEDETTA_BENCH_RATE", 10000)
	probes := envInt("VEDETTA_BENCH_PROBES", 200)
	seeded := envInt("VEDETTA_BENCH_ALERTS", 100000)
	tabs := max(1, envInt("VEDETTA_BENCH_TABS", 20))
	a, base := benchApp(t)
	portID, probeToken := httpSource(t, a, "porto-portovenere", "access")
	_, loadToken := httpSource(t, a, "comune-lerici", "access")
	seedStart := time.Now()
	seedAlerts(t, a, portID, seeded)
	t.Logf("seeded %d alerts in %v", seeded, time.Since(seedStart).Round(time.Millisecond))

	// The measured dashboard, then the others in the same browser.
	ctx := benchBrowser(t)
	login(t, ctx, base, "pfso.portovenere")
	loadStart := time.Now()
	do(t, ctx, "open the dashboard", chromedp.Navigate(base+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(`#live-state[data-state="on"]`)))
	pageLoad := time.Since(loadStart)
	rowsShown := evalInt(t, ctx, `document.querySelectorAll("#queue-body tr.alert-row").length`)
	t.Logf("dashboard with %d stored alerts: live in %v, %d rows", seeded, pageLoad.Round(time.Millisecond), rowsShown)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { window.__seen = [];
		new MutationObserver((ms) => { const t = performance.timeOrigin + performance.now();
			for (const m of ms) for (const n of m.addedNodes) if (n.dataset && n.dataset.id) window.__seen.push([n.dataset.id, t]); })
		.observe(document.getElementById("queue-body"), { childList: true });
		// The longest gap between timer ticks: how long the page did not respond.
		window.__stall = 0; let last = performance.now();
		setInterval(() => { const now = performance.now(); window.__stall = Math.max(window.__stall, now - last - 50); last = now; }, 50);
		return true; })()`)); err != nil {
		t.Fatal(err)
	}
	// The other dashboards: clients of the same stream with the same
	// session, counting the alerts they receive.
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	var cookieHeader []string
	for _, c := range cookies.Cookies {
		cookieHeader = append(cookieHeader, c.Name+"="+c.Value)
	}
	// The page's server time with the stored alerts (median of five).
	var pageTimes []float64
	for range 5 {
		req, _ := http.NewRequest("GET", base+"/dashboard", nil)
		req.Header.Set("Cookie", strings.Join(cookieHeader, "; "))
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /dashboard: %s", resp.Status)
		}
		pageTimes = append(pageTimes, float64(time.Since(t0).Microseconds())/1000)
	}
	pageServer := quantiles(pageTimes)(0.5)
	streamCtx, stopStreams := context.WithCancel(context.Background())
	defer stopStreams()
	received := make([]atomic.Int64, tabs-1)
	for i := range received {
		req, _ := http.NewRequestWithContext(streamCtx, "GET", base+"/dashboard/stream", nil)
		req.Header.Set("Cookie", strings.Join(cookieHeader, "; "))
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("dashboard stream %d: %v %v", i+2, err, resp)
		}
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if sc.Text() == "event: alert" {
					received[i].Add(1)
				}
			}
		}()
	}
	// Background load: workers post NDJSON batches of ordinary web
	// requests, paced to the target rate.
	loadCtx, stopLoad := context.WithCancel(context.Background())
	var accepted, refused atomic.Int64
	var wg sync.WaitGroup
	const batch = 500
	workers := 4
	perWorker := float64(rate) / float64(workers) / batch // requests per second per worker
	for w := range workers {
		wg.Go(func() {
			lines := make([]string, batch)
			interval := time.Duration(float64(time.Second) / perWorker)
			next := time.Now()
			for i := 0; loadCtx.Err() == nil; i++ {
				now := time.Now()
				for j := range lines {
					lines[j] = fmt.Sprintf(`192.0.2.%d - - [%s] "GET /albo-pretorio?p=%d HTTP/1.1" 200 5123 "-" "bench"`, 1+(w*7+j)%250,
						now.UTC().Format("02/Jan/2006:15:04:05 -0700"), i*batch+j)
				}
				req, _ := http.NewRequestWithContext(loadCtx, "POST", base+"/api/v1/events", strings.NewReader(strings.Join(lines, "\n")))
				req.Header.Set("Authorization", "Bearer "+loadToken)
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode/100 == 2 {
						accepted.Add(batch)
					} else {
						refused.Add(batch)
					}
				}
				next = next.Add(interval)
				if d := time.Until(next); d > 0 {
					select {
					case <-loadCtx.Done():
					case <-time.After(d):
					}
				} else {
					next = time.Now()
				}
			}
		})
	}
	defer func() { stopLoad(); wg.Wait() }()
	time.Sleep(3 * time.Second) // let the load settle
	benchStart, acceptedAtStart := time.Now(), accepted.Load()
	if path := os.Getenv("VEDETTA_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	progCtx, stopProg := context.WithCancel(context.Background())
	defer stopProg()
	go func() {
		for {
			select {
			case <-progCtx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			bs := a.Bus.Stats()
			t.Logf("progress: accepted %d, refused %d, stored %.0f, bus published %d delivered %d acked %d notified %d",
				accepted.Load(), refused.Load(), gauge(a, "vedetta_pipeline_events_stored_total"), bs.Published, bs.Delivered, bs.Acked, bs.Notified)
		}
	}()

	lat := make([]float64, 0, probes)    // request sent → row in the DOM
	stored := make([]float64, 0, probes) // request sent → alert stored
	acked := make([]float64, 0, probes)  // request sent → receiver's answer (event on the bus)
	every := time.Duration(envInt("VEDETTA_BENCH_PROBE_MS", 250)) * time.Millisecond
	next := time.Now()
	for i := range probes {
		// At most one probe every VEDETTA_BENCH_PROBE_MS, so that the run
		// lasts long enough for the background load to reach its steady
		// state (a backlog builds over tens of seconds).
		time.Sleep(time.Until(next))
		next = time.Now().Add(every)
		// A new address each time: 10.100.0.1, 10.100.0.2, … never repeats
		// within 15 million probes.
		line := fmt.Sprintf(`10.%d.%d.%d - - [%s] "GET /wp-login.php HTTP/1.1" 404 162 "-" "probe"`,
			100+i/62500%150, i/250%250, 1+i%250, time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"))
		t0 := float64(time.Now().UnixNano()) / 1e6
		ingest(t, base, probeToken, line)
		acked = append(acked, float64(time.Now().UnixNano())/1e6-t0)
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__seen.length`))
			if err == nil && n > i {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("probe %d not rendered within 30s: the pipeline fell behind a background load of %.0f events/s accepted",
					i, float64(accepted.Load()-acceptedAtStart)/time.Since(benchStart).Seconds())
			}
			time.Sleep(5 * time.Millisecond)
		}
		seen, err := chromedp.Run(ctx, chromedp.Evaluate[[][]any](fmt.Sprintf(`window.__seen.slice(%d, %d)`, i, i+1)))
		if err != nil || len(seen) != 1 {
			t.Fatalf("probe %d: %v", i, err)
		}
		lat = append(lat, seen[0][1].(float64)-t0)
		if al, err := a.Store.GetAlert(context.Background(), portID, seen[0][0].(string)); err == nil {
			stored = append(stored, float64(al.CreatedAt.UnixNano())/1e6-t0)
		}
	}
	elapsed := time.Since(benchStart)
	achieved := float64(accepted.Load()-acceptedAtStart) / elapsed.Seconds()
	stopLoad()
	wg.Wait()
	stall, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__stall`))
	if err != nil {
		t.Fatal(err)
	}
	domRows := evalInt(t, ctx, `document.querySelectorAll("#queue-body tr").length`)
	// Every other dashboard received every probe's alert.
	for i := range received {
		eventually(t, fmt.Sprintf("dashboard %d received the probes", i+2), func() bool { return received[i].Load() >= int64(probes) })
	}
	stopStreams()

	q := quantiles(lat)
	qs := quantiles(stored)
	qa := quantiles(acked)
	load1, _ := os.ReadFile("/proc/loadavg")
	report := fmt.Sprintf("W9 dashboard latency, probe request -> alert row in the DOM (headless Chromium, SQLite, embedded NATS)\n"+
		"probes %d, background target %d events/s, accepted %.0f events/s (%d refused), %d CPUs, loadavg %s"+
		"%d alerts stored beforehand, %d dashboards open (1 in Chromium, the others event-stream clients); GET /dashboard %.0f ms, live in %v showing %d rows, %d rows after the run, longest main-thread stall %.0f ms\n"+
		"request -> row in DOM: p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms\n"+
		"request -> alert stored: p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms\n"+
		"request -> accepted (202): p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms\n",
		len(lat), rate, achieved, refused.Load(), runtime.NumCPU(), string(load1),
		seeded, tabs, pageServer, pageLoad.Round(time.Millisecond), rowsShown, domRows, stall,
		q(0.50), q(0.95), q(0.99), q(1), qs(0.50), qs(0.95), qs(0.99), qs(1), qa(0.50), qa(0.95), qa(0.99), qa(1))
	t.Log("\n" + report)
	dir := filepath.Join(testenv.ModuleRoot(t), "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bench-dashboard.txt"), []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "bench-dashboard")
}

// quantiles returns the q-quantile function of xs (q = 1: the maximum).
func quantiles(xs []float64) func(q float64) float64 {
	sorted := append([]float64(nil), xs...)
	sort.Float64s(sorted)
	return func(q float64) float64 {
		if len(sorted) == 0 {
			return 0
		}
		return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
	}
}

// benchApp is startDemo with the application's log written to
// VEDETTA_BENCH_LOG when set.
func benchApp(t *testing.T) (*app.App, string) {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if path := os.Getenv("VEDETTA_BENCH_LOG"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return startDemoLogging(t, logger)
}

// benchBrowser is browser without its overall time limit (a run at a low
// rate with many probes takes minutes).
func benchBrowser(t *testing.T) context.Context {
	t.Helper()
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromiumOptions(t, "en")...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// seedAlerts stores n open alerts in the tenant, older than any the run
// raises, written straight into the database in one transaction (through
// UpsertAlert, one transaction each, seeding would take minutes).
func seedAlerts(t *testing.T, a *app.App, tenantID string, n int) {
	t.Helper()
	if n == 0 {
		return
	}
	db, err := sql.Open("sqlite", a.Config.SQLitePath()+"?_busy_timeout=30000&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	stmt, err := tx.Prepare(`INSERT INTO alerts (id, tenant_id, kind, rule_id, rule_title, indicator_id, indicator_value,
		indicator_source, tlp, severity, title, description, tags_json, entities_json, dedup_key, count, first_seen, last_seen,
		events_json, status, assignee, created_at, updated_at, severity_rank, search)
		VALUES (?, ?, 'sigma', ?, ?, '', '', '', '', ?, ?, '', '[]', ?, ?, 1, ?, ?, '[]', 'new', '', ?, ?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	sevs := []store.Severity{store.SeverityLow, store.SeverityMedium, store.SeverityMedium, store.SeverityHigh, store.SeverityCritical}
	start := time.Now().Add(-time.Duration(n) * 20 * time.Millisecond).Add(-time.Minute)
	for i := range n {
		at := start.Add(time.Duration(i) * 20 * time.Millisecond)
		sev := sevs[i%len(sevs)]
		title := fmt.Sprintf("Seeded alert %d", i)
		ip := fmt.Sprintf("198.51.%d.%d", i/250%250, 1+i%250)
		ms := at.UnixMilli()
		if _, err := stmt.Exec(uuidV7(at), tenantID, "seed-"+strconv.Itoa(i%50), "Seeded rule "+strconv.Itoa(i%50), string(sev), title,
			`{"ips":["`+ip+`"]}`, "seed:"+strconv.Itoa(i), ms, ms, ms, ms, sev.Rank(), strings.ToLower(title+" "+ip)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// uuidV7 returns a version 7 UUID of time at.
func uuidV7(at time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	binary.BigEndian.PutUint64(b[:8], uint64(at.UnixMilli())<<16|uint64(b[6])<<8|uint64(b[7]))
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// gauge returns the value of a counter or gauge of the app's registry.
func gauge(a *app.App, name string) float64 {
	mfs, err := a.Registry.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		v := 0.0
		for _, m := range mf.GetMetric() {
			v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return v
	}
	return -1
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v >= 0 {
		return v
	}
	return def
}
