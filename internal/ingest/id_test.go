package ingest

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestIDGen(t *testing.T) {
	g := newIDGen()
	t0 := time.UnixMilli(1_790_000_000_123)
	clock := []time.Time{t0, t0, t0.Add(-time.Hour), t0.Add(time.Millisecond), t0.Add(2 * time.Millisecond), t0}
	var prev [16]byte
	seen := map[[16]byte]bool{}
	var latest int64
	for step, now := range clock {
		ids := make([][16]byte, 100)
		g.fill(ids, now)
		for i := range ids {
			id := ids[i]
			u, err := uuid.Parse(idString(&id))
			if err != nil || u != uuid.UUID(id) {
				t.Fatalf("step %d: %s does not parse back: %v", step, idString(&id), err)
			}
			if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
				t.Fatalf("step %d: %s: version %d, variant %v", step, u, u.Version(), u.Variant())
			}
			if bytes.Compare(id[:], prev[:]) <= 0 {
				t.Fatalf("step %d: %s does not follow %s", step, u, uuid.UUID(prev))
			}
			if seen[id] {
				t.Fatalf("step %d: %s twice", step, u)
			}
			seen[id] = true
			prev = id
			// The time is the clock's, or the latest one when the clock
			// stood still or went back.
			latest = max(latest, now.UnixMilli())
			sec, nsec := u.Time().UnixTime()
			if ms := sec*1000 + nsec/1e6; ms != latest {
				t.Fatalf("step %d: id time %d, want %d", step, ms, latest)
			}
		}
	}
}

// TestIDGenCounterOverflow: when a millisecond's counter is spent, the
// ids move on to the next millisecond and keep increasing.
func TestIDGenCounterOverflow(t *testing.T) {
	g := newIDGen()
	now := time.UnixMilli(1_790_000_000_000)
	ids := make([][16]byte, 2)
	g.fill(ids[:1], now)
	g.ctr = idCounterMax
	g.fill(ids[1:], now)
	if bytes.Compare(ids[1][:], ids[0][:]) <= 0 {
		t.Fatalf("%s does not follow %s", uuid.UUID(ids[1]), uuid.UUID(ids[0]))
	}
	sec, nsec := uuid.UUID(ids[1]).Time().UnixTime()
	if got := sec*1000 + nsec/1e6; got != now.UnixMilli()+1 {
		t.Fatalf("id time %d, want %d", got, now.UnixMilli()+1)
	}
}

// TestIDGenProcesses: generators seeded independently (two processes, or
// a restart) at the same instant make different ids.
func TestIDGenProcesses(t *testing.T) {
	now := time.UnixMilli(1_790_000_000_000)
	seen := map[[16]byte]bool{}
	for range 50 {
		ids := make([][16]byte, 200)
		newIDGen().fill(ids, now)
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s made twice", uuid.UUID(id))
			}
			seen[id] = true
		}
	}
}
