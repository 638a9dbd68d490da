package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestEveryPageRenders opens every browser page without path parameters,
// and every page of one existing object, as a platform administrator who
// administers a tenant, in Italian and in English: a template error or a
// missing view shows up here.
func TestEveryPageRenders(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	other := e.tenant("cosc", store.KindPoliceCentre)
	admin := e.user("root", true, ten.ID, store.RoleAdmin)
	tok, _ := e.token(ten.ID, store.RoleViewer, "siem")
	ids := map[string]string{"id": admin.ID, "section": "training", "lang": "en", "overseen": other.ID}
	for _, lang := range []string{"it-IT", "en-GB"} {
		b := e.browser()
		b.login("root")
		for _, rt := range e.srv.Routes() {
			if rt.API || rt.Method != "GET" {
				continue
			}
			p := strings.TrimSuffix(rt.Pattern, "{$}")
			if strings.Contains(p, "/admin/tenants/{id}") {
				p = strings.Replace(p, "{id}", ten.ID, 1)
			}
			if strings.Contains(p, "/admin/tokens/{id}") {
				p = strings.Replace(p, "{id}", tok.ID, 1)
			}
			for k, v := range ids {
				p = strings.ReplaceAll(p, "{"+k+"}", v)
			}
			if strings.Contains(p, "{") {
				continue // pages of other areas' objects are covered by their own tests
			}
			resp, body := b.do("GET", p, nil, map[string]string{"Accept-Language": lang})
			if p == "/lang/en" || p == "/login" || p == "/login/totp" || p == "/profile/totp" {
				if resp.StatusCode >= 400 {
					t.Errorf("%s %s: %d", lang, p, resp.StatusCode)
				}
				continue
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s GET %s = %d", lang, p, resp.StatusCode)
				continue
			}
			if strings.Contains(p, "qr.png") {
				continue
			}
			if !strings.Contains(body, "</html>") {
				t.Errorf("%s GET %s: truncated page", lang, p)
			}
		}
	}
}
