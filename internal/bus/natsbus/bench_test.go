package natsbus_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
)

const (
	benchBatch   = 256
	benchMsgSize = 1024
)

// openBench opens an embedded bus with one interest stream and one declared
// durable, so every published message is really stored.
func openBench(b *testing.B) (*natsbus.Bus, string) {
	b.Helper()
	const prefix = "bench"
	sc := bus.StreamConfig{
		Name:     "BENCH",
		Subjects: []string{prefix + ".>"},
		Durables: []bus.DurableConfig{{Name: "d"}},
	}
	nb, err := natsbus.OpenEmbedded(context.Background(), natsbus.Options{StoreDir: b.TempDir(), Streams: []bus.StreamConfig{sc}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = nb.Close() })
	return nb, prefix + ".events.t1.s1"
}

func benchMsgs(subject string) (batch []bus.Msg, setIDs func(round int)) {
	batch = make([]bus.Msg, benchBatch)
	payload := make([]byte, benchMsgSize)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	for i := range batch {
		batch[i] = bus.Msg{Subject: subject, Data: payload}
	}
	return batch, func(round int) {
		for i := range batch {
			batch[i].ID = fmt.Sprintf("%d-%d", round, i)
		}
	}
}

// BenchmarkPublishBatchEmbedded measures storing 1 KB messages in batches
// of 256 on the embedded file store (one op = one batch).
func BenchmarkPublishBatchEmbedded(b *testing.B) {
	nb, subj := openBench(b)
	batch, setIDs := benchMsgs(subj)
	ctx := context.Background()
	b.SetBytes(benchBatch * benchMsgSize)
	b.ReportAllocs()
	round := 0
	start := time.Now()
	for b.Loop() {
		round++
		setIDs(round)
		if err := nb.PublishBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(round*benchBatch)/time.Since(start).Seconds(), "msgs/s")
	if st := nb.Stats(); st.Published != uint64(round*benchBatch) {
		b.Fatalf("published %d, want %d", st.Published, round*benchBatch)
	}
}

// BenchmarkEndToEndEmbedded measures publish → consume → ack of 1 KB
// messages (batches of 256 on both sides), until every message is acked.
func BenchmarkEndToEndEmbedded(b *testing.B) {
	nb, subj := openBench(b)
	batch, setIDs := benchMsgs(subj)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var handled atomic.Int64
	progress := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- nb.Consume(ctx, "BENCH", "d", nil, func(_ context.Context, ds []bus.Delivery) error {
			handled.Add(int64(len(ds)))
			select {
			case progress <- struct{}{}:
			default:
			}
			return nil
		}, bus.ConsumeOptions{BatchSize: benchBatch})
	}()
	b.SetBytes(benchBatch * benchMsgSize)
	b.ReportAllocs()
	round := 0
	start := time.Now()
	for b.Loop() {
		round++
		setIDs(round)
		if err := nb.PublishBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	want := int64(round * benchBatch)
	timeout := time.After(time.Minute)
	for handled.Load() < want {
		select {
		case <-progress:
		case <-timeout:
			b.Fatalf("consumed %d of %d", handled.Load(), want)
		}
	}
	b.ReportMetric(float64(want)/time.Since(start).Seconds(), "msgs/s")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	// Acks are asynchronous; wait for the counters to catch up.
	for deadline := time.Now().Add(10 * time.Second); nb.Stats().Acked < uint64(want) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if st := nb.Stats(); st.Acked < uint64(want) {
		b.Fatalf("acked %d, want %d", st.Acked, want)
	}
}
