package detect

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkProcess measures the engine's per-event work without storage:
// routing, Vedetta's rules and correlations, indicator and time rules, on
// a mix of normalised SSH, web and door events from many sources.
func BenchmarkProcess(b *testing.B) {
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, rome)
	var lines []string
	for i := range 200 {
		lines = append(lines, sshLines(fmt.Sprintf("198.51.%d.%d", i%7, i%251), 1, start.Add(time.Duration(i)*time.Second), 0)...)
	}
	evs := parse(b, "syslog", start.Add(time.Hour), lines...)
	var web []string
	for i := range 200 {
		web = append(web, accessLine(fmt.Sprintf("203.0.113.%d", i%200), fmt.Sprintf("/page/%d", i), 200+(i%3)*102, start.Add(time.Duration(i)*time.Second)))
	}
	evs = append(evs, parse(b, "access", start, web...)...)
	evs = append(evs, parse(b, "accesscontrol", start, doorLine("granted", "gate-1", start), doorLine("held_open", "gate-2", start))...)
	e, err := New(Config{Location: rome}, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev := evs[i%len(evs)]
		ev.ID = "" // every pass is new to the engine
		if _, err := e.Process(ctx, ev); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
}
