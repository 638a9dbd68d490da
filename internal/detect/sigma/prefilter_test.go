package sigma

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// bruteMatch evaluates every rule's condition with no routing and no
// prefilter: the oracle for the indexed path.
func bruteMatch(m *Matcher, ev Event) []int {
	m.begin(ev)
	var out []int
	for _, r := range m.rs.rules {
		if r.det.cond.eval(m) {
			out = append(out, r.index)
		}
	}
	m.ev = nil
	return out
}

func indexes(rules []*Rule) []int {
	out := make([]int, 0, len(rules))
	for _, r := range rules {
		out = append(out, r.index)
	}
	slices.Sort(out)
	return out
}

// TestPrefilterExact checks on real Windows captures that the literal
// prefilter never loses a match: the indexed result equals brute force.
func TestPrefilterExact(t *testing.T) {
	dir := testenv.SharedData(t, "security-datasets/extracted")
	rs := sigmaHQRules(t)
	m := rs.NewMatcher()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	perFile := 120
	if testing.Short() {
		perFile = 50
	}
	events, matches := 0, 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for n := 0; n < perFile && sc.Scan(); n++ {
			var obj map[string]any
			if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			ev := Map(obj)
			want := bruteMatch(m, ev)
			got := indexes(m.Match(ev, AllSources))
			if !slices.Equal(got, want) {
				t.Errorf("%s event %d: indexed %v, brute force %v", filepath.Base(f), n, got, want)
			}
			events++
			matches += len(want)
		}
		fh.Close()
	}
	t.Logf("%d events, %d rule matches, identical with and without prefilter", events, matches)
	if matches == 0 {
		t.Error("no rule matched any event: the comparison proves nothing")
	}
}

// TestConcurrentMatchers shares one Ruleset between goroutines, each with
// its own Matcher (run with -race).
func TestConcurrentMatchers(t *testing.T) {
	rs := sigmaHQRules(t)
	events := processCreationEvents(t)
	want := make([][]int, len(events))
	m := rs.NewMatcher()
	for i, ev := range events {
		want[i] = indexes(m.Match(ev, RouteWindows(ev)))
	}
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			m := rs.NewMatcher()
			for k := range events {
				i := (k + g*37) % len(events)
				if got := indexes(m.Match(events[i], RouteWindows(events[i]))); !slices.Equal(got, want[i]) {
					errs <- fmt.Errorf("goroutine %d event %d: %v, want %v", g, i, got, want[i])
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestAnchoredPrefilter checks the prefix, suffix and whole-value walks of
// the prefilter against brute force, on values that differ in case, hold
// non-ASCII text (KELVIN SIGN folds to k) or are lists.
func TestAnchoredPrefilter(t *testing.T) {
	text := `title: ends
id: 00000000-0000-4000-8000-000000000001
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|endswith: ['\cmd.exe', '\kernel.exe', '.exe']
    condition: sel
---
title: starts
id: 00000000-0000-4000-8000-000000000002
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|startswith: ['c:\windows\', 'C:\Users\Public\']
    condition: sel
---
title: equals
id: 00000000-0000-4000-8000-000000000003
logsource: {product: windows, category: process_creation}
detection:
    sel:
        OriginalFileName: ['Cmd.Exe', 'kernel.exe', 'x']
    condition: sel
---
title: globs
id: 00000000-0000-4000-8000-000000000004
logsource: {product: windows, category: process_creation}
detection:
    sel1:
        CommandLine: 'powershell*-enc*'
    sel2:
        CommandLine: '*?script.ps1'
    condition: 1 of sel*
---
title: cased
id: 00000000-0000-4000-8000-000000000005
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|endswith|cased: '\Cmd.exe'
        OriginalFileName|cased: 'Cmd.Exe'
    condition: sel
---
title: all
id: 00000000-0000-4000-8000-000000000006
logsource: {product: windows, category: process_creation}
detection:
    sel:
        CommandLine|startswith|all: ['net', 'net user']
        CommandLine|endswith: ' /add'
    condition: sel
`
	rules, err := Parse([]byte(text), "anchored.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NewRuleset(rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	images := []any{"C:\\Windows\\System32\\CMD.EXE", "c:\\windows\\\u212Aernel.exe", "C:\\Users\\Public\\a.ps1",
		"C:\\x\\Cmd.exe", "cmd.exe", "", "C:\\WİNDOWS\\cmd.exe", []any{"a", "C:\\Windows\\x.exe"}, nil, 4.0}
	origs := []any{"Cmd.Exe", "CMD.EXE", "\u212Aernel.exe", "kernel.exe.bak", "X", "cmd.ex", []string{"y", "x"}}
	cmds := []any{"POWERSHELL -Enc abc", "powershell.exe", "run \u00e9script.ps1", "script.ps1", "xscript.ps1",
		"NET USER bob pw /ADD", "net user /add", "net /add", "net usex /add"}
	m := rs.NewMatcher()
	matches := 0
	for _, img := range images {
		for _, orig := range origs {
			for _, cmd := range cmds {
				ev := Map{"Image": img, "OriginalFileName": orig, "CommandLine": cmd}
				want := bruteMatch(m, ev)
				if got := indexes(m.Match(ev, AllSources)); !slices.Equal(got, want) {
					t.Errorf("%q: indexed %v, brute force %v", ev, got, want)
				}
				matches += len(want)
			}
		}
	}
	if matches == 0 {
		t.Error("nothing matched: the comparison proves nothing")
	}
	// Every rule must be reached through the anchored automata, not evaluated always.
	if st := rs.Stats(); st.Always != 0 {
		t.Errorf("%d rules evaluated always, want 0", st.Always)
	}
}
