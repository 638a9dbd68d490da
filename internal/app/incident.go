package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/web"
)

// maxEvidence bounds one evidence file (the web server bounds an upload
// request at 80 MiB).
const maxEvidence = 64 << 20

// openIncident opens the evidence directory under the data directory and
// starts the job that reminds, two hours before, of every legal deadline
// of a case: the reminder goes on the case's timeline and raises an alert.
func (a *App) openIncident(ctx context.Context) (web.CaseOptions, error) {
	ev, err := incident.OpenEvidence(filepath.Join(a.Config.DataDir, "evidence"), a.Store, maxEvidence)
	if err != nil {
		return web.CaseOptions{}, fmt.Errorf("app: %w", err)
	}
	a.closers = append(a.closers, ev.Close)
	r := &incident.Reminder{
		Store: a.Store, Log: a.Log.With("component", "incident"), Before: 2 * time.Hour,
		Notify: func(ctx context.Context, c store.CaseClock) error {
			now := time.Now().UTC()
			al := &store.Alert{TenantID: c.TenantID, Kind: store.AlertHealth, RuleID: "vedetta-case-clock",
				RuleTitle: "Legal reporting deadline", Severity: store.SeverityHigh,
				Title:       fmt.Sprintf("Reporting deadline %s/%s due %s", c.Regime, c.Stage, c.DeadlineAt.UTC().Format(time.RFC3339)),
				Description: "Case " + c.CaseID + ": the " + c.Stage + " report is due; see the case's legal deadlines.",
				DedupKey:    "case-clock:" + c.ID, Count: 1, FirstSeen: now, LastSeen: now}
			_, _, err := a.Store.UpsertAlert(ctx, al, time.Hour)
			return err
		},
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	a.closers = append(a.closers, func() error { cancel(); <-done; return nil })
	return web.CaseOptions{Evidence: ev}, nil
}
