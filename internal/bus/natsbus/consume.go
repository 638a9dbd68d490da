package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vedetta-sec/vedetta/internal/bus"
)

// consumerConfig is the JetStream configuration of a durable pull consumer.
func consumerConfig(durable string, subjects []string, o bus.ConsumeOptions) jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		Durable:       durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxAckPending: o.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxDeliver:    -1,
		MaxWaiting:    512,
	}
	if o.MaxDeliver > 0 {
		cfg.MaxDeliver = o.MaxDeliver
	}
	switch len(subjects) {
	case 0:
	case 1:
		cfg.FilterSubject = subjects[0]
	default:
		cfg.FilterSubjects = subjects
	}
	return cfg
}

// Consume runs the durable consumer durable on stream until ctx is done or
// the bus closes. See bus.Bus.
func (b *Bus) Consume(ctx context.Context, stream, durable string, subjects []string, h bus.Handler, opts bus.ConsumeOptions) error {
	if h == nil {
		return errors.New("natsbus: consume: nil handler")
	}
	if durable == "" {
		return errors.New("natsbus: consume: empty durable name")
	}
	// Register under mu, so Close either waits for this call or this call
	// sees the bus closing (WaitGroup.Add must not race with Wait).
	b.mu.Lock()
	if b.isClosing() {
		b.mu.Unlock()
		return bus.ErrClosed
	}
	b.consumers.Add(1)
	b.mu.Unlock()
	defer b.consumers.Done()
	opts = opts.WithDefaults()
	cons, err := b.js.CreateOrUpdateConsumer(ctx, stream, consumerConfig(durable, subjects, opts))
	if err != nil {
		return fmt.Errorf("natsbus: consumer %s on %s: %w", durable, stream, err)
	}

	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-b.closing:
			cancel()
		case <-hctx.Done():
		}
	}()

	c := &consumer{
		b:       b,
		log:     b.logger.With("stream", stream, "durable", durable),
		opts:    opts,
		h:       h,
		msgs:    make(chan jetstream.Msg, opts.BatchSize),
		stopped: make(chan struct{}),
	}
	cc, err := cons.Consume(c.receive,
		jetstream.PullMaxMessages(opts.BatchSize),
		jetstream.ConsumeErrHandler(c.consumeError),
	)
	if err != nil {
		return fmt.Errorf("natsbus: consume %s on %s: %w", durable, stream, err)
	}
	c.log.Debug("natsbus: consumer started")
	err = c.loop(hctx, cc.Closed())

	// Stop pulling. Messages still buffered go to receive, which now
	// returns them to the stream at once (nak) rather than after AckWait.
	close(c.stopped)
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(10 * time.Second):
		cc.Stop()
	}
	for len(c.msgs) > 0 {
		c.release(<-c.msgs)
	}
	c.log.Debug("natsbus: consumer stopped", "err", err)
	return err
}

type consumer struct {
	b       *Bus
	log     *slog.Logger
	opts    bus.ConsumeOptions
	h       bus.Handler
	msgs    chan jetstream.Msg
	stopped chan struct{}

	mu      sync.Mutex
	lastErr error // last terminal error reported by the client
}

// receive runs on the subscription's goroutine. Blocking here holds the
// client's pull budget, so a slow handler slows the pulls (back-pressure).
func (c *consumer) receive(m jetstream.Msg) {
	select {
	case c.msgs <- m:
	case <-c.stopped:
		c.release(m)
	}
}

// release hands an undelivered message back to the stream at once.
func (c *consumer) release(m jetstream.Msg) {
	if err := m.Nak(); err != nil {
		c.log.Debug("natsbus: release on stop", "err", err)
	}
}

func (c *consumer) consumeError(_ jetstream.ConsumeContext, err error) {
	switch {
	case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrBadRequest),
		errors.Is(err, jetstream.ErrConsumerNotFound), errors.Is(err, jetstream.ErrConnectionClosed):
		c.mu.Lock()
		c.lastErr = err
		c.mu.Unlock()
		c.log.Error("natsbus: consumer stopped by the server", "err", err)
	default:
		// Missing heartbeats, reconnects, leadership changes: the client
		// re-issues pulls on its own.
		c.log.Warn("natsbus: consumer", "err", err)
	}
}

// loop forms batches and hands them to the handler until ctx is done or
// the subscription ends.
func (c *consumer) loop(ctx context.Context, subClosed <-chan struct{}) error {
	batch := make([]jetstream.Msg, 0, c.opts.BatchSize)
	deliveries := make([]bus.Delivery, 0, c.opts.BatchSize)
	var timer *time.Timer
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return nil
		case <-subClosed:
			c.mu.Lock()
			err := c.lastErr
			c.mu.Unlock()
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				err = errors.New("subscription closed")
			}
			return fmt.Errorf("natsbus: consumer: %w", err)
		case m := <-c.msgs:
			batch = append(batch, m)
		}
	fill:
		for len(batch) < c.opts.BatchSize {
			select {
			case m := <-c.msgs:
				batch = append(batch, m)
				continue
			default:
			}
			if c.opts.Linger <= 0 {
				break
			}
			if timer == nil {
				timer = time.NewTimer(c.opts.Linger)
			} else {
				timer.Reset(c.opts.Linger)
			}
			for len(batch) < c.opts.BatchSize {
				select {
				case m := <-c.msgs:
					batch = append(batch, m)
				case <-timer.C:
					break fill
				case <-ctx.Done():
					timer.Stop()
					break fill
				}
			}
			timer.Stop()
		}
		if ctx.Err() != nil {
			// Shutting down: hand the batch back rather than start it.
			for _, m := range batch {
				c.release(m)
			}
			clear(batch)
			return nil
		}
		deliveries = c.process(ctx, batch, deliveries[:0])
	}
}

// process runs the handler on one batch and settles every message.
func (c *consumer) process(ctx context.Context, batch []jetstream.Msg, ds []bus.Delivery) []bus.Delivery {
	for _, m := range batch {
		d := bus.Delivery{Subject: m.Subject(), Data: m.Data(), Attempt: 1}
		if md, err := m.Metadata(); err == nil {
			d.Stream, d.Seq, d.Attempt, d.Published = md.Stream, md.Sequence.Stream, int(md.NumDelivered), md.Timestamp
		}
		if h := m.Headers(); h != nil {
			d.ID = h.Get(jetstream.MsgIDHeader)
		}
		if d.Attempt > 1 {
			c.b.st.redelivered.Add(1)
		}
		ds = append(ds, d)
	}
	c.b.st.delivered.Add(uint64(len(batch)))

	stop := c.keepAlive(batch)
	err := c.call(ctx, ds)
	stop()

	var pe *bus.PartialError
	switch {
	case err == nil:
		c.ackAll(batch)
	case errors.As(err, &pe):
		state := make([]byte, len(batch)) // 0 ack, 1 retry, 2 drop
		for _, i := range pe.Retry {
			if i >= 0 && i < len(batch) {
				state[i] = 1
			}
		}
		for _, i := range pe.Drop {
			if i >= 0 && i < len(batch) {
				state[i] = 2
			}
		}
		for i, m := range batch {
			switch state[i] {
			case 0:
				c.ack(m)
			case 1:
				c.nak(m, ds[i].Attempt)
			case 2:
				c.drop(m, ds[i], pe.Err)
			}
		}
		c.log.Warn("natsbus: handler failed on part of a batch", "retry", len(pe.Retry), "drop", len(pe.Drop), "err", pe.Err)
	default:
		for i, m := range batch {
			c.nak(m, ds[i].Attempt)
		}
		if ctx.Err() == nil {
			c.log.Warn("natsbus: handler failed, batch will be redelivered", "size", len(batch),
				"attempt", ds[0].Attempt, "retry_in", c.opts.BackoffFor(ds[0].Attempt), "err", err)
		}
	}
	// Do not keep payloads alive until the next batch.
	clear(ds)
	clear(batch)
	return ds
}

// call runs the handler, turning a panic into an error so one bad batch
// does not take the process down; the batch is redelivered.
func (c *consumer) call(ctx context.Context, ds []bus.Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("natsbus: handler panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("natsbus: handler panicked: %v", r)
		}
	}()
	return c.h(ctx, ds)
}

// keepAlive tells the server the batch is still being worked on while the
// handler runs, so AckWait does not expire under a slow handler. It uses a
// timer rather than a goroutine: most batches finish long before it fires.
func (c *consumer) keepAlive(batch []jetstream.Msg) (stop func()) {
	k := &keeper{batch: batch, every: c.opts.AckWait / 3}
	k.mu.Lock()
	k.t = time.AfterFunc(k.every, k.tick)
	k.mu.Unlock()
	return k.stop
}

type keeper struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
	batch   []jetstream.Msg
	every   time.Duration
}

func (k *keeper) tick() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	for _, m := range k.batch {
		_ = m.InProgress()
	}
	k.t.Reset(k.every)
}

// stop returns once no tick runs or will run, so the batch can be reused.
func (k *keeper) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	k.t.Stop()
}

func (c *consumer) ackAll(batch []jetstream.Msg) {
	for _, m := range batch {
		c.ack(m)
	}
}

func (c *consumer) ack(m jetstream.Msg) {
	if err := m.Ack(); err != nil {
		// The message will be redelivered after AckWait: at least once.
		c.log.Warn("natsbus: ack", "err", err)
		return
	}
	c.b.st.acked.Add(1)
}

func (c *consumer) nak(m jetstream.Msg, attempt int) {
	if err := m.NakWithDelay(c.opts.BackoffFor(attempt)); err != nil {
		c.log.Warn("natsbus: nak", "err", err)
		return
	}
	c.b.st.nacked.Add(1)
}

func (c *consumer) drop(m jetstream.Msg, d bus.Delivery, reason error) {
	if err := m.Term(); err != nil {
		c.log.Warn("natsbus: term", "err", err)
		return
	}
	c.b.st.dropped.Add(1)
	c.log.Error("natsbus: message dropped by handler", "subject", d.Subject, "seq", d.Seq, "id", d.ID, "reason", reason)
}
