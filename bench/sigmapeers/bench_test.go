package sigmapeers

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bradleyjkemp/sigma-go/evaluator"
	gsre "github.com/markuskont/go-sigma-rule-engine"

	"github.com/vedetta-sec/vedetta/internal/detect/sigma"
)

// cpuNow is the process's CPU time: on a shared machine a steadier figure
// than wall time.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds events/s (wall) and events/cpu-s; run with -cpu=1.
func report(b *testing.B, start time.Duration, n, matches int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	if d := cpuNow() - start; d > 0 && n > 0 {
		b.ReportMetric(float64(n)/d.Seconds(), "events/cpu-s")
	}
	if n > 0 {
		b.ReportMetric(float64(matches)/float64(n), "matches/event")
	}
}

const w2Rules = "sigma/rules/windows/process_creation"

// w2Events are the real Sysmon process-creation events of Security-Datasets
// and of SigmaHQ's regression data, decoded once.
func w2Events(b *testing.B) []map[string]any {
	b.Helper()
	return processCreation(append(windowsEvents(b), regressionEvents(b)...))
}

func benchOurs(b *testing.B, limit int) {
	_, files := ruleFiles(b, w2Rules, limit)
	rs, failed := ours(b, files)
	events := w2Events(b)
	m := rs.NewMatcher()
	b.Logf("ours: %d files, %d rules, %d failed; %d events", len(files), len(rs.Rules()), failed, len(events))
	b.ReportAllocs()
	i, matches := 0, 0
	start := cpuNow()
	for b.Loop() {
		ev := sigma.Map(events[i%len(events)])
		matches += len(m.Match(ev, sigma.RouteWindows(ev)))
		i++
	}
	report(b, start, i, matches)
}

// gsreEvent adapts a decoded event to go-sigma-rule-engine.
type gsreEvent map[string]any

func (e gsreEvent) Keywords() ([]string, bool) { return nil, false }

func (e gsreEvent) Select(key string) (any, bool) {
	v, ok := e[key]
	return v, ok
}

func benchGSRE(b *testing.B, limit int) {
	_, files := ruleFiles(b, w2Rules, limit)
	// The engine loads directories: give it exactly these files.
	dir := b.TempDir()
	for _, f := range files {
		if err := os.Symlink(f, filepath.Join(dir, filepath.Base(f))); err != nil {
			b.Fatal(err)
		}
	}
	rs, err := gsre.NewRuleset(gsre.Config{Directory: []string{dir}, NoCollapseWS: true})
	if err != nil {
		b.Fatal(err)
	}
	events := w2Events(b)
	b.Logf("go-sigma-rule-engine NoCollapseWS: %d files, %d rules ok, %d failed, %d unsupported; %d events", len(files), rs.Ok, rs.Failed, rs.Unsupported, len(events))
	b.ReportAllocs()
	i, matches := 0, 0
	start := cpuNow()
	for b.Loop() {
		res, _ := rs.EvalAll(gsreEvent(events[i%len(events)]))
		matches += len(res)
		i++
	}
	report(b, start, i, matches)
}

func benchSigmaGo(b *testing.B, limit int) {
	_, files := ruleFiles(b, w2Rules, limit)
	parsed, failed := parseSigmaGo(b, files)
	evs := make([]*evaluator.RuleEvaluator, len(parsed))
	for i, r := range parsed {
		evs[i] = evaluator.ForRule(r.Rule)
	}
	events := w2Events(b)
	b.Logf("sigma-go: %d files, %d parsed, %d failed; %d events", len(files), len(parsed), failed, len(events))
	ctx := context.Background()
	b.ReportAllocs()
	i, matches := 0, 0
	start := cpuNow()
	for b.Loop() {
		ev := events[i%len(events)]
		for _, r := range evs {
			if res, err := r.Matches(ctx, ev); err == nil && res.Match {
				matches++
			}
		}
		i++
	}
	report(b, start, i, matches)
}

// W2 with all 1,183 process_creation rule files.
func BenchmarkW2Ours1183(b *testing.B)    { benchOurs(b, 0) }
func BenchmarkW2GSRE1183(b *testing.B)    { benchGSRE(b, 0) }
func BenchmarkW2SigmaGo1183(b *testing.B) { benchSigmaGo(b, 0) }

// W2 with the first 100 rule files.
func BenchmarkW2Ours100(b *testing.B)    { benchOurs(b, 100) }
func BenchmarkW2GSRE100(b *testing.B)    { benchGSRE(b, 100) }
func BenchmarkW2SigmaGo100(b *testing.B) { benchSigmaGo(b, 100) }
