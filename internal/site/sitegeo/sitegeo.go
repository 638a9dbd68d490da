// Package sitegeo answers the geographic questions of the event path per
// tenant: which of the tenant's zones contain a point, how far a point is
// from a zone, and which site and municipality a point is in. It keeps one
// geo.Index per tenant, loaded from the store on first use and reloaded
// after Invalidate (called by whoever changes a tenant's zones) or when
// older than MaxAge (changes made by another process), plus one shared
// index of municipality boundaries.
//
// Concurrency: a Service is safe for concurrent use. Queries on a loaded
// tenant never block on the store; a reload swaps the index atomically, so
// readers see either the old or the new zones.
package sitegeo

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/geo"
	"github.com/vedetta-sec/vedetta/internal/site/plan"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Source is what the service reads: the site part of store.Store.
type Source interface {
	ListFeatures(ctx context.Context, tenantID, siteID string) ([]store.SiteFeature, error)
	ListBoundaries(ctx context.Context, kind string) ([]store.Boundary, error)
}

// DefaultMaxAge is how long a tenant's index is trusted without an
// Invalidate.
const DefaultMaxAge = 5 * time.Minute

// Options configure a Service.
type Options struct {
	MaxAge time.Duration    // 0: DefaultMaxAge
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger
}

// Service holds the per-tenant zone indexes.
type Service struct {
	src    Source
	maxAge time.Duration
	now    func() time.Time
	log    *slog.Logger

	muni *geo.Index

	muniMu     sync.Mutex // held while loading boundaries
	muniLoaded time.Time  // zero until the first load

	mu      sync.Mutex // guards tenants; taken before a tenantIndex's mu
	tenants map[string]*tenantIndex
}

type tenantIndex struct {
	mu     sync.Mutex // held while loading
	ix     *geo.Index
	loaded time.Time
	stale  bool
}

// New returns a service reading from src. Municipalities are loaded by
// LoadBoundaries.
func New(src Source, opt Options) *Service {
	if opt.MaxAge <= 0 {
		opt.MaxAge = DefaultMaxAge
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	muni, _ := geo.NewIndex(nil)
	return &Service{src: src, maxAge: opt.MaxAge, now: opt.Now, log: opt.Logger.With("component", "sitegeo"),
		tenants: map[string]*tenantIndex{}, muni: muni}
}

// LoadBoundaries (re)loads the municipality boundaries from the store. A
// query loads them on first use and again after MaxAge, so calling it is
// needed only to see new boundaries at once.
func (s *Service) LoadBoundaries(ctx context.Context) error {
	s.muniMu.Lock()
	defer s.muniMu.Unlock()
	return s.loadBoundaries(ctx)
}

func (s *Service) loadBoundaries(ctx context.Context) error {
	bs, err := s.src.ListBoundaries(ctx, string(geo.ZoneMunicipality))
	if err != nil {
		return fmt.Errorf("sitegeo: boundaries: %w", err)
	}
	zs, err := plan.BoundaryZones(bs)
	if err != nil {
		return fmt.Errorf("sitegeo: boundaries: %w", err)
	}
	if err := s.muni.Reload(zs); err != nil {
		return fmt.Errorf("sitegeo: boundaries: %w", err)
	}
	s.muniLoaded = s.now()
	s.log.Info("municipality boundaries loaded", "count", len(zs))
	return nil
}

// boundaries returns the municipality index, loading it when never loaded
// or older than MaxAge; a failed reload keeps the previous boundaries.
func (s *Service) boundaries(ctx context.Context) (*geo.Index, error) {
	s.muniMu.Lock()
	defer s.muniMu.Unlock()
	if s.muniLoaded.IsZero() || s.now().Sub(s.muniLoaded) >= s.maxAge {
		if err := s.loadBoundaries(ctx); err != nil {
			if s.muniLoaded.IsZero() {
				return nil, err
			}
			s.log.Warn("boundary reload failed; keeping the previous ones", "err", err)
		}
	}
	return s.muni, nil
}

// Invalidate marks a tenant's index stale: the next query reloads it.
func (s *Service) Invalidate(tenantID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tenants[tenantID]; ok {
		t.mu.Lock()
		t.stale = true
		t.mu.Unlock()
	}
}

// Index returns the tenant's zone index, loading it when needed.
func (s *Service) Index(ctx context.Context, tenantID string) (*geo.Index, error) {
	s.mu.Lock()
	t, ok := s.tenants[tenantID]
	if !ok {
		t = &tenantIndex{}
		s.tenants[tenantID] = t
	}
	s.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ix != nil && !t.stale && s.now().Sub(t.loaded) < s.maxAge {
		return t.ix, nil
	}
	fs, err := s.src.ListFeatures(ctx, tenantID, "")
	if err != nil {
		if t.ix != nil {
			s.log.Warn("zone reload failed; keeping the previous zones", "tenant", tenantID, "err", err)
			return t.ix, nil
		}
		return nil, fmt.Errorf("sitegeo: load zones: %w", err)
	}
	zs, err := plan.Zones(fs)
	if err != nil {
		return nil, fmt.Errorf("sitegeo: load zones: %w", err)
	}
	if t.ix == nil {
		if t.ix, err = geo.NewIndex(zs); err != nil {
			return nil, fmt.Errorf("sitegeo: index zones: %w", err)
		}
	} else if err := t.ix.Reload(zs); err != nil {
		return nil, fmt.Errorf("sitegeo: index zones: %w", err)
	}
	t.loaded, t.stale = s.now(), false
	return t.ix, nil
}

// Containing returns the tenant's zones containing pt (WGS84 lon, lat).
func (s *Service) Containing(ctx context.Context, tenantID string, pt orb.Point) ([]geo.Zone, error) {
	ix, err := s.Index(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return ix.Containing(pt), nil
}

// DistanceTo returns the distance in metres from pt to a zone of the
// tenant (0 inside); the error wraps geo.ErrNotFound for an unknown zone.
func (s *Service) DistanceTo(ctx context.Context, tenantID string, pt orb.Point, zoneID string) (float64, error) {
	ix, err := s.Index(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	return ix.DistanceTo(pt, zoneID)
}

// Location is where a point is for one tenant.
type Location struct {
	// SiteID is the tenant's site whose smallest zone contains the point.
	SiteID string
	// Zones are the tenant's zones containing the point, smallest first.
	Zones []geo.Zone
	// Municipality is the municipality containing the point, or the
	// nearest one within the offshore tolerance (ID "" if none);
	// MunicipalityDistance is 0 inside it.
	Municipality         geo.Zone
	MunicipalityDistance float64
}

// Locate tells in which site, zones and municipality a point is.
func (s *Service) Locate(ctx context.Context, tenantID string, pt orb.Point) (Location, error) {
	ix, err := s.Index(ctx, tenantID)
	if err != nil {
		return Location{}, err
	}
	in := ix.Locate(pt)
	muni, err := s.boundaries(ctx)
	if err != nil {
		return Location{}, err
	}
	m := muni.Locate(pt)
	return Location{SiteID: in.SiteID, Zones: in.Zones, Municipality: m.Municipality, MunicipalityDistance: m.MunicipalityDistance}, nil
}
