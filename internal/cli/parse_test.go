package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		in      string
		wantOK  int
		wantBad int
		wantErr string
		check   func(t *testing.T, ev map[string]any)
	}{
		{name: "syslog", args: []string{"parse", "--format", "syslog"},
			in:     "<38>Nov 24 10:11:12 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 50522 ssh2\nnot syslog\n\n",
			wantOK: 1, wantBad: 1, check: func(t *testing.T, ev map[string]any) {
				f := ev["fields"].(map[string]any)
				if f["source.ip"] != "203.0.113.9" || ev["tenant_id"] != "cli" || ev["source_id"] != "stdin" || ev["raw"] == nil {
					t.Fatalf("event %v", ev)
				}
			}},
		{name: "json map, drop raw", args: []string{"parse", "-f", "json", "--map", "src=source.ip", "--map", "ts=@timestamp", "--drop-raw", "--tenant", "t1"},
			in: `{"src":"192.0.2.1","ts":"2026-11-24T08:00:00Z"}` + "\n", wantOK: 1, check: func(t *testing.T, ev map[string]any) {
				if ev["fields"].(map[string]any)["source.ip"] != "192.0.2.1" || ev["raw"] != nil || ev["tenant_id"] != "t1" || ev["@timestamp"] != "2026-11-24T08:00:00Z" {
					t.Fatalf("event %v", ev)
				}
			}},
		{name: "strict fails on bad lines", args: []string{"parse", "-f", "cef", "--strict"}, in: "nope\n", wantBad: 1, wantErr: "1 lines not parsed"},
		{name: "unknown format", args: []string{"parse", "-f", "klingon"}, wantErr: "unknown format"},
		{name: "bad timezone", args: []string{"parse", "-f", "syslog", "--timezone", "Mars/Olympus"}, wantErr: "timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := Run(t.Context(), tt.args, strings.NewReader(tt.in), &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			ok, bad := 0, 0
			sc := bufio.NewScanner(&out)
			for sc.Scan() {
				var m map[string]any
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatalf("not NDJSON: %q", sc.Text())
				}
				if _, isErr := m["error"]; isErr {
					bad++
					if m["line"] == nil {
						t.Fatalf("error without line: %v", m)
					}
					continue
				}
				ok++
				if tt.check != nil {
					tt.check(t, m)
				}
			}
			if ok != tt.wantOK || bad != tt.wantBad {
				t.Fatalf("ok %d bad %d, want %d %d; stderr %s", ok, bad, tt.wantOK, tt.wantBad, errOut.String())
			}
		})
	}
}
