package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// specExample is the specification's "failed logins followed by a
// successful login" example, verbatim in structure.
const specExample = `title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
`

type corrEvent struct {
	at time.Duration
	ev Map
}

// runCorrelation feeds events through matcher and correlator and returns
// the titles that fired, with the event index.
func runCorrelation(t *testing.T, text string, cfg CorrelatorConfig, events []corrEvent) []string {
	t.Helper()
	rules, err := Parse([]byte(text), "corr.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NewRuleset(rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, c := rs.NewMatcher(), rs.NewCorrelator(cfg)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var fired []string
	for i, e := range events {
		for _, cm := range c.Process(e.ev, base.Add(e.at), m.Match(e.ev, AllSources)) {
			fired = append(fired, strconv.Itoa(i)+":"+cm.Rule.Title+"["+strings.Join(cm.Group, ",")+"]="+strconv.FormatFloat(cm.Value, 'f', -1, 64))
		}
	}
	return fired
}

func failures(user string, n int, start, step time.Duration) []corrEvent {
	var out []corrEvent
	for i := range n {
		out = append(out, corrEvent{start + time.Duration(i)*step, Map{"EventID": 4625.0, "User": user}})
	}
	return out
}

func TestCorrelationSpecExample(t *testing.T) {
	ok := append(failures("bob", 10, 0, time.Second), corrEvent{20 * time.Second, Map{"EventID": 4624.0, "User": "bob"}})
	got := runCorrelation(t, specExample, CorrelatorConfig{}, ok)
	want := []string{"9:Multiple failed logons[bob]=10", "10:Correlation - Multiple Failed Logins Followed by Successful Login[bob]=2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("fired %v, want %v", got, want)
	}
	tests := []struct {
		name   string
		events []corrEvent
	}{
		{"nine failures", append(failures("bob", 9, 0, time.Second), corrEvent{20 * time.Second, Map{"EventID": 4624.0, "User": "bob"}})},
		{"success by another user", append(failures("bob", 10, 0, time.Second), corrEvent{20 * time.Second, Map{"EventID": 4624.0, "User": "eve"}})},
		{"success too late", append(failures("bob", 10, 0, time.Second), corrEvent{11 * time.Minute, Map{"EventID": 4624.0, "User": "bob"}})},
		{"success before failures", append([]corrEvent{{0, Map{"EventID": 4624.0, "User": "bob"}}}, failures("bob", 10, time.Second, time.Second)...)},
		{"failures spread beyond window", failures("bob", 10, 0, 2*time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range runCorrelation(t, specExample, CorrelatorConfig{}, tt.events) {
				if strings.Contains(f, "Followed by") {
					t.Errorf("fired %s", f)
				}
			}
		})
	}
}

func TestCorrelationTypes(t *testing.T) {
	const base = `title: base
name: base
logsource: {product: test}
detection:
    sel: {Kind: hit}
    condition: sel
---
title: other
name: other
logsource: {product: test}
detection:
    sel: {Kind: other}
    condition: sel
---
title: third
name: third
logsource: {product: test}
detection:
    sel: {Kind: third}
    condition: sel
---
`
	ev := func(at time.Duration, kind, host string, kv ...string) corrEvent {
		m := Map{"Kind": kind, "Host": host}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return corrEvent{at, m}
	}
	tests := []struct {
		name   string
		corr   string
		events []corrEvent
		want   string
	}{
		{"event_count gte", "type: event_count\n    rules: [base]\n    group-by: [Host]\n    timespan: 1m\n    condition: {gte: 3}",
			[]corrEvent{ev(0, "hit", "a"), ev(time.Second, "hit", "b"), ev(2*time.Second, "hit", "a"), ev(3*time.Second, "hit", "a")}, "3:c[a]=3"},
		{"event_count sliding window", "type: event_count\n    rules: [base]\n    group-by: [Host]\n    timespan: 10s\n    condition: {gte: 3}",
			[]corrEvent{ev(0, "hit", "a"), ev(8*time.Second, "hit", "a"), ev(15*time.Second, "hit", "a"), ev(17*time.Second, "hit", "a")}, "3:c[a]=3"},
		{"event_count range", "type: event_count\n    rules: [base]\n    timespan: 1m\n    condition: {gt: 1, lte: 2}",
			[]corrEvent{ev(0, "hit", "a"), ev(time.Second, "hit", "b")}, "1:c[]=2"},
		{"event_count eq reset after fire", "type: event_count\n    rules: [base]\n    group-by: [Host]\n    timespan: 1m\n    condition: {eq: 2}",
			[]corrEvent{ev(0, "hit", "a"), ev(1, "hit", "a"), ev(2, "hit", "a"), ev(3, "hit", "a")}, "1:c[a]=2|3:c[a]=2"},
		{"event_count neq", "type: event_count\n    rules: [base]\n    group-by: [Host]\n    timespan: 1m\n    condition: {neq: 1}",
			[]corrEvent{ev(0, "hit", "a"), ev(1, "hit", "a")}, "1:c[a]=2"},
		{"event_count missing group field", "type: event_count\n    rules: [base]\n    group-by: [Nope]\n    timespan: 1m\n    condition: {gte: 1}",
			[]corrEvent{ev(0, "hit", "a")}, ""},
		{"value_count", "type: value_count\n    rules: [base]\n    group-by: [Host]\n    timespan: 1m\n    condition: {field: User, gte: 3}",
			[]corrEvent{ev(0, "hit", "a", "User", "u1"), ev(1, "hit", "a", "User", "u1"), ev(2, "hit", "a", "User", "u2"), ev(3, "hit", "a", "User", "u3")}, "3:c[a]=3"},
		{"value_count expiry", "type: value_count\n    rules: [base]\n    group-by: [Host]\n    timespan: 5s\n    condition: {field: User, gte: 2}",
			[]corrEvent{ev(0, "hit", "a", "User", "u1"), ev(10*time.Second, "hit", "a", "User", "u2")}, ""},
		{"value_sum", "type: value_sum\n    rules: [base]\n    group-by: [Host]\n    timespan: 1h\n    condition: {field: Bytes, gt: 1000}",
			[]corrEvent{ev(0, "hit", "a", "Bytes", "600"), ev(1, "hit", "a", "Bytes", "500")}, "1:c[a]=1100"},
		{"value_avg", "type: value_avg\n    rules: [base]\n    group-by: [Host]\n    timespan: 1h\n    condition: {field: Bytes, gt: 500}",
			[]corrEvent{ev(0, "hit", "a", "Bytes", "100"), ev(1, "hit", "a", "Bytes", "1200")}, "1:c[a]=650"},
		{"value_percentile rare value", "type: value_percentile\n    rules: [base]\n    group-by: [Host]\n    timespan: 1h\n    condition: {field: Image, lte: 25}",
			[]corrEvent{ev(0, "hit", "a", "Image", "x"), ev(1, "hit", "a", "Image", "x"), ev(2, "hit", "a", "Image", "x"), ev(3, "hit", "a", "Image", "rare")}, "3:c[a]=25"},
		{"temporal any order", "type: temporal\n    rules: [base, other, third]\n    group-by: [Host]\n    timespan: 1m",
			[]corrEvent{ev(0, "third", "a"), ev(1, "hit", "a"), ev(2, "other", "b"), ev(3, "other", "a")}, "3:c[a]=3"},
		{"temporal window", "type: temporal\n    rules: [base, other]\n    group-by: [Host]\n    timespan: 10s",
			[]corrEvent{ev(0, "hit", "a"), ev(20*time.Second, "other", "a")}, ""},
		{"temporal condition two of three", "type: temporal\n    rules: [base, other, third]\n    timespan: 10s\n    condition: {gte: 2}",
			[]corrEvent{ev(0, "hit", "a"), ev(1, "third", "a")}, "1:c[]=2"},
		{"temporal_ordered in order", "type: temporal_ordered\n    rules: [base, other, third]\n    group-by: [Host]\n    timespan: 1m",
			[]corrEvent{ev(0, "hit", "a"), ev(1, "other", "a"), ev(2, "third", "a")}, "2:c[a]=3"},
		{"temporal_ordered out of order", "type: temporal_ordered\n    rules: [base, other, third]\n    group-by: [Host]\n    timespan: 1m",
			[]corrEvent{ev(0, "other", "a"), ev(1, "hit", "a"), ev(2, "third", "a")}, ""},
		{"aliases", "type: temporal\n    rules: [base, other]\n    group-by: [ip]\n    timespan: 1m\n    aliases:\n        ip:\n            base: SrcIP\n            other: DstIP",
			[]corrEvent{ev(0, "hit", "h", "SrcIP", "10.0.0.1"), ev(1, "other", "h", "DstIP", "10.0.0.2"), ev(2, "other", "h", "DstIP", "10.0.0.1")}, "2:c[10.0.0.1]=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := base + "title: c\ncorrelation:\n    " + tt.corr + "\n"
			got := strings.Join(runCorrelation(t, text, CorrelatorConfig{}, tt.events), "|")
			if got != tt.want {
				t.Errorf("fired %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCorrelationBoundedGroups(t *testing.T) {
	text := "title: b\nname: b\nlogsource: {product: t}\ndetection:\n    s: {K: x}\n    condition: s\n---\ntitle: c\ncorrelation:\n    type: event_count\n    rules: [b]\n    group-by: [G]\n    timespan: 1h\n    condition: {gte: 2}\n"
	rules, err := Parse([]byte(text), "b.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := NewRuleset(rules, nil)
	m, c := rs.NewMatcher(), rs.NewCorrelator(CorrelatorConfig{MaxGroups: 100})
	ts := time.Unix(0, 0)
	for i := range 1000 {
		ev := Map{"K": "x", "G": strconv.Itoa(i)}
		c.Process(ev, ts, m.Match(ev, AllSources))
	}
	if n := c.Groups(); n != 100 {
		t.Errorf("groups = %d, want the bound 100", n)
	}
	// Group 0 was evicted long ago: one more event does not fire.
	ev := Map{"K": "x", "G": "0"}
	if got := c.Process(ev, ts, m.Match(ev, AllSources)); len(got) != 0 {
		t.Errorf("evicted group fired: %+v", got)
	}
	// Group 999 is live: its second event fires.
	ev = Map{"K": "x", "G": "999"}
	if got := c.Process(ev, ts, m.Match(ev, AllSources)); len(got) != 1 {
		t.Errorf("live group did not fire")
	}
}

func TestCorrelationParseErrors(t *testing.T) {
	head := "title: c\ncorrelation:\n"
	tests := []struct{ name, body, contains string }{
		{"no type", "    rules: [a]\n    timespan: 1m\n    condition: {gte: 1}\n", "missing type"},
		{"bad type", "    type: event_sum\n    rules: [a]\n    timespan: 1m\n    condition: {gte: 1}\n", "unknown type"},
		{"no rules", "    type: event_count\n    timespan: 1m\n    condition: {gte: 1}\n", "missing rules"},
		{"no timespan", "    type: event_count\n    rules: [a]\n    condition: {gte: 1}\n", "missing timespan"},
		{"bad timespan", "    type: event_count\n    rules: [a]\n    timespan: 1w\n    condition: {gte: 1}\n", "timespan"},
		{"no condition", "    type: event_count\n    rules: [a]\n    timespan: 1m\n", "needs a condition"},
		{"bad operator", "    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {over: 1}\n", "unknown condition operator"},
		{"not a number", "    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {gte: many}\n", "not a number"},
		{"value_count without field", "    type: value_count\n    rules: [a]\n    timespan: 1m\n    condition: {gte: 1}\n", "needs condition.field"},
		{"unused alias", "    type: temporal\n    rules: [a]\n    timespan: 1m\n    aliases: {x: {a: f}}\n", "not used in group-by"},
		{"unknown attribute", "    type: temporal\n    rules: [a]\n    timespan: 1m\n    window: 3\n", "unknown correlation attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(head+tt.body), "c.yml", nil)
			if !errors.Is(err, ErrCorrelation) || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %v, want ErrCorrelation with %q", err, tt.contains)
			}
		})
	}
	t.Run("dangling reference", func(t *testing.T) {
		rules, err := Parse([]byte(head+"    type: temporal\n    rules: [nope]\n    timespan: 1m\n"), "c.yml", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewRuleset(rules, nil); !errors.Is(err, ErrCorrelation) {
			t.Errorf("NewRuleset error %v, want ErrCorrelation", err)
		}
	})
}

// TestSpecCorrelationExamples parses every correlation example of the
// specification's test folder.
func TestSpecCorrelationExamples(t *testing.T) {
	dir := testenv.SharedData(t, "sigma-specification/tests/schema/correlation")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	if len(files) < 8 {
		t.Fatalf("only %d examples", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rules, err := Parse(data, f, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := rules[0].Correlation
			if c == nil || c.Timespan <= 0 || len(c.Rules) == 0 || len(c.Conditions) == 0 {
				t.Errorf("incomplete correlation %+v", c)
			}
			if want := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".yml"), "_ecs"); c.Type != want {
				t.Errorf("type %q, want %q", c.Type, want)
			}
		})
	}
}
