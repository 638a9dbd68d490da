package bus

import (
	"errors"
	"fmt"
	"time"
)

// Stream names.
const (
	StreamEvents = "EVENTS"
	StreamAlerts = "ALERTS"
)

// Durable consumer names declared with the default streams.
const (
	ConsumerEventStore  = "event-store"  // writes events to the store
	ConsumerDetect      = "detect"       // runs detection on events
	ConsumerAlertNotify = "alert-notify" // notifies people of alerts
)

// Retention says when a stream may delete a message.
type Retention int

const (
	// RetainInterest keeps a message until every durable consumer of the
	// stream whose filter matches it has acknowledged it (or MaxAge passes).
	// The stream's limits then bound the unconsumed backlog: once consumers
	// fall that far behind, publishers get ErrFull. A message published
	// while no consumer matches it is not kept, so declare the durables
	// with the stream (StreamConfig.Durables).
	RetainInterest Retention = iota
	// RetainLimits keeps messages until MaxAge; acknowledged messages stay.
	// With discard-new, a full stream refuses publishes until messages age
	// out, so set MaxAge.
	RetainLimits
)

// StreamConfig declares a stream. Implementations create it, or update it
// to match, when the bus opens. Streams always discard new messages when
// full, so a publish that cannot be stored fails (ErrFull) instead of
// silently evicting older data.
type StreamConfig struct {
	Name     string
	Subjects []string
	// Retention defaults to RetainInterest.
	Retention Retention
	// MaxBytes and MaxMsgs bound the stream (0: unlimited).
	MaxBytes int64
	MaxMsgs  int64
	// MaxMsgSize bounds one message (0: the server's max payload).
	MaxMsgSize int32
	// MaxAge deletes older messages, consumed or not (0: never).
	MaxAge time.Duration
	// DuplicateWindow is how long message ids are remembered for
	// deduplication (default 10 minutes).
	DuplicateWindow time.Duration
	// Memory keeps the stream in memory instead of files (tests, caches).
	Memory bool
	// Replicas is the replication factor in a cluster (default 1).
	Replicas int
	// Durables are the durable consumers created with the stream, so that
	// an interest stream keeps what is published before their first
	// Consume call (e.g. after a fresh install). Consume updates their
	// tuning; their filter subjects must match what Consume passes.
	Durables []DurableConfig
}

// DurableConfig declares a durable consumer.
type DurableConfig struct {
	Name string
	// Subjects filters the stream (nil: every subject of the stream).
	// More than one subject needs NATS server 2.10 or later.
	Subjects []string
}

// DefaultDuplicateWindow is the deduplication window when
// StreamConfig.DuplicateWindow is zero.
const DefaultDuplicateWindow = 10 * time.Minute

// DefaultStreams returns Vedetta's streams: EVENTS (file storage, 1 GiB of
// unconsumed backlog, consumed by the event store and detection) and ALERTS
// (file storage, 256 MiB, consumed by the alert store and notification).
// Adjust the returned values before opening the bus to change limits.
func DefaultStreams() []StreamConfig {
	return []StreamConfig{
		{
			Name:     StreamEvents,
			Subjects: []string{AllEvents},
			MaxBytes: 1 << 30,
			Durables: []DurableConfig{{Name: ConsumerEventStore}, {Name: ConsumerDetect}},
		},
		{
			Name:     StreamAlerts,
			Subjects: []string{AllAlerts},
			MaxBytes: 256 << 20,
			// Detection stores alerts itself (store.UpsertAlert) before
			// publishing them, so the stream's only reader is the notifier.
			Durables: []DurableConfig{{Name: ConsumerAlertNotify}},
		},
	}
}

// Validate checks the declaration.
func (c StreamConfig) Validate() error {
	if c.Name == "" {
		return errors.New("bus: stream without a name")
	}
	if !validName(c.Name) {
		return fmt.Errorf("bus: stream name %q: only letters, digits, '-' and '_'", c.Name)
	}
	if len(c.Subjects) == 0 {
		return fmt.Errorf("bus: stream %s: no subjects", c.Name)
	}
	if c.MaxBytes < 0 || c.MaxMsgs < 0 || c.MaxMsgSize < 0 || c.MaxAge < 0 || c.DuplicateWindow < 0 || c.Replicas < 0 {
		return fmt.Errorf("bus: stream %s: negative limit", c.Name)
	}
	if c.Retention != RetainInterest && c.Retention != RetainLimits {
		return fmt.Errorf("bus: stream %s: unknown retention %d", c.Name, c.Retention)
	}
	if c.MaxAge > 0 && c.DuplicateWindow > c.MaxAge {
		return fmt.Errorf("bus: stream %s: duplicate window %v exceeds max age %v", c.Name, c.DuplicateWindow, c.MaxAge)
	}
	seen := make(map[string]bool)
	for _, d := range c.Durables {
		if d.Name == "" {
			return fmt.Errorf("bus: stream %s: durable without a name", c.Name)
		}
		if !validName(d.Name) {
			return fmt.Errorf("bus: stream %s: durable name %q: only letters, digits, '-' and '_'", c.Name, d.Name)
		}
		if seen[d.Name] {
			return fmt.Errorf("bus: stream %s: durable %s declared twice", c.Name, d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// validName reports whether s is a safe stream or consumer name.
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte(s[i]) {
			return false
		}
	}
	return s != ""
}
