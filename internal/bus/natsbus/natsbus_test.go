package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
)

const waitLong = 20 * time.Second

func TestPublishBatchConsumeBatches(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.durables = []bus.DurableConfig{{Name: "store"}}
		b := e.open()
		subj := e.subject("tenant-a", "syslog-1")
		const n = 1000
		if err := b.PublishBatch(context.Background(), msgs(subj, "ev", n, 100)); err != nil {
			t.Fatalf("PublishBatch: %v", err)
		}
		c := newCollector()
		consume(t, b, e.stream, "store", nil, func(_ context.Context, batch []bus.Delivery) error {
			c.add(batch)
			return nil
		}, bus.ConsumeOptions{BatchSize: 100, Linger: 20 * time.Millisecond})
		c.waitFor(t, n, waitLong)

		c.mu.Lock()
		defer c.mu.Unlock()
		if c.total != n {
			t.Errorf("delivered %d, want %d", c.total, n)
		}
		var biggest int
		var lastSeq uint64
		for _, batch := range c.batches {
			if len(batch) > 100 {
				t.Errorf("batch of %d exceeds BatchSize 100", len(batch))
			}
			biggest = max(biggest, len(batch))
			for _, d := range batch {
				if d.Seq <= lastSeq {
					t.Errorf("seq %d after %d: not in stream order", d.Seq, lastSeq)
				}
				lastSeq = d.Seq
				if d.Subject != subj || d.Stream != e.stream || d.Attempt != 1 || d.Published.IsZero() {
					t.Errorf("delivery %+v: wrong metadata", d)
				}
				if want := d.ID; string(d.Data[:len(want)]) != want {
					t.Errorf("delivery %s carries %q", d.ID, d.Data[:len(want)])
				}
			}
		}
		if biggest < 2 {
			t.Errorf("largest batch has %d deliveries; the handler should receive batches", biggest)
		}
		for i := range n {
			if got := c.byID[fmt.Sprintf("ev-%d", i)]; got != 1 {
				t.Errorf("ev-%d delivered %d times, want 1", i, got)
			}
		}
		st := b.Stats()
		if st.Published != n || st.Delivered != n || st.Redelivered != 0 {
			t.Errorf("stats %+v: want %d published and delivered, no redelivery", st, n)
		}
	})
}

func TestRedeliveryAfterHandlerFailure(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.durables = []bus.DurableConfig{{Name: "d"}}
		b := e.open()
		subj := e.subject("t", "s")
		if err := b.PublishBatch(context.Background(), msgs(subj, "m", 5, 10)); err != nil {
			t.Fatal(err)
		}
		c := newCollector()
		var calls atomic.Int32
		consume(t, b, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
			c.add(batch)
			if calls.Add(1) == 1 {
				return errors.New("database down")
			}
			return nil
		}, bus.ConsumeOptions{BatchSize: 10, Linger: 100 * time.Millisecond, Backoff: []time.Duration{50 * time.Millisecond}})
		// First attempt (fails) + redelivery of the same messages.
		c.waitFor(t, 10, waitLong)
		time.Sleep(200 * time.Millisecond) // a wrong extra redelivery would show up here

		c.mu.Lock()
		defer c.mu.Unlock()
		want := map[string]int{"m-0": 2, "m-1": 2, "m-2": 2, "m-3": 2, "m-4": 2}
		if diff := cmp.Diff(want, c.byID); diff != "" {
			t.Errorf("deliveries per id (-want +got):\n%s", diff)
		}
		var attempts []int
		for _, batch := range c.batches {
			for _, d := range batch {
				attempts = append(attempts, d.Attempt)
			}
		}
		if diff := cmp.Diff([]int{1, 1, 1, 1, 1, 2, 2, 2, 2, 2}, attempts); diff != "" {
			t.Errorf("attempts (-want +got):\n%s", diff)
		}
		st := b.Stats()
		if st.Nacked != 5 || st.Redelivered != 5 || st.Acked != 5 {
			t.Errorf("stats %+v: want 5 nacked, 5 redelivered, 5 acked", st)
		}
	})
}

func TestPartialErrorRetriesAndDrops(t *testing.T) {
	e := newEnv(t, "embedded")
	e.durables = []bus.DurableConfig{{Name: "d"}}
	b := e.open()
	subj := e.subject("t", "s")
	if err := b.PublishBatch(context.Background(), msgs(subj, "m", 4, 10)); err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	consume(t, b, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
		c.add(batch)
		var pe bus.PartialError
		for i, d := range batch {
			switch {
			case d.ID == "m-1" && d.Attempt == 1:
				pe.Retry = append(pe.Retry, i)
			case d.ID == "m-2":
				pe.Drop = append(pe.Drop, i)
			}
		}
		if pe.Retry == nil && pe.Drop == nil {
			return nil
		}
		pe.Err = errors.New("bad input")
		return &pe
	}, bus.ConsumeOptions{BatchSize: 10, Linger: 100 * time.Millisecond, Backoff: []time.Duration{50 * time.Millisecond}})
	c.waitFor(t, 5, waitLong)
	time.Sleep(300 * time.Millisecond)

	c.mu.Lock()
	defer c.mu.Unlock()
	want := map[string]int{"m-0": 1, "m-1": 2, "m-2": 1, "m-3": 1}
	if diff := cmp.Diff(want, c.byID); diff != "" {
		t.Errorf("deliveries per id (-want +got):\n%s", diff)
	}
	st := b.Stats()
	if st.Acked != 3 || st.Nacked != 1 || st.Dropped != 1 {
		t.Errorf("stats %+v: want 3 acked, 1 nacked, 1 dropped", st)
	}
}

func TestDeduplicationByMessageID(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.durables = []bus.DurableConfig{{Name: "d"}}
		b := e.open()
		subj := e.subject("t", "s")
		ctx := context.Background()
		if err := b.Publish(ctx, subj, "event-1", []byte("first")); err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(ctx, subj, "event-1", []byte("retry")); err != nil {
			t.Fatal(err)
		}
		batch := []bus.Msg{
			{Subject: subj, ID: "event-1", Data: []byte("again")},
			{Subject: subj, ID: "event-2", Data: []byte("second")},
			{Subject: subj, ID: "event-2", Data: []byte("second again")},
		}
		if err := b.PublishBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		c := newCollector()
		consume(t, b, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
			c.add(batch)
			return nil
		}, bus.ConsumeOptions{})
		c.waitFor(t, 2, waitLong)
		time.Sleep(200 * time.Millisecond)

		c.mu.Lock()
		defer c.mu.Unlock()
		if diff := cmp.Diff(map[string]int{"event-1": 1, "event-2": 1}, c.byID); diff != "" {
			t.Errorf("deliveries per id (-want +got):\n%s", diff)
		}
		var got []string
		for _, batch := range c.batches {
			for _, d := range batch {
				got = append(got, string(d.Data))
			}
		}
		if diff := cmp.Diff([]string{"first", "second"}, got); diff != "" {
			t.Errorf("payloads (-want +got):\n%s", diff)
		}
		if st := b.Stats(); st.Published != 2 || st.Duplicates != 3 {
			t.Errorf("stats %+v: want 2 published, 3 duplicates", st)
		}
	})
}

func TestBackpressureStreamFull(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		sc := e.streamConfig()
		sc.Durables = []bus.DurableConfig{{Name: "d"}}
		sc.MaxMsgs = 10
		b := e.open(sc)
		subj := e.subject("t", "s")
		ctx := context.Background()

		const sent = 50
		err := b.PublishBatch(ctx, msgs(subj, "m", sent, 64))
		if !errors.Is(err, bus.ErrFull) {
			t.Fatalf("PublishBatch into a full stream: got %v, want ErrFull", err)
		}
		var pe *bus.PublishError
		if !errors.As(err, &pe) {
			t.Fatalf("error %T is not a *bus.PublishError", err)
		}
		refused := pe.Failed()
		for _, i := range refused {
			if !errors.Is(pe.Errs[i], bus.ErrFull) {
				t.Errorf("message %d: %v, want ErrFull", i, pe.Errs[i])
			}
		}
		if err := b.Publish(ctx, subj, "single", []byte("x")); !errors.Is(err, bus.ErrFull) {
			t.Errorf("Publish into a full stream: got %v, want ErrFull", err)
		}

		// Everything not refused is stored and consumable: nothing lost.
		c := newCollector()
		stop := consume(t, b, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
			c.add(batch)
			return nil
		}, bus.ConsumeOptions{})
		stored := sent - len(refused)
		c.waitFor(t, stored, waitLong)
		time.Sleep(200 * time.Millisecond)
		if got := c.count(); got+len(refused) != sent || got != 10 {
			t.Errorf("stored %d + refused %d, want 10 + 40 = %d", got, len(refused), sent)
		}
		c.mu.Lock()
		for _, i := range refused {
			if c.byID[fmt.Sprintf("m-%d", i)] != 0 {
				t.Errorf("refused message m-%d was delivered", i)
			}
		}
		c.mu.Unlock()
		st := b.Stats()
		if st.Published != 10 || st.Refused != 41 {
			t.Errorf("stats %+v: want 10 published, 41 refused", st)
		}
		if err := stop(); err != nil {
			t.Errorf("Consume returned %v", err)
		}

		// Once consumed and acknowledged, the space is free again.
		deadline := time.Now().Add(waitLong)
		for {
			err := b.Publish(ctx, subj, "after", []byte("x"))
			if err == nil {
				break
			}
			if !errors.Is(err, bus.ErrFull) || time.Now().After(deadline) {
				t.Fatalf("Publish after draining: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestMessagesSurviveRestart(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.durables = []bus.DurableConfig{{Name: "d"}}
		subj := e.subject("t", "s")
		ctx := context.Background()

		// Published before any Consume: the declared durable keeps them.
		b1 := e.open()
		if err := b1.PublishBatch(ctx, msgs(subj, "before", 100, 200)); err != nil {
			t.Fatal(err)
		}
		if err := b1.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := b1.Publish(ctx, subj, "x", nil); !errors.Is(err, bus.ErrClosed) {
			t.Errorf("Publish after Close: got %v, want ErrClosed", err)
		}

		// Restart: everything is still there; consume and acknowledge it.
		b2 := e.open()
		c := newCollector()
		stop := consume(t, b2, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
			c.add(batch)
			return nil
		}, bus.ConsumeOptions{BatchSize: 32})
		c.waitFor(t, 100, waitLong)
		if err := stop(); err != nil {
			t.Errorf("Consume: %v", err)
		}
		if err := b2.PublishBatch(ctx, msgs(subj, "while-down", 7, 200)); err != nil {
			t.Fatal(err)
		}
		if err := b2.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		// Second restart: the consumer resumes after what it acknowledged.
		b3 := e.open()
		c3 := newCollector()
		consume(t, b3, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
			c3.add(batch)
			return nil
		}, bus.ConsumeOptions{BatchSize: 32})
		c3.waitFor(t, 7, waitLong)
		time.Sleep(300 * time.Millisecond)
		c3.mu.Lock()
		defer c3.mu.Unlock()
		var ids []string
		for id, n := range c3.byID {
			if n != 1 {
				t.Errorf("%s delivered %d times after restart", id, n)
			}
			ids = append(ids, id)
		}
		sort.Strings(ids)
		want := []string{"while-down-0", "while-down-1", "while-down-2", "while-down-3", "while-down-4", "while-down-5", "while-down-6"}
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("delivered after restart (-want +got):\n%s", diff)
		}
	})
}

func TestSlowHandlerIsNotRedelivered(t *testing.T) {
	e := newEnv(t, "embedded")
	e.durables = []bus.DurableConfig{{Name: "d"}}
	b := e.open()
	if err := b.Publish(context.Background(), e.subject("t", "s"), "slow", []byte("x")); err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	consume(t, b, e.stream, "d", nil, func(ctx context.Context, batch []bus.Delivery) error {
		c.add(batch)
		if batch[0].Attempt == 1 {
			// Three times AckWait: keep-alives must hold the message.
			select {
			case <-time.After(1500 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}, bus.ConsumeOptions{AckWait: 500 * time.Millisecond})
	c.waitFor(t, 1, waitLong)
	time.Sleep(2 * time.Second)
	if got := c.count(); got != 1 {
		t.Errorf("delivered %d times, want 1 (slow handler must not trigger redelivery)", got)
	}
}

func TestConsumeStopsOnClose(t *testing.T) {
	e := newEnv(t, "embedded")
	e.durables = []bus.DurableConfig{{Name: "d"}}
	b := e.open()
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(context.Background(), e.stream, "d", nil, func(context.Context, []bus.Delivery) error { return nil }, bus.ConsumeOptions{})
	}()
	time.Sleep(100 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, bus.ErrClosed) {
			t.Errorf("Consume returned %v after Close", err)
		}
	case <-time.After(waitLong):
		t.Fatal("Consume did not return after Close")
	}
	if err := b.Consume(context.Background(), e.stream, "d", nil, func(context.Context, []bus.Delivery) error { return nil }, bus.ConsumeOptions{}); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("Consume on a closed bus: got %v, want ErrClosed", err)
	}
}

func TestPublishErrors(t *testing.T) {
	e := newEnv(t, "embedded")
	sc := e.streamConfig()
	sc.MaxMsgSize = 128
	sc.Durables = []bus.DurableConfig{{Name: "d"}}
	b := e.open(sc)
	ctx := context.Background()
	tests := []struct {
		name    string
		subject string
		data    []byte
		want    error
	}{
		{"wildcard subject", e.prefix + ".events.*", nil, bus.ErrInvalidSubject},
		{"empty token", e.prefix + "..x", nil, bus.ErrInvalidSubject},
		{"no stream for subject", "nowhere." + e.prefix, nil, bus.ErrUnavailable},
		{"too large for the stream", e.subject("t", "s"), make([]byte, 1024), bus.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := b.Publish(ctx, tt.subject, "", tt.data)
			if !errors.Is(err, tt.want) {
				t.Errorf("Publish: got %v, want %v", err, tt.want)
			}
			err = b.PublishBatch(ctx, []bus.Msg{{Subject: tt.subject, Data: tt.data}})
			if !errors.Is(err, tt.want) {
				t.Errorf("PublishBatch: got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNotifySubscribe(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		b := e.open()
		got := make(chan string, 10)
		unsub, err := b.Subscribe(e.prefix+".live.*.alerts", func(subject string, data []byte) {
			got <- subject + "=" + string(data)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Notify(e.prefix+".live.t1.alerts", []byte("a1")); err != nil {
			t.Fatal(err)
		}
		if err := b.Notify(e.prefix+".live.t1.events", []byte("not for us")); err != nil {
			t.Fatal(err)
		}
		if err := b.Notify(e.prefix+".live.t2.alerts", []byte("a2")); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{e.prefix + ".live.t1.alerts=a1", e.prefix + ".live.t2.alerts=a2"} {
			select {
			case g := <-got:
				if g != want {
					t.Errorf("got %q, want %q", g, want)
				}
			case <-time.After(waitLong):
				t.Fatalf("notification %q not received", want)
			}
		}
		unsub()
		unsub() // idempotent
		if err := b.Notify(e.prefix+".live.t1.alerts", []byte("late")); err != nil {
			t.Fatal(err)
		}
		select {
		case g := <-got:
			t.Errorf("received %q after unsubscribe", g)
		case <-time.After(100 * time.Millisecond):
		}
	})
}

func TestDefaultStreamsEmbedded(t *testing.T) {
	ctx := context.Background()
	b, err := natsbus.OpenEmbedded(ctx, natsbus.Options{StoreDir: t.TempDir()}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Publish(ctx, bus.EventSubject("tenant-1", "syslog"), "e1", []byte("{}")); err != nil {
		t.Errorf("publish event: %v", err)
	}
	if err := b.Publish(ctx, bus.AlertSubject("tenant-1"), "a1", []byte("{}")); err != nil {
		t.Errorf("publish alert: %v", err)
	}
	c := newCollector()
	consume(t, b, bus.StreamEvents, bus.ConsumerDetect, nil, func(_ context.Context, batch []bus.Delivery) error {
		c.add(batch)
		return nil
	}, bus.ConsumeOptions{})
	c.waitFor(t, 1, waitLong)
	tenant, source, err := bus.ParseEventSubject(c.batches[0][0].Subject)
	if err != nil || tenant != "tenant-1" || source != "syslog" {
		t.Errorf("ParseEventSubject = %q, %q, %v", tenant, source, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := natsbus.OpenEmbedded(ctx, natsbus.Options{}, nil); err == nil {
		t.Error("OpenEmbedded without StoreDir: no error")
	}
	if _, err := natsbus.OpenURL(ctx, "nats://127.0.0.1:1", natsbus.Options{}, nil); err == nil {
		t.Error("OpenURL to a closed port: no error")
	}
	bad := []bus.StreamConfig{{Name: "X"}}
	if _, err := natsbus.OpenEmbedded(ctx, natsbus.Options{StoreDir: t.TempDir(), Streams: bad}, nil); err == nil {
		t.Error("OpenEmbedded with a stream without subjects: no error")
	}
}

func TestInterestRetentionWaitsForEveryDurable(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		sc := e.streamConfig()
		sc.Durables = []bus.DurableConfig{{Name: "fast"}, {Name: "slow"}}
		sc.MaxMsgs = 5
		b := e.open(sc)
		subj := e.subject("t", "s")
		ctx := context.Background()
		if err := b.PublishBatch(ctx, msgs(subj, "a", 5, 10)); err != nil {
			t.Fatal(err)
		}
		fast := newCollector()
		consume(t, b, e.stream, "fast", nil, func(_ context.Context, batch []bus.Delivery) error {
			fast.add(batch)
			return nil
		}, bus.ConsumeOptions{})
		fast.waitFor(t, 5, waitLong)
		time.Sleep(100 * time.Millisecond) // let the acks land

		// "slow" has not consumed: the backlog is still full.
		if err := b.Publish(ctx, subj, "b-0", nil); !errors.Is(err, bus.ErrFull) {
			t.Fatalf("Publish while one durable lags: got %v, want ErrFull", err)
		}

		slow := newCollector()
		consume(t, b, e.stream, "slow", nil, func(_ context.Context, batch []bus.Delivery) error {
			slow.add(batch)
			return nil
		}, bus.ConsumeOptions{})
		slow.waitFor(t, 5, waitLong)
		deadline := time.Now().Add(waitLong)
		for {
			err := b.Publish(ctx, subj, "b-1", nil)
			if err == nil {
				break
			}
			if !errors.Is(err, bus.ErrFull) || time.Now().After(deadline) {
				t.Fatalf("Publish after both durables acked: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		fast.waitFor(t, 6, waitLong)
		slow.waitFor(t, 6, waitLong)
	})
}

func TestCloseDoesNotWaitForeverOnStuckHandler(t *testing.T) {
	e := newEnv(t, "embedded")
	e.durables = []bus.DurableConfig{{Name: "d"}}
	e.opts.ShutdownTimeout = 300 * time.Millisecond
	b := e.open()
	if err := b.Publish(context.Background(), e.subject("t", "s"), "stuck", []byte("x")); err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	go func() {
		_ = b.Consume(context.Background(), e.stream, "d", nil, func(context.Context, []bus.Delivery) error {
			close(entered)
			<-release // ignores ctx on purpose
			return nil
		}, bus.ConsumeOptions{AckWait: time.Second})
	}()
	select {
	case <-entered:
	case <-time.After(waitLong):
		t.Fatal("handler not called")
	}
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(waitLong):
		t.Fatal("Close blocked on a stuck handler")
	}

	// The unacknowledged message is delivered again after a restart.
	b2 := e.open()
	c := newCollector()
	consume(t, b2, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
		c.add(batch)
		return nil
	}, bus.ConsumeOptions{AckWait: time.Second})
	c.waitFor(t, 1, waitLong)
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.batches[0][0]; d.ID != "stuck" || d.Attempt != 2 {
		t.Errorf("redelivered %q attempt %d, want \"stuck\" attempt 2", d.ID, d.Attempt)
	}
}

func TestMaxAckPendingHoldsBackDelivery(t *testing.T) {
	e := newEnv(t, "embedded")
	e.durables = []bus.DurableConfig{{Name: "d"}}
	b := e.open()
	if err := b.PublishBatch(context.Background(), msgs(e.subject("t", "s"), "m", 12, 10)); err != nil {
		t.Fatal(err)
	}
	opts := bus.ConsumeOptions{BatchSize: 4, MaxAckPending: 4}
	release := make(chan struct{})
	first := newCollector()
	consume(t, b, e.stream, "d", nil, func(ctx context.Context, batch []bus.Delivery) error {
		first.add(batch)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, opts)
	first.waitFor(t, 1, waitLong)

	// A second worker on the same durable gets nothing while the first
	// holds MaxAckPending messages unacknowledged.
	second := newCollector()
	consume(t, b, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
		second.add(batch)
		return nil
	}, opts)
	time.Sleep(500 * time.Millisecond)
	if got := second.count(); got != 0 {
		t.Errorf("second worker received %d messages while %d were pending", got, opts.MaxAckPending)
	}
	close(release)
	deadline := time.After(waitLong)
	for first.count()+second.count() < 12 {
		select {
		case <-first.changed:
		case <-second.changed:
		case <-deadline:
			t.Fatalf("delivered %d + %d of 12 after release", first.count(), second.count())
		}
	}
}

func TestStreamsAreCreatedOrUpdatedAtOpen(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		sc := e.streamConfig()
		sc.Durables = []bus.DurableConfig{{Name: "d"}}
		sc.MaxMsgs = 10
		subj := e.subject("t", "s")
		ctx := context.Background()

		b1 := e.open(sc)
		if err := b1.PublishBatch(ctx, msgs(subj, "a", 15, 10)); !errors.Is(err, bus.ErrFull) {
			t.Fatalf("15 messages into MaxMsgs 10: got %v, want ErrFull", err)
		}
		if err := b1.Close(); err != nil {
			t.Fatal(err)
		}
		// Reopening with the same declaration is a no-op; with a larger
		// limit it updates the stream and keeps its messages.
		b2 := e.open(sc)
		if err := b2.Close(); err != nil {
			t.Fatal(err)
		}
		sc.MaxMsgs = 20
		b3 := e.open(sc)
		if err := b3.PublishBatch(ctx, msgs(subj, "b", 10, 10)); err != nil {
			t.Fatalf("after raising the limit: %v", err)
		}
		c := newCollector()
		consume(t, b3, e.stream, "d", nil, func(_ context.Context, batch []bus.Delivery) error {
			c.add(batch)
			return nil
		}, bus.ConsumeOptions{})
		c.waitFor(t, 20, waitLong)
	})
}
