package ioc

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/gaissmai/bart"
	"golang.org/x/net/idna"
)

// rec is the compact, pointer-free metadata of one indicator.
type rec struct {
	from, until uint32   // Unix seconds; from 0 and until MaxUint32 are open
	uuid        [16]byte // with flagUUID: the UUID at the end of the ID
	id          uint32   // arena offset of the ID, or of its prefix with flagUUID
	val         uint32   // arena offset (strings), slot index (fixed keys), cidrs index
	src         uint32   // index into Set.sources
	tags        uint32   // index into Set.tagSets
	next        uint32   // next record with the same value, plus one; 0 ends (see chainMore)
	typ         Type
	conf        uint8
	tlp         TLP
	flags       uint8
}

const (
	flagUUID   = 1 << iota // id is prefix + uuid
	flagWarned             // the indicator is on a warninglist
)

// cidrKey is a prefix without pointers (netip.Prefix holds one).
type cidrKey struct {
	addr [16]byte
	bits uint8
	is4  bool
}

func (k cidrKey) prefix() netip.Prefix {
	if k.is4 {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte(k.addr[12:])), int(k.bits))
	}
	return netip.PrefixFrom(netip.AddrFrom16(k.addr), int(k.bits))
}

// String tables, by type.
const (
	strDomain = iota
	strURL
	strEmail
	strFilename
	numStr
)

func strIndex(t Type) int {
	switch t {
	case TypeDomain:
		return strDomain
	case TypeURL:
		return strURL
	case TypeEmail:
		return strEmail
	case TypeFilename:
		return strFilename
	}
	return -1
}

// Set is an immutable compiled set of indicators. It is safe for
// concurrent use by any number of goroutines.
type Set struct {
	recs   []rec
	v4     table[key4]
	v6     table[key16]
	md5    table[key16]
	sha1   table[key20]
	sha256 table[key32]
	strs   [numStr]strTable // all but domains
	dom    domTable
	cidr   *bart.Table[uint32] // prefix → head record + 1
	cidrs  []cidrKey
	// cover4 has a bit per IPv4 /20 and cover6 one per IPv6 /24 that some
	// CIDR indicator overlaps, so that most lookups skip the bart table.
	// cover4 (128 KiB) stays in L2; both are allocated only when needed.
	cover4, cover6 []uint64
	arena          string // uvarint length + bytes, per string
	seed           maphash.Seed

	sources []string
	tagSets [][]string

	wl        *Warninglists
	warned    []Warned
	warnedRec map[uint32]Warning
}

// Warned is an indicator given to Build that is on a warninglist.
type Warned struct {
	Index     int // position in the slice given to Build
	Indicator Indicator
	Warning   Warning
}

// BuildOption configures Build.
type BuildOption func(*buildConfig)

type buildConfig struct {
	wl *Warninglists
}

// WithWarninglists makes Build report indicators that are on w, and hits
// on values that are on w flagged as suppressed.
func WithWarninglists(w *Warninglists) BuildOption {
	return func(c *buildConfig) { c.wl = w }
}

// Build validates and normalises every indicator (see ParseIndicator) and
// compiles them into a Set. Any invalid indicator fails the whole build,
// naming its position and ID, so that a reload never half-applies a feed.
// Several indicators may share a value; a lookup reports each of them.
func Build(inds []Indicator, opts ...BuildOption) (*Set, error) {
	var cfg buildConfig
	for _, o := range opts {
		o(&cfg)
	}
	if len(inds) >= chainMore-1 {
		return nil, fmt.Errorf("%w: too many indicators (%d)", ErrIndicator, len(inds))
	}
	var counts [numTypes]int
	for i := range inds {
		t := inds[i].Type
		if t == 0 || t >= numTypes {
			return nil, fmt.Errorf("%w: #%d (id %q): type %d: %w", ErrIndicator, i, inds[i].ID, t, ErrType)
		}
		counts[t]++
	}
	s := &Set{
		recs:   make([]rec, len(inds)),
		v4:     newTable[key4](counts[TypeIPv4]),
		v6:     newTable[key16](counts[TypeIPv6]),
		md5:    newTable[key16](counts[TypeMD5]),
		sha1:   newTable[key20](counts[TypeSHA1]),
		sha256: newTable[key32](counts[TypeSHA256]),
		cidr:   new(bart.Table[uint32]),
		seed:   maphash.MakeSeed(),
		wl:     cfg.wl,
	}
	for t := TypeIPv4; t < numTypes; t++ {
		if t == TypeDomain {
			s.dom = newDomTable(counts[t])
		} else if si := strIndex(t); si >= 0 {
			s.strs[si] = newStrTable(counts[t])
		}
	}
	b := builder{s: s, sources: map[string]uint32{}, tags: map[string]uint32{}, prefixes: map[string]uint32{}}
	b.arena = make([]byte, 1, arenaEstimate(inds)) // offset 0: the empty string
	for i := range inds {
		if err := b.add(uint32(i), &inds[i]); err != nil {
			return nil, fmt.Errorf("%w: #%d (id %q): %w", ErrIndicator, i, inds[i].ID, err)
		}
	}
	if b.tooBig {
		return nil, fmt.Errorf("%w: string arena exceeds 4 GiB", ErrIndicator)
	}
	if cap(b.arena)-len(b.arena) > len(b.arena)/8 {
		b.arena = append([]byte(nil), b.arena...)
	}
	// The arena is never written again: share its bytes instead of
	// copying them.
	s.arena = unsafe.String(unsafe.SliceData(b.arena), len(b.arena))
	if s.wl != nil {
		s.warnedRec = map[uint32]Warning{}
		for i := range inds {
			r := &s.recs[i]
			if w, ok := s.wl.Check(r.typ, s.value(uint32(i))); ok {
				r.flags |= flagWarned
				s.warnedRec[uint32(i)] = w
				in := inds[i]
				in.Value = s.value(uint32(i))
				s.warned = append(s.warned, Warned{Index: i, Indicator: in, Warning: w})
			}
		}
	}
	return s, nil
}

// arenaEstimate returns about the arena size: string values with their
// chain heads and lengths, and IDs that do not end in a UUID.
func arenaEstimate(inds []Indicator) int {
	n := 1
	for i := range inds {
		if id := inds[i].ID; len(id) < 36 || id[len(id)-28] != '-' {
			n += len(id) + 2
		}
		if strIndex(inds[i].Type) >= 0 {
			n += 4 + len(inds[i].Value) + 2
		}
	}
	return n
}

type builder struct {
	s        *Set
	arena    []byte
	tooBig   bool
	scratch  []byte
	tagKey   []byte
	sources  map[string]uint32
	tags     map[string]uint32
	prefixes map[string]uint32
}

func (b *builder) str(v string) uint32 { return addStr(b, v) }

// addStr appends v to the arena and returns its offset.
func addStr[S ~string | ~[]byte](b *builder, v S) uint32 {
	off := uint32(len(b.arena))
	if len(b.arena)+len(v)+binary.MaxVarintLen64 > math.MaxUint32 {
		b.tooBig = true
		return 0
	}
	b.arena = binary.AppendUvarint(b.arena, uint64(len(v)))
	b.arena = append(b.arena, v...)
	return off
}

func (b *builder) add(i uint32, in *Indicator) error {
	s := b.s
	r := &s.recs[i]
	r.typ = in.Type
	if in.Confidence > 100 {
		return fmt.Errorf("confidence %d above 100", in.Confidence)
	}
	r.conf = in.Confidence
	if in.TLP >= numTLP {
		return fmt.Errorf("%w %d", ErrTLP, in.TLP)
	}
	r.tlp = in.TLP
	if !in.ValidFrom.IsZero() && !in.ValidUntil.IsZero() && in.ValidUntil.Before(in.ValidFrom) {
		return fmt.Errorf("valid_until %s before valid_from %s", in.ValidUntil.Format(time.RFC3339), in.ValidFrom.Format(time.RFC3339))
	}
	r.from, r.until = 0, math.MaxUint32
	if !in.ValidFrom.IsZero() {
		r.from = clampUnix(in.ValidFrom.Unix())
	}
	if !in.ValidUntil.IsZero() {
		r.until = clampUnix(in.ValidUntil.Unix())
	}
	b.setID(r, in.ID)
	src, ok := b.sources[in.Source]
	if !ok {
		src = uint32(len(s.sources))
		s.sources = append(s.sources, in.Source)
		b.sources[in.Source] = src
	}
	r.src = src
	if len(in.Tags) > 0 {
		k := b.tagKey[:0]
		for _, t := range in.Tags {
			k = append(append(k, t...), 0)
		}
		b.tagKey = k
		ts, ok := b.tags[string(k)] // no allocation for the lookup
		if !ok {
			ts = uint32(len(s.tagSets))
			s.tagSets = append(s.tagSets, append([]string(nil), in.Tags...))
			b.tags[string(k)] = ts
		}
		r.tags = ts + 1
	}
	return b.addValue(i, r, in.Type, in.Value)
}

func clampUnix(u int64) uint32 {
	switch {
	case u < 0:
		return 0
	case u >= math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(u)
}

// setID stores an ID; "<prefix><canonical lower-case UUID>" (STIX and MISP
// style) takes 16 bytes plus a shared prefix.
func (b *builder) setID(r *rec, id string) {
	if len(id) >= 36 {
		if u, ok := parseUUID(id[len(id)-36:]); ok {
			p := id[:len(id)-36]
			off, ok := b.prefixes[p]
			if !ok {
				off = b.str(p)
				b.prefixes[p] = off
			}
			r.id, r.uuid, r.flags = off, u, r.flags|flagUUID
			return
		}
	}
	if id != "" {
		r.id = b.str(id)
	}
}

func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	j := 0
	for i := 0; i < 36; {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		hi, lo := s[i], s[i+1]
		if !isLowerHex(hi) || !isLowerHex(lo) {
			return u, false
		}
		h, _ := unhex(hi)
		l, _ := unhex(lo)
		u[j] = h<<4 | l
		j++
		i += 2
	}
	return u, true
}

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func (b *builder) addValue(i uint32, r *rec, t Type, v string) error {
	s := b.s
	if v == "" {
		return valueErr(t, v, "empty")
	}
	link := func(head *uint32) {
		r.next = *head &^ chainMore
		*head = newHead(i, *head)
	}
	switch t {
	case TypeIPv4, TypeIPv6:
		a, err := parseIndicatorAddr(t, v)
		if err != nil {
			return err
		}
		if t == TypeIPv4 {
			j := s.v4.insert(key4(binary.BigEndian.Uint32(a.AsSlice())))
			r.val = uint32(j)
			link(&s.v4.slots[j].val)
		} else {
			j := s.v6.insert(key16(a.As16()))
			r.val = uint32(j)
			link(&s.v6.slots[j].val)
		}
	case TypeCIDR:
		p, err := parseCIDR(v)
		if err != nil {
			return err
		}
		head, _ := s.cidr.Get(p)
		if head != 0 {
			r.val = s.recs[head&^chainMore-1].val
		} else {
			r.val = uint32(len(s.cidrs))
			s.cidrs = append(s.cidrs, cidrKey{addr: p.Addr().As16(), bits: uint8(p.Bits()), is4: p.Addr().Is4()})
		}
		r.next = head &^ chainMore
		s.cidr.Insert(p, newHead(i, head))
		s.markCover(p)
	case TypeMD5, TypeSHA1, TypeSHA256:
		var k [32]byte
		if len(v) != 2*hashLen(t) {
			return valueErr(t, v, fmt.Sprintf("want %d hex digits, have %d characters", 2*hashLen(t), len(v)))
		}
		if !decodeHex(k[:], v) {
			return valueErr(t, v, "not hexadecimal")
		}
		var j int
		switch t {
		case TypeMD5:
			j = s.md5.insert(key16(k[:16]))
			link(&s.md5.slots[j].val)
		case TypeSHA1:
			j = s.sha1.insert(key20(k[:20]))
			link(&s.sha1.slots[j].val)
		default:
			j = s.sha256.insert(key32(k))
			link(&s.sha256.slots[j].val)
		}
		r.val = uint32(j)
	default:
		var nv []byte
		if t == TypeURL {
			var why string
			nv, why = appendURL(b.scratch[:0], v, true)
			if why != "" {
				return valueErr(t, v, why)
			}
			b.scratch = nv
		} else {
			n, err := normalize(t, v)
			if err != nil {
				return err
			}
			nv = append(b.scratch[:0], n...)
			b.scratch = nv
		}
		if t == TypeDomain {
			b.insertDomain(i, r, nv)
		} else {
			b.insertStr(i, r, strIndex(t), nv)
		}
	}
	return nil
}

func (b *builder) insertStr(i uint32, r *rec, si int, v []byte) {
	s := b.s
	st := &s.strs[si]
	h := maphash.Bytes(s.seed, v)
	st.addFilter(h)
	n := len(st.slots)
	j := home(h, n)
	tag := uint32(h)
	for {
		sl := &st.slots[j]
		if sl.off == 0 {
			off := len(b.arena)
			if off+4+len(v)+binary.MaxVarintLen64 > math.MaxUint32 {
				b.tooBig = true
				return
			}
			b.arena = binary.LittleEndian.AppendUint32(b.arena, i+1)
			b.arena = binary.AppendUvarint(b.arena, uint64(len(v)))
			b.arena = append(b.arena, v...)
			sl.tag, sl.off = tag, uint32(off)
			r.val = uint32(off + 4)
			return
		}
		if sl.tag == tag && string(arenaStr(b.arena, sl.off+4)) == string(v) {
			head := b.arena[sl.off : sl.off+4]
			r.val = sl.off + 4
			old := binary.LittleEndian.Uint32(head)
			r.next = old &^ chainMore
			binary.LittleEndian.PutUint32(head, newHead(i, old))
			return
		}
		if j++; j == n {
			j = 0
		}
	}
}

func arenaStr[S ~string | ~[]byte](arena S, off uint32) S {
	l, n := uvarint(arena[off:])
	start := int(off) + n
	return arena[start : start+int(l)]
}

func le32(s string, off uint32) uint32 {
	_ = s[off+3]
	return uint32(s[off]) | uint32(s[off+1])<<8 | uint32(s[off+2])<<16 | uint32(s[off+3])<<24
}

func uvarint[S ~string | ~[]byte](s S) (uint64, int) {
	var x uint64
	var sh uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<sh, i + 1
		}
		x |= uint64(c&0x7f) << sh
		sh += 7
	}
	return 0, 0
}

// Len returns the number of indicators in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.recs)
}

// Warned returns the indicators given to Build that are on a warninglist
// (nil without WithWarninglists). The caller must not modify the slice.
func (s *Set) Warned() []Warned { return s.warned }

// value returns record r's normalised value as text.
func (s *Set) value(r uint32) string {
	rc := &s.recs[r]
	switch rc.typ {
	case TypeIPv4:
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], uint32(s.v4.slots[rc.val].key))
		return netip.AddrFrom4(a).String()
	case TypeIPv6:
		return netip.AddrFrom16(s.v6.slots[rc.val].key).String()
	case TypeCIDR:
		return s.cidrs[rc.val].prefix().String()
	case TypeMD5:
		k := s.md5.slots[rc.val].key
		return hex.EncodeToString(k[:])
	case TypeSHA1:
		k := s.sha1.slots[rc.val].key
		return hex.EncodeToString(k[:])
	case TypeSHA256:
		k := s.sha256.slots[rc.val].key
		return hex.EncodeToString(k[:])
	}
	return arenaStr(s.arena, rc.val)
}

// Match is one indicator found by a lookup. It is two words; Indicator
// materialises the full indicator (and allocates).
type Match struct {
	s *Set
	r uint32
}

// Type returns the matched indicator's type.
func (m Match) Type() Type { return m.s.recs[m.r].typ }

// Confidence returns the matched indicator's confidence.
func (m Match) Confidence() uint8 { return m.s.recs[m.r].conf }

// ValidAt reports whether the indicator is valid at t (one-second
// resolution, bounds inclusive).
func (m Match) ValidAt(t time.Time) bool {
	rc := &m.s.recs[m.r]
	u := t.Unix()
	if u < int64(rc.from) {
		return false
	}
	return rc.until == math.MaxUint32 || u <= int64(rc.until)
}

// Indicator returns the matched indicator. Its Tags slice is shared with
// the set and must not be modified.
func (m Match) Indicator() Indicator {
	s, rc := m.s, &m.s.recs[m.r]
	in := Indicator{
		Type:       rc.typ,
		Value:      s.value(m.r),
		Source:     s.sources[rc.src],
		Confidence: rc.conf,
		TLP:        rc.tlp,
	}
	if rc.flags&flagUUID != 0 {
		var u [36]byte
		hex.Encode(u[0:8], rc.uuid[0:4])
		u[8] = '-'
		hex.Encode(u[9:13], rc.uuid[4:6])
		u[13] = '-'
		hex.Encode(u[14:18], rc.uuid[6:8])
		u[18] = '-'
		hex.Encode(u[19:23], rc.uuid[8:10])
		u[23] = '-'
		hex.Encode(u[24:], rc.uuid[10:])
		in.ID = arenaStr(s.arena, rc.id) + string(u[:])
	} else {
		in.ID = arenaStr(s.arena, rc.id)
	}
	if rc.from != 0 {
		in.ValidFrom = time.Unix(int64(rc.from), 0).UTC()
	}
	if rc.until != math.MaxUint32 {
		in.ValidUntil = time.Unix(int64(rc.until), 0).UTC()
	}
	if rc.tags != 0 {
		t := s.tagSets[rc.tags-1]
		in.Tags = t[:len(t):len(t)]
	}
	return in
}

// Chain heads (in table slots, arena entries and the bart table) are a
// record number plus one, with chainMore set when further records share the
// value: a lookup of a value held by one indicator, the common case, never
// touches the record array.
const chainMore = 1 << 31

func newHead(r, old uint32) uint32 {
	if old != 0 {
		return (r + 1) | chainMore
	}
	return r + 1
}

func (s *Set) chain(head uint32, fn func(Match)) {
	if head == 0 {
		return
	}
	r := head&^chainMore - 1
	fn(Match{s, r})
	if head&chainMore == 0 {
		return
	}
	for n := s.recs[r].next; n != 0; n = s.recs[n-1].next {
		fn(Match{s, n - 1})
	}
}

const (
	cover4Bits = 20
	cover6Bits = 24
)

// coverKey returns the first 20 (IPv4) or 24 (IPv6) bits of an address.
func coverKey(a netip.Addr) uint32 {
	if a.Is4() {
		b := a.As4()
		return (uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])) >> (24 - cover4Bits)
	}
	b := a.As16()
	return (uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])) >> (24 - cover6Bits)
}

func (s *Set) markCover(p netip.Prefix) {
	bm, bits := &s.cover6, cover6Bits
	if p.Addr().Is4() {
		bm, bits = &s.cover4, cover4Bits
	}
	if *bm == nil {
		*bm = make([]uint64, 1<<bits/64)
	}
	k := coverKey(p.Addr())
	n := uint32(1)
	if p.Bits() < bits {
		n = 1 << (bits - p.Bits())
	}
	for j := k; j < k+n; j++ {
		(*bm)[j/64] |= 1 << (j % 64)
	}
}

// LookupIP calls fn for every indicator matching a: the exact address and
// every CIDR block containing it, longest first. IPv4-mapped IPv6
// addresses are looked up as IPv4; zones are ignored.
func (s *Set) LookupIP(a netip.Addr, fn func(Match)) {
	if !a.IsValid() {
		return
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		if j := s.v4.find(key4(binary.BigEndian.Uint32(a.AsSlice()))); j >= 0 {
			s.chain(s.v4.slots[j].val, fn)
		}
	} else if j := s.v6.find(key16(a.As16())); j >= 0 {
		s.chain(s.v6.slots[j].val, fn)
	}
	bm := s.cover6
	if a.Is4() {
		bm = s.cover4
	}
	if bm == nil {
		return
	}
	if k := coverKey(a); bm[k/64]&(1<<(k%64)) == 0 {
		return
	}
	if _, ok := s.cidr.Lookup(a); !ok {
		return
	}
	for bits := a.BitLen(); bits >= 0; {
		p, head, ok := s.cidr.LookupPrefixLPM(netip.PrefixFrom(a, bits))
		if !ok {
			return
		}
		s.chain(head, fn)
		bits = p.Bits() - 1
	}
}

// LookupDomain calls fn for every domain indicator matching name: the name
// itself and each parent domain of two or more labels. Case and one
// trailing dot are ignored.
func (s *Set) LookupDomain(name string, fn func(Match)) {
	t := &s.dom
	if len(t.slots) == 0 {
		return
	}
	if len(name) > 254 {
		return
	}
	orig := name
	if len(name) > 0 && name[len(name)-1] == '.' {
		name = name[:len(name)-1]
	}
	n := len(name)
	if n == 0 || n > 253 {
		return
	}
	// One backwards pass lower-cases the name into buf, hashes the name
	// and each parent of two or more labels, and keeps the candidates that
	// pass the Bloom filter.
	// The hash is domTable.label's, computed inline: w collects up to
	// eight bytes of the current label, m counts them, ln is its length.
	var buf [256]byte
	var cand [8]uint64
	var start [8]uint8
	k, labels := 0, 0
	h, s1, s2 := t.seed[0], t.seed[1], t.seed[2]
	var w uint64
	m, ln := 0, 0
	for i := n - 1; i >= -1; i-- {
		if i >= 0 {
			c := name[i]
			if c >= 0x80 {
				s.lookupDomainIDN(orig, fn)
				return
			}
			c = lower(c)
			buf[i] = c
			if c != '.' {
				if m == 8 {
					h = mum(h^s1, w^s2)
					w, m = 0, 0
				}
				w = w<<8 | uint64(c)
				m++
				ln++
				continue
			}
		}
		h = mum(h^uint64(ln)^s1, w^s2)
		w, m, ln = 0, 0, 0
		if labels++; (labels >= 2 || i < 0) && t.mayContain(h) {
			if k == len(cand) {
				for j := 0; j < i; j++ {
					buf[j] = lower(name[j])
				}
				s.lookupDomainMany(buf[:n], fn)
				return
			}
			cand[k], start[k] = h, uint8(i+1)
			k++
		}
	}
	// Longest first: the name, then its parents.
	for j := k - 1; j >= 0; j-- {
		if head := t.find(s.arena, cand[j], buf[start[j]:n]); head != 0 {
			s.chain(head, fn)
		}
	}
}

// lookupDomainIDN is LookupDomain for a name with non-ASCII characters:
// it looks up the name's punycode form.
func (s *Set) lookupDomainIDN(name string, fn func(Match)) {
	a, err := idna.Lookup.ToASCII(name)
	if err != nil || !isASCII(a) {
		return
	}
	s.LookupDomain(a, fn)
}

// lookupDomainMany is LookupDomain for the rare lower-cased name b with
// more candidates in the Bloom filter than LookupDomain keeps.
func (s *Set) lookupDomainMany(b []byte, fn func(Match)) {
	t := &s.dom
	var hs [128]uint64
	var starts [128]uint8
	k, labels := 0, 0
	h, end := t.seed[0], len(b)
	for i := len(b) - 1; i >= -1; i-- {
		if i >= 0 && b[i] != '.' {
			continue
		}
		h = t.label(h, b[i+1:end])
		end = i
		if labels++; labels >= 2 || i < 0 {
			hs[k], starts[k] = h, uint8(i+1)
			k++
		}
	}
	for j := k - 1; j >= 0; j-- {
		if !t.mayContain(hs[j]) {
			continue
		}
		if head := t.find(s.arena, hs[j], b[starts[j]:]); head != 0 {
			s.chain(head, fn)
		}
	}
}

// appendLowerHost appends a host name lower-cased, without one trailing dot.
func appendLowerHost(dst []byte, s string) []byte {
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return appendLower(dst, s)
}

// appendLower appends s lower-cased as strings.ToLower would.
func appendLower(dst []byte, s string) []byte {
	if !isASCII(s) {
		return append(dst, strings.ToLower(s)...)
	}
	for i := 0; i < len(s); i++ {
		dst = append(dst, lower(s[i]))
	}
	return dst
}

// LookupURL calls fn for every URL indicator equal to u once both are
// normalised (see NormalizeURL). Malformed parts of u are escaped rather
// than refused.
func (s *Set) LookupURL(u string, fn func(Match)) {
	if len(s.strs[strURL].slots) == 0 {
		return
	}
	if isCanonicalURL(u) {
		lookupStr(s, strURL, u, fn)
		return
	}
	var buf [512]byte
	b, why := appendURL(buf[:0], u, false)
	if why != "" {
		return
	}
	lookupStr(s, strURL, b, fn)
}

// LookupEmail calls fn for every e-mail indicator equal to addr, ignoring
// case.
func (s *Set) LookupEmail(addr string, fn func(Match)) {
	if len(s.strs[strEmail].slots) == 0 {
		return
	}
	var buf [256]byte
	lookupStr(s, strEmail, appendLower(buf[:0], addr), fn)
}

// LookupFilename calls fn for every file-name indicator equal to name,
// ignoring case.
func (s *Set) LookupFilename(name string, fn func(Match)) {
	if len(s.strs[strFilename].slots) == 0 {
		return
	}
	var buf [256]byte
	lookupStr(s, strFilename, appendLower(buf[:0], name), fn)
}

// LookupHash calls fn for every MD5, SHA-1 or SHA-256 indicator equal to
// the hex digest h (the type follows from its length; case is ignored).
func (s *Set) LookupHash(h string, fn func(Match)) {
	var k [32]byte
	n := len(h) / 2
	if len(h)%2 != 0 || (n != 16 && n != 20 && n != 32) || !decodeHex(k[:], h) {
		return
	}
	var j int
	switch n {
	case 16:
		if j = s.md5.find(key16(k[:16])); j >= 0 {
			s.chain(s.md5.slots[j].val, fn)
		}
	case 20:
		if j = s.sha1.find(key20(k[:20])); j >= 0 {
			s.chain(s.sha1.slots[j].val, fn)
		}
	case 32:
		if j = s.sha256.find(key32(k)); j >= 0 {
			s.chain(s.sha256.slots[j].val, fn)
		}
	}
}

func lookupStr[S ~string | ~[]byte](s *Set, si int, v S, fn func(Match)) {
	st := &s.strs[si]
	n := len(st.slots)
	if n == 0 {
		return
	}
	h := maphash.String(s.seed, string(v))
	if !st.mayContain(h) {
		return
	}
	j := home(h, n)
	tag := uint32(h)
	for {
		sl := &st.slots[j]
		if sl.off == 0 {
			return
		}
		if sl.tag == tag && arenaStr(s.arena, sl.off+4) == string(v) {
			s.chain(le32(s.arena, sl.off), fn)
			return
		}
		if j++; j == n {
			j = 0
		}
	}
}

// decodeHex decodes the hex string h (either case) into dst.
func decodeHex(dst []byte, h string) bool {
	var bad byte
	for i := 0; i < len(h)/2; i++ {
		hi, lo := hexVal[h[2*i]], hexVal[h[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo&0xf
	}
	return bad&0xf0 == 0
}
