package ingest

import (
	"sync"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// healthBook accumulates source health between flushes.
type healthBook struct {
	mu sync.Mutex
	m  map[string]*sourceHealth
}

type sourceHealth struct {
	pending store.SourceHealth // not yet flushed
	// rate: events per second slots over the last minute.
	slots    [60]int64
	slotSecs [60]int64
}

func newHealthBook() *healthBook { return &healthBook{m: make(map[string]*sourceHealth)} }

func (b *healthBook) get(id string) *sourceHealth {
	h := b.m[id]
	if h == nil {
		h = &sourceHealth{pending: store.SourceHealth{SourceID: id}}
		b.m[id] = h
	}
	return h
}

func (b *healthBook) accept(id string, n int, last, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.get(id)
	h.pending.Events += int64(n)
	if last.After(h.pending.LastEvent) {
		h.pending.LastEvent = last
	}
	h.pending.UpdatedAt = now
	sec := now.Unix()
	i := sec % 60
	if h.slotSecs[i] != sec {
		h.slotSecs[i], h.slots[i] = sec, 0
	}
	h.slots[i] += int64(n)
}

func (b *healthBook) fail(id, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.get(id)
	h.pending.Errors++
	if len(msg) > 500 {
		msg = msg[:500]
	}
	h.pending.LastError = msg
}

// drain returns the pending health of every source with news and resets it.
func (b *healthBook) drain() []store.SourceHealth {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []store.SourceHealth
	for id, h := range b.m {
		p := h.pending
		if p.Events == 0 && p.Errors == 0 {
			continue
		}
		out = append(out, p)
		h.pending = store.SourceHealth{SourceID: id}
	}
	return out
}

// putBack re-adds health whose flush failed.
func (b *healthBook) putBack(p store.SourceHealth) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.get(p.SourceID)
	h.pending.Events += p.Events
	h.pending.Errors += p.Errors
	if p.LastEvent.After(h.pending.LastEvent) {
		h.pending.LastEvent = p.LastEvent
	}
	if h.pending.LastError == "" {
		h.pending.LastError = p.LastError
	}
}

func (b *healthBook) snapshot(id string, now time.Time) (store.SourceHealth, float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.m[id]
	if !ok {
		return store.SourceHealth{SourceID: id}, 0
	}
	var sum int64
	cur := now.Unix()
	for i := range h.slots {
		if cur-h.slotSecs[i] < 60 && cur >= h.slotSecs[i] {
			sum += h.slots[i]
		}
	}
	return h.pending, float64(sum) / 60
}
