package web

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// request is what a handler knows about its caller.
type request struct {
	User    *store.User     // nil on public routes without a session, and for API tokens
	Session *store.Session  // browser only
	Token   *store.APIToken // API only
	Tenant  *store.Tenant   // active tenant; nil for a platform admin with none
	Role    store.Role      // role in the active tenant
	// Overseeing is true when the active tenant is read through an
	// oversight grant: the role is then viewer.
	Overseeing bool
	Tenants    []tenantChoice // tenants the user can switch to
	P          *i18n.Printer
	IP         string
}

type tenantChoice struct {
	Tenant     store.Tenant
	Role       store.Role
	Overseeing bool
}

// Can reports whether the caller holds a permission in the active tenant.
func (rq *request) Can(p auth.Permission) bool {
	if rq == nil || rq.Tenant == nil {
		return false
	}
	return auth.Allows(rq.Role, p)
}

// Has is Can for templates, which pass plain strings.
func (rq *request) Has(p string) bool { return rq.Can(auth.Permission(p)) }

// IsPlatformAdmin reports whether the caller administers the installation.
func (rq *request) IsPlatformAdmin() bool {
	return rq != nil && rq.User != nil && rq.User.PlatformAdmin
}

// actor returns the audit identity of the caller.
func (rq *request) actor() (id, name string) {
	switch {
	case rq == nil:
		return "anonymous", "anonymous"
	case rq.User != nil:
		return rq.User.ID, rq.User.Username
	case rq.Token != nil:
		return "token:" + rq.Token.ID, rq.Token.Name
	}
	return "anonymous", "anonymous"
}

// tenantID returns the active tenant id ("" when none).
func (rq *request) tenantID() string {
	if rq == nil || rq.Tenant == nil {
		return ""
	}
	return rq.Tenant.ID
}

const sessionCookie = "vedetta_session"

// maxUploadBytes bounds a multipart form posted by the browser.
const maxUploadBytes = 80 << 20

func (s *Server) cookieName() string {
	if s.opt.SecureCookies {
		return "__Host-" + sessionCookie
	}
	return sessionCookie
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func printerFor(r *http.Request, rq *request) *i18n.Printer {
	if rq != nil && rq.P != nil {
		return rq.P
	}
	return i18n.NewPrinter(i18n.Match(r.Header.Get("Accept-Language")))
}

// browserRequest loads the session and enforces the route's requirements.
func (s *Server) browserRequest(w http.ResponseWriter, r *http.Request, rt Route) (*request, error) {
	rq := &request{IP: clientIP(r)}
	sess, user, err := s.loadSession(r)
	if err != nil {
		return rq, err
	}
	rq.Session, rq.User = sess, user
	lang := i18n.Match(r.Header.Get("Accept-Language"))
	if c, err := r.Cookie("vedetta_lang"); err == nil && i18n.Normalize(c.Value) != "" {
		lang = i18n.Normalize(c.Value)
	}
	if user != nil && i18n.Normalize(user.Locale) != "" {
		lang = i18n.Normalize(user.Locale)
	}
	rq.P = i18n.NewPrinter(lang)
	if rt.Public {
		return rq, nil
	}
	if sess == nil || sess.TOTPPending {
		if sess != nil && sess.TOTPPending {
			return rq, &errRedirect{"/login/totp"}
		}
		return rq, &errRedirect{"/login?next=" + url.QueryEscape(r.URL.RequestURI())}
	}
	if err := s.resolveTenant(r, rq, sess.TenantID); err != nil {
		return rq, err
	}
	if r.Method == http.MethodPost {
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			// Uploads (site plans, IFC models, asset CSV) are bounded here.
			r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
			err = r.ParseMultipartForm(8 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return rq, errStatus(http.StatusBadRequest, "error.bad_request")
		}
		// Scripts (the map) send the token in a header with a JSON body.
		token := r.Header.Get("X-CSRF-Token")
		if token == "" {
			token = r.PostFormValue("csrf")
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRFToken)) != 1 {
			return rq, errStatus(http.StatusForbidden, "error.csrf")
		}
	}
	return rq, s.authorize(rq, rt)
}

// resolveTenant sets the active tenant, role and switcher choices from the
// user's memberships and oversight grants.
func (s *Server) resolveTenant(r *http.Request, rq *request, active string) error {
	ctx := r.Context()
	ms, err := s.st.ListMemberships(ctx, rq.User.ID)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, m := range ms {
		t, err := s.st.GetTenant(ctx, m.TenantID)
		if err != nil {
			continue
		}
		rq.Tenants = append(rq.Tenants, tenantChoice{Tenant: *t, Role: m.Role})
		seen[t.ID] = true
		// Oversight: users of an overseeing tenant may read its overseen
		// tenants, as viewers.
		grants, err := s.st.ListOverseen(ctx, m.TenantID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if seen[g.OverseenID] {
				continue
			}
			ot, err := s.st.GetTenant(ctx, g.OverseenID)
			if err != nil {
				continue
			}
			seen[ot.ID] = true
			rq.Tenants = append(rq.Tenants, tenantChoice{Tenant: *ot, Role: store.RoleViewer, Overseeing: true})
		}
	}
	for _, c := range rq.Tenants {
		if c.Tenant.ID == active {
			t := c.Tenant
			rq.Tenant, rq.Role, rq.Overseeing = &t, c.Role, c.Overseeing
			return nil
		}
	}
	if active == "" && len(rq.Tenants) > 0 && rq.Session != nil {
		// First visit after login: the first membership becomes active.
		c := rq.Tenants[0]
		t := c.Tenant
		rq.Tenant, rq.Role, rq.Overseeing = &t, c.Role, c.Overseeing
		rq.Session.TenantID = t.ID
		return s.st.UpdateSession(ctx, rq.Session)
	}
	return nil
}

// authorize checks the route's permission against the caller.
func (s *Server) authorize(rq *request, rt Route) error {
	if rt.Admin {
		if !rq.IsPlatformAdmin() {
			return errForbidden
		}
		return nil
	}
	if rt.Perm == "" {
		return nil
	}
	if rq.Tenant == nil {
		return errStatus(http.StatusForbidden, "error.no_tenant")
	}
	if !rq.Can(rt.Perm) {
		return errForbidden
	}
	return nil
}

// loadSession returns the valid session of the request's cookie, if any.
func (s *Server) loadSession(r *http.Request) (*store.Session, *store.User, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil, nil, nil
	}
	id := auth.HashToken(c.Value)
	sess, err := s.st.GetSession(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeen) > s.opt.IdleTimeout {
		_ = s.st.DeleteSession(r.Context(), sess.ID)
		return nil, nil, nil
	}
	user, err := s.st.GetUser(r.Context(), sess.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Disabled) {
		_ = s.st.DeleteSession(r.Context(), sess.ID)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(sess.LastSeen) > time.Minute {
		sess.LastSeen = now
		if err := s.st.UpdateSession(r.Context(), sess); err != nil {
			return nil, nil, err
		}
	}
	return sess, user, nil
}

// apiRequest authenticates a bearer token.
func (s *Server) apiRequest(w http.ResponseWriter, r *http.Request, rt Route) (*request, error) {
	rq := &request{IP: clientIP(r), P: i18n.NewPrinter(i18n.Match(r.Header.Get("Accept-Language")))}
	if rt.Public {
		return rq, nil
	}
	authz := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || secret == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vedetta"`)
		return rq, errStatus(http.StatusUnauthorized, "error.unauthorized")
	}
	tok, err := s.st.GetTokenByHash(r.Context(), auth.HashToken(secret))
	now := s.now()
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!tok.RevokedAt.IsZero() || (!tok.ExpiresAt.IsZero() && now.After(tok.ExpiresAt)))) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vedetta", error="invalid_token"`)
		return rq, errStatus(http.StatusUnauthorized, "error.unauthorized")
	}
	if err != nil {
		return rq, err
	}
	t, err := s.st.GetTenant(r.Context(), tok.TenantID)
	if err != nil {
		return rq, notFoundIf(err)
	}
	rq.Token, rq.Tenant, rq.Role = tok, t, tok.Role
	if now.Sub(tok.LastUsedAt) > time.Minute {
		_ = s.st.TouchToken(r.Context(), tok.ID, now)
	}
	return rq, s.authorize(rq, rt)
}
