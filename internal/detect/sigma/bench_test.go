package sigma

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// cpuClock measures the process's CPU time, which on a shared machine is a
// steadier figure than wall time (other builds steal the core, not cycles).
type cpuClock struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: cpuNow()} }

// report adds cpu-ns/op and events/cpu-s (valid with -cpu=1: one busy thread).
func (c cpuClock) report(b *testing.B, n int) {
	d := cpuNow() - c.start
	if n == 0 || d <= 0 {
		return
	}
	b.ReportMetric(float64(d.Nanoseconds())/float64(n), "cpu-ns/op")
	b.ReportMetric(float64(n)/d.Seconds(), "events/cpu-s")
}

// processCreationEvents returns real Sysmon event 1 records: every one in
// the security-datasets captures plus those of SigmaHQ's regression data.
func processCreationEvents(tb testing.TB) []Map {
	tb.Helper()
	var out []Map
	dir := testenv.SharedData(tb, "security-datasets/extracted")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Bytes()
			if !strings.Contains(string(line), `"EventID":1,`) {
				continue
			}
			var obj map[string]any
			if json.Unmarshal(line, &obj) != nil {
				continue
			}
			if src := RouteWindows(Map(obj)); len(src.Categories) == 1 && src.Categories[0] == "process_creation" && len(src.Services) == 1 && src.Services[0] == "sysmon" {
				out = append(out, Map(obj))
			}
		}
		fh.Close()
	}
	root := testenv.SharedData(tb, "sigma/regression_data")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".json") {
			return err
		}
		for _, ev := range readEvents(tb, p) {
			if src := RouteWindows(ev); len(src.Categories) == 1 && src.Categories[0] == "process_creation" {
				out = append(out, ev)
			}
		}
		return nil
	})
	if len(out) == 0 {
		tb.Fatal("no process_creation events")
	}
	return out
}

func processCreationRules(tb testing.TB, limit int) *Ruleset {
	tb.Helper()
	dir := testenv.SharedData(tb, "sigma/rules/windows/process_creation")
	fsys := os.DirFS(dir)
	names, _ := fs.Glob(fsys, "*.yml")
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	var rules []*Rule
	for _, n := range names {
		data, _ := fs.ReadFile(fsys, n)
		rs, err := Parse(data, n, nil)
		if err != nil {
			tb.Fatalf("%s: %v", n, err)
		}
		rules = append(rules, rs...)
	}
	rs, err := NewRuleset(rules, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

func benchmarkProcessCreation(b *testing.B, limit int) {
	rs := processCreationRules(b, limit)
	events := processCreationEvents(b)
	m := rs.NewMatcher()
	size := 0
	for _, ev := range events {
		data, _ := json.Marshal(ev)
		size += len(data)
	}
	b.Logf("%d rules, %d events of %d B mean, stats %+v", len(rs.Rules()), len(events), size/len(events), rs.Stats())
	b.ReportAllocs()
	i, matches := 0, 0
	cpu := startCPU()
	for b.Loop() {
		ev := events[i%len(events)]
		matches += len(m.Match(ev, RouteWindows(ev)))
		i++
	}
	cpu.report(b, i)
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(matches)/float64(i), "matches/event")
	b.ReportMetric(float64(m.evals)/float64(i), "evals/event")
}

// BenchmarkW2ProcessCreation1183 is workload W2 of PERFORMANCE.md: all
// SigmaHQ process_creation rules against real ~1 KB Sysmon events.
func BenchmarkW2ProcessCreation1183(b *testing.B) { benchmarkProcessCreation(b, 0) }

// BenchmarkW2ProcessCreation100 uses the first 100 rule files.
func BenchmarkW2ProcessCreation100(b *testing.B) { benchmarkProcessCreation(b, 100) }

// BenchmarkCorrelation50KGroups feeds base-rule matches spread over 50,000
// group keys into an event_count correlation (the rsigma "50K group
// keys" workload); detection is done once beforehand.
func BenchmarkCorrelation50KGroups(b *testing.B) {
	text := `title: failed
name: failed
logsource: {product: windows, service: security}
detection:
    sel: {EventID: 4625}
    condition: sel
---
title: spray
correlation:
    type: event_count
    rules: [failed]
    group-by: [IpAddress, TargetUserName]
    timespan: 5m
    condition: {gte: 20}
`
	rules, err := Parse([]byte(text), "bench.yml", nil)
	if err != nil {
		b.Fatal(err)
	}
	rs, err := NewRuleset(rules, nil)
	if err != nil {
		b.Fatal(err)
	}
	const keys = 50000
	events := make([]Map, keys)
	for i := range events {
		events[i] = Map{"EventID": 4625.0, "IpAddress": "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250), "TargetUserName": "user" + strconv.Itoa(i%97)}
	}
	matched := []*Rule{rs.Rule("failed")}
	c := rs.NewCorrelator(CorrelatorConfig{})
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	i, fired := 0, 0
	cpu := startCPU()
	for b.Loop() {
		ts := start.Add(time.Duration(i) * time.Millisecond)
		fired += len(c.Process(events[i%keys], ts, matched))
		i++
	}
	cpu.report(b, i)
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(c.Groups()), "groups")
	_ = fired
}

// TestCorpusNoAllocs asserts that matching real Sysmon events against the
// whole SigmaHQ corpus, raw and as ECS, allocates nothing once warm.
func TestCorpusNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items)")
	}
	raw := sigmaHQRules(t)
	ecs, err := NewRuleset(raw.Rules(), &Config{Fields: ECSFields})
	if err != nil {
		t.Fatal(err)
	}
	events := processCreationEvents(t)
	ecsEvents := make([]ECS, len(events))
	for i, ev := range events {
		ecsEvents[i] = ECS{E: toECS(ev)}
	}
	mr, me := raw.NewMatcher(), ecs.NewMatcher()
	n := 0
	allocs := testing.AllocsPerRun(5, func() {
		for i, ev := range events {
			n += len(mr.Match(ev, RouteWindows(ev)))
			e := ecsEvents[i]
			n += len(me.Match(e, RouteECS(e)))
		}
	})
	if allocs != 0 {
		t.Errorf("%.0f allocations per pass over %d events, want 0", allocs, len(events))
	}
	if n == 0 {
		t.Error("nothing matched: the measurement covers no evaluation")
	}
}
