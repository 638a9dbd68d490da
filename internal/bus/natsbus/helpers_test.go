package natsbus_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

var uniq atomic.Uint64

// env is one test's view of a NATS server: embedded in a temp dir or the
// shared external one. Names are unique per test so tests can share the
// external server.
type env struct {
	t        *testing.T
	mode     string
	dir      string // embedded store dir
	url      string // external URL
	prefix   string // subject prefix, e.g. "t123"
	stream   string // stream name
	durables []bus.DurableConfig
	opts     natsbus.Options // extra options for open (Streams, StoreDir are set by open)
}

func newEnv(t *testing.T, mode string) *env {
	t.Helper()
	n := uniq.Add(1)
	id := fmt.Sprintf("%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, n)
	e := &env{t: t, mode: mode, prefix: "vt" + id, stream: "VT_" + id}
	switch mode {
	case "embedded":
		e.dir = t.TempDir()
	case "external":
		e.url = testenv.NATSURL(t)
		t.Cleanup(func() { e.deleteStream() })
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	return e
}

// modes runs f once per mode as subtests.
func modes(t *testing.T, f func(t *testing.T, e *env)) {
	for _, mode := range []string{"embedded", "external"} {
		t.Run(mode, func(t *testing.T) { f(t, newEnv(t, mode)) })
	}
}

func (e *env) subject(tenant, source string) string {
	return e.prefix + ".events." + bus.EscapeToken(tenant) + "." + bus.EscapeToken(source)
}

// streamConfig is the test stream: interest retention with the durables
// the test declared.
func (e *env) streamConfig() bus.StreamConfig {
	return bus.StreamConfig{
		Name:     e.stream,
		Subjects: []string{e.prefix + ".events.>"},
		Durables: e.durables,
	}
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// open opens a bus on the env with the given stream declarations (nil: the
// env's default test stream) and closes it at cleanup.
func (e *env) open(streams ...bus.StreamConfig) *natsbus.Bus {
	e.t.Helper()
	if streams == nil {
		streams = []bus.StreamConfig{e.streamConfig()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := e.opts
	opts.Streams, opts.StoreDir = streams, e.dir
	if opts.PublishTimeout == 0 {
		opts.PublishTimeout = 5 * time.Second
	}
	var (
		b   *natsbus.Bus
		err error
	)
	if e.mode == "embedded" {
		b, err = natsbus.OpenEmbedded(ctx, opts, testLogger(e.t))
	} else {
		b, err = natsbus.OpenURL(ctx, e.url, opts, testLogger(e.t))
	}
	if err != nil {
		e.t.Fatalf("open %s bus: %v", e.mode, err)
	}
	e.t.Cleanup(func() { _ = b.Close() })
	return b
}

// deleteStream removes the test stream from the external server.
func (e *env) deleteStream() {
	nc, err := nats.Connect(e.url)
	if err != nil {
		e.t.Logf("cleanup: connect: %v", err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, e.stream); err != nil && err != jetstream.ErrStreamNotFound {
		e.t.Logf("cleanup: delete stream %s: %v", e.stream, err)
	}
}

// msgs builds n messages on one subject with ids prefix-0..n-1.
func msgs(subject, idPrefix string, n, size int) []bus.Msg {
	out := make([]bus.Msg, n)
	for i := range out {
		data := make([]byte, size)
		copy(data, fmt.Sprintf("%s-%d", idPrefix, i))
		out[i] = bus.Msg{Subject: subject, ID: fmt.Sprintf("%s-%d", idPrefix, i), Data: data}
	}
	return out
}

// collector records deliveries from a handler.
type collector struct {
	mu      sync.Mutex
	batches [][]bus.Delivery
	byID    map[string]int // deliveries per id
	total   int
	changed chan struct{}
}

func newCollector() *collector {
	return &collector{byID: make(map[string]int), changed: make(chan struct{}, 1)}
}

func (c *collector) add(batch []bus.Delivery) {
	c.mu.Lock()
	cp := make([]bus.Delivery, len(batch))
	copy(cp, batch)
	for i := range cp {
		cp[i].Data = append([]byte(nil), cp[i].Data...)
		c.byID[cp[i].ID]++
	}
	c.batches = append(c.batches, cp)
	c.total += len(batch)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// waitFor waits until at least n deliveries were recorded.
func (c *collector) waitFor(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for c.count() < n {
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("got %d deliveries, want %d", c.count(), n)
		}
	}
}

// consume runs b.Consume in the background until the test ends or stop is
// called; stop waits for Consume to return and reports its error.
func consume(t *testing.T, b bus.Bus, stream, durable string, subjects []string, h bus.Handler, o bus.ConsumeOptions) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Consume(ctx, stream, durable, subjects, h, o) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				err = fmt.Errorf("consume did not return")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
