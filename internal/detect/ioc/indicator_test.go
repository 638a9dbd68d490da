package ioc

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseIndicator(t *testing.T) {
	tests := []struct {
		name, typ, value, want string
	}{
		{"ipv4", "ipv4", "203.0.113.7", "203.0.113.7"},
		{"ipv4 type case", "IPv4", "203.0.113.7", "203.0.113.7"},
		{"ipv6 compressed", "ipv6", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
		{"cidr masked", "cidr", "10.1.2.3/8", "10.0.0.0/8"},
		{"cidr v6", "cidr", "2001:db8:abcd::/48", "2001:db8:abcd::/48"},
		{"cidr bare v4", "cidr", "192.0.2.1", "192.0.2.1/32"},
		{"cidr bare v6", "cidr", "2001:db8::1", "2001:db8::1/128"},
		{"cidr mapped", "cidr", "::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{"domain lower", "domain", "Evil.EXAMPLE.com.", "evil.example.com"},
		{"domain underscore", "domain", "_dmarc.example.org", "_dmarc.example.org"},
		{"domain idn", "domain", "bücher.example", "xn--bcher-kva.example"},
		{"url", "url", "HTTP://Evil.Example:80/a/%7euser/?q=%2f#frag", "http://evil.example/a/~user/?q=%2F"},
		{"md5 upper", "md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{"sha1", "sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"sha256", "sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"email", "email", "Phish.Er+x@Mail.Example.COM", "phish.er+x@mail.example.com"},
		{"email idn", "email", "a@bücher.example", "a@xn--bcher-kva.example"},
		{"filename", "filename", "MIMIKATZ.exe", "mimikatz.exe"},
		{"filename unicode", "filename", "Ärger.DOCX", "ärger.docx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIndicator(tt.typ, tt.value)
			if err != nil {
				t.Fatalf("ParseIndicator(%q, %q): %v", tt.typ, tt.value, err)
			}
			if got.Value != tt.want {
				t.Errorf("ParseIndicator(%q, %q) = %q, want %q", tt.typ, tt.value, got.Value, tt.want)
			}
			// Normalised values are fixed points.
			again, err := ParseIndicator(tt.typ, got.Value)
			if err != nil || again.Value != got.Value {
				t.Errorf("re-parse of %q = %q, %v", got.Value, again.Value, err)
			}
		})
	}
}

func TestParseIndicatorMalformed(t *testing.T) {
	tests := []struct {
		name, typ, value string
		want             error
		why              string
	}{
		{"unknown type", "ip", "1.2.3.4", ErrType, "unknown indicator type"},
		{"empty", "ipv4", "", ErrValue, "empty"},
		{"ipv4 junk", "ipv4", "1.2.3", ErrValue, "not an IP"},
		{"ipv4 leading zero", "ipv4", "01.2.3.4", ErrValue, "not an IP"},
		{"ipv4 given v6", "ipv4", "2001:db8::1", ErrValue, "not an IPv4"},
		{"ipv6 given v4", "ipv6", "192.0.2.1", ErrValue, "not an IPv6"},
		{"ipv6 mapped", "ipv6", "::ffff:192.0.2.1", ErrValue, "IPv4-mapped"},
		{"ipv6 zone", "ipv6", "fe80::1%eth0", ErrValue, "zone"},
		{"cidr bad bits", "cidr", "10.0.0.0/33", ErrValue, "not a prefix"},
		{"cidr junk", "cidr", "10.0.0/8", ErrValue, "not a prefix"},
		{"domain single label", "domain", "com", ErrValue, "single label"},
		{"domain empty label", "domain", "a..example", ErrValue, "empty label"},
		{"domain space", "domain", "ev il.example", ErrValue, "invalid character"},
		{"domain hyphen", "domain", "-a.example", ErrValue, "starts or ends"},
		{"domain long label", "domain", strings.Repeat("a", 64) + ".example", ErrValue, "longer than 63"},
		{"domain too long", "domain", strings.Repeat("abcdefghi.", 26) + "example", ErrValue, "longer than 253"},
		{"domain is ip", "domain", "192.0.2.1", ErrValue, "numeric"},
		{"domain bad utf8", "domain", "a\xff.example", ErrValue, "UTF-8"},
		{"url relative", "url", "/path/only", ErrValue, "no scheme"},
		{"url no authority", "url", "mailto:a@example.com", ErrValue, "no //authority"},
		{"url bad scheme", "url", "1http://example.com/", ErrValue, "invalid scheme"},
		{"url empty host", "url", "http:///path", ErrValue, "empty host"},
		{"url bad port", "url", "http://example.com:8x/", ErrValue, "invalid port"},
		{"url big port", "url", "http://example.com:65536/", ErrValue, "port out of range"},
		{"url bad escape", "url", "http://example.com/%zz", ErrValue, "invalid percent escape"},
		{"url short escape", "url", "http://example.com/%4", ErrValue, "truncated percent escape"},
		{"url control", "url", "http://example.com/a\x01b", ErrValue, "control character"},
		{"url space", "url", " http://example.com/", ErrValue, "white space"},
		{"url bad host", "url", "http://ex ample.com/", ErrValue, "host"},
		{"url bad v6", "url", "http://[2001:db8::zz]/", ErrValue, "IPv6 literal"},
		{"url open bracket", "url", "http://[2001:db8::1/", ErrValue, "unterminated"},
		{"md5 short", "md5", "d41d8cd98f00b204e9800998ecf8427", ErrValue, "want 32 hex digits"},
		{"sha1 not hex", "sha1", "zz39a3ee5e6b4b0d3255bfef95601890afd80709", ErrValue, "not hexadecimal"},
		{"sha256 as md5", "sha256", "d41d8cd98f00b204e9800998ecf8427e", ErrValue, "want 64 hex digits"},
		{"email no at", "email", "user.example.com", ErrValue, "no '@'"},
		{"email empty local", "email", "@example.com", ErrValue, "empty local part"},
		{"email dots", "email", "a..b@example.com", ErrValue, "misplaced '.'"},
		{"email bad char", "email", "a b@example.com", ErrValue, "invalid character"},
		{"email bad domain", "email", "a@localhost", ErrValue, "single label"},
		{"filename path", "filename", `C:\Windows\evil.exe`, ErrValue, "path separator"},
		{"filename slash", "filename", "bin/sh", ErrValue, "path separator"},
		{"filename dotdot", "filename", "..", ErrValue, "not a file name"},
		{"filename nul", "filename", "a\x00b", ErrValue, "control character"},
		{"filename space", "filename", " evil.exe", ErrValue, "white space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIndicator(tt.typ, tt.value)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseIndicator(%q, %q) = %+v, %v; want error %v", tt.typ, tt.value, got, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q does not say %q", err, tt.why)
			}
			if !cmp.Equal(got, Indicator{}) {
				t.Errorf("half-accepted: %+v", got)
			}
		})
	}
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://example.com", "http://example.com/"},
		{"http://example.com/", "http://example.com/"},
		{"http://example.com/a/", "http://example.com/a/"},
		{"http://example.com/a", "http://example.com/a"},
		{"HTTPS://EXAMPLE.com:443/A", "https://example.com/A"},
		{"https://example.com:0443/", "https://example.com/"},
		{"https://example.com:8443/", "https://example.com:8443/"},
		{"http://example.com:/", "http://example.com/"},
		{"http://example.com./x", "http://example.com/x"},
		{"http://example.com/a/./b/../c", "http://example.com/a/c"},
		{"http://example.com/a/b/..", "http://example.com/a/"},
		{"http://example.com/..", "http://example.com/"},
		{"http://example.com/%2E%2e/x", "http://example.com/x"},
		{"http://example.com/%41%62%2f%3a", "http://example.com/Ab%2F%3A"},
		{"http://example.com/a%2fb", "http://example.com/a%2Fb"},
		{"http://example.com/a b", "http://example.com/a%20b"},
		{"http://example.com/ü", "http://example.com/%C3%BC"},
		{"http://example.com/?", "http://example.com/"},
		{"http://example.com/?a=1&b=%7e#x", "http://example.com/?a=1&b=~"},
		{"http://User:Pw@Example.com/", "http://User:Pw@example.com/"},
		{"http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"},
		{"http://[2001:DB8::1]:8080/", "http://[2001:db8::1]:8080/"},
		{"http://192.0.2.1:8080/x", "http://192.0.2.1:8080/x"},
		{"http://bücher.example/", "http://xn--bcher-kva.example/"},
		{"ftp://files.example:21/pub", "ftp://files.example/pub"},
		{"hxxp://evil.example/", "hxxp://evil.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeURL(tt.in)
			if err != nil {
				t.Fatalf("NormalizeURL(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseTLP(t *testing.T) {
	tests := []struct {
		in   string
		want TLP
	}{
		{"clear", TLPClear}, {"TLP:WHITE", TLPClear}, {"green", TLPGreen}, {"tlp:amber", TLPAmber},
		{"AMBER+STRICT", TLPAmberStrict}, {"red", TLPRed},
	}
	for _, tt := range tests {
		got, err := ParseTLP(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseTLP(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if back, _ := ParseTLP(got.String()); back != got {
			t.Errorf("ParseTLP(%q.String()) = %v", got, back)
		}
	}
	for _, bad := range []string{"", "amber-strict", "black"} {
		if _, err := ParseTLP(bad); !errors.Is(err, ErrTLP) {
			t.Errorf("ParseTLP(%q) err = %v, want ErrTLP", bad, err)
		}
	}
}

// FuzzParseIndicator feeds values of every type (the type is chosen by
// the fuzzed byte, so that mutations explore values, not type names).
func FuzzParseIndicator(f *testing.F) {
	seeds := []struct {
		typ Type
		v   string
	}{
		{TypeIPv4, "192.0.2.1"}, {TypeIPv6, "2001:db8::1"}, {TypeCIDR, "10.0.0.0/8"}, {TypeCIDR, "::ffff:1.2.3.4/128"},
		{TypeDomain, "Evil.Example."}, {TypeDomain, "bücher.example"}, {TypeURL, "HTTP://a.example:80/%7e/../x?q#f"},
		{TypeURL, "http://[::1]:8080/a b"}, {TypeMD5, "D41D8CD98F00B204E9800998ECF8427E"},
		{TypeSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"}, {TypeEmail, "A@B.example"}, {TypeFilename, "Evil.EXE"},
		{TypeURL, "http://a.example/%"}, {TypeDomain, "a..b"}, {TypeSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"},
	}
	for _, s := range seeds {
		f.Add(uint8(s.typ), s.v)
	}
	f.Fuzz(func(t *testing.T, tb uint8, v string) {
		typ := Type(1 + tb%uint8(numTypes-1))
		in, err := ParseIndicator(typ.String(), v)
		if err != nil {
			if !errors.Is(err, ErrValue) || !cmp.Equal(in, Indicator{}) {
				t.Fatalf("error %v with %+v", err, in)
			}
			return
		}
		again, err := ParseIndicator(typ.String(), in.Value)
		if err != nil {
			t.Fatalf("normalised %q (from %q) does not parse: %v", in.Value, v, err)
		}
		if again.Value != in.Value {
			t.Fatalf("not idempotent: %q -> %q -> %q", v, in.Value, again.Value)
		}
		// Build accepts what ParseIndicator accepts, also unnormalised,
		// and finds it by its normalised value.
		raw := Indicator{ID: "x", Type: typ, Value: v}
		s, err := Build([]Indicator{raw})
		if err != nil {
			t.Fatalf("Build(%+v): %v", raw, err)
		}
		if n := countLookup(s, in.Type, in.Value); n != 1 {
			t.Fatalf("lookup of %s %q found %d indicators, want 1", in.Type, in.Value, n)
		}
	})
}

// countLookup looks value up with the lookup for typ and counts matches.
func countLookup(s *Set, typ Type, value string) int {
	n := 0
	count := func(Match) { n++ }
	switch typ {
	case TypeIPv4, TypeIPv6:
		a, _ := parseIndicatorAddr(typ, value)
		s.LookupIP(a, count)
	case TypeCIDR:
		p, _ := parseCIDR(value)
		s.LookupIP(p.Addr(), count)
	case TypeDomain:
		s.LookupDomain(value, count)
	case TypeURL:
		s.LookupURL(value, count)
	case TypeMD5, TypeSHA1, TypeSHA256:
		s.LookupHash(value, count)
	case TypeEmail:
		s.LookupEmail(value, count)
	case TypeFilename:
		s.LookupFilename(value, count)
	}
	return n
}

// FuzzNormalizeURL checks that normalisation is idempotent and that the
// lenient form used for event values agrees with the strict form on every
// URL the strict form accepts (otherwise an event could miss an indicator).
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"HTTP://Evil.Example:80/a/./b/../%7e?q=%2f#x", "https://[2001:DB8::1]:443/", "http://bücher.example/ü",
		"ftp://u:p@h.example:021/", "http://h.example/%", "http://h.example/a%2", "http://h.example:99999/",
		"http://h.example/a\x01", "x://h/..//../a/", "http://1.2.3.4./", "http://h.example?",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeURL(s)
		if err != nil {
			return
		}
		again, err := NormalizeURL(n)
		if err != nil || again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, n, again, err)
		}
		lenient, why := appendURL(nil, s, false)
		if why != "" || string(lenient) != n {
			t.Fatalf("lenient %q (%s) differs from strict %q for %q", lenient, why, n, s)
		}
	})
}

// FuzzCanonicalURL checks the lookup fast path: a URL that isCanonicalURL
// accepts must be one that the lenient normalisation leaves unchanged.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"http://a.example/x/y.php", "http://a.example/x?q=1", "http://a.example/x?", "http://a.example",
		"http://a.example./x", "HTTP://a.example/x", "http://A.example/x", "http://a.example:80/x",
		"http://u@a.example/x", "http://[::1]/x", "http://a.example/./x", "http://a.example/x/..",
		"http://a.example/%7e", "http://a.example/a b", "http://a.example/x#f", "http://a b/x",
		"http://1.2.3.4/x", "http://bücher.example/x", "h://a/x?y?z", "1http://a/x", "http:/a/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !isCanonicalURL(s) {
			return
		}
		lenient, why := appendURL(nil, s, false)
		if why != "" || string(lenient) != s {
			t.Fatalf("isCanonicalURL(%q) but lenient normalisation gives %q (%s)", s, lenient, why)
		}
	})
}
