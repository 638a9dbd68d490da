package bus

import (
	"fmt"
	"strings"
)

// Subject roots. Every durable message lives under vedetta.events or
// vedetta.alerts; ephemeral notifications live under vedetta.live.
const (
	EventsRoot = "vedetta.events"
	AlertsRoot = "vedetta.alerts"
	LiveRoot   = "vedetta.live"

	// AllEvents matches every event subject.
	AllEvents = EventsRoot + ".>"
	// AllAlerts matches every alert subject.
	AllAlerts = AlertsRoot + ".>"
	// AllLive matches every ephemeral notification subject.
	AllLive = LiveRoot + ".>"
)

// EventSubject is the subject of events of one tenant and source:
// vedetta.events.<tenantID>.<sourceID>, each id escaped with EscapeToken.
func EventSubject(tenantID, sourceID string) string {
	return EventsRoot + "." + EscapeToken(tenantID) + "." + EscapeToken(sourceID)
}

// TenantEvents is the wildcard subject matching every event of one tenant.
func TenantEvents(tenantID string) string {
	return EventsRoot + "." + EscapeToken(tenantID) + ".>"
}

// AlertSubject is the subject of alerts of one tenant:
// vedetta.alerts.<tenantID>.
func AlertSubject(tenantID string) string {
	return AlertsRoot + "." + EscapeToken(tenantID)
}

// LiveSubject is the subject of ephemeral notifications of one tenant on one
// topic (e.g. "alerts", "events"): vedetta.live.<tenantID>.<topic>.
func LiveSubject(tenantID, topic string) string {
	return LiveRoot + "." + EscapeToken(tenantID) + "." + EscapeToken(topic)
}

// ParseEventSubject returns the tenant and source ids of an event subject.
func ParseEventSubject(subject string) (tenantID, sourceID string, err error) {
	toks, err := parseUnder(subject, EventsRoot, 2)
	if err != nil {
		return "", "", err
	}
	return toks[0], toks[1], nil
}

// ParseAlertSubject returns the tenant id of an alert subject.
func ParseAlertSubject(subject string) (tenantID string, err error) {
	toks, err := parseUnder(subject, AlertsRoot, 1)
	if err != nil {
		return "", err
	}
	return toks[0], nil
}

func parseUnder(subject, root string, n int) ([]string, error) {
	rest, ok := strings.CutPrefix(subject, root+".")
	if !ok {
		return nil, fmt.Errorf("%w: %q is not under %s", ErrInvalidSubject, subject, root)
	}
	toks := strings.Split(rest, ".")
	if len(toks) != n {
		return nil, fmt.Errorf("%w: %q: want %d tokens after %s, got %d", ErrInvalidSubject, subject, n, root, len(toks))
	}
	for i, t := range toks {
		v, err := UnescapeToken(t)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrInvalidSubject, subject, err)
		}
		toks[i] = v
	}
	return toks, nil
}

// EscapeToken turns any string into one valid subject token, injectively, so
// that two different ids never share a subject (tenant isolation) and an id
// cannot inject a dot or a wildcard. ASCII letters, digits, '-' and '_' are
// kept (UUIDs and slugs pass unchanged); every other byte becomes %XX; the
// empty string becomes "%".
func EscapeToken(s string) string {
	if s == "" {
		return "%"
	}
	clean := true
	for i := 0; i < len(s); i++ {
		if !plainByte(s[i]) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plainByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

// UnescapeToken reverses EscapeToken. It rejects tokens EscapeToken cannot
// produce, so each id has exactly one token.
func UnescapeToken(tok string) (string, error) {
	if tok == "%" {
		return "", nil
	}
	if tok == "" {
		return "", fmt.Errorf("bus: empty token")
	}
	if !strings.Contains(tok, "%") {
		for i := 0; i < len(tok); i++ {
			if !plainByte(tok[i]) {
				return "", fmt.Errorf("bus: unescaped byte %q in token %q", tok[i], tok)
			}
		}
		return tok, nil
	}
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case plainByte(c):
			b.WriteByte(c)
		case c == '%':
			if i+2 >= len(tok) {
				return "", fmt.Errorf("bus: truncated escape in token %q", tok)
			}
			hi, ok1 := upperHex(tok[i+1])
			lo, ok2 := upperHex(tok[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("bus: bad escape in token %q", tok)
			}
			v := hi<<4 | lo
			if plainByte(v) {
				return "", fmt.Errorf("bus: needless escape %%%c%c in token %q", tok[i+1], tok[i+2], tok)
			}
			b.WriteByte(v)
			i += 2
		default:
			return "", fmt.Errorf("bus: unescaped byte %q in token %q", c, tok)
		}
	}
	return b.String(), nil
}

func plainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func upperHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
