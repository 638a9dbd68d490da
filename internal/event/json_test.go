package event

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestAppendJSONString: the output is what encoding/json writes without
// HTML escaping, for strings across the word boundaries of the scan.
func TestAppendJSONString(t *testing.T) {
	pieces := []string{"", "a", "plain ascii text", "\"", "\\", "\n\r\t\b\f", "\x00\x01\x1f", "\x7f", "é", "€", "😀",
		"\u2028", "\u2029", "\xff", "\xc3", "\xe2\x82", "<>&", strings.Repeat("x", 17)}
	for _, a := range pieces {
		for _, b := range pieces {
			for pad := range 9 {
				s := strings.Repeat("p", pad) + a + b
				var w bytes.Buffer
				enc := json.NewEncoder(&w)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(s); err != nil {
					t.Fatal(err)
				}
				want := strings.TrimSuffix(w.String(), "\n")
				// encoding/json writes \u0008 and \u000c; both are valid.
				want = strings.NewReplacer(`\u0008`, `\b`, `\u000c`, `\f`).Replace(want)
				if got := string(AppendJSONString(nil, s)); got != want {
					t.Fatalf("AppendJSONString(%q) = %s, want %s", s, got, want)
				}
			}
		}
	}
}

// TestPlainJSONRun checks the word-at-a-time scan against the byte test for
// every byte value at every position of a word and across words.
func TestPlainJSONRun(t *testing.T) {
	special := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80 }
	for c := range 256 {
		for pos := range 20 {
			for _, fill := range []byte{'a', ' ', '!', '#', '[', ']', '~', 0x7f} {
				b := bytes.Repeat([]byte{fill}, 20)
				b[pos] = byte(c)
				want := len(b)
				if special(byte(c)) {
					want = pos
				}
				for start := 0; start <= pos; start++ {
					if got := PlainJSONRun(b, start); got != want {
						t.Fatalf("PlainJSONRun(%q, %d) = %d, want %d", b, start, got, want)
					}
					if got := PlainJSONRun(string(b), start); got != want {
						t.Fatalf("PlainJSONRun(string %q, %d) = %d, want %d", b, start, got, want)
					}
				}
			}
		}
	}
	// Two special bytes: the first is found whatever follows it.
	for c1 := range 256 {
		if !special(byte(c1)) {
			continue
		}
		for c2 := range 256 {
			b := []byte("abcdefghijklmnop")
			b[3], b[4] = byte(c1), byte(c2)
			if got := PlainJSONRun(b, 0); got != 3 {
				t.Fatalf("PlainJSONRun(%q) = %d, want 3", b, got)
			}
			b[3], b[4] = 'x', byte(c1)
			b[2] = byte(c2)
			want := 4
			if special(byte(c2)) {
				want = 2
			}
			if got := PlainJSONRun(b, 0); got != want {
				t.Fatalf("PlainJSONRun(%q) = %d, want %d", b, got, want)
			}
		}
	}
}
