package bus_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/bus"
)

func TestSubjects(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"event", bus.EventSubject("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "syslog_main"), "vedetta.events.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.syslog_main"},
		{"event with dots", bus.EventSubject("a.b", "c"), "vedetta.events.a%2Eb.c"},
		{"event with wildcard id", bus.EventSubject("*", ">"), "vedetta.events.%2A.%3E"},
		{"empty ids", bus.EventSubject("", ""), "vedetta.events.%.%"},
		{"tenant events", bus.TenantEvents("t1"), "vedetta.events.t1.>"},
		{"alert", bus.AlertSubject("t1"), "vedetta.alerts.t1"},
		{"live", bus.LiveSubject("t1", "alerts"), "vedetta.live.t1.alerts"},
		{"percent is escaped", bus.AlertSubject("50%"), "vedetta.alerts.50%25"},
		{"utf-8", bus.AlertSubject("città"), "vedetta.alerts.citt%C3%A0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestEscapeIsInjective(t *testing.T) {
	// Ids that a naive join would confuse must land on different subjects.
	pairs := [][4]string{
		{"a.b", "c", "a", "b.c"},
		{"a", "b", "a%", "b"},
		{"", "x", "%", "x"},
		{"%25", "x", "%", "x"},
	}
	for _, p := range pairs {
		s1, s2 := bus.EventSubject(p[0], p[1]), bus.EventSubject(p[2], p[3])
		if s1 == s2 {
			t.Errorf("(%q,%q) and (%q,%q) share subject %q", p[0], p[1], p[2], p[3], s1)
		}
	}
}

func TestParseEventSubject(t *testing.T) {
	tests := []struct {
		subject     string
		tenant, src string
		wantErr     bool
	}{
		{subject: "vedetta.events.t1.s1", tenant: "t1", src: "s1"},
		{subject: "vedetta.events.a%2Eb.%", tenant: "a.b", src: ""},
		{subject: "vedetta.events.citt%C3%A0.x", tenant: "città", src: "x"},
		{subject: "vedetta.events.t1", wantErr: true},
		{subject: "vedetta.events.t1.s1.extra", wantErr: true},
		{subject: "vedetta.alerts.t1.s1", wantErr: true},
		{subject: "vedetta.eventsX.t1.s1", wantErr: true},
		{subject: "", wantErr: true},
		{subject: "vedetta.events..s1", wantErr: true},
		{subject: "vedetta.events.t1.%2", wantErr: true},   // truncated escape
		{subject: "vedetta.events.t1.%zz", wantErr: true},  // not hex
		{subject: "vedetta.events.t1.%2e", wantErr: true},  // lower-case hex: not canonical
		{subject: "vedetta.events.t1.%41", wantErr: true},  // needless escape of 'A'
		{subject: "vedetta.events.t1.a b", wantErr: true},  // raw space
		{subject: "vedetta.events.t1.*", wantErr: true},    // wildcard
		{subject: "vedetta.events.t1.%%", wantErr: true},   // bare percents
		{subject: "vedetta.events.t1.\xff", wantErr: true}, // raw non-ASCII
	}
	for _, tt := range tests {
		t.Run(tt.subject, func(t *testing.T) {
			tenant, src, err := bus.ParseEventSubject(tt.subject)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got (%q, %q), want an error", tenant, src)
				}
				if !errors.Is(err, bus.ErrInvalidSubject) {
					t.Errorf("error %v does not wrap ErrInvalidSubject", err)
				}
				if tenant != "" || src != "" {
					t.Errorf("half-accepted: (%q, %q) with error", tenant, src)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tenant != tt.tenant || src != tt.src {
				t.Errorf("got (%q, %q), want (%q, %q)", tenant, src, tt.tenant, tt.src)
			}
		})
	}
}

func TestParseAlertSubject(t *testing.T) {
	if got, err := bus.ParseAlertSubject(bus.AlertSubject("t.1")); err != nil || got != "t.1" {
		t.Errorf("round trip: %q, %v", got, err)
	}
	for _, s := range []string{"vedetta.alerts", "vedetta.alerts.a.b", "vedetta.events.a", "vedetta.alerts.%G0"} {
		if got, err := bus.ParseAlertSubject(s); err == nil {
			t.Errorf("ParseAlertSubject(%q) = %q, want an error", s, got)
		}
	}
}

func TestValidateSubject(t *testing.T) {
	tests := []struct {
		subject string
		ok      bool
	}{
		{"vedetta.events.a.b", true},
		{"a", true},
		{"a.b%2E.c", true},
		{"", false},
		{".a", false},
		{"a.", false},
		{"a..b", false},
		{"a.*.b", false},
		{"a.>", false},
		{"a b", false},
		{"a.\tb", false},
	}
	for _, tt := range tests {
		t.Run(tt.subject, func(t *testing.T) {
			err := bus.ValidateSubject(tt.subject)
			if tt.ok != (err == nil) {
				t.Errorf("ValidateSubject(%q) = %v, want ok=%v", tt.subject, err, tt.ok)
			}
			if err != nil && !errors.Is(err, bus.ErrInvalidSubject) {
				t.Errorf("error %v does not wrap ErrInvalidSubject", err)
			}
		})
	}
}

// FuzzEscapeToken checks that any id becomes one valid token that decodes
// back to the id, and that UnescapeToken accepts only canonical tokens.
func FuzzEscapeToken(f *testing.F) {
	for _, s := range []string{"", "t1", "a.b", "*", ">", "%", "%25", "città", "a b\t", "\x00\xff", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := bus.EscapeToken(s)
		if strings.ContainsAny(tok, ". \t\r\n*>") || tok == "" || !utf8.ValidString(tok) {
			t.Fatalf("EscapeToken(%q) = %q: not a safe token", s, tok)
		}
		if err := bus.ValidateSubject(bus.EventSubject(s, s)); err != nil {
			t.Fatalf("EventSubject(%q): %v", s, err)
		}
		back, err := bus.UnescapeToken(tok)
		if err != nil || back != s {
			t.Fatalf("UnescapeToken(EscapeToken(%q)) = %q, %v", s, back, err)
		}
		// Any token the decoder accepts must be the canonical encoding.
		if v, err := bus.UnescapeToken(s); err == nil && bus.EscapeToken(v) != s {
			t.Fatalf("UnescapeToken accepted non-canonical %q (decodes to %q)", s, v)
		}
	})
}
