package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestHashToken(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 Appendix B.1.
	if got, want := HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("HashToken(abc) = %s, want %s", got, want)
	}
}

func TestNewSessionToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, id := NewSessionToken()
		if len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token %q is not 43 base64url characters", tok)
		}
		sum := sha256.Sum256([]byte(tok))
		if id != hex.EncodeToString(sum[:]) {
			t.Fatalf("id %s is not the SHA-256 of the token", id)
		}
		if got, err := SessionID(tok); err != nil || got != id {
			t.Fatalf("SessionID(own token) = %s, %v; want %s", got, err, id)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
}

func TestNewAPIToken(t *testing.T) {
	secret, prefix, hash := NewAPIToken()
	if !strings.HasPrefix(secret, "vdt_") || len(secret) != 47 {
		t.Fatalf("secret %q: want vdt_ and 43 base64url characters", secret)
	}
	if prefix != secret[:12] || !strings.HasPrefix(prefix, "vdt_") {
		t.Errorf("prefix %q is not the first 12 characters of %q", prefix, secret)
	}
	if hash != HashToken(secret) {
		t.Errorf("hash %s != HashToken(secret)", hash)
	}
	if got, err := APITokenHash(secret); err != nil || got != hash {
		t.Errorf("APITokenHash(own secret) = %s, %v", got, err)
	}
	s2, _, _ := NewAPIToken()
	if s2 == secret {
		t.Error("two API tokens are equal")
	}
}

func TestNewCSRFToken(t *testing.T) {
	a, b := NewCSRFToken(), NewCSRFToken()
	if len(a) != 43 || a == b {
		t.Errorf("CSRF tokens %q, %q: want distinct 43-character tokens", a, b)
	}
}

func TestTokensEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"", "", true}, {"abc", "abc", true}, {"abc", "abd", false}, {"abc", "abcd", false}, {"", "a", false},
	}
	for _, tt := range tests {
		if got := TokensEqual(tt.a, tt.b); got != tt.want {
			t.Errorf("TokensEqual(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestMalformedTokens(t *testing.T) {
	good, _ := NewSessionToken()
	api, _, _ := NewAPIToken()
	tests := []struct {
		name, session, api string
	}{
		{"empty", "", ""},
		{"one short", good[:42], api[:46]},
		{"one long", good + "A", api + "A"},
		{"standard base64 alphabet", good[:42] + "+", api[:46] + "/"},
		{"padding", good[:42] + "=", api[:46] + "="},
		{"non-canonical last char", good[:42] + "B", api[:46] + "B"},
		{"space", " " + good[1:], api[:4] + " " + api[5:]},
		{"non-ASCII", good[:41] + "é", api[:45] + "é"},
		{"newline", good[:42] + "\n", api[:46] + "\n"},
		{"wrong prefix", good[:42] + "*", "vdx_" + api[4:]},
		{"upper-case prefix", good[:42] + "!", "VDT_" + api[4:]},
		{"session token as API token", good[:42] + ".", good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := SessionID(tt.session); !errors.Is(err, ErrMalformedToken) {
				t.Errorf("SessionID(%q) error = %v, want ErrMalformedToken", tt.session, err)
			}
			if _, err := APITokenHash(tt.api); !errors.Is(err, ErrMalformedToken) {
				t.Errorf("APITokenHash(%q) error = %v, want ErrMalformedToken", tt.api, err)
			}
		})
	}
}

// FuzzTokenParse checks that only canonical tokens are accepted and that the
// returned id is the token's hash.
func FuzzTokenParse(f *testing.F) {
	tok, _ := NewSessionToken()
	api, _, _ := NewAPIToken()
	for _, s := range []string{tok, api, "", "vdt_", tok + "=", api[:46] + "B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := SessionID(s); err == nil {
			if id != HashToken(s) || !isBase64URL(s) {
				t.Fatalf("SessionID accepted %q", s)
			}
			if b, _ := b64url.DecodeString(s); b64url.EncodeToString(b) != s {
				t.Fatalf("SessionID accepted non-canonical %q", s)
			}
		}
		if h, err := APITokenHash(s); err == nil {
			if h != HashToken(s) || !strings.HasPrefix(s, "vdt_") || !isBase64URL(s[4:]) {
				t.Fatalf("APITokenHash accepted %q", s)
			}
		}
	})
}
