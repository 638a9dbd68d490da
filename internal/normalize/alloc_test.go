package normalize

import (
	"testing"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// TestAllocBudgets pins the allocations per Parse of the hot parsers (a few
// above what was measured) so that a regression shows up in plain go test.
// Most remaining allocations are the boxing of string values into
// map[string]any, which the event model requires.
func TestAllocBudgets(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage and race instrumentation change allocations")
	}
	tests := []struct {
		format string
		line   []byte
		budget float64
	}{
		{"syslog5424", bench5424, 22},
		{"syslog3164", bench3164, 22},
		{"access", benchAccess, 21},
		{"windows", benchWindows, 85},
		{"cef", benchCEF, 48},
		{"frigate", benchFrigate, 54},
		{"accesscontrol", benchAC, 26},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			p, _ := New(tt.format, Options{})
			var ev event.Event
			if err := p.Parse(tt.line, &ev); err != nil {
				t.Fatal(err)
			}
			got := testing.AllocsPerRun(100, func() {
				if err := p.Parse(tt.line, &ev); err != nil {
					t.Fatal(err)
				}
			})
			t.Logf("%s: %.0f allocs per Parse (budget %.0f)", tt.format, got, tt.budget)
			if got > tt.budget {
				t.Errorf("%s: %.0f allocs per Parse, budget %.0f", tt.format, got, tt.budget)
			}
		})
	}
}
