package ioc

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// NormalizeURL returns the canonical form of an absolute URL, the form in
// which URL indicators are stored and event URLs are looked up:
//
//   - the scheme and the host are lower-cased; one trailing dot on the host
//     is removed; an internationalised host is converted to punycode;
//   - the port is dropped when it is the scheme's default (http 80, https
//     443, ftp 21, ws 80, wss 443) or empty, and written without leading
//     zeros otherwise;
//   - percent-encoding is normalised (RFC 3986 §6.2.2): escapes of
//     unreserved characters are decoded, the other escapes are written
//     with upper-case hex digits, and bytes that may not appear in a URL
//     (space, non-ASCII, `"<>\^{|}` and backquote) are escaped;
//   - "." and ".." path segments are removed (RFC 3986 §5.2.4);
//   - trailing slash: an empty path becomes "/" ("http://a.example" equals
//     "http://a.example/"), but a trailing slash after a non-empty path is
//     significant ("/a/" differs from "/a"), as it is for web servers;
//   - an empty query ("?" alone) and the fragment are dropped;
//   - user information is kept as written (after percent normalisation).
//
// It refuses relative URLs, URLs without "//" and a host, invalid ports
// and hosts, control characters and malformed escapes.
func NormalizeURL(s string) (string, error) {
	b, why := appendURL(nil, s, true)
	if why != "" {
		return "", valueErr(TypeURL, s, why)
	}
	return string(b), nil
}

// appendURL appends the normalised form of s to dst. In lenient mode (event
// values) it tolerates malformed escapes, control characters and hosts,
// escaping what it cannot keep; it still fails without a scheme and host.
func appendURL(dst []byte, s string, strict bool) ([]byte, string) {
	if strict && strings.TrimSpace(s) != s {
		return dst, "leading or trailing white space"
	}
	s = strings.TrimSpace(s)
	// Scheme.
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return dst, "no scheme"
	}
	scheme := s[:colon]
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		isAlpha := c|0x20 >= 'a' && c|0x20 <= 'z'
		if !isAlpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return dst, "invalid scheme"
		}
	}
	rest := s[colon+1:]
	if !strings.HasPrefix(rest, "//") {
		return dst, "no //authority after the scheme"
	}
	rest = rest[2:]
	start := len(dst)
	for i := 0; i < len(scheme); i++ {
		dst = append(dst, lower(scheme[i]))
	}
	lscheme := dst[start:]
	dst = append(dst, "://"...)

	// Authority.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	rest = rest[end:]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		var why string
		dst, why = appendEscaped(dst, auth[:at], strict, false)
		if why != "" {
			return dst, why
		}
		dst = append(dst, '@')
		auth = auth[at+1:]
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		rb := strings.IndexByte(auth, ']')
		if rb < 0 {
			return dst, "unterminated IPv6 literal"
		}
		host, port = auth[:rb+1], auth[rb+1:]
		if port != "" && port[0] != ':' {
			return dst, "junk after IPv6 literal"
		}
	} else if c := strings.LastIndexByte(auth, ':'); c >= 0 {
		host, port = auth[:c], auth[c:]
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return dst, "empty host"
	}
	var why string
	dst, why = appendHost(dst, host, strict)
	if why != "" {
		return dst, why
	}
	if len(port) > 1 {
		p := 0
		for i := 1; i < len(port); i++ {
			c := port[i]
			if c < '0' || c > '9' {
				return dst, "invalid port"
			}
			p = p*10 + int(c-'0')
			if p > 65535 {
				return dst, "port out of range"
			}
		}
		if p != defaultPort(lscheme) {
			dst = append(dst, ':')
			dst = appendUint(dst, p)
		}
	}

	// Path, query; the fragment is dropped.
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		rest = rest[:h]
	}
	path, query := rest, ""
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		path, query = rest[:q], rest[q+1:]
	}
	pathStart := len(dst)
	if path == "" {
		dst = append(dst, '/')
	} else {
		dst, why = appendEscaped(dst, path, strict, false)
		if why != "" {
			return dst, why
		}
		dst = removeDotSegments(dst, pathStart)
	}
	if query != "" {
		dst = append(dst, '?')
		dst, why = appendEscaped(dst, query, strict, true)
		if why != "" {
			return dst, why
		}
	}
	return dst, ""
}

func defaultPort(scheme []byte) int {
	switch {
	case string(scheme) == "http", string(scheme) == "ws":
		return 80
	case string(scheme) == "https", string(scheme) == "wss":
		return 443
	case string(scheme) == "ftp":
		return 21
	}
	return -1
}

func appendUint(dst []byte, n int) []byte {
	var b [8]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// appendHost appends a lower-cased host. Strict mode validates it as an IP
// literal or host name and converts IDNs to punycode.
func appendHost(dst []byte, host string, strict bool) ([]byte, string) {
	n := len(dst)
	dst, why := appendCanonicalHost(dst, host)
	if why == "" || strict {
		return dst, why
	}
	// Lenient: keep what cannot be canonicalised, lower-cased.
	dst = dst[:n]
	for i := 0; i < len(host); i++ {
		dst = append(dst, lower(host[i]))
	}
	return dst, ""
}

func appendCanonicalHost(dst []byte, host string) ([]byte, string) {
	if host[0] == '[' {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return dst, "invalid IPv6 literal"
		}
		dst = append(dst, '[')
		dst = a.AppendTo(dst)
		return append(dst, ']'), ""
	}
	if !isASCII(host) {
		if !utf8.ValidString(host) {
			return dst, "invalid UTF-8 in host"
		}
		a, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return dst, "invalid internationalised host"
		}
		host = a
	}
	start := len(dst)
	for i := 0; i < len(host); i++ {
		dst = append(dst, lower(host[i]))
	}
	h := dst[start:]
	if isDigitsAndDots(h) {
		if a, err := netip.ParseAddr(string(h)); err == nil && a.Is4() {
			return dst, ""
		}
	}
	if why := checkHostname(h, 1); why != "" {
		if strings.HasPrefix(why, "numeric") {
			return dst, "host: invalid IPv4 address"
		}
		return dst, "host: " + why
	}
	return dst, ""
}

const upperHex = "0123456789ABCDEF"

// hexVal maps a hex digit to its value and anything else to 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

func unhex(c byte) (byte, bool) {
	v := hexVal[c]
	return v, v != 0xff
}

func isUnreserved(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// mustEscape reports whether c may not appear literally in a URL.
func mustEscape(c byte) bool { return escapeSet[c] }

var escapeSet = func() (t [256]bool) {
	for c := range t {
		t[c] = c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", byte(c)) >= 0
	}
	return t
}()

// appendEscaped appends s with normalised percent-encoding. Escapes of
// unreserved characters are decoded; other escapes get upper-case hex.
func appendEscaped(dst []byte, s string, strict, query bool) ([]byte, string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				if strict {
					return dst, "truncated percent escape"
				}
				dst = append(dst, "%25"...)
				continue
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				if strict {
					return dst, "invalid percent escape"
				}
				dst = append(dst, "%25"...)
				continue
			}
			v := hi<<4 | lo
			if isUnreserved(v) {
				dst = append(dst, v)
			} else {
				dst = append(dst, '%', upperHex[v>>4], upperHex[v&15])
			}
			i += 2
		case c < 0x20 || c == 0x7f:
			if strict {
				return dst, "control character"
			}
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		case c == ' ' && query:
			dst = append(dst, "%20"...)
		case mustEscape(c):
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst, ""
}

// removeDotSegments removes "." and ".." segments from the path that
// starts at b[start] (always with '/'), in place.
func removeDotSegments(b []byte, start int) []byte {
	p := b[start:]
	if !containsDotSegment(p) {
		return b
	}
	out := start // write position in b
	i := 0
	for i < len(p) {
		// p[i] == '/' at each step.
		j := i + 1
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i+1 : j]
		last := j == len(p)
		switch string(seg) {
		case ".":
			if last {
				b[out] = '/'
				out++
			}
		case "..":
			// Drop the previous output segment.
			for out > start && b[out-1] != '/' {
				out--
			}
			if out > start {
				out--
			}
			if last {
				b[out] = '/'
				out++
			}
		default:
			n := copy(b[out:], p[i:j])
			out += n
		}
		i = j
	}
	if out == start {
		b[out] = '/'
		out++
	}
	return b[:out]
}

func containsDotSegment(p []byte) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
			if j < len(p) && p[j] == '.' {
				j++
			}
			if j == len(p) || p[j] == '/' {
				return true
			}
		}
	}
	return false
}

func isDigitsAndDots(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// urlPlain marks the bytes that the lenient normalisation of a path or
// query keeps as they are: not '%', '#', '?', a control character, space,
// non-ASCII, or a character that must be escaped.
var urlPlain = func() (t [256]bool) {
	for c := range t {
		t[c] = c > ' ' && c < 0x7f && c != '%' && c != '#' && c != '?' && !escapeSet[c]
	}
	return t
}()

// hostPlain marks the bytes that may appear in the host of a URL that
// isCanonicalURL accepts: ASCII except upper case, '@', ':', '[' (user
// information, port, IP literal), '?', '#' and '/' (the authority's end).
var hostPlain = func() (t [256]bool) {
	for c := range t {
		t[c] = c < 0x80 && !(c >= 'A' && c <= 'Z') && strings.IndexByte("@:[?#/", byte(c)) < 0
	}
	return t
}()

// isCanonicalURL reports whether s is a URL that the lenient
// normalisation (appendURL with strict false) returns unchanged, checking
// in one pass instead of rewriting. It may answer false for some canonical
// URLs (user information, ports, IP literals), which then take the slow
// path; it never answers true for a URL that normalisation would change.
func isCanonicalURL(s string) bool {
	// Scheme: lower case, then "://".
	i := 0
	for i < len(s) && s[i] != ':' {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
		i++
	}
	if i == 0 || len(s)-i < 3 || s[i+1] != '/' || s[i+2] != '/' {
		return false
	}
	i += 3
	// Host: no user information, port or IP literal; lower-case ASCII;
	// no trailing dot; a path follows (an empty one becomes "/").
	h := i
	for i < len(s) && hostPlain[s[i]] {
		i++
	}
	if i == h || i == len(s) || s[i] != '/' || s[i-1] == '.' {
		return false
	}
	// Path: nothing to escape or decode, no fragment, no dot segment.
	p := i
	i = plainRun(s, i+1, &urlBad)
	for d := strings.Index(s[p:i], "/."); d >= 0; {
		if isDotSegment(s[p+d+1:]) {
			return false
		}
		p += d + 2
		d = strings.Index(s[p:i], "/.")
	}
	if i == len(s) {
		return true
	}
	// Query: not empty, nothing to escape or decode, no fragment.
	if s[i] != '?' || i+1 == len(s) {
		return false
	}
	return plainRun(s, i+1, &urlBadQuery) == len(s)
}

// urlBad is the complement of urlPlain as 0 (plain) or 1; urlBadQuery also
// lets '?' through.
var urlBad, urlBadQuery = func() (t, q [256]uint8) {
	for c := range t {
		if !urlPlain[c] {
			t[c], q[c] = 1, 1
		}
	}
	q['?'] = 0
	return t, q
}()

// plainRun returns the index of the first byte of s at or after i that bad
// marks, or len(s). It tests eight bytes at a time.
func plainRun(s string, i int, bad *[256]uint8) int {
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		if bad[w[0]]|bad[w[1]]|bad[w[2]]|bad[w[3]]|bad[w[4]]|bad[w[5]]|bad[w[6]]|bad[w[7]] != 0 {
			break
		}
	}
	for ; i < len(s) && bad[s[i]] == 0; i++ {
	}
	return i
}

// isDotSegment reports whether p, which starts with '.', starts with a
// "." or ".." path segment.
func isDotSegment(p string) bool {
	j := 1
	if j < len(p) && p[j] == '.' {
		j++
	}
	return j == len(p) || p[j] == '/' || p[j] == '?'
}
