package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testBox(t testing.TB, fill byte) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := testBox(t, 1)
	const purpose = "notify_channels.config|tenant-a|ch-1"
	for _, pt := range []string{`{"secret":"hmac-key"}`, "x", strings.Repeat("é", 1000)} {
		v := b.Seal(purpose, pt)
		// A short plaintext may occur in the base64 text by chance: only
		// the longer ones must not show through.
		if !Sealed(v) || (len(pt) >= 8 && strings.Contains(v, pt)) {
			t.Fatalf("Seal(%q) = %q: not sealed", pt, v)
		}
		if v2 := b.Seal(purpose, pt); v2 == v {
			t.Errorf("two seals of one value are equal: the nonce is not fresh")
		}
		got, err := b.Open(purpose, v)
		if err != nil || got != pt {
			t.Errorf("Open = %q, %v; want %q", got, err, pt)
		}
	}
	if v := b.Seal(purpose, ""); v != "" {
		t.Errorf("empty plaintext sealed to %q", v)
	}
}

// TestOpenRefuses: a value moved to another row, altered, truncated,
// sealed under another key or met without a key does not open, with an
// error that says which.
func TestOpenRefuses(t *testing.T) {
	b := testBox(t, 1)
	v := b.Seal("incident_settings|tenant-a", `{"pseudonym_key":"abc"}`)
	flip := []byte(v)
	flip[len(flip)-3] ^= 1
	cases := []struct {
		name, purpose, v string
		box              *Box
		want             error
	}{
		{"other row", "incident_settings|tenant-b", v, b, ErrOpen},
		{"altered", "incident_settings|tenant-a", string(flip), b, ErrOpen},
		{"truncated", "incident_settings|tenant-a", v[:len(Prefix)+10], b, ErrOpen},
		{"prefix only", "incident_settings|tenant-a", Prefix, b, ErrOpen},
		{"not base64", "incident_settings|tenant-a", Prefix + "!!!!", b, ErrOpen},
		{"other key", "incident_settings|tenant-a", v, testBox(t, 2), ErrOpen},
		{"no key", "incident_settings|tenant-a", v, nil, ErrNoKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, err := c.box.Open(c.purpose, c.v); !errors.Is(err, c.want) || got != "" {
				t.Errorf("Open = %q, %v; want error %v", got, err, c.want)
			}
		})
	}
	// Plaintext written before sealing existed reads back as is, with or
	// without a key; a nil Box seals nothing.
	var none *Box
	for _, box := range []*Box{b, none} {
		if got, err := box.Open("p", `{"a":1}`); err != nil || got != `{"a":1}` {
			t.Errorf("legacy plaintext = %q, %v", got, err)
		}
	}
	if got := none.Seal("p", "x"); got != "x" {
		t.Errorf("nil box sealed to %q", got)
	}
}

func TestNewKeySize(t *testing.T) {
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "secrets.key")
	// Several instances starting at once agree on one key.
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadOrCreateKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) || len(k) != KeySize {
			t.Fatalf("instances disagree on the key")
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode().Perm(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "sub", ".secrets-key-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// A short file or one readable by others is refused with the reason.
	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("abc"), 0o600)
	if _, err := LoadOrCreateKey(short); err == nil || !strings.Contains(err.Error(), "3 bytes") {
		t.Errorf("short key file: %v", err)
	}
	open := filepath.Join(dir, "open.key")
	os.WriteFile(open, make([]byte, KeySize), 0o644)
	if _, err := LoadOrCreateKey(open); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key file: %v", err)
	}
}

// FuzzOpen: a stored value is data read back from the database; whatever
// it holds, Open returns a value or an error and never panics, and what it
// seals opens again.
func FuzzOpen(f *testing.F) {
	b := testBox(f, 7)
	f.Add("p", b.Seal("p", "secret"))
	f.Add("p", Prefix)
	f.Add("p", Prefix+"AAAA")
	f.Add("", "plain")
	f.Fuzz(func(t *testing.T, purpose, v string) {
		_, _ = b.Open(purpose, v)
		if got, err := b.Open(purpose, b.Seal(purpose, v)); err != nil || got != v {
			t.Fatalf("round trip of %q: %q, %v", v, got, err)
		}
	})
}
