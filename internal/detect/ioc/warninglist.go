package ioc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/gaissmai/bart"
)

// ErrWarninglist reports a malformed MISP warninglist.
var ErrWarninglist = errors.New("ioc: invalid warninglist")

// Warninglist is one MISP warninglist (misp-warninglist-format).
type Warninglist struct {
	Name               string   `json:"name"`
	Version            int64    `json:"version"`
	Description        string   `json:"description"`
	Type               string   `json:"type"` // string, substring, hostname, cidr or regex
	Category           string   `json:"category,omitempty"`
	MatchingAttributes []string `json:"matching_attributes,omitempty"`
	List               []string `json:"list"`
}

// Warning names the warninglist that flagged a value.
type Warning struct {
	List        string // the list's name
	Description string // the list's description
}

// String returns "name (description)".
func (w Warning) String() string { return w.List + " (" + w.Description + ")" }

// ParseWarninglist decodes and validates one list.json document. Unknown
// fields are refused, as the upstream JSON schema does.
func ParseWarninglist(data []byte) (*Warninglist, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var wl Warninglist
	if err := dec.Decode(&wl); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWarninglist, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrWarninglist)
	}
	switch {
	case wl.Name == "":
		return nil, fmt.Errorf("%w: no name", ErrWarninglist)
	case wl.Description == "":
		return nil, fmt.Errorf("%w: %s: no description", ErrWarninglist, wl.Name)
	case len(wl.List) == 0:
		return nil, fmt.Errorf("%w: %s: empty list", ErrWarninglist, wl.Name)
	}
	switch wl.Type {
	case "":
		wl.Type = "string" // the format's default
	case "string", "substring", "hostname", "cidr", "regex":
	default:
		return nil, fmt.Errorf("%w: %s: unknown type %q", ErrWarninglist, wl.Name, wl.Type)
	}
	return &wl, nil
}

// Warninglists is a compiled collection of warninglists. It is immutable
// and safe for concurrent use.
//
// Matching, per list type (entries and values compared in lower case):
//   - cidr: an address inside an entry, or a CIDR indicator inside one;
//   - string: equality; an entry with a leading dot (".google.ad", as the
//     google list writes them) also matches the sub-domains of what follows
//     it; URL values are also compared by host, e-mail values by domain;
//   - hostname: the host (of a domain, URL or e-mail address) or any of its
//     parent domains equals an entry;
//   - substring: an entry occurs in the value (Aho-Corasick automaton);
//   - regex: the PCRE-style /pattern/flags entry, compiled with Go's RE2
//     syntax, matches; entries RE2 cannot express are skipped (Skipped).
//
// A list applies to an indicator type when its matching_attributes name a
// corresponding MISP attribute type (ip-src, ip-dst, domain, hostname, url,
// md5, email-src, filename, ...), or when it has none. For the composite
// filename|<hash> types only the hash applies: such lists hold digests.
type Warninglists struct {
	lists    []wlInfo
	cidr     *bart.Table[uint32] // prefix → index into sets
	sets     [][]uint16
	strs     map[string][]uint16
	suffixes map[string][]uint16 // string entries with a leading dot
	hosts    map[string][]uint16
	ac       *acMatcher
	regexes  []wlRegex
	skipped  []error
}

type wlInfo struct {
	w     Warning
	types uint16 // bit per Type the list applies to
}

type wlRegex struct {
	re   *regexp.Regexp
	list uint16
}

// LoadWarninglists reads every list.json below dir (the layout of the
// misp-warninglists repository, lists/<name>/list.json).
func LoadWarninglists(dir string) (*Warninglists, error) {
	var lists []*Warninglist
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "list.json" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		wl, err := ParseWarninglist(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		lists = append(lists, wl)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ioc: load warninglists: %w", err)
	}
	if len(lists) == 0 {
		return nil, fmt.Errorf("%w: no list.json below %s", ErrWarninglist, dir)
	}
	return NewWarninglists(lists)
}

// attrTypes maps MISP attribute types to indicator types.
var attrTypes = map[string][]Type{
	"ip-src": {TypeIPv4, TypeIPv6, TypeCIDR}, "ip-dst": {TypeIPv4, TypeIPv6, TypeCIDR},
	"ip-src|port": {TypeIPv4, TypeIPv6, TypeCIDR}, "ip-dst|port": {TypeIPv4, TypeIPv6, TypeCIDR},
	"domain|ip": {TypeIPv4, TypeIPv6, TypeCIDR, TypeDomain},
	"domain":    {TypeDomain}, "hostname": {TypeDomain},
	"url": {TypeURL}, "uri": {TypeURL}, "link": {TypeURL},
	"md5": {TypeMD5}, "filename|md5": {TypeMD5},
	"sha1": {TypeSHA1}, "filename|sha1": {TypeSHA1},
	"sha256": {TypeSHA256}, "filename|sha256": {TypeSHA256},
	"email": {TypeEmail}, "email-src": {TypeEmail}, "email-dst": {TypeEmail},
	"target-email": {TypeEmail}, "whois-registrant-email": {TypeEmail},
	"filename": {TypeFilename},
}

// NewWarninglists compiles lists. Entries that cannot be used (a CIDR that
// does not parse, a regex RE2 cannot express) are skipped and reported by
// Skipped; a list whose every entry is skipped is an error.
func NewWarninglists(lists []*Warninglist) (*Warninglists, error) {
	if len(lists) > 1<<16 {
		return nil, fmt.Errorf("%w: too many lists (%d)", ErrWarninglist, len(lists))
	}
	w := &Warninglists{
		cidr:     new(bart.Table[uint32]),
		strs:     map[string][]uint16{},
		suffixes: map[string][]uint16{},
		hosts:    map[string][]uint16{},
	}
	sorted := slices.Clone(lists)
	slices.SortStableFunc(sorted, func(a, b *Warninglist) int { return strings.Compare(a.Name, b.Name) })
	var acb acBuilder
	for li, l := range sorted {
		id := uint16(li)
		info := wlInfo{w: Warning{List: l.Name, Description: l.Description}}
		for _, a := range l.MatchingAttributes {
			for _, t := range attrTypes[a] {
				info.types |= 1 << t
			}
		}
		if len(l.MatchingAttributes) == 0 {
			info.types = ^uint16(0)
		}
		w.lists = append(w.lists, info)
		used := 0
		for _, e := range l.List {
			if err := w.addEntry(&acb, l, id, e); err != nil {
				w.skipped = append(w.skipped, fmt.Errorf("%s: entry %q: %w", l.Name, e, err))
				continue
			}
			used++
		}
		if used == 0 {
			return nil, fmt.Errorf("%w: %s: no usable entry: %w", ErrWarninglist, l.Name, errors.Join(w.skipped...))
		}
	}
	w.ac = acb.build()
	return w, nil
}

func addID(m map[string][]uint16, k string, id uint16) {
	if l := m[k]; len(l) == 0 || l[len(l)-1] != id {
		m[k] = append(l, id)
	}
}

func (w *Warninglists) addEntry(acb *acBuilder, l *Warninglist, id uint16, e string) error {
	e = strings.TrimSpace(e)
	if e == "" {
		return errors.New("empty")
	}
	switch l.Type {
	case "cidr":
		p, err := parseCIDR(e)
		if err != nil {
			return err
		}
		ids, _ := w.cidr.Get(p)
		var set []uint16
		if ids != 0 {
			set = w.sets[ids-1]
			if set[len(set)-1] == id {
				return nil
			}
		}
		w.sets = append(w.sets, append(slices.Clip(set), id))
		w.cidr.Insert(p, uint32(len(w.sets)))
	case "string":
		e = strings.ToLower(e)
		if strings.HasPrefix(e, ".") && len(e) > 1 {
			addID(w.suffixes, e[1:], id)
		}
		addID(w.strs, e, id)
	case "hostname":
		addID(w.hosts, strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(e), "."), "."), id)
	case "substring":
		acb.add(strings.ToLower(e), id)
	case "regex":
		re, err := compilePCRE(e)
		if err != nil {
			return err
		}
		w.regexes = append(w.regexes, wlRegex{re: re, list: id})
	}
	return nil
}

// compilePCRE compiles a "/pattern/flags" entry with RE2 syntax; i, m and
// s become inline flags, g is meaningless for a match test.
func compilePCRE(e string) (*regexp.Regexp, error) {
	pat, flags := e, ""
	if len(e) >= 2 && e[0] == '/' {
		end := strings.LastIndexByte(e, '/')
		if end == 0 {
			return nil, errors.New("unterminated /pattern/")
		}
		pat, flags = e[1:end], e[end+1:]
	}
	var inline string
	for _, f := range flags {
		switch f {
		case 'i', 'm', 's':
			inline += string(f)
		case 'g', 'u':
		default:
			return nil, fmt.Errorf("unsupported regex flag %q", f)
		}
	}
	if inline != "" {
		pat = "(?" + inline + ")" + pat
	}
	return regexp.Compile(pat)
}

// Len returns the number of lists.
func (w *Warninglists) Len() int { return len(w.lists) }

// Skipped returns the entries that were not usable, one error each.
func (w *Warninglists) Skipped() []error { return w.skipped }

func (w *Warninglists) pick(ids []uint16, t Type) (Warning, bool) {
	for _, id := range ids {
		if li := w.lists[id]; li.types&(1<<t) != 0 {
			return li.w, true
		}
	}
	return Warning{}, false
}

// Check reports whether value, of indicator type t, is on a list that
// applies to t, and names the first such list (lists are ordered by name;
// list types are tried in the order cidr, string, hostname, substring,
// regex).
func (w *Warninglists) Check(t Type, value string) (Warning, bool) {
	if w == nil || value == "" {
		return Warning{}, false
	}
	switch t {
	case TypeIPv4, TypeIPv6, TypeCIDR:
		if wn, ok := w.checkIP(t, value); ok {
			return wn, true
		}
	}
	lv := strings.ToLower(value)
	host := ""
	switch t {
	case TypeDomain:
		host = strings.TrimSuffix(lv, ".")
	case TypeURL:
		host = urlHost(lv)
	case TypeEmail:
		if at := strings.LastIndexByte(lv, '@'); at >= 0 {
			host = lv[at+1:]
		}
	}
	if wn, ok := w.pick(w.strs[lv], t); ok {
		return wn, true
	}
	if host != "" {
		if host != lv {
			if wn, ok := w.pick(w.strs[host], t); ok {
				return wn, true
			}
		}
		for h := host; ; {
			if wn, ok := w.pick(w.suffixes[h], t); ok && h != host {
				return wn, true
			}
			if wn, ok := w.pick(w.hosts[h], t); ok {
				return wn, true
			}
			dot := strings.IndexByte(h, '.')
			if dot < 0 {
				break
			}
			h = h[dot+1:]
		}
	}
	if w.ac != nil {
		if wn, ok := w.ac.match(w, lv, t); ok {
			return wn, true
		}
	}
	for _, r := range w.regexes {
		if w.lists[r.list].types&(1<<t) != 0 && r.re.MatchString(value) {
			return w.lists[r.list].w, true
		}
	}
	return Warning{}, false
}

func (w *Warninglists) checkIP(t Type, value string) (Warning, bool) {
	var p netip.Prefix
	if t == TypeCIDR || strings.Contains(value, "/") {
		var err error
		if p, err = parseCIDR(value); err != nil {
			return Warning{}, false
		}
	} else {
		a, err := netip.ParseAddr(value)
		if err != nil {
			return Warning{}, false
		}
		a = a.Unmap().WithZone("")
		p = netip.PrefixFrom(a, a.BitLen())
	}
	for bits := p.Bits(); bits >= 0; {
		lpm, ids, ok := w.cidr.LookupPrefixLPM(netip.PrefixFrom(p.Addr(), bits).Masked())
		if !ok {
			break
		}
		if wn, ok := w.pick(w.sets[ids-1], t); ok {
			return wn, true
		}
		bits = lpm.Bits() - 1
	}
	return Warning{}, false
}

// urlHost returns the host of an absolute URL ("" if none), without
// user information, port or trailing dot.
func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	rest := u[i+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	if strings.HasPrefix(rest, "[") {
		if rb := strings.IndexByte(rest, ']'); rb > 0 {
			return rest[1:rb]
		}
		return ""
	}
	if c := strings.LastIndexByte(rest, ':'); c >= 0 {
		rest = rest[:c]
	}
	return strings.TrimSuffix(rest, ".")
}

// acBuilder collects substring patterns for an Aho-Corasick automaton.
type acBuilder struct {
	pats []string
	ids  []uint16
}

func (b *acBuilder) add(p string, id uint16) {
	b.pats = append(b.pats, p)
	b.ids = append(b.ids, id)
}

// acMatcher is an Aho-Corasick automaton compiled to a dense transition
// table over byte classes (bytes absent from every pattern share class 0).
type acMatcher struct {
	class  [256]uint8
	nclass int
	next   []int32
	out    [][]uint16
}

func (b *acBuilder) build() *acMatcher {
	if len(b.pats) == 0 {
		return nil
	}
	m := &acMatcher{nclass: 1}
	for _, p := range b.pats {
		for i := 0; i < len(p); i++ {
			if m.class[p[i]] == 0 {
				if m.nclass == 256 {
					break
				}
				m.class[p[i]] = uint8(m.nclass)
				m.nclass++
			}
		}
	}
	// Trie.
	children := []map[uint8]int32{{}}
	m.out = [][]uint16{nil}
	for pi, p := range b.pats {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := m.class[p[i]]
			nx, ok := children[s][c]
			if !ok {
				nx = int32(len(children))
				children = append(children, map[uint8]int32{})
				m.out = append(m.out, nil)
				children[s][c] = nx
			}
			s = nx
		}
		if o := m.out[s]; len(o) == 0 || o[len(o)-1] != b.ids[pi] {
			m.out[s] = append(o, b.ids[pi])
		}
	}
	// Breadth-first: failure links and the dense table.
	nc := m.nclass
	m.next = make([]int32, len(children)*nc)
	fail := make([]int32, len(children))
	queue := []int32{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for c := 0; c < nc; c++ {
			nx, ok := children[s][uint8(c)]
			if !ok || c == 0 {
				if s == 0 {
					m.next[c] = 0
				} else {
					m.next[int(s)*nc+c] = m.next[int(fail[s])*nc+c]
				}
				continue
			}
			if s != 0 {
				fail[nx] = m.next[int(fail[s])*nc+c]
			}
			m.out[nx] = append(m.out[nx], m.out[fail[nx]]...)
			m.next[int(s)*nc+c] = nx
			queue = append(queue, nx)
		}
	}
	return m
}

func (m *acMatcher) match(w *Warninglists, v string, t Type) (Warning, bool) {
	s := int32(0)
	for i := 0; i < len(v); i++ {
		s = m.next[int(s)*m.nclass+int(m.class[v[i]])]
		if len(m.out[s]) > 0 {
			if wn, ok := w.pick(m.out[s], t); ok {
				return wn, true
			}
		}
	}
	return Warning{}, false
}
