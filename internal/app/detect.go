package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/detect/ioc"
)

// startDetect runs the detection engine on the EVENTS stream for as long as
// the app runs. It must always run: the stream keeps every event until the
// "detect" consumer acknowledges it, so without it ingestion would stop
// once the stream is full. A consumer failure is logged and retried.
func (a *App) startDetect(ctx context.Context) error {
	dc := a.Config.Detect
	cfg := detect.Config{RulesDirs: dc.RulesDirs, GroupWindow: time.Duration(dc.GroupWindow)}
	if dc.Timezone != "" {
		loc, err := time.LoadLocation(dc.Timezone)
		if err != nil {
			return fmt.Errorf("app: detect timezone: %w", err)
		}
		cfg.Location = loc
	}
	var err error
	if dc.NightHours != "" {
		if cfg.Night, err = detect.ParseHours(dc.NightHours); err != nil {
			return fmt.Errorf("app: %w", err)
		}
	}
	if dc.OpeningHours != "" {
		if cfg.Opening, err = detect.ParseHours(dc.OpeningHours); err != nil {
			return fmt.Errorf("app: %w", err)
		}
	}
	if dc.WarninglistsDir != "" {
		if cfg.Warninglists, err = ioc.LoadWarninglists(dc.WarninglistsDir); err != nil {
			return fmt.Errorf("app: detect warninglists: %w", err)
		}
	}
	eng, err := detect.New(cfg, a.Store, a.Bus, a.Log)
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			err := eng.Run(ctx)
			if ctx.Err() != nil {
				return
			}
			a.Log.Error("detection stopped; restarting", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	})
	a.closers = append(a.closers, func() error { cancel(); wg.Wait(); return nil })
	return nil
}
