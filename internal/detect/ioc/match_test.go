package ioc

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vedetta-sec/vedetta/internal/event"
)

type hitKey struct{ ID, Field, Value string }

func hitKeys(s interface {
	MatchEvent(*event.Event, func(Hit))
}, ev *event.Event) []hitKey {
	var out []hitKey
	s.MatchEvent(ev, func(h Hit) { out = append(out, hitKey{h.Indicator.ID, h.Field, h.Value}) })
	slices.SortFunc(out, func(a, b hitKey) int {
		return strings.Compare(a.ID+"\x00"+a.Field+"\x00"+a.Value, b.ID+"\x00"+b.Field+"\x00"+b.Value)
	})
	return out
}

func TestMatchEvent(t *testing.T) {
	s := testSet(t)
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		fields map[string]any
		want   []hitKey
	}{
		{"source ip", map[string]any{"source.ip": "198.51.100.7"},
			[]hitKey{{"v4", "source.ip", "198.51.100.7"}, {"v4-dup", "source.ip", "198.51.100.7"}}},
		{"destination in cidr", map[string]any{"destination.ip": "10.1.2.3", "source.ip": "192.0.2.1"},
			[]hitKey{{"c16", "destination.ip", "10.1.2.3"}, {"c16-dup", "destination.ip", "10.1.2.3"},
				{"c24", "destination.ip", "10.1.2.3"}, {"c8", "destination.ip", "10.1.2.3"}}},
		{"related.ip list", map[string]any{"related.ip": []string{"192.0.2.1", "2001:db8::7"}},
			[]hitKey{{"v6", "related.ip", "2001:db8::7"}}},
		{"dns query subdomain", map[string]any{"dns.question.name": "Login.Evil.Example"},
			[]hitKey{{"d", "dns.question.name", "Login.Evil.Example"}}},
		{"url full: url and host", map[string]any{"url.full": "http://phish.example/login"},
			[]hitKey{{"u", "url.full", "http://phish.example/login"}}},
		{"url host is a domain indicator", map[string]any{"url.original": "https://www.evil.example/x?y=1"},
			[]hitKey{{"d", "url.original", "www.evil.example"}}},
		{"url host is an ip", map[string]any{"url.full": "http://198.51.100.7:8080/a"},
			[]hitKey{{"v4", "url.full", "198.51.100.7"}, {"v4-dup", "url.full", "198.51.100.7"}}},
		{"referrer", map[string]any{"http.request.referrer": "https://cdn.evil.example/"},
			[]hitKey{{"d", "http.request.referrer", "cdn.evil.example"}, {"d-sub", "http.request.referrer", "cdn.evil.example"}}},
		{"email and its domain", map[string]any{"email.from.address": "CEO@phish.example", "email.to.address": []string{"a@evil.example", "b@good.example"}},
			[]hitKey{{"d", "email.to.address", "evil.example"}, {"mail", "email.from.address", "CEO@phish.example"}}},
		{"hashes", map[string]any{"file.hash.md5": "44D88612FEA8A8F36DE82E1278ABB02F", "process.hash.sha256": "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"},
			[]hitKey{{"md5", "file.hash.md5", "44D88612FEA8A8F36DE82E1278ABB02F"}, {"sha256", "process.hash.sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"}}},
		{"executable basename", map[string]any{"process.executable": `C:\Users\x\Mimikatz.exe`, "file.name": "mimikatz.exe"},
			[]hitKey{{"file", "file.name", "mimikatz.exe"}, {"file", "process.executable", "Mimikatz.exe"}}},
		{"same name in several fields", map[string]any{"dns.question.name": "x.evil.example", "url.domain": "x.evil.example",
			"destination.domain": "ok.example", "server.domain": "ok.example", "url.full": "https://x.evil.example/"},
			[]hitKey{{"d", "dns.question.name", "x.evil.example"}, {"d", "url.domain", "x.evil.example"}, {"d", "url.full", "x.evil.example"}}},
		{"sni", map[string]any{"tls.client.server_name": "evil.example"}, []hitKey{{"d", "tls.client.server_name", "evil.example"}}},
		{"other types ignored", map[string]any{"source.ip": int64(7), "destination.port": int64(443), "event.action": "evil.example"}, nil},
		{"garbage values", map[string]any{"source.ip": "not-an-ip", "url.full": "::::", "file.hash.md5": "xyz", "dns.question.name": strings.Repeat("a.", 200)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &event.Event{Observed: ts, Fields: tt.fields}
			if diff := cmp.Diff(tt.want, hitKeys(s, ev)); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchEventValidity(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	s := mustBuild(t, []Indicator{
		{ID: "window", Type: TypeIPv4, Value: "192.0.2.1", ValidFrom: from, ValidUntil: until},
		{ID: "from", Type: TypeIPv4, Value: "192.0.2.1", ValidFrom: from},
		{ID: "until", Type: TypeIPv4, Value: "192.0.2.1", ValidUntil: until},
		{ID: "always", Type: TypeIPv4, Value: "192.0.2.1"},
	})
	tests := []struct {
		name     string
		observed time.Time
		received time.Time
		want     []string
	}{
		{"before", from.Add(-time.Second), time.Time{}, []string{"always", "until"}},
		{"at from", from, time.Time{}, []string{"always", "from", "until", "window"}},
		{"inside", from.Add(24 * time.Hour), time.Time{}, []string{"always", "from", "until", "window"}},
		{"at until", until, time.Time{}, []string{"always", "from", "until", "window"}},
		{"after", until.Add(time.Second), time.Time{}, []string{"always", "from"}},
		{"received used when observed is zero", time.Time{}, until.Add(time.Hour), []string{"always", "from"}},
		{"no time: validity not checked", time.Time{}, time.Time{}, []string{"always", "from", "until", "window"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &event.Event{Observed: tt.observed, Received: tt.received, Fields: map[string]any{"source.ip": "192.0.2.1"}}
			var got []string
			s.MatchEvent(ev, func(h Hit) { got = append(got, h.Indicator.ID) })
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
		})
	}
}

func typicalEvent() *event.Event {
	return &event.Event{
		Observed: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
		Fields: map[string]any{
			"event.action":       "connection",
			"event.category":     "network",
			"source.ip":          "192.168.10.23",
			"source.port":        int64(51234),
			"destination.ip":     "93.184.215.14",
			"destination.port":   int64(443),
			"related.ip":         []string{"192.168.10.23", "93.184.215.14"},
			"host.ip":            "192.168.10.23",
			"dns.question.name":  "www.municipality-portal.example.it",
			"url.full":           "https://www.municipality-portal.example.it/servizi/anagrafe?id=42",
			"url.domain":         "www.municipality-portal.example.it",
			"user.email":         "mario.rossi@comune.example.it",
			"process.executable": `C:\Program Files\Browser\browser.exe`,
			"file.hash.sha256":   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			"user.name":          "mrossi",
			"host.name":          "ws-anagrafe-03",
		},
	}
}

func TestMatchEventNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	s := testSet(t)
	ev := typicalEvent()
	n := 0
	fn := func(Hit) { n++ }
	if a := testing.AllocsPerRun(100, func() { s.MatchEvent(ev, fn) }); a != 0 {
		t.Errorf("MatchEvent without hits: %v allocations, want 0", a)
	}
	if n != 0 {
		t.Fatalf("typical event matched %d indicators", n)
	}
	a4 := netip.MustParseAddr("198.51.100.7")
	if a := testing.AllocsPerRun(100, func() {
		s.LookupIP(a4, func(Match) { n++ })
		s.LookupDomain("x.cdn.evil.example", func(Match) { n++ })
		s.LookupURL("HTTP://phish.example:80/login", func(Match) { n++ })
		s.LookupHash("44d88612fea8a8f36de82e1278abb02f", func(Match) { n++ })
	}); a != 0 {
		t.Errorf("lookups with matches: %v allocations, want 0", a)
	}
}

// TestMatcherReload has readers match continuously while a writer swaps
// sets. Every set holds the "stable" indicator, so every lookup must find
// it; the writer's own indicator shows which set answered. Run it with
// -race.
func TestMatcherReload(t *testing.T) {
	mk := func(gen int) []Indicator {
		return []Indicator{
			{ID: "stable", Type: TypeIPv4, Value: "192.0.2.1"},
			{ID: fmt.Sprintf("gen-%d", gen), Type: TypeIPv4, Value: "192.0.2.1"},
		}
	}
	m := NewMatcher(nil)
	if _, err := m.Reload(mk(0)); err != nil {
		t.Fatal(err)
	}
	ev := &event.Event{Fields: map[string]any{"source.ip": "192.0.2.1"}}
	var stop atomic.Bool
	var lookups atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				var stable, gen int
				m.MatchEvent(ev, func(h Hit) {
					if h.Indicator.ID == "stable" {
						stable++
					} else {
						gen++
					}
				})
				if stable != 1 || gen != 1 {
					select {
					case errs <- fmt.Sprintf("lookup saw %d stable, %d generation hits", stable, gen):
					default:
					}
					return
				}
				lookups.Add(1)
			}
		})
	}
	reloads := 200
	if testing.Short() {
		reloads = 50
	}
	for i := 1; i <= reloads; i++ {
		if _, err := m.Reload(mk(i)); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			// A failed reload keeps the current set.
			if _, err := m.Reload([]Indicator{{Type: TypeIPv4, Value: "bad"}}); err == nil {
				t.Fatal("bad reload accepted")
			}
		}
	}
	// Let the readers run against the last set too.
	for lookups.Load() < int64(reloads) {
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	var last []string
	m.MatchEvent(ev, func(h Hit) { last = append(last, h.Indicator.ID) })
	slices.Sort(last)
	if diff := cmp.Diff([]string{fmt.Sprintf("gen-%d", reloads), "stable"}, last); diff != "" {
		t.Errorf("after reloads (-want +got):\n%s", diff)
	}
	if old := m.Swap(nil); old == nil || m.Set() != nil {
		t.Error("Swap did not return the old set or store nil")
	}
	m.MatchEvent(ev, func(Hit) { t.Error("nil set matched") })
}
