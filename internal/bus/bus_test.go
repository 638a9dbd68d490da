package bus_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/bus"
)

func TestPublishError(t *testing.T) {
	full := fmt.Errorf("natsbus: publish x: %w", bus.ErrFull)
	e := &bus.PublishError{Errs: []error{nil, full, nil, full, bus.ErrUnavailable}}
	if diff := cmp.Diff([]int{1, 3, 4}, e.Failed()); diff != "" {
		t.Errorf("Failed (-want +got):\n%s", diff)
	}
	var err error = e
	if !errors.Is(err, bus.ErrFull) || !errors.Is(err, bus.ErrUnavailable) {
		t.Errorf("errors.Is does not see the reasons of %v", err)
	}
	if errors.Is(err, bus.ErrTooLarge) {
		t.Errorf("errors.Is(%v, ErrTooLarge) = true", err)
	}
	if got := len(e.Unwrap()); got != 2 {
		t.Errorf("Unwrap returned %d reasons, want 2 distinct", got)
	}
	if want := "bus: 3 of 5 messages not stored: natsbus: publish x: bus: stream full"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestPartialErrorUnwraps(t *testing.T) {
	cause := errors.New("constraint violated")
	var err error = &bus.PartialError{Retry: []int{1}, Err: cause}
	if !errors.Is(err, cause) {
		t.Errorf("PartialError does not unwrap to its cause")
	}
}

func TestConsumeOptionsDefaults(t *testing.T) {
	o := bus.ConsumeOptions{}.WithDefaults()
	if o.BatchSize != 256 || o.MaxAckPending != 1024 || o.AckWait != 30*time.Second || o.MaxDeliver != 0 {
		t.Errorf("defaults: %+v", o)
	}
	o = bus.ConsumeOptions{BatchSize: 500, MaxAckPending: 10, MaxDeliver: -3}.WithDefaults()
	if o.MaxAckPending != 500 || o.MaxDeliver != 0 {
		t.Errorf("MaxAckPending below BatchSize or negative MaxDeliver kept: %+v", o)
	}
	o = bus.ConsumeOptions{Backoff: []time.Duration{time.Second, 3 * time.Second}}
	tests := []struct {
		attempt int
		want    time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 3 * time.Second}, {9, 3 * time.Second}}
	for _, tt := range tests {
		if got := o.BackoffFor(tt.attempt); got != tt.want {
			t.Errorf("BackoffFor(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

func TestStreamConfigValidate(t *testing.T) {
	ok := bus.StreamConfig{Name: "S", Subjects: []string{"a.>"}, Durables: []bus.DurableConfig{{Name: "d"}}}
	tests := []struct {
		name   string
		mutate func(*bus.StreamConfig)
	}{
		{"no name", func(c *bus.StreamConfig) { c.Name = "" }},
		{"dot in name", func(c *bus.StreamConfig) { c.Name = "a.b" }},
		{"no subjects", func(c *bus.StreamConfig) { c.Subjects = nil }},
		{"negative bytes", func(c *bus.StreamConfig) { c.MaxBytes = -1 }},
		{"unknown retention", func(c *bus.StreamConfig) { c.Retention = 7 }},
		{"dup window over max age", func(c *bus.StreamConfig) { c.MaxAge = time.Minute; c.DuplicateWindow = time.Hour }},
		{"unnamed durable", func(c *bus.StreamConfig) { c.Durables = []bus.DurableConfig{{}} }},
		{"wildcard durable", func(c *bus.StreamConfig) { c.Durables = []bus.DurableConfig{{Name: "d*"}} }},
		{"durable twice", func(c *bus.StreamConfig) { c.Durables = []bus.DurableConfig{{Name: "d"}, {Name: "d"}} }},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			c.Durables = append([]bus.DurableConfig(nil), ok.Durables...)
			tt.mutate(&c)
			if err := c.Validate(); err == nil {
				t.Errorf("Validate accepted %+v", c)
			}
		})
	}
	for _, sc := range bus.DefaultStreams() {
		if err := sc.Validate(); err != nil {
			t.Errorf("default stream %s: %v", sc.Name, err)
		}
	}
}
