package normalize

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// listLines are syslog records that reach every program parser of the
// syslog family (sshd, PAM, sudo, su, CEF) and the RFC 5424 structured data.
var listLines = []string{
	string(bench5424), string(bench3164),
	"<38>Nov 24 10:00:00 bastion sshd[811]: Accepted publickey for deploy from 2001:db8::7 port 50522 ssh2: ED25519 SHA256:abc",
	"<38>Nov 24 10:00:00 h sshd[1]: Server listening on 0.0.0.0 port 22.",
	"<38>Nov 24 10:00:00 h sshd[1]: message repeated 3 times: [ Failed password for root from 10.0.0.1 port 22 ssh2]",
	"<86>Nov 24 10:00:00 h sshd[2]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
	"<86>Nov 24 10:00:00 h sshd(pam_unix)[2]: authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root",
	"<85>Jan 24 15:50:41 ip-172-31-30-110 sudo[6040]: ec2-user : TTY=pts/0 ; PWD=/var/log ; USER=root ; COMMAND=/bin/tail secure",
	"<38>Nov 24 10:00:00 h su: 'su root' failed for lonvick on /dev/pts/8",
	"<38>Nov 24 10:00:00 h su[9]: (to root) alice on pts/1",
	"<134>Nov 24 10:00:00 fw CEF:0|Fortinet|FortiGate|7.0|13|traffic denied|5|src=10.0.0.1 dst=10.0.0.2 spt=1234 dpt=22 proto=TCP act=deny outcome=failure",
	`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"][empty] An application event log entry...`,
	`<13>1 - - - - - [a k="1"][a k="2"] duplicate element`,
	"not syslog at all",
	"",
}

// TestSyslogListFields: a syslog parser building event.Event.List gives the
// same event as one building Fields, on one event reused from line to line
// (as the ingestion path reuses them), errors included.
func TestSyslogListFields(t *testing.T) {
	lines := make([][]byte, 0, len(listLines)+len(syslogSeeds))
	for _, l := range append(append([]string(nil), listLines...), syslogSeeds...) {
		lines = append(lines, []byte(l))
	}
	if in, err := os.ReadFile(filepath.Join("testdata", "golden", "cef_syslog", "input.log")); err == nil {
		lines = append(lines, bytes.Split(bytes.TrimRight(in, "\n"), []byte("\n"))...)
	}
	t.Run("lines", func(t *testing.T) { checkListParity(t, lines) })
	t.Run("go-syslog vectors", func(t *testing.T) {
		var vl [][]byte
		for _, name := range []string{"rfc5424_machine_vectors.jsonl", "rfc3164_machine_vectors.jsonl"} {
			for _, v := range readVectors(t, name) {
				in, err := base64.StdEncoding.DecodeString(v.InputB64)
				if err != nil {
					t.Fatal(err)
				}
				vl = append(vl, in)
			}
		}
		checkListParity(t, vl)
	})
	t.Run("loghub", func(t *testing.T) {
		var ll [][]byte
		for _, f := range []string{"OpenSSH/OpenSSH_2k.log", "Linux/Linux_2k.log"} {
			in, err := os.ReadFile(filepath.Join(testenv.SharedData(t, "loghub"), f))
			if err != nil {
				t.Fatal(err)
			}
			ll = append(ll, bytes.Split(bytes.TrimRight(in, "\n"), []byte("\n"))...)
		}
		checkListParity(t, ll)
	})
}

// TestWebListFields: the web log parsers building lists give the same
// events as building maps, on real access and error logs.
func TestWebListFields(t *testing.T) {
	web := [][]byte{benchAccess,
		[]byte(`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`),
		[]byte(`[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6`),
		[]byte(`2026/11/24 10:00:00 [error] 1234#0: *5 open() "/var/www/x" failed (2: No such file or directory), client: 203.0.113.9, server: comune.example, request: "GET /x HTTP/1.1", host: "comune.example"`),
		[]byte("#Fields: date time c-ip cs-username cs-method cs-uri-stem sc-status sc-bytes cs-version cs-host"),
		[]byte(`2026-11-24 10:00:02 198.51.100.4 CONTOSO\bob POST /ecp/ 500 1234 HTTP/1.1 mail.comune.example`),
		[]byte("garbage"), nil,
	}
	formats := []string{"access", "apache_error", "nginx_error", "iis"}
	t.Run("lines", func(t *testing.T) { checkListParityOf(t, formats, web) })
	t.Run("corpora", func(t *testing.T) {
		var ll [][]byte
		for _, f := range []string{"web-access-logs/apache_logs/apache_logs", "loghub/Apache/Apache_2k.log"} {
			in, err := os.ReadFile(filepath.Join(testenv.SharedData(t, filepath.Dir(f)), filepath.Base(f)))
			if err != nil {
				t.Fatal(err)
			}
			ll = append(ll, bytes.Split(bytes.TrimRight(in, "\n"), []byte("\n"))...)
		}
		checkListParityOf(t, formats, ll)
	})
}

func checkListParity(t *testing.T, lines [][]byte) {
	t.Helper()
	checkListParityOf(t, []string{"syslog", "syslog5424", "syslog3164"}, lines)
}

func checkListParityOf(t *testing.T, formats []string, lines [][]byte) {
	t.Helper()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, format := range formats {
		for _, drop := range []bool{false, true} {
			o := Options{Now: func() time.Time { return now }, DropRaw: drop}
			byMap, _ := New(format, o)
			o.ListFields = true
			byList, _ := New(format, o)
			var reused event.Event
			for _, line := range lines {
				var want event.Event
				werr := byMap.Parse(line, &want)
				// The receivers preset the raw text (kept or not).
				reused.Raw = string(line)
				gerr := byList.Parse(line, &reused)
				if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
					t.Fatalf("%s drop=%v %q: error %v, with a map %v", format, drop, line, gerr, werr)
				}
				if werr != nil {
					if reused.Len() != 0 {
						t.Fatalf("%s %q: %d fields left after error", format, line, reused.Len())
					}
					continue
				}
				if !reused.Listed() {
					t.Fatalf("%s: fields not in a list", format)
				}
				got := reused
				got.List = event.FieldList{}
				got.Fields = reused.FieldMap()
				reused.UseList()
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s drop=%v %q: (-map +list):\n%s", format, drop, line, diff)
				}
			}
		}
	}
}

// TestSyslogSetNow: a parser's clock can be fixed for a batch and restored.
func TestSyslogSetNow(t *testing.T) {
	p, _ := New("syslog", fixedNow(2026, 6, 1))
	c, ok := p.(Clocked)
	if !ok {
		t.Fatal("the syslog parser does not implement Clocked")
	}
	line := []byte("<38>Jun 2 10:00:00 h app: x")
	year := func() int {
		var ev event.Event
		if err := p.Parse(line, &ev); err != nil {
			t.Fatal(err)
		}
		return ev.Observed.Year()
	}
	c.SetNow(time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC))
	if y := year(); y != 2031 {
		t.Fatalf("year %d with the clock fixed at 2031", y)
	}
	c.SetNow(time.Time{})
	if y := year(); y != 2026 {
		t.Fatalf("year %d after the clock was restored, want Options.Now's 2026", y)
	}
}

// TestParseKeepsPresetRaw: a Raw that already holds the line is kept (no
// copy); any other is replaced by the line.
func TestParseKeepsPresetRaw(t *testing.T) {
	p, _ := New("syslog", Options{ListFields: true})
	line := []byte("<38>Nov 24 10:00:00 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2")
	batch := "xx" + string(line) + "yy"
	ev := event.Event{Raw: batch[2 : 2+len(line)]}
	if err := p.Parse(line, &ev); err != nil {
		t.Fatal(err)
	}
	if unsafe.StringData(ev.Raw) != unsafe.StringData(batch[2:]) {
		t.Fatal("the preset raw was copied")
	}
	ev.Raw = "something else of another length"
	if err := p.Parse(line, &ev); err != nil || ev.Raw != string(line) {
		t.Fatalf("raw %q, %v", ev.Raw, err)
	}
	// A source that drops raw: the preset text serves the message, then goes.
	dp, _ := New("syslog", Options{ListFields: true, DropRaw: true})
	ev = event.Event{Raw: batch[2 : 2+len(line)]}
	if err := dp.Parse(line, &ev); err != nil || ev.Raw != "" {
		t.Fatalf("raw %q kept by a source that drops it, %v", ev.Raw, err)
	}
	msg := ev.String("message")
	if p := uintptr(unsafe.Pointer(unsafe.StringData(msg))); msg == "" || p < uintptr(unsafe.Pointer(unsafe.StringData(batch))) ||
		p >= uintptr(unsafe.Pointer(unsafe.StringData(batch)))+uintptr(len(batch)) {
		t.Fatalf("message %q copied rather than cut from the preset text", msg)
	}
}
