package normalize

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func TestAuditd(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]any
	}{
		{
			name: "execve syscall",
			in:   `type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes exit=0 a0=558e251634a0 items=2 ppid=29002 pid=1631 auid=1000 uid=1000 euid=0 tty=pts0 ses=104 comm="arp" exe="/usr/sbin/arp" key=(null)`,
			want: map[string]any{"auditd.log.record_type": "SYSCALL", "event.sequence": int64(92733), "process.pid": int64(1631),
				"process.parent.pid": int64(29002), "user.id": "1000", "user.effective.id": "0", "user.audit.id": "1000",
				"process.name": "arp", "process.executable": "/usr/sbin/arp", "event.outcome": "success",
				"event.category": []string{"process"}, "auditd.log.a0": "558e251634a0", "auditd.log.key": "(null)"},
		},
		{
			name: "execve arguments, one hex-encoded",
			in:   `type=EXECVE msg=audit(1604996384.965:93777): argc=3 a0="dd" a1=69663D2F6465762F7A65726F a2="bs=1"`,
			want: map[string]any{"process.args": []string{"dd", "if=/dev/zero", "bs=1"}, "process.command_line": "dd if=/dev/zero bs=1"},
		},
		{
			name: "proctitle",
			in:   `type=PROCTITLE msg=audit(1604994496.155:92733): proctitle=617270002D61`,
			want: map[string]any{"process.title": "arp -a"},
		},
		{
			name: "user auth failure with node and nested msg",
			in:   `node=srv01 type=USER_AUTH msg=audit(1732442400.000:501): pid=4242 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=PAM:authentication grantors=? acct="root" exe="/usr/sbin/sshd" hostname=203.0.113.9 addr=203.0.113.9 terminal=ssh res=failed'`,
			want: map[string]any{"host.name": "srv01", "user.name": "root", "source.ip": "203.0.113.9", "event.outcome": "failure",
				"event.category": []string{"authentication"}, "auditd.log.op": "PAM:authentication", "process.executable": "/usr/sbin/sshd"},
		},
	}
	p, _ := New("auditd", Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ev := parseFields(t, p, tt.in, tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if _, ok := ev.Fields["user.audit.id"]; ok && strings.Contains(tt.in, "auid=4294967295") {
				t.Errorf("unset auid mapped")
			}
		})
	}
	var ev event.Event
	_ = p.Parse([]byte(tests[0].in), &ev)
	if !ev.Observed.Equal(time.Date(2020, 11, 10, 7, 48, 16, 155e6, time.UTC)) {
		t.Errorf("time %v", ev.Observed)
	}
}

// TestAuditdCorpus parses the two auditd captures of Security-Datasets.
func TestAuditdCorpus(t *testing.T) {
	dir := testenv.SharedData(t, "security-datasets/extracted")
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(files) == 0 {
		t.Fatal("no auditd captures")
	}
	p, _ := New("auditd", Options{})
	n, execs := 0, 0
	for _, file := range files {
		forLines(t, file, func(i int, line string) {
			var ev event.Event
			if err := p.Parse([]byte(line), &ev); err != nil {
				t.Errorf("%s:%d: %v", filepath.Base(file), i, err)
				return
			}
			n++
			if ev.String("process.command_line") != "" {
				execs++
			}
		})
	}
	t.Logf("auditd: %d records, %d EXECVE command lines", n, execs)
	if n != 18 || execs != 3 {
		t.Errorf("records %d, command lines %d; want 18 and 3 (every line of both captures)", n, execs)
	}
}

func TestAuditdMalformed(t *testing.T) {
	tests := []struct{ name, in, reason string }{
		{"no type", `msg=audit(1.000:1): a=b`, "missing type="},
		{"no msg", `type=SYSCALL a=b`, "missing msg=audit("},
		{"unterminated header", `type=SYSCALL msg=audit(1.000:1 a=b`, "unterminated msg=audit("},
		{"bad stamp", `type=SYSCALL msg=audit(x.000:1): a=b`, "invalid timestamp"},
		{"no serial", `type=SYSCALL msg=audit(1.000): a=b`, "missing serial"},
		{"unterminated quote", `type=SYSCALL msg=audit(1.000:1): comm="arp`, "unterminated value"},
		{"garbage pair", `type=SYSCALL msg=audit(1.000:1): hello`, "expected key=value"},
	}
	p, _ := New("auditd", Options{})
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

func FuzzAuditd(f *testing.F) {
	f.Add(`type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes pid=1 comm="a" key=(null)`)
	f.Add(`type=EXECVE msg=audit(1.000:2): argc=2 a0="x" a1=7A7A`)
	f.Add(`node=n type=USER_AUTH msg=audit(1.000:3): pid=1 msg='op=x acct="r" res=failed'`)
	f.Add(`type=X msg=audit(1.000:3): msg='msg='`)
	p, _ := New("auditd", Options{})
	f.Fuzz(func(t *testing.T, in string) {
		var ev event.Event
		if err := p.Parse([]byte(in), &ev); err != nil {
			if !errors.Is(err, ErrMalformed) || len(ev.Fields) != 0 {
				t.Fatalf("err %v fields %v", err, ev.Fields)
			}
			return
		}
		checkValueTypes(t, &ev)
	})
}
