package normalize

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// TestWindowsCorpus parses every line of every Security-Datasets capture and
// counts events per channel and event ID.
func TestWindowsCorpus(t *testing.T) {
	dir := testenv.SharedData(t, "security-datasets/extracted")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in %s: %v", dir, err)
	}
	p, _ := New("windows", Options{})
	counts := map[string]int{}
	total, spray := 0, 0
	for _, file := range files {
		forLines(t, file, func(n int, line string) {
			if strings.TrimSpace(line) == "" {
				return
			}
			var ev event.Event
			if err := p.Parse([]byte(line), &ev); err != nil {
				t.Errorf("%s:%d: %v", filepath.Base(file), n, err)
				return
			}
			total++
			id, ch := ev.String("winlog.event_id"), ev.String("winlog.channel")
			counts[ch+" "+id]++
			if ev.String("host.name") == "" || ev.Observed.IsZero() {
				t.Errorf("%s:%d: no host.name or time", filepath.Base(file), n)
			}
			if _, ok := ev.Fields["winlog.event_data.EventID"]; ok {
				t.Errorf("%s:%d: envelope key leaked into event_data", filepath.Base(file), n)
			}
			for k := range ev.Fields {
				if strings.HasPrefix(k, "\x00") {
					t.Errorf("%s:%d: internal key %q leaked", filepath.Base(file), n, k)
				}
			}
			switch {
			case ch == "Microsoft-Windows-Sysmon/Operational" && id == "1":
				if ev.String("process.executable") == "" || ev.String("process.command_line") == "" ||
					ev.String("process.parent.executable") == "" || ev.String("winlog.event_data.Image") == "" {
					t.Errorf("%s:%d: sysmon 1 without process fields: %v", filepath.Base(file), n, ev.Fields)
				}
			case strings.EqualFold(ch, "security") && id == "4688":
				if ev.String("process.executable") == "" || ev.String("process.parent.executable") == "" {
					t.Errorf("%s:%d: 4688 without process fields", filepath.Base(file), n)
				}
			case strings.EqualFold(ch, "security") && id == "4625":
				if ev.String("event.outcome") == "failure" && ev.String("user.name") != "" && strings.Contains(file, "purplesharp") {
					spray++
				}
			}
		})
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(event.ValueString(int64(counts[k])))
		b.WriteString("; ")
	}
	t.Logf("%d events in %d files; per channel and EventID: %s", total, len(files), b.String())
	if total != 33815 {
		t.Errorf("parsed %d events, want 33815", total)
	}
	if spray != 7 {
		t.Errorf("PurpleSharp 4625 failures with a user = %d, want 7", spray)
	}
}

func TestWindowsShapes(t *testing.T) {
	// The same 4625 as winlogbeat and as NXLog must normalise alike.
	winlogbeat := `{"@timestamp":"2026-11-24T08:00:00.123Z","event":{"code":"4625","provider":"Microsoft-Windows-Security-Auditing"},` +
		`"host":{"name":"dc01.comune.local"},"winlog":{"channel":"Security","event_id":4625,"computer_name":"DC01.comune.local",` +
		`"provider_name":"Microsoft-Windows-Security-Auditing","record_id":99,"event_data":{"TargetUserName":"admin",` +
		`"TargetDomainName":"COMUNE","IpAddress":"203.0.113.50","IpPort":"51234","LogonType":"3","Status":"0xc000006d",` +
		`"WorkstationName":"KALI","ProcessName":"-"}},"message":"An account failed to log on."}`
	nxlog := `{"EventID":4625,"Channel":"Security","Hostname":"DC01.comune.local","TimeCreated":"2026-11-24T08:00:00.123Z",` +
		`"SourceName":"Microsoft-Windows-Security-Auditing","RecordNumber":99,"TargetUserName":"admin","TargetDomainName":"COMUNE",` +
		`"IpAddress":"203.0.113.50","IpPort":"51234","LogonType":"3","Status":"0xc000006d","WorkstationName":"KALI",` +
		`"ProcessName":"-","Message":"An account failed to log on."}`
	keys := []string{"winlog.event_id", "event.code", "winlog.channel", "event.category", "event.type", "event.action",
		"event.outcome", "user.name", "user.domain", "source.ip", "source.port", "source.domain", "winlog.logon.type",
		"winlog.event_data.TargetUserName", "winlog.event_data.Status", "message"}
	p, _ := New("windows", Options{})
	var results []map[string]any
	for _, in := range []string{winlogbeat, nxlog} {
		var ev event.Event
		if err := p.Parse([]byte(in), &ev); err != nil {
			t.Fatal(err)
		}
		checkValueTypes(t, &ev)
		got := map[string]any{}
		for _, k := range keys {
			got[k] = ev.Fields[k]
		}
		results = append(results, got)
		if ev.String("host.name") != "dc01.comune.local" || !ev.Observed.Equal(time.Date(2026, 11, 24, 8, 0, 0, 123e6, time.UTC)) {
			t.Errorf("host %q time %v", ev.String("host.name"), ev.Observed)
		}
	}
	want := map[string]any{"winlog.event_id": "4625", "event.code": "4625", "winlog.channel": "Security",
		"event.category": []string{"authentication"}, "event.type": []string{"start"}, "event.action": "logon-failed",
		"event.outcome": "failure", "user.name": "admin", "user.domain": "COMUNE", "source.ip": "203.0.113.50",
		"source.port": int64(51234), "source.domain": "KALI", "winlog.logon.type": "3",
		"winlog.event_data.TargetUserName": "admin", "winlog.event_data.Status": "0xc000006d", "message": "An account failed to log on."}
	for i, got := range results {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("shape %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestWindowsMalformed(t *testing.T) {
	tests := []struct{ name, in, reason string }{
		{"not JSON", `EventID=4624`, "invalid JSON"},
		{"array", `[{"EventID":4624}]`, "invalid JSON"},
		{"truncated", `{"EventID":4624,"Channel":"Secu`, "invalid JSON"},
		{"trailing garbage", `{"EventID":4624} x`, "invalid JSON"},
		{"no event id", `{"Channel":"Security"}`, "no EventID"},
		{"non-numeric id", `{"EventID":"abc","Channel":"Security"}`, "invalid event ID"},
		{"too deep", `{"EventID":1,"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "nested too deeply"},
		{"bad escape", `{"EventID":1,"a":"\q"}`, "invalid JSON"},
		{"control char", "{\"EventID\":1,\"a\":\"\x01\"}", "invalid JSON"},
	}
	p, _ := New("windows", Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event.Event{Fields: map[string]any{"stale": 1}}
			err := p.Parse([]byte(tt.in), &ev)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %v, want %q", err, tt.reason)
			}
			if len(ev.Fields) != 0 {
				t.Errorf("half-accepted: %v", ev.Fields)
			}
		})
	}
}

// FuzzFlatJSON checks the hand-written JSON scanner against encoding/json:
// same validity verdict, and the same scalar values.
func FuzzFlatJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"a":{"b":[1,"x",true,null,{"c":2}]}}`, `{"a":"\u00e9\ud83d\ude00\n"}`, `{"a":-0.5e+3}`,
		`{"a":01}`, `{"a":1.}`, `{"a":"\ud800"}`, `{"a" 1}`, `{"a":1,}`, `{"a":[1,]}`, `{"a":tru}`, ` {"a":"b"} `,
		`{"a":1e400}`, `{"a":123456789012345678901234567890}`, `{"":1}`, `{"a":[[1],[2]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var fj flatJSON
		out := map[string]any{}
		err := fj.flatten(string(in), out)
		var std map[string]any
		stdErr := json.Unmarshal(in, &std)
		if errors.Is(err, errJSONDepth) {
			return
		}
		if (err == nil) != (stdErr == nil) {
			if stdErr != nil && strings.Contains(stdErr.Error(), "cannot unmarshal") && err == nil {
				return // valid JSON that is not an object of the right shape for std
			}
			t.Fatalf("flatten err %v, encoding/json err %v, input %q", err, stdErr, in)
		}
		for k, v := range out {
			switch v.(type) {
			case string, int64, float64, bool, []string:
			default:
				t.Fatalf("%s: type %T", k, v)
			}
		}
		// Top-level scalar strings must match encoding/json's decoding.
		for k, v := range std {
			if s, ok := v.(string); ok && !strings.Contains(k, ".") {
				if got, ok := out[k].(string); ok && got != s && !strings.ContainsRune(s, '\uFFFD') {
					t.Fatalf("%s: got %q, encoding/json %q", k, got, s)
				}
			}
		}
	})
}

func FuzzWindows(f *testing.F) {
	f.Add([]byte(`{"EventID":4688,"Channel":"Security","Hostname":"H","NewProcessName":"C:\\x.exe","ProcessId":"0x1f","TimeCreated":"2020-10-23T02:36:43.542Z"}`))
	f.Add([]byte(`{"winlog":{"event_id":1,"channel":"Microsoft-Windows-Sysmon/Operational","event_data":{"Image":"a","Hashes":"SHA1=AB,MD5=CD","User":"D\\u"}}}`))
	f.Add([]byte(`{"EventID":"3","Channel":"Microsoft-Windows-Sysmon/Operational","SourceIp":"::ffff:1.2.3.4","SourcePort":"99999"}`))
	f.Add([]byte(`{"EventID":4732,"Channel":"Security","TargetUserName":"Administrators","MemberSid":"S-1"}`))
	p, _ := New("windows", Options{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var ev event.Event
		if err := p.Parse(in, &ev); err != nil {
			if !errors.Is(err, ErrMalformed) || len(ev.Fields) != 0 {
				t.Fatalf("err %v fields %v", err, ev.Fields)
			}
			return
		}
		checkValueTypes(t, &ev)
	})
}

// benchWindows is a synthetic ~1 KB NXLog-shaped Sysmon process creation.
var benchWindows = []byte(`{"EventTime":"2026-11-24 09:18:51","Hostname":"WS-ANAGRAFE-07.comune.local","Keywords":-9223372036854775808,` +
	`"EventType":"INFO","SeverityValue":2,"Severity":"INFO","EventID":1,"SourceName":"Microsoft-Windows-Sysmon",` +
	`"ProviderGuid":"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}","Version":5,"Task":1,"OpcodeValue":0,"RecordNumber":448812,` +
	`"ExecutionProcessID":3172,"ThreadID":4048,"Channel":"Microsoft-Windows-Sysmon/Operational","Domain":"NT AUTHORITY",` +
	`"AccountName":"SYSTEM","UserID":"S-1-5-18","AccountType":"User","Category":"Process Create (rule: ProcessCreate)",` +
	`"Opcode":"Info","RuleName":"-","UtcTime":"2026-11-24 08:18:51.416","ProcessGuid":"{b34bc01c-34db-5f69-7701-000000000900}",` +
	`"ProcessId":"5140","Image":"C:\\Windows\\System32\\net.exe","FileVersion":"10.0.19041.1","Description":"Net Command",` +
	`"Product":"Microsoft Windows Operating System","Company":"Microsoft Corporation","OriginalFileName":"net.exe",` +
	`"CommandLine":"\"C:\\Windows\\system32\\net.exe\" localgroup Administrators","CurrentDirectory":"C:\\Users\\operatore\\",` +
	`"User":"COMUNE\\operatore","LogonGuid":"{b34bc01c-22a7-5f69-dfa7-100000000000}","LogonId":"0x10a7df","TerminalSessionId":"2",` +
	`"IntegrityLevel":"High","Hashes":"SHA1=5B9EA3C45A11D4AEB1B1AC0F72C4C19308FC7D0B,MD5=A63DF9A6E9098CC189F2A3EFC37600F6",` +
	`"ParentProcessGuid":"{b34bc01c-2f95-5f69-5f01-000000000900}","ParentProcessId":"4424",` +
	`"ParentImage":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","ParentCommandLine":"powershell.exe -nop"}`)

func BenchmarkWindowsJSON(b *testing.B) {
	p, _ := New("windows", Options{})
	benchParse(b, p, benchWindows)
}

// BenchmarkWindowsJSONStdlibDecode is encoding/json decoding the same record
// into map[string]any, without any mapping: the baseline for flatJSON.
func BenchmarkWindowsJSONStdlibDecode(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchWindows)))
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(benchWindows, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchInputsParse(t *testing.T) {
	for format, in := range map[string][]byte{"windows": benchWindows, "access": benchAccess, "syslog5424": bench5424, "syslog3164": bench3164} {
		p, _ := New(format, Options{})
		var ev event.Event
		if err := p.Parse(in, &ev); err != nil {
			t.Errorf("%s: %v", format, err)
		}
	}
	if n := len(benchWindows); n < 900 || n > 1500 {
		t.Errorf("benchWindows is %d bytes, want ~1 KB", n)
	}
}
