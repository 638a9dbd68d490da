package i18n

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCompleteCatalogs fails when a key of any catalog is missing from a
// language that must be complete, or when placeholders differ.
func TestCompleteCatalogs(t *testing.T) {
	all := map[string]bool{}
	for _, lang := range Supported {
		for _, k := range Keys(lang) {
			all[k] = true
		}
	}
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, lang := range Complete {
		c := Catalog(lang)
		for k := range all {
			msg, ok := c[k]
			if !ok {
				t.Errorf("%s: missing key %q", lang, k)
				continue
			}
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s: empty message for %q", lang, k)
			}
			want := strings.Join(ph.FindAllString(Catalog(Fallback)[k], -1), ",")
			if got := strings.Join(ph.FindAllString(msg, -1), ","); got != want {
				t.Errorf("%s: %q has placeholders %q, English has %q", lang, k, got, want)
			}
		}
	}
	for _, lang := range []string{"sq", "sr-ME"} {
		if len(Catalog(lang)) == 0 {
			t.Errorf("%s catalog is empty", lang)
		}
		t.Logf("%s: %d of %d keys translated", lang, len(Catalog(lang)), len(all))
	}
}

func TestMatch(t *testing.T) {
	tests := map[string]string{
		"it-IT,it;q=0.9,en;q=0.8": "it",
		"en-GB":                   "en",
		"sq-AL":                   "sq",
		"sr-ME":                   "sr-ME",
		"de-DE":                   "en",
		"":                        "en",
		";;;garbage":              "en",
		"fr-FR, it;q=0.5":         "it",
	}
	for in, want := range tests {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrinter(t *testing.T) {
	it, en := NewPrinter("it"), NewPrinter("en")
	if got := it.T("login.title"); got != "Accedi" {
		t.Errorf("it login.title = %q", got)
	}
	if got := en.T("password.too_short", "min", 12); got != "The password is too short: use at least 12 characters." {
		t.Errorf("placeholder: %q", got)
	}
	if got := en.T("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key = %q", got)
	}
	if got := NewPrinter("sq").T("error.bad_json"); got != en.T("error.bad_json") {
		t.Errorf("sq fallback = %q", got)
	}
	if got := NewPrinter("xx").Lang; got != "en" {
		t.Errorf("unsupported language -> %q", got)
	}
	d := time.Date(2026, 11, 24, 9, 5, 0, 0, time.UTC)
	for _, tt := range []struct {
		p    *Printer
		date string
		num  string
		dec  string
	}{
		{it, "24 nov 2026", "1.234.567", "-1.234,50"},
		{en, "24 Nov 2026", "1,234,567", "-1,234.50"},
		{NewPrinter("sr-ME"), "24. nov 2026.", "1.234.567", "-1.234,50"},
	} {
		if got := tt.p.Date(d); got != tt.date {
			t.Errorf("%s Date = %q, want %q", tt.p.Lang, got, tt.date)
		}
		if got := tt.p.Number(1234567); got != tt.num {
			t.Errorf("%s Number = %q, want %q", tt.p.Lang, got, tt.num)
		}
		if got := tt.p.Decimal(-1234.5, 2); got != tt.dec {
			t.Errorf("%s Decimal = %q, want %q", tt.p.Lang, got, tt.dec)
		}
	}
	if got := it.Number(-999); got != "-999" {
		t.Errorf("negative = %q", got)
	}
}
