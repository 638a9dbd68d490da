package normalize

import (
	"bufio"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func parseFields(t *testing.T, p Parser, in string, keys map[string]any) (map[string]any, *event.Event) {
	t.Helper()
	var ev event.Event
	if err := p.Parse([]byte(in), &ev); err != nil {
		t.Fatalf("%q: %v", in, err)
	}
	checkValueTypes(t, &ev)
	got := map[string]any{}
	for k := range keys {
		if v, ok := ev.Fields[k]; ok {
			got[k] = v
		}
	}
	return got, &ev
}

func TestAccessLog(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]any
		time time.Time
	}{
		{
			name: "apache combined",
			in:   `83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh)"`,
			want: map[string]any{"source.ip": "83.149.9.216", "http.request.method": "GET",
				"url.original": "/presentations/logstash-monitorama-2013/images/kibana-search.png",
				"url.path":     "/presentations/logstash-monitorama-2013/images/kibana-search.png", "http.version": "1.1",
				"http.response.status_code": int64(200), "http.response.body.bytes": int64(203023),
				"http.request.referrer": "http://semicomplete.com/presentations/logstash-monitorama-2013/",
				"user_agent.original":   "Mozilla/5.0 (Macintosh)", "event.outcome": "success",
				"event.category": []string{"web"}, "event.type": []string{"access"}},
			time: time.Date(2015, 5, 17, 10, 5, 3, 0, time.UTC),
		},
		{
			name: "common with user, query and offset",
			in:   `2001:db8::1 - alice [24/Nov/2026:10:11:12 +0100] "POST /login.php?next=%2Fadmin&x=1 HTTP/2.0" 401 -`,
			want: map[string]any{"source.ip": "2001:db8::1", "user.name": "alice", "http.request.method": "POST",
				"url.path": "/login.php", "url.query": "next=%2Fadmin&x=1", "http.version": "2.0",
				"http.response.status_code": int64(401), "event.outcome": "failure"},
			time: time.Date(2026, 11, 24, 9, 11, 12, 0, time.UTC),
		},
		{
			name: "nginx escaped TLS probe",
			in:   `198.51.100.7 - - [24/Nov/2026:10:11:12 +0000] "\x16\x03\x01\x00\xF1\x01" 400 157 "-" "-"`,
			want: map[string]any{"url.original": "\x16\x03\x01\x00\xf1\x01", "http.response.status_code": int64(400)},
			time: time.Date(2026, 11, 24, 10, 11, 12, 0, time.UTC),
		},
		{
			name: "apache escaped quote in user agent and proxy request",
			in:   `192.0.2.5 - - [24/Nov/2026:10:11:12 -0500] "GET http://example.com/x?y=1 HTTP/1.0" 200 5 "-" "curl \"7\""`,
			want: map[string]any{"user_agent.original": `curl "7"`, "url.domain": "example.com", "url.path": "/x",
				"url.query": "y=1", "url.scheme": "http"},
			time: time.Date(2026, 11, 24, 15, 11, 12, 0, time.UTC),
		},
		{
			name: "hostname client, empty request",
			in:   `crawler.example.net - - [24/Nov/2026:10:11:12 +0000] "-" 408 0 "-" "-"`,
			want: map[string]any{"source.domain": "crawler.example.net", "http.response.status_code": int64(408),
				"http.response.body.bytes": int64(0)},
			time: time.Date(2026, 11, 24, 10, 11, 12, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := New("nginx", Options{})
			got, ev := parseFields(t, p, tt.in, tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !ev.Observed.Equal(tt.time) || ev.Category != event.CategoryWeb {
				t.Errorf("time %v category %q", ev.Observed, ev.Category)
			}
		})
	}
}

func TestWebMalformed(t *testing.T) {
	tests := []struct{ name, format, in, reason string }{
		{"empty", "access", "", "missing client address"},
		{"no time", "access", `1.2.3.4 - - "GET / HTTP/1.1" 200 1`, "missing [time]"},
		{"bad time", "access", `1.2.3.4 - - [32/Foo/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1`, "invalid time"},
		{"unterminated time", "access", `1.2.3.4 - - [17/May/2015:10:05:03 +0000 "GET /" 200 1`, "unterminated [time]"},
		{"no request", "access", `1.2.3.4 - - [17/May/2015:10:05:03 +0000] 200 1`, "missing quoted request"},
		{"unterminated request", "access", `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1 200 1`, "unterminated request"},
		{"bad status", "access", `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 2x0 1`, "invalid status"},
		{"bad size", "access", `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 -5`, "invalid size"},
		{"unterminated referrer", "access", `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "http://x`, "unterminated referrer"},
		{"apache error no level", "apache_error", `[Sun Dec 04 04:47:44 2005] hello`, "missing [level]"},
		{"apache error bad time", "apache_error", `[Sun Dec 34 04:47:44 2005] [error] x`, "invalid time"},
		{"nginx error bad time", "nginx_error", `2024/13/02 03:04:05 [error] 1#1: x`, "invalid time"},
		{"nginx error short", "nginx_error", `2024/01/02`, "line too short"},
		{"iis too many values", "iis", "2026-11-24 10:00:00 1.1.1.1 GET / - 443 - 2.2.2.2 UA - 200 0 0 15 extra", "more values"},
		{"iis too few values", "iis", "2026-11-24 10:00:00 1.1.1.1 GET /", "values for"},
		{"iis bad status", "iis", "2026-11-24 10:00:00 1.1.1.1 GET / - 443 - 2.2.2.2 UA - abc 0 0 15", "invalid sc-status"},
		{"iis bad date", "iis", "2026-13-24 10:00:00 1.1.1.1 GET / - 443 - 2.2.2.2 UA - 200 0 0 15", "invalid date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.format, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ev := event.Event{Fields: map[string]any{"stale": 1}}
			err = p.Parse([]byte(tt.in), &ev)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %v, want ErrMalformed with %q", err, tt.reason)
			}
			if len(ev.Fields) != 0 {
				t.Errorf("half-accepted: %v", ev.Fields)
			}
		})
	}
}

func forLines(t *testing.T, path string, fn func(n int, line string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		fn(n, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestAccessLogCorpus parses all 10,000 real combined-format lines.
func TestAccessLogCorpus(t *testing.T) {
	path := filepath.Join(testenv.SharedData(t, "web-access-logs/apache_logs"), "apache_logs")
	p, _ := New("access", Options{})
	ok, bad := 0, 0
	status := map[int64]int{}
	methods := map[string]int{}
	forLines(t, path, func(n int, line string) {
		var ev event.Event
		if err := p.Parse([]byte(line), &ev); err != nil {
			bad++
			t.Errorf("line %d %q: %v", n, line, err)
			return
		}
		ok++
		code, _ := ev.Fields["http.response.status_code"].(int64)
		status[code]++
		methods[ev.String("http.request.method")]++
		if ev.String("source.ip") == "" || ev.Observed.IsZero() {
			t.Errorf("line %d: no source.ip or time: %v", n, ev.Fields)
		}
	})
	t.Logf("apache_logs: %d parsed, %d bad; status %v; methods %v", ok, bad, status, methods)
	if ok != 10000 {
		t.Errorf("parsed %d lines, want 10000", ok)
	}
}

// TestApacheErrorCorpus parses loghub's Apache_2k error log and compares the
// level and message with the ground truth.
func TestApacheErrorCorpus(t *testing.T) {
	dir := testenv.SharedData(t, "loghub/Apache")
	lines := readLines(t, filepath.Join(dir, "Apache_2k.log"))
	truth := readTruthCols(t, filepath.Join(dir, "Apache_2k.log_structured.csv"), "Level", "Content", "EventId")
	p, _ := New("apache_error", Options{})
	var levels, msgs, clients accuracy
	for i, line := range lines {
		var ev event.Event
		if err := p.Parse([]byte(line), &ev); err != nil {
			t.Errorf("line %d %q: %v", i+1, line, err)
			continue
		}
		levels.check(ev.String("log.level"), truth[i][0])
		want := strings.TrimSpace(truth[i][1])
		if strings.HasPrefix(want, "[client ") { // we move "[client x]" to source.ip
			_, want, _ = strings.Cut(want, "] ")
		}
		msgs.check(ev.String("message"), want)
		if truth[i][2] == "E4" { // "[client <*>] Directory index forbidden by rule: <*>"
			want := strings.TrimPrefix(strings.SplitN(line, "[client ", 2)[1], "")
			want, _, _ = strings.Cut(want, "]")
			clients.check(ev.String("source.ip"), want)
		}
	}
	t.Logf("Apache_2k: level %d/%d, message %d/%d, client %d/%d", levels.correct, levels.checked, msgs.correct, msgs.checked, clients.correct, clients.checked)
	if levels.checked != 2000 || levels.rate() < 1 || clients.rate() < 1 || clients.checked == 0 {
		t.Errorf("level accuracy %.4f over %d lines, client %.4f", levels.rate(), levels.checked, clients.rate())
	}
	if msgs.rate() < 1 {
		t.Errorf("message accuracy %.4f", msgs.rate())
	}
}

func readTruthCols(t *testing.T, path string, cols ...string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = -1
		for j, h := range recs[0] {
			if h == c {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			t.Fatalf("%s: no column %s", path, c)
		}
	}
	var out [][]string
	for _, rec := range recs[1:] {
		row := make([]string, len(cols))
		for i, j := range idx {
			row[i] = rec[j]
		}
		out = append(out, row)
	}
	return out
}

func TestErrorLogs(t *testing.T) {
	tests := []struct {
		name, format, in string
		want             map[string]any
	}{
		{
			name: "apache 2.4", format: "apache_error",
			in: `[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:49324] AH00128: File does not exist: /usr/local/apache2/htdocs/favicon.ico`,
			want: map[string]any{"log.level": "error", "log.logger": "core", "process.pid": int64(35708),
				"process.thread.id": int64(4328636416), "source.ip": "72.15.99.187", "source.port": int64(49324),
				"error.code": "AH00128", "message": "AH00128: File does not exist: /usr/local/apache2/htdocs/favicon.ico"},
		},
		{
			name: "nginx", format: "nginx_error",
			in: `2026/11/24 10:11:12 [error] 1234#5678: *99 open() "/var/www/x.php" failed (2: No such file or directory), client: 203.0.113.9, server: comune.example, request: "GET /x.php?a=1 HTTP/1.1", host: "comune.example"`,
			want: map[string]any{"log.level": "error", "process.pid": int64(1234), "process.thread.id": int64(5678),
				"source.ip": "203.0.113.9", "http.request.method": "GET", "url.path": "/x.php", "url.query": "a=1",
				"url.domain": "comune.example", "nginx.error.connection_id": "99"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := New(tt.format, Options{})
			got, _ := parseFields(t, p, tt.in, tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestIISFieldsHeader checks that the parser follows #Fields directives per
// source: the same data line means different things after another header.
func TestIISFieldsHeader(t *testing.T) {
	p, _ := New("iis", Options{})
	lines := []string{
		"#Software: Microsoft Internet Information Services 10.0",
		"#Version: 1.0",
		"#Date: 2026-11-24 10:00:00",
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
		"2026-11-24 10:00:01 10.0.0.5 GET /owa/auth/logon.aspx replaceCurrent=1 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15",
		"#Fields: date time c-ip cs-username cs-method cs-uri-stem sc-status sc-bytes cs-version cs-host",
		"2026-11-24 10:00:02 198.51.100.4 CONTOSO\\bob POST /ecp/ 500 1234 HTTP/1.1 mail.comune.example",
	}
	var evs []event.Event
	skipped := 0
	for _, l := range lines {
		var ev event.Event
		err := p.Parse([]byte(l), &ev)
		if errors.Is(err, ErrNoEvent) {
			skipped++
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		evs = append(evs, ev)
	}
	if skipped != 5 || len(evs) != 2 {
		t.Fatalf("skipped %d, events %d", skipped, len(evs))
	}
	want0 := map[string]any{"destination.ip": "10.0.0.5", "http.request.method": "GET", "url.path": "/owa/auth/logon.aspx",
		"url.query": "replaceCurrent=1", "url.original": "/owa/auth/logon.aspx?replaceCurrent=1", "destination.port": int64(443),
		"source.ip": "203.0.113.9", "user_agent.original": "Mozilla/5.0 (Windows NT 10.0)", "http.response.status_code": int64(200),
		"iis.access.sub_status": int64(0), "iis.access.win32_status": int64(0), "event.duration": int64(15 * time.Millisecond)}
	got0 := map[string]any{}
	for k := range want0 {
		got0[k] = evs[0].Fields[k]
	}
	if diff := cmp.Diff(want0, got0); diff != "" {
		t.Errorf("first (-want +got):\n%s", diff)
	}
	want1 := map[string]any{"source.ip": "198.51.100.4", "user.name": `CONTOSO\bob`, "http.request.method": "POST",
		"url.path": "/ecp/", "http.response.status_code": int64(500), "http.response.body.bytes": int64(1234),
		"http.version": "1.1", "url.domain": "mail.comune.example", "event.outcome": "failure"}
	got1 := map[string]any{}
	for k := range want1 {
		got1[k] = evs[1].Fields[k]
	}
	if diff := cmp.Diff(want1, got1); diff != "" {
		t.Errorf("second (-want +got):\n%s", diff)
	}
	if !evs[1].Observed.Equal(time.Date(2026, 11, 24, 10, 0, 2, 0, time.UTC)) {
		t.Errorf("time %v", evs[1].Observed)
	}
}

func FuzzWeb(f *testing.F) {
	for _, s := range []string{
		`83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a?b HTTP/1.1" 200 203023 "http://x/" "Mozilla/5.0"`,
		`1.2.3.4 - u [17/May/2015:10:05:03 -0130] "\x16\x03" 400 - "-" "a \"b\""`,
		`[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1:tid 2] [client 1.2.3.4:5] AH00128: x`,
		`[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] Directory index forbidden by rule: /var/www/html/`,
		`2026/11/24 10:11:12 [error] 1#2: *3 x, client: 1.2.3.4, request: "GET / HTTP/1.1", host: "h"`,
		"#Fields: date time c-ip sc-status", "2026-11-24 10:00:02 1.2.3.4 200", `"`, `[`, "- - - [",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, format := range []string{"access", "apache_error", "nginx_error", "iis"} {
			p, _ := New(format, Options{})
			var ev event.Event
			err := p.Parse([]byte(in), &ev)
			// Building a list gives the same outcome as building a map.
			lp, _ := New(format, Options{ListFields: true})
			var lev event.Event
			lerr := lp.Parse([]byte(in), &lev)
			if (err == nil) != (lerr == nil) {
				t.Fatalf("%s: error %v, building a list %v", format, err, lerr)
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoEvent) {
					t.Fatalf("%s: %v", format, err)
				}
				if len(ev.Fields) != 0 || lev.Len() != 0 {
					t.Fatalf("%s: fields after error", format)
				}
				continue
			}
			checkValueTypes(t, &ev)
			if diff := cmp.Diff(ev.Fields, lev.FieldMap()); diff != "" {
				t.Fatalf("%s %q (-map +list):\n%s", format, in, diff)
			}
		}
	})
}

var benchAccess = []byte(`83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"`)

func BenchmarkAccessCombined(b *testing.B) {
	p, _ := New("access", Options{})
	benchParse(b, p, benchAccess)
}
