package ingest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// SourceConfig is the JSON object in store.Source.Config understood by the
// receivers. Unknown keys are ignored (other components may add theirs).
type SourceConfig struct {
	// FieldMap and Category configure the "json" format (normalize.Options).
	FieldMap map[string]string `json:"field_map,omitempty"`
	Category string            `json:"category,omitempty"`
	// Timezone is the IANA zone of timestamps without offset (RFC 3164,
	// IIS); default UTC.
	Timezone string `json:"timezone,omitempty"`

	// MQTT, external broker: URL ("tcp://host:1883", "ssl://host:8883"),
	// credentials, client id (default vedetta-<source id>) and QoS of the
	// subscription (default 1).
	Broker   string `json:"broker,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	QoS      *byte  `json:"qos,omitempty"`
	// MQTT, embedded broker: Embedded marks a source fed by the embedded
	// broker; a client logs in with Username (default: the source id) and
	// the source's push token as password (checked against TokenHash), and
	// may publish only on topics matching Source.Match.
	Embedded bool `json:"embedded,omitempty"`
}

// ParseSourceConfig decodes a Source.Config ("" is an empty config).
func ParseSourceConfig(s string) (SourceConfig, error) {
	var c SourceConfig
	if strings.TrimSpace(s) == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("ingest: source config: %w", err)
	}
	return c, nil
}

// entry is one source with what the receivers derived from it.
type entry struct {
	src    store.Source
	cfg    SourceConfig
	prefix netip.Prefix // syslog: sender address or network
	any    bool         // syslog: Match "*"
	tlsID  string       // syslog_tls: normalised fingerprint or CN
	pool   *sync.Pool   // of normalize.Parser
	err    error        // the parser cannot be built
}

// parser takes a parser from the source's pool; put it back with release.
func (e *entry) parser() (normalize.Parser, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.pool.Get().(normalize.Parser), nil
}

func (e *entry) release(p normalize.Parser) { e.pool.Put(p) }

// defaultFormat is the parser of a source without Format.
func defaultFormat(kind string) string {
	switch kind {
	case store.SourceSyslogUDP, store.SourceSyslogTCP, store.SourceSyslogTLS:
		return "syslog"
	}
	return ""
}

func newEntry(s store.Source) *entry {
	e := &entry{src: s}
	cfg, err := ParseSourceConfig(s.Config)
	e.cfg = cfg
	format := s.Format
	if format == "" {
		format = defaultFormat(s.Kind)
	}
	// Parsed events are only encoded for the bus here: lists are cheaper.
	opts := normalize.Options{DropRaw: !s.KeepRaw, FieldMap: cfg.FieldMap, Category: cfg.Category, ListFields: true}
	if err == nil && cfg.Timezone != "" {
		opts.Location, err = time.LoadLocation(cfg.Timezone)
		if err != nil {
			err = fmt.Errorf("ingest: source %s: timezone: %w", s.ID, err)
		}
	}
	if err == nil {
		// Build one now so that a bad format is reported once, not per record.
		var p normalize.Parser
		if p, err = normalize.New(format, opts); err == nil {
			e.pool = &sync.Pool{New: func() any {
				p, _ := normalize.New(format, opts)
				return p
			}}
			e.pool.Put(p)
		}
	}
	e.err = err
	switch s.Kind {
	case store.SourceSyslogUDP, store.SourceSyslogTCP:
		e.prefix, e.any = parseAddrMatch(s.Match)
	case store.SourceSyslogTLS:
		if p, a := parseAddrMatch(s.Match); p.IsValid() || a {
			e.prefix, e.any = p, a
		} else {
			e.tlsID = normFingerprint(s.Match)
		}
	}
	return e
}

// parseAddrMatch reads "*", an IP address or a CIDR.
func parseAddrMatch(m string) (netip.Prefix, bool) {
	m = strings.TrimSpace(m)
	if m == "*" {
		return netip.Prefix{}, true
	}
	if p, err := netip.ParsePrefix(m); err == nil {
		return p.Masked(), false
	}
	if a, err := netip.ParseAddr(m); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), false
	}
	return netip.Prefix{}, false
}

// normFingerprint lowercases a hex fingerprint and drops ':' separators;
// anything else (a common name) is kept as is.
func normFingerprint(s string) string {
	s = strings.TrimSpace(s)
	h := strings.ToLower(strings.ReplaceAll(s, ":", ""))
	if len(h) == 64 {
		if _, err := hex.DecodeString(h); err == nil {
			return "sha256:" + h
		}
	}
	return "cn:" + s
}

// CertFingerprint is the SHA-256 fingerprint of a certificate as lowercase
// hex, the form Source.Match takes for TLS clients (colons are accepted).
func CertFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// table is an immutable snapshot of the sources.
type table struct {
	byID     map[string]*entry
	byKind   map[string][]*entry // syslog kinds sorted most specific first
	embedded map[string]*entry   // embedded MQTT login → source
}

// buildTable indexes srcs, reusing the entries (and parser pools) of old
// for sources that did not change.
func buildTable(srcs []store.Source, old *table, log *slog.Logger) *table {
	t := &table{byID: make(map[string]*entry), byKind: make(map[string][]*entry), embedded: make(map[string]*entry)}
	for _, s := range srcs {
		var e *entry
		if o, ok := old.byID[s.ID]; ok && o.src == s {
			e = o
		} else {
			e = newEntry(s)
			if e.err != nil {
				log.Warn("ingest: source cannot be parsed", "source", s.ID, "tenant", s.TenantID, "err", e.err)
			}
		}
		t.byID[s.ID] = e
		t.byKind[s.Kind] = append(t.byKind[s.Kind], e)
		if s.Kind == store.SourceMQTT && e.cfg.Embedded {
			user := e.cfg.Username
			if user == "" {
				user = s.ID
			}
			t.embedded[user] = e
		}
	}
	for _, list := range t.byKind {
		slices.SortStableFunc(list, func(a, b *entry) int {
			// Most specific prefix first, "*" last.
			return specificity(b) - specificity(a)
		})
	}
	return t
}

func specificity(e *entry) int {
	switch {
	case e.any:
		return -2
	case e.prefix.IsValid():
		return e.prefix.Bits()
	}
	return -1
}

// registry keeps the current table and refreshes it.
type registry struct {
	src      Sources
	log      *slog.Logger
	every    time.Duration
	cur      atomic.Pointer[table]
	mu       sync.Mutex // serialises reloads
	lastMiss atomic.Int64
}

func newRegistry(src Sources, every time.Duration, log *slog.Logger) *registry {
	r := &registry{src: src, log: log, every: every}
	r.cur.Store(&table{})
	return r
}

func (r *registry) reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	srcs, err := r.src.ListAllSources(ctx)
	if err != nil {
		return fmt.Errorf("ingest: list sources: %w", err)
	}
	t := buildTable(srcs, r.cur.Load(), r.log)
	r.cur.Store(t)
	return nil
}

// missed triggers a background reload at most once a second, so that a
// source created a moment ago is found soon without a store query per
// unknown datagram.
func (r *registry) missed() {
	now := time.Now().UnixNano()
	last := r.lastMiss.Load()
	if now-last < int64(time.Second) || !r.lastMiss.CompareAndSwap(last, now) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.reload(ctx); err != nil {
			r.log.Warn("ingest: reloading sources failed", "err", err)
		}
	}()
}

// byAddr finds the source of kind for a sender address.
func (r *registry) byAddr(kind string, addr netip.Addr) *entry {
	addr = addr.Unmap()
	for _, e := range r.cur.Load().byKind[kind] {
		if e.any || (e.prefix.IsValid() && e.prefix.Contains(addr)) {
			return e
		}
	}
	r.missed()
	return nil
}

// byCert finds the TLS source of a client certificate (fingerprint first,
// then common name), falling back to the sender address.
func (r *registry) byCert(cert *x509.Certificate, addr netip.Addr) *entry {
	list := r.cur.Load().byKind[store.SourceSyslogTLS]
	if cert != nil {
		fp, cn := "sha256:"+CertFingerprint(cert), "cn:"+cert.Subject.CommonName
		for _, e := range list {
			if e.tlsID == fp {
				return e
			}
		}
		for _, e := range list {
			if cert.Subject.CommonName != "" && e.tlsID == cn {
				return e
			}
		}
	}
	addr = addr.Unmap()
	for _, e := range list {
		if e.tlsID == "" && (e.any || (e.prefix.IsValid() && e.prefix.Contains(addr))) {
			return e
		}
	}
	r.missed()
	return nil
}

// byKind lists the sources of one kind.
func (r *registry) list(kind string) []*entry { return r.cur.Load().byKind[kind] }

// byID finds a source.
func (r *registry) get(id string) *entry { return r.cur.Load().byID[id] }

// embeddedLogin checks an embedded-broker login.
func (r *registry) embeddedLogin(user, password string) *entry {
	e := r.cur.Load().embedded[user]
	if e == nil {
		r.missed()
		return nil
	}
	if e.src.TokenHash == "" || !e.src.Enabled {
		return nil
	}
	got := auth.HashToken(password)
	if subtle.ConstantTimeCompare([]byte(got), []byte(e.src.TokenHash)) != 1 {
		return nil
	}
	return e
}
