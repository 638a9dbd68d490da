package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testRule = `title: Whoami
id: 5e2a1c2e-7b77-4a39-9d3e-1f0c0c1d2e3f
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
level: medium
`

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSigmaCheck(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "good.yml", testRule)
	var out, errb bytes.Buffer
	if err := Run(t.Context(), []string{"sigma", "check", dir}, nil, &out, &errb); err != nil {
		t.Fatalf("check of a good rule: %v\n%s", err, out.String())
	}
	writeFile(t, dir, "bad.yml", "title: Broken\nlogsource: {product: windows}\ndetection:\n    sel:\n        Image|nosuchmodifier: x\n    condition: sel\n")
	out.Reset()
	err := Run(t.Context(), []string{"sigma", "check", dir}, nil, &out, &errb)
	if !errors.Is(err, ErrRulesFailed) {
		t.Errorf("check with a bad rule: err = %v, want ErrRulesFailed", err)
	}
	if !strings.Contains(out.String(), "bad.yml") {
		t.Errorf("output does not name the bad file:\n%s", out.String())
	}
}

func TestSigmaTest(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "whoami.yml", testRule)
	events := writeFile(t, dir, "events.json",
		`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\notepad.exe"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\WHOAMI.EXE"}{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\whoami.exe"}
`)
	var out, errb bytes.Buffer
	if err := Run(t.Context(), []string{"sigma", "test", "--rules", dir, "--events", events}, nil, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var idx []int
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m struct {
			RuleID     string `json:"rule_id"`
			Title      string `json:"title"`
			Level      string `json:"level"`
			EventIndex int    `json:"event_index"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if m.RuleID != "5e2a1c2e-7b77-4a39-9d3e-1f0c0c1d2e3f" || m.Title != "Whoami" || m.Level != "medium" {
			t.Errorf("match = %+v", m)
		}
		idx = append(idx, m.EventIndex)
	}
	if len(idx) != 2 || idx[0] != 1 || idx[1] != 2 {
		t.Errorf("matched event indexes %v, want [1 2]", idx)
	}
	// The built-in rules alone, on stdin.
	out.Reset()
	door := `{"@timestamp":"2026-11-24T10:00:00Z","event.action":"door-forced","vedetta.door.id":"gate-3"}`
	err := Run(t.Context(), []string{"sigma", "test", "--builtin", "--fields", "ecs", "--events", "-"}, strings.NewReader(door), &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"rule_id":"1d94f13f-48b6-41b9-ae2b-63a88c76ce9a"`) {
		t.Errorf("built-in door rule did not match: %s", out.String())
	}
	if err := Run(t.Context(), []string{"sigma", "test", "--events", events}, nil, &out, &errb); err == nil {
		t.Error("sigma test without rules succeeded")
	}
}
