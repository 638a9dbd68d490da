package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// marker is written into every object of tenant B; no answer given to
// tenant A may contain it.
const marker = "zzsecretB"

type crossTenantFixture struct {
	e        *testEnv
	a, b     *store.Tenant
	aAdmin   *store.User
	aSecret  string
	bUsers   []*store.User
	bTokens  []*store.APIToken
	wildcard map[string][]string
}

func newCrossTenantFixture(t *testing.T) *crossTenantFixture {
	e := newTestEnv(t)
	f := &crossTenantFixture{e: e}
	f.a = e.tenant("tenant-a", store.KindMunicipality)
	f.b = &store.Tenant{Slug: "tenant-b", Name: "Port " + marker, Kind: store.KindPort, Country: "IT", Locale: "it"}
	if err := e.st.CreateTenant(context.Background(), f.b); err != nil {
		t.Fatal(err)
	}
	f.aAdmin = e.user("a-admin", false, f.a.ID, store.RoleAdmin)
	_, f.aSecret = e.token(f.a.ID, store.RoleAdmin, "a token")
	for _, r := range []store.Role{store.RoleAdmin, store.RoleOperator} {
		u := e.user("b-"+string(r), false, f.b.ID, r)
		u.DisplayName = "B person " + marker
		u.Email = marker + "@b.example"
		if err := e.st.UpdateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		f.bUsers = append(f.bUsers, u)
		tok, _ := e.token(f.b.ID, store.RoleAdmin, "B token "+marker+string(r))
		f.bTokens = append(f.bTokens, tok)
	}
	// A third tenant overseen by B: A must not reach it through B either.
	c := e.tenant("tenant-c", store.KindMunicipality)
	if err := e.st.GrantOversight(context.Background(), store.Oversight{OverseerID: f.b.ID, OverseenID: c.ID, GrantedBy: f.bUsers[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AppendAudit(context.Background(), &store.AuditEntry{ActorID: f.bUsers[0].ID, ActorName: "b-admin", TenantID: f.b.ID, Action: "test.seed", Object: "x", Detail: `{"m":"` + marker + `"}`}); err != nil {
		t.Fatal(err)
	}
	// The values each path wildcard takes: every object of tenant B that
	// could be addressed, plus a few harmless ones for non-object wildcards.
	f.wildcard = map[string][]string{
		"id":       {f.b.ID, c.ID},
		"overseen": {c.ID, f.b.ID},
		"section":  {"dashboard"},
		"lang":     {"it"},
	}
	for _, u := range f.bUsers {
		f.wildcard["id"] = append(f.wildcard["id"], u.ID)
	}
	for _, tok := range f.bTokens {
		f.wildcard["id"] = append(f.wildcard["id"], tok.ID)
	}
	f.seedSites(t)
	f.seedAlerts(t)
	seedEventsB(t, f)
	f.seedDashboard(t)
	seedCasesB(t, f)
	return f
}

// snapshotB captures everything tenant B owns.
func (f *crossTenantFixture) snapshotB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	tb, err := f.e.st.GetTenant(ctx, f.b.ID)
	if err != nil {
		t.Fatalf("tenant B: %v", err)
	}
	fmt.Fprintf(&b, "tenant %+v\n", *tb)
	ms, _ := f.e.st.ListTenantMemberships(ctx, f.b.ID)
	fmt.Fprintf(&b, "memberships %+v\n", ms)
	for _, u := range f.bUsers {
		got, err := f.e.st.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatalf("user %s: %v", u.Username, err)
		}
		got.UpdatedAt = got.UpdatedAt.Truncate(0)
		fmt.Fprintf(&b, "user %+v\n", *got)
	}
	toks, _ := f.e.st.ListTokens(ctx, f.b.ID)
	for _, tok := range toks {
		tok.LastUsedAt = tok.LastUsedAt.Truncate(0)
		fmt.Fprintf(&b, "token %+v\n", tok)
	}
	over, _ := f.e.st.ListOverseen(ctx, f.b.ID)
	under, _ := f.e.st.ListOverseers(ctx, f.b.ID)
	fmt.Fprintf(&b, "oversight %d %d\n", len(over), len(under))
	au, _ := f.e.st.ListAudit(ctx, store.AuditFilter{TenantIDs: []string{f.b.ID}, Limit: 1000})
	fmt.Fprintf(&b, "audit entries %d\n", len(au))
	b.WriteString(f.snapshotSites(t))
	b.WriteString(f.snapshotAlerts(t))
	snapshotEventsB(t, f, &b)
	snapshotCasesB(t, f, &b)
	return b.String()
}

var wildcardRE = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// expand returns every concrete path for a pattern, or an error naming a
// wildcard the fixture has no values for.
func (f *crossTenantFixture) expand(pattern string) ([]string, error) {
	pattern = strings.TrimSuffix(pattern, "{$}")
	paths := []string{pattern}
	for _, m := range wildcardRE.FindAllStringSubmatch(pattern, -1) {
		vals, ok := f.wildcard[m[1]]
		if !ok {
			return nil, fmt.Errorf("route %s: the cross-tenant test has no values for {%s}: add tenant B objects for it", pattern, m[1])
		}
		var next []string
		for _, p := range paths {
			for _, v := range vals {
				next = append(next, strings.Replace(p, m[0], url.PathEscape(v), 1))
			}
		}
		paths = next
	}
	return paths, nil
}

// hostileForm references tenant B in every field a handler might read.
func (f *crossTenantFixture) hostileForm() url.Values {
	return url.Values{
		"tenant_id": {f.b.ID}, "overseen_id": {f.b.ID}, "id": {f.bUsers[0].ID},
		"user_id": {f.bUsers[0].ID}, "token_id": {f.bTokens[0].ID},
		"role": {"viewer"}, "name": {"hostile"}, "slug": {"tenant-b"}, "kind": {"port"},
		"country": {"IT"}, "locale": {"it"}, "username": {"b-admin"}, "password": {"another long passphrase 42"},
		"display_name": {"x"}, "email": {"x@a.example"}, "days": {"1"}, "code": {"000000"},
		"current": {testPassword}, "new": {"another long passphrase 42"}, "confirm": {"another long passphrase 42"},
	}
}

// walk requests every route as tenant A's administrator with tenant B's
// ids and reports each leak or change of B's data.
func (f *crossTenantFixture) walk(t *testing.T, routes []Route) []string {
	var problems []string
	br := f.e.browser()
	br.login(f.aAdmin.Username)
	before := f.snapshotB(t)
	for _, rt := range routes {
		if rt.Public && (rt.Pattern == "/logout" || strings.HasPrefix(rt.Pattern, "/login")) {
			continue // they touch only the caller's own session
		}
		paths, err := f.expand(rt.Pattern)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, p := range paths {
			var status int
			var body string
			if rt.API {
				payload := ""
				if rt.Method == "POST" {
					payload = fmt.Sprintf(`{"name":"hostile","role":"viewer","tenant_id":%q}`, f.b.ID)
				}
				resp, b := apiDo(t, f.e, rt.Method, p, f.aSecret, payload)
				status, body = resp.StatusCode, b
			} else {
				var form url.Values
				if rt.Method == "POST" {
					form = f.hostileForm()
				}
				resp, b := br.do(rt.Method, p, form, nil)
				status, body = resp.StatusCode, b
			}
			if strings.Contains(body, marker) {
				problems = append(problems, fmt.Sprintf("%s %s (status %d): answer contains tenant B data", rt.Method, p, status))
			}
			if after := f.snapshotB(t); after != before {
				problems = append(problems, fmt.Sprintf("%s %s (status %d) changed tenant B:\n%s", rt.Method, p, status, cmp.Diff(before, after)))
				before = after
			}
			// The session must still be tenant A's, and see nothing of B.
			if _, home := br.get("/"); strings.Contains(home, marker) {
				problems = append(problems, fmt.Sprintf("after %s %s the home page shows tenant B", rt.Method, p))
			}
		}
	}
	return problems
}

// TestCrossTenantIsolation walks every route of the UI and the API as a
// user and a token of tenant A, with every id of tenant B's objects, and
// proves that nothing of B is read, listed, changed or deleted.
func TestCrossTenantIsolation(t *testing.T) {
	f := newCrossTenantFixture(t)
	routes := f.e.srv.Routes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes registered; the walker would not be covering the UI", len(routes))
	}
	for _, p := range f.walk(t, routes) {
		t.Error(p)
	}
}

// TestCrossTenantWalkerCatchesLeak proves the walker fails when a route
// forgets the tenant check: a deliberately broken route is added and must
// be reported both for reading and for changing tenant B's data.
func TestCrossTenantWalkerCatchesLeak(t *testing.T) {
	f := newCrossTenantFixture(t)
	s := f.e.srv
	s.route(Route{Method: "GET", Pattern: "/broken/users/{id}", Perm: "users.manage"}, func(w http.ResponseWriter, r *http.Request, rq *request) error {
		u, err := s.st.GetUser(r.Context(), r.PathValue("id")) // no tenant check
		if err != nil {
			return notFoundIf(err)
		}
		_, err = w.Write([]byte(u.DisplayName))
		return err
	})
	s.route(Route{Method: "POST", Pattern: "/broken/tokens/{id}/revoke", API: true, Perm: "tokens.manage"}, func(w http.ResponseWriter, r *http.Request, rq *request) error {
		toks, _ := s.st.ListTokens(r.Context(), f.b.ID) // wrong tenant
		for _, t := range toks {
			if t.ID == r.PathValue("id") {
				return s.st.RevokeToken(r.Context(), f.b.ID, t.ID, s.now())
			}
		}
		return errNotFound
	})
	s.route(Route{Method: "GET", Pattern: "/broken/things/{thing}"}, func(w http.ResponseWriter, r *http.Request, rq *request) error { return nil })
	var broken []Route
	for _, rt := range s.Routes() {
		if strings.HasPrefix(rt.Pattern, "/broken/") {
			broken = append(broken, rt)
		}
	}
	problems := strings.Join(f.walk(t, broken), "\n")
	for _, want := range []string{"/broken/users/" + f.bUsers[0].ID + " (status 200): answer contains tenant B data", "changed tenant B", "no values for {thing}"} {
		if !strings.Contains(problems, want) {
			t.Errorf("the walker did not report %q; it reported:\n%s", want, problems)
		}
	}
}
