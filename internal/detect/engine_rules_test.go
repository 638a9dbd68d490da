package detect

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/detect/sigma"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// Rule ids of Vedetta's own rules, as in rules/*.yml.
const (
	idSSHFailure    = "c0cd6974-e3ba-4a8c-8d76-64e7d69d1a0a"
	idSSHBrute      = "91628a85-fb16-48a1-b8b3-246a77c680fb"
	idSSHSpray      = "32bcd52a-0e71-473a-b3df-cba654351f14"
	idRDPBrute      = "cdacfb22-6aa5-4241-bad8-4b88895cc378"
	idWinSpray      = "a6da4d25-db5d-49c9-b39e-a4d9196ab909"
	idWebScan       = "1c27dca7-8d5d-44a0-8be1-767ca61356ae"
	idAdminProbe    = "68789291-5599-489e-aa43-a0f9cbe12a7f"
	idAddedToAdmins = "f77268ac-5e42-4d4a-ab97-fa8015282d53"
	idNewAdmin      = "ae85d3d0-cc3d-4afe-96e1-83b410fc40db"
	idLinuxAdmin    = "487b9776-b99d-498b-b5a2-4150131f3476"
	idDoorForced    = "1d94f13f-48b6-41b9-ae2b-63a88c76ce9a"
	idDoorHeld      = "39dad41f-5248-49f7-827f-77029003a064"
)

var rome = func() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return l
}()

// parse normalises lines of one format as the ingest pipeline does and
// gives them ids and a tenant.
func parse(t testing.TB, format string, now time.Time, lines ...string) []*event.Event {
	t.Helper()
	p, err := normalize.New(format, normalize.Options{Now: func() time.Time { return now }, Location: rome})
	if err != nil {
		t.Fatal(err)
	}
	var out []*event.Event
	for i, l := range lines {
		ev := &event.Event{}
		if err := p.Parse([]byte(l), ev); err != nil {
			t.Fatalf("line %d %q: %v", i+1, l, err)
		}
		ev.ID = uuid.Must(uuid.NewV7()).String()
		ev.TenantID, ev.SourceID = "tenant-1", "source-1"
		if ev.Observed.IsZero() {
			ev.Observed = now
		}
		out = append(out, ev)
	}
	return out
}

// run feeds events to an engine without a store and returns the alerts by
// rule id (indicator id for ioc alerts).
func run(t testing.TB, e *Engine, evs []*event.Event) map[string][]store.Alert {
	t.Helper()
	got := make(map[string][]store.Alert)
	for _, ev := range evs {
		res, err := e.Process(t.Context(), ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Alerts {
			got[a.RuleID] = append(got[a.RuleID], a)
		}
	}
	return got
}

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(Config{Location: rome}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBuiltinRulesLoad(t *testing.T) {
	rs, errs := sigma.LoadFS(BuiltinRules(), &sigma.Config{Fields: sigma.ECSFields})
	for _, err := range errs {
		t.Errorf("built-in rule does not load: %v", err)
	}
	for _, r := range append(rs.Rules(), rs.Correlations()...) {
		if r.ID == "" || r.Title == "" || r.Level == "" || r.Description == "" {
			t.Errorf("%s:%d: rule %q lacks id, title, level or description", r.File, r.Line, r.Title)
		}
	}
	if n := len(rs.Rules()) + len(rs.Correlations()); n < 15 {
		t.Errorf("%d built-in rules, want at least 15", n)
	}
}

func sshLines(ip string, n int, start time.Time, step time.Duration, users ...string) []string {
	var out []string
	for i := range n {
		u := "root"
		if len(users) > 0 {
			u = users[i%len(users)]
		}
		ts := start.Add(time.Duration(i) * step).In(rome).Format(time.Stamp)
		out = append(out, fmt.Sprintf("%s gw sshd[%d]: Failed password for %s from %s port %d ssh2", ts, 4000+i, u, ip, 40000+i))
	}
	return out
}

func TestSSHBruteForce(t *testing.T) {
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, rome)
	now := start.Add(24 * time.Hour)
	tests := []struct {
		name      string
		lines     []string
		wantBrute int
		wantSpray int
	}{
		{"twelve failures in two minutes", sshLines("203.0.113.7", 12, start, 10*time.Second), 1, 0},
		{"nine failures", sshLines("203.0.113.7", 9, start, 10*time.Second), 0, 0},
		{"twelve failures over an hour", sshLines("203.0.113.7", 12, start, 5*time.Minute), 0, 0},
		{"twenty-two failures fire twice", sshLines("203.0.113.7", 22, start, 5*time.Second), 2, 0},
		{"spray over six users", sshLines("198.51.100.4", 6, start, 20*time.Second, "anna", "bruno", "carla", "dario", "elena", "fabio"), 0, 1},
		{"four users do not spray", sshLines("198.51.100.4", 8, start, 20*time.Second, "anna", "bruno", "carla", "dario"), 0, 0},
		{"two sources each below the threshold", append(sshLines("203.0.113.7", 6, start, time.Second), sshLines("203.0.113.8", 6, start, time.Second)...), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, newTestEngine(t), parse(t, "syslog", now, tt.lines...))
			if len(got[idSSHBrute]) != tt.wantBrute || len(got[idSSHSpray]) != tt.wantSpray {
				t.Errorf("brute force %d, spray %d; want %d, %d", len(got[idSSHBrute]), len(got[idSSHSpray]), tt.wantBrute, tt.wantSpray)
			}
			if len(got[idSSHFailure]) != 0 {
				t.Errorf("the failure rule alerted on its own; it only feeds correlations")
			}
			for _, a := range got[idSSHBrute] {
				if a.Kind != store.AlertCorrelation || a.Severity != store.SeverityHigh || !strings.HasSuffix(a.DedupKey, ":203.0.113.7") {
					t.Errorf("alert = %+v", a)
				}
			}
		})
	}
}

// TestSSHBruteForceLoghub runs the rules over loghub's real OpenSSH log
// and checks every alerted address against an independent count: at least
// ten failures within five minutes.
func TestSSHBruteForceLoghub(t *testing.T) {
	path := testenv.SharedData(t, "loghub/OpenSSH/OpenSSH_2k.log")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	evs := parse(t, "syslog", time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), lines...)
	got := run(t, newTestEngine(t), evs)
	failures := make(map[string][]time.Time)
	for _, ev := range evs {
		if ev.String("event.outcome") == "failure" && (ev.String("event.action") == "ssh_login" || ev.String("event.action") == "invalid_user") {
			ip := ev.String("source.ip")
			failures[ip] = append(failures[ip], ev.Observed)
		}
	}
	burst := func(ts []time.Time) bool {
		for i := 0; i+9 < len(ts); i++ {
			if ts[i+9].Sub(ts[i]) <= 5*time.Minute {
				return true
			}
		}
		return false
	}
	var wantIPs, gotIPs []string
	for ip, ts := range failures {
		if burst(ts) {
			wantIPs = append(wantIPs, ip)
		}
	}
	seen := map[string]bool{}
	for _, a := range got[idSSHBrute] {
		ip := a.DedupKey[strings.LastIndexByte(a.DedupKey, ':')+1:]
		if !seen[ip] {
			seen[ip] = true
			gotIPs = append(gotIPs, ip)
		}
	}
	sort.Strings(wantIPs)
	sort.Strings(gotIPs)
	if len(wantIPs) == 0 {
		t.Fatal("the log holds no burst; the test checks nothing")
	}
	if diff := cmp.Diff(wantIPs, gotIPs); diff != "" {
		t.Errorf("brute-force sources (-want +got):\n%s", diff)
	}
	t.Logf("%d events, %d brute-force alerts from %d addresses, %d spray alerts", len(evs), len(got[idSSHBrute]), len(gotIPs), len(got[idSSHSpray]))
}

func winLogon(id int, logonType int, target, ip, ws string, at time.Time) string {
	return fmt.Sprintf(`{"@timestamp":%q,"EventID":%d,"Channel":"Security","Hostname":"DC01.theshire.local","SourceName":"Microsoft-Windows-Security-Auditing","TargetUserName":%q,"TargetDomainName":"THESHIRE","LogonType":"%d","IpAddress":%q,"IpPort":"51234","WorkstationName":%q,"Status":"0xc000006d","SubStatus":"0xc000006a"}`,
		at.UTC().Format(time.RFC3339Nano), id, target, logonType, ip, ws)
}

func TestRDPBruteForce(t *testing.T) {
	start := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	var lines []string
	for i := range 11 {
		lines = append(lines, winLogon(4625, 10, "administrator", "192.0.2.50", "KALI", start.Add(time.Duration(i)*3*time.Second)))
	}
	// Network logons (type 3) of another address do not count.
	for i := range 11 {
		lines = append(lines, winLogon(4625, 3, "administrator", "192.0.2.51", "", start.Add(time.Duration(i)*3*time.Second)))
	}
	got := run(t, newTestEngine(t), parse(t, "windows", start, lines...))
	if len(got[idRDPBrute]) != 1 {
		t.Fatalf("RDP brute-force alerts = %d, want 1 (%v)", len(got[idRDPBrute]), keys(got))
	}
	if a := got[idRDPBrute][0]; !strings.HasSuffix(a.DedupKey, ":192.0.2.50") || a.Count != 10 {
		t.Errorf("alert key %q count %d", a.DedupKey, a.Count)
	}
}

func keys(m map[string][]store.Alert) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s×%d", k, len(v)))
	}
	sort.Strings(out)
	return out
}

func TestWindowsPasswordSpray(t *testing.T) {
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	users := []string{"lrodriguez", "pgustavo", "mmidge", "sbeavers", "dlee", "nvalentine"}
	var spray, single []string
	for i, u := range users {
		spray = append(spray, winLogon(4625, 3, u, "10.0.1.20", "WORKSTATION5", start.Add(time.Duration(i)*time.Second)))
		single = append(single, winLogon(4625, 3, "pgustavo", "10.0.1.21", "WORKSTATION6", start.Add(time.Duration(i)*time.Second)))
	}
	got := run(t, newTestEngine(t), parse(t, "windows", start, append(spray, single...)...))
	if len(got[idWinSpray]) != 1 || !strings.Contains(got[idWinSpray][0].DedupKey, "10.0.1.20|WORKSTATION5") {
		t.Errorf("spray alerts = %+v", got[idWinSpray])
	}
}

// TestWindowsPasswordSprayPurpleSharp finds the password spray of the
// PurpleSharp capture (seven 4625 for different accounts from
// WORKSTATION5 through the local logon API, address "-") among its 25,993
// events.
func TestWindowsPasswordSprayPurpleSharp(t *testing.T) {
	path := testenv.SharedData(t, "security-datasets/extracted/purplesharp_ad_playbook_I_2020-10-22042947.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	p, err := normalize.New("windows", normalize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t)
	var sprays []store.Alert
	for _, l := range lines {
		ev := &event.Event{}
		if p.Parse([]byte(l), ev) != nil {
			continue
		}
		ev.ID, ev.TenantID = uuid.Must(uuid.NewV7()).String(), "t"
		res, err := e.Process(t.Context(), ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Alerts {
			if a.RuleID == idWinSpray {
				sprays = append(sprays, a)
			}
		}
	}
	if len(sprays) != 1 {
		t.Fatalf("spray alerts = %d, want 1", len(sprays))
	}
	if !strings.Contains(sprays[0].DedupKey, "WORKSTATION5") {
		t.Errorf("spray key %q, want the WORKSTATION5 origin", sprays[0].DedupKey)
	}
}

func accessLine(ip, path string, status int, at time.Time) string {
	return fmt.Sprintf(`%s - - [%s] "GET %s HTTP/1.1" %d 209 "-" "Mozilla/5.0 zgrab/0.x"`, ip, at.Format("02/Jan/2006:15:04:05 -0700"), path, status)
}

func TestWebRules(t *testing.T) {
	start := time.Date(2026, 11, 24, 11, 0, 0, 0, rome)
	var scan []string
	for i := range 35 {
		scan = append(scan, accessLine("198.51.100.9", fmt.Sprintf("/backup-%d.zip", i), 404, start.Add(time.Duration(i)*time.Second)))
	}
	var calm []string
	for i := range 35 {
		calm = append(calm, accessLine("198.51.100.10", "/news", 200, start.Add(time.Duration(i)*time.Second)))
		if i%5 == 0 {
			calm = append(calm, accessLine("198.51.100.10", "/favicon.ico", 404, start.Add(time.Duration(i)*time.Second)))
		}
	}
	tests := []struct {
		name      string
		lines     []string
		wantScan  int
		wantProbe int
	}{
		{"404 burst", scan, 1, 0},
		{"normal browsing", calm, 0, 0},
		{"wp-admin probe", []string{accessLine("192.0.2.77", "/wp-admin/setup-config.php", 404, start)}, 0, 1},
		{"env file", []string{accessLine("192.0.2.77", "/.env", 403, start)}, 0, 1},
		{"tomcat manager", []string{accessLine("192.0.2.77", "/manager/html", 401, start)}, 0, 1},
		{"wordpress site serving its admin", []string{accessLine("192.0.2.78", "/wp-admin/", 200, start)}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, newTestEngine(t), parse(t, "access", start, tt.lines...))
			if len(got[idWebScan]) != tt.wantScan || len(got[idAdminProbe]) != tt.wantProbe {
				t.Errorf("scan %d probe %d, want %d %d (%v)", len(got[idWebScan]), len(got[idAdminProbe]), tt.wantScan, tt.wantProbe, keys(got))
			}
		})
	}
}

func TestAdminLoginAtNight(t *testing.T) {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, rome)
	line := func(user string, at time.Time, ok bool) string {
		verb := "Accepted"
		if !ok {
			verb = "Failed"
		}
		return fmt.Sprintf("%s gw sshd[77]: %s publickey for %s from 192.0.2.8 port 50000 ssh2", at.Format(time.Stamp), verb, user)
	}
	tests := []struct {
		name string
		line string
		want int
	}{
		{"root at 23:30", line("root", day.Add(23*time.Hour+30*time.Minute), true), 1},
		{"root at 03:10", line("root", day.Add(3*time.Hour+10*time.Minute), true), 1},
		{"root at 05:59", line("root", day.Add(5*time.Hour+59*time.Minute), true), 1},
		{"root at 06:00", line("root", day.Add(6*time.Hour), true), 0},
		{"root at noon", line("root", day.Add(12*time.Hour), true), 0},
		{"root at 22:00", line("root", day.Add(22*time.Hour), true), 1},
		{"a plain user at night", line("mario", day.Add(23*time.Hour), true), 0},
		{"a failed root login at night", line("root", day.Add(23*time.Hour), false), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, newTestEngine(t), parse(t, "syslog", day.Add(48*time.Hour), tt.line))
			if len(got[RuleAdminNight]) != tt.want {
				t.Errorf("night alerts = %d, want %d", len(got[RuleAdminNight]), tt.want)
			}
		})
	}
	// Windows: a special-privilege logon (4672) of a person, not SYSTEM.
	at := time.Date(2026, 11, 24, 1, 0, 0, 0, rome)
	ev := fmt.Sprintf(`{"@timestamp":%q,"EventID":4672,"Channel":"Security","Hostname":"DC01","SubjectUserName":"%%s","SubjectDomainName":"THESHIRE","PrivilegeList":"SeDebugPrivilege"}`, at.UTC().Format(time.RFC3339))
	got := run(t, newTestEngine(t), parse(t, "windows", at, fmt.Sprintf(ev, "pgustavo"), fmt.Sprintf(ev, "SYSTEM"), fmt.Sprintf(ev, "DC01$")))
	if len(got[RuleAdminNight]) != 1 {
		t.Errorf("Windows night alerts = %d, want 1 (pgustavo only)", len(got[RuleAdminNight]))
	}
}

func TestNewAdministratorAccount(t *testing.T) {
	at := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	created := fmt.Sprintf(`{"@timestamp":%q,"EventID":4720,"Channel":"Security","Hostname":"FS01","SubjectUserName":"pgustavo","TargetUserName":"support2","TargetDomainName":"FS01","TargetSid":"S-1-5-21-1-2-3-1010"}`, at.Format(time.RFC3339))
	added := func(member, group string, d time.Duration) string {
		return fmt.Sprintf(`{"@timestamp":%q,"EventID":4732,"Channel":"Security","Hostname":"FS01","SubjectUserName":"pgustavo","MemberSid":%q,"MemberName":"-","TargetUserName":"Administrators","TargetDomainName":"Builtin","TargetSid":%q}`,
			at.Add(d).Format(time.RFC3339), member, group)
	}
	tests := []struct {
		name  string
		lines []string
		want  int
	}{
		{"created then made admin", []string{created, added("S-1-5-21-1-2-3-1010", "S-1-5-32-544", 2*time.Minute)}, 1},
		{"another account made admin", []string{created, added("S-1-5-21-1-2-3-1011", "S-1-5-32-544", 2*time.Minute)}, 0},
		{"added to Remote Desktop Users", []string{created, added("S-1-5-21-1-2-3-1010", "S-1-5-32-555", 2*time.Minute)}, 0},
		{"made admin two hours later", []string{created, added("S-1-5-21-1-2-3-1010", "S-1-5-32-544", 2*time.Hour)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, newTestEngine(t), parse(t, "windows", at, tt.lines...))
			if len(got[idNewAdmin]) != tt.want {
				t.Errorf("new-admin alerts = %d, want %d (%v)", len(got[idNewAdmin]), tt.want, keys(got))
			}
		})
	}
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, rome)
	linux := []struct {
		line string
		want int
	}{
		{"Nov 24 14:01:02 web1 usermod[2468]: add 'eve' to group 'sudo'", 1},
		{"Nov 24 14:01:02 web1 usermod[2468]: add 'eve' to shadow group 'sudo'", 0},
		{"Nov 24 14:01:02 web1 gpasswd[2470]: user eve added by root to group wheel", 1},
		{"Nov 24 14:01:02 web1 useradd[2466]: add 'eve' to group 'wheel'", 1},
		{"Nov 24 14:01:02 web1 usermod[2468]: add 'eve' to group 'video'", 0},
	}
	for _, tt := range linux {
		got := run(t, newTestEngine(t), parse(t, "syslog", now, tt.line))
		if len(got[idLinuxAdmin]) != tt.want {
			t.Errorf("%q: alerts %d, want %d", tt.line, len(got[idLinuxAdmin]), tt.want)
		}
	}
}

func doorLine(result, door string, at time.Time) string {
	return fmt.Sprintf(`{"time":%q,"site":"port-sp-01","door":%q,"result":%q,"badge_id":"04A2B9C1","controller":"ac-12"}`, at.Format(time.RFC3339), door, result)
}

func TestPhysicalRules(t *testing.T) {
	tuesday := time.Date(2026, 11, 24, 0, 0, 0, 0, rome)
	sunday := time.Date(2026, 11, 22, 0, 0, 0, 0, rome)
	tests := []struct {
		name  string
		line  string
		rule  string
		want  int
		other string // a rule that must not fire
	}{
		{"forced", doorLine("forced", "gate-3", tuesday.Add(10*time.Hour)), idDoorForced, 1, idDoorHeld},
		{"tamper", doorLine("tamper", "gate-3", tuesday.Add(10*time.Hour)), idDoorForced, 1, idDoorHeld},
		{"held open", doorLine("held_open", "gate-3", tuesday.Add(10*time.Hour)), idDoorHeld, 1, idDoorForced},
		{"granted in hours", doorLine("granted", "gate-3", tuesday.Add(10*time.Hour)), RuleAfterHours, 0, idDoorForced},
		{"granted at night", doorLine("granted", "gate-3", tuesday.Add(23*time.Hour+15*time.Minute)), RuleAfterHours, 1, idDoorForced},
		{"granted early", doorLine("granted", "gate-3", tuesday.Add(6*time.Hour+59*time.Minute)), RuleAfterHours, 1, ""},
		{"granted on Sunday", doorLine("granted", "gate-3", sunday.Add(11*time.Hour)), RuleAfterHours, 1, ""},
		{"denied at night", doorLine("denied", "gate-3", tuesday.Add(23*time.Hour)), RuleAfterHours, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, newTestEngine(t), parse(t, "accesscontrol", tuesday, tt.line))
			if len(got[tt.rule]) != tt.want {
				t.Errorf("%s alerts = %d, want %d (%v)", tt.rule, len(got[tt.rule]), tt.want, keys(got))
			}
			if tt.other != "" && len(got[tt.other]) != 0 {
				t.Errorf("%s fired too", tt.other)
			}
			for _, a := range got[tt.rule] {
				if diff := cmp.Diff([]string{"gate-3"}, a.Entities.Assets); diff != "" || a.Entities.Sites[0] != "port-sp-01" {
					t.Errorf("entities %+v", a.Entities)
				}
			}
		})
	}
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in      string
		want    Hours
		wantErr bool
	}{
		{"22:00-06:00", Hours{22 * 60, 6 * 60}, false},
		{"07:30-19:00", Hours{7*60 + 30, 19 * 60}, false},
		{" 0:00 - 24:00 ", Hours{0, 24 * 60}, false},
		{"07:00", Hours{}, true},
		{"25:00-06:00", Hours{}, true},
		{"07:60-08:00", Hours{}, true},
		{"07:00-07:00", Hours{}, true},
		{"7-8", Hours{}, true},
		{"ab:cd-01:00", Hours{}, true},
	}
	for _, tt := range tests {
		got, err := ParseHours(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseHours(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"22:00-06:00", "07:30-19:00", "", "-", "24:00-00:00", "1:1-2:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHours(s)
		if err != nil {
			return
		}
		if h.From < 0 || h.From > 24*60 || h.To < 0 || h.To > 24*60 || h.From == h.To {
			t.Fatalf("ParseHours(%q) = %v", s, h)
		}
		if h2, err := ParseHours(h.String()); err != nil || h2 != h {
			t.Fatalf("round trip of %q: %v %v", s, h2, err)
		}
	})
}
