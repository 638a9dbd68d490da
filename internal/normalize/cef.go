package normalize

import (
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// cefParser reads ArcSight Common Event Format records, bare or after an
// RFC 3164/5424 syslog header:
//
//	[SYSLOG-HEADER ]CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
//
// Header fields unescape \| and \\; extension values unescape \=, \\, \n and
// \r and end before the next " key=". Every extension is kept as
// cef.extensions.<key> (string); the well-known keys are also mapped to ECS
// (src → source.ip, dpt → destination.port, suser → source.user.name, rt →
// @timestamp, …, after elastic/beats' decode_cef key table). Severity is
// event.severity (0–10; Low/Medium/High/Very-High become 3/6/8/10).
type cefParser struct {
	opts Options
	sys  *syslogParser
	ext  []cefKV
}

type cefKV struct{ key, val string }

func newCEF(o Options) *cefParser { return &cefParser{opts: o} }

func (p *cefParser) Name() string { return "cef" }

func (p *cefParser) Parse(line []byte, ev *event.Event) error {
	s := trimEOL(line)
	if len(s) >= 4 && string(s[:4]) == "CEF:" {
		begin(ev, line, p.opts)
		if err := p.parseBody(string(s), ev); err != nil {
			return fail(ev, err)
		}
		ev.Category = event.CategorySecurity
		return nil
	}
	if p.sys == nil {
		p.sys = newSyslog("cef", p.opts, modeAuto)
		p.sys.cef = p
	}
	if err := p.sys.Parse(line, ev); err != nil {
		return err
	}
	if _, ok := ev.Get("cef.version"); !ok {
		return fail(ev, malformed("cef", "no valid CEF record after the syslog header"))
	}
	ev.Category = event.CategorySecurity
	return nil
}

var cefSeverity = map[string]int64{"low": 3, "medium": 6, "high": 8, "very-high": 10, "veryhigh": 10}

// cefECS maps extension keys to ECS fields; int marks integer fields.
var cefECS = map[string]struct {
	field string
	num   bool
}{
	"src": {"source.ip", false}, "spt": {"source.port", true}, "dst": {"destination.ip", false},
	"dpt": {"destination.port", true}, "shost": {"source.domain", false}, "dhost": {"destination.domain", false},
	"smac": {"source.mac", false}, "dmac": {"destination.mac", false}, "suser": {"source.user.name", false},
	"duser": {"destination.user.name", false}, "suid": {"source.user.id", false}, "duid": {"destination.user.id", false},
	"act": {"event.action", false}, "app": {"network.protocol", false}, "msg": {"message", false},
	"outcome": {"event.outcome", false}, "fname": {"file.name", false}, "filePath": {"file.path", false},
	"fsize": {"file.size", true}, "request": {"url.original", false}, "requestMethod": {"http.request.method", false},
	"requestClientApplication": {"user_agent.original", false}, "dvc": {"observer.ip", false},
	"dvchost": {"observer.hostname", false}, "deviceExternalId": {"observer.serial_number", false},
	"sproc": {"process.name", false}, "spid": {"process.pid", true}, "dproc": {"process.name", false},
	"dpid": {"process.pid", true}, "in": {"source.bytes", true}, "out": {"destination.bytes", true},
	"cnt": {"event.count", true}, "reason": {"event.reason", false},
	"sourceTranslatedAddress": {"source.nat.ip", false}, "destinationTranslatedAddress": {"destination.nat.ip", false},
	"fileHash": {"file.hash.sha256", false}, "externalId": {"event.id", false},
}

// parseBody parses a record that starts with "CEF:". Nothing is stored in ev
// unless the whole record parses.
func (p *cefParser) parseBody(s string, ev *event.Event) error {
	if !strings.HasPrefix(s, "CEF:") {
		return malformed("cef", "missing CEF: prefix")
	}
	var hdr [7]string
	rest := s[4:]
	for n := 0; n < 7; n++ {
		v, r, ok := cefHeaderField(rest)
		if !ok {
			return malformed("cef", "header has %d of 7 fields", n)
		}
		hdr[n], rest = v, r
	}
	if !allDigits(hdr[0]) {
		return malformed("cef", "invalid version %q", hdr[0])
	}
	sev := int64(-1)
	if n, err := strconv.ParseInt(strings.TrimSpace(hdr[6]), 10, 64); err == nil && n >= 0 && n <= 10 {
		sev = n
	} else if n, ok := cefSeverity[strings.ToLower(strings.TrimSpace(hdr[6]))]; ok {
		sev = n
	} else if !strings.EqualFold(hdr[6], "unknown") {
		return malformed("cef", "invalid severity %q", hdr[6])
	}
	ext, err := p.extensions(rest)
	if err != nil {
		return err
	}
	ev.Put("cef.version", hdr[0])
	ev.Set("observer.vendor", hdr[1])
	ev.Set("observer.product", hdr[2])
	ev.Set("observer.version", hdr[3])
	ev.Set("event.code", hdr[4])
	ev.Set("cef.name", hdr[5])
	ev.Set("message", hdr[5])
	if sev >= 0 {
		ev.Put("event.severity", sev)
	}
	for _, kv := range ext {
		ev.Put("cef.extensions."+kv.key, kv.val)
		if m, ok := cefECS[kv.key]; ok && kv.val != "" {
			if m.num {
				if n, err := strconv.ParseInt(kv.val, 10, 64); err == nil {
					ev.Put(m.field, n)
				}
				continue
			}
			switch m.field {
			case "source.ip", "destination.ip", "observer.ip", "source.nat.ip", "destination.nat.ip":
				setAddr(ev, m.field, kv.val)
			case "event.outcome":
				switch strings.ToLower(kv.val) {
				case "success", "succeeded", "allowed", "allow":
					ev.Put(m.field, "success")
				case "failure", "failed", "denied", "deny", "blocked":
					ev.Put(m.field, "failure")
				}
			case "network.protocol":
				ev.Put(m.field, strings.ToLower(kv.val))
			default:
				ev.Put(m.field, kv.val)
			}
		}
		if kv.key == "proto" && kv.val != "" {
			ev.Put("network.transport", strings.ToLower(kv.val))
		}
		switch kv.key {
		case "rt", "end", "start":
			if t, ok := parseCEFTime(kv.val, p.opts.loc()); ok {
				switch kv.key {
				case "rt":
					ev.Observed = t
				case "start":
					ev.Put("event.start", t.UTC().Format(time.RFC3339Nano))
				case "end":
					ev.Put("event.end", t.UTC().Format(time.RFC3339Nano))
				}
			}
		}
	}
	ev.Put("event.kind", "event")
	return nil
}

// cefHeaderField reads one '|'-terminated header field.
func cefHeaderField(s string) (string, string, bool) {
	esc := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			esc = true
			i++
		case '|':
			v := s[:i]
			if esc {
				v = strings.NewReplacer(`\|`, `|`, `\\`, `\`).Replace(v)
			}
			return v, s[i+1:], true
		}
	}
	return "", "", false
}

func isCEFKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '[' || c == ']'
}

// keyAt reports the length of a "key=" at s[i:], or 0.
func keyAt(s string, i int) int {
	j := i
	for j < len(s) && isCEFKeyChar(s[j]) {
		j++
	}
	if j > i && j < len(s) && s[j] == '=' {
		return j - i
	}
	return 0
}

func (p *cefParser) extensions(s string) ([]cefKV, error) {
	out := p.ext[:0]
	s = strings.TrimLeft(s, " ")
	i := 0
	for i < len(s) {
		kl := keyAt(s, i)
		if kl == 0 {
			return nil, malformed("cef", "extension without key at offset %d", i)
		}
		key := s[i : i+kl]
		start := i + kl + 1
		j := start
		end := len(s)
		next := len(s)
		for j < len(s) {
			if s[j] == '\\' {
				j += 2
				continue
			}
			if s[j] == ' ' && keyAt(s, j+1) > 0 {
				end, next = j, j+1
				break
			}
			j++
		}
		out = append(out, cefKV{key, cefUnescape(strings.TrimRight(s[start:min(end, len(s))], " "))})
		i = next
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	p.ext = out
	return out, nil
}

func cefUnescape(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			switch v[i+1] {
			case '=', '\\', '|':
				b = append(b, v[i+1])
				i++
				continue
			case 'n':
				b = append(b, '\n')
				i++
				continue
			case 'r':
				b = append(b, '\r')
				i++
				continue
			}
		}
		b = append(b, v[i])
	}
	return string(b)
}

// parseCEFTime parses epoch milliseconds or "MMM dd yyyy HH:mm:ss[.SSS][ zone]".
func parseCEFTime(v string, loc *time.Location) (time.Time, bool) {
	if allDigits(v) {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range [...]string{"Jan 02 2006 15:04:05.000", "Jan 02 2006 15:04:05", "Jan 02 2006 15:04:05 MST", "Jan 02 2006 15:04:05.000 MST"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
