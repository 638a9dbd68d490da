package normalize

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// Program-specific parsers for the syslog message of authentication
// programs. They are applied by the syslog parser on process.name (and on a
// "(pam_unix)" tag suffix or a "pam_unix(" message prefix for PAM). Each
// recognised message sets event.category, event.type, event.action,
// event.outcome, user.name, source.ip and source.port as they apply.
//
// event.action values: ssh_login, invalid_user, ssh_max_auth_attempts,
// ssh_disconnect, ssh_no_identification, ssh_reverse_mapping_failed,
// pam_authentication_failure, pam_check_pass, session_opened,
// session_closed, sudo, su.

// applyProgram runs the parser for the message's program and reports whether
// it recognised an authentication-related message. It reads the message
// and program from ev; the syslog parser calls applyProgramTo with the
// values it has just stored.
func applyProgram(ev *event.Event) bool {
	msg := fieldString(ev, "message")
	app := fieldString(ev, "log.syslog.appname")
	name := fieldString(ev, "process.name")
	return applyProgramTo(ev, nil, msg, app, name)
}

// applyProgramTo is applyProgram on the message, APP-NAME and process name
// of ev; sl (nil: plain allocations) provides the event's list values.
func applyProgramTo(ev *event.Event, sl *strSlab, msg, app, name string) bool {
	if msg == "" {
		return false
	}
	if strings.HasSuffix(app, "(pam_unix)") {
		return parsePAMBody(ev, sl, name, msg)
	}
	if strings.HasPrefix(msg, "pam_unix(") {
		return parsePAM(ev, sl, msg)
	}
	switch name {
	case "sshd":
		return parseSSHD(ev, sl, msg)
	case "sudo":
		return parseSudo(ev, sl, msg)
	case "su":
		return parseSu(ev, sl, msg)
	}
	return false
}

// setAuth stores the classification of a recognised message. action and
// outcome are strings (boxed by the caller, so that literals cost no
// allocation; an empty outcome is not stored); category and typ are
// templates that a map event receives copies of. An event built as a list
// (event.Event.UseList) is only encoded, never modified: it shares the
// templates' boxed values.
func setAuth(ev *event.Event, sl *strSlab, action, outcome any, category, typ tmpl) {
	if ev.Listed() {
		ev.Put("event.category", category.boxed)
		ev.Put("event.type", typ.boxed)
	} else {
		ev.Put("event.category", sl.clone(category.list))
		ev.Put("event.type", sl.clone(typ.list))
	}
	ev.Put("event.action", action)
	ev.Set("event.outcome", outcome)
}

// tmpl is a template list value and the same list boxed once.
type tmpl struct {
	list  []string
	boxed any
}

func newTmpl(s ...string) tmpl { return tmpl{s, s} }

var (
	catAuth        = newTmpl("authentication")
	catSession     = newTmpl("authentication", "session")
	catNetwork     = newTmpl("network")
	catAuthProcess = newTmpl("authentication", "process")
	typInfo        = newTmpl("info")
	typStart       = newTmpl("start")
	typEnd         = newTmpl("end")
	typInfoStart   = newTmpl("info", "start")
)

// strSlab hands out copies of the template lists above, carved from a
// shared backing array: every event still owns its slices (a caller that
// mutates one never touches the templates or another event, and an append
// reallocates since the capacity is the length), at a fraction of an
// allocation each. A nil *strSlab allocates every copy.
type strSlab struct{ buf []string }

// strSlabSize is the number of strings per backing array (4 KiB).
const strSlabSize = 256

func (s *strSlab) clone(t []string) []string {
	if s == nil {
		return append([]string(nil), t...)
	}
	if len(s.buf) < len(t) {
		s.buf = make([]string, max(strSlabSize, len(t)))
	}
	c := s.buf[:len(t):len(t)]
	copy(c, t)
	s.buf = s.buf[len(t):]
	return c
}

// setSource stores an address as source.ip when it is an IP and as
// source.domain otherwise.
func setSource(ev *event.Event, addr string) {
	if addr == "" {
		return
	}
	if a, err := netip.ParseAddr(addr); err == nil {
		if a.Is4() {
			// ParseAddr accepts only the canonical dotted quad (no
			// leading zeros), so addr is already a.String().
			ev.PutString("source.ip", addr)
			return
		}
		ev.PutString("source.ip", a.Unmap().String())
		return
	}
	ev.SetString("source.domain", addr)
}

func setPort(ev *event.Event, field, port string) {
	if port == "" || !isDigit(port[0]) {
		return
	}
	if p, err := strconv.ParseUint(port, 10, 16); err == nil {
		ev.PutInt(field, int64(p))
	}
}

// cutWord returns the first space-separated word of s and the rest.
func cutWord(s string) (string, string) {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// parseAddrPort parses "IP[ port N]" at the start of s and returns the rest.
func parseAddrPort(ev *event.Event, s string) string {
	addr, rest := cutWord(s)
	addr = strings.TrimSuffix(addr, ":")
	setSource(ev, addr)
	if after, ok := strings.CutPrefix(rest, "port "); ok {
		port, r := cutWord(after)
		setPort(ev, "source.port", strings.TrimSuffix(port, ":"))
		rest = r
	}
	return rest
}

// userPrefix strips "invalid user ", "authenticating user ", "user " from s
// and returns the user and the rest, or "" when s has none of them.
func userPrefix(s string) (user, rest string, invalid bool) {
	for _, p := range [...]string{"invalid user ", "authenticating user ", "user "} {
		if after, ok := strings.CutPrefix(s, p); ok {
			u, r := cutWord(after)
			return u, r, p == "invalid user "
		}
	}
	return "", s, false
}

func parseSSHD(ev *event.Event, sl *strSlab, msg string) bool {
	if after, ok := strings.CutPrefix(msg, "message repeated "); ok {
		// "message repeated 2 times: [ Failed password for root from ...]"
		if i := strings.Index(after, ": [ "); i >= 0 && strings.HasSuffix(after, "]") {
			if n, err := strconv.ParseInt(after[:strings.IndexByte(after, ' ')], 10, 64); err == nil {
				ev.Put("event.count", n)
			}
			msg = strings.TrimSpace(after[i+4 : len(after)-1])
		}
	}
	msg = strings.TrimPrefix(msg, "error: ")
	switch {
	case strings.HasPrefix(msg, "Accepted "), strings.HasPrefix(msg, "Failed "):
		// "Accepted|Failed METHOD for [invalid user ]USER from IP port N ssh2[: KEY]"
		verb, rest := cutWord(msg)
		method, rest := cutWord(rest)
		rest, ok := strings.CutPrefix(rest, "for ")
		if !ok {
			return false
		}
		i := strings.LastIndex(rest, " from ")
		if i < 0 {
			return false
		}
		user := rest[:i]
		invalid := false
		if u, ok := strings.CutPrefix(user, "invalid user "); ok {
			user, invalid = u, true
		}
		tail := parseAddrPort(ev, rest[i+6:])
		var outcome any = "failure"
		if verb == "Accepted" {
			outcome = "success"
		}
		setAuth(ev, sl, "ssh_login", outcome, catAuth, typInfo)
		ev.SetString("user.name", user)
		ev.Set("system.auth.ssh.method", sshMethod(method))
		if invalid {
			ev.Put("system.auth.ssh.invalid_user", true)
		}
		if _, key, ok := strings.Cut(tail, ": "); ok {
			ev.Set("system.auth.ssh.signature", key)
		}
		return true
	case strings.HasPrefix(msg, "Invalid user "):
		// "Invalid user USER from IP[ port N]"
		rest := msg[len("Invalid user "):]
		i := strings.LastIndex(rest, " from ")
		if i < 0 {
			return false
		}
		ev.SetString("user.name", rest[:i])
		parseAddrPort(ev, rest[i+6:])
		setAuth(ev, sl, "invalid_user", "failure", catAuth, typInfo)
		return true
	case strings.HasPrefix(msg, "input_userauth_request: invalid user "):
		ev.SetString("user.name", strings.TrimSuffix(msg[len("input_userauth_request: invalid user "):], " [preauth]"))
		return false
	case strings.HasPrefix(msg, "maximum authentication attempts exceeded for "):
		// "maximum authentication attempts exceeded for [invalid user ]USER from IP port N ssh2 [preauth]"
		rest := msg[len("maximum authentication attempts exceeded for "):]
		rest = strings.TrimPrefix(rest, "invalid user ")
		i := strings.LastIndex(rest, " from ")
		if i < 0 {
			return false
		}
		ev.SetString("user.name", rest[:i])
		parseAddrPort(ev, rest[i+6:])
		setAuth(ev, sl, "ssh_max_auth_attempts", "failure", catAuth, typInfo)
		return true
	case strings.HasPrefix(msg, "Disconnecting: Too many authentication failures"):
		// "Disconnecting: Too many authentication failures for USER [preauth]"
		if after, ok := strings.CutPrefix(msg, "Disconnecting: Too many authentication failures for "); ok {
			u, _ := cutWord(after)
			ev.SetString("user.name", u)
		}
		setAuth(ev, sl, "ssh_max_auth_attempts", "failure", catAuth, typInfo)
		return true
	case strings.HasPrefix(msg, "Disconnecting authenticating user "), strings.HasPrefix(msg, "Disconnecting invalid user "):
		// "Disconnecting authenticating user USER IP port N: Too many authentication failures [preauth]"
		user, rest, _ := userPrefix(msg[len("Disconnecting "):])
		ev.SetString("user.name", user)
		rest = parseAddrPort(ev, rest)
		if strings.Contains(rest, "Too many authentication failures") {
			setAuth(ev, sl, "ssh_max_auth_attempts", "failure", catAuth, typInfo)
		} else {
			setAuth(ev, sl, "ssh_disconnect", "", catSession, typEnd)
		}
		return true
	case strings.HasPrefix(msg, "Received disconnect from "), strings.HasPrefix(msg, "Disconnected from "),
		strings.HasPrefix(msg, "Connection closed by "):
		// "Received disconnect from IP[ port N]: 11: Bye Bye [preauth]"
		// "Disconnected from [invalid |authenticating ]user USER IP port N [preauth]"
		// "Connection closed by [invalid |authenticating ]user USER IP port N [preauth]"
		var rest string
		switch {
		case strings.HasPrefix(msg, "Received disconnect from "):
			rest = msg[len("Received disconnect from "):]
		case strings.HasPrefix(msg, "Disconnected from "):
			rest = msg[len("Disconnected from "):]
		default:
			rest = msg[len("Connection closed by "):]
		}
		user, rest, _ := userPrefix(rest)
		ev.SetString("user.name", user)
		rest = parseAddrPort(ev, rest)
		if _, reason, ok := strings.Cut(rest, ": "); ok {
			ev.Set("event.reason", strings.TrimSuffix(reason, " [preauth]"))
		}
		setAuth(ev, sl, "ssh_disconnect", "", catSession, typEnd)
		return true
	case strings.HasPrefix(msg, "Did not receive identification string from "):
		parseAddrPort(ev, msg[len("Did not receive identification string from "):])
		setAuth(ev, sl, "ssh_no_identification", "failure", catNetwork, typInfo)
		return true
	case strings.HasPrefix(msg, "reverse mapping checking getaddrinfo for "):
		// "reverse mapping checking getaddrinfo for HOST [IP] failed - POSSIBLE BREAK-IN ATTEMPT!"
		rest := msg[len("reverse mapping checking getaddrinfo for "):]
		host, rest := cutWord(rest)
		ev.Set("source.domain", host)
		if strings.HasPrefix(rest, "[") {
			if j := strings.IndexByte(rest, ']'); j > 0 {
				setSource(ev, rest[1:j])
			}
		}
		setAuth(ev, sl, "ssh_reverse_mapping_failed", "failure", catNetwork, typInfo)
		return true
	case strings.HasPrefix(msg, "PAM ") && strings.Contains(msg, " more authentication failure"):
		// "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=root"
		if _, kv, ok := strings.Cut(msg, "; "); ok {
			pamKV(ev, kv)
		}
		setAuth(ev, sl, "pam_authentication_failure", "failure", catAuth, typInfo)
		return true
	}
	return false
}

// sshMethod boxes an sshd authentication method, without allocating for
// the usual ones.
func sshMethod(m string) any {
	switch m {
	case "password":
		return "password"
	case "publickey":
		return "publickey"
	case "keyboard-interactive/pam":
		return "keyboard-interactive/pam"
	case "none":
		return "none"
	case "hostbased":
		return "hostbased"
	case "gssapi-with-mic":
		return "gssapi-with-mic"
	}
	return m
}

// parsePAM handles "pam_unix(SERVICE:TYPE): BODY".
func parsePAM(ev *event.Event, sl *strSlab, msg string) bool {
	rest := msg[len("pam_unix("):]
	i := strings.Index(rest, "): ")
	if i < 0 {
		return false
	}
	service, _, _ := strings.Cut(rest[:i], ":")
	return parsePAMBody(ev, sl, service, rest[i+3:])
}

// parsePAMBody handles the pam_unix messages:
//
//	authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=IP [ user=USER]
//	check pass; user unknown
//	session opened for user USER[(uid=N)] by [NAME](uid=N)
//	session closed for user USER
func parsePAMBody(ev *event.Event, sl *strSlab, service, body string) bool {
	ev.Set("service.name", service)
	body = strings.TrimSpace(body)
	switch {
	case strings.HasPrefix(body, "authentication failure;"):
		pamKV(ev, body[len("authentication failure;"):])
		setAuth(ev, sl, "pam_authentication_failure", "failure", catAuth, typInfo)
		return true
	case strings.HasPrefix(body, "check pass; user unknown"):
		setAuth(ev, sl, "pam_check_pass", "failure", catAuth, typInfo)
		return true
	case strings.HasPrefix(body, "session opened for user "):
		rest := body[len("session opened for user "):]
		user, rest := cutWord(rest)
		if j := strings.IndexByte(user, '('); j > 0 {
			user = user[:j]
		}
		ev.SetString("user.name", user)
		if by, ok := strings.CutPrefix(rest, "by "); ok {
			if j := strings.IndexByte(by, '('); j > 0 && by[:j] != "LOGIN" {
				ev.Put("related.user", []string{user, by[:j]})
			}
		}
		setAuth(ev, sl, "session_opened", "success", catSession, typStart)
		return true
	case strings.HasPrefix(body, "session closed for user "):
		user, _ := cutWord(body[len("session closed for user "):])
		ev.SetString("user.name", user)
		setAuth(ev, sl, "session_closed", "success", catSession, typEnd)
		return true
	}
	return false
}

// pamKV reads "logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=USER".
func pamKV(ev *event.Event, kv string) {
	for _, f := range strings.Fields(kv) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			continue
		}
		switch k {
		case "rhost":
			setSource(ev, v)
		case "user":
			ev.SetString("user.name", v)
		case "ruser":
			ev.Set("source.user.name", v)
		case "uid":
			ev.Set("user.id", v)
		case "euid":
			ev.Set("user.effective.id", v)
		case "logname":
			ev.Set("system.auth.pam.logname", v)
		case "tty":
			ev.Set("system.auth.pam.tty", v)
		}
	}
}

// parseSudo handles "USER : [REASON ; ]TTY=T ; PWD=P ; USER=U ; COMMAND=C".
func parseSudo(ev *event.Event, sl *strSlab, msg string) bool {
	msg = strings.TrimSpace(msg)
	user, rest, ok := strings.Cut(msg, " : ")
	if !ok || user == "" || strings.ContainsRune(user, ' ') {
		return false
	}
	reason := ""
	command := false
	for part := range strings.SplitSeq(rest, " ; ") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			if reason == "" {
				reason = strings.TrimSpace(part)
			}
			continue
		}
		switch k {
		case "TTY":
			ev.Set("system.auth.sudo.tty", v)
		case "PWD":
			ev.Set("process.working_directory", v)
		case "USER":
			ev.Set("user.effective.name", v)
		case "COMMAND":
			command = true
			ev.Set("process.command_line", v)
			exe, _ := cutWord(v)
			ev.Set("process.executable", exe)
		}
	}
	if !command && reason == "" {
		return false
	}
	ev.SetString("user.name", user)
	if reason != "" {
		ev.Set("event.reason", reason)
		setAuth(ev, sl, "sudo", "failure", catAuth, typInfo)
		return true
	}
	setAuth(ev, sl, "sudo", "success", catAuthProcess, typInfoStart)
	return true
}

// parseSu handles the su messages of util-linux, shadow and BSD:
//
//	(to root) alice on pts/0
//	FAILED SU (to root) alice on pts/0
//	Successful su for root by alice
//	FAILED su for root by alice
//	'su root' failed for alice on /dev/pts/8
//	+ pts/0 alice:root   /   - pts/0 alice:root
//	pam_authenticate: Authentication failure
func parseSu(ev *event.Event, sl *strSlab, msg string) bool {
	var outcome any = "success"
	var user, target string
	switch {
	case strings.HasPrefix(msg, "(to "), strings.HasPrefix(msg, "FAILED SU (to "):
		if strings.HasPrefix(msg, "FAILED") {
			outcome = "failure"
			msg = msg[len("FAILED SU "):]
		}
		j := strings.IndexByte(msg, ')')
		if j < 0 {
			return false
		}
		target = msg[len("(to "):j]
		user, _ = cutWord(strings.TrimSpace(msg[j+1:]))
	case strings.HasPrefix(msg, "Successful su for "), strings.HasPrefix(msg, "FAILED su for "):
		if msg[0] == 'F' {
			outcome = "failure"
		}
		_, rest, _ := strings.Cut(msg, " su for ")
		t, by, ok := strings.Cut(rest, " by ")
		if !ok {
			return false
		}
		target, user = t, strings.TrimSpace(by)
	case strings.HasPrefix(msg, "'su ") && strings.Contains(msg, "' failed for "):
		outcome = "failure"
		q := strings.Index(msg, "' failed for ")
		target = strings.TrimSpace(msg[len("'su "):q])
		user, _ = cutWord(msg[q+len("' failed for "):])
	case len(msg) > 2 && (msg[0] == '+' || msg[0] == '-') && msg[1] == ' ':
		if msg[0] == '-' {
			outcome = "failure"
		}
		fields := strings.Fields(msg[2:])
		if len(fields) < 2 {
			return false
		}
		var ok bool
		user, target, ok = strings.Cut(fields[1], ":")
		if !ok {
			return false
		}
	case strings.HasPrefix(msg, "pam_authenticate: "):
		outcome = "failure"
		ev.Set("event.reason", msg[len("pam_authenticate: "):])
	default:
		return false
	}
	ev.SetString("user.name", user)
	ev.Set("user.target.name", target)
	setAuth(ev, sl, "su", outcome, catAuth, typInfo)
	return true
}
