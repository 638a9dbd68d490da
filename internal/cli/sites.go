package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/paulmach/orb"

	"github.com/vedetta-sec/vedetta/internal/geo"
	"github.com/vedetta-sec/vedetta/internal/site/assetcsv"
	"github.com/vedetta-sec/vedetta/internal/site/plan"
	"github.com/vedetta-sec/vedetta/internal/site/sitegeo"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// SiteCmd manages the asset inventory and the reference geography from the
// command line; sites and their plans are drawn in the web UI or sent to
// the API.
type SiteCmd struct {
	Boundaries   SiteBoundariesCmd   `cmd:"" help:"Load municipality boundaries (GeoJSON in the openpolis/geojson-italy layout), replacing the ones loaded before."`
	ImportAssets SiteImportAssetsCmd `cmd:"import-assets" help:"Import an asset CSV into a tenant: all rows or none."`
	ExportAssets SiteExportAssetsCmd `cmd:"export-assets" help:"Write a tenant's assets as CSV to standard output."`
	Locate       SiteLocateCmd       `cmd:"" help:"Tell which zones, site and municipality contain a point."`
}

// SiteBoundariesCmd loads municipality boundaries.
type SiteBoundariesCmd struct {
	configFlag
	Files []string `arg:"" type:"existingfile" help:"GeoJSON files of municipality boundaries (e.g. limits_P_11_municipalities.geojson)."`
}

// Run implements the command.
func (c *SiteBoundariesCmd) Run(g *Globals) error {
	var zones []geo.Zone
	for _, name := range c.Files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		zs, err := geo.LoadMunicipalities(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		zones = append(zones, zs...)
	}
	bs, err := plan.Boundaries(zones)
	if err != nil {
		return err
	}
	return withStore(g, c.configFlag, func(st store.Store) error {
		if err := st.ReplaceBoundaries(g.ctx, string(geo.ZoneMunicipality), bs); err != nil {
			return err
		}
		if err := auditCLI(g, st, "", "geo.boundaries_load", "boundaries:municipality", jsonDetail(map[string]any{"count": len(bs), "files": len(c.Files)})); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%d municipality boundaries loaded\n", len(bs))
		return nil
	})
}

// SiteImportAssetsCmd imports an asset CSV.
type SiteImportAssetsCmd struct {
	configFlag
	Tenant string `required:"" help:"Slug of the tenant."`
	File   string `arg:"" type:"existingfile" help:"CSV file (columns: see the assets page or internal/site/assetcsv)."`
}

// Run implements the command.
func (c *SiteImportAssetsCmd) Run(g *Globals) error {
	data, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	return withStore(g, c.configFlag, func(st store.Store) error {
		t, err := st.GetTenantBySlug(g.ctx, c.Tenant)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", c.Tenant, err)
		}
		as, err := assetcsv.Read(bytes.NewReader(data), assetcsv.Options{})
		var verr *assetcsv.ValidationError
		if errors.As(err, &verr) {
			for _, r := range verr.Rows {
				fmt.Fprintln(g.stderr, r.Error())
			}
			return fmt.Errorf("%s refused: %d rejected row(s), nothing imported", c.File, verr.Total)
		}
		if err != nil {
			return err
		}
		if err := st.ImportAssets(g.ctx, t.ID, as); err != nil {
			if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%s refused, nothing imported: %w", c.File, err)
			}
			return err
		}
		if err := auditCLI(g, st, t.ID, "asset.import", "assets", jsonDetail(map[string]any{"count": len(as), "via": "cli"})); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%d assets imported into %s\n", len(as), c.Tenant)
		return nil
	})
}

// SiteExportAssetsCmd writes a tenant's assets as CSV.
type SiteExportAssetsCmd struct {
	configFlag
	Tenant string `required:"" help:"Slug of the tenant."`
}

// Run implements the command.
func (c *SiteExportAssetsCmd) Run(g *Globals) error {
	return withStore(g, c.configFlag, func(st store.Store) error {
		t, err := st.GetTenantBySlug(g.ctx, c.Tenant)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", c.Tenant, err)
		}
		as, err := st.ListAssets(g.ctx, t.ID, store.AssetFilter{Limit: 10000})
		if err != nil {
			return err
		}
		if err := auditCLI(g, st, t.ID, "asset.export", "assets", jsonDetail(map[string]any{"count": len(as), "via": "cli"})); err != nil {
			return err
		}
		return assetcsv.Write(g.stdout, as)
	})
}

// SiteLocateCmd answers the event path's geographic question for a point.
type SiteLocateCmd struct {
	configFlag
	Tenant string  `required:"" help:"Slug of the tenant whose zones are searched."`
	Lat    float64 `required:"" help:"Latitude, decimal degrees (WGS84)."`
	Lon    float64 `required:"" help:"Longitude, decimal degrees (WGS84)."`
}

// Run implements the command.
func (c *SiteLocateCmd) Run(g *Globals) error {
	if err := geo.ValidatePoint(orb.Point{c.Lon, c.Lat}); err != nil {
		return err
	}
	return withStore(g, c.configFlag, func(st store.Store) error {
		t, err := st.GetTenantBySlug(g.ctx, c.Tenant)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", c.Tenant, err)
		}
		loc, err := sitegeo.New(st, sitegeo.Options{}).Locate(g.ctx, t.ID, orb.Point{c.Lon, c.Lat})
		if err != nil {
			return err
		}
		switch {
		case loc.Municipality.ID == "":
			fmt.Fprintln(g.stdout, "municipality: none loaded here")
		case loc.MunicipalityDistance > 0:
			fmt.Fprintf(g.stdout, "municipality: %s (%.0f m offshore)\n", loc.Municipality.Name, loc.MunicipalityDistance)
		default:
			fmt.Fprintf(g.stdout, "municipality: %s\n", loc.Municipality.Name)
		}
		if loc.SiteID != "" {
			if x, err := st.GetSite(g.ctx, t.ID, loc.SiteID); err == nil {
				fmt.Fprintf(g.stdout, "site: %s\n", x.Name)
			}
		}
		for _, z := range loc.Zones {
			fmt.Fprintf(g.stdout, "zone: %s (%s)\n", z.Name, z.Type)
		}
		return nil
	})
}
