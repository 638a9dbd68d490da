package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func TestSplitRecords(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []record
		wantErr string
	}{
		{"object", `{"a":1}`, []record{{1, []byte(`{"a":1}`)}}, ""},
		{"pretty object", "{\n \"a\": 1\n}\n", []record{{1, []byte("{\n \"a\": 1\n}")}}, ""},
		{"array", ` [ {"a":"x,]}"} , {"b":[1,{"c":2}]} ] `, []record{{1, []byte(`{"a":"x,]}"}`)}, {2, []byte(`{"b":[1,{"c":2}]}`)}}, ""},
		{"array escaped quote", `[{"a":"\"]"}]`, []record{{1, []byte(`{"a":"\"]"}`)}}, ""},
		{"empty array", `[]`, nil, ""},
		{"ndjson keeps line numbers", "{\"a\":1}\n\n{\"b\":2}\r\n", []record{{1, []byte(`{"a":1}`)}, {3, []byte(`{"b":2}`)}}, ""},
		{"blank", " \n ", nil, ""},
		{"array trailing data", `[{"a":1}] x`, nil, "data after the array"},
		{"array unterminated", `[{"a":1}`, nil, "unterminated"},
		{"array unterminated string", `[{"a":"1}]`, nil, "unterminated string"},
		{"array empty element", `[{"a":1},,{"b":2}]`, nil, "element 2 is empty"},
		{"array trailing comma", `[{"a":1},]`, nil, "element 2 is empty"},
		{"array stray brace", `[{"a":1}}]`, nil, "unexpected }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitRecords([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error, tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err.Error)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(record{})); diff != "" {
				t.Fatalf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzSplitRecords(f *testing.F) {
	f.Add(`[{"a":"x,]}"},{"b":[1]}]`)
	f.Add("{\"a\":1}\n{\"b\":2}")
	f.Add(`[{"a":"\"]"}`)
	f.Add(`[[[[`)
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := splitRecords([]byte(in))
		if err != nil {
			if len(recs) != 0 {
				t.Fatal("records returned with an error")
			}
			return
		}
		for _, r := range recs {
			if len(r.data) == 0 || r.line < 1 || !strings.Contains(in, string(r.data)) {
				t.Fatalf("bad record %+v from %q", r, in)
			}
		}
		// A valid JSON array splits into its valid elements.
		var arr []json.RawMessage
		if strings.HasPrefix(strings.TrimSpace(in), "[") && json.Unmarshal([]byte(in), &arr) == nil {
			if len(arr) != len(recs) {
				t.Fatalf("%d elements, %d records", len(arr), len(recs))
			}
			for i := range arr {
				if !bytes.Equal(bytes.TrimSpace(arr[i]), recs[i].data) {
					t.Fatalf("element %d = %s, record %s", i, arr[i], recs[i].data)
				}
			}
		}
	})
}

const accessJSON = `{"time":"2026-11-24T08:15:02Z","site":"port-sp-01","zone":"quay-3","door":"gate-3-north","result":"denied","badge_id":"04A2B9C1"}`

func post(t *testing.T, h http.Handler, token, body string, hdr map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/events", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("answer %d is not JSON: %v", res.StatusCode, err)
	}
	return res, out
}

func gz(t *testing.T, s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.String()
}

func TestHTTPAccepts(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	src, token := e.httpSource("tenant-a", "accesscontrol", "")
	h := e.in.HTTPHandler(HTTPOptions{})
	two := accessJSON + "\n" + strings.Replace(accessJSON, "denied", "granted", 1) + "\n"
	tests := []struct {
		name string
		body string
		hdr  map[string]string
		want int
	}{
		{"object", accessJSON, nil, 1},
		{"array", "[" + accessJSON + "," + accessJSON + "]", nil, 2},
		{"ndjson", two, nil, 2},
		{"gzip ndjson", gz(t, two), map[string]string{"Content-Encoding": "gzip"}, 2},
	}
	total := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := post(t, h, token, tt.body, tt.hdr)
			if res.StatusCode != http.StatusAccepted || out["accepted"] != float64(tt.want) {
				t.Fatalf("status %d, %v", res.StatusCode, out)
			}
			total += tt.want
		})
	}
	evs := c.wait(t, total)
	for _, ev := range evs {
		if ev.TenantID != src.TenantID || ev.SourceID != src.ID || ev.Raw == "" || ev.Category == "" {
			t.Fatalf("event %+v", ev)
		}
		if ev.String("vedetta.door.id") != "gate-3-north" {
			t.Fatalf("door = %q in %v", ev.String("vedetta.door.id"), ev.Fields)
		}
	}
	if got := e.counter("accepted", store.SourceHTTP); got != float64(total) {
		t.Fatalf("accepted counter = %v, want %d", got, total)
	}
	eventually(t, "health flushed", func() bool {
		e.srcs.mu.Lock()
		defer e.srcs.mu.Unlock()
		var n int64
		for _, h := range e.srcs.health {
			if h.SourceID == src.ID {
				n += h.Events
			}
		}
		return n == int64(total)
	})
}

func TestHTTPRejects(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	_, token := e.httpSource("tenant-a", "accesscontrol", "")
	_, badFormat := e.httpSource("tenant-a", "json", "") // json without field_map cannot parse
	h := e.in.HTTPHandler(HTTPOptions{MaxBody: 4096, MaxEvents: 4})
	tests := []struct {
		name      string
		token     string
		body      string
		hdr       map[string]string
		status    int
		errorsOut []RecordError
		code      string
	}{
		{"no token", "", accessJSON, nil, 401, nil, "ingest.unauthorized"},
		{"unknown token", "vt_nope", accessJSON, nil, 401, nil, "ingest.unauthorized"},
		{"bad line", token, accessJSON + "\n{\"door\":\"x\"}\n" + accessJSON + "\nnot json\n", nil, 400,
			[]RecordError{{Line: 2}, {Line: 4}}, ""},
		{"bad array", token, "[" + accessJSON + ",", nil, 400, []RecordError{{Line: 1}}, ""},
		{"too many", token, strings.Repeat(accessJSON+"\n", 5), nil, 413, nil, "ingest.too_large"},
		{"too big", token, strings.Repeat(" ", 5000) + accessJSON, nil, 413, nil, "ingest.too_large"},
		{"gzip bomb", token, gz(t, strings.Repeat(" ", 100000)+accessJSON), map[string]string{"Content-Encoding": "gzip"}, 413, nil, "ingest.too_large"},
		{"bad gzip", token, accessJSON, map[string]string{"Content-Encoding": "gzip"}, 400, nil, "ingest.malformed"},
		{"unknown encoding", token, accessJSON, map[string]string{"Content-Encoding": "br"}, 415, nil, "ingest.malformed"},
		{"empty", token, "\n", nil, 400, nil, "ingest.empty"},
		{"source format unusable", badFormat, accessJSON, nil, 500, nil, "ingest.source_config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := post(t, h, tt.token, tt.body, tt.hdr)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %v", res.StatusCode, tt.status, out)
			}
			if tt.code != "" {
				if got := out["error"].(map[string]any)["code"]; got != tt.code {
					t.Fatalf("code %v, want %s", got, tt.code)
				}
			}
			if tt.errorsOut != nil {
				list, _ := out["errors"].([]any)
				if out["accepted"] != 0.0 || len(list) != len(tt.errorsOut) {
					t.Fatalf("answer %v", out)
				}
				for i, x := range list {
					m := x.(map[string]any)
					if m["line"] != float64(tt.errorsOut[i].Line) || m["error"] == "" {
						t.Fatalf("error %d = %v, want line %d", i, m, tt.errorsOut[i].Line)
					}
				}
			}
		})
	}
	// All or nothing: no rejected request stored anything.
	if evs := c.settle(); len(evs) != 0 {
		t.Fatalf("%d events stored from rejected requests", len(evs))
	}
	if e.counter("refused", store.SourceHTTP, ReasonUnknownSender) != 2 {
		t.Fatalf("unknown senders not counted")
	}
	if e.counter("errors", store.SourceHTTP, ReasonMalformed) < 3 {
		t.Fatalf("parse errors not counted")
	}
}

// TestHTTPTenantFromToken: whatever the body claims, events belong to the
// token's tenant and source.
func TestHTTPTenantFromToken(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	srcA, tokenA := e.httpSource("tenant-a", "json", `{"field_map":{"msg":"message","tenant_id":"organization.id","source_id":"labels.source"}}`)
	srcB, _ := e.httpSource("tenant-b", "json", `{"field_map":{"msg":"message"}}`)
	h := e.in.HTTPHandler(HTTPOptions{})
	body := `{"msg":"spoof","tenant_id":"` + srcB.TenantID + `","source_id":"` + srcB.ID + `","id":"fixed-id"}`
	res, out := post(t, h, tokenA, body, nil)
	if res.StatusCode != 202 {
		t.Fatalf("status %d %v", res.StatusCode, out)
	}
	ev := c.wait(t, 1)[0]
	if ev.TenantID != srcA.TenantID || ev.SourceID != srcA.ID || ev.ID == "fixed-id" {
		t.Fatalf("event %s/%s id %s, want %s/%s", ev.TenantID, ev.SourceID, ev.ID, srcA.TenantID, srcA.ID)
	}
}

func TestHTTPBacklogFull(t *testing.T) {
	e := newEnv(t, envOpts{maxMsgs: 3})
	_, token := e.httpSource("tenant-a", "accesscontrol", "")
	h := e.in.HTTPHandler(HTTPOptions{})
	// Three requests fill the stream of three messages (a request's
	// events share a message).
	for range 3 {
		res, out := post(t, h, token, strings.Repeat(accessJSON+"\n", 2), nil)
		if res.StatusCode != 202 {
			t.Fatalf("status %d %v", res.StatusCode, out)
		}
	}
	res, out := post(t, h, token, accessJSON, nil)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q: %v", res.StatusCode, res.Header.Get("Retry-After"), out)
	}
	if out["error"].(map[string]any)["code"] != "ingest."+ReasonBacklogFull {
		t.Fatalf("answer %v", out)
	}
	if e.counter("refused", store.SourceHTTP, ReasonBacklogFull) != 1 {
		t.Fatal("refusal not counted")
	}
}

func TestHTTPRateLimits(t *testing.T) {
	e := newEnv(t, envOpts{tenantRate: 5, now: frozenClock()})
	secret := "vt_ratelimited_source_token"
	e.addSource(store.Source{TenantID: "tenant-a", Kind: store.SourceHTTP, Format: "accesscontrol",
		TokenHash: hashForTest(secret), RateLimit: 2})
	_, quotaToken := e.httpSource("tenant-q", "accesscontrol", "")
	h := e.in.HTTPHandler(HTTPOptions{})
	tests := []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"within source limit", secret, accessJSON + "\n" + accessJSON, 202, ""},
		{"source limit reached", secret, accessJSON, 429, "ingest." + ReasonRateLimit},
		{"batch over source limit", secret, strings.Repeat(accessJSON+"\n", 3), 413, "ingest." + ReasonRateLimit},
		{"within tenant quota", quotaToken, strings.Repeat(accessJSON+"\n", 1000), 202, ""},
		{"tenant quota reached", quotaToken, accessJSON, 429, "ingest." + ReasonTenantQuota},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := post(t, h, tt.token, tt.body, nil)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %v", res.StatusCode, tt.status, out)
			}
			if tt.code != "" && out["error"].(map[string]any)["code"] != tt.code {
				t.Fatalf("answer %v", out)
			}
			if tt.status == 429 && res.Header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
		})
	}
}

// TestHTTPSecurityDatasets posts real Windows events (Security-Datasets)
// as NDJSON and checks every line is stored.
func TestHTTPSecurityDatasets(t *testing.T) {
	dir := testenv.SharedData(t, "security-datasets/extracted")
	files, _ := filepath.Glob(filepath.Join(dir, "cmd_*.json"))
	if len(files) == 0 {
		t.Fatal("no dataset files")
	}
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	_, token := e.httpSource("tenant-a", "windows", "")
	h := e.in.HTTPHandler(HTTPOptions{})
	want := 0
	for _, f := range files[:2] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		lines := 0
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			body.Write(sc.Bytes())
			body.WriteByte('\n')
			lines++
			if lines%500 == 0 {
				res, out := post(t, h, token, gz(t, body.String()), map[string]string{"Content-Encoding": "gzip"})
				if res.StatusCode != 202 || out["accepted"] != 500.0 {
					t.Fatalf("%s: status %d %v", filepath.Base(f), res.StatusCode, out)
				}
				body.Reset()
			}
		}
		if body.Len() > 0 {
			res, out := post(t, h, token, body.String(), nil)
			if res.StatusCode != 202 || out["accepted"] != float64(lines%500) {
				t.Fatalf("%s: status %d %v", filepath.Base(f), res.StatusCode, out)
			}
		}
		want += lines
	}
	evs := c.wait(t, want)
	withCode := 0
	for _, ev := range evs {
		if ev.String("event.code") != "" {
			withCode++
		}
		if ev.Category != event.CategorySecurity && ev.Category != event.CategorySystem {
			t.Fatalf("category %q", ev.Category)
		}
	}
	if withCode != want {
		t.Fatalf("%d of %d events have event.code", withCode, want)
	}
}

func hashForTest(secret string) string { return auth.HashToken(secret) }

// TestHTTPReusesBuffers sends plain and gzip bodies, good and bad, through
// one handler, so that pooled gzip readers, record lists and event slices
// are reused after successes and failures, and checks that every answer and
// every stored event belongs to its own request.
func TestHTTPReusesBuffers(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	_, token := e.httpSource("tenant-a", "accesscontrol", "")
	h := e.in.HTTPHandler(HTTPOptions{})
	body := func(door string, n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(strings.Replace(accessJSON, "gate-3-north", door, 1))
			b.WriteByte('\n')
		}
		return b.String()
	}
	gzHdr := map[string]string{"Content-Encoding": "gzip"}
	truncated := gz(t, body("x", 3))
	truncated = truncated[:len(truncated)-6]
	steps := []struct {
		body   string
		hdr    map[string]string
		status int
		door   string
		n      int
	}{
		{gz(t, body("gz-a", 5)), gzHdr, 202, "gz-a", 5},
		{"not gzip", gzHdr, 400, "", 0},
		{gz(t, body("gz-b", 2)), gzHdr, 202, "gz-b", 2},
		{truncated, gzHdr, 400, "", 0},
		{body("plain-a", 7), nil, 202, "plain-a", 7},
		{gz(t, body("gz-c", 1)), gzHdr, 202, "gz-c", 1},
		{body("plain-b", 2) + "{oops}\n", nil, 400, "", 0},
		{gz(t, body("gz-d", 3)+body("gz-d", 3)), map[string]string{"Content-Encoding": "x-gzip"}, 202, "gz-d", 6},
		{"[" + strings.TrimSuffix(strings.ReplaceAll(body("arr", 3), "\n", ","), ",") + "]", nil, 202, "arr", 3},
		{body("plain-c", 1), nil, 202, "plain-c", 1},
	}
	want := map[string]int{}
	total := 0
	for i, st := range steps {
		res, out := post(t, h, token, st.body, st.hdr)
		if res.StatusCode != st.status {
			t.Fatalf("step %d: status %d, want %d: %v", i, res.StatusCode, st.status, out)
		}
		if st.status == 202 {
			if out["accepted"] != float64(st.n) {
				t.Fatalf("step %d: %v, want %d accepted", i, out, st.n)
			}
			want[st.door] += st.n
			total += st.n
		}
	}
	got := map[string]int{}
	for _, ev := range c.wait(t, total) {
		got[ev.String("vedetta.door.id")]++
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events per door (-want +got):\n%s", diff)
	}
}

// TestHTTPParallelParse sends requests large enough to be parsed by
// several goroutines and checks that the events keep the records' order
// and that the rejected records are listed in line order, at most
// maxListedErrors of them, all counted.
func TestHTTPParallelParse(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	_, token := e.httpSource("tenant-a", "windows", "")
	h := e.in.HTTPHandler(HTTPOptions{})
	rec := func(i int) string {
		return fmt.Sprintf(`{"EventID":4625,"Channel":"Security","Hostname":"DC01","RecordNumber":%d,"TargetUserName":"u%d","IpAddress":"203.0.113.%d"}`, i, i, i%250)
	}
	const n = 3*minParallelRecords + 17
	var good strings.Builder
	for i := range n {
		good.WriteString(rec(i) + "\n")
	}
	res, out := post(t, h, token, good.String(), nil)
	if res.StatusCode != http.StatusAccepted || out["accepted"] != float64(n) {
		t.Fatalf("status %d, %v", res.StatusCode, out)
	}
	for i, ev := range c.wait(t, n) {
		if got := ev.String("winlog.record_id"); got != strconv.Itoa(i) {
			t.Fatalf("event %d has record %s", i, got)
		}
	}

	for _, badLines := range [][]int{{5, n / 2, n - 1}, manyLines(3, n, 7)} {
		var b strings.Builder
		bad := map[int]bool{}
		for _, l := range badLines {
			bad[l] = true
		}
		for i := 1; i <= n; i++ {
			if bad[i] {
				b.WriteString(`{"Channel":"Security"}` + "\n")
			} else {
				b.WriteString(rec(i) + "\n")
			}
		}
		before := e.counter("errors", store.SourceHTTP, ReasonMalformed)
		res, out := post(t, h, token, b.String(), nil)
		if res.StatusCode != http.StatusBadRequest || out["accepted"] != float64(0) {
			t.Fatalf("status %d, %v", res.StatusCode, out)
		}
		list, _ := out["errors"].([]any)
		if want := min(len(badLines), maxListedErrors); len(list) != want {
			t.Fatalf("%d errors listed, want %d", len(list), want)
		}
		for i, x := range list {
			m := x.(map[string]any)
			if m["line"] != float64(badLines[i]) || !strings.Contains(m["error"].(string), "no EventID") {
				t.Fatalf("error %d = %v, want line %d", i, m, badLines[i])
			}
		}
		if got := e.counter("errors", store.SourceHTTP, ReasonMalformed) - before; got != float64(len(badLines)) {
			t.Fatalf("errors counter grew by %v, want %d", got, len(badLines))
		}
	}
}

// manyLines returns every step-th line from first up to n.
func manyLines(first, n, step int) []int {
	var out []int
	for l := first; l <= n; l += step {
		out = append(out, l)
	}
	return out
}
