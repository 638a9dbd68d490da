package ioc

import (
	"encoding/binary"
	"math/bits"
)

// Open-addressing hash tables with linear probing. Each slot holds a key
// and a record number plus one (0 marks an empty slot). Tables are sized
// once, before inserting, for a load factor of at most 0.7, and never
// grow: Build counts indicators per type first. Slot positions are stable,
// so records can refer to their slot.

// fixedKey is a fixed-size binary key.
type fixedKey interface {
	comparable
	hash() uint64
}

type key4 uint32
type key16 [16]byte
type key20 [20]byte
type key32 [32]byte

// mix64 is the SplitMix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func (k key4) hash() uint64 { return mix64(uint64(k)) }

// The digests are uniformly distributed already; IPv6 addresses are not.
func (k key16) hash() uint64 {
	return mix64(binary.LittleEndian.Uint64(k[:8]) ^ mix64(binary.LittleEndian.Uint64(k[8:])))
}
func (k key20) hash() uint64 { return binary.LittleEndian.Uint64(k[:8]) }
func (k key32) hash() uint64 { return binary.LittleEndian.Uint64(k[:8]) }

type slot[K fixedKey] struct {
	key K
	val uint32 // chain head (see chainMore); 0 = empty
}

type table[K fixedKey] struct {
	slots []slot[K]
}

func tableSize(n int) int {
	if n == 0 {
		return 0
	}
	return n*10/7 + 1
}

func newTable[K fixedKey](n int) table[K] {
	return table[K]{slots: make([]slot[K], tableSize(n))}
}

// home maps a hash onto [0, n) without division (Lemire's fast range).
func home(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// find returns the slot index of k, or -1.
func (t *table[K]) find(k K) int {
	n := len(t.slots)
	if n == 0 {
		return -1
	}
	i := home(k.hash(), n)
	for {
		s := &t.slots[i]
		if s.val == 0 {
			return -1
		}
		if s.key == k {
			return i
		}
		if i++; i == n {
			i = 0
		}
	}
}

// insert returns the slot of k, claiming an empty one if k is new.
func (t *table[K]) insert(k K) int {
	n := len(t.slots)
	i := home(k.hash(), n)
	for {
		s := &t.slots[i]
		if s.val == 0 {
			s.key = k
			return i
		}
		if s.key == k {
			return i
		}
		if i++; i == n {
			i = 0
		}
	}
}

// strSlot indexes a string stored in the arena: tag is the low half of the
// string's 64-bit hash (the home slot came from the whole hash), so a probe
// only compares strings when the tags agree. The arena entry at off holds
// the head of the record chain (4 bytes, record + 1) and then the string,
// so a hit reads one slot and one arena line.
type strSlot struct {
	tag uint32
	off uint32 // arena offset of the entry; 0 = empty (offset 0 is reserved)
}

// strTable is a string hash table with a blocked Bloom filter in front:
// about 16 bits per string in one 64-bit word per key (two bits set), a
// 1.5% false-positive rate in a filter small enough to stay in L2; it
// answers most absent probes without touching the slots.
type strTable struct {
	slots  []strSlot
	filter []uint64
}

func newStrTable(n int) strTable {
	if n == 0 {
		return strTable{}
	}
	return strTable{slots: make([]strSlot, tableSize(n)), filter: make([]uint64, (n+3)/4)}
}

// filterBits returns the filter word and the two bits for hash h.
func (t *strTable) filterBits(h uint64) (int, uint64) {
	m := uint64(1)<<(h>>58) | uint64(1)<<((h>>52)&63)
	return home(mix64(h), len(t.filter)), m
}

func (t *strTable) mayContain(h uint64) bool {
	w, m := t.filterBits(h)
	return t.filter[w]&m == m
}

func (t *strTable) addFilter(h uint64) {
	w, m := t.filterBits(h)
	t.filter[w] |= m
}
