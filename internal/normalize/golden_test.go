package normalize

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*/want.json")

// goldenOptions is testdata/golden/<case>/options.json.
type goldenOptions struct {
	Format   string            `json:"format"`
	FieldMap map[string]string `json:"field_map"`
	Category string            `json:"category"`
}

// goldenResult is one input line's outcome in want.json.
type goldenResult struct {
	Line      int            `json:"line"`
	Error     string         `json:"error,omitempty"`
	Timestamp string         `json:"@timestamp,omitempty"`
	Category  string         `json:"category,omitempty"`
	Fields    map[string]any `json:"fields,omitempty"`
}

// TestGolden parses testdata/golden/<case>/input.log with the case's options
// and compares every line's event (or error) with want.json. Run with
// -update to rewrite the files, then review the diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var o goldenOptions
			b, err := os.ReadFile(filepath.Join(dir, "options.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &o); err != nil {
				t.Fatal(err)
			}
			p, err := New(o.Format, Options{Now: func() time.Time { return now }, FieldMap: o.FieldMap, Category: o.Category, DropRaw: true})
			if err != nil {
				t.Fatal(err)
			}
			in, err := os.ReadFile(filepath.Join(dir, "input.log"))
			if err != nil {
				t.Fatal(err)
			}
			var got []goldenResult
			for i, line := range bytes.Split(bytes.TrimRight(in, "\n"), []byte("\n")) {
				var ev event.Event
				r := goldenResult{Line: i + 1}
				if err := p.Parse(line, &ev); err != nil {
					r.Error = err.Error()
				} else {
					checkValueTypes(t, &ev)
					r.Category = ev.Category
					r.Fields = ev.Fields
					if !ev.Observed.IsZero() {
						r.Timestamp = ev.Observed.UTC().Format(time.RFC3339Nano)
					}
				}
				got = append(got, r)
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			wantPath := filepath.Join(dir, "want.json")
			if *update {
				if err := os.WriteFile(wantPath, append(gotJSON, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantJSON, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			// Compare as generic JSON so int64/float64 and []string match.
			var g, w any
			if err := json.Unmarshal(gotJSON, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(wantJSON, &w); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
