package ifc

import (
	"math"
	"testing"
)

// TestUTMInverse compares with PROJ 9.1.1 (cs2cs EPSG:4326 → EPSG:3263x).
func TestUTMInverse(t *testing.T) {
	tests := []struct {
		crs      string
		e, n     float64
		lat, lon float64
		tol      float64 // degrees
	}{
		{"EPSG:32633", 434225.0197, 4701161.5551, 42.46, 14.2, 1e-8},
		{"EPSG:32633", 378973.2522, 4830761.5361, 43.62, 13.5, 1e-8},
		{"EPSG:32633", 291181.0638, 5035298.7220, 45.44, 12.33, 1e-8},
		{"EPSG:32633", 798135.7814, 4450281.4506, 40.15, 18.5, 1e-8},
		{"EPSG:25833", 798135.7814, 4450281.4506, 40.15, 18.5, 1e-8},
		{"EPSG:6708", 798135.7814, 4450281.4506, 40.15, 18.5, 1e-8},
		{"EPSG:32632", 566432.7196, 4883314.5893, 44.10, 9.83, 1e-8},
		{"EPSG:25832", 760436.3369, 5037226.2170, 45.44, 12.33, 1e-8},
		{"urn:ogc:def:crs:EPSG::6707", 566432.7196, 4883314.5892, 44.10, 9.83, 1e-8},
		// 5 degrees outside zone 33: still within a metre.
		{"EPSG:32633", 86178.7076, 4895990.6468, 44.10, 9.83, 1e-5},
	}
	for _, tt := range tests {
		t.Run(tt.crs, func(t *testing.T) {
			zone, err := utmZone(tt.crs)
			if err != nil {
				t.Fatal(err)
			}
			p := utmInverse(zone, tt.e, tt.n)
			if math.Abs(p[0]-tt.lon) > tt.tol || math.Abs(p[1]-tt.lat) > tt.tol {
				t.Errorf("utmInverse(%d, %v, %v) = lat %.9f lon %.9f, want %v %v", zone, tt.e, tt.n, p[1], p[0], tt.lat, tt.lon)
			}
		})
	}
	for _, crs := range []string{"EPSG:3003", "EPSG:4326", "UTM33", "EPSG:x", ""} {
		if _, err := utmZone(crs); err == nil {
			t.Errorf("utmZone(%q) accepted", crs)
		}
	}
}
