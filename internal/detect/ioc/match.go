package ioc

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// Hit is one indicator matched by one event field. Indicator.Tags is
// shared with the Set and must not be modified.
type Hit struct {
	Indicator Indicator
	Field     string // the ECS field, e.g. "destination.ip"
	Value     string // the value looked up: the field's value, or the host of a URL, or the base name of a path
	// Suppressed is set when the value or the indicator is on a
	// warninglist; the hit is still reported, Warning says which list.
	Suppressed bool
	Warning    Warning
}

type fieldKind uint8

const (
	kindIP       fieldKind = iota + 1
	kindDomain             // domain name
	kindURL                // URL, and its host as domain or IP
	kindEmail              // address, and its domain
	kindHash               // hex digest of any supported length
	kindFilename           // file name
	kindPath               // file path: its base name
)

// eventFields lists the ECS fields MatchEvent examines, in order.
var eventFields = [...]struct {
	name string
	kind fieldKind
}{
	{"source.ip", kindIP},
	{"destination.ip", kindIP},
	{"client.ip", kindIP},
	{"server.ip", kindIP},
	{"host.ip", kindIP},
	{"related.ip", kindIP},
	{"source.nat.ip", kindIP},
	{"destination.nat.ip", kindIP},
	{"dns.resolved_ip", kindIP},
	{"dns.question.name", kindDomain},
	{"destination.domain", kindDomain},
	{"source.domain", kindDomain},
	{"server.domain", kindDomain},
	{"client.domain", kindDomain},
	{"url.domain", kindDomain},
	{"tls.client.server_name", kindDomain},
	{"tls.server.sni", kindDomain},
	{"related.hosts", kindDomain},
	{"url.full", kindURL},
	{"url.original", kindURL},
	{"http.request.referrer", kindURL},
	{"email.from.address", kindEmail},
	{"email.to.address", kindEmail},
	{"email.cc.address", kindEmail},
	{"email.bcc.address", kindEmail},
	{"email.sender.address", kindEmail},
	{"email.reply_to.address", kindEmail},
	{"user.email", kindEmail},
	{"file.hash.md5", kindHash},
	{"file.hash.sha1", kindHash},
	{"file.hash.sha256", kindHash},
	{"process.hash.md5", kindHash},
	{"process.hash.sha1", kindHash},
	{"process.hash.sha256", kindHash},
	{"process.parent.hash.md5", kindHash},
	{"process.parent.hash.sha1", kindHash},
	{"process.parent.hash.sha256", kindHash},
	{"dll.hash.md5", kindHash},
	{"dll.hash.sha1", kindHash},
	{"dll.hash.sha256", kindHash},
	{"related.hash", kindHash},
	{"file.name", kindFilename},
	{"process.name", kindFilename},
	{"file.path", kindPath},
	{"process.executable", kindPath},
	{"process.parent.executable", kindPath},
	{"dll.path", kindPath},
}

var fieldIndex = func() map[string]int {
	m := make(map[string]int, len(eventFields))
	for i, f := range eventFields {
		m[f.name] = i
	}
	return m
}()

// MatchedFields returns the ECS fields MatchEvent examines.
func MatchedFields() []string {
	out := make([]string, len(eventFields))
	for i, f := range eventFields {
		out[i] = f.name
	}
	return out
}

// MatchEvent calls fn for every indicator matched by a field of ev (see
// MatchedFields): IP fields against addresses and CIDR blocks; domain
// fields against domains and their parents; URL fields against URLs and
// their host against domains or IPs; e-mail fields against addresses and
// their domain against domains; hash fields against digests; file names and
// the base names of paths against file names. Values may be strings or
// lists of strings.
//
// Indicators whose validity window does not contain the event time
// (@timestamp, or the receive time when it is zero) do not match; with
// neither time set, validity is not checked. MatchEvent allocates only for
// hits.
func (s *Set) MatchEvent(ev *event.Event, fn func(Hit)) {
	if s == nil || len(s.recs) == 0 || len(ev.Fields) == 0 {
		return
	}
	t := ev.Observed
	if t.IsZero() {
		t = ev.Received
	}
	// Collect the candidate fields with one pass over the event's map
	// (events hold fewer fields than there are candidates), then visit them
	// in eventFields order so that hits come in a stable order.
	type field struct {
		i int
		v any
	}
	var buf [len(eventFields)]field
	found := buf[:0]
	for k, v := range ev.Fields {
		if i, ok := fieldIndex[k]; ok {
			found = append(found, field{i, v})
		}
	}
	for a := 1; a < len(found); a++ { // insertion sort: a handful of fields
		for b := a; b > 0 && found[b].i < found[b-1].i; b-- {
			found[b], found[b-1] = found[b-1], found[b]
		}
	}
	var seen domainMisses
	for _, fv := range found {
		f := &eventFields[fv.i]
		switch x := fv.v.(type) {
		case string:
			s.matchValue(f.name, f.kind, x, t, fn, &seen)
		case []string:
			for _, e := range x {
				s.matchValue(f.name, f.kind, e, t, fn, &seen)
			}
		}
	}
}

// domainMisses remembers a few names whose domain walk found nothing in
// this event: the same name often appears in several fields (DNS query,
// url.domain, the URL's host) and nearly every walk misses.
type domainMisses struct {
	names [4]string
	n     int
}

// lookupDomain walks name unless it already missed in this event.
func (s *Set) lookupDomain(name string, c *matchCtx, seen *domainMisses) {
	for _, m := range seen.names[:min(seen.n, len(seen.names))] {
		if m == name {
			return
		}
	}
	hit := false
	s.LookupDomain(name, func(m Match) {
		hit = true
		c.on(m)
	})
	if !hit {
		seen.names[seen.n%len(seen.names)] = name
		seen.n++
	}
}

func (s *Set) matchValue(field string, k fieldKind, v string, t time.Time, fn func(Hit), seen *domainMisses) {
	if v == "" {
		return
	}
	c := matchCtx{s: s, field: field, t: t, fn: fn}
	switch k {
	case kindIP:
		if a, err := netip.ParseAddr(v); err == nil {
			c.probe = v
			s.LookupIP(a, c.on)
		}
	case kindDomain:
		c.probe = v
		s.lookupDomain(v, &c, seen)
	case kindURL:
		c.probe = v
		s.LookupURL(v, c.on)
		if h := urlHost(v); h != "" {
			c.probe = h
			if looksLikeIP(h) {
				if a, err := netip.ParseAddr(h); err == nil {
					s.LookupIP(a, c.on)
				}
			} else {
				s.lookupDomain(h, &c, seen)
			}
		}
	case kindEmail:
		c.probe = v
		s.LookupEmail(v, c.on)
		if at := strings.LastIndexByte(v, '@'); at >= 0 && at+1 < len(v) {
			c.probe = v[at+1:]
			s.lookupDomain(c.probe, &c, seen)
		}
	case kindHash:
		c.probe = v
		s.LookupHash(v, c.on)
	case kindFilename:
		c.probe = v
		s.LookupFilename(v, c.on)
	case kindPath:
		if b := baseName(v); b != "" {
			c.probe = b
			s.LookupFilename(b, c.on)
		}
	}
}

// matchCtx carries one field's lookups to the hit callback without a
// heap-allocated closure.
type matchCtx struct {
	s     *Set
	field string
	probe string
	t     time.Time
	fn    func(Hit)
}

func (c *matchCtx) on(m Match) {
	if !c.t.IsZero() && !m.ValidAt(c.t) {
		return
	}
	c.fn(c.s.hit(m, c.field, c.probe))
}

// looksLikeIP reports whether a URL host is an IP literal rather than a
// name (parsing a name as an address would allocate its error).
func looksLikeIP(h string) bool {
	if strings.IndexByte(h, ':') >= 0 {
		return true
	}
	for i := 0; i < len(h); i++ {
		if (h[i] < '0' || h[i] > '9') && h[i] != '.' {
			return false
		}
	}
	return true
}

// baseName returns the last element of a Unix or Windows path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func (s *Set) hit(m Match, field, probe string) Hit {
	h := Hit{Indicator: m.Indicator(), Field: field, Value: probe}
	if s.wl == nil {
		return h
	}
	t := h.Indicator.Type
	if t == TypeCIDR {
		t = TypeIPv4 // the probe is an address
		if strings.Contains(probe, ":") {
			t = TypeIPv6
		}
	}
	if w, ok := s.wl.Check(t, probe); ok {
		h.Suppressed, h.Warning = true, w
	} else if w, ok := s.warnedRec[m.r]; ok {
		h.Suppressed, h.Warning = true, w
	}
	return h
}

// Matcher holds the current Set. Lookups load it with one atomic read; a
// reload swaps in a Set built off to the side, so lookups never wait.
// The zero Matcher matches nothing until a Set is stored.
type Matcher struct {
	cur atomic.Pointer[Set]
}

// NewMatcher returns a Matcher serving s (which may be nil).
func NewMatcher(s *Set) *Matcher {
	m := &Matcher{}
	m.cur.Store(s)
	return m
}

// Set returns the current set (nil if none).
func (m *Matcher) Set() *Set { return m.cur.Load() }

// Swap makes s the current set and returns the previous one. Lookups in
// progress finish on the set they started with.
func (m *Matcher) Swap(s *Set) *Set { return m.cur.Swap(s) }

// Reload builds a Set from inds and swaps it in; on error the current set
// stays in place.
func (m *Matcher) Reload(inds []Indicator, opts ...BuildOption) (*Set, error) {
	s, err := Build(inds, opts...)
	if err != nil {
		return nil, err
	}
	m.cur.Store(s)
	return s, nil
}

// MatchEvent matches ev against the current set; see Set.MatchEvent.
func (m *Matcher) MatchEvent(ev *event.Event, fn func(Hit)) {
	m.cur.Load().MatchEvent(ev, fn)
}
