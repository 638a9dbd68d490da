package app

import (
	"context"
	"sync"
	"time"

	"github.com/vedetta-sec/vedetta/internal/notify"
)

// startNotify runs the alert notifier (e-mail and webhook channels of the
// security dashboard) for as long as the app runs. It must always run: the
// ALERTS stream keeps every alert until the "alert-notify" consumer
// acknowledges it. A consumer failure is logged and retried.
func (a *App) startNotify(ctx context.Context) {
	n := notify.New(a.Store, a.Bus, a.Log, notify.Options{})
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			err := n.Run(ctx)
			if ctx.Err() != nil {
				return
			}
			a.Log.Error("notifier stopped; restarting", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	})
	a.closers = append(a.closers, func() error { cancel(); wg.Wait(); return nil })
}
