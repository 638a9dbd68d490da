package normalize

import (
	"strconv"
	"time"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/vedetta-sec/vedetta/internal/event"
)

type syslogMode int

const (
	modeAuto syslogMode = iota // RFC 5424 when the header says so, else RFC 3164
	mode5424                   // strict RFC 5424 only
	mode3164                   // tolerant RFC 3164 only
)

// syslogParser parses RFC 5424 strictly and RFC 3164 tolerantly, both with
// hand-written scanners (the RFC 5424 one passes all 667 influxdata/go-syslog
// vectors and agrees with go-syslog's state machine under fuzzing, at about
// half its cost; Options.UseGoSyslog5424 switches back to go-syslog), then
// hands the message to the
// program-specific parsers (sshd, PAM, sudo, su) and to the CEF parser when
// the message is a CEF record.
type syslogParser struct {
	name  string
	opts  Options
	mode  syslogMode
	m5424 syslog.Machine // go-syslog, kept as the reference (UseGoSyslog5424)
	s5424 scan5424
	cef   *cefParser
	hdr   hdrCache
	slab  strSlab
	now   time.Time // SetNow's time, zero for Options.Now
}

// SetNow implements Clocked.
func (p *syslogParser) SetNow(now time.Time) { p.now = now }

// boxed is one header value already converted to a field value.
type boxed struct {
	s string
	v any
}

// hdrCache keeps the last header values of the parser's source boxed: a
// source repeats its host name, program and often its process id, and a
// hit stores the same immutable value again without allocating. It also
// holds the message and program of the record being parsed, for the
// program parsers.
type hdrCache struct {
	host   boxed
	msgid  boxed
	app    boxed // log.syslog.appname
	name   boxed // process.name of app
	procid boxed // log.syslog.procid
	pid    any   // process.pid of procid boxed, nil until a map event needs it
	pidN   int64 // process.pid of procid
	pidOK  bool  // procid is a number

	msg      string // the record's message ("" when none)
	appname  string
	procName string
}

// reset forgets the previous record.
func (c *hdrCache) reset() { c.msg, c.appname, c.procName = "", "", "" }

// get returns b as a boxed string, reusing the last value when equal.
func (b *boxed) get(v []byte) any {
	if b.v == nil || string(v) != b.s {
		b.s = string(v)
		b.v = b.s
	}
	return b.v
}

// setHost stores host.hostname (non-empty).
func (c *hdrCache) setHost(ev *event.Event, host []byte) {
	ev.Put("host.hostname", c.host.get(host))
}

// setMsgID stores log.syslog.msgid and event.code (non-empty).
func (c *hdrCache) setMsgID(ev *event.Event, id []byte) {
	v := c.msgid.get(id)
	ev.Put("log.syslog.msgid", v)
	ev.Put("event.code", v)
}

// setAppname is setAppname with the cache; app is not empty.
func (c *hdrCache) setAppname(ev *event.Event, app []byte) {
	if c.app.v == nil || string(app) != c.app.s {
		c.app.s = string(app)
		c.app.v = c.app.s
		c.name = c.app
		for i := 1; i < len(app); i++ {
			if app[i] == '(' {
				c.name.s = c.app.s[:i]
				c.name.v = c.name.s
				break
			}
		}
	}
	ev.Put("log.syslog.appname", c.app.v)
	ev.Put("process.name", c.name.v)
	c.appname, c.procName = c.app.s, c.name.s
}

// setProcID is setProcID with the cache; procid is not empty. Values are
// boxed only for map events, once per distinct procid.
func (c *hdrCache) setProcID(ev *event.Event, procid []byte) {
	if c.procid.s == "" || string(procid) != c.procid.s {
		c.procid.s = string(procid)
		c.procid.v, c.pid, c.pidOK = nil, nil, false
		if pid, err := strconv.ParseInt(c.procid.s, 10, 64); err == nil && pid >= 0 {
			c.pidN, c.pidOK = pid, true
		}
	}
	if ev.Listed() {
		ev.PutString("log.syslog.procid", c.procid.s)
		if c.pidOK {
			ev.PutInt("process.pid", c.pidN)
		}
		return
	}
	if c.procid.v == nil {
		c.procid.v = c.procid.s
	}
	ev.Put("log.syslog.procid", c.procid.v)
	if c.pidOK {
		if c.pid == nil {
			c.pid = c.pidN
		}
		ev.Put("process.pid", c.pid)
	}
}

func newSyslog(name string, o Options, mode syslogMode) *syslogParser {
	return &syslogParser{
		name: name,
		opts: o,
		mode: mode,
		// Strict: a MSG that starts with a BOM must be valid UTF-8 (RFC 5424 §6.4).
		m5424: rfc5424.NewMachine(rfc5424.WithCompliantMsg()),
		cef:   newCEF(o),
	}
}

func (p *syslogParser) Name() string { return p.name }

func (p *syslogParser) Parse(line []byte, ev *event.Event) error {
	// A raw text the caller preset (see Parser) serves the message and
	// other substrings even when the source drops raw: it is cleared
	// once the fields are cut from it.
	preset := ""
	if p.opts.DropRaw && ev.Raw != "" && ev.Raw == string(line) {
		preset = ev.Raw
	}
	begin(ev, line, p.opts)
	if preset != "" {
		ev.Raw = preset
		defer func() { ev.Raw = "" }()
	}
	p.hdr.reset()
	var err error
	switch p.mode {
	case mode5424:
		err = p.parse5424(line, ev)
	case mode3164:
		err = p.parse3164(line, ev)
	default:
		if looks5424(line) {
			err = p.parse5424(line, ev)
		} else {
			err = p.parse3164(line, ev)
		}
	}
	if err != nil {
		return fail(ev, err)
	}
	ev.Category = event.CategorySystem
	msg, app, name := p.hdr.msg, p.hdr.appname, p.hdr.procName
	if p.opts.UseGoSyslog5424 && p.mode != mode3164 {
		msg = fieldString(ev, "message")
		app = fieldString(ev, "log.syslog.appname")
		name = fieldString(ev, "process.name")
	}
	if applyProgramTo(ev, &p.slab, msg, app, name) {
		ev.Category = event.CategorySecurity
	}
	if len(msg) > 4 && msg[:4] == "CEF:" {
		if p.cef.parseBody(msg, ev) == nil {
			ev.Category = event.CategorySecurity
		}
	}
	return nil
}

// looks5424 reports whether line starts with "<PRI>VERSION " where VERSION is
// 1–3 digits without a leading zero: the RFC 5424 header. RFC 3164 lines
// continue after PRI with a month name, an ISO date ("2024-") or a sequence
// number ("123:").
func looks5424(line []byte) bool {
	i := 0
	if i >= len(line) || line[i] != '<' {
		return false
	}
	i++
	for i < len(line) && i <= 4 && isDigit(line[i]) {
		i++
	}
	if i >= len(line) || line[i] != '>' {
		return false
	}
	i++
	start := i
	for i < len(line) && isDigit(line[i]) {
		i++
	}
	n := i - start
	return n >= 1 && n <= 3 && line[start] != '0' && i < len(line) && line[i] == ' '
}

func (p *syslogParser) parse5424(line []byte, ev *event.Event) error {
	if !p.opts.UseGoSyslog5424 {
		return p.s5424.parse(line, ev, &p.hdr)
	}
	m, err := p.m5424.Parse(line)
	if err != nil {
		return malformed("syslog", "rfc5424: %v", err)
	}
	sm, ok := m.(*rfc5424.SyslogMessage)
	if !ok || sm == nil {
		return malformed("syslog", "rfc5424: no message")
	}
	if sm.Priority != nil {
		setPriority(ev, int(*sm.Priority))
	}
	ev.Set("log.syslog.version", strconv.Itoa(int(sm.Version)))
	if sm.Timestamp != nil {
		ev.Observed = *sm.Timestamp
	}
	if sm.Hostname != nil {
		ev.Set("host.hostname", *sm.Hostname)
	}
	if sm.Appname != nil {
		setAppname(ev, *sm.Appname)
	}
	if sm.ProcID != nil {
		setProcID(ev, *sm.ProcID)
	}
	if sm.MsgID != nil {
		ev.Set("log.syslog.msgid", *sm.MsgID)
		ev.Set("event.code", *sm.MsgID)
	}
	if sm.Message != nil {
		ev.Set("message", *sm.Message)
	}
	if sm.StructuredData != nil {
		for id, params := range *sm.StructuredData {
			if len(params) == 0 {
				// An element without parameters is kept as a presence marker.
				ev.Set("log.syslog.structured_data."+id, true)
				continue
			}
			for k, v := range params {
				ev.Put("log.syslog.structured_data."+id+"."+k, v)
			}
		}
	}
	return nil
}

var severityNames = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// severityAny holds the names already boxed, so storing them allocates nothing.
var severityAny = func() (out [8]any) {
	for i, n := range severityNames {
		out[i] = n
	}
	return out
}()

func setPriority(ev *event.Event, pri int) {
	ev.Put("log.syslog.priority", int64(pri))
	ev.Put("log.syslog.facility.code", int64(pri/8))
	ev.Put("log.syslog.severity.code", int64(pri%8))
	ev.Put("log.syslog.severity.name", severityAny[pri%8])
	ev.Put("log.level", severityAny[pri%8])
}

// setAppname stores the syslog APP-NAME/TAG. process.name drops a
// parenthesised suffix such as "sshd(pam_unix)", which stays whole in
// log.syslog.appname.
func setAppname(ev *event.Event, app string) {
	if app == "" {
		return
	}
	boxed := any(app)
	ev.Put("log.syslog.appname", boxed)
	for i := 1; i < len(app); i++ {
		if app[i] == '(' {
			ev.Put("process.name", app[:i])
			return
		}
	}
	ev.Put("process.name", boxed)
}

func setProcID(ev *event.Event, procid string) {
	ev.Set("log.syslog.procid", procid)
	if pid, err := strconv.ParseInt(procid, 10, 64); err == nil && pid >= 0 {
		ev.Set("process.pid", pid)
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parse3164 scans a BSD syslog line tolerantly:
//
//	[<PRI>][SEQ: ][*|.]TIMESTAMP[:] [HOST ][TAG[PID]: ]MSG
//
// TIMESTAMP is "Mmm dd hh:mm:ss[.frac]" (day space-padded or not, optional
// year after the day or after the time) or RFC 3339 with or without zone.
// The year, when absent, is the one (previous, current or next) that puts
// the time closest to Options.Now, which handles Dec/Jan roll-over both ways.
// HOST is absent when the first word is already a TAG ("su: ...").
func (p *syslogParser) parse3164(line []byte, ev *event.Event) error {
	s := line
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r' || s[len(s)-1] == 0) {
		s = s[:len(s)-1]
	}
	if len(s) == 0 {
		return malformed("syslog", "rfc3164: empty line")
	}
	i := 0
	if s[0] == '<' {
		j := 1
		pri := 0
		for j < len(s) && j <= 4 && isDigit(s[j]) {
			pri = pri*10 + int(s[j]-'0')
			j++
		}
		if j == 1 || j >= len(s) || s[j] != '>' || pri > 191 {
			return malformed("syslog", "rfc3164: invalid priority")
		}
		setPriority(ev, pri)
		i = j + 1
	}
	// Optional sequence number "123: " (Cisco, rsyslog counters).
	if j := skipDigits(s, i); j > i && j < len(s) && s[j] == ':' && (j+1 == len(s) || s[j+1] == ' ') {
		if seq, err := strconv.ParseInt(string(s[i:j]), 10, 64); err == nil {
			ev.Set("event.sequence", seq)
		}
		i = skipSpaces(s, j+1)
	}
	if i < len(s) && (s[i] == '*' || s[i] == '.') { // Cisco unsynchronised clock markers
		i++
	}
	t, n, ok := p.parseTime3164(s[i:])
	if !ok {
		return malformed("syslog", "rfc3164: missing or invalid timestamp at offset %d", i)
	}
	ev.Observed = t
	i += n
	if i < len(s) && s[i] == ':' {
		i++
	}
	if i < len(s) && s[i] != ' ' {
		return malformed("syslog", "rfc3164: no space after timestamp at offset %d", i)
	}
	i = skipSpaces(s, i)
	rest := s[i:]
	tok, after := nextWord(rest)
	if app, pid, ok := parseTag(tok); ok {
		p.hdr.setTag(ev, app, pid)
		rest = after
	} else if len(tok) > 0 {
		p.hdr.setHost(ev, tok)
		rest = after
		tok2, after2 := nextWord(rest)
		if app, pid, ok := parseTag(tok2); ok {
			p.hdr.setTag(ev, app, pid)
			rest = after2
		}
	}
	if len(rest) > 0 {
		p.hdr.msg = lineString(ev, line, rest)
		ev.PutString("message", p.hdr.msg)
	}
	return nil
}

// setTag stores the APP-NAME and PID of a TAG; app is not empty.
func (c *hdrCache) setTag(ev *event.Event, app, pid []byte) {
	c.setAppname(ev, app)
	if len(pid) > 0 {
		c.setProcID(ev, pid)
	}
}

func skipDigits(s []byte, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func skipSpaces(s []byte, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// nextWord returns the bytes up to the next space and what follows that
// single space.
func nextWord(s []byte) (word, rest []byte) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i], s[i+1:]
		}
	}
	return s, nil
}

// parseTag recognises "name:" and "name[pid]:".
func parseTag(tok []byte) (app, pid []byte, ok bool) {
	if len(tok) < 2 || tok[len(tok)-1] != ':' {
		return nil, nil, false
	}
	t := tok[:len(tok)-1]
	if t[len(t)-1] == ']' {
		open := -1
		for k := 0; k < len(t); k++ {
			if t[k] == '[' {
				open = k
				break
			}
		}
		if open <= 0 {
			return nil, nil, false
		}
		return t[:open], t[open+1 : len(t)-1], true
	}
	for _, c := range t {
		if c == '[' || c == ']' || c == ':' || c < 0x21 || c > 0x7e {
			return nil, nil, false
		}
	}
	return t, nil, true
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func monthIndex(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	a, c, d := b[0]|0x20, b[1]|0x20, b[2]|0x20
	for i, m := range months {
		if a == m[0]|0x20 && c == m[1] && d == m[2] {
			return i + 1
		}
	}
	return 0
}

// parseTime3164 parses the timestamp at the start of s and returns the time
// and the number of bytes it used.
func (p *syslogParser) parseTime3164(s []byte) (time.Time, int, bool) {
	if len(s) >= 10 && isDigit(s[0]) && s[4] == '-' {
		return parseISOPrefix(s, p.opts.loc())
	}
	mon := monthIndex(s)
	if mon == 0 || len(s) < 5 || s[3] != ' ' {
		return time.Time{}, 0, false
	}
	i := 4
	if s[i] == ' ' {
		i++
	}
	day, i, ok := atoiN(s, i, 1, 2)
	if !ok || day < 1 || day > 31 || i >= len(s) || s[i] != ' ' {
		return time.Time{}, 0, false
	}
	i++
	year := 0
	if j := skipDigits(s, i); j-i == 4 && j < len(s) && s[j] == ' ' { // "Mmm dd yyyy hh:mm:ss"
		year, _, _ = atoiN(s, i, 4, 4)
		i = j + 1
	}
	hh, mm, ss, nsec, i, ok := parseClock(s, i)
	if !ok {
		return time.Time{}, 0, false
	}
	if year == 0 && i+5 <= len(s) && s[i] == ' ' { // "hh:mm:ss yyyy"
		if j := skipDigits(s, i+1); j-(i+1) == 4 && (j == len(s) || s[j] == ' ' || s[j] == ':') {
			year, _, _ = atoiN(s, i+1, 4, 4)
			i = j
		}
	}
	loc := p.opts.loc()
	if year != 0 {
		t := time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, loc)
		if t.Day() != day {
			return time.Time{}, 0, false
		}
		return t, i, true
	}
	now := p.now
	if now.IsZero() {
		now = p.opts.now()
	}
	now = now.In(loc)
	// The year closest to now: this year's date when it is within 150
	// days of now (any other year's is over 200 days away), else the
	// nearest of the previous, current and next years' dates.
	if t := time.Date(now.Year(), time.Month(mon), day, hh, mm, ss, nsec, loc); t.Day() == day {
		if d := t.Sub(now); d < 150*24*time.Hour && d > -150*24*time.Hour {
			return t, i, true
		}
	}
	var best time.Time
	var bestD time.Duration = -1
	for y := now.Year() - 1; y <= now.Year()+1; y++ {
		t := time.Date(y, time.Month(mon), day, hh, mm, ss, nsec, loc)
		if t.Day() != day { // Feb 29 outside a leap year
			continue
		}
		d := t.Sub(now)
		if d < 0 {
			d = -d
		}
		if bestD < 0 || d < bestD {
			best, bestD = t, d
		}
	}
	if bestD < 0 {
		return time.Time{}, 0, false
	}
	return best, i, true
}

// parseClock parses "hh:mm:ss[.frac]" at s[i:].
func parseClock(s []byte, i int) (hh, mm, ss, nsec, next int, ok bool) {
	if hh, i, ok = atoiN(s, i, 2, 2); !ok || hh > 23 || i >= len(s) || s[i] != ':' {
		return 0, 0, 0, 0, 0, false
	}
	if mm, i, ok = atoiN(s, i+1, 2, 2); !ok || mm > 59 || i >= len(s) || s[i] != ':' {
		return 0, 0, 0, 0, 0, false
	}
	if ss, i, ok = atoiN(s, i+1, 2, 2); !ok || ss > 60 {
		return 0, 0, 0, 0, 0, false
	}
	if ss == 60 {
		ss = 59
	}
	if i+1 < len(s) && (s[i] == '.' || s[i] == ',') && isDigit(s[i+1]) {
		j := i + 1
		scale := 100000000
		for j < len(s) && isDigit(s[j]) {
			nsec += int(s[j]-'0') * scale
			scale /= 10
			j++
		}
		i = j
	}
	return hh, mm, ss, nsec, i, true
}

// atoiN reads between min and max decimal digits at s[i:].
func atoiN(s []byte, i, minDigits, maxDigits int) (v, next int, ok bool) {
	j := i
	for j < len(s) && j-i < maxDigits && isDigit(s[j]) {
		v = v*10 + int(s[j]-'0')
		j++
	}
	if j-i < minDigits {
		return 0, i, false
	}
	return v, j, true
}

// parseISOPrefix parses an RFC 3339 timestamp (zone optional; without a zone
// loc applies) that ends at the first space or at the end of s.
func parseISOPrefix(s []byte, loc *time.Location) (time.Time, int, bool) {
	end := 0
	for end < len(s) && s[end] != ' ' {
		end++
	}
	tok := s[:end]
	if len(tok) > 0 && tok[len(tok)-1] == ':' { // "2024-01-02T03:04:05Z:" (Cisco style)
		tok = tok[:len(tok)-1]
	}
	str := string(tok)
	if t, err := time.Parse(time.RFC3339Nano, str); err == nil {
		return t, len(tok), true
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", str, loc); err == nil {
		return t, len(tok), true
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", string(s[:min(len(s), 19)]), loc); err == nil && len(s) >= 19 {
		return t, 19, true
	}
	return time.Time{}, 0, false
}
