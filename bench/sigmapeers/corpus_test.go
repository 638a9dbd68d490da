package sigmapeers

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	sigmago "github.com/bradleyjkemp/sigma-go"

	"github.com/vedetta-sec/vedetta/internal/detect/sigma"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// TestMain points testenv.SharedData at ../shared/data beside the
// repository: this module's go.mod is two levels below the repository's.
func TestMain(m *testing.M) {
	if os.Getenv("VEDETTA_SHARED_DATA") == "" {
		if wd, err := os.Getwd(); err == nil {
			os.Setenv("VEDETTA_SHARED_DATA", filepath.Join(wd, "..", "..", "..", "shared", "data"))
		}
	}
	os.Exit(m.Run())
}

// record is one event of a capture with where it came from.
type record struct {
	File string
	Line int
	Ev   map[string]any
}

// windowsEvents reads every event of the Security-Datasets Windows
// captures (flat NXLog/winlogbeat JSON, one object per line).
func windowsEvents(tb testing.TB) []record {
	tb.Helper()
	dir := testenv.SharedData(tb, "security-datasets/extracted")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(files)
	var out []record
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		n := 0
		for sc.Scan() {
			n++
			var obj map[string]any
			if json.Unmarshal(sc.Bytes(), &obj) != nil {
				continue
			}
			out = append(out, record{File: filepath.Base(f), Line: n, Ev: obj})
		}
		fh.Close()
	}
	if len(out) == 0 {
		tb.Fatal("no events")
	}
	return out
}

// regressionEvents reads SigmaHQ's regression_data events (EVTX rendered
// as JSON, several objects per file), flattened to Sigma field names.
func regressionEvents(tb testing.TB) []record {
	tb.Helper()
	root := testenv.SharedData(tb, "sigma/regression_data")
	var out []record
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := json.NewDecoder(f)
		for n := 1; ; n++ {
			var obj map[string]any
			if dec.Decode(&obj) != nil {
				return nil
			}
			out = append(out, record{File: strings.TrimPrefix(p, root+"/"), Line: n, Ev: sigma.FlattenWindows(obj)})
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// processCreation keeps the Sysmon process-creation events (W2's input).
func processCreation(recs []record) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		src := sigma.RouteWindows(sigma.Map(r.Ev))
		if len(src.Services) == 1 && src.Services[0] == "sysmon" && len(src.Categories) == 1 && src.Categories[0] == "process_creation" {
			out = append(out, r.Ev)
		}
	}
	return out
}

// ruleFiles lists the .yml files of a SigmaHQ rule folder, sorted; limit
// > 0 keeps the first ones.
func ruleFiles(tb testing.TB, rel string, limit int) (string, []string) {
	tb.Helper()
	dir := testenv.SharedData(tb, rel)
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(names)
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	return dir, names
}

// ours compiles files with our engine (raw Windows field names).
func ours(tb testing.TB, files []string) (*sigma.Ruleset, int) {
	tb.Helper()
	var rules []*sigma.Rule
	failed := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		rs, err := sigma.Parse(data, f, nil)
		if err != nil {
			failed++
			continue
		}
		rules = append(rules, rs...)
	}
	rs, err := sigma.NewRuleset(rules, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return rs, failed
}

// sigmaGoRule is a rule parsed by sigma-go, with its file.
type sigmaGoRule struct {
	File string
	Rule sigmago.Rule
}

func parseSigmaGo(tb testing.TB, files []string) ([]sigmaGoRule, int) {
	tb.Helper()
	var out []sigmaGoRule
	failed := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		r, err := sigmago.ParseRule(data)
		if err != nil {
			failed++
			continue
		}
		out = append(out, sigmaGoRule{File: f, Rule: r})
	}
	return out, failed
}

// routes reports whether a rule's logsource fits an event's, the way our
// engine routes (every named logsource field must match).
func routes(ls sigmago.Logsource, src sigma.Source) bool {
	if ls.Product != "" && !strings.EqualFold(ls.Product, src.Product) {
		return false
	}
	if ls.Service != "" && !contains(src.Services, ls.Service) {
		return false
	}
	if ls.Category != "" && !contains(src.Categories, ls.Category) {
		return false
	}
	return true
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
