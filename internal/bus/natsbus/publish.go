package natsbus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vedetta-sec/vedetta/internal/bus"
)

// Publish stores one message and waits for the acknowledgement.
func (b *Bus) Publish(ctx context.Context, subject, msgID string, data []byte) error {
	if b.isClosing() {
		return bus.ErrClosed
	}
	if err := bus.ValidateSubject(subject); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	var popts []jetstream.PublishOpt
	if msgID != "" {
		popts = append(popts, jetstream.WithMsgID(msgID))
	}
	ack, err := b.js.Publish(ctx, subject, data, popts...)
	if err != nil {
		return b.publishFailed(subject, err)
	}
	b.stored(ack)
	return nil
}

// PublishBatch pipelines msgs (up to Options.MaxPendingPublishes in
// flight) and waits for every acknowledgement. A message that could not be
// stored is reported in a *bus.PublishError; nothing is dropped silently.
func (b *Bus) PublishBatch(ctx context.Context, msgs []bus.Msg) error {
	if b.isClosing() {
		return bus.ErrClosed
	}
	if len(msgs) == 0 {
		return nil
	}
	var errs []error // allocated on the first failure
	fail := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(msgs))
		}
		errs[i] = err
	}
	window := b.opts.MaxPendingPublishes
	futures := make([]jetstream.PubAckFuture, min(window, len(msgs)))
	for start := 0; start < len(msgs); start += window {
		end := min(start+window, len(msgs))
		for i := start; i < end; i++ {
			futures[i-start] = nil
			m := msgs[i]
			if err := bus.ValidateSubject(m.Subject); err != nil {
				b.st.publishFails.Add(1)
				fail(i, err)
				continue
			}
			nm := &nats.Msg{Subject: m.Subject, Data: m.Data}
			if m.ID != "" {
				nm.Header = nats.Header{jetstream.MsgIDHeader: []string{m.ID}}
			}
			f, err := b.js.PublishMsgAsync(nm, jetstream.WithStallWait(b.opts.PublishTimeout))
			if err != nil {
				fail(i, b.publishFailed(m.Subject, err))
				continue
			}
			futures[i-start] = f
		}
		for i := start; i < end; i++ {
			f := futures[i-start]
			if f == nil {
				continue
			}
			select {
			case ack := <-f.Ok():
				b.stored(ack)
			case err := <-f.Err():
				fail(i, b.publishFailed(msgs[i].Subject, err))
			case <-ctx.Done():
				// Outcome unknown for the rest: they may still be stored.
				// A retry with the same ids is deduplicated.
				for j := i; j < len(msgs); j++ {
					if errs == nil || errs[j] == nil {
						b.st.publishFails.Add(1)
						fail(j, fmt.Errorf("%w: %w", bus.ErrUnavailable, ctx.Err()))
					}
				}
				return &bus.PublishError{Errs: errs}
			}
		}
	}
	if errs != nil {
		return &bus.PublishError{Errs: errs}
	}
	return nil
}

func (b *Bus) stored(ack *jetstream.PubAck) {
	if ack != nil && ack.Duplicate {
		b.st.duplicates.Add(1)
		return
	}
	b.st.published.Add(1)
}

// publishFailed counts a failed publish and maps err onto the bus
// sentinels, keeping the original in the chain.
func (b *Bus) publishFailed(subject string, err error) error {
	kind := classify(err)
	switch kind {
	case bus.ErrFull, bus.ErrTooLarge:
		b.st.refused.Add(1)
	default:
		b.st.publishFails.Add(1)
	}
	if kind == nil {
		return fmt.Errorf("natsbus: publish %s: %w", subject, err)
	}
	return fmt.Errorf("natsbus: publish %s: %w: %w", subject, kind, err)
}

// classify maps a NATS publish error onto a bus sentinel, or nil.
func classify(err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case 10077: // JSStreamStoreFailedF: "{err}" from the store
			d := apiErr.Description
			switch {
			case strings.Contains(d, "maximum messages"), strings.Contains(d, "maximum bytes"):
				return bus.ErrFull
			case strings.Contains(d, "too large"):
				return bus.ErrTooLarge
			}
		case 10023: // JSInsufficientResourcesErr: server storage limit
			return bus.ErrFull
		case 10054: // JSStreamMessageExceedsMaximumErr
			return bus.ErrTooLarge
		}
		if apiErr.Code == 503 {
			return bus.ErrUnavailable
		}
		return nil
	}
	switch {
	case errors.Is(err, nats.ErrMaxPayload):
		return bus.ErrTooLarge
	case errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrAsyncPublishTimeout),
		errors.Is(err, jetstream.ErrTooManyStalledMsgs),
		errors.Is(err, nats.ErrTimeout),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting):
		return bus.ErrUnavailable
	}
	return nil
}
