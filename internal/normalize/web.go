package normalize

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// ErrNoEvent reports a record that the parser consumed without producing an
// event, such as an IIS "#Fields:" header. ParseStream skips such records;
// they are not errors.
var ErrNoEvent = errors.New("no event")

// accessParser reads the NCSA common and combined formats written by Apache
// httpd and nginx:
//
//	HOST IDENT USER [dd/Mon/yyyy:hh:mm:ss ±zzzz] "METHOD URI PROTO" STATUS BYTES ["REFERRER" "USER-AGENT" ...]
//
// Fields after the user agent (nginx's $http_x_forwarded_for and the like)
// are ignored. A request line that is not "METHOD URI PROTO" (TLS probes,
// garbage) is kept whole in url.original.
type accessParser struct {
	name  string
	opts  Options
	zones zoneCache
}

func (p *accessParser) Name() string { return p.name }

func (p *accessParser) Parse(line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	if err := p.parse(trimEOL(line), ev); err != nil {
		return fail(ev, err)
	}
	ev.Category = event.CategoryWeb
	return nil
}

func trimEOL(s []byte) []byte {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

func (p *accessParser) parse(s []byte, ev *event.Event) error {
	host, s := nextWord(s)
	if len(host) == 0 {
		return malformed(p.name, "missing client address")
	}
	setSource(ev, string(host))
	_, s = nextWord(s) // ident
	if len(s) == 0 {
		return malformed(p.name, "missing user")
	}
	var user []byte
	if s[0] == '[' { // empty user field written as "" by some servers: treat "[..." as time
		return malformed(p.name, "missing user")
	}
	user, s = nextWord(s)
	if len(user) > 0 && !(len(user) == 1 && user[0] == '-') {
		ev.Set("user.name", string(user))
	}
	if len(s) == 0 || s[0] != '[' {
		return malformed(p.name, "missing [time]")
	}
	end := bytes.IndexByte(s, ']')
	if end < 0 {
		return malformed(p.name, "unterminated [time]")
	}
	t, ok := p.zones.parseCLF(s[1:end])
	if !ok {
		return malformed(p.name, "invalid time %q", s[1:end])
	}
	ev.Observed = t
	s = s[end+1:]
	if len(s) < 2 || s[0] != ' ' || s[1] != '"' {
		return malformed(p.name, "missing quoted request")
	}
	req, rest, ok := quoted(s[1:])
	if !ok {
		return malformed(p.name, "unterminated request")
	}
	setRequestLine(ev, req)
	s = bytes.TrimLeft(rest, " ")
	status, s := nextWord(s)
	if code, ok := parseStatus(status); ok {
		ev.Put("http.response.status_code", int64(code))
		outcome := "success"
		if code >= 400 {
			outcome = "failure"
		}
		ev.Put("event.outcome", outcome)
	} else if !(len(status) == 1 && status[0] == '-') {
		return malformed(p.name, "invalid status %q", status)
	}
	size, s := nextWord(s)
	if n, err := strconv.ParseInt(string(size), 10, 64); err == nil && n >= 0 {
		ev.Put("http.response.body.bytes", n)
	} else if !(len(size) == 1 && size[0] == '-') {
		return malformed(p.name, "invalid size %q", size)
	}
	s = bytes.TrimLeft(s, " ")
	if len(s) > 0 && s[0] == '"' {
		ref, rest, ok := quoted(s)
		if !ok {
			return malformed(p.name, "unterminated referrer")
		}
		if ref != "-" {
			ev.Set("http.request.referrer", ref)
		}
		s = bytes.TrimLeft(rest, " ")
		if len(s) > 0 && s[0] == '"' {
			ua, _, ok := quoted(s)
			if !ok {
				// Real logs hold user agents cut at the end of the line
				// (line 8899 of elastic/examples' apache_logs): keep what
				// there is and flag it.
				ua = string(s[1:])
				ev.Put("tags", []string{"truncated_user_agent"})
			}
			if ua != "-" {
				ev.Set("user_agent.original", ua)
			}
		}
	}
	ev.Put("event.kind", "event")
	ev.Put("event.category", []string{"web"})
	ev.Put("event.type", []string{"access"})
	return nil
}

func parseStatus(b []byte) (int, bool) {
	if len(b) != 3 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 100
}

// quoted reads a double-quoted string at s[0] == '"', undoing the \" and \\
// escapes of Apache and the \xHH escapes of nginx, and returns the text and
// what follows the closing quote.
func quoted(s []byte) (string, []byte, bool) {
	i := 1
	esc := false
	for i < len(s) {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			esc = true
			i += 2
			continue
		}
		if c == '"' {
			break
		}
		i++
	}
	if i >= len(s) {
		return "", nil, false
	}
	body := s[1:i]
	if !esc {
		return string(body), s[i+1:], true
	}
	out := make([]byte, 0, len(body))
	for k := 0; k < len(body); k++ {
		c := body[k]
		if c != '\\' || k+1 >= len(body) {
			out = append(out, c)
			continue
		}
		switch n := body[k+1]; n {
		case '"', '\\':
			out = append(out, n)
			k++
		case 'x':
			if k+3 < len(body) {
				if v, err := strconv.ParseUint(string(body[k+2:k+4]), 16, 8); err == nil {
					out = append(out, byte(v))
					k += 3
					continue
				}
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return string(out), s[i+1:], true
}

// setRequestLine splits "METHOD URI HTTP/x.y".
func setRequestLine(ev *event.Event, req string) {
	if req == "" || req == "-" {
		return
	}
	method, rest, ok1 := strings.Cut(req, " ")
	i := strings.LastIndexByte(rest, ' ')
	if !ok1 || i < 0 || !isToken(method) || !strings.HasPrefix(rest[i+1:], "HTTP/") {
		if ok1 && isToken(method) && !strings.Contains(rest, " ") { // HTTP/0.9 "GET /"
			ev.Put("http.request.method", method)
			setURL(ev, rest)
			return
		}
		ev.Put("url.original", req)
		return
	}
	ev.Put("http.request.method", method)
	setURL(ev, rest[:i])
	ev.Put("http.version", rest[i+1+len("HTTP/"):])
}

func isToken(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func setURL(ev *event.Event, uri string) {
	if uri == "" {
		return
	}
	ev.Put("url.original", uri)
	path, query, ok := strings.Cut(uri, "?")
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") { // proxy requests
		scheme, rest, _ := strings.Cut(path, "://")
		ev.Put("url.scheme", scheme)
		host, p, found := strings.Cut(rest, "/")
		ev.Set("url.domain", host)
		path = "/"
		if found {
			path = "/" + p
		}
	}
	ev.Set("url.path", path)
	if ok {
		ev.Set("url.query", query)
	}
}

// zoneCache avoids allocating a *time.Location per line for numeric offsets.
type zoneCache struct {
	off int
	loc *time.Location
}

func (z *zoneCache) zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if z.loc == nil || z.off != off {
		z.off, z.loc = off, time.FixedZone("", off)
	}
	return z.loc
}

// parseCLF parses "02/Jan/2006:15:04:05 -0700".
func (z *zoneCache) parseCLF(b []byte) (time.Time, bool) {
	if len(b) != 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[20] != ' ' {
		return time.Time{}, false
	}
	day, _, ok1 := atoiN(b, 0, 2, 2)
	mon := monthIndex(b[3:6])
	year, _, ok2 := atoiN(b, 7, 4, 4)
	hh, mm, ss, _, next, ok3 := parseClock(b, 12)
	if !ok1 || !ok2 || !ok3 || mon == 0 || next != 20 || day < 1 {
		return time.Time{}, false
	}
	sign := 1
	switch b[21] {
	case '-':
		sign = -1
	case '+':
	default:
		return time.Time{}, false
	}
	zh, _, ok4 := atoiN(b, 22, 2, 2)
	zm, _, ok5 := atoiN(b, 24, 2, 2)
	if !ok4 || !ok5 || zm > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(mon), day, hh, mm, ss, 0, z.zone(sign*(zh*3600+zm*60)))
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// errorLogParser reads Apache httpd 2.2/2.4 and nginx error logs:
//
//	[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] message
//	[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:49324] AH00128: message
//	2024/01/02 03:04:05 [error] 1234#5678: *99 message, client: 1.2.3.4, server: s, request: "GET / HTTP/1.1", host: "h"
//
// The "apache_error" and "nginx_error" names share it: each line is
// recognised by its shape.
type errorLogParser struct {
	name string
	opts Options
}

func (p *errorLogParser) Name() string { return p.name }

func (p *errorLogParser) Parse(line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	s := trimEOL(line)
	var err error
	if len(s) > 0 && s[0] == '[' {
		err = p.apache(s, ev)
	} else {
		err = p.nginx(s, ev)
	}
	if err != nil {
		return fail(ev, err)
	}
	ev.Category = event.CategoryWeb
	ev.Put("event.kind", "event")
	ev.Put("event.category", []string{"web"})
	ev.Put("event.type", []string{"error"})
	return nil
}

func (p *errorLogParser) apache(s []byte, ev *event.Event) error {
	end := bytes.IndexByte(s, ']')
	if end < 0 {
		return malformed(p.name, "unterminated [time]")
	}
	ts := string(s[1:end])
	t, err := time.ParseInLocation("Mon Jan 02 15:04:05.999999 2006", ts, p.opts.loc())
	if err != nil {
		if t, err = time.ParseInLocation("Mon Jan _2 15:04:05.999999 2006", ts, p.opts.loc()); err != nil {
			return malformed(p.name, "invalid time %q", ts)
		}
	}
	ev.Observed = t
	s = s[end+1:]
	for {
		s = bytes.TrimLeft(s, " ")
		if len(s) == 0 || s[0] != '[' {
			break
		}
		end := bytes.IndexByte(s, ']')
		if end < 0 {
			break
		}
		item := string(s[1:end])
		s = s[end+1:]
		switch {
		case strings.HasPrefix(item, "client "):
			addr := item[len("client "):]
			if ap, err := netip.ParseAddrPort(addr); err == nil {
				ev.Put("source.ip", ap.Addr().Unmap().String())
				ev.Put("source.port", int64(ap.Port()))
			} else {
				setSource(ev, addr)
			}
		case strings.HasPrefix(item, "pid "):
			pid, tid, _ := strings.Cut(item[len("pid "):], ":tid ")
			if n, err := strconv.ParseInt(pid, 10, 64); err == nil {
				ev.Put("process.pid", n)
			}
			if n, err := strconv.ParseInt(tid, 10, 64); err == nil {
				ev.Put("process.thread.id", n)
			}
		case strings.HasPrefix(item, "remote "):
		default:
			if _, ok := ev.Get("log.level"); ok {
				// Not a header item: part of the message.
				s = append([]byte("["+item+"]"), s...)
				goto message
			}
			module, level, ok := strings.Cut(item, ":")
			if ok {
				ev.Set("log.logger", module)
			} else {
				level = item
			}
			if !isToken(level) {
				return malformed(p.name, "invalid level %q", item)
			}
			ev.Put("log.level", level)
		}
	}
message:
	if _, ok := ev.Get("log.level"); !ok {
		return malformed(p.name, "missing [level]")
	}
	msg := string(bytes.TrimSpace(s))
	if len(msg) > 8 && msg[0] == 'A' && msg[1] == 'H' && msg[7] == ':' {
		ev.Put("error.code", msg[:7])
	}
	ev.Set("message", msg)
	return nil
}

func (p *errorLogParser) nginx(s []byte, ev *event.Event) error {
	if len(s) < 20 {
		return malformed(p.name, "line too short")
	}
	t, err := time.ParseInLocation("2006/01/02 15:04:05", string(s[:19]), p.opts.loc())
	if err != nil {
		return malformed(p.name, "invalid time %q", s[:19])
	}
	ev.Observed = t
	s = s[19:]
	if len(s) < 3 || s[0] != ' ' || s[1] != '[' {
		return malformed(p.name, "missing [level]")
	}
	end := bytes.IndexByte(s, ']')
	if end < 0 || !isToken(string(s[2:end])) {
		return malformed(p.name, "invalid [level]")
	}
	ev.Put("log.level", string(s[2:end]))
	s = bytes.TrimLeft(s[end+1:], " ")
	// "PID#TID: "
	if hash := bytes.IndexByte(s, '#'); hash > 0 {
		if colon := bytes.IndexByte(s, ':'); colon > hash {
			if n, err := strconv.ParseInt(string(s[:hash]), 10, 64); err == nil {
				ev.Put("process.pid", n)
				if tid, err := strconv.ParseInt(string(s[hash+1:colon]), 10, 64); err == nil {
					ev.Put("process.thread.id", tid)
				}
				s = bytes.TrimLeft(s[colon+1:], " ")
			}
		}
	}
	msg := string(s)
	if msg != "" && msg[0] == '*' { // connection number
		if cid, rest := cutWordString(msg[1:]); cid != "" {
			if _, err := strconv.ParseInt(cid, 10, 64); err == nil {
				ev.Put("nginx.error.connection_id", cid)
				msg = rest
			}
		}
	}
	ev.Set("message", msg)
	if i := strings.Index(msg, ", client: "); i >= 0 {
		addr, _, _ := strings.Cut(msg[i+len(", client: "):], ",")
		setSource(ev, addr)
	}
	if i := strings.Index(msg, ", request: \""); i >= 0 {
		req, _, _ := strings.Cut(msg[i+len(", request: \""):], "\"")
		setRequestLine(ev, req)
	}
	if i := strings.Index(msg, ", host: \""); i >= 0 {
		h, _, _ := strings.Cut(msg[i+len(", host: \""):], "\"")
		ev.Set("url.domain", h)
	}
	return nil
}

func cutWordString(s string) (string, string) {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// iisDefaultFields is the IIS default W3C field set, used until the first
// "#Fields:" header is seen.
var iisDefaultFields = []string{"date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query",
	"s-port", "cs-username", "c-ip", "cs(User-Agent)", "cs(Referer)", "sc-status", "sc-substatus",
	"sc-win32-status", "time-taken"}

// iisParser reads IIS W3C extended logs. It is stateful: a "#Fields:"
// directive sets the column layout of the lines that follow it (until the
// next directive), so one iisParser must be used per log source, in order.
// Directive lines return ErrNoEvent. Times are UTC, as W3C logging writes
// them. Values use '+' for spaces in the user agent and referrer columns.
type iisParser struct {
	opts   Options
	fields []string
}

func (p *iisParser) Name() string { return "iis" }

func (p *iisParser) Parse(line []byte, ev *event.Event) error {
	s := trimEOL(line)
	if len(s) > 0 && s[0] == '#' {
		if after, ok := bytes.CutPrefix(s, []byte("#Fields:")); ok {
			f := strings.Fields(string(after))
			if len(f) == 0 {
				return fail(ev, malformed("iis", "empty #Fields directive"))
			}
			p.fields = f
		}
		return fail(ev, ErrNoEvent)
	}
	begin(ev, line, p.opts)
	if err := p.parse(string(s), ev); err != nil {
		return fail(ev, err)
	}
	ev.Category = event.CategoryWeb
	ev.Put("event.kind", "event")
	ev.Put("event.category", []string{"web"})
	ev.Put("event.type", []string{"access"})
	return nil
}

func (p *iisParser) parse(s string, ev *event.Event) error {
	fields := p.fields
	if fields == nil {
		fields = iisDefaultFields
	}
	var date, clock, path, query string
	n := 0
	for len(s) > 0 {
		var v string
		v, s = cutWordString(s)
		if n >= len(fields) {
			return malformed("iis", "more values than the %d #Fields", len(fields))
		}
		name := fields[n]
		n++
		if v == "-" {
			continue
		}
		switch name {
		case "date":
			date = v
		case "time":
			clock = v
		case "s-ip":
			setAddr(ev, "destination.ip", v)
		case "c-ip":
			setAddr(ev, "source.ip", v)
		case "cs-method":
			ev.Put("http.request.method", v)
		case "cs-uri-stem":
			path = v
		case "cs-uri-query":
			query = v
		case "s-port":
			setPort(ev, "destination.port", v)
		case "cs-username":
			ev.Put("user.name", v)
		case "cs(User-Agent)":
			ev.Put("user_agent.original", strings.ReplaceAll(v, "+", " "))
		case "cs(Referer)":
			ev.Put("http.request.referrer", v)
		case "cs-host":
			ev.Put("url.domain", v)
		case "cs-version":
			ev.Put("http.version", strings.TrimPrefix(v, "HTTP/"))
		case "s-sitename":
			ev.Put("service.name", v)
		case "s-computername":
			ev.Put("host.name", v)
		case "sc-status":
			code, ok := parseStatus([]byte(v))
			if !ok {
				return malformed("iis", "invalid sc-status %q", v)
			}
			ev.Put("http.response.status_code", int64(code))
			if code >= 400 {
				ev.Put("event.outcome", "failure")
			} else {
				ev.Put("event.outcome", "success")
			}
		case "sc-bytes", "cs-bytes", "sc-substatus", "sc-win32-status", "time-taken":
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return malformed("iis", "invalid %s %q", name, v)
			}
			switch name {
			case "sc-bytes":
				ev.Put("http.response.body.bytes", x)
			case "cs-bytes":
				ev.Put("http.request.body.bytes", x)
			case "sc-substatus":
				ev.Put("iis.access.sub_status", x)
			case "sc-win32-status":
				ev.Put("iis.access.win32_status", x)
			case "time-taken":
				ev.Put("event.duration", x*int64(time.Millisecond))
			}
		default:
			ev.Put("iis.access."+name, v)
		}
	}
	if n != len(fields) {
		return malformed("iis", "%d values for %d #Fields", n, len(fields))
	}
	if date == "" || clock == "" {
		return malformed("iis", "missing date or time")
	}
	t, err := time.Parse("2006-01-02 15:04:05", date+" "+clock)
	if err != nil {
		return malformed("iis", "invalid date/time %q %q", date, clock)
	}
	ev.Observed = t
	if path != "" {
		ev.Put("url.path", path)
		orig := path
		if query != "" {
			ev.Put("url.query", query)
			orig += "?" + query
		}
		ev.Put("url.original", orig)
	}
	return nil
}

func setAddr(ev *event.Event, field, v string) {
	if a, err := netip.ParseAddr(v); err == nil {
		ev.Put(field, a.Unmap().String())
	}
}
