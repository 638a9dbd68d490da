package ioc

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// loadRealLists loads the MISP warninglists from the shared test data once.
func loadRealLists(t testing.TB) *Warninglists {
	t.Helper()
	dir := testenv.SharedData(t, "misp-warninglists/lists")
	w, err := realListsOnce(dir)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

var (
	realMu    sync.Mutex
	realCache = map[string]*Warninglists{}
)

func realListsOnce(dir string) (*Warninglists, error) {
	realMu.Lock()
	defer realMu.Unlock()
	if w, ok := realCache[dir]; ok {
		return w, nil
	}
	w, err := LoadWarninglists(dir)
	if err == nil {
		realCache[dir] = w
	}
	return w, err
}

const (
	listPublicDNS = "List of known IPv4 public DNS resolvers"
	listGoogle    = "List of known google domains"
	listRFC1918   = "List of RFC 1918 CIDR blocks"
	listEmpty     = "List of known hashes for empty files"
	listContacts  = "Common contact e-mail addresses"
	listMSSim     = "List of known Office 365 Attack Simulator used for phishing awareness campaigns"
	listWhatsMyIP = "List of known domains to know external IP"
	listShortener = "List of known URL Shorteners domains"
	listVPN6      = "Specialized list of IPv6 addresses belonging to common VPN providers and datacenters"
	listAWS       = "List of known Amazon AWS IP address ranges"
)

func TestWarninglistsReal(t *testing.T) {
	w := loadRealLists(t)
	if w.Len() != 23 {
		t.Errorf("loaded %d lists, want the 23 in the shared data", w.Len())
	}
	for _, err := range w.Skipped() {
		t.Errorf("skipped entry: %v", err)
	}
	tests := []struct {
		name  string
		typ   Type
		value string
		want  string // list name; "" = not on any list
	}{
		{"public dns resolver", TypeIPv4, "8.8.8.8", listPublicDNS},
		{"public dns resolver 9.9.9.9", TypeIPv4, "9.9.9.9", listPublicDNS},
		{"private address via cidr list", TypeIPv4, "192.168.1.20", listRFC1918},
		{"private cidr indicator inside a list block", TypeCIDR, "10.20.0.0/16", listRFC1918},
		{"cidr wider than the list block", TypeCIDR, "10.0.0.0/7", ""},
		{"ipv6 vpn range", TypeIPv6, "2001:1520::1", listVPN6},
		{"aws address", TypeIPv4, "3.5.140.1", listAWS},
		{"google subdomain (leading-dot entry)", TypeDomain, "some-random-name.google.com", listGoogle},
		{"google domain itself (plain entry)", TypeDomain, "google.com", listGoogle},
		{"what's my ip hostname", TypeDomain, "aboutmyip.com", listWhatsMyIP},
		{"what's my ip sub-hostname", TypeDomain, "eu.aboutmyip.com", listWhatsMyIP},
		{"hostname list on url host", TypeURL, "https://www.aboutmyip.com/?format=json", listWhatsMyIP},
		{"url shortener url", TypeURL, "https://2no.co/abc", listShortener},
		{"substring list", TypeDomain, "login.portal.docdeliveryapp.com", listMSSim},
		{"empty md5", TypeMD5, "d41d8cd98f00b204e9800998ecf8427e", listEmpty},
		{"empty sha256", TypeSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", listEmpty},
		{"md5 list does not apply to filenames", TypeFilename, "d41d8cd98f00b204e9800998ecf8427e", ""},
		{"regex contact email", TypeEmail, "abuse@example.org", listContacts},
		{"regex case-insensitive", TypeEmail, "SOC@Example.org", listContacts},
		{"ordinary email", TypeEmail, "mario.rossi@example.org", ""},
		{"ordinary ip", TypeIPv4, "45.155.205.233", ""},
		{"unlisted domain", TypeDomain, "vedetta-test-unlisted.example", ""},
		{"ip lists do not apply to domains", TypeDomain, "8.8.8.8.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := w.Check(tt.typ, tt.value)
			if got.List != tt.want || ok != (tt.want != "") {
				t.Errorf("Check(%s, %q) = %q, %v; want %q", tt.typ, tt.value, got.List, ok, tt.want)
			}
			if ok && got.Description == "" {
				t.Errorf("warning without description: %+v", got)
			}
		})
	}
}

func TestWarninglistSuppression(t *testing.T) {
	w := loadRealLists(t)
	inds := []Indicator{
		{ID: "dns", Type: TypeIPv4, Value: "8.8.8.8"},
		{ID: "google", Type: TypeDomain, Value: "mail.google.com"},
		{ID: "bad", Type: TypeDomain, Value: "vedetta-test-evil.example"},
		{ID: "wide", Type: TypeCIDR, Value: "8.8.0.0/16"},
		{ID: "empty", Type: TypeMD5, Value: "D41D8CD98F00B204E9800998ECF8427E"},
	}
	s := mustBuild(t, inds, WithWarninglists(w))
	var warned []string
	for _, wd := range s.Warned() {
		warned = append(warned, wd.Indicator.ID+": "+wd.Warning.List)
	}
	wantWarned := []string{
		"dns: " + listPublicDNS,
		"google: List of known google domains",
		"empty: " + listEmpty,
	}
	// mail.google.com is also in Cisco's top 1000, which sorts first.
	wantWarned[1] = "google: Top 1000 websites from Cisco Umbrella"
	if diff := cmp.Diff(wantWarned, warned); diff != "" {
		t.Errorf("Warned (-want +got):\n%s", diff)
	}

	ev := &event.Event{Observed: time.Now(), Fields: map[string]any{
		"destination.ip":    "8.8.8.8",
		"source.ip":         "8.8.1.1",
		"dns.question.name": "x.vedetta-test-evil.example",
		"file.hash.md5":     "d41d8cd98f00b204e9800998ecf8427e",
	}}
	type got struct {
		ID, Value  string
		Suppressed bool
		List       string
	}
	var hits []got
	s.MatchEvent(ev, func(h Hit) { hits = append(hits, got{h.Indicator.ID, h.Value, h.Suppressed, h.Warning.List}) })
	want := []got{
		{"wide", "8.8.1.1", false, ""}, // the block is not listed, 8.8.1.1 is not a resolver
		{"dns", "8.8.8.8", true, listPublicDNS},
		{"wide", "8.8.8.8", true, listPublicDNS},
		{"bad", "x.vedetta-test-evil.example", false, ""},
		{"empty", "d41d8cd98f00b204e9800998ecf8427e", true, listEmpty},
	}
	if diff := cmp.Diff(want, hits); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
}

func TestParseWarninglistMalformed(t *testing.T) {
	tests := []struct {
		name, doc, why string
	}{
		{"not json", `{`, "unexpected EOF"},
		{"unknown field", `{"name":"n","version":1,"description":"d","type":"string","list":["a"],"extra":1}`, "unknown field"},
		{"no name", `{"version":1,"description":"d","type":"string","list":["a"]}`, "no name"},
		{"no description", `{"name":"n","version":1,"type":"string","list":["a"]}`, "no description"},
		{"empty list", `{"name":"n","version":1,"description":"d","type":"string","list":[]}`, "empty list"},
		{"bad type", `{"name":"n","version":1,"description":"d","type":"glob","list":["a"]}`, "unknown type"},
		{"list not strings", `{"name":"n","version":1,"description":"d","type":"string","list":[1]}`, "cannot unmarshal"},
		{"trailing data", `{"name":"n","version":1,"description":"d","type":"string","list":["a"]} {}`, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wl, err := ParseWarninglist([]byte(tt.doc))
			if wl != nil || !errors.Is(err, ErrWarninglist) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("ParseWarninglist = %v, %v; want ErrWarninglist saying %q", wl, err, tt.why)
			}
		})
	}
}

func TestNewWarninglistsEntries(t *testing.T) {
	lists := []*Warninglist{
		{Name: "cidrs", Description: "d", Type: "cidr", List: []string{"192.0.2.0/24", "not-a-cidr"}, MatchingAttributes: []string{"ip-dst"}},
		{Name: "regexes", Description: "d", Type: "regex", List: []string{`/(?<=a)b/`, `/^evil\d+\.example$/i`}},
	}
	w, err := NewWarninglists(lists)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(w.Skipped()); n != 2 {
		t.Errorf("skipped %d entries, want 2: %v", n, w.Skipped())
	}
	if _, ok := w.Check(TypeDomain, "EVIL42.example"); !ok {
		t.Error("regex with /i did not match")
	}
	if _, ok := w.Check(TypeIPv4, "192.0.2.77"); !ok {
		t.Error("cidr entry did not match")
	}
	if _, ok := w.Check(TypeDomain, "192.0.2.77"); ok {
		t.Error("ip-dst list applied to a domain")
	}
	_, err = NewWarninglists([]*Warninglist{{Name: "bad", Description: "d", Type: "regex", List: []string{`/(?=x)/`}}})
	if !errors.Is(err, ErrWarninglist) {
		t.Errorf("list without usable entries: err = %v", err)
	}
}

func FuzzParseWarninglist(f *testing.F) {
	f.Add([]byte(`{"name":"n","version":1,"description":"d","type":"cidr","list":["10.0.0.0/8","::1"],"matching_attributes":["ip-src"]}`))
	f.Add([]byte(`{"name":"n","version":1,"description":"d","type":"hostname","list":[".example.com"]}`))
	f.Add([]byte(`{"name":"n","version":1,"description":"d","type":"substring","list":["abc","bc","c"]}`))
	f.Add([]byte(`{"name":"n","version":1,"description":"d","type":"regex","list":["/^a+$/gi"]}`))
	f.Add([]byte(`{"name":"n","version":1,"description":"d","list":["x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wl, err := ParseWarninglist(data)
		if err != nil {
			if wl != nil {
				t.Fatal("list returned with an error")
			}
			return
		}
		w, err := NewWarninglists([]*Warninglist{wl})
		if err != nil {
			return
		}
		for _, e := range wl.List {
			for ty := TypeIPv4; ty < numTypes; ty++ {
				w.Check(ty, e)
			}
		}
	})
}

// TestAhoCorasick compares the automaton with strings.Contains on random
// patterns and texts over a small alphabet (many overlaps).
func TestAhoCorasick(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	word := func(n int) string {
		b := make([]byte, 1+r.IntN(n))
		for i := range b {
			b[i] = "abc."[r.IntN(4)]
		}
		return string(b)
	}
	for round := range 200 {
		var lists []*Warninglist
		var pats [][]string
		for l := range 1 + r.IntN(3) {
			var p []string
			for range 1 + r.IntN(6) {
				p = append(p, word(5))
			}
			pats = append(pats, p)
			lists = append(lists, &Warninglist{Name: string(rune('a' + l)), Description: "d", Type: "substring", List: p})
		}
		w, err := NewWarninglists(lists)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			text := word(20)
			want := map[string]bool{}
			for li, p := range pats {
				for _, e := range p {
					if strings.Contains(text, e) {
						want[lists[li].Name] = true
					}
				}
			}
			got, ok := w.Check(TypeFilename, text)
			if ok != (len(want) > 0) || (ok && !want[got.List]) {
				t.Fatalf("round %d: patterns %q, text %q: got %q %v, want one of %v", round, pats, text, got.List, ok, want)
			}
		}
	}
}
