package natsbus

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/vedetta-sec/vedetta/internal/bus"
)

// Notify publishes an ephemeral notification on core NATS: not stored, at
// most once, lost if nobody listens.
func (b *Bus) Notify(subject string, data []byte) error {
	if b.isClosing() {
		return bus.ErrClosed
	}
	if err := bus.ValidateSubject(subject); err != nil {
		return err
	}
	if err := b.nc.Publish(subject, data); err != nil {
		if errors.Is(err, nats.ErrMaxPayload) {
			return fmt.Errorf("natsbus: notify %s: %w: %w", subject, bus.ErrTooLarge, err)
		}
		return fmt.Errorf("natsbus: notify %s: %w: %w", subject, bus.ErrUnavailable, err)
	}
	b.st.notified.Add(1)
	return nil
}

// Subscribe calls fn for each notification on subject (wildcards allowed),
// in order, on a goroutine owned by the subscription. If fn falls behind by
// more than 64k messages or 64 MiB, newer notifications are dropped and a
// warning is logged (they are ephemeral by contract).
func (b *Bus) Subscribe(subject string, fn func(subject string, data []byte)) (func(), error) {
	if b.isClosing() {
		return nil, bus.ErrClosed
	}
	if fn == nil {
		return nil, errors.New("natsbus: subscribe: nil handler")
	}
	sub, err := b.nc.Subscribe(subject, func(m *nats.Msg) { fn(m.Subject, m.Data) })
	if err != nil {
		return nil, fmt.Errorf("natsbus: subscribe %s: %w", subject, err)
	}
	if err := sub.SetPendingLimits(64*1024, 64<<20); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("natsbus: subscribe %s: %w", subject, err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}
