package ingest

import (
	crand "crypto/rand"
	"math/rand/v2"
	"sync"
	"time"
)

// idGen makes the UUIDv7 event ids of Submit (RFC 9562 §5.7) without a
// crypto/rand read per id (uuid.NewV7 costs about a microsecond, a
// syscall each): it follows §6.2 method 1, a fixed-length dedicated
// counter.
//
//	48 bits  unix_ts_ms   the wall clock in milliseconds
//	 4 bits  ver = 7
//	12 bits  rand_a       counter, high 12 bits
//	 2 bits  var = 0b10
//	30 bits  rand_b       counter, low 30 bits
//	32 bits  rand_b       random, per id
//
// The 42-bit counter starts at a random value below 2^41 in every new
// millisecond and counts up within it, so the ids of one process are
// strictly increasing: if the clock stands still or steps back, the last
// millisecond is kept and the counter goes on (after 2^41 ids it moves to
// the next millisecond), so ordering never depends on the clock being
// monotonic. Ids stay time-ordered across processes to the millisecond,
// as UUIDv7 promises. They stay unique across processes and restarts
// because every random bit comes from a ChaCha8 stream seeded once per
// process from crypto/rand (a cryptographic generator: the bits are
// unpredictable and independent between processes): two processes (or
// a restarted one, even with its clock set back) collide only if in the
// same millisecond their random counter ranges overlap and then the
// 32 random bits of an id match too: about n²/2^72 for n ids per
// millisecond in each (2·10^-18 at 100 ids/ms).
type idGen struct {
	mu  sync.Mutex
	ms  int64  // unix_ts_ms of the last id
	ctr uint64 // counter of the last id
	rng *rand.ChaCha8
}

const (
	idCounterBits = 42
	idCounterMax  = 1<<idCounterBits - 1
)

func newIDGen() *idGen {
	var seed [32]byte
	crand.Read(seed[:]) // never fails (crypto/rand panics instead)
	return &idGen{rng: rand.NewChaCha8(seed)}
}

// fill sets ids to fresh, increasing UUIDv7 ids at time now.
func (g *idGen) fill(ids [][16]byte, now time.Time) {
	ms := now.UnixMilli()
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range ids {
		if ms > g.ms {
			g.ms, g.ctr = ms, g.rng.Uint64()>>(64-idCounterBits+1)
		} else if g.ctr++; g.ctr > idCounterMax {
			g.ms++
			g.ctr = g.rng.Uint64() >> (64 - idCounterBits + 1)
		}
		r := g.rng.Uint64()
		id := &ids[i]
		t, c := uint64(g.ms), g.ctr
		id[0], id[1], id[2], id[3], id[4], id[5] = byte(t>>40), byte(t>>32), byte(t>>24), byte(t>>16), byte(t>>8), byte(t)
		id[6] = 0x70 | byte(c>>38)&0x0f
		id[7] = byte(c >> 30)
		id[8] = 0x80 | byte(c>>24)&0x3f
		id[9], id[10], id[11] = byte(c>>16), byte(c>>8), byte(c)
		id[12], id[13], id[14], id[15] = byte(r>>24), byte(r>>16), byte(r>>8), byte(r)
	}
}

// idString formats an id in the canonical 8-4-4-4-12 form.
func idString(id *[16]byte) string {
	var b [36]byte
	appendID(b[:0], id)
	return string(b[:])
}

// appendID appends idString(id) to b.
func appendID(b []byte, id *[16]byte) []byte {
	const hex = "0123456789abcdef"
	n := len(b)
	b = append(b, make([]byte, 36)...)
	j := n
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hex[c>>4], hex[c&0xf]
		j += 2
	}
	return b
}
