package incident

import (
	"errors"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		kind, in, want string
		ok             bool
	}{
		{ActionBlockIP, " 203.0.113.7 ", "203.0.113.7", true},
		{ActionBlockIP, "2001:db8::1", "2001:db8::1", true},
		{ActionBlockIP, "198.51.100.77/24", "198.51.100.0/24", true},
		{ActionBlockIP, "::ffff:192.0.2.1", "::ffff:192.0.2.1", true},
		{ActionBlockIP, "fe80::1%eth0", "", false},
		{ActionBlockIP, "203.0.113", "", false},
		{ActionBlockIP, "evil.example", "", false},
		{ActionBlockIP, "", "", false},
		{ActionBlockIP, "1.2.3.4/33", "", false},
		{ActionDisableUser, "m.rossi", "m.rossi", true},
		{ActionDisableUser, "COMUNE\\m.rossi", "COMUNE\\m.rossi", true},
		{ActionDisableUser, "", "", false},
		{ActionDisableUser, "a\nb", "", false},
		{ActionDisableUser, "nul\x00", "", false},
		{ActionDisableUser, "\xff", "", false},
		{ActionEmail, "x@example.org", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.in, func(t *testing.T) {
			got, err := CheckTarget(tt.kind, tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Errorf("CheckTarget(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadTarget) {
				t.Errorf("err %v does not wrap ErrBadTarget", err)
			}
		})
	}
}

func FuzzCheckTarget(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "2001:db8::/32", "m.rossi", "a\nb", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, kind := range []string{ActionBlockIP, ActionDisableUser} {
			got, err := CheckTarget(kind, in)
			if err != nil {
				if got != "" {
					t.Fatalf("%s: target %q returned with error", kind, got)
				}
				continue
			}
			// A valid target is stable and safe in a JSON body and a log line.
			again, err := CheckTarget(kind, got)
			if err != nil || again != got {
				t.Fatalf("%s: %q normalises to %q, then %q (%v)", kind, in, got, again, err)
			}
		}
	})
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		ok   bool
	}{
		{"empty", Settings{}, true},
		{"https hook", Settings{BlockWebhook: Webhook{URL: "https://fw.example/hook"}}, true},
		{"file URL", Settings{BlockWebhook: Webhook{URL: "file:///etc/passwd"}}, false},
		{"no host", Settings{ChatWebhook: Webhook{URL: "http://"}}, false},
		{"negative hours", Settings{Clocks: ClockRules{EarlyWarningHours: -1}}, false},
		{"huge months", Settings{Clocks: ClockRules{FinalMonths: 13}}, false},
		{"reminder too early", Settings{ReminderHours: 100}, false},
		{"remote https", Settings{Remote: RemoteCentre{URL: "https://vedetta.cosc.example/", Token: "vt_x"}}, true},
		{"remote plain http", Settings{Remote: RemoteCentre{URL: "http://vedetta.cosc.example/"}}, false},
		{"remote with credentials", Settings{Remote: RemoteCentre{URL: "https://u:p@vedetta.cosc.example/"}}, false},
		{"remote with query", Settings{Remote: RemoteCentre{URL: "https://vedetta.cosc.example/?x=1"}}, false},
		{"remote no host", Settings{Remote: RemoteCentre{URL: "https:///x"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
