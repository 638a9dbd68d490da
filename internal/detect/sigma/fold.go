package sigma

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// appendFold appends the case-folded form of s to dst. Folding is per rune
// (unicode.ToLower), so fold(a+b) == fold(a)+fold(b) and substring relations
// survive folding; bytes that are not valid UTF-8 are copied unchanged, which
// keeps UTF-16 and other binary values intact.
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, c)
			i++
			continue
		}
		dst = utf8.AppendRune(dst, foldRune(r))
		i += n
	}
	return dst
}

// foldRune lowers a non-ASCII rune; a rune whose case-fold orbit holds an
// ASCII letter (KELVIN SIGN, LATIN SMALL LETTER LONG S) folds to that
// letter, so folded text agrees with regexp's (?i) and strings.EqualFold.
func foldRune(r rune) rune {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return unicode.ToLower(f)
		}
	}
	return unicode.ToLower(r)
}

// needsFold reports whether appendFold would change s.
func needsFold(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// fold returns the folded form of s (compile time only; allocates).
func fold(s string) string {
	if !needsFold(s) {
		return s
	}
	return string(appendFold(make([]byte, 0, len(s)), s))
}

// globMatch reports whether s matches the wildcard pattern p, where '*'
// matches any run of bytes and '?' exactly one character (rune).
func globMatch(p sstring, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for {
		if pi < len(p) {
			switch p[pi].wild {
			case '*':
				if pi == len(p)-1 {
					return true
				}
				starP, starS = pi, si
				pi++
				continue
			case '?':
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					pi++
					continue
				}
			default:
				if strings.HasPrefix(s[si:], p[pi].lit) {
					si += len(p[pi].lit)
					pi++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starP < 0 {
			return false
		}
		// Backtrack: let the last '*' swallow one more character.
		if starS >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		si = starS
		pi = starP + 1
		// Skip ahead to the next occurrence of the literal following '*'.
		if pi < len(p) && p[pi].wild == 0 {
			k := strings.Index(s[si:], p[pi].lit)
			if k < 0 {
				return false
			}
			si += k
			starS = si
		}
	}
}
