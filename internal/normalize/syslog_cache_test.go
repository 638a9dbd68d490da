package normalize

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// TestSyslogHeaderCache parses a sequence whose host, program, pid and
// msgid change, repeat and vanish through one parser (whose header cache
// carries values from record to record) and compares every event with a
// fresh parser's.
func TestSyslogHeaderCache(t *testing.T) {
	lines := []string{
		"<38>1 2026-11-24T10:11:12Z web01 sshd 4242 ID1 - Failed password for root from 203.0.113.9 port 22 ssh2",
		"<38>1 2026-11-24T10:11:12Z web01 sshd 4242 ID1 - Failed password for root from 203.0.113.9 port 22 ssh2",
		"<38>1 2026-11-24T10:11:12Z web02 sshd 4243 ID2 - Accepted publickey for bob from 2001:db8::1 port 22 ssh2",
		"<38>1 2026-11-24T10:11:12Z - - - - - no header values",
		"<38>1 2026-11-24T10:11:12Z web02 sshd(pam_unix) x12 - - authentication failure; rhost=198.51.100.7 user=eve",
		"<38>1 2026-11-24T10:11:12Z web02 sshd(pam_unix) +12 - - check pass; user unknown",
		"<38>Nov 24 10:11:12 web02 sshd(pam_unix)[12]: check pass; user unknown",
		"<38>Nov 24 10:11:12 web02 sshd[12]: Invalid user x from 192.0.2.1 port 4",
		"<38>Nov 24 10:11:12 web02 su: (to root) alice on pts/0",
		"<38>Nov 24 10:11:12 su: (to root) alice on pts/0",
		"<38>Nov 24 10:11:12 web01 sudo[77]:",
		"<38>Nov 24 10:11:12 web01 sudo[77]: alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls",
		"<38>1 2026-11-24T10:11:12Z web01 sudo 77 - - alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls",
		"<38>Nov 24 10:11:12 web01 sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2",
	}
	opts := fixedNow(2026, 11, 24)
	reused, _ := New("syslog", opts)
	var ev event.Event
	for _, l := range lines {
		fresh, _ := New("syslog", opts)
		var want event.Event
		wantErr := fresh.Parse([]byte(l), &want)
		gotErr := reused.Parse([]byte(l), &ev)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: err %v, fresh parser %v", l, gotErr, wantErr)
		}
		if diff := cmp.Diff(want.Fields, ev.Fields); diff != "" {
			t.Errorf("%q: fields (-fresh +reused):\n%s", l, diff)
		}
		if want.Category != ev.Category || !want.Observed.Equal(ev.Observed) {
			t.Errorf("%q: category %q time %v, fresh parser %q %v", l, ev.Category, ev.Observed, want.Category, want.Observed)
		}
	}
}

// TestSyslogListFieldsNotShared checks that every event owns its list
// values: mutating or appending to one event's event.category leaves the
// next events' and the templates alone.
func TestSyslogListFieldsNotShared(t *testing.T) {
	p, _ := New("syslog", fixedNow(2026, 11, 24))
	line := []byte("<38>Nov 24 10:11:12 web01 sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2")
	evs := make([]event.Event, 3)
	for i := range evs {
		if err := p.Parse(line, &evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	cat := evs[0].Fields["event.category"].([]string)
	cat[0] = "mutated"
	grown := append(evs[1].Fields["event.category"].([]string), "extra")
	grown[0] = "mutated too"
	for i := 1; i < len(evs); i++ {
		if got := evs[i].Fields["event.category"].([]string); !cmp.Equal(got, []string{"authentication"}) {
			t.Errorf("event %d: event.category %q after another event's was changed", i, got)
		}
		if got := evs[i].Fields["event.type"].([]string); !cmp.Equal(got, []string{"info"}) {
			t.Errorf("event %d: event.type %q", i, got)
		}
	}
	if !cmp.Equal(catAuth.list, []string{"authentication"}) || !cmp.Equal(typInfo.list, []string{"info"}) {
		t.Errorf("templates changed: %q %q", catAuth.list, typInfo.list)
	}
	var sl strSlab
	for range 3 * strSlabSize {
		if got := sl.clone(catSession.list); !cmp.Equal(got, catSession.list) || cap(got) != len(got) {
			t.Fatalf("clone = %q (cap %d)", got, cap(got))
		}
	}
}

// TestSyslog3164YearInference compares the year chosen for timestamps
// without one with a brute-force search for the closest of the previous,
// current and next years, for every day of the year around several
// reference times (year ends, leap days, a zone with daylight saving).
func TestSyslog3164YearInference(t *testing.T) {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Skip(err)
	}
	for _, loc := range []*time.Location{time.UTC, rome} {
		for _, now := range []time.Time{
			time.Date(2026, 11, 24, 12, 0, 0, 0, loc), time.Date(2026, 12, 31, 23, 59, 0, 0, loc),
			time.Date(2027, 1, 1, 0, 1, 0, 0, loc), time.Date(2024, 2, 29, 6, 0, 0, 0, loc),
			time.Date(2025, 6, 30, 12, 0, 0, 0, loc), time.Date(2028, 3, 1, 0, 0, 0, 0, loc),
			time.Date(2026, 5, 28, 2, 30, 0, 0, loc), time.Date(2026, 7, 1, 0, 0, 0, 0, loc),
		} {
			p, _ := New("syslog3164", Options{Now: func() time.Time { return now }, Location: loc})
			for m := time.January; m <= time.December; m++ {
				for d := 1; d <= 31; d++ {
					line := fmt.Sprintf("<13>%s %2d 02:30:00 host app: x", m.String()[:3], d)
					var want time.Time
					var bestD time.Duration = -1
					for y := now.Year() - 1; y <= now.Year()+1; y++ {
						c := time.Date(y, m, d, 2, 30, 0, 0, loc)
						if c.Day() != d {
							continue
						}
						if dd := c.Sub(now).Abs(); bestD < 0 || dd < bestD {
							want, bestD = c, dd
						}
					}
					var ev event.Event
					err := p.Parse([]byte(line), &ev)
					if bestD < 0 {
						if err == nil {
							t.Errorf("now %v, %q: parsed as %v, want an error", now, line, ev.Observed)
						}
						continue
					}
					if err != nil || !ev.Observed.Equal(want) {
						t.Errorf("now %v, %q: %v (err %v), want %v", now, line, ev.Observed, err, want)
					}
				}
			}
		}
	}
}

// FuzzSyslogHeaderCache parses two records with one parser, so that the
// second meets the header cache filled by the first, and checks the second
// event equals a fresh parser's (fields, time, category, verdict).
func FuzzSyslogHeaderCache(f *testing.F) {
	seeds := []string{
		"<38>1 2026-11-24T10:11:12Z web01 sshd 4242 ID1 - Failed password for root from 203.0.113.9 port 22 ssh2",
		"<38>Nov 24 10:11:12 web01 sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2",
		"<38>Nov 24 10:11:12 web01 sshd(pam_unix)[+7]: check pass; user unknown",
		"<38>1 2026-11-24T10:11:12Z - - - - - -",
		"<38>Nov 24 10:11:12 su: (to root) alice on pts/0",
	}
	for _, a := range seeds {
		for _, b := range seeds {
			f.Add([]byte(a), []byte(b))
		}
	}
	opts := fixedNow(2026, 11, 24)
	f.Fuzz(func(t *testing.T, first, second []byte) {
		reused, _ := New("syslog", opts)
		fresh, _ := New("syslog", opts)
		var ev, want event.Event
		_ = reused.Parse(first, &ev)
		gotErr := reused.Parse(second, &ev)
		wantErr := fresh.Parse(second, &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q after %q: err %v, fresh parser %v", second, first, gotErr, wantErr)
		}
		if diff := cmp.Diff(want.Fields, ev.Fields); diff != "" {
			t.Fatalf("%q after %q: fields (-fresh +reused):\n%s", second, first, diff)
		}
		if want.Category != ev.Category || !want.Observed.Equal(ev.Observed) {
			t.Fatalf("%q after %q: category %q time %v, fresh %q %v", second, first, ev.Category, ev.Observed, want.Category, want.Observed)
		}
	})
}
