package ioc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Sentinel errors returned (wrapped) by ParseIndicator and Build.
var (
	ErrType      = errors.New("ioc: unknown indicator type")
	ErrValue     = errors.New("ioc: invalid indicator value")
	ErrTLP       = errors.New("ioc: unknown TLP")
	ErrIndicator = errors.New("ioc: invalid indicator")
)

// Type is the kind of an indicator.
type Type uint8

// Indicator types.
const (
	TypeIPv4     Type = iota + 1 // one IPv4 address
	TypeIPv6                     // one IPv6 address
	TypeCIDR                     // an IPv4 or IPv6 prefix
	TypeDomain                   // a domain and all its sub-domains
	TypeURL                      // a normalised absolute URL
	TypeMD5                      // MD5 digest, hex
	TypeSHA1                     // SHA-1 digest, hex
	TypeSHA256                   // SHA-256 digest, hex
	TypeEmail                    // an e-mail address
	TypeFilename                 // a file name without directories
	numTypes
)

var typeNames = [numTypes]string{
	TypeIPv4: "ipv4", TypeIPv6: "ipv6", TypeCIDR: "cidr", TypeDomain: "domain",
	TypeURL: "url", TypeMD5: "md5", TypeSHA1: "sha1", TypeSHA256: "sha256",
	TypeEmail: "email", TypeFilename: "filename",
}

// String returns the type's name as accepted by ParseType.
func (t Type) String() string {
	if t == 0 || t >= numTypes {
		return fmt.Sprintf("Type(%d)", uint8(t))
	}
	return typeNames[t]
}

// ParseType parses a type name ("ipv4", "ipv6", "cidr", "domain", "url",
// "md5", "sha1", "sha256", "email", "filename"), case-insensitively.
func ParseType(s string) (Type, error) {
	for t := TypeIPv4; t < numTypes; t++ {
		if strings.EqualFold(s, typeNames[t]) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrType, s)
}

// TLP is a Traffic Light Protocol 2.0 marking. The zero value means the
// indicator carries no marking.
type TLP uint8

// TLP levels.
const (
	TLPUnset TLP = iota
	TLPClear
	TLPGreen
	TLPAmber
	TLPAmberStrict
	TLPRed
	numTLP
)

var tlpNames = [numTLP]string{"", "clear", "green", "amber", "amber+strict", "red"}

// String returns the TLP 2.0 name ("clear", "amber+strict", ...).
func (l TLP) String() string {
	if l >= numTLP {
		return fmt.Sprintf("TLP(%d)", uint8(l))
	}
	return tlpNames[l]
}

// ParseTLP parses a TLP name, case-insensitively, with or without the
// "TLP:" prefix; TLP 1.0 "white" is read as clear.
func ParseTLP(s string) (TLP, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	n = strings.TrimPrefix(n, "tlp:")
	if n == "white" {
		return TLPClear, nil
	}
	for l := TLPClear; l < numTLP; l++ {
		if n == tlpNames[l] {
			return l, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrTLP, s)
}

// Indicator is one indicator of compromise with its metadata.
type Indicator struct {
	ID         string
	Type       Type
	Value      string // normalised, see ParseIndicator
	Source     string
	Confidence uint8 // 0–100
	TLP        TLP
	ValidFrom  time.Time // zero: no lower bound
	ValidUntil time.Time // zero: no upper bound
	Tags       []string
}

// ValidAt reports whether t lies within the indicator's validity window
// (both bounds inclusive).
func (in *Indicator) ValidAt(t time.Time) bool {
	if !in.ValidFrom.IsZero() && t.Before(in.ValidFrom) {
		return false
	}
	if !in.ValidUntil.IsZero() && t.After(in.ValidUntil) {
		return false
	}
	return true
}

// ParseIndicator validates value as an indicator of the named type and
// returns it normalised (only Type and Value are set):
//
//   - ipv4, ipv6: canonical text form; zones and IPv4-mapped IPv6 are refused.
//   - cidr: canonical prefix with host bits cleared ("10.1.2.3/8" becomes
//     "10.0.0.0/8"); a bare address becomes a /32 or /128.
//   - domain: lower case, IDN converted to punycode, one trailing dot
//     removed; at least two labels of letters, digits, '-' and '_'.
//   - url: see NormalizeURL.
//   - md5, sha1, sha256: lower-case hex of the exact length.
//   - email: lower case; the domain part follows the domain rules.
//   - filename: lower case (Windows and macOS file systems are
//     case-insensitive); no path separators or control characters.
func ParseIndicator(typ, value string) (Indicator, error) {
	t, err := ParseType(typ)
	if err != nil {
		return Indicator{}, err
	}
	v, err := normalize(t, value)
	if err != nil {
		return Indicator{}, err
	}
	return Indicator{Type: t, Value: v}, nil
}

func valueErr(t Type, v, why string) error {
	if len(v) > 80 {
		v = v[:80] + "..."
	}
	return fmt.Errorf("%w: %s %q: %s", ErrValue, t, v, why)
}

// normalize returns the canonical form of v for type t.
func normalize(t Type, v string) (string, error) {
	if v == "" {
		return "", valueErr(t, v, "empty")
	}
	switch t {
	case TypeIPv4, TypeIPv6:
		a, err := parseIndicatorAddr(t, v)
		if err != nil {
			return "", err
		}
		return a.String(), nil
	case TypeCIDR:
		p, err := parseCIDR(v)
		if err != nil {
			return "", err
		}
		return p.String(), nil
	case TypeDomain:
		return normDomain(t, v)
	case TypeURL:
		return NormalizeURL(v)
	case TypeMD5, TypeSHA1, TypeSHA256:
		if len(v) != 2*hashLen(t) {
			return "", valueErr(t, v, fmt.Sprintf("want %d hex digits, have %d characters", 2*hashLen(t), len(v)))
		}
		if _, err := hex.DecodeString(v); err != nil {
			return "", valueErr(t, v, "not hexadecimal")
		}
		return strings.ToLower(v), nil
	case TypeEmail:
		return normEmail(v)
	case TypeFilename:
		return normFilename(v)
	}
	return "", fmt.Errorf("%w %d", ErrType, t)
}

func hashLen(t Type) int {
	switch t {
	case TypeMD5:
		return 16
	case TypeSHA1:
		return 20
	case TypeSHA256:
		return 32
	}
	return 0
}

func parseIndicatorAddr(t Type, v string) (netip.Addr, error) {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, valueErr(t, v, "not an IP address")
	}
	if a.Zone() != "" {
		return netip.Addr{}, valueErr(t, v, "address has a zone")
	}
	switch {
	case t == TypeIPv4 && !a.Is4():
		return netip.Addr{}, valueErr(t, v, "not an IPv4 address")
	case t == TypeIPv6 && a.Is4In6():
		return netip.Addr{}, valueErr(t, v, "IPv4-mapped address; use type ipv4")
	case t == TypeIPv6 && !a.Is6():
		return netip.Addr{}, valueErr(t, v, "not an IPv6 address")
	}
	return a, nil
}

func parseCIDR(v string) (netip.Prefix, error) {
	if !strings.Contains(v, "/") {
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, valueErr(TypeCIDR, v, "not a prefix or address")
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, valueErr(TypeCIDR, v, "not a prefix")
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, valueErr(TypeCIDR, v, "IPv4-mapped prefix shorter than /96")
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// normDomain validates and normalises a domain name (also used for the
// domain part of e-mail addresses).
func normDomain(t Type, v string) (string, error) {
	d := v
	if !isASCII(d) {
		if !utf8.ValidString(d) {
			return "", valueErr(t, v, "invalid UTF-8")
		}
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return "", valueErr(t, v, "invalid internationalised domain name")
		}
		d = a
	}
	d = strings.ToLower(d)
	d = strings.TrimSuffix(d, ".")
	if err := checkHostname(d, 2); err != "" {
		return "", valueErr(t, v, err)
	}
	return d, nil
}

// checkHostname checks a lower-case ASCII host name and returns why it is
// invalid, or "".
func checkHostname[S ~string | ~[]byte](d S, minLabels int) string {
	if len(d) == 0 {
		return "empty"
	}
	if len(d) > 253 {
		return "longer than 253 characters"
	}
	labels, start := 0, 0
	allDigits := true
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			switch {
			case c >= 'a' && c <= 'z', c == '-', c == '_':
				allDigits = false
			case c >= '0' && c <= '9':
			default:
				return fmt.Sprintf("invalid character %q", c)
			}
			continue
		}
		l := d[start:i]
		switch {
		case len(l) == 0:
			return "empty label"
		case len(l) > 63:
			return "label longer than 63 characters"
		case l[0] == '-' || l[len(l)-1] == '-':
			return "label starts or ends with '-'"
		}
		labels++
		if i < len(d) {
			allDigits = true
		}
		start = i + 1
	}
	if labels < minLabels {
		return "a single label would match a whole top-level domain"
	}
	if allDigits {
		return "numeric top-level label (an IP address?)"
	}
	return ""
}

func normEmail(v string) (string, error) {
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return "", valueErr(TypeEmail, v, "no '@'")
	}
	local, domain := v[:at], v[at+1:]
	switch {
	case local == "":
		return "", valueErr(TypeEmail, v, "empty local part")
	case len(local) > 64:
		return "", valueErr(TypeEmail, v, "local part longer than 64 characters")
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return "", valueErr(TypeEmail, v, "misplaced '.' in local part")
	case !utf8.ValidString(local):
		return "", valueErr(TypeEmail, v, "invalid UTF-8")
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c >= 0x80 {
			continue // SMTPUTF8
		}
		if !isAtext(c) && c != '.' {
			return "", valueErr(TypeEmail, v, fmt.Sprintf("invalid character %q in local part", c))
		}
	}
	d, err := normDomain(TypeEmail, domain)
	if err != nil {
		return "", err
	}
	return strings.ToLower(local) + "@" + d, nil
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+/=?^_`{|}~-", c) >= 0
}

func normFilename(v string) (string, error) {
	switch {
	case len(v) > 255:
		return "", valueErr(TypeFilename, v, "longer than 255 bytes")
	case v == "." || v == "..":
		return "", valueErr(TypeFilename, v, "not a file name")
	case !utf8.ValidString(v):
		return "", valueErr(TypeFilename, v, "invalid UTF-8")
	case strings.TrimSpace(v) != v:
		return "", valueErr(TypeFilename, v, "leading or trailing white space")
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '/' || c == '\\':
			return "", valueErr(TypeFilename, v, "contains a path separator")
		case c < 0x20 || c == 0x7f:
			return "", valueErr(TypeFilename, v, "contains a control character")
		}
	}
	return strings.ToLower(v), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
