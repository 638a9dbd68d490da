package ifc

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// utmZone returns the UTM zone number (northern hemisphere) of a projected
// CRS name such as "EPSG:32633", or an error for CRSs this package cannot
// invert. All supported CRSs use the WGS84 or GRS80 ellipsoid, which differ
// by less than a millimetre here; ETRS89 and RDN2008 are taken as WGS84
// (a few decimetres of plate drift, below building-scale accuracy).
func utmZone(crs string) (int, error) {
	name := strings.ToUpper(strings.TrimSpace(crs))
	name = strings.TrimPrefix(name, "URN:OGC:DEF:CRS:")
	name = strings.ReplaceAll(name, "::", ":")
	code, ok := strings.CutPrefix(name, "EPSG:")
	if !ok {
		return 0, fmt.Errorf("ifc: unsupported CRS %q", crs)
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		return 0, fmt.Errorf("ifc: unsupported CRS %q", crs)
	}
	switch {
	case n >= 32601 && n <= 32660: // WGS 84 / UTM zone nN
		return n - 32600, nil
	case n >= 25828 && n <= 25838: // ETRS89 / UTM zone nN
		return n - 25800, nil
	case n == 6707 || n == 6708: // RDN2008 / UTM zone 32N, 33N
		return n - 6707 + 32, nil
	case n == 7791 || n == 7792: // RDN2008 / UTM zone 32N, 33N (N-E)
		return n - 7791 + 32, nil
	}
	return 0, fmt.Errorf("ifc: unsupported CRS %q (only UTM north zones are supported)", crs)
}

// utmInverse converts UTM (northern hemisphere) easting/northing in metres
// to WGS84 [lon, lat] with Krüger's series to third order in n, accurate to
// millimetres within the zone.
func utmInverse(zone int, easting, northing float64) orb.Point {
	const (
		a  = 6378137.0
		f  = 1 / 298.257223563
		k0 = 0.9996
		e0 = 500000.0
	)
	n := f / (2 - f)
	n2, n3 := n*n, n*n*n
	A := a / (1 + n) * (1 + n2/4 + n2*n2/64)
	beta := [3]float64{n/2 - 2*n2/3 + 37*n3/96, n2/48 + n3/15, 17 * n3 / 480}
	delta := [3]float64{2*n - 2*n2/3 - 2*n3, 7*n2/3 - 8*n3/5, 56 * n3 / 15}
	xi := northing / (k0 * A)
	eta := (easting - e0) / (k0 * A)
	xiP, etaP := xi, eta
	for j := 1; j <= 3; j++ {
		jj := 2 * float64(j)
		xiP -= beta[j-1] * math.Sin(jj*xi) * math.Cosh(jj*eta)
		etaP -= beta[j-1] * math.Cos(jj*xi) * math.Sinh(jj*eta)
	}
	chi := math.Asin(math.Sin(xiP) / math.Cosh(etaP))
	phi := chi
	for j := 1; j <= 3; j++ {
		phi += delta[j-1] * math.Sin(2*float64(j)*chi)
	}
	lon0 := float64(zone*6 - 183)
	lam := math.Atan2(math.Sinh(etaP), math.Cos(xiP))
	return orb.Point{lon0 + lam*180/math.Pi, phi * 180 / math.Pi}
}
