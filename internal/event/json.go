package event

import (
	"math/bits"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string the way encoding/json quotes
// it without HTML escaping: invalid UTF-8 becomes U+FFFD, control
// characters, U+2028 and U+2029 are escaped. It is the one string encoder
// of the hand-written event encoders (the bus wire format in ingest, the
// NDJSON output of normalize), which run on the ingestion hot path.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i = PlainJSONRun(s, i); i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// PlainJSONRun returns the index of the first byte of s from i on that a
// JSON string encoder or decoder cannot copy as it is: '"', '\\', a control
// character or a non-ASCII byte (len(s) if there is none). It tests eight
// bytes at a time; the bus event codec of ingest and AppendJSONString
// share it.
func PlainJSONRun[T ~string | ~[]byte](s T, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(s); i += 8 {
		t := s[i : i+8] // one bounds check, one load
		w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		q := w ^ ('"' * ones)
		e := w ^ ('\\' * ones)
		// High bit of a byte set when it is < 0x20, '"', '\\' (the
		// "has less" and "has zero" tricks) or non-ASCII. Borrows may
		// flag bytes above a flagged byte, never below: the lowest flag
		// is exact.
		m := ((w-0x20*ones)&^w | (q-ones)&^q | (e-ones)&^e | w) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}
