package sigma

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
)

// Check loads every rule file under dir and writes one line per file or
// rule that cannot be loaded (file:line: reason), then a summary line. It
// returns the number of rules loaded and of load errors; err reports only
// a failure to write.
func Check(dir string, w io.Writer, cfg *Config) (loaded, failed int, err error) {
	rs, errs := LoadDir(dir, cfg)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].File < errs[j].File })
	bw := bufio.NewWriter(w)
	for _, e := range errs {
		fmt.Fprintln(bw, e.Error())
	}
	loaded = len(rs.Rules()) + len(rs.Correlations())
	fmt.Fprintf(bw, "%d rules loaded (%d correlations), %d failed\n", loaded, len(rs.Correlations()), len(errs))
	return loaded, len(errs), bw.Flush()
}

// TestMatch is one line of TestEvents output.
type TestMatch struct {
	RuleID     string   `json:"rule_id"`
	Title      string   `json:"title"`
	Level      string   `json:"level,omitempty"`
	EventIndex int      `json:"event_index"`
	Type       string   `json:"type,omitempty"`  // correlation type for correlation matches
	Group      []string `json:"group,omitempty"` // group-by values of a correlation match
	Value      *float64 `json:"value,omitempty"` // the correlation's compared figure
}

// TestEvents reads JSON objects from r (NDJSON or simply concatenated),
// matches each against rules and their correlations, and writes one JSON
// TestMatch line per match to w. Events in the EVTX-as-JSON shape are
// flattened (FlattenWindows). Routing: events with a Channel field route
// as raw Windows events, events with ECS keys (winlog.channel,
// event.category, host.os.type, log.syslog.*) through RouteECS, others
// reach every rule. Event time for correlations comes from the event
// (EventTime); an event without one reuses the previous event's time.
// Rules referenced by correlations without generate: true are not
// reported on their own.
func TestEvents(rules *Ruleset, r io.Reader, w io.Writer) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	m := rules.NewMatcher()
	corr := rules.NewCorrelator(CorrelatorConfig{})
	var last time.Time
	for i := 0; ; i++ {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bw.Flush()
			return fmt.Errorf("sigma: event %d: %w", i, err)
		}
		ev := Map(FlattenWindows(obj))
		matched := m.Match(ev, routeAny(ev))
		for _, rule := range matched {
			if !rules.Standalone(rule) {
				continue
			}
			if err := enc.Encode(TestMatch{RuleID: rule.ID, Title: rule.Title, Level: rule.Level, EventIndex: i}); err != nil {
				return fmt.Errorf("sigma: write: %w", err)
			}
		}
		if len(rules.corrs) == 0 {
			continue
		}
		if t, ok := EventTime(ev); ok {
			last = t
		}
		for _, cm := range corr.Process(ev, last, matched) {
			v := cm.Value
			tm := TestMatch{RuleID: cm.Rule.ID, Title: cm.Rule.Title, Level: cm.Rule.Level, EventIndex: i,
				Type: cm.Rule.Correlation.Type, Group: cm.Group, Value: &v}
			if err := enc.Encode(tm); err != nil {
				return fmt.Errorf("sigma: write: %w", err)
			}
		}
	}
	return bw.Flush()
}

// routeAny picks the routing for an event of unknown shape.
func routeAny(ev Map) Source {
	if _, ok := ev["Channel"]; ok {
		return RouteWindows(ev)
	}
	for _, k := range [...]string{"winlog.channel", "event.category", "host.os.type", "log.syslog.appname", "log.syslog.priority"} {
		if _, ok := ev.Get(k); ok {
			return RouteECS(ev)
		}
	}
	return AllSources
}
