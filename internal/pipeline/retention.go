package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// RetentionStore is what Retention needs of the store.
type RetentionStore interface {
	ListTenants(ctx context.Context) ([]store.Tenant, error)
	ListRetention(ctx context.Context, tenantID string) ([]store.Retention, error)
	DeleteEventsBefore(ctx context.Context, tenantID, category string, t time.Time, limit int) (int64, error)
	DeleteAlertsBefore(ctx context.Context, tenantID string, t time.Time, limit int) (int64, error)
}

// RetentionOptions tunes Retention. The zero value gives the defaults.
type RetentionOptions struct {
	// Interval between runs (default 1h). The first run starts at once.
	Interval time.Duration
	// Chunk is the most events deleted per transaction (default 5000), so
	// the event writer waits at most one chunk for the write lock.
	Chunk int
	// Pause between chunks (default 50ms; negative: none), leaving the
	// writer room.
	Pause time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Retention deletes events, and closed alerts, past their tenant's
// retention policy (store.RetentionKinds).
type Retention struct {
	st   RetentionStore
	log  *slog.Logger
	opts RetentionOptions
}

// NewRetention returns the retention job on st.
func NewRetention(st RetentionStore, logger *slog.Logger, opts RetentionOptions) *Retention {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Hour
	}
	if opts.Chunk <= 0 {
		opts.Chunk = 5000
	}
	if opts.Pause < 0 {
		opts.Pause = 0
	} else if opts.Pause == 0 {
		opts.Pause = 50 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Retention{st: st, log: logger.With("component", "retention"), opts: opts}
}

// Run runs RunOnce every Interval until ctx is done; failures are logged
// and retried at the next run.
func (r *Retention) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("retention run failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce applies every tenant's policies once and returns how many events
// and alerts it deleted. Events without a category are kept store.DefaultRetentionDays.
func (r *Retention) RunOnce(ctx context.Context) (int64, error) {
	tenants, err := r.st.ListTenants(ctx)
	if err != nil {
		return 0, fmt.Errorf("pipeline: retention: %w", err)
	}
	now := r.opts.Now()
	var total int64
	for _, tn := range tenants {
		pols, err := r.st.ListRetention(ctx, tn.ID)
		if err != nil {
			return total, fmt.Errorf("pipeline: retention of %s: %w", tn.ID, err)
		}
		pols = append(pols, store.Retention{TenantID: tn.ID, Category: "", Days: store.DefaultRetentionDays})
		for _, p := range pols {
			if p.Days <= 0 {
				continue
			}
			cut := now.AddDate(0, 0, -p.Days)
			del, what := func(limit int) (int64, error) {
				return r.st.DeleteEventsBefore(ctx, tn.ID, p.Category, cut, limit)
			}, "events past retention deleted"
			if p.Category == store.RetentionAlerts {
				del, what = func(limit int) (int64, error) {
					return r.st.DeleteAlertsBefore(ctx, tn.ID, cut, limit)
				}, "closed alerts past retention deleted"
			}
			n, err := r.purge(ctx, del)
			total += n
			if n > 0 {
				r.log.Info(what, "tenant", tn.Slug, "category", p.Category,
					"days", p.Days, "before", cut.UTC().Format(time.RFC3339), "count", n)
			}
			if err != nil {
				return total, fmt.Errorf("pipeline: retention of %s/%s: %w", tn.ID, p.Category, err)
			}
		}
	}
	return total, nil
}

// purge deletes in chunks until a chunk comes back short.
func (r *Retention) purge(ctx context.Context, del func(limit int) (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := del(r.opts.Chunk)
		total += n
		if err != nil || n < int64(r.opts.Chunk) {
			return total, err
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(r.opts.Pause):
		}
	}
}
