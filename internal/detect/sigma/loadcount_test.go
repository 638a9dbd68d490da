package sigma

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// reasonOf buckets a load error for the histogram.
func reasonOf(err error) string {
	for _, s := range []error{ErrUnknownModifier, ErrUnsupported, ErrUnresolvedPlaceholder, ErrCondition, ErrCorrelation, ErrInvalidRule} {
		if errors.Is(err, s) {
			msg := err.Error()
			if i := strings.LastIndex(msg, s.Error()+": "); i >= 0 {
				msg = msg[i+len(s.Error())+2:]
			}
			if len(msg) > 60 {
				msg = msg[:60]
			}
			return s.Error() + ": " + msg
		}
	}
	return "other: " + err.Error()
}

func TestLoadSigmaHQ(t *testing.T) {
	root := testenv.SharedData(t, "sigma")
	rs := sigmaHQRules(t)
	for _, tt := range []struct {
		dir     string
		minRate float64
	}{
		{"rules/windows", 0.98},
		{"rules/linux", 0.98},
		{"rules", 0.97},
		{"rules-threat-hunting", 0.97},
		{"rules-emerging-threats", 0.97},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			prefix := filepath.Join(root, tt.dir) + string(filepath.Separator)
			loaded := 0
			for _, r := range rs.Rules() {
				if strings.HasPrefix(r.File, prefix) {
					loaded++
				}
			}
			hist := map[string]int{}
			failed := 0
			for _, e := range corpusErrs {
				if strings.HasPrefix(e.File, prefix) {
					hist[reasonOf(e)]++
					failed++
					if testing.Verbose() {
						t.Log(e)
					}
				}
			}
			var keys []string
			for k := range hist {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return hist[keys[i]] > hist[keys[j]] })
			var b strings.Builder
			for _, k := range keys {
				fmt.Fprintf(&b, "\n  %4d %s", hist[k], k)
			}
			total := loaded + failed
			rate := float64(loaded) / float64(max(total, 1))
			t.Logf("%s: loaded %d of %d (%.2f%%); failures:%s", tt.dir, loaded, total, 100*rate, b.String())
			if total < 100 || rate < tt.minRate {
				t.Errorf("load rate %.4f of %d rules, want >= %.2f", rate, total, tt.minRate)
			}
		})
	}
	t.Logf("whole corpus compiled: %+v", rs.Stats())
}

// TestLoadPlaceholders loads SigmaHQ's placeholder rules: without values
// every |expand rule is rejected, with values they load.
func TestLoadPlaceholders(t *testing.T) {
	dir := testenv.SharedData(t, "sigma/rules-placeholder")
	rs, errs := LoadDir(dir, nil)
	for _, e := range errs {
		if !errors.Is(e, ErrUnresolvedPlaceholder) {
			t.Errorf("unexpected error %v", e)
		}
	}
	if len(errs) == 0 {
		t.Fatal("no rule needed a placeholder")
	}
	t.Logf("without placeholders: %d loaded, %d rejected", len(rs.Rules()), len(errs))
	// Each rule reports its first unknown placeholder: learn them all.
	ph := map[string][]string{}
	for round := 0; round < 10 && len(errs) > 0; round++ {
		for _, e := range errs {
			msg := e.Error()
			i := strings.Index(msg, "placeholder %")
			if i < 0 {
				t.Fatalf("unexpected error %v", e)
			}
			name := msg[i+len("placeholder %"):]
			name = name[:strings.IndexByte(name, '%')]
			ph[name] = []string{"value1", "value2*"}
		}
		rs, errs = LoadDir(dir, &Config{Placeholders: ph})
	}
	if len(errs) != 0 {
		t.Errorf("with placeholders: %v", errs)
	}
	t.Logf("with placeholders: %d loaded", len(rs.Rules()))
}
