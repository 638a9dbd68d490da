package app

import (
	"context"
	"sync"
	"time"

	"github.com/vedetta-sec/vedetta/internal/pipeline"
)

// startPipeline runs the bus-to-store event writer and the retention job
// until Close. The writer is restarted after a failure (the consumer could
// not be set up, e.g. while an external NATS is unreachable), with a pause.
func (a *App) startPipeline(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	// Its own WaitGroup: a.wg also holds the housekeeping job, whose
	// context is cancelled only by a later closer (Close runs them in
	// reverse), so waiting on a.wg here would never return.
	var wg sync.WaitGroup
	a.closers = append(a.closers, func() error { cancel(); wg.Wait(); return nil })
	w := pipeline.NewEventWriter(a.Bus, a.Store, a.Log, pipeline.WriterOptions{Registerer: a.Registry})
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			err := w.Run(ctx)
			if ctx.Err() != nil {
				return
			}
			a.Log.Error("event writer stopped; restarting", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	}()
	r := pipeline.NewRetention(a.Store, a.Log, pipeline.RetentionOptions{})
	go func() {
		defer wg.Done()
		r.Run(ctx)
	}()
}
