package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Implementations wrap them with %w, so callers test them
// with errors.Is.
var (
	// ErrFull reports that a stream is at its MaxBytes or MaxMsgs limit and
	// refused the message (discard-new policy). Receivers turn it into a
	// refusal with a reason ("backlog full, retry later"); the message was
	// not stored.
	ErrFull = errors.New("bus: stream full")
	// ErrTooLarge reports a message bigger than the stream or server allows.
	// Retrying the same message cannot succeed.
	ErrTooLarge = errors.New("bus: message too large")
	// ErrUnavailable reports that the bus could not be reached or did not
	// answer in time (no stream for the subject, no responders, timeout).
	// The message may or may not have been stored: retry it with the same
	// message id and deduplication keeps it single.
	ErrUnavailable = errors.New("bus: unavailable")
	// ErrInvalidSubject reports an empty subject, an empty token or a
	// wildcard where a concrete subject is needed.
	ErrInvalidSubject = errors.New("bus: invalid subject")
	// ErrClosed reports use of a closed bus.
	ErrClosed = errors.New("bus: closed")
)

// Bus is the seam between Vedetta's components and the message broker. It
// carries opaque bytes; encoding is the caller's business.
//
// All methods are safe for concurrent use. See the package documentation
// for the delivery guarantees.
type Bus interface {
	// Publish stores one message durably and returns once the broker has
	// acknowledged it. msgID, when not empty, deduplicates within the
	// stream's duplicate window: a second publish with the same id is
	// acknowledged but not stored again.
	Publish(ctx context.Context, subject, msgID string, data []byte) error

	// PublishBatch publishes msgs pipelined and returns only once every
	// message is acknowledged or has failed. On partial failure it returns
	// a *PublishError that says which messages were not stored; it matches
	// ErrFull (errors.Is) when any was refused because a stream is full.
	PublishBatch(ctx context.Context, msgs []Msg) error

	// Consume binds the durable consumer durable on stream (created or
	// updated idempotently, filtered on subjects; nil means the whole
	// stream) and calls h with batches of deliveries until ctx is done or
	// the bus is closed, when it returns nil after the batch in progress
	// is settled. It returns an error if the consumer cannot be set up or
	// is deleted while running.
	Consume(ctx context.Context, stream, durable string, subjects []string, h Handler, opts ConsumeOptions) error

	// Notify sends an ephemeral notification: at most once, not stored,
	// dropped when nobody listens or a listener is too slow.
	Notify(subject string, data []byte) error

	// Subscribe registers fn for ephemeral notifications on subject
	// (wildcards allowed). fn runs on one goroutine per subscription, in
	// order, and must not block for long. unsubscribe is idempotent.
	Subscribe(subject string, fn func(subject string, data []byte)) (unsubscribe func(), err error)

	// Stats returns a snapshot of the counters.
	Stats() Stats

	// Close stops the consumers (each settles its batch in progress),
	// flushes pending publishes and releases the broker connection (and
	// the embedded server, if any).
	Close() error
}

// Msg is one message to publish.
type Msg struct {
	Subject string
	// ID deduplicates the message (JetStream Nats-Msg-Id). Use the event
	// id, so that a retried publish is stored once.
	ID   string
	Data []byte
}

// Delivery is one message handed to a Handler.
type Delivery struct {
	Stream  string
	Subject string
	ID      string // the publisher's message id, if any
	Data    []byte
	// Seq is the message's sequence in the stream; it grows with publish
	// order.
	Seq uint64
	// Attempt is 1 on first delivery and grows on each redelivery.
	Attempt int
	// Published is when the stream stored the message.
	Published time.Time
}

// Handler processes a batch of deliveries. Returning nil acknowledges the
// whole batch; returning a *PartialError settles it message by message; any
// other error schedules the whole batch for redelivery after a backoff.
// The handler must be idempotent: a message may be delivered again (after a
// crash, a timeout or a failed acknowledgement).
//
// ctx is cancelled when Consume's context is done or the bus closes; the
// handler should then return promptly (an error is fine: the batch will be
// redelivered).
type Handler func(ctx context.Context, batch []Delivery) error

// PartialError lets a Handler settle a batch message by message. Indexes
// refer to the batch slice. Messages in neither list are acknowledged.
type PartialError struct {
	// Retry lists messages to redeliver after a backoff (transient failure).
	Retry []int
	// Drop lists messages that can never be processed (malformed, poison).
	// They are terminated: not redelivered, logged and counted as dropped.
	Drop []int
	// Err says why.
	Err error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("bus: partial batch failure (%d to retry, %d dropped): %v", len(e.Retry), len(e.Drop), e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

// PublishError reports which messages of a batch were not stored.
type PublishError struct {
	// Errs has one entry per message of the batch: nil when the message
	// was stored (or was a duplicate of a stored one), the reason otherwise.
	Errs []error
}

// Failed returns the indexes of the messages that were not stored.
func (e *PublishError) Failed() []int {
	var idx []int
	for i, err := range e.Errs {
		if err != nil {
			idx = append(idx, i)
		}
	}
	return idx
}

func (e *PublishError) Error() string {
	n, first := 0, error(nil)
	for _, err := range e.Errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	return fmt.Sprintf("bus: %d of %d messages not stored: %v", n, len(e.Errs), first)
}

// Unwrap returns the distinct reasons, so errors.Is(err, ErrFull) works.
func (e *PublishError) Unwrap() []error {
	var out []error
	seen := make(map[string]bool)
	for _, err := range e.Errs {
		if err == nil || seen[err.Error()] {
			continue
		}
		seen[err.Error()] = true
		out = append(out, err)
	}
	return out
}

// ConsumeOptions tunes a consumer. The zero value gives the defaults.
type ConsumeOptions struct {
	// BatchSize is the most deliveries per Handler call (default 256).
	BatchSize int
	// Linger is how long to wait for a batch to fill once its first
	// message arrived. Zero hands over what is already buffered at once.
	Linger time.Duration
	// MaxAckPending is the most messages delivered but not yet
	// acknowledged (default 4 × BatchSize). When reached, the broker stops
	// delivering: back-pressure on a slow handler; the backlog then stays
	// in the stream and, once the stream is full, publishers get ErrFull.
	MaxAckPending int
	// AckWait is how long the broker waits for an acknowledgement before
	// redelivering (default 30s). While the Handler runs, the consumer
	// tells the broker it is still working, so a slow batch is not
	// redelivered behind its back.
	AckWait time.Duration
	// Backoff gives the redelivery delay after the n-th failed attempt
	// (the last entry repeats). Default: 1s, 2s, 5s, 10s, 30s, 1m.
	Backoff []time.Duration
	// MaxDeliver caps the attempts per message; 0 means unlimited (the
	// default, so nothing is given up silently).
	MaxDeliver int
}

// defaultBackoff is the redelivery schedule used when ConsumeOptions.Backoff
// is empty.
var defaultBackoff = [...]time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute}

// WithDefaults returns o with zero fields set to their defaults.
func (o ConsumeOptions) WithDefaults() ConsumeOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.MaxAckPending <= 0 {
		o.MaxAckPending = 4 * o.BatchSize
	}
	if o.MaxAckPending < o.BatchSize {
		o.MaxAckPending = o.BatchSize
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if len(o.Backoff) == 0 {
		o.Backoff = append([]time.Duration(nil), defaultBackoff[:]...)
	}
	if o.MaxDeliver < 0 {
		o.MaxDeliver = 0
	}
	return o
}

// BackoffFor returns the delay before redelivering a message whose attempt
// number attempt (1-based) failed.
func (o ConsumeOptions) BackoffFor(attempt int) time.Duration {
	b := o.Backoff
	if len(b) == 0 {
		b = defaultBackoff[:]
	}
	i := attempt - 1
	if i < 0 {
		i = 0
	}
	if i >= len(b) {
		i = len(b) - 1
	}
	return b[i]
}

// Stats is a snapshot of a bus's counters since it was opened.
type Stats struct {
	Published    uint64 // messages stored
	Duplicates   uint64 // publishes acknowledged as duplicates (not stored again)
	Refused      uint64 // publishes refused because a stream was full or the message too large
	PublishFails uint64 // publishes that failed for another reason (unavailable, timeout)
	Delivered    uint64 // deliveries handed to handlers, redeliveries included
	Redelivered  uint64 // deliveries with Attempt > 1
	Acked        uint64 // deliveries acknowledged
	Nacked       uint64 // deliveries scheduled for redelivery after a handler failure
	Dropped      uint64 // deliveries terminated by a handler (PartialError.Drop)
	Notified     uint64 // ephemeral notifications sent
}

// ValidateSubject checks that subject is a concrete subject a message can
// be published on: non-empty dot-separated tokens, no whitespace, no
// wildcards.
func ValidateSubject(subject string) error {
	if subject == "" {
		return fmt.Errorf("%w: empty", ErrInvalidSubject)
	}
	for tok := range strings.SplitSeq(subject, ".") {
		if tok == "" {
			return fmt.Errorf("%w: empty token in %q", ErrInvalidSubject, subject)
		}
		if tok == "*" || tok == ">" {
			return fmt.Errorf("%w: wildcard in %q", ErrInvalidSubject, subject)
		}
		if strings.ContainsAny(tok, " \t\r\n\f\v") {
			return fmt.Errorf("%w: whitespace in %q", ErrInvalidSubject, subject)
		}
	}
	return nil
}
