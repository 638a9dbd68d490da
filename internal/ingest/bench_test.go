package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// benchEnv is an Ingester on an embedded bus whose EVENTS stream keeps
// every message on file (limits retention), as durable as production.
func benchEnv(b *testing.B) *env {
	b.Helper()
	bs, err := natsbus.OpenEmbedded(b.Context(), natsbus.Options{StoreDir: b.TempDir(), Streams: []bus.StreamConfig{{
		Name: bus.StreamEvents, Subjects: []string{bus.AllEvents}, Retention: bus.RetainLimits, MaxAge: time.Hour}}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bs.Close() })
	srcs := &fakeSources{}
	in, err := New(Options{Bus: bs, Sources: srcs})
	if err != nil {
		b.Fatal(err)
	}
	return &env{bus: bs, srcs: srcs, in: in}
}

// syslogLines returns n RFC 5424 or RFC 3164 lines of about 200 bytes, the
// sshd failures of a brute force.
func syslogLines(n int, rfc string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		ip := fmt.Sprintf("203.0.%d.%d", (i/250)%250, i%250)
		if rfc == "5424" {
			out[i] = fmt.Appendf(nil, "<38>1 2026-11-24T10:11:%02d.%06dZ web01.comune.example sshd %d - - Failed password for invalid user admin%d from %s port %d ssh2",
				i%60, i%1000000, 4000+i%1000, i%100, ip, 1024+i%60000)
		} else {
			out[i] = fmt.Appendf(nil, "<38>Nov 24 10:11:%02d web01 sshd[%d]: Failed password for invalid user admin%d from %s port %d ssh2",
				i%60, 4000+i%1000, i%100, ip, 1024+i%60000)
		}
	}
	return out
}

// lineBlob returns lines LF-framed back to back in one buffer: a sender
// whose input holds no pointers, so that the garbage collector of the
// process that sends (the Vedetta benchmark's own) does not scan 300,000
// line slices on every cycle, which rsyslog's separate process is spared.
func lineBlob(lines [][]byte) []byte {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	blob := make([]byte, 0, n)
	for _, l := range lines {
		blob = append(blob, l...)
		blob = append(blob, '\n')
	}
	return blob
}

// sendLines writes a lineBlob over one TCP connection.
func sendLines(b *testing.B, addr string, blob []byte) {
	b.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for len(blob) > 0 { // in writes of 256 KiB, as a buffered sender
		n := min(len(blob), 256<<10)
		if _, err := c.Write(blob[:n]); err != nil {
			b.Fatal(err)
		}
		blob = blob[n:]
	}
}

// BenchmarkW1SyslogTCP is workload W1: RFC 5424 and RFC 3164 over TCP on
// loopback (LF framing, one connection, generator in the process), parsed,
// normalised and durable on the embedded JetStream. b.N messages per run.
func BenchmarkW1SyslogTCP(b *testing.B) {
	for _, rfc := range []string{"5424", "3164"} {
		b.Run(rfc, func(b *testing.B) {
			e := benchEnv(b)
			e.srcs.add(store.Source{TenantID: "t", Kind: store.SourceSyslogTCP, Match: "127.0.0.1", Format: "syslog", Enabled: true, KeepRaw: true})
			if err := e.in.Reload(b.Context()); err != nil {
				b.Fatal(err)
			}
			s := NewSyslogServer(e.in, SyslogOptions{TCPAddr: "127.0.0.1:0"})
			if err := s.Start(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			lines := lineBlob(syslogLines(b.N, rfc))
			runtime.GC() // the line slices are garbage: not collected during the run
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu := time.Now(), processCPU()
			sendLines(b, s.TCPAddr().String(), lines)
			for int(counterValue(e.in.m.accepted.WithLabelValues(store.SourceSyslogTCP))) < b.N {
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			// CPU of the whole process (sender included) per message: far
			// less noisy than wall time on a shared machine.
			if c := processCPU() - cpu; c > 0 {
				b.ReportMetric(float64(c.Nanoseconds())/float64(b.N), "cpu-ns/msg")
			}
		})
	}
}

// BenchmarkW1Rsyslog is the peer of W1: Debian's rsyslog, imptcp → omfile
// with its default file template, on the same input over the same kind of
// connection; it ends when the file holds every message.
func BenchmarkW1Rsyslog(b *testing.B) {
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		b.Skip("rsyslogd not installed (scripts/test-deps.sh)")
	}
	for _, rfc := range []string{"5424", "3164"} {
		b.Run(rfc, func(b *testing.B) {
			dir := b.TempDir()
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			inPort := port(ln.Addr())
			ln.Close()
			out := filepath.Join(dir, "out.log")
			conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imptcp")
input(type="imptcp" address="127.0.0.1" port=%q)
action(type="omfile" file=%q)
`, dir, inPort, out)
			stop := runRsyslog(b, bin, dir, conf, inPort)
			defer stop()
			lines := lineBlob(syslogLines(b.N, rfc))
			runtime.GC()
			b.ResetTimer()
			start := time.Now()
			sendLines(b, "127.0.0.1:"+inPort, lines)
			var c lineCounter
			for c.count(out) < b.N {
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// lineCounter counts the lines of a growing file, reading only what was
// added since its last call, so that waiting for rsyslog costs the peer
// little CPU (rereading the whole file every few milliseconds took most
// of a core by the end of a run).
type lineCounter struct {
	off   int64
	lines int
	buf   []byte
}

func (c *lineCounter) count(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return c.lines
	}
	defer f.Close()
	if c.buf == nil {
		c.buf = make([]byte, 1<<20)
	}
	for {
		n, err := f.ReadAt(c.buf, c.off)
		c.lines += bytes.Count(c.buf[:n], []byte{'\n'})
		c.off += int64(n)
		if err != nil || n == 0 {
			return c.lines
		}
	}
}

func runRsyslog(b *testing.B, bin, dir, conf, inPort string) (stop func()) {
	b.Helper()
	cf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", cf, "-i", filepath.Join(dir, "pid"))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+inPort)
		if err == nil {
			c.Close()
			break
		}
		if i > 500 {
			cmd.Process.Kill()
			cmd.Wait()
			b.Fatal("rsyslogd did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
}

var (
	w4Once   sync.Once
	w4Events [][]byte
)

// windowsEvents returns the real Windows events of about 1 KB (800 to
// 1,200 bytes) of the PurpleSharp capture of Security-Datasets.
func windowsEvents(b *testing.B) [][]byte {
	dir := testenv.SharedData(b, "security-datasets/extracted")
	w4Once.Do(func() {
		data, err := os.ReadFile(filepath.Join(dir, "purplesharp_ad_playbook_I_2020-10-22042947.json"))
		if err != nil {
			return
		}
		for l := range bytes.SplitSeq(data, []byte{'\n'}) {
			if n := len(l); n >= 800 && n <= 1200 {
				w4Events = append(w4Events, l)
			}
		}
	})
	if len(w4Events) == 0 {
		b.Fatal("no Windows events of about 1 KB")
	}
	return w4Events
}

// BenchmarkW4HTTPWindows is workload W4: HTTP NDJSON of ~1 KB Windows
// events (real Security-Datasets lines) in requests of 1,000, from 4
// concurrent clients, until durable (202). b.N events per run.
func BenchmarkW4HTTPWindows(b *testing.B) {
	for _, gz := range []bool{false, true} {
		name := "plain"
		if gz {
			name = "gzip"
		}
		b.Run(name, func(b *testing.B) {
			evs := windowsEvents(b)
			e := benchEnv(b)
			secret := "vt_bench_w4_token"
			e.srcs.add(store.Source{TenantID: "t", Kind: store.SourceHTTP, Format: "windows", Enabled: true, TokenHash: hashForTest(secret)})
			if err := e.in.Reload(b.Context()); err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(e.in.HTTPHandler(HTTPOptions{}))
			defer srv.Close()
			const per = 1000
			var bodies [][]byte
			var size int
			for i := 0; i < 8; i++ {
				var buf bytes.Buffer
				for j := range per {
					l := evs[(i*per+j)%len(evs)]
					buf.Write(l)
					buf.WriteByte('\n')
					size += len(l) + 1
				}
				body := buf.Bytes()
				if gz {
					var z bytes.Buffer
					w := gzip.NewWriter(&z)
					w.Write(body)
					w.Close()
					body = z.Bytes()
				}
				bodies = append(bodies, body)
			}
			requests := (b.N + per - 1) / per
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
			var next sync.Mutex
			sent := 0
			b.SetBytes(int64(size / len(bodies)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						next.Lock()
						i := sent
						sent++
						next.Unlock()
						if i >= requests {
							return
						}
						req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(bodies[i%len(bodies)]))
						req.Header.Set("Authorization", "Bearer "+secret)
						if gz {
							req.Header.Set("Content-Encoding", "gzip")
						}
						res, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != http.StatusAccepted {
							b.Errorf("status %d", res.StatusCode)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(requests*per)/time.Since(start).Seconds(), "events/s")
			b.SetBytes(0)
		})
	}
}

// BenchmarkSubmit measures stamping, encoding and publishing one batch of
// 512 parsed events (no network receiver).
func BenchmarkSubmit(b *testing.B) {
	e := benchEnv(b)
	src := e.srcs.add(store.Source{TenantID: "t", Kind: store.SourceHTTP, Enabled: true})
	evs := make([]event.Event, 512)
	for i := range evs {
		evs[i] = event.Event{Category: event.CategorySecurity, Observed: time.Now(), Fields: map[string]any{
			"message": strings.Repeat("x", 120), "source.ip": "203.0.113.9", "source.port": int64(22), "event.category": []string{"authentication"}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := e.in.Submit(b.Context(), store.SourceHTTP, &src, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkMarshalEvent measures the bus encoding of one event.
func BenchmarkMarshalEvent(b *testing.B) {
	ev := event.Event{ID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", TenantID: "t", SourceID: "s", Observed: time.Now(), Received: time.Now(),
		Category: event.CategorySecurity, Raw: strings.Repeat("r", 200), Fields: map[string]any{
			"message": strings.Repeat("x", 120), "source.ip": "203.0.113.9", "source.port": int64(22), "event.category": []string{"authentication"},
			"event.outcome": "failure", "user.name": "admin", "host.hostname": "web01", "process.pid": int64(4242)}}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], &ev)
	}
}

// BenchmarkBusPacking measures what packing events into bus messages
// (AppendMessages) gains: the same events encoded and published one per
// message (what Submit did before packing) and up to 64 per message (its
// default now), in publish batches of 512 events. Events/s.
func BenchmarkBusPacking(b *testing.B) {
	ev := event.Event{ID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", TenantID: "t", SourceID: "s", Observed: time.Now(), Received: time.Now(),
		Category: event.CategorySecurity, Fields: map[string]any{
			"message": strings.Repeat("x", 120), "source.ip": "203.0.113.9", "source.port": int64(22), "event.category": []string{"authentication"},
			"event.outcome": "failure", "user.name": "admin", "host.hostname": "web01", "process.pid": int64(4242)}}
	for _, per := range []int{1, 64} {
		b.Run(fmt.Sprintf("events-per-message=%d", per), func(b *testing.B) {
			e := benchEnv(b)
			const batch = 512
			evs := make([]event.Event, batch)
			subject := bus.EventSubject("t", "s")
			var msgs []bus.Msg
			var buf []byte
			n, seq := 0, 0
			b.ReportAllocs()
			b.ResetTimer()
			for n < b.N {
				k := min(batch, b.N-n)
				for i := range k {
					seq++
					evs[i] = ev
					evs[i].ID = strconv.Itoa(seq)
				}
				msgs, buf = AppendMessages(msgs[:0], buf[:0], subject, evs[:k], PackLimits{MaxEvents: per})
				n += k
				if err := e.bus.PublishBatch(b.Context(), msgs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
