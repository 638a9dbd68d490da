package web

import (
	"net/http"

	"github.com/vedetta-sec/vedetta/internal/auth"
)

// registerRoutes declares every route of the UI and the API. The
// cross-tenant test walks this list: a route added here is tested with
// another tenant's object ids automatically.
func (s *Server) registerRoutes() {
	// Operations and static assets.
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /static/{hash}/{name...}", s.static)

	pub := func(method, pattern string, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Public: true}, h)
	}
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	admin := func(method, pattern string, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Admin: true}, h)
	}
	api := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, API: true, Perm: perm}, h)
	}

	// Authentication.
	pub("GET", "/login", s.showLogin)
	pub("POST", "/login", s.doLogin)
	pub("GET", "/login/totp", s.showLoginTOTP)
	pub("POST", "/login/totp", s.doLoginTOTP)
	pub("POST", "/logout", s.doLogout)
	pub("GET", "/lang/{lang}", s.setLanguage)

	// Shell and navigation.
	page("GET", "/{$}", "", s.showHome)
	page("GET", "/section/{section}", "", s.showSection)
	page("POST", "/tenant/switch", "", s.doSwitchTenant)

	// Profile.
	page("GET", "/profile", "", s.showProfile)
	page("POST", "/profile/language", "", s.doProfileLanguage)
	page("POST", "/profile/password", "", s.doProfilePassword)
	page("GET", "/profile/totp", "", s.showTOTPEnrol)
	page("GET", "/profile/totp/qr.png", "", s.totpQR)
	page("POST", "/profile/totp", "", s.doTOTPEnrol)
	page("POST", "/profile/totp/disable", "", s.doTOTPDisable)

	// Tenant administration (the active tenant's admins).
	page("GET", "/admin/users", auth.PermManageUsers, s.showUsers)
	page("POST", "/admin/users", auth.PermManageUsers, s.doCreateUser)
	page("GET", "/admin/users/{id}", auth.PermManageUsers, s.showUser)
	page("POST", "/admin/users/{id}", auth.PermManageUsers, s.doUpdateUser)
	page("POST", "/admin/users/{id}/password", auth.PermManageUsers, s.doResetPassword)
	page("POST", "/admin/users/{id}/remove", auth.PermManageUsers, s.doRemoveUser)
	page("GET", "/admin/tokens", auth.PermManageTokens, s.showTokens)
	page("POST", "/admin/tokens", auth.PermManageTokens, s.doCreateToken)
	page("POST", "/admin/tokens/{id}/revoke", auth.PermManageTokens, s.doRevokeToken)
	page("GET", "/admin/audit", auth.PermReadAudit, s.showAudit)

	// Platform administration.
	admin("GET", "/admin/tenants", s.showTenants)
	admin("POST", "/admin/tenants", s.doCreateTenant)
	admin("GET", "/admin/tenants/{id}", s.showTenant)
	admin("POST", "/admin/tenants/{id}", s.doUpdateTenant)
	admin("POST", "/admin/tenants/{id}/oversight", s.doGrantOversight)
	admin("POST", "/admin/tenants/{id}/oversight/{overseen}/revoke", s.doRevokeOversight)
	admin("GET", "/admin/platform-audit", s.showPlatformAudit)

	// Capability areas register their own routes, each in its own file
	// (one line per area here).
	s.registerAlertRoutes()
	s.registerSiteRoutes()
	s.registerIngestRoutes()
	s.registerEventRoutes()
	s.registerDashboardRoutes()
	s.registerCaseRoutes()

	// REST API v1.
	api("GET", "/api/v1/whoami", "", s.apiWhoami)
	api("GET", "/api/v1/tenant", "", s.apiTenant)
	api("GET", "/api/v1/users", auth.PermManageUsers, s.apiUsers)
	api("GET", "/api/v1/users/{id}", auth.PermManageUsers, s.apiUser)
	api("GET", "/api/v1/tokens", auth.PermManageTokens, s.apiTokens)
	api("POST", "/api/v1/tokens", auth.PermManageTokens, s.apiCreateToken)
	api("DELETE", "/api/v1/tokens/{id}", auth.PermManageTokens, s.apiRevokeToken)
	api("GET", "/api/v1/audit", auth.PermReadAudit, s.apiAudit)

	s.mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": "error.not_found", "message": "not found"}})
	}))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.st.Ping(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
