package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// totpCode computes an RFC 6238 code independently of package auth.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		t.Fatal(err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000)
}

func TestLoginPagesAndLanguage(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	resp, body := b.do("GET", "/", nil, map[string]string{"Accept-Language": "it-IT,it;q=0.9"})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous / = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = b.do("GET", "/login", nil, map[string]string{"Accept-Language": "it-IT,it;q=0.9"})
	if !strings.Contains(body, `lang="it"`) || !strings.Contains(body, "Nome utente") {
		t.Fatalf("login page not Italian:\n%s", body)
	}
	resp, body = b.do("GET", "/login", nil, map[string]string{"Accept-Language": "en"})
	if !strings.Contains(body, "Username") {
		t.Fatal("login page not English")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP = %q", csp)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("security headers missing")
	}
	// Static assets are served under content hashes and cached.
	m := regexp.MustCompile(`href="(/static/[0-9a-f]+/css/app.css)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no hashed stylesheet link")
	}
	resp, _ = b.get(m[1])
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("static: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

func TestLoginFailuresAreGenericAndAudited(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("marco", false, ten.ID, store.RoleAdmin)
	b := e.browser()
	resp1, body1 := b.post("/login", url.Values{"username": {"marco"}, "password": {"wrong password here"}})
	resp2, body2 := b.post("/login", url.Values{"username": {"nobody"}, "password": {"wrong password here"}})
	if resp1.StatusCode != 401 || resp2.StatusCode != 401 {
		t.Fatalf("statuses %d %d", resp1.StatusCode, resp2.StatusCode)
	}
	msg := regexp.MustCompile(`role="alert">([^<]*)<`)
	if m1, m2 := msg.FindStringSubmatch(body1), msg.FindStringSubmatch(body2); m1 == nil || m2 == nil || m1[1] != m2[1] {
		t.Fatalf("unknown user and wrong password must look alike: %v %v", m1, m2)
	}
	au, _ := e.st.ListAudit(context.Background(), store.AuditFilter{Action: "session.login_failed"})
	if len(au) != 2 {
		t.Fatalf("audited failures = %d, want 2", len(au))
	}
	// The session cookie is HttpOnly and SameSite.
	resp, _ := b.post("/login", url.Values{"username": {"marco"}, "password": {testPassword}})
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			c = ck
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v", c)
	}
}

func TestCSRFRequired(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("marco", false, ten.ID, store.RoleAdmin)
	b := e.browser()
	b.login("marco")
	resp, _ := b.post("/admin/tokens", url.Values{"name": {"x"}, "role": {"viewer"}, "csrf": {"forged"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged CSRF token: status %d", resp.StatusCode)
	}
	// A cross-site form post is refused by CrossOriginProtection too.
	resp, _ = b.do("POST", "/admin/tokens", url.Values{"name": {"x"}, "role": {"viewer"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: status %d", resp.StatusCode)
	}
	toks, _ := e.st.ListTokens(context.Background(), ten.ID)
	if len(toks) != 0 {
		t.Fatalf("a refused form created %d tokens", len(toks))
	}
}

func TestTOTPEnrolmentAndLogin(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	u := e.user("marco", false, ten.ID, store.RoleOperator)
	b := e.browser()
	b.login("marco")
	_, body := b.get("/profile/totp")
	m := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", body)
	}
	if resp, _ := b.get("/profile/totp/qr.png"); resp.Header.Get("Content-Type") != "image/png" {
		t.Fatal("no QR code")
	}
	if resp, _ := b.post("/profile/totp", url.Values{"code": {"123456"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("wrong code: status %d", resp.StatusCode)
	}
	code := totpCode(t, m[1], time.Now())
	if resp, _ := b.post("/profile/totp", url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right code: status %d", resp.StatusCode)
	}
	got, _ := e.st.GetUser(context.Background(), u.ID)
	if !got.TOTPEnabled {
		t.Fatal("TOTP not enabled")
	}
	// Log in again: the second factor is required before any page.
	b2 := e.browser()
	resp, _ := b2.post("/login", url.Values{"username": {"marco"}, "password": {testPassword}})
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login/totp") {
		t.Fatalf("after password: Location %q", loc)
	}
	if resp, _ := b2.get("/profile"); resp.Header.Get("Location") != "/login/totp" {
		t.Fatalf("pages must wait for the second factor: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	b2.get("/login/totp")
	// The code used for enrolment cannot be replayed.
	if resp, _ := b2.post("/login/totp", url.Values{"code": {code}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("replayed code: status %d", resp.StatusCode)
	}
	next := totpCode(t, m[1], time.Now().Add(30*time.Second))
	if resp, _ := b2.post("/login/totp", url.Values{"code": {next}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid code: status %d", resp.StatusCode)
	}
	if resp, _ := b2.get("/profile"); resp.StatusCode != 200 {
		t.Fatalf("after TOTP: /profile %d", resp.StatusCode)
	}
	// Logout ends the session.
	b2.post("/logout", url.Values{})
	if resp, _ := b2.get("/profile"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
}

func TestRolesLimitPages(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("op", false, ten.ID, store.RoleOperator)
	b := e.browser()
	b.login("op")
	for _, p := range []string{"/admin/users", "/admin/tokens", "/admin/audit", "/admin/tenants"} {
		if resp, _ := b.get(p); resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator GET %s = %d, want 403", p, resp.StatusCode)
		}
	}
}

func TestAdminCreatesUserAndToken(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("marco", false, ten.ID, store.RoleAdmin)
	b := e.browser()
	b.login("marco")
	b.get("/admin/users")
	// Bad input changes nothing and explains itself.
	resp, body := b.post("/admin/users", url.Values{"username": {"Bad Name!"}, "role": {"operator"}, "password": {"a fine long passphrase"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "3 to 64") {
		t.Fatalf("bad username: %d", resp.StatusCode)
	}
	resp, body = b.post("/admin/users", url.Values{"username": {"giulia"}, "role": {"operator"}, "password": {"password1234"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "among the most common") {
		t.Fatalf("common password: %d", resp.StatusCode)
	}
	if _, err := e.st.GetUserByUsername(context.Background(), "giulia"); err == nil {
		t.Fatal("a refused form created the user")
	}
	resp, _ = b.post("/admin/users", url.Values{"username": {"giulia"}, "role": {"operator"}, "password": {"a fine long passphrase"}, "email": {"g@lerici.example"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create user: %d", resp.StatusCode)
	}
	b.get("/admin/tokens")
	_, body = b.post("/admin/tokens", url.Values{"name": {"firewall"}, "role": {"viewer"}, "days": {"30"}})
	m := regexp.MustCompile(`id="token-secret">(vdt_[A-Za-z0-9_-]+)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("token secret not shown:\n%s", body)
	}
	resp, body = apiDo(t, e, "GET", "/api/v1/tenant", m[1], "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"slug": "lerici"`) {
		t.Fatalf("api with new token: %d %s", resp.StatusCode, body)
	}
	// A viewer token cannot list users.
	if resp, _ := apiDo(t, e, "GET", "/api/v1/users", m[1], ""); resp.StatusCode != 403 {
		t.Fatalf("viewer token on /api/v1/users: %d", resp.StatusCode)
	}
}

func TestAPITokens(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("marco", false, ten.ID, store.RoleAdmin)
	tok, secret := e.token(ten.ID, store.RoleAdmin, "automation")
	if resp, _ := apiDo(t, e, "GET", "/api/v1/users", "", ""); resp.StatusCode != 401 {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	if resp, _ := apiDo(t, e, "GET", "/api/v1/users", "vdt_not-a-real-token", ""); resp.StatusCode != 401 {
		t.Fatalf("bad token: %d", resp.StatusCode)
	}
	resp, body := apiDo(t, e, "GET", "/api/v1/users", secret, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"username": "marco"`) || strings.Contains(body, "argon2") {
		t.Fatalf("users: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{`{`, `{"name":"x","role":"viewer","extra":1}`, `[]`, `{"name":"","role":"viewer"}`, `{"name":"x","role":"god"}`} {
		if resp, body := apiDo(t, e, "POST", "/api/v1/tokens", secret, bad); resp.StatusCode != 400 || !strings.Contains(body, `"code"`) {
			t.Errorf("POST %s: %d %s", bad, resp.StatusCode, body)
		}
	}
	resp, body = apiDo(t, e, "POST", "/api/v1/tokens", secret, `{"name":"siem","role":"viewer","days":7}`)
	if resp.StatusCode != 201 || !strings.Contains(body, `"secret": "vdt_`) {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	toks, _ := e.st.ListTokens(context.Background(), ten.ID)
	if len(toks) != 2 {
		t.Fatalf("tokens = %d, want 2 (bad bodies must create none)", len(toks))
	}
	if resp, _ := apiDo(t, e, "DELETE", "/api/v1/tokens/"+tok.ID, secret, ""); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, _ := apiDo(t, e, "GET", "/api/v1/tenant", secret, ""); resp.StatusCode != 401 {
		t.Fatalf("revoked token still works: %d", resp.StatusCode)
	}
}

func TestHealth(t *testing.T) {
	e := newTestEnv(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, _ := e.browser().get(p)
		if resp.StatusCode != 200 {
			t.Errorf("%s = %d", p, resp.StatusCode)
		}
	}
}
