package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, password, username string
		wantKey                  string // "" = accepted
		wantArgs                 map[string]any
	}{
		{"good passphrase", "vela rossa sul molo 7", "mrossi", "", nil},
		{"good mixed", "Tq9#vX2!mLp4", "mrossi", "", nil},
		{"exactly 12 chars", "kz7Qp2Lm9Xw4", "", "", nil},
		{"12 non-ASCII chars", "àèìòùçñßøåæœ", "", "", nil},
		{"11 chars", "kz7Qp2Lm9Xw", "", KeyPasswordTooShort, map[string]any{"min": 12}},
		{"empty", "", "", KeyPasswordTooShort, map[string]any{"min": 12}},
		{"12 bytes but 6 chars", "àèìòùç", "", KeyPasswordTooShort, map[string]any{"min": 12}},
		{"256 bytes", strings.Repeat("kz7Qp2Lm9Xw4", 21) + "abcd", "", "", nil},
		{"257 bytes", strings.Repeat("kz7Qp2Lm9Xw4", 21) + "abcde", "", KeyPasswordTooLong, map[string]any{"max": 256}},
		{"invalid UTF-8", "kz7Qp2Lm9Xw4\xff", "", KeyPasswordInvalidUTF8, nil},
		{"one character", "aaaaaaaaaaaaaaaa", "", KeyPasswordOneCharacter, nil},
		{"one non-ASCII character", "éééééééééééé", "", KeyPasswordOneCharacter, nil},
		{"one space character", "            ", "", KeyPasswordOneCharacter, nil},
		{"pair repeated", "abababababab", "", KeyPasswordRepetitive, nil},
		{"triple repeated, cut short", "xyzxyzxyzxyzx", "", KeyPasswordRepetitive, nil},
		{"four repeated", "1a2b1a2b1a2b", "", KeyPasswordRepetitive, nil},
		{"five repeated is allowed", "kq7z!kq7z!kq7z!", "", "", nil},
		{"equal to username", "marco.rossi.comune", "marco.rossi.comune", KeyPasswordContainsUsername, nil},
		{"contains username", "xx-mrossi-2026-yy", "mrossi", KeyPasswordContainsUsername, nil},
		{"contains username, other case", "Zq9!MRossi!Lp4", "mrossi", KeyPasswordContainsUsername, nil},
		{"short username ignored", "lo-sparviero-vola", "lo", "", nil},
		{"common", "password1234", "", KeyPasswordTooCommon, nil},
		{"common, upper case", "QWERTYUIOP123", "", KeyPasswordTooCommon, nil},
		{"common digits", "123456789012", "", KeyPasswordTooCommon, nil},
		{"common keyboard walk", "1q2w3e4r5t6y", "", KeyPasswordTooCommon, nil},
		{"italian team with year", "Juventus1897", "", KeyPasswordTooCommon, nil},
		{"italian team decorated", "!!Napoli1926!!", "", KeyPasswordTooCommon, nil},
		{"stem with digits", "forzainter2024", "", KeyPasswordTooCommon, nil},
		{"common phrase", "correct horse battery staple", "", KeyPasswordTooCommon, nil},
		{"montenegrin", "lozinka123456", "", KeyPasswordTooCommon, nil},
		{"albanian with diacritics", "Fjalëkalimi2024", "", KeyPasswordTooCommon, nil},
		{"common word inside a longer passphrase is fine", "password di ponente lungo", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.password, tt.username)
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("CheckPassword(%q) = %v, want *PolicyError %s", tt.password, err, tt.wantKey)
			}
			if !errors.Is(err, ErrWeakPassword) {
				t.Errorf("error does not wrap ErrWeakPassword")
			}
			if diff := cmp.Diff(&PolicyError{Key: tt.wantKey, Args: tt.wantArgs}, pe); diff != "" {
				t.Errorf("CheckPassword(%q) mismatch (-want +got):\n%s", tt.password, diff)
			}
			if utf8.ValidString(tt.password) && len(tt.password) > 0 && strings.Contains(err.Error(), tt.password) {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestCommonPasswordList(t *testing.T) {
	m := commonPasswords()
	if len(m) < 200 {
		t.Errorf("common list has %d entries, want at least 200", len(m))
	}
	for w := range m {
		if w != strings.ToLower(w) || strings.TrimSpace(w) != w || !utf8.ValidString(w) {
			t.Errorf("entry %q is not trimmed lower-case UTF-8", w)
		}
	}
	for _, w := range []string{"password", "juventus", "napoli1926", "qwertyuiop", "password123"} {
		if !m[w] {
			t.Errorf("%q missing from the list", w)
		}
	}
}

func TestRepeatPeriod(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0}, {"a", 1}, {"aa", 1}, {"ab", 2}, {"aba", 2}, {"abcabc", 3}, {"abcd", 4}, {"abcab", 3}, {"aab", 3},
	}
	for _, tt := range tests {
		if got := repeatPeriod([]rune(tt.in)); got != tt.want {
			t.Errorf("repeatPeriod(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzCheckPassword checks that the policy never panics, returns only
// *PolicyError with a known key, and that what it accepts really meets the
// rules.
func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"", "vela rossa sul molo 7", "Juventus1897", "aaaaaaaaaaaa", "abababababab", "\xff\xfe", "mrossi-mrossi-mrossi"} {
		f.Add(s, "mrossi")
	}
	keys := map[string]bool{KeyPasswordInvalidUTF8: true, KeyPasswordTooShort: true, KeyPasswordTooLong: true,
		KeyPasswordOneCharacter: true, KeyPasswordRepetitive: true, KeyPasswordContainsUsername: true, KeyPasswordTooCommon: true}
	f.Fuzz(func(t *testing.T, pw, user string) {
		err := CheckPassword(pw, user)
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || !keys[pe.Key] {
				t.Fatalf("CheckPassword(%q, %q) = %v, want a *PolicyError with a known key", pw, user, err)
			}
			return
		}
		u := strings.ToLower(strings.TrimSpace(user))
		switch {
		case !utf8.ValidString(pw), len(pw) > MaxPasswordBytes, utf8.RuneCountInString(pw) < MinPasswordChars:
			t.Fatalf("accepted %q outside the length/encoding rules", pw)
		case repeatPeriod([]rune(pw)) <= 4:
			t.Fatalf("accepted repetitive %q", pw)
		case utf8.RuneCountInString(u) >= 3 && strings.Contains(strings.ToLower(pw), u):
			t.Fatalf("accepted %q containing username %q", pw, user)
		case commonPasswords()[strings.ToLower(pw)]:
			t.Fatalf("accepted common %q", pw)
		}
	})
}
