// Package natsbus implements bus.Bus on NATS JetStream, either on a NATS
// server embedded in the process (OpenEmbedded: no TCP listener, file
// storage in the data directory) or on an external NATS server or cluster
// (OpenURL). Both modes run the same client code.
package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vedetta-sec/vedetta/internal/bus"
)

// Options configures a Bus. The zero value is usable with OpenURL; OpenEmbedded
// needs StoreDir.
type Options struct {
	// StoreDir is where the embedded server keeps its JetStream files
	// (OpenEmbedded only; required there).
	StoreDir string
	// MaxStore caps the embedded server's JetStream file storage in bytes
	// (0: the server's default, based on free disk space). Stream limits
	// below it apply first.
	MaxStore int64
	// MaxMemory caps the embedded server's JetStream memory storage
	// (0: the server's default).
	MaxMemory int64
	// SyncAlways makes the embedded server fsync every stored message. By
	// default the file store fsyncs every SyncInterval (NATS default 2m):
	// an acknowledged message survives a process crash but may be lost on
	// power failure within that interval.
	SyncAlways   bool
	SyncInterval time.Duration

	// Streams are created or updated at open. Nil means
	// bus.DefaultStreams().
	Streams []bus.StreamConfig

	// PublishTimeout bounds the wait for one publish acknowledgement
	// (default 10s); on expiry the publish fails with bus.ErrUnavailable.
	PublishTimeout time.Duration
	// MaxPendingPublishes bounds the pipelined publishes of PublishBatch
	// awaiting acknowledgement (default 4096); larger batches are sent in
	// windows of this size.
	MaxPendingPublishes int

	// ShutdownTimeout bounds how long Close waits for handlers to return
	// (default 30s). A handler still running after it keeps its batch
	// unacknowledged, so the batch is redelivered after a restart.
	ShutdownTimeout time.Duration

	// Name is the client connection name shown by the server.
	Name string
	// ClientOptions are extra nats.go options for OpenURL (credentials,
	// TLS, ...).
	ClientOptions []nats.Option
}

func (o Options) withDefaults() Options {
	if o.Streams == nil {
		o.Streams = bus.DefaultStreams()
	}
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = 10 * time.Second
	}
	if o.MaxPendingPublishes <= 0 {
		o.MaxPendingPublishes = 4096
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.Name == "" {
		o.Name = "vedetta"
	}
	return o
}

// Bus is a bus.Bus on NATS JetStream.
type Bus struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	ns     *server.Server // nil with OpenURL
	opts   Options
	logger *slog.Logger

	mu        sync.Mutex    // orders consumer registration with Close
	closing   chan struct{} // closed (under mu) when Close starts
	closeOnce sync.Once
	closeErr  error
	consumers sync.WaitGroup // running Consume calls

	st counters
}

var _ bus.Bus = (*Bus)(nil)

type counters struct {
	published, duplicates, refused, publishFails   atomic.Uint64
	delivered, redelivered, acked, nacked, dropped atomic.Uint64
	notified                                       atomic.Uint64
}

// OpenEmbedded starts a NATS server with JetStream inside the process (no
// network listener, file storage under opts.StoreDir), connects to it in
// process and declares the streams. Close shuts the server down.
func OpenEmbedded(ctx context.Context, opts Options, logger *slog.Logger) (*Bus, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("natsbus: embedded mode needs a StoreDir")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	sopts := &server.Options{
		ServerName:         "vedetta-embedded",
		DontListen:         true,
		JetStream:          true,
		StoreDir:           opts.StoreDir,
		JetStreamMaxStore:  opts.MaxStore,
		JetStreamMaxMemory: opts.MaxMemory,
		SyncAlways:         opts.SyncAlways,
		SyncInterval:       opts.SyncInterval,
		NoSigs:             true,
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("natsbus: embedded server: %w", err)
	}
	ns.SetLoggerV2(serverLogger{logger.With("component", "nats-server")}, false, false, false)
	go ns.Start()
	// ReadyForConnections waits for JetStream recovery too, which can take
	// a while on a large store; honour ctx meanwhile.
	ready := make(chan bool, 1)
	go func() { ready <- ns.ReadyForConnections(5 * time.Minute) }()
	select {
	case ok := <-ready:
		if !ok {
			ns.Shutdown()
			ns.WaitForShutdown()
			return nil, errors.New("natsbus: embedded server not ready")
		}
	case <-ctx.Done():
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("natsbus: embedded server start: %w", ctx.Err())
	}
	b, err := open(ctx, "", opts, logger, nats.InProcessServer(ns))
	if err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, err
	}
	b.ns = ns
	logger.Info("natsbus: embedded JetStream ready", "store_dir", opts.StoreDir)
	return b, nil
}

// OpenURL connects to an external NATS server or cluster with JetStream
// (e.g. "nats://127.0.0.1:4222", comma-separated for several seeds) and
// declares the streams. The connection reconnects forever.
func OpenURL(ctx context.Context, url string, opts Options, logger *slog.Logger) (*Bus, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts = opts.withDefaults()
	return open(ctx, url, opts, logger, nats.MaxReconnects(-1))
}

func open(ctx context.Context, url string, opts Options, logger *slog.Logger, extra ...nats.Option) (*Bus, error) {
	for _, sc := range opts.Streams {
		if err := sc.Validate(); err != nil {
			return nil, fmt.Errorf("natsbus: %w", err)
		}
	}
	b := &Bus{opts: opts, logger: logger, closing: make(chan struct{})}
	nopts := []nats.Option{
		nats.Name(opts.Name),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("natsbus: disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			logger.Info("natsbus: reconnected", "url", c.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			logger.Warn("natsbus: async error", "subject", subj, "err", err)
		}),
	}
	nopts = append(nopts, extra...)
	nopts = append(nopts, opts.ClientOptions...)
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, fmt.Errorf("natsbus: connect: %w", err)
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(opts.MaxPendingPublishes),
		jetstream.WithPublishAsyncTimeout(opts.PublishTimeout),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsbus: jetstream: %w", err)
	}
	b.nc, b.js = nc, js
	for _, sc := range opts.Streams {
		if err := b.ensureStream(ctx, sc); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return b, nil
}

// ensureStream creates or updates one stream and its declared durables.
func (b *Bus) ensureStream(ctx context.Context, sc bus.StreamConfig) error {
	cfg := jetstream.StreamConfig{
		Name:       sc.Name,
		Subjects:   sc.Subjects,
		Retention:  jetstream.InterestPolicy,
		Discard:    jetstream.DiscardNew,
		MaxBytes:   orUnlimited(sc.MaxBytes),
		MaxMsgs:    orUnlimited(sc.MaxMsgs),
		MaxMsgSize: int32(orUnlimited(int64(sc.MaxMsgSize))),
		MaxAge:     sc.MaxAge,
		Duplicates: sc.DuplicateWindow,
		Storage:    jetstream.FileStorage,
		Replicas:   max(sc.Replicas, 1),
		// Unlimited per-subject and consumer counts, as the server's own
		// defaults; spelled out so an update never inherits zero.
		MaxMsgsPerSubject: -1,
		MaxConsumers:      -1,
	}
	if sc.Retention == bus.RetainLimits {
		cfg.Retention = jetstream.LimitsPolicy
	}
	if sc.Memory {
		cfg.Storage = jetstream.MemoryStorage
	}
	if cfg.Duplicates == 0 {
		cfg.Duplicates = bus.DefaultDuplicateWindow
		if sc.MaxAge > 0 && sc.MaxAge < cfg.Duplicates {
			cfg.Duplicates = sc.MaxAge
		}
	}
	if _, err := b.js.CreateOrUpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("natsbus: stream %s: %w", sc.Name, err)
	}
	for _, d := range sc.Durables {
		if _, err := b.js.CreateOrUpdateConsumer(ctx, sc.Name, consumerConfig(d.Name, d.Subjects, bus.ConsumeOptions{}.WithDefaults())); err != nil {
			return fmt.Errorf("natsbus: stream %s: durable %s: %w", sc.Name, d.Name, err)
		}
	}
	return nil
}

func orUnlimited(v int64) int64 {
	if v <= 0 {
		return -1
	}
	return v
}

// Stats returns a snapshot of the counters.
func (b *Bus) Stats() bus.Stats {
	return bus.Stats{
		Published:    b.st.published.Load(),
		Duplicates:   b.st.duplicates.Load(),
		Refused:      b.st.refused.Load(),
		PublishFails: b.st.publishFails.Load(),
		Delivered:    b.st.delivered.Load(),
		Redelivered:  b.st.redelivered.Load(),
		Acked:        b.st.acked.Load(),
		Nacked:       b.st.nacked.Load(),
		Dropped:      b.st.dropped.Load(),
		Notified:     b.st.notified.Load(),
	}
}

// Close stops the consumers (each settles its batch in progress), drains
// the connection (pending publishes and acknowledgements are flushed) and,
// in embedded mode, shuts the server down and waits for it. It is safe to
// call more than once.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		close(b.closing)
		b.mu.Unlock()
		stopped := make(chan struct{})
		go func() { b.consumers.Wait(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(b.opts.ShutdownTimeout):
			b.logger.Error("natsbus: handlers still running at shutdown; their batches will be redelivered",
				"timeout", b.opts.ShutdownTimeout)
		}
		closed := make(chan struct{})
		b.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
		if err := b.nc.Drain(); err != nil {
			b.nc.Close()
		} else {
			select {
			case <-closed:
			case <-time.After(30 * time.Second):
				b.closeErr = errors.New("natsbus: drain timed out")
				b.nc.Close()
			}
		}
		if b.ns != nil {
			b.ns.Shutdown()
			b.ns.WaitForShutdown()
		}
	})
	return b.closeErr
}

func (b *Bus) isClosing() bool {
	select {
	case <-b.closing:
		return true
	default:
		return false
	}
}

// serverLogger routes the embedded server's log to slog.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) Noticef(format string, v ...any) { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Warnf(format string, v ...any)   { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Errorf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Debugf(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Tracef(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
