package crashtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/app"
	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/config"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// buildBinary builds cmd/vedetta into dir.
func buildBinary(t testing.TB, dir string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	bin := filepath.Join(dir, "vedetta")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/vedetta")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is a running `vedetta serve`.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	log  *strings.Builder
	mu   *sync.Mutex
}

func startServer(t *testing.T, bin, conf, addr string) *server {
	t.Helper()
	s := &server{url: "http://" + addr, done: make(chan struct{}), log: &strings.Builder{}, mu: &sync.Mutex{}}
	s.cmd = exec.Command(bin, "serve", "-c", conf)
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); pw.Close(); close(s.done) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			s.mu.Lock()
			t.Logf("server log:\n%s", s.log.String())
			s.mu.Unlock()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("server exited: %s", s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("server not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCrashDuringHTTPIngestion builds the binary, streams NDJSON batches
// over HTTP, SIGKILLs the server mid-stream, restarts it and proves that
// every event answered 202 before the kill is stored exactly once (in the
// event store once the pipeline has drained the bus; with no event writer
// running, in the JetStream stream).
func TestCrashDuringHTTPIngestion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dataDir := filepath.Join(dir, "data")
	conf := filepath.Join(dir, "vedetta.yaml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("data_dir: %s\nhttp:\n  addr: %s\nlog:\n  level: warn\n  format: text\n", dataDir, addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(conf, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}

	// The demo-like tenant and HTTP source, created in the store.
	ctx := t.Context()
	st, err := app.OpenStore(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	tenant := &store.Tenant{Slug: "porto-test", Name: "Porto di prova", Kind: store.KindPort, Country: "IT", Locale: "it"}
	if err := st.CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	secret, prefix, _ := auth.NewAPIToken()
	src := &store.Source{TenantID: tenant.ID, Name: "crash test", Kind: store.SourceHTTP, Format: "json",
		Config: `{"field_map":{"msg":"message","n":"labels.n"}}`, TokenPrefix: prefix, TokenHash: auth.HashToken(secret), Enabled: true, KeepRaw: true}
	if err := st.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	st.Close()

	srv := startServer(t, bin, conf, addr)

	// Two senders stream batches of 100 events until the kill.
	const per = 100
	var mu sync.Mutex
	acked := map[string]bool{}
	sent := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				var body strings.Builder
				markers := make([]string, per)
				for i := range per {
					markers[i] = fmt.Sprintf("crash w%d b%d i%d", w, b, i)
					fmt.Fprintf(&body, `{"msg":%q,"n":%d}`+"\n", markers[i], i)
				}
				mu.Lock()
				sent += per
				mu.Unlock()
				req, _ := http.NewRequest(http.MethodPost, srv.url+"/api/v1/events", strings.NewReader(body.String()))
				req.Header.Set("Authorization", "Bearer "+secret)
				res, err := client.Do(req)
				if err != nil {
					return // the server died mid-request: outcome unknown
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusAccepted {
					mu.Lock()
					for _, m := range markers {
						acked[m] = true
					}
					mu.Unlock()
				} else if res.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("status %d", res.StatusCode)
					return
				}
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 3000 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.done
	close(stop)
	wg.Wait()
	mu.Lock()
	t.Logf("killed after %d events acknowledged, %d sent", len(acked), sent)
	mu.Unlock()

	// Restart and let the pipeline drain the bus into the store.
	srv = startServer(t, bin, conf, addr)
	counts := map[string]int{}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		counts = storedMarkers(t, cfg, tenant.ID)
		if allPresent(acked, counts) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	where := "event store"
	if len(counts) == 0 {
		// No event writer ran: the events must wait in the stream.
		srv.cmd.Process.Signal(syscall.SIGTERM)
		<-srv.done
		counts = busMarkers(t, dataDir)
		where = "bus"
	}
	missing, dup := 0, 0
	for m := range acked {
		switch counts[m] {
		case 0:
			missing++
		case 1:
		default:
			dup++
		}
	}
	for m, k := range counts {
		if k > 1 && !acked[m] {
			dup++
		}
	}
	t.Logf("%s: %d distinct events, %d acknowledged before the kill", where, len(counts), len(acked))
	if missing > 0 || dup > 0 {
		t.Fatalf("%s: %d acknowledged events missing, %d stored more than once", where, missing, dup)
	}
}

func allPresent(acked map[string]bool, counts map[string]int) bool {
	for m := range acked {
		if counts[m] == 0 {
			return false
		}
	}
	return true
}

// storedMarkers counts the events per message in the store, reading it
// while the server runs (SQLite in WAL mode allows it).
func storedMarkers(t *testing.T, cfg config.Config, tenantID string) map[string]int {
	t.Helper()
	st, err := app.OpenStore(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts := map[string]int{}
	q := store.EventQuery{Limit: 1000}
	for {
		evs, err := st.SearchEvents(t.Context(), tenantID, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			counts[ev.String("message")]++
		}
		if len(evs) < q.Limit {
			return counts
		}
		q.Before = evs[len(evs)-1].ID
	}
}

// busMarkers counts the events per message left in the EVENTS stream,
// with a fresh durable consumer on the stopped server's store.
func busMarkers(t *testing.T, dataDir string) map[string]int {
	t.Helper()
	b, err := natsbus.OpenEmbedded(t.Context(), natsbus.Options{StoreDir: filepath.Join(dataDir, "nats")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	counts := map[string]int{}
	total := 0
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Consume(ctx, bus.StreamEvents, "crash-check", nil, func(_ context.Context, batch []bus.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range batch {
				evs, err := ingest.DecodeMessage(nil, d.Data)
				if err != nil {
					return err
				}
				for _, ev := range evs {
					counts[ev.String("message")]++
					total++
				}
			}
			return nil
		}, bus.ConsumeOptions{})
	}()
	last, stable := -1, 0
	for stable < 10 {
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		if total == last {
			stable++
		} else {
			stable, last = 0, total
		}
		mu.Unlock()
	}
	cancel()
	<-done
	return counts
}

// BenchmarkIdleRSS measures the resident memory of a small installation
// idling with 10 sources (HTTP, syslog UDP/TCP, file, embedded MQTT) after
// 15 seconds. It builds the binary, so it runs only with
// VEDETTA_BENCH_INGEST=1 (scripts/bench-ingest.sh).
func BenchmarkIdleRSS(b *testing.B) {
	if os.Getenv("VEDETTA_BENCH_INGEST") != "1" {
		b.Skip("set VEDETTA_BENCH_INGEST=1 (builds and runs the binary)")
	}
	dir := b.TempDir()
	bin := buildBinary(b, dir)
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	addr := free()
	dataDir := filepath.Join(dir, "data")
	conf := filepath.Join(dir, "vedetta.yaml")
	yaml := fmt.Sprintf("data_dir: %s\nhttp:\n  addr: %s\nlog:\n  level: warn\ningest:\n  syslog_udp: %s\n  syslog_tcp: %s\n  mqtt_broker: %s\n",
		dataDir, addr, free(), free(), free())
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(conf, func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	st, err := app.OpenStore(b.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	tenant := &store.Tenant{Slug: "comune", Name: "Comune", Kind: store.KindMunicipality, Country: "IT", Locale: "it"}
	if err := st.CreateTenant(b.Context(), tenant); err != nil {
		b.Fatal(err)
	}
	logFile := filepath.Join(dir, "app.log")
	os.WriteFile(logFile, nil, 0o600)
	for i, s := range []store.Source{
		{Kind: store.SourceHTTP, Format: "windows"}, {Kind: store.SourceHTTP, Format: "accesscontrol"},
		{Kind: store.SourceHTTP, Format: "frigate"}, {Kind: store.SourceHTTP, Format: "cef"},
		{Kind: store.SourceSyslogUDP, Match: "10.0.0.1"}, {Kind: store.SourceSyslogTCP, Match: "10.0.0.0/24"},
		{Kind: store.SourceSyslogTCP, Match: "127.0.0.1"}, {Kind: store.SourceFile, Match: logFile, Format: "access"},
		{Kind: store.SourceMQTT, Match: "sensors/#", Format: "accesscontrol", Config: `{"embedded":true}`},
		{Kind: store.SourceHTTP, Format: "json", Config: `{"field_map":{"msg":"message"}}`},
	} {
		_, prefix, hash := auth.NewAPIToken()
		s.TenantID, s.Name, s.Enabled, s.TokenPrefix, s.TokenHash = tenant.ID, fmt.Sprintf("source %d", i), true, prefix, hash
		if err := st.CreateSource(b.Context(), &s); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	cmd := exec.Command(bin, "serve", "-c", conf)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for i := 0; ; i++ {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			break
		}
		if i > 600 {
			b.Fatal("server not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.ResetTimer()
	var rss float64
	for range b.N {
		time.Sleep(15 * time.Second)
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		if err != nil {
			b.Fatal(err)
		}
		for l := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				var kb float64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
				rss = kb / 1024
			}
		}
	}
	b.ReportMetric(rss, "MB-rss")
}
