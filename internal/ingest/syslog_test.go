package ingest

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// startSyslog starts TCP and UDP listeners on loopback.
func startSyslog(t *testing.T, e *env, opts SyslogOptions) *SyslogServer {
	t.Helper()
	if opts.TCPAddr == "" {
		opts.TCPAddr = "127.0.0.1:0"
	}
	if opts.UDPAddr == "" {
		opts.UDPAddr = "127.0.0.1:0"
	}
	s := NewSyslogServer(e.in, opts)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func port(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (scripts/test-deps.sh)", name)
		}
		t.Skipf("%s not installed (scripts/test-deps.sh)", name)
	}
	return p
}

func messages(evs []event.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.String("message"))
	}
	slices.Sort(out)
	return out
}

// TestSyslogLogger sends with util-linux logger over TCP with octet
// counting, over TCP with LF framing and over UDP.
func TestSyslogLogger(t *testing.T) {
	logger := needTool(t, "logger")
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	tcp := e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "127.0.0.1", KeepRaw: true})
	udp := e.addSource(store.Source{Kind: store.SourceSyslogUDP, Match: "127.0.0.0/8", TenantID: "tenant-b"})
	s := startSyslog(t, e, SyslogOptions{})
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command(logger, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("logger %v: %v: %s", args, err, out)
		}
	}
	run("--tcp", "--octet-count", "-n", "127.0.0.1", "-P", port(s.TCPAddr()), "--rfc5424", "-t", "vedetta-test", "-i", "octet 5424")
	run("--tcp", "--octet-count", "-n", "127.0.0.1", "-P", port(s.TCPAddr()), "--rfc3164", "-t", "sshd", "-i",
		"Failed password for invalid user admin from 203.0.113.9 port 50522 ssh2")
	run("--tcp", "-n", "127.0.0.1", "-P", port(s.TCPAddr()), "--rfc5424", "-t", "vedetta-test", "lf 5424")
	run("-d", "-n", "127.0.0.1", "-P", port(s.UDPAddr()), "--rfc5424", "-t", "vedetta-test", "udp 5424")
	run("-d", "-n", "127.0.0.1", "-P", port(s.UDPAddr()), "--rfc3164", "-t", "vedetta-test", "udp 3164")

	evs := c.wait(t, 5)
	want := []string{"Failed password for invalid user admin from 203.0.113.9 port 50522 ssh2", "lf 5424", "octet 5424", "udp 3164", "udp 5424"}
	if diff := cmp.Diff(want, messages(evs)); diff != "" {
		t.Fatalf("messages (-want +got):\n%s", diff)
	}
	for _, ev := range evs {
		switch {
		case strings.HasPrefix(ev.String("message"), "udp"):
			if ev.SourceID != udp.ID || ev.TenantID != "tenant-b" || ev.Raw != "" {
				t.Errorf("udp event %+v", ev)
			}
		default:
			if ev.SourceID != tcp.ID || ev.TenantID != "tenant-a" || ev.Raw == "" {
				t.Errorf("tcp event %+v", ev)
			}
		}
		if strings.HasPrefix(ev.String("message"), "Failed password") {
			if ev.String("source.ip") != "203.0.113.9" || ev.String("event.outcome") != "failure" || ev.Category != event.CategorySecurity {
				t.Errorf("sshd event fields %v", ev.Fields)
			}
		}
	}
	if got := e.counter("accepted", store.SourceSyslogTCP); got != 3 {
		t.Errorf("tcp accepted = %v", got)
	}
}

// TestSyslogUnknownSender: a sender no source matches is refused (TCP
// closed) or counted (UDP), never silently dropped.
func TestSyslogUnknownSender(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "10.0.0.0/8"})
	e.addSource(store.Source{Kind: store.SourceSyslogUDP, Match: "192.0.2.7"})
	s := startSyslog(t, e, SyslogOptions{})

	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "<13>1 2026-11-24T08:00:00Z h app - - - hello\n")
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection from an unknown sender was not closed")
	}
	u, err := net.Dial("udp", s.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	fmt.Fprintf(u, "<13>1 2026-11-24T08:00:00Z h app - - - hello")
	eventually(t, "refusals counted", func() bool {
		return e.counter("refused", store.SourceSyslogTCP, ReasonUnknownSender) == 1 &&
			e.counter("refused", store.SourceSyslogUDP, ReasonUnknownSender) == 1
	})
	if evs := c.settle(); len(evs) != 0 {
		t.Fatalf("%d events stored", len(evs))
	}
}

// TestSyslogMostSpecificSource: the longest matching prefix wins, then "*".
func TestSyslogMostSpecificSource(t *testing.T) {
	e := newEnv(t, envOpts{})
	any := e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "*", TenantID: "t-any"})
	wide := e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "127.0.0.0/8", TenantID: "t-wide"})
	host := e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "127.0.0.2", TenantID: "t-host"})
	bad := e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "not an address", TenantID: "t-bad"})
	_ = bad
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.2", host.ID},
		{"::ffff:127.0.0.2", host.ID},
		{"127.0.0.1", wide.ID},
		{"192.0.2.1", any.ID},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got := e.in.reg.byAddr(store.SourceSyslogTCP, mustAddr(t, tt.addr))
			if got == nil || got.src.ID != tt.want {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
		})
	}
}

// TestSyslogGoSyslogVectors sends every go-syslog test vector over TCP with
// octet counting (messages may contain newlines) and checks that exactly
// the vectors the strict parser accepts are stored, byte for byte.
func TestSyslogGoSyslogVectors(t *testing.T) {
	dir := testenv.SharedData(t, "syslog-vectors/go-syslog")
	for _, tc := range []struct{ file, format string }{
		{"rfc5424_machine_vectors.jsonl", "syslog5424"},
		{"rfc3164_machine_vectors.jsonl", "syslog3164"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var inputs [][]byte
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var v struct {
					InputB64 string `json:"input_b64"`
				}
				if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
					t.Fatal(err)
				}
				in, err := base64.StdEncoding.DecodeString(v.InputB64)
				if err != nil {
					t.Fatal(err)
				}
				if len(in) > 0 {
					inputs = append(inputs, in)
				}
			}
			e := newEnv(t, envOpts{})
			c := e.collect("test")
			e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "127.0.0.1", Format: tc.format, KeepRaw: true})
			s := startSyslog(t, e, SyslogOptions{})

			p, err := normalize.New(tc.format, normalize.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			conn, err := net.Dial("tcp", s.TCPAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			w := bufio.NewWriter(conn)
			for _, in := range inputs {
				var ev event.Event
				if p.Parse(in, &ev) == nil {
					// The bus encoding replaces each invalid UTF-8 byte
					// with U+FFFD, as converting to runes does.
					want = append(want, string([]rune(ev.Raw)))
				}
				w.WriteString(strconv.Itoa(len(in)) + " ")
				w.Write(in)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			evs := c.wait(t, len(want))
			var got []string
			for _, ev := range evs {
				got = append(got, ev.Raw)
			}
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("raw messages (-want +got):\n%s", diff)
			}
			bad := len(inputs) - len(want)
			eventually(t, "errors counted", func() bool {
				return e.counter("errors", store.SourceSyslogTCP, ReasonMalformed) == float64(bad)
			})
			t.Logf("%d vectors: %d stored, %d refused as malformed", len(inputs), len(want), bad)
		})
	}
}

// TestSyslogTCPBackPressure: with the stream full the connection is not
// read further; once space frees up, the batch is taken.
func TestSyslogTCPBackPressure(t *testing.T) {
	e := newEnv(t, envOpts{maxMsgs: 2})
	e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "127.0.0.1"})
	s := startSyslog(t, e, SyslogOptions{})
	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 4 {
		fmt.Fprintf(conn, "<13>1 2026-11-24T08:00:00Z h app - - - m%d\n", i)
		time.Sleep(50 * time.Millisecond)
	}
	eventually(t, "refusal counted", func() bool {
		return e.counter("refused", store.SourceSyslogTCP, ReasonBacklogFull) >= 1
	})
	// Consuming frees the stream (interest retention): the held batch
	// goes through and the rest of the connection is read.
	c := e.collect("test")
	c.wait(t, 4)
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSyslogTCPOrder: a connection's batches are parsed by several workers
// but reach the bus in the order they were sent, each line once.
func TestSyslogTCPOrder(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "127.0.0.1"})
	s := startSyslog(t, e, SyslogOptions{BatchSize: 16})
	c := e.collect("test")
	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 5000
	w := bufio.NewWriter(conn)
	for i := range n {
		fmt.Fprintf(w, "<13>1 2026-11-24T08:00:00Z h app - - - seq %d\n", i)
		if i%700 == 0 {
			w.Flush() // batches of every size, not only full ones
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	evs := c.wait(t, n)
	if len(evs) != n {
		t.Fatalf("%d events, want %d", len(evs), n)
	}
	for i, ev := range evs {
		if want := fmt.Sprintf("seq %d", i); ev.String("message") != want {
			t.Fatalf("event %d is %q, want %q: order lost", i, ev.String("message"), want)
		}
	}
}
