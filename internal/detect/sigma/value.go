package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// part is one piece of a Sigma string value: literal text, or one wildcard
// ('*' any run of characters, '?' exactly one character).
type part struct {
	lit  string
	wild byte // 0 for literal text, '*' or '?'
}

// sstring is a Sigma string after escape processing: literal text
// interleaved with wildcards. Adjacent literals are always merged.
type sstring []part

// parseSString splits a rule value into literals and wildcards. The escapes
// are those of the specification: \* and \? are literal wildcard characters,
// \\ is one backslash, and any other backslash is itself literal (Windows
// paths are written with single backslashes).
func parseSString(v string) sstring {
	var out sstring
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, part{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\\':
			if i+1 < len(v) && (v[i+1] == '*' || v[i+1] == '?' || v[i+1] == '\\') {
				lit.WriteByte(v[i+1])
				i++
				continue
			}
			lit.WriteByte(c)
		case '*', '?':
			flush()
			out = append(out, part{wild: c})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

// plainSString is a string without wildcards (used for keywords of encoded values).
func plainSString(v string) sstring {
	if v == "" {
		return nil
	}
	return sstring{{lit: v}}
}

// plain returns the literal text when the string has no wildcards.
func (s sstring) plain() (string, bool) {
	switch len(s) {
	case 0:
		return "", true
	case 1:
		if s[0].wild == 0 {
			return s[0].lit, true
		}
	}
	return "", false
}

// normalize merges adjacent literals and collapses runs of '*'.
func (s sstring) normalize() sstring {
	out := make(sstring, 0, len(s))
	for _, p := range s {
		if p.wild == 0 && p.lit == "" {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if p.wild == 0 && last.wild == 0 {
				last.lit += p.lit
				continue
			}
			if p.wild == '*' && last.wild == '*' {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// mapLiterals applies fn to every literal part.
func (s sstring) mapLiterals(fn func(string) string) sstring {
	out := make(sstring, len(s))
	for i, p := range s {
		if p.wild == 0 {
			p.lit = fn(p.lit)
		}
		out[i] = p
	}
	return out
}

// String renders the value back in Sigma syntax (for messages and tests).
func (s sstring) String() string {
	var b strings.Builder
	for _, p := range s {
		if p.wild != 0 {
			b.WriteByte(p.wild)
			continue
		}
		for i := 0; i < len(p.lit); i++ {
			if c := p.lit[i]; c == '*' || c == '?' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(p.lit[i])
		}
	}
	return b.String()
}

// withWild puts '*' at the start and/or end when not already there.
func (s sstring) withWild(start, end bool) sstring {
	out := make(sstring, 0, len(s)+2)
	if start && (len(s) == 0 || s[0].wild != '*') {
		out = append(out, part{wild: '*'})
	}
	out = append(out, s...)
	if end && (len(out) == 0 || out[len(out)-1].wild != '*') {
		out = append(out, part{wild: '*'})
	}
	return out
}

// windashChars are the dash variants the windash modifier permutes.
var windashChars = [...]string{"-", "/", "–", "—", "―"}

// maxVariants bounds the value permutations one modifier may produce.
const maxVariants = 4096

var errTooManyVariants = errors.New("too many value permutations")

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// windash expands every '-' or '/' that starts a word (the pySigma pattern
// \B[-/]\b: preceded by a non-word character or the start, followed by a word
// character) into the five dash variants, producing every permutation.
func (s sstring) windash() (vs []sstring, err error) {
	// Split literals at eligible dash positions into placeholder parts.
	type piece struct {
		p    part
		dash bool
	}
	var pieces []piece
	n := 0
	for i, p := range s {
		if p.wild != 0 {
			pieces = append(pieces, piece{p: p})
			continue
		}
		start := 0
		for j := 0; j < len(p.lit); j++ {
			c := p.lit[j]
			if c != '-' && c != '/' {
				continue
			}
			prevWord := false
			if j > 0 {
				prevWord = isWordByte(p.lit[j-1])
			} else if i > 0 && s[i-1].wild == 0 {
				prevWord = len(s[i-1].lit) > 0 && isWordByte(s[i-1].lit[len(s[i-1].lit)-1])
			}
			nextWord := j+1 < len(p.lit) && isWordByte(p.lit[j+1])
			if prevWord || !nextWord {
				continue
			}
			if j > start {
				pieces = append(pieces, piece{p: part{lit: p.lit[start:j]}})
			}
			pieces = append(pieces, piece{dash: true})
			n++
			start = j + 1
		}
		if start < len(p.lit) {
			pieces = append(pieces, piece{p: part{lit: p.lit[start:]}})
		}
	}
	total := 1
	for range n {
		total *= len(windashChars)
		if total > maxVariants {
			return nil, fmt.Errorf("windash: %w", errTooManyVariants)
		}
	}
	for k := range total {
		v := make(sstring, 0, len(pieces))
		sel := k
		for _, pc := range pieces {
			if pc.dash {
				v = append(v, part{lit: windashChars[sel%len(windashChars)]})
				sel /= len(windashChars)
				continue
			}
			v = append(v, pc.p)
		}
		vs = append(vs, v.normalize())
	}
	return vs, nil
}

// expandPlaceholders replaces %name% placeholders in literals with every
// value configured for name. An unknown placeholder is an error.
func (s sstring) expandPlaceholders(ph map[string][]string) ([]sstring, error) {
	out := []sstring{nil}
	for _, p := range s {
		if p.wild != 0 {
			for i := range out {
				out[i] = append(out[i], p)
			}
			continue
		}
		lit := p.lit
		for lit != "" {
			i := strings.IndexByte(lit, '%')
			j := -1
			if i >= 0 {
				j = strings.IndexByte(lit[i+1:], '%')
			}
			if i < 0 || j < 0 {
				for k := range out {
					out[k] = append(out[k], part{lit: lit})
				}
				break
			}
			j += i + 1
			if i > 0 {
				for k := range out {
					out[k] = append(out[k], part{lit: lit[:i]})
				}
			}
			name := lit[i+1 : j]
			vals, ok := ph[name]
			if !ok || len(vals) == 0 {
				return nil, fmt.Errorf("placeholder %%%s%% has no configured values", name)
			}
			if len(out)*len(vals) > maxVariants {
				return nil, fmt.Errorf("expand: %w", errTooManyVariants)
			}
			next := make([]sstring, 0, len(out)*len(vals))
			for _, o := range out {
				for _, v := range vals {
					c := append(append(sstring(nil), o...), parseSString(v)...)
					next = append(next, c)
				}
			}
			out = next
			lit = lit[j+1:]
		}
	}
	for i := range out {
		out[i] = out[i].normalize()
	}
	return out, nil
}

// encodeUTF16 encodes text as UTF-16 (little or big endian) bytes.
func encodeUTF16(s string, bigEndian, bom bool) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	if bom {
		if bigEndian {
			b = append(b, 0xFE, 0xFF)
		} else {
			b = append(b, 0xFF, 0xFE)
		}
	}
	for _, c := range u {
		if bigEndian {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the three shifted base64 forms of v that appear in
// the encoding of any text containing v (pySigma's base64offset).
func base64Offsets(v string) []string {
	startOffsets := [3]int{0, 2, 3}
	endOffsets := [3]int{0, -3, -2} // 0 means "to the end"
	out := make([]string, 0, 3)
	for i := range 3 {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", i) + v))
		end := len(enc)
		if e := endOffsets[(len(v)+i)%3]; e != 0 {
			end += e
		}
		if startOffsets[i] > end {
			continue
		}
		out = append(out, enc[startOffsets[i]:end])
	}
	return out
}
