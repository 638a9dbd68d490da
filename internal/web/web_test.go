package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

const testPassword = "correct horse battery staple"

// testEnv is a running web server over a fresh SQLite store.
type testEnv struct {
	t   *testing.T
	st  store.Store
	srv *Server
	ts  *httptest.Server
	now time.Time
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, st: st}
	srv, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler), Hasher: auth.TestHasher()})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

func (e *testEnv) tenant(slug string, kind store.TenantKind) *store.Tenant {
	e.t.Helper()
	t := &store.Tenant{Slug: slug, Name: "Tenant " + slug, Kind: kind, Country: "IT", Locale: "it"}
	if err := e.st.CreateTenant(context.Background(), t); err != nil {
		e.t.Fatal(err)
	}
	return t
}

func (e *testEnv) user(username string, platformAdmin bool, tenantID string, role store.Role) *store.User {
	e.t.Helper()
	hash, err := auth.TestHasher().Hash(testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	u := &store.User{Username: username, DisplayName: "Name of " + username, Email: username + "@example.org", PasswordHash: hash, PlatformAdmin: platformAdmin}
	ctx := context.Background()
	if err := e.st.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	if tenantID != "" {
		if err := e.st.SetMembership(ctx, store.Membership{UserID: u.ID, TenantID: tenantID, Role: role}); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

func (e *testEnv) token(tenantID string, role store.Role, name string) (*store.APIToken, string) {
	e.t.Helper()
	secret, prefix, hash := auth.NewAPIToken()
	tok := &store.APIToken{TenantID: tenantID, Name: name, Role: role, Prefix: prefix, Hash: hash, CreatedBy: "test", CreatedAt: time.Now()}
	if err := e.st.CreateToken(context.Background(), tok); err != nil {
		e.t.Fatal(err)
	}
	return tok, secret
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see every answer.
type browser struct {
	e    *testEnv
	c    *http.Client
	csrf string
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		if _, ok := form["csrf"]; !ok && b.csrf != "" {
			form.Set("csrf", b.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.ts.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfRE.FindStringSubmatch(string(data)); m != nil {
		b.csrf = m[1]
	}
	return resp, string(data)
}

func (b *browser) get(path string) (*http.Response, string) { return b.do("GET", path, nil, nil) }

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	return b.do("POST", path, form, nil)
}

// login logs in and loads a page so the CSRF token is known.
func (b *browser) login(username string) {
	b.e.t.Helper()
	resp, body := b.post("/login", url.Values{"username": {username}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		b.e.t.Fatalf("login %s: status %d: %s", username, resp.StatusCode, body)
	}
	if resp, _ := b.get("/profile"); resp.StatusCode != http.StatusOK {
		b.e.t.Fatalf("after login: /profile status %d", resp.StatusCode)
	}
}

func apiDo(t *testing.T, e *testEnv, method, path, secret, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, rd)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(data)
}
