package notify

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

// smtpServer is a tiny SMTP server on loopback: EHLO, optional STARTTLS
// and AUTH PLAIN, MAIL, RCPT, DATA, QUIT. It records what it received.
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config
	user     string
	pass     string
	rejectTo string // a recipient refused with 550

	mu   sync.Mutex
	msgs []smtpMsg
	wg   sync.WaitGroup
}

type smtpMsg struct {
	From     string
	To       []string
	Data     string
	TLS      bool
	AuthUser string
}

func newSMTPServer(t *testing.T, withTLS bool) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	if withTLS {
		s.tls = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(c) })
		}
	})
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) addr() string { return s.ln.Addr().String() }

func (s *smtpServer) messages() []smtpMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMsg(nil), s.msgs...)
}

func (s *smtpServer) serve(c net.Conn) {
	defer func() { c.Close() }()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	say("220 test ESMTP")
	var m smtpMsg
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-test")
			if s.tls != nil && !m.TLS {
				say("250-STARTTLS")
			}
			say("250 AUTH PLAIN")
		case cmd == "STARTTLS" && s.tls != nil:
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, m.TLS = tc, bufio.NewReader(tc), true
		case strings.HasPrefix(cmd, "AUTH PLAIN "):
			raw, _ := base64.StdEncoding.DecodeString(line[len("AUTH PLAIN "):])
			parts := strings.Split(string(raw), "\x00")
			if len(parts) == 3 && parts[1] == s.user && parts[2] == s.pass {
				m.AuthUser = parts[1]
				say("235 ok")
			} else {
				say("535 bad credentials")
			}
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m.From = strings.Trim(line[len("MAIL FROM:"):], "<> ")
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to := strings.Trim(line[len("RCPT TO:"):], "<> ")
			if to == s.rejectTo {
				say("550 no such user")
				continue
			}
			m.To = append(m.To, to)
			say("250 ok")
		case cmd == "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			m.Data = b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func roots(srv *smtpServer) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.tls.Certificates[0].Leaf)
	return &tls.Config{RootCAs: pool}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

func tenant(t *testing.T, st store.Store, slug string) string {
	t.Helper()
	ten := &store.Tenant{Slug: slug, Name: slug, Kind: store.KindPort, Country: "IT", Locale: "it"}
	if err := st.CreateTenant(t.Context(), ten); err != nil {
		t.Fatal(err)
	}
	return ten.ID
}

func TestSMTPConversation(t *testing.T) {
	srv := newSMTPServer(t, true)
	srv.user, srv.pass = "vedetta", "pw"
	mailer := &SMTPMailer{TLS: roots(srv)}
	cfg := EmailConfig{SMTPAddr: srv.addr(), From: "Vedetta <soc@porto.example>", Username: "vedetta", Password: "pw", StartTLS: true}
	items := []Item{{ID: "a1", Title: "Door forced open\r\nBcc: evil@example.com", Severity: "high", Rule: "Door forced open",
		FirstSeen: time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC), Count: 3, Assets: []string{"ACC-VARCO-01"}}}
	msg, err := buildMail(cfg.From, "pfso@porto.example, guardia@porto.example", items, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := mailer.Send(t.Context(), cfg, []string{"pfso@porto.example", "guardia@porto.example"}, msg); err != nil {
		t.Fatal(err)
	}
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	m := got[0]
	if !m.TLS || m.AuthUser != "vedetta" || m.From != "soc@porto.example" {
		t.Errorf("conversation: tls %v auth %q from %q", m.TLS, m.AuthUser, m.From)
	}
	if diff := cmp.Diff([]string{"pfso@porto.example", "guardia@porto.example"}, m.To); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Subject: ", "[HIGH] Door forced open", "(3 matches)", "ACC-VARCO-01", "Auto-Submitted: auto-generated"} {
		if !strings.Contains(m.Data, want) {
			t.Errorf("message lacks %q:\n%s", want, m.Data)
		}
	}
	if strings.Contains(m.Data, "\r\nBcc:") {
		t.Error("a title injected a header")
	}

	failures := []struct {
		name string
		cfg  EmailConfig
		to   []string
		want string
	}{
		{"wrong password", EmailConfig{SMTPAddr: srv.addr(), From: "soc@porto.example", Username: "vedetta", Password: "no", StartTLS: true}, []string{"a@b.example"}, "auth"},
		{"refused recipient", EmailConfig{SMTPAddr: srv.addr(), From: "soc@porto.example", StartTLS: true}, []string{"gone@b.example"}, "rcpt"},
		{"untrusted certificate", EmailConfig{SMTPAddr: srv.addr(), From: "soc@porto.example", StartTLS: true}, []string{"a@b.example"}, "starttls"},
		{"nobody listening", EmailConfig{SMTPAddr: "127.0.0.1:1", From: "soc@porto.example"}, []string{"a@b.example"}, "smtp"},
	}
	srv.rejectTo = "gone@b.example"
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			m := mailer
			if tt.name == "untrusted certificate" {
				m = &SMTPMailer{}
			}
			err := m.Send(t.Context(), tt.cfg, tt.to, msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one about %s", err, tt.want)
			}
		})
	}
}

func TestParseConfigs(t *testing.T) {
	emails := []struct {
		raw     string
		wantErr bool
	}{
		{`{"smtp_addr":"mail.example:587","from":"soc@x.example","username":"u","password":"p","starttls":true}`, false},
		{`{"smtp_addr":"127.0.0.1:25","from":"soc@x.example","username":"u","password":"p"}`, false},
		{`{"smtp_addr":"mail.example:587","from":"soc@x.example","username":"u","password":"p"}`, true}, // password in clear
		{`{"smtp_addr":"mail.example","from":"soc@x.example"}`, true},
		{`{"smtp_addr":"mail.example:25","from":"not an address"}`, true},
		{`{"smtp_addr":"mail.example:25","from":"a@b.example\r\nBcc: x@y"}`, true},
		{`{"smtp_addr":"mail.example:25","from":"a@b.example","extra":1}`, true},
		{`[]`, true},
		{``, true},
	}
	for _, tt := range emails {
		if _, err := ParseEmailConfig(tt.raw); (err != nil) != tt.wantErr {
			t.Errorf("ParseEmailConfig(%s) err = %v", tt.raw, err)
		}
	}
	hooks := []struct {
		raw     string
		wantErr bool
	}{
		{`{"secret":"0123456789abcdef"}`, false},
		{`{"secret":"short"}`, true},
		{`{"secret":"0123456789abcdef","x":1}`, true},
		{`nope`, true},
	}
	for _, tt := range hooks {
		if _, err := ParseWebhookConfig(tt.raw); (err != nil) != tt.wantErr {
			t.Errorf("ParseWebhookConfig(%s) err = %v", tt.raw, err)
		}
	}
	for target, ok := range map[string]bool{"https://soar.example/hook": true, "http://10.0.0.5:8080/x": true, "ftp://x": false,
		"https://user:pw@x.example/": false, "/relative": false, "": false} {
		if err := ValidWebhookURL(target); (err == nil) != ok {
			t.Errorf("ValidWebhookURL(%q) = %v", target, err)
		}
	}
	for target, ok := range map[string]bool{"a@b.example": true, "a@b.example, c@d.example": true, "": false, "Name <a@b.example>": false, "x": false} {
		if err := ValidRecipients(target); (err == nil) != ok {
			t.Errorf("ValidRecipients(%q) = %v", target, err)
		}
	}
}

func FuzzParseEmailConfig(f *testing.F) {
	f.Add(`{"smtp_addr":"mail.example:587","from":"soc@x.example","starttls":true}`)
	f.Add(`{"smtp_addr":":","from":""}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseEmailConfig(raw)
		if err == nil && (strings.ContainsAny(c.From, "\r\n") || c.SMTPAddr == "") {
			t.Errorf("accepted %q", raw)
		}
	})
}

func TestRoute(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	day := time.Date(2026, 11, 24, 11, 0, 0, 0, rome)
	night := time.Date(2026, 11, 24, 23, 30, 0, 0, rome)
	c := &store.NotifyChannel{Enabled: true, MinSeverity: store.SeverityHigh, DigestSeverity: store.SeverityLow,
		QuietFrom: 22 * 60, QuietTo: 7 * 60, Timezone: "Europe/Rome"}
	tests := []struct {
		sev  store.Severity
		at   time.Time
		want Decision
	}{
		{store.SeverityHigh, day, Send},
		{store.SeverityCritical, day, Send},
		{store.SeverityMedium, day, Digest},
		{store.SeverityLow, day, Digest},
		{store.SeverityInformational, day, Drop},
		{store.SeverityHigh, night, Digest},
		{store.SeverityCritical, night, Send},
		{store.SeverityInformational, night, Drop},
		{"bogus", day, Drop},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s at %s", tt.sev, tt.at.Format("15:04")), func(t *testing.T) {
			if got := Route(c, tt.sev, tt.at); got != tt.want {
				t.Errorf("Route = %v, want %v", got, tt.want)
			}
		})
	}
	off := *c
	off.Enabled = false
	if Route(&off, store.SeverityCritical, day) != Drop {
		t.Error("a disabled channel is routed to")
	}
	noDigest := *c
	noDigest.DigestSeverity = ""
	if Route(&noDigest, store.SeverityMedium, day) != Drop {
		t.Error("no digest severity: a lower alert is not dropped")
	}
	if !DigestDue(c, day) || DigestDue(c, night) {
		t.Error("digest due by day, not at night")
	}
	c.LastDigest = day.Add(-time.Minute)
	c.DigestEvery = time.Hour
	if DigestDue(c, day) {
		t.Error("digest due a minute after the last one")
	}
}

// hookReceiver records webhook requests whose signature verifies.
type hookReceiver struct {
	secret string
	now    func() time.Time
	fail   bool
	mu     sync.Mutex
	got    []Payload
	bad    int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !Verify(h.secret, r.Header.Get(SignatureHeader), r.Header.Get(TimestampHeader), body, h.now(), 5*time.Minute) {
		h.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if h.fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	h.got = append(h.got, p)
}

func (h *hookReceiver) payloads() []Payload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Payload(nil), h.got...)
}

func alertMsg(tenantID, id string, sev store.Severity, created bool) bus.Delivery {
	now := time.Now()
	doc := detect.AlertDoc{ID: id, TenantID: tenantID, Kind: "sigma", Severity: string(sev), Title: "Alert " + id, Count: 1,
		FirstSeen: now, LastSeen: now, Status: "new", Entities: store.Entities{Users: []string{"mario.rossi"}, IPs: []string{"192.0.2.7"}, Hosts: []string{"srv-1"}}}
	b, _ := json.Marshal(detect.Message{Created: created, Alert: doc})
	return bus.Delivery{Subject: bus.AlertSubject(tenantID), Data: b}
}

// TestNotifierRouting drives Handle and Digests over a real store, a
// webhook receiver and the loopback SMTP server.
func TestNotifierRouting(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	tid, other := tenant(t, st, "porto"), tenant(t, st, "altro")
	clock := time.Now().UTC().Truncate(time.Millisecond)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	hook := &hookReceiver{secret: "0123456789abcdef-secret", now: now}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	smtpSrv := newSMTPServer(t, false)

	wh := &store.NotifyChannel{TenantID: tid, Name: "soar", Kind: store.ChannelWebhook, Target: hs.URL + "/hook",
		Config: `{"secret":"0123456789abcdef-secret"}`, MinSeverity: store.SeverityHigh, DigestSeverity: store.SeverityLow,
		DigestEvery: time.Hour, Enabled: true}
	em := &store.NotifyChannel{TenantID: tid, UserID: "u-pfso", Name: "pfso", Kind: store.ChannelEmail, Target: "pfso@porto.example",
		Config: fmt.Sprintf(`{"smtp_addr":%q,"from":"soc@porto.example"}`, smtpSrv.addr()), MinSeverity: store.SeverityCritical, Enabled: true}
	for _, c := range []*store.NotifyChannel{wh, em} {
		if err := st.CreateNotifyChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	n := New(st, nil, slog.New(slog.DiscardHandler), Options{Now: now, BaseURL: "https://vedetta.example"})

	batch := []bus.Delivery{
		alertMsg(tid, "a-high", store.SeverityHigh, true),
		alertMsg(tid, "a-crit", store.SeverityCritical, true),
		alertMsg(tid, "a-low", store.SeverityLow, true),
		alertMsg(tid, "a-high", store.SeverityHigh, false), // grouped match: no new notification
		alertMsg(other, "b-crit", store.SeverityCritical, true),
		{Subject: bus.AlertSubject(tid), Data: []byte("not json")},
	}
	// A message published on one tenant's subject naming another tenant.
	forged := alertMsg(other, "forged", store.SeverityCritical, true)
	forged.Subject = bus.AlertSubject(tid)
	batch = append(batch, forged)
	err := n.Handle(ctx, batch)
	pe, ok := err.(*bus.PartialError)
	if !ok || len(pe.Drop) != 2 {
		t.Fatalf("Handle = %v, want the malformed and the forged message dropped", err)
	}
	// Redelivery sends nothing twice.
	if err := n.Handle(ctx, batch[:3]); err != nil {
		t.Fatal(err)
	}

	var ids []string
	for _, p := range hook.payloads() {
		if p.Type != "alert" || p.TenantID != tid {
			t.Errorf("payload %+v", p)
		}
		for _, a := range p.Alerts {
			ids = append(ids, a.ID)
			if a.URL != "https://vedetta.example/dashboard/alerts/"+a.ID {
				t.Errorf("link %q", a.URL)
			}
		}
	}
	if diff := cmp.Diff([]string{"a-high", "a-crit"}, ids); diff != "" {
		t.Errorf("webhook alerts (-want +got):\n%s", diff)
	}
	raw, _ := json.Marshal(hook.payloads())
	if strings.Contains(string(raw), "mario.rossi") || strings.Contains(string(raw), "192.0.2.7") {
		t.Error("personal data left in a webhook")
	}
	if m := smtpSrv.messages(); len(m) != 1 || !strings.Contains(m[0].Data, "Alert a-crit") {
		t.Errorf("e-mail: %+v", m)
	}

	// The digest carries the low alert, once, when due.
	if err := n.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	ps := hook.payloads()
	if len(ps) != 3 || ps[2].Type != "digest" || len(ps[2].Alerts) != 1 || ps[2].Alerts[0].ID != "a-low" {
		t.Fatalf("after the digest: %+v", ps)
	}
	if err := n.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	if len(hook.payloads()) != 3 {
		t.Error("a second digest was sent before the period")
	}

	// A failing channel is recorded and its alerts wait for the digest.
	hook.mu.Lock()
	hook.fail = true
	hook.mu.Unlock()
	if err := n.Handle(ctx, []bus.Delivery{alertMsg(tid, "a-high-2", store.SeverityHigh, true)}); err != nil {
		t.Fatal(err)
	}
	c, _ := st.GetNotifyChannel(ctx, tid, wh.ID)
	if c.Failures != 1 || !strings.Contains(c.LastError, "503") {
		t.Errorf("failure not recorded: %+v", c)
	}
	hook.mu.Lock()
	hook.fail = false
	hook.mu.Unlock()
	advance(2 * time.Hour)
	if err := n.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	ps = hook.payloads()
	if last := ps[len(ps)-1]; last.Type != "digest" || len(last.Alerts) != 1 || last.Alerts[0].ID != "a-high-2" {
		t.Errorf("the failed alert did not come with the next digest: %+v", last)
	}
	c, _ = st.GetNotifyChannel(ctx, tid, wh.ID)
	if c.Failures != 0 || !c.LastSuccess.Equal(clock) {
		t.Errorf("recovery not recorded: %+v", c)
	}
	if hook.bad != 0 {
		t.Errorf("%d requests with a bad signature", hook.bad)
	}
}

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"a":1}`)
	sig := Sign("k", now.Unix(), body)
	ts := fmt.Sprint(now.Unix())
	tests := []struct {
		name   string
		secret string
		sig    string
		ts     string
		body   []byte
		at     time.Time
		want   bool
	}{
		{"valid", "k", sig, ts, body, now, true},
		{"other secret", "k2", sig, ts, body, now, false},
		{"tampered body", "k", sig, ts, []byte(`{"a":2}`), now, false},
		{"replayed later", "k", sig, ts, body, now.Add(time.Hour), false},
		{"bad timestamp", "k", sig, "x", body, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.secret, tt.sig, tt.ts, tt.body, tt.at, 5*time.Minute); got != tt.want {
				t.Errorf("Verify = %v", got)
			}
		})
	}
}

func FuzzParseWebhookConfig(f *testing.F) {
	f.Add(`{"secret":"0123456789abcdef"}`)
	f.Add(`{"secret":""}`)
	f.Add(`{"secret":1}`)
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseWebhookConfig(raw)
		if err == nil && len(c.Secret) < 16 {
			t.Errorf("accepted a short secret from %q", raw)
		}
	})
}
