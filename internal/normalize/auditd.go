package normalize

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// auditdParser reads Linux audit records (auditd's log format), one record
// per line:
//
//	[node=HOST ]type=TYPE msg=audit(EPOCH.MS:SERIAL): key=value key="value" ... [msg='key=value ...']
//
// Every pair is kept as auditd.log.<key> (strings; unquoted hex-encoded
// strings in EXECVE arguments and PROCTITLE, name, cwd, comm, exe and cmd are
// decoded); auditd.log.record_type is TYPE and event.sequence the serial
// number, which ties together the records of one event. ECS: process.pid,
// process.parent.pid, process.executable, process.name, process.title,
// process.args and process.command_line (EXECVE), process.working_directory
// (CWD), user.id, user.effective.id, user.audit.id, user.name (acct),
// source.ip (addr), event.outcome (success=yes|no, res=success|failed), and
// event.category [process] for an execve SYSCALL and [authentication] for
// USER_AUTH/USER_LOGIN/USER_ERR records.
type auditdParser struct {
	opts Options
	args []string
}

func (p *auditdParser) Name() string { return "auditd" }

func (p *auditdParser) Parse(line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	if err := p.parse(string(trimEOL(line)), ev); err != nil {
		return fail(ev, err)
	}
	ev.Category = event.CategorySecurity
	return nil
}

func (p *auditdParser) parse(s string, ev *event.Event) error {
	f := ev.Fields
	if rest, ok := strings.CutPrefix(s, "node="); ok {
		node, r := cutWordString(rest)
		f["host.name"] = node
		s = r
	}
	rest, ok := strings.CutPrefix(s, "type=")
	if !ok {
		return malformed("auditd", "missing type=")
	}
	typ, rest := cutWordString(rest)
	if typ == "" {
		return malformed("auditd", "empty type")
	}
	rest, ok = strings.CutPrefix(rest, "msg=audit(")
	if !ok {
		return malformed("auditd", "missing msg=audit(")
	}
	end := strings.Index(rest, "):")
	if end < 0 {
		return malformed("auditd", "unterminated msg=audit(")
	}
	stamp, serial, ok := strings.Cut(rest[:end], ":")
	if !ok {
		return malformed("auditd", "missing serial number")
	}
	sec, frac, _ := strings.Cut(stamp, ".")
	secs, err1 := strconv.ParseInt(sec, 10, 64)
	ms, err2 := strconv.ParseInt(frac, 10, 64)
	seq, err3 := strconv.ParseInt(serial, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || len(frac) != 3 || secs < 0 || ms < 0 {
		return malformed("auditd", "invalid timestamp or serial %q", rest[:end])
	}
	ev.Observed = time.Unix(secs, ms*int64(time.Millisecond)).UTC()
	f["auditd.log.record_type"] = typ
	f["event.sequence"] = seq
	p.args = p.args[:0]
	if err := p.pairs(strings.TrimLeft(rest[end+2:], " "), typ, ev); err != nil {
		return err
	}
	if len(p.args) > 0 {
		f["process.args"] = append([]string(nil), p.args...)
		f["process.command_line"] = strings.Join(p.args, " ")
	}
	switch {
	case typ == "SYSCALL" && (f["auditd.log.syscall"] == "59" || f["auditd.log.syscall"] == "execve"):
		f["event.category"] = []string{"process"}
		f["event.type"] = []string{"start"}
		f["event.action"] = "executed"
	case typ == "USER_AUTH" || typ == "USER_LOGIN" || typ == "USER_ERR":
		f["event.category"] = []string{"authentication"}
		f["event.type"] = []string{"info"}
		f["event.action"] = strings.ToLower(typ)
	}
	f["event.kind"] = "event"
	return nil
}

// pairs reads space-separated key=value pairs; a msg='...' value is read
// recursively.
func (p *auditdParser) pairs(s, typ string, ev *event.Event) error {
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return malformed("auditd", "expected key=value at %q", truncate(s, 20))
		}
		key := s[:eq]
		if strings.ContainsAny(key, " \"'") {
			return malformed("auditd", "invalid key %q", truncate(key, 20))
		}
		s = s[eq+1:]
		var val string
		quoted := false
		switch {
		case strings.HasPrefix(s, `"`):
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return malformed("auditd", "unterminated value of %s", key)
			}
			val, s, quoted = s[1:end+1], s[end+2:], true
		case strings.HasPrefix(s, "'"):
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return malformed("auditd", "unterminated value of %s", key)
			}
			inner := s[1 : end+1]
			s = s[end+2:]
			if err := p.pairs(inner, typ, ev); err != nil {
				return err
			}
			s = strings.TrimLeft(s, " ")
			continue
		default:
			val, s = cutWordString(s)
		}
		s = strings.TrimLeft(s, " ")
		if !quoted && val != "(null)" && val != "?" && hexField(typ, key) {
			if b, err := hex.DecodeString(val); err == nil && len(val) > 0 {
				val = string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
			}
		}
		p.field(ev, typ, key, val)
	}
	return nil
}

func hexField(typ, key string) bool {
	switch key {
	case "proctitle", "name", "cwd", "comm", "exe", "cmd":
		return true
	}
	return typ == "EXECVE" && len(key) > 1 && key[0] == 'a' && allDigits(key[1:])
}

func (p *auditdParser) field(ev *event.Event, typ, key, val string) {
	f := ev.Fields
	f["auditd.log."+key] = val
	if val == "" || val == "?" || val == "(null)" {
		return
	}
	switch key {
	case "pid":
		setPID(ev, "process.pid", val)
	case "ppid":
		setPID(ev, "process.parent.pid", val)
	case "uid":
		f["user.id"] = val
	case "euid":
		f["user.effective.id"] = val
	case "auid":
		if val != "4294967295" {
			f["user.audit.id"] = val
		}
	case "acct":
		f["user.name"] = val
	case "exe":
		f["process.executable"] = val
	case "comm":
		f["process.name"] = val
	case "proctitle":
		f["process.title"] = val
	case "cwd":
		f["process.working_directory"] = val
	case "addr":
		setAddr(ev, "source.ip", val)
	case "success", "res":
		if val == "yes" || val == "success" || val == "1" {
			f["event.outcome"] = "success"
		} else {
			f["event.outcome"] = "failure"
		}
	default:
		if typ == "EXECVE" && len(key) > 1 && key[0] == 'a' && allDigits(key[1:]) {
			if i, err := strconv.Atoi(key[1:]); err == nil && i == len(p.args) && i < 1024 {
				p.args = append(p.args, val)
			}
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
