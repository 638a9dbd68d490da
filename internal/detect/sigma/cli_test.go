package sigma

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.yml":      ruleText("    sel: {A: x}\n    condition: sel\n"),
		"sub/bad.yml":   ruleText("    sel: {A|nope: x}\n    condition: sel\n"),
		"sub/other.txt": "not a rule",
		"corr.yml":      "title: c\ncorrelation:\n    type: event_count\n    rules: [missing]\n    timespan: 1m\n    condition: {gte: 1}\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	loaded, failed, err := Check(dir, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if loaded != 1 || failed != 2 {
		t.Errorf("loaded %d failed %d, want 1 and 2\n%s", loaded, failed, out.String())
	}
	for _, want := range []string{filepath.Join(dir, "sub", "bad.yml") + ":6: unknown modifier", "rule \"missing\" is not loaded", "1 rules loaded (0 correlations), 2 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTestEvents(t *testing.T) {
	rules, err := Parse([]byte(specExample), "spec.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	more, err := Parse([]byte(`title: Whoami
id: 00000000-0000-4000-8000-00000000000a
level: medium
logsource: {product: windows, category: process_creation}
detection:
    sel: {Image|endswith: '\whoami.exe'}
    condition: sel
`), "w.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NewRuleset(append(rules, more...), nil)
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	// A Sysmon event in EVTX-JSON shape (concatenated, not NDJSON).
	in.WriteString(`{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\Windows\\System32\\WHOAMI.EXE"}}}` + "\n")
	for i := range 10 {
		in.WriteString(`{"Channel":"Security","EventID":4625,"User":"bob","@timestamp":"2024-01-01T00:00:0` + string(rune('0'+i)) + `Z"}` + "\n")
	}
	in.WriteString(`{"Channel":"Security","EventID":4624,"User":"bob","@timestamp":"2024-01-01T00:01:00Z"} {"Channel":"Security","EventID":4624,"User":"eve"}`)
	var out strings.Builder
	if err := TestEvents(rs, strings.NewReader(in.String()), &out); err != nil {
		t.Fatal(err)
	}
	var got []TestMatch
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var m TestMatch
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		m.Value = nil
		got = append(got, m)
	}
	want := []TestMatch{
		{RuleID: "00000000-0000-4000-8000-00000000000a", Title: "Whoami", Level: "medium", EventIndex: 0},
		{RuleID: "a8418a5a-5fc4-46b5-b23b-6c73beb19d41", Title: "Multiple failed logons", EventIndex: 10, Type: "event_count", Group: []string{"bob"}},
		{RuleID: "b180ead8-d58f-40b2-ae54-c8940995b9b6", Title: "Correlation - Multiple Failed Logins Followed by Successful Login", Level: "high", EventIndex: 11, Type: "temporal_ordered", Group: []string{"bob"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	if err := TestEvents(rs, strings.NewReader(`{"a":1} {broken`), &out); err == nil || !strings.Contains(err.Error(), "event 1") {
		t.Errorf("malformed input error = %v", err)
	}
}

// TestTestEventsRegression runs one real regression file through the CLI
// path with the whole corpus.
func TestTestEventsRegression(t *testing.T) {
	root := testenv.SharedData(t, "sigma/regression_data")
	rs := sigmaHQRules(t)
	f, err := os.Open(filepath.Join(root, "rules/windows/process_creation/proc_creation_win_sc_stop_service/81bcb81b-5b1f-474b-b373-52c871aaa7b1.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	if err := TestEvents(rs, f, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"rule_id":"81bcb81b-5b1f-474b-b373-52c871aaa7b1"`) {
		t.Errorf("expected rule missing from:\n%s", out.String())
	}
}
