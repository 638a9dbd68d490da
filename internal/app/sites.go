package app

import (
	"context"

	"github.com/vedetta-sec/vedetta/internal/site/sitegeo"
)

// openSites starts the geo service of the site area: per-tenant zone
// indexes and the municipality boundaries, loaded from the store on first
// use. The web server invalidates a tenant's index when its zones change;
// later capabilities (AIS, alerts) query a.Geo on the event path.
func (a *App) openSites(ctx context.Context) error {
	a.Geo = sitegeo.New(a.Store, sitegeo.Options{Logger: a.Log})
	return nil
}
