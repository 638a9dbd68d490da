package ioc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustInd(t testing.TB, id, typ, value string) Indicator {
	t.Helper()
	in, err := ParseIndicator(typ, value)
	if err != nil {
		t.Fatal(err)
	}
	in.ID = id
	return in
}

func mustBuild(t testing.TB, inds []Indicator, opts ...BuildOption) *Set {
	t.Helper()
	s, err := Build(inds, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ids(collect func(fn func(Match))) []string {
	var out []string
	collect(func(m Match) { out = append(out, m.Indicator().ID) })
	slices.Sort(out)
	return out
}

func testSet(t testing.TB) *Set {
	return mustBuild(t, []Indicator{
		mustInd(t, "v4", "ipv4", "198.51.100.7"),
		mustInd(t, "v4-dup", "ipv4", "198.51.100.7"),
		mustInd(t, "v6", "ipv6", "2001:db8::7"),
		mustInd(t, "c8", "cidr", "10.0.0.0/8"),
		mustInd(t, "c16", "cidr", "10.1.0.0/16"),
		mustInd(t, "c16-dup", "cidr", "10.1.0.0/16"),
		mustInd(t, "c24", "cidr", "10.1.2.0/24"),
		mustInd(t, "c6", "cidr", "2001:db8:bad::/48"),
		mustInd(t, "d", "domain", "evil.example"),
		mustInd(t, "d-sub", "domain", "cdn.evil.example"),
		mustInd(t, "u", "url", "http://phish.example/login"),
		mustInd(t, "md5", "md5", "44d88612fea8a8f36de82e1278abb02f"),
		mustInd(t, "sha1", "sha1", "3395856ce81f2b7382dee72602f798b642f14140"),
		mustInd(t, "sha256", "sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"),
		mustInd(t, "mail", "email", "ceo@phish.example"),
		mustInd(t, "file", "filename", "mimikatz.exe"),
	})
}

func TestLookups(t *testing.T) {
	s := testSet(t)
	ip := func(v string) func(fn func(Match)) {
		return func(fn func(Match)) { s.LookupIP(netip.MustParseAddr(v), fn) }
	}
	str := func(look func(string, func(Match)), v string) func(fn func(Match)) {
		return func(fn func(Match)) { look(v, fn) }
	}
	tests := []struct {
		name   string
		lookup func(fn func(Match))
		want   []string
	}{
		{"ipv4 exact with duplicate", ip("198.51.100.7"), []string{"v4", "v4-dup"}},
		{"ipv4 mapped", ip("::ffff:198.51.100.7"), []string{"v4", "v4-dup"}},
		{"ipv4 miss", ip("198.51.100.8"), nil},
		{"ipv6 exact", ip("2001:db8::7"), []string{"v6"}},
		{"ipv6 zone ignored", ip("2001:db8::7%eth0"), []string{"v6"}},
		{"nested cidrs", ip("10.1.2.3"), []string{"c16", "c16-dup", "c24", "c8"}},
		{"outer cidrs", ip("10.1.3.3"), []string{"c16", "c16-dup", "c8"}},
		{"outermost cidr", ip("10.200.0.1"), []string{"c8"}},
		{"cidr miss", ip("11.0.0.1"), nil},
		{"ipv6 cidr", ip("2001:db8:bad:1::1"), []string{"c6"}},
		{"ipv6 cidr miss", ip("2001:db8:bae::1"), nil},
		{"domain exact", str(s.LookupDomain, "evil.example"), []string{"d"}},
		{"domain case and dot", str(s.LookupDomain, "EVIL.Example."), []string{"d"}},
		{"subdomain", str(s.LookupDomain, "a.b.evil.example"), []string{"d"}},
		{"subdomain of both", str(s.LookupDomain, "x.cdn.evil.example"), []string{"d", "d-sub"}},
		{"suffix but not subdomain", str(s.LookupDomain, "notevil.example"), nil},
		{"parent not matched", str(s.LookupDomain, "example"), nil},
		{"idn event", str(s.LookupDomain, "bücher.evil.example"), []string{"d"}},
		{"url normalised", str(s.LookupURL, "HTTP://Phish.Example:80/./login#x"), []string{"u"}},
		{"url trailing slash differs", str(s.LookupURL, "http://phish.example/login/"), nil},
		{"url other path", str(s.LookupURL, "http://phish.example/logout"), nil},
		{"md5 upper", str(s.LookupHash, "44D88612FEA8A8F36DE82E1278ABB02F"), []string{"md5"}},
		{"sha1", str(s.LookupHash, "3395856ce81f2b7382dee72602f798b642f14140"), []string{"sha1"}},
		{"sha256", str(s.LookupHash, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"), []string{"sha256"}},
		{"hash not hex", str(s.LookupHash, "zzd88612fea8a8f36de82e1278abb02f"), nil},
		{"hash odd length", str(s.LookupHash, "44d88612fea8a8f36de82e1278abb02"), nil},
		{"email case", str(s.LookupEmail, "CEO@Phish.Example"), []string{"mail"}},
		{"email miss", str(s.LookupEmail, "cfo@phish.example"), nil},
		{"filename case", str(s.LookupFilename, "MimiKatz.EXE"), []string{"file"}},
		{"filename miss", str(s.LookupFilename, "mimikatz.exe.txt"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ids(tt.lookup)); diff != "" {
				t.Errorf("matched IDs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchIndicatorRoundTrip(t *testing.T) {
	from := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	until := from.Add(30 * 24 * time.Hour)
	inputs := []Indicator{
		{ID: "indicator--0f6e3b7c-95b4-4c3e-9d55-2a4c7c1f0a11", Type: TypeDomain, Value: "Evil.Example",
			Source: "cert-agid", Confidence: 80, TLP: TLPAmberStrict, ValidFrom: from, ValidUntil: until, Tags: []string{"phishing", "it"}},
		{ID: "misp-attr-42", Type: TypeIPv6, Value: "2001:db8::1", Source: "misp", Confidence: 100, TLP: TLPRed},
		{ID: "5c0d9f52-1e6b-4bbf-8e3a-0d9d2c3b4a5f", Type: TypeCIDR, Value: "192.0.2.9/24", Source: "misp", TLP: TLPClear,
			Tags: []string{"phishing", "it"}},
		{ID: "", Type: TypeSHA1, Value: "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", Source: "", TLP: TLPGreen, ValidUntil: until},
		{ID: "indicator--0F6E3B7C-95B4-4C3E-9D55-2A4C7C1F0A11", Type: TypeURL, Value: "https://phish.example:443/a", Source: "x"},
	}
	s := mustBuild(t, inputs)
	wantValues := []string{"evil.example", "2001:db8::1", "192.0.2.0/24", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "https://phish.example/a"}
	for i, in := range inputs {
		want := in
		want.Value = wantValues[i]
		var got []Indicator
		collect := func(m Match) { got = append(got, m.Indicator()) }
		switch in.Type {
		case TypeDomain:
			s.LookupDomain("www.evil.example", collect)
		case TypeIPv6:
			s.LookupIP(netip.MustParseAddr("2001:db8::1"), collect)
		case TypeCIDR:
			s.LookupIP(netip.MustParseAddr("192.0.2.200"), collect)
		case TypeSHA1:
			s.LookupHash(want.Value, collect)
		case TypeURL:
			s.LookupURL(want.Value, collect)
		}
		if diff := cmp.Diff([]Indicator{want}, got); diff != "" {
			t.Errorf("indicator #%d (-want +got):\n%s", i, diff)
		}
	}
	if s.Len() != len(inputs) {
		t.Errorf("Len = %d, want %d", s.Len(), len(inputs))
	}
}

func TestBuildErrors(t *testing.T) {
	ok := Indicator{ID: "ok", Type: TypeIPv4, Value: "192.0.2.1"}
	now := time.Now()
	tests := []struct {
		name string
		bad  Indicator
		want error
		why  string
	}{
		{"no type", Indicator{ID: "b", Value: "192.0.2.1"}, ErrType, "type 0"},
		{"bad value", Indicator{ID: "b", Type: TypeIPv4, Value: "192.0.2"}, ErrValue, "not an IP"},
		{"empty value", Indicator{ID: "b", Type: TypeDomain}, ErrValue, "empty"},
		{"bad url", Indicator{ID: "b", Type: TypeURL, Value: "evil.example/x"}, ErrValue, "no scheme"},
		{"bad hash", Indicator{ID: "b", Type: TypeSHA256, Value: "abc"}, ErrValue, "want 64 hex digits"},
		{"confidence", Indicator{ID: "b", Type: TypeIPv4, Value: "192.0.2.2", Confidence: 101}, ErrIndicator, "confidence 101"},
		{"tlp", Indicator{ID: "b", Type: TypeIPv4, Value: "192.0.2.2", TLP: 9}, ErrTLP, "TLP"},
		{"window", Indicator{ID: "b", Type: TypeIPv4, Value: "192.0.2.2", ValidFrom: now, ValidUntil: now.Add(-time.Hour)}, ErrIndicator, "before valid_from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build([]Indicator{ok, tt.bad})
			if s != nil || !errors.Is(err, tt.want) || !errors.Is(err, ErrIndicator) {
				t.Fatalf("Build = %v, %v; want nil and %v", s, err, tt.want)
			}
			for _, part := range []string{"#1", `"b"`, tt.why} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

func TestEmptySet(t *testing.T) {
	s := mustBuild(t, nil)
	n := 0
	s.LookupIP(netip.MustParseAddr("192.0.2.1"), func(Match) { n++ })
	s.LookupDomain("a.example", func(Match) { n++ })
	s.LookupURL("http://a.example/", func(Match) { n++ })
	s.LookupHash("44d88612fea8a8f36de82e1278abb02f", func(Match) { n++ })
	s.LookupEmail("a@a.example", func(Match) { n++ })
	s.LookupFilename("a", func(Match) { n++ })
	if n != 0 || s.Len() != 0 {
		t.Errorf("empty set matched %d, Len %d", n, s.Len())
	}
}

// TestAgainstReference builds a random mixed set and checks every value,
// and as many absent values, against a map.
func TestAgainstReference(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	r := rand.New(rand.NewPCG(1, 2))
	inds := genIndicators(r, n)
	s := mustBuild(t, inds)
	want := map[string]int{}
	for _, in := range inds {
		if in.Type != TypeCIDR {
			want[in.Type.String()+" "+in.Value]++
		}
	}
	for k, c := range want {
		typ, v, _ := strings.Cut(k, " ")
		tp, _ := ParseType(typ)
		got := 0
		count := func(m Match) {
			if m.Indicator().Value == v {
				got++
			}
		}
		switch tp {
		case TypeIPv4, TypeIPv6:
			s.LookupIP(netip.MustParseAddr(v), count)
		case TypeDomain:
			s.LookupDomain(v, count)
		case TypeURL:
			s.LookupURL(v, count)
		default:
			s.LookupHash(v, count)
		}
		if got != c {
			t.Fatalf("%s: found %d, want %d", k, got, c)
		}
	}
	// Every CIDR is found from its first and last address.
	for _, in := range inds {
		if in.Type != TypeCIDR {
			continue
		}
		p := netip.MustParsePrefix(in.Value)
		last := p.Addr().As4()
		hostBits := 32 - p.Bits()
		for i := 3; i >= 0 && hostBits > 0; i-- {
			n := min(hostBits, 8)
			last[i] |= byte(1<<n - 1)
			hostBits -= n
		}
		for _, a := range []netip.Addr{p.Addr(), netip.AddrFrom4(last)} {
			found := false
			s.LookupIP(a, func(m Match) { found = found || m.Indicator().ID == in.ID })
			if !found {
				t.Fatalf("%s not found from %s", in.Value, a)
			}
		}
		outside := netip.AddrFrom4(last).Next()
		if outside.IsValid() {
			s.LookupIP(outside, func(m Match) {
				if m.Indicator().ID == in.ID {
					t.Fatalf("%s found from %s, outside it", in.Value, outside)
				}
			})
		}
	}
	absent := genIndicators(rand.New(rand.NewPCG(3, 4)), n)
	for _, in := range absent {
		if in.Type == TypeCIDR || in.Type == TypeDomain || want[in.Type.String()+" "+in.Value] > 0 {
			continue
		}
		found := 0
		count := func(m Match) {
			if m.Type() == in.Type {
				found++
			}
		}
		switch in.Type {
		case TypeIPv4, TypeIPv6:
			s.LookupIP(netip.MustParseAddr(in.Value), count)
		case TypeURL:
			s.LookupURL(in.Value, count)
		default:
			s.LookupHash(in.Value, count)
		}
		if found != 0 {
			t.Fatalf("absent %s %q found %d times", in.Type, in.Value, found)
		}
	}
}

// genIndicators returns n indicators in the mix of PERFORMANCE.md W5: 40%
// IPv4, 5% IPv6, 5% CIDR, 25% domains, 10% URLs, 15% hashes, with
// STIX-style IDs, a handful of sources and tag sets.
func genIndicators(r *rand.Rand, n int) []Indicator {
	sources := []string{"misp-circl", "cert-agid", "abuse.ch", "otx", "internal"}
	tagSets := [][]string{nil, {"botnet"}, {"phishing", "it"}, {"ransomware"}, {"c2", "cobaltstrike"}}
	tlds := []string{"com", "net", "org", "it", "ru", "xyz", "top", "info"}
	out := make([]Indicator, n)
	var hb [32]byte
	for i := range out {
		in := &out[i]
		var u [16]byte
		for j := range u {
			u[j] = byte(r.Uint32())
		}
		in.ID = fmt.Sprintf("indicator--%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
		in.Source = sources[r.IntN(len(sources))]
		in.Tags = tagSets[r.IntN(len(tagSets))]
		in.Confidence = uint8(r.IntN(101))
		in.TLP = TLP(1 + r.IntN(5))
		p := r.IntN(100)
		switch {
		case p < 40:
			in.Type = TypeIPv4
			in.Value = netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}).String()
		case p < 45:
			var a [16]byte
			a[0], a[1] = 0x2a, byte(r.Uint32())
			for j := 2; j < 16; j++ {
				a[j] = byte(r.Uint32())
			}
			in.Type, in.Value = TypeIPv6, netip.AddrFrom16(a).String()
		case p < 50:
			in.Type = TypeCIDR
			bits := 16 + r.IntN(13)
			a := netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.Uint32()), byte(r.Uint32()), 0})
			in.Value = netip.PrefixFrom(a, bits).Masked().String()
		case p < 75:
			in.Type, in.Value = TypeDomain, randLabel(r)+"."+tlds[r.IntN(len(tlds))]
			if r.IntN(3) == 0 {
				in.Value = randLabel(r) + "." + in.Value
			}
		case p < 85:
			in.Type = TypeURL
			in.Value = "http://" + randLabel(r) + "." + tlds[r.IntN(len(tlds))] + "/" + randLabel(r) + "/" + randLabel(r) + ".php"
		default:
			for j := range hb {
				hb[j] = byte(r.Uint32())
			}
			switch r.IntN(3) {
			case 0:
				in.Type, in.Value = TypeMD5, fmt.Sprintf("%x", hb[:16])
			case 1:
				in.Type, in.Value = TypeSHA1, fmt.Sprintf("%x", hb[:20])
			default:
				in.Type, in.Value = TypeSHA256, fmt.Sprintf("%x", hb[:32])
			}
		}
	}
	return out
}

func randLabel(r *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 5+r.IntN(10))
	for i := range b {
		b[i] = letters[r.IntN(26)]
		if i > 0 {
			b[i] = letters[r.IntN(len(letters))]
		}
	}
	return string(b)
}

// TestLookupDomainManyParents covers names with more matching parents than
// LookupDomain keeps candidates for (it then takes a slower path), and
// checks that matches come longest first.
func TestLookupDomainManyParents(t *testing.T) {
	labels := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "example", "com"}
	var inds []Indicator
	var want []string
	for i := 0; i+2 <= len(labels); i++ {
		name := strings.Join(labels[i:], ".")
		inds = append(inds, mustInd(t, name, "domain", name))
		want = append(want, name)
	}
	s := mustBuild(t, inds)
	tests := []struct {
		name  string
		value string
		want  []string
	}{
		{"all parents", "A.B.C.D.E.F.G.H.I.J.K.Example.COM.", want},
		{"one label more", "x." + strings.Join(labels, "."), want},
		{"some parents", "f.g.h.i.j.k.example.com", want[5:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			s.LookupDomain(tt.value, func(m Match) { got = append(got, m.Indicator().ID) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LookupDomain(%q) (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

// TestLookupDomainLabelLengths covers labels around the eight-byte words
// in which domain names are hashed.
func TestLookupDomainLabelLengths(t *testing.T) {
	names := []string{"abcdefgh.example.com", "abcdefghabcdefgh.com", "abcdefghi.net", "a.abcdefghabcdefghx.org"}
	var inds []Indicator
	for _, n := range names {
		inds = append(inds, mustInd(t, n, "domain", n))
	}
	s := mustBuild(t, inds)
	tests := []struct {
		value string
		want  []string
	}{
		{"www.ABCDEFGH.example.com", []string{"abcdefgh.example.com"}},
		{"x.abcdefghabcdefgh.com", []string{"abcdefghabcdefgh.com"}},
		{"abcdefghi.net.", []string{"abcdefghi.net"}},
		{"a.abcdefghabcdefghx.org", []string{"a.abcdefghabcdefghx.org"}},
		{"bcdefgh.example.com", nil},
		{"abcdefghabcdefg.com", nil},
		{"abcdefghiabcdefghx.org", nil},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ids(func(fn func(Match)) { s.LookupDomain(tt.value, fn) })); diff != "" {
				t.Errorf("LookupDomain(%q) (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}
