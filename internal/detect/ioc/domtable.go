package ioc

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// domTable holds the domain indicators. A domain lookup probes the name and
// every parent of it, so the table is built for cheap probes:
//
//   - the hash of a name is computed label by label from the right, so one
//     backwards pass over a name yields the hash of every suffix;
//   - a blocked Bloom filter (about 16 bits per name, two bits in one
//     64-bit word, about 1.5% false positives) answers most probes of
//     absent parents from L2;
//   - a slot is 48 bytes and holds the chain head and names of up to
//     domInline (35) bytes inline, so that a hit on such a name touches the
//     table and nothing else. Longer names are compared with their copy in
//     the arena.
//
// Every name is also in the arena (records refer to it there), so that
// Indicator can return it whatever its length.
type domTable struct {
	slots  []domSlot
	filter []uint64
	seed   [3]uint64 // random per Set, so that colliding names cannot be chosen
}

const domInline = 35

type domSlot struct {
	tag  uint32 // low half of the name's hash
	head uint32 // chain head (see chainMore); 0 = empty
	off  uint32 // arena offset of the name
	n    uint8  // length of the name
	data [domInline]byte
}

func newDomTable(n int) domTable {
	if n == 0 {
		return domTable{}
	}
	return domTable{
		slots:  make([]domSlot, tableSize(n)),
		filter: make([]uint64, (n+3)/4),
		seed:   [3]uint64{rand.Uint64(), rand.Uint64(), rand.Uint64()},
	}
}

// mum is the wyhash mixing step: the folded 128-bit product.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// label folds one label into the running hash h of the labels to its
// right. It takes the label's bytes eight at a time from the right, so
// that LookupDomain can hash while it scans a name backwards.
func (t *domTable) label(h uint64, l []byte) uint64 {
	n := uint64(len(l))
	for len(l) > 8 {
		h = mum(h^t.seed[1], binary.LittleEndian.Uint64(l[len(l)-8:])^t.seed[2])
		l = l[:len(l)-8]
	}
	var w uint64
	for i := len(l) - 1; i >= 0; i-- {
		w = w<<8 | uint64(l[i])
	}
	return mum(h^n^t.seed[1], w^t.seed[2])
}

// hash returns the hash of name, as lookups compute it for a suffix.
func (t *domTable) hash(name []byte) uint64 {
	h, end := t.seed[0], len(name)
	for i := len(name) - 1; i >= -1; i-- {
		if i < 0 || name[i] == '.' {
			h = t.label(h, name[i+1:end])
			end = i
		}
	}
	return h
}

func (t *domTable) filterBits(h uint64) (int, uint64) {
	m := uint64(1)<<(h>>58) | uint64(1)<<((h>>52)&63)
	return home(mix64(h), len(t.filter)), m
}

func (t *domTable) mayContain(h uint64) bool {
	w, m := t.filterBits(h)
	return t.filter[w]&m == m
}

// same reports whether slot sl holds name v; arena is the set's arena.
func domSame[S ~string | ~[]byte](sl *domSlot, arena S, v []byte) bool {
	if int(sl.n) != len(v) {
		return false
	}
	if len(v) <= domInline {
		return string(sl.data[:len(v)]) == string(v)
	}
	return string(arenaStr(arena, sl.off)) == string(v)
}

// insertDomain adds the normalised domain v for record i.
func (b *builder) insertDomain(i uint32, r *rec, v []byte) {
	t := &b.s.dom
	h := t.hash(v)
	w, m := t.filterBits(h)
	t.filter[w] |= m
	n := len(t.slots)
	j := home(h, n)
	tag := uint32(h)
	for {
		sl := &t.slots[j]
		if sl.head == 0 {
			off := addStr(b, v)
			sl.tag, sl.head, sl.off, sl.n = tag, newHead(i, 0), off, uint8(len(v))
			if len(v) <= domInline {
				copy(sl.data[:], v)
			}
			r.val = off
			return
		}
		if sl.tag == tag && domSame(sl, b.arena, v) {
			r.val = sl.off
			r.next = sl.head &^ chainMore
			sl.head = newHead(i, sl.head)
			return
		}
		if j++; j == n {
			j = 0
		}
	}
}

// find returns the chain head of the name whose hash is h, or 0.
func (t *domTable) find(arena string, h uint64, v []byte) uint32 {
	n := len(t.slots)
	j := home(h, n)
	tag := uint32(h)
	for {
		sl := &t.slots[j]
		if sl.head == 0 {
			return 0
		}
		if sl.tag == tag && domSame(sl, arena, v) {
			return sl.head
		}
		if j++; j == n {
			j = 0
		}
	}
}
