// Package web serves Vedetta's browser UI and its REST API (/api/v1) from
// one http.Handler. Browser routes get sessions, CSRF protection (Go's
// CrossOriginProtection plus a per-session token in every form) and a strict
// CSP; API routes take bearer tokens and never read cookies.
//
// Every route is registered through Server.route with the permission it
// needs; handlers receive a *request carrying the caller, the active tenant
// and the language, and must pass request.Tenant.ID to every store call. The
// cross-tenant test walks Server.Routes() with another tenant's object ids.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/site/sitegeo"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Options configures a Server.
type Options struct {
	Store         store.Store
	Logger        *slog.Logger
	Hasher        auth.Hasher
	SecureCookies bool
	IdleTimeout   time.Duration
	Absolute      time.Duration
	TileURL       string
	Version       string
	// Geo answers zone and municipality queries; the site handlers
	// invalidate it when zones change. Nil disables /api/v1/geo/locate.
	Geo *sitegeo.Service
	// Registry receives the HTTP metrics; nil disables them.
	Registry prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Ingest serves POST /api/v1/events (internal/ingest); nil leaves
	// HTTP ingestion off.
	Ingest http.Handler
	// Cases configures incident response (evidence files, action webhooks).
	Cases CaseOptions
	// Live delivers the bus's ephemeral notifications to the dashboard's
	// server-sent events; nil leaves the live stream off.
	Live LiveSubscriber
	// Heartbeat is the period of the live stream's keep-alive comments
	// (default 15s).
	Heartbeat time.Duration
}

// Server is the HTTP front of Vedetta.
type Server struct {
	opt      Options
	st       store.Store
	log      *slog.Logger
	authn    *auth.Authenticator
	throttle *auth.Throttle
	tmpl     *templates
	static   *staticFiles
	mux      *http.ServeMux
	routes   []Route
	handler  http.Handler
	metrics  *httpMetrics
	now      func() time.Time
}

// Route describes one registered route, for the route-walking tests.
type Route struct {
	Method  string
	Pattern string // ServeMux pattern path, e.g. "/admin/users/{id}"
	API     bool
	Public  bool            // no login needed
	Perm    auth.Permission // "" = any logged-in user
	Admin   bool            // platform administrators only
}

// New builds the server and its routes.
func New(opt Options) (*Server, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.IdleTimeout == 0 {
		opt.IdleTimeout = 30 * time.Minute
	}
	if opt.Absolute == 0 {
		opt.Absolute = 12 * time.Hour
	}
	s := &Server{opt: opt, st: opt.Store, log: opt.Logger.With("component", "web"), mux: http.NewServeMux(), now: opt.Now}
	var err error
	if s.throttle, err = auth.NewThrottle(auth.DefaultThrottleConfig()); err != nil {
		return nil, err
	}
	s.authn, err = auth.NewAuthenticator(opt.Store, auth.Options{Hasher: opt.Hasher, Throttle: s.throttle, Now: opt.Now, Logger: opt.Logger})
	if err != nil {
		return nil, err
	}
	if s.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if s.tmpl, err = parseTemplates(s.static); err != nil {
		return nil, err
	}
	s.metrics = newHTTPMetrics(opt.Registry)
	s.registerRoutes()
	s.handler = s.wrap(s.mux)
	return s, nil
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns every registered route, sorted.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// handlerFunc is what page and API handlers implement: they return an error
// that one adapter turns into a status and a logged message.
type handlerFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

// route registers a handler with its access requirements.
func (s *Server) route(rt Route, h handlerFunc) {
	s.routes = append(s.routes, rt)
	pattern := rt.Method + " " + rt.Pattern
	s.mux.Handle(pattern, s.metrics.instrument(rt.Pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rq *request
		var err error
		if rt.API {
			rq, err = s.apiRequest(w, r, rt)
		} else {
			rq, err = s.browserRequest(w, r, rt)
		}
		if err == nil {
			err = h(w, r, rq)
		}
		if err != nil {
			s.fail(w, r, rq, rt.API, err)
		}
	})))
}

// httpError carries a status and a translation key for the client; Err is
// logged, never shown.
type httpError struct {
	Status int
	Key    string
	Err    error
}

func (e *httpError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Key, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Key)
}

func (e *httpError) Unwrap() error { return e.Err }

func errStatus(status int, key string) error { return &httpError{Status: status, Key: key} }

var (
	errNotFound  = errStatus(http.StatusNotFound, "error.not_found")
	errForbidden = errStatus(http.StatusForbidden, "error.forbidden")
)

// notFoundIf maps store.ErrNotFound to a 404 and anything else to a 500.
func notFoundIf(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	return err
}

// errRedirect is returned by browser guards to send the user elsewhere.
type errRedirect struct{ to string }

func (e *errRedirect) Error() string { return "redirect to " + e.to }

func (s *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, api bool, err error) {
	var red *errRedirect
	if errors.As(err, &red) {
		http.Redirect(w, r, red.to, http.StatusSeeOther)
		return
	}
	status, key := http.StatusInternalServerError, "error.internal"
	var he *httpError
	if errors.As(err, &he) {
		status, key = he.Status, he.Key
	}
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := printerFor(r, rq)
	if api {
		writeJSON(w, status, map[string]any{"error": map[string]any{"code": key, "message": p.T(key)}})
		return
	}
	w.WriteHeader(status)
	s.render(w, r, rq, "error", map[string]any{"Status": status, "Message": p.T(key)})
}

// contextKey types values stored in request contexts.
type contextKey int

const nonceKey contextKey = iota

func withValue(r *http.Request, k contextKey, v any) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), k, v))
}
