package normalize

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/leodido/go-syslog/v4/rfc3164"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// vector is one case of influxdata/go-syslog's test tables as dumped to JSONL.
type vector struct {
	Suite    string `json:"suite"`
	Index    int    `json:"index"`
	InputB64 string `json:"input_b64"`
	Valid    bool   `json:"valid"`
	Error    string `json:"error"`
	Value    *struct {
		Priority       *int                         `json:"Priority"`
		Facility       *int                         `json:"Facility"`
		Severity       *int                         `json:"Severity"`
		Version        int                          `json:"Version"`
		Timestamp      *string                      `json:"Timestamp"`
		Hostname       *string                      `json:"Hostname"`
		Appname        *string                      `json:"Appname"`
		ProcID         *string                      `json:"ProcID"`
		MsgID          *string                      `json:"MsgID"`
		Message        *string                      `json:"Message"`
		StructuredData map[string]map[string]string `json:"StructuredData"`
	} `json:"value"`
}

func readVectors(t *testing.T, name string) []vector {
	t.Helper()
	path := filepath.Join(testenv.SharedData(t, "syslog-vectors/go-syslog"), name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// vectorFields is the subset of an event that the vectors specify.
func vectorFields(ev *event.Event, withYear bool) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"log.syslog.priority", "log.syslog.facility.code", "log.syslog.severity.code",
		"host.hostname", "log.syslog.appname", "log.syslog.procid", "log.syslog.msgid", "message", "log.syslog.version"} {
		if v, ok := ev.Fields[k]; ok {
			if s, isStr := v.(string); isStr {
				v = jsonSafe(s)
			}
			out[k] = v
		}
	}
	for k, v := range ev.Fields {
		if len(k) > len("log.syslog.structured_data.") && k[:len("log.syslog.structured_data.")] == "log.syslog.structured_data." {
			out[k] = v
		}
	}
	if !ev.Observed.IsZero() {
		if withYear {
			out["@timestamp"] = ev.Observed.UTC().Format(time.RFC3339Nano)
		} else {
			out["@timestamp"] = ev.Observed.UTC().Format("01-02T15:04:05.999999999")
		}
	}
	return out
}

// jsonSafe replaces each invalid UTF-8 byte with U+FFFD, as encoding/json
// did when the vectors were dumped: the expected messages of vectors 138–144
// (raw Latin-1 bytes) can only be compared that way. The parser itself keeps
// the original bytes.
func jsonSafe(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func wantFields(t *testing.T, v vector, withYear bool) map[string]any {
	t.Helper()
	w := v.Value
	out := map[string]any{}
	if w.Priority != nil {
		out["log.syslog.priority"] = int64(*w.Priority)
		out["log.syslog.facility.code"] = int64(*w.Facility)
		out["log.syslog.severity.code"] = int64(*w.Severity)
	}
	if w.Version != 0 {
		out["log.syslog.version"] = strconv.Itoa(w.Version)
	}
	set := func(k string, p *string) {
		if p != nil && *p != "" {
			out[k] = *p
		}
	}
	set("host.hostname", w.Hostname)
	set("log.syslog.appname", w.Appname)
	set("log.syslog.procid", w.ProcID)
	set("log.syslog.msgid", w.MsgID)
	set("message", w.Message)
	for id, params := range w.StructuredData {
		if len(params) == 0 {
			out["log.syslog.structured_data."+id] = true
		}
		for k, val := range params {
			out["log.syslog.structured_data."+id+"."+k] = val
		}
	}
	if w.Timestamp != nil {
		ts, err := time.Parse(time.RFC3339Nano, *w.Timestamp)
		if err != nil {
			t.Fatalf("vector %s/%d: timestamp %q: %v", v.Suite, v.Index, *w.Timestamp, err)
		}
		if withYear {
			out["@timestamp"] = ts.UTC().Format(time.RFC3339Nano)
		} else {
			out["@timestamp"] = ts.UTC().Format("01-02T15:04:05.999999999")
		}
	}
	return out
}

// TestSyslogConformance5424 runs every RFC 5424 vector (valid and invalid)
// through the strict parser and checks validity and every expected field.
func TestSyslogConformance5424(t *testing.T) {
	vectors := readVectors(t, "rfc5424_machine_vectors.jsonl")
	for _, goSyslog := range []bool{false, true} {
		name := "scanner"
		if goSyslog {
			name = "go-syslog"
		}
		t.Run(name, func(t *testing.T) {
			p, err := New("syslog5424", Options{UseGoSyslog5424: goSyslog})
			if err != nil {
				t.Fatal(err)
			}
			conformance5424(t, p, vectors)
		})
	}
}

func conformance5424(t *testing.T, p Parser, vectors []vector) {
	pass := map[string]int{}
	total := map[string]int{}
	for _, v := range vectors {
		in, err := base64.StdEncoding.DecodeString(v.InputB64)
		if err != nil {
			t.Fatal(err)
		}
		key := v.Suite + " valid=" + strconv.FormatBool(v.Valid)
		total[key]++
		var ev event.Event
		perr := p.Parse(in, &ev)
		if !v.Valid {
			if perr == nil {
				t.Errorf("%s/%d %q: accepted, want error %q", v.Suite, v.Index, in, v.Error)
				continue
			}
			if !errors.Is(perr, ErrMalformed) {
				t.Errorf("%s/%d: error %v does not wrap ErrMalformed", v.Suite, v.Index, perr)
				continue
			}
			if len(ev.Fields) != 0 {
				t.Errorf("%s/%d: fields left after error: %v", v.Suite, v.Index, ev.Fields)
				continue
			}
			pass[key]++
			continue
		}
		if perr != nil {
			t.Errorf("%s/%d %q: %v", v.Suite, v.Index, in, perr)
			continue
		}
		if diff := cmp.Diff(wantFields(t, v, true), vectorFields(&ev, true)); diff != "" {
			t.Errorf("%s/%d %q: fields (-want +got):\n%s", v.Suite, v.Index, in, diff)
			continue
		}
		pass[key]++
	}
	n, sum := 0, 0
	for k, tot := range total {
		t.Logf("%s: %d/%d pass", k, pass[k], tot)
		n += pass[k]
		sum += tot
	}
	t.Logf("rfc5424 vectors: %d/%d pass", n, sum)
	if len(vectors) != 667 {
		t.Errorf("read %d vectors, want 667", len(vectors))
	}
}

// TestSyslogConformance3164 runs the RFC 3164 vectors through the tolerant
// scanner, both as "syslog3164" and through auto-detection. The vectors have
// no year (go-syslog reports year 0), so the year is compared separately:
// it must be inferred from Options.Now.
func TestSyslogConformance3164(t *testing.T) {
	vectors := readVectors(t, "rfc3164_machine_vectors.jsonl")
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	for _, format := range []string{"syslog3164", "syslog"} {
		p, err := New(format, Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		pass := 0
		for _, v := range vectors {
			in, _ := base64.StdEncoding.DecodeString(v.InputB64)
			var ev event.Event
			if err := p.Parse(in, &ev); err != nil {
				t.Errorf("%s %d %q: %v", format, v.Index, in, err)
				continue
			}
			if diff := cmp.Diff(wantFields(t, v, false), vectorFields(&ev, false)); diff != "" {
				t.Errorf("%s %d %q: (-want +got):\n%s", format, v.Index, in, diff)
				continue
			}
			if ev.Observed.Year() != 2026 {
				t.Errorf("%s %d: year %d, want 2026", format, v.Index, ev.Observed.Year())
				continue
			}
			pass++
		}
		t.Logf("%s: rfc3164 vectors %d/%d pass", format, pass, len(vectors))
		if len(vectors) != 8 {
			t.Errorf("read %d vectors, want 8", len(vectors))
		}
	}
}

func fixedNow(y int, m time.Month, d int) Options {
	now := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return Options{Now: func() time.Time { return now }}
}

// TestSyslog3164Variants covers the real-world variants the tolerant scanner
// accepts.
func TestSyslog3164Variants(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		in   string
		want map[string]any
		time time.Time
	}{
		{
			name: "missing host",
			opts: fixedNow(2026, 3, 1),
			in:   "<38>Feb 28 10:00:00 sshd[42]: Connection closed by 10.0.0.1",
			want: map[string]any{"log.syslog.appname": "sshd", "process.name": "sshd", "log.syslog.procid": "42",
				"process.pid": int64(42), "message": "Connection closed by 10.0.0.1"},
			time: time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC),
		},
		{
			name: "no PRI, loghub style",
			opts: fixedNow(2026, 12, 20),
			in:   "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
			want: map[string]any{"host.hostname": "LabSZ", "process.name": "sshd", "process.pid": int64(24200),
				"message": "Invalid user webmaster from 173.234.31.186"},
			time: time.Date(2026, 12, 10, 6, 55, 46, 0, time.UTC),
		},
		{
			name: "year inference: December line read in January",
			opts: fixedNow(2027, 1, 2),
			in:   "<13>Dec 31 23:59:59 host app: bye",
			want: map[string]any{"host.hostname": "host", "process.name": "app", "message": "bye"},
			time: time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
		},
		{
			name: "year inference: January line read on 31 December (clock skew)",
			opts: fixedNow(2026, 12, 31),
			in:   "<13>Jan  1 00:00:01 host app: hello",
			want: map[string]any{"host.hostname": "host", "process.name": "app", "message": "hello"},
			time: time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC),
		},
		{
			name: "ISO timestamp with zone",
			in:   "<34>2026-11-24T10:11:12.345+01:00 web01 nginx: started",
			want: map[string]any{"host.hostname": "web01", "process.name": "nginx", "message": "started"},
			time: time.Date(2026, 11, 24, 9, 11, 12, 345000000, time.UTC),
		},
		{
			name: "ISO timestamp without zone uses Options.Location",
			opts: Options{Location: time.FixedZone("CET", 3600)},
			in:   "<34>2026-11-24T10:11:12.5 web01 nginx: started",
			want: map[string]any{"host.hostname": "web01", "process.name": "nginx", "message": "started"},
			time: time.Date(2026, 11, 24, 9, 11, 12, 500000000, time.UTC),
		},
		{
			name: "date and time separated by a space",
			in:   "<34>2026-11-24 10:11:12 web01 nginx: started",
			want: map[string]any{"host.hostname": "web01", "process.name": "nginx", "message": "started"},
			time: time.Date(2026, 11, 24, 10, 11, 12, 0, time.UTC),
		},
		{
			name: "sequence number and Cisco marker",
			opts: fixedNow(2026, 5, 1),
			in:   "<189>123: *Apr 29 13:58:46.411: %SYS-5-CONFIG_I: Configured from console",
			want: map[string]any{"event.sequence": int64(123), "process.name": "%SYS-5-CONFIG_I", "message": "Configured from console"},
			time: time.Date(2026, 4, 29, 13, 58, 46, 411000000, time.UTC),
		},
		{
			name: "year after the day",
			in:   "<13>Mar  4 2024 01:02:03 fw1 kernel: drop",
			want: map[string]any{"host.hostname": "fw1", "process.name": "kernel", "message": "drop"},
			time: time.Date(2024, 3, 4, 1, 2, 3, 0, time.UTC),
		},
		{
			name: "PAM sub-tag",
			opts: fixedNow(2026, 6, 20),
			in:   "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
			want: map[string]any{"host.hostname": "combo", "log.syslog.appname": "sshd(pam_unix)", "process.name": "sshd",
				"process.pid": int64(19939), "message": "check pass; user unknown"},
			time: time.Date(2026, 6, 14, 15, 16, 1, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New("syslog", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var ev event.Event
			if err := p.Parse([]byte(tt.in), &ev); err != nil {
				t.Fatal(err)
			}
			got := map[string]any{}
			for k := range tt.want {
				got[k] = ev.Fields[k]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if !ev.Observed.Equal(tt.time) {
				t.Errorf("time = %v, want %v", ev.Observed, tt.time)
			}
			if ev.Raw != tt.in {
				t.Errorf("raw = %q", ev.Raw)
			}
		})
	}
}

func TestSyslogMalformed(t *testing.T) {
	tests := []struct {
		name, format, in, reason string
	}{
		{"empty", "syslog", "", "empty line"},
		{"bad priority", "syslog", "<192>Jan  1 00:00:00 h a: m", "invalid priority"},
		{"unterminated priority", "syslog3164", "<13 Jan  1 00:00:00 h a: m", "invalid priority"},
		{"no timestamp", "syslog", "<13>hello world", "missing or invalid timestamp"},
		{"bad month", "syslog", "<13>Foo  1 00:00:00 h a: m", "missing or invalid timestamp"},
		{"bad clock", "syslog", "<13>Jan  1 25:00:00 h a: m", "missing or invalid timestamp"},
		{"glued timestamp", "syslog", "<13>Jan  1 00:00:00host a: m", "no space after timestamp"},
		{"5424 bad version", "syslog5424", "<13>0 - - - - - -", "rfc5424"},
		{"5424 bad timestamp", "syslog5424", "<13>1 2024-13-01T00:00:00Z h a - - - m", "rfc5424"},
		{"5424 bad SD", "syslog5424", `<13>1 - h a - - [x@1 k="v] m`, "rfc5424"},
		{"Feb 30", "syslog", "<13>Feb 30 00:00:00 h a: m", "missing or invalid timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := New(tt.format, Options{})
			ev := event.Event{Fields: map[string]any{"stale": "x"}}
			err := p.Parse([]byte(tt.in), &ev)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %q, want reason %q", err, tt.reason)
			}
			if len(ev.Fields) != 0 || ev.Raw != "" {
				t.Errorf("half-accepted: %v %q", ev.Fields, ev.Raw)
			}
		})
	}
}

var syslogSeeds = []string{
	"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed for lonvick on /dev/pts/8",
	`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...`,
	"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
	"Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
	"<85>Jan 24 15:50:41 ip-172-31-30-110 sudo[6040]: ec2-user : TTY=pts/0 ; PWD=/var/log ; USER=root ; COMMAND=/bin/tail secure",
	"<13>2026-11-24T10:11:12Z h CEF:0|Vendor|Prod|1.0|100|Name|5|src=10.0.0.1 dst=10.0.0.2",
	"<189>123: *Apr 29 13:58:46.411: %SYS-5-CONFIG_I: Configured",
	"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
	"<13>Feb 29 00:00:00 h a: m", "<", "<1>", "<1>1", "Jan", "Jan  1 00:00:00",
}

func FuzzSyslog(f *testing.F) {
	for _, s := range syslogSeeds {
		f.Add([]byte(s))
	}
	p, _ := New("syslog", fixedNow(2026, 1, 1))
	lo := fixedNow(2026, 1, 1)
	lo.ListFields = true
	lp, _ := New("syslog", lo)
	var reused event.Event // as the ingestion path reuses events
	f.Fuzz(func(t *testing.T, in []byte) {
		var ev event.Event
		err := p.Parse(in, &ev)
		// Building a list gives the same outcome as building a map.
		lerr := lp.Parse(in, &reused)
		if (err == nil) != (lerr == nil) {
			t.Fatalf("error %v, building a list %v", err, lerr)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if len(ev.Fields) != 0 || reused.Len() != 0 {
				t.Fatalf("fields after error: %v, %d listed", ev.Fields, reused.Len())
			}
			return
		}
		checkValueTypes(t, &ev)
		got := reused.FieldMap()
		reused.UseList()
		if diff := cmp.Diff(ev.Fields, got); diff != "" {
			t.Fatalf("%q (-map +list):\n%s", in, diff)
		}
	})
}

// checkValueTypes asserts the closed set of field value types.
func checkValueTypes(t *testing.T, ev *event.Event) {
	t.Helper()
	for k, v := range ev.Fields {
		switch v.(type) {
		case string, int64, float64, bool, []string:
		default:
			t.Fatalf("field %s has type %T", k, v)
		}
	}
}

var (
	bench5424 = []byte(`<165>1 2026-11-24T10:11:12.003Z web01.comune.example nginx 4242 ACCESS [meta@32473 sequenceId="14125553" site="sp-01"] 203.0.113.9 GET /login 401 user=alice`)
	bench3164 = []byte(`<38>Nov 24 10:11:12 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 50522 ssh2`)
)

func BenchmarkSyslog5424(b *testing.B) {
	p, _ := New("syslog5424", Options{})
	benchParse(b, p, bench5424)
}

// BenchmarkSyslog3164 measures the hand-written scanner including the sshd
// program parser (the realistic path for auth logs).
func BenchmarkSyslog3164(b *testing.B) {
	p, _ := New("syslog3164", Options{})
	benchParse(b, p, bench3164)
}

// BenchmarkSyslog3164GoSyslog is the same line through go-syslog's RFC 3164
// machine, header only (no ECS mapping, no sshd parser), for comparison with
// BenchmarkSyslog3164Header.
func BenchmarkSyslog3164GoSyslog(b *testing.B) {
	m := rfc3164.NewMachine(rfc3164.WithYear(rfc3164.CurrentYear{}))
	b.ReportAllocs()
	b.SetBytes(int64(len(bench3164)))
	for b.Loop() {
		if _, err := m.Parse(bench3164); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyslog3164Header is our scanner on the same line, header only.
func BenchmarkSyslog3164Header(b *testing.B) {
	p := newSyslog("syslog3164", Options{}, mode3164)
	var ev event.Event
	b.ReportAllocs()
	b.SetBytes(int64(len(bench3164)))
	for b.Loop() {
		begin(&ev, bench3164, p.opts)
		if err := p.parse3164(bench3164, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func benchParse(b *testing.B, p Parser, line []byte) {
	b.Helper()
	var ev event.Event
	if err := p.Parse(line, &ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := p.Parse(line, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyslog3164GoSyslogMapped is go-syslog's machine plus the same ECS
// mapping into ev.Fields that our scanner does: the fair comparison with
// BenchmarkSyslog3164Header.
func BenchmarkSyslog3164GoSyslogMapped(b *testing.B) {
	m := rfc3164.NewMachine(rfc3164.WithYear(rfc3164.CurrentYear{}))
	var ev event.Event
	b.ReportAllocs()
	b.SetBytes(int64(len(bench3164)))
	for b.Loop() {
		begin(&ev, bench3164, Options{})
		msg, err := m.Parse(bench3164)
		if err != nil {
			b.Fatal(err)
		}
		sm := msg.(*rfc3164.SyslogMessage)
		setPriority(&ev, int(*sm.Priority))
		ev.Observed = *sm.Timestamp
		ev.Set("host.hostname", *sm.Hostname)
		setAppname(&ev, *sm.Appname)
		setProcID(&ev, *sm.ProcID)
		ev.Set("message", *sm.Message)
	}
}

// FuzzSyslog5424Differential checks the built-in RFC 5424 scanner against
// go-syslog's state machine: same verdict, same fields, same time.
func FuzzSyslog5424Differential(f *testing.F) {
	for _, s := range []string{
		string(bench5424), syslogSeeds[0], syslogSeeds[1],
		`<1>1 - - - - - -`, `<191>999 2018-12-31T23:59:59.999999-23:59 h a p m [a@1 k="v\]\"\\"][b] msg`,
		`<0>1 2024-02-29T00:00:00Z - - - - [x k=""]`, `<13>1 2023-02-29T00:00:00Z - - - - -`, `<13>1 - - - - - [a][a]`,
		`<13>1 - - - - - [a k="\n"]`, "<13>1 - - - - - - \xef\xbb\xbf\xff", `<013>1 - - - - - -`, `<13>01 - - - - - -`,
	} {
		f.Add([]byte(s))
	}
	own, _ := New("syslog5424", Options{})
	ref, _ := New("syslog5424", Options{UseGoSyslog5424: true})
	f.Fuzz(func(t *testing.T, in []byte) {
		var a, b event.Event
		errA := own.Parse(in, &a)
		errB := ref.Parse(in, &b)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("%q: scanner err %v, go-syslog err %v", in, errA, errB)
		}
		if errA != nil {
			return
		}
		if diff := cmp.Diff(b.Fields, a.Fields); diff != "" {
			t.Fatalf("%q: fields (-go-syslog +scanner):\n%s", in, diff)
		}
		if !a.Observed.Equal(b.Observed) {
			t.Fatalf("%q: time %v vs %v", in, a.Observed, b.Observed)
		}
	})
}

// BenchmarkSyslog5424GoSyslog is the same line through go-syslog's machine
// with the same ECS mapping (UseGoSyslog5424).
func BenchmarkSyslog5424GoSyslog(b *testing.B) {
	p, _ := New("syslog5424", Options{UseGoSyslog5424: true})
	benchParse(b, p, bench5424)
}
