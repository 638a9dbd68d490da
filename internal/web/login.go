package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

type loginForm struct {
	Username string
	Next     string
}

func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/"
	}
	return next
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.Session != nil && !rq.Session.TOTPPending {
		return &errRedirect{"/"}
	}
	s.render(w, r, rq, "login", loginForm{Next: safeNext(r.URL.Query().Get("next"))})
	return nil
}

func (s *Server) doLogin(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := r.ParseForm(); err != nil {
		return errStatus(http.StatusBadRequest, "error.bad_request")
	}
	username := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	form := loginForm{Username: username, Next: safeNext(r.PostFormValue("next"))}
	user, err := s.authn.Login(r.Context(), username, r.PostFormValue("password"), rq.IP)
	if err != nil {
		key := "login.failed"
		var lockErr *auth.LockedError
		switch {
		case errors.As(err, &lockErr) || errors.Is(err, auth.ErrLocked):
			key = "login.locked"
		case errors.Is(err, auth.ErrThrottled):
			key = "login.throttled"
		case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrDisabled):
		default:
			return err
		}
		if aerr := s.audit(r.Context(), rq, "", "session.login_failed", "user:"+username, map[string]any{"reason": key}); aerr != nil {
			return aerr
		}
		status := http.StatusUnauthorized
		if key == "login.throttled" {
			status = http.StatusTooManyRequests
		}
		w.WriteHeader(status)
		s.renderPage(w, r, rq, &page{View: "login", Data: form, Error: rq.P.T(key)})
		return nil
	}
	// A new session on every login: an old cookie (fixation) is dropped.
	if rq.Session != nil {
		_ = s.st.DeleteSession(r.Context(), rq.Session.ID)
	}
	sess, err := s.startSession(w, r, user, user.TOTPEnabled)
	if err != nil {
		return err
	}
	rq.User, rq.Session = user, sess
	if user.TOTPEnabled {
		return &errRedirect{"/login/totp?next=" + form.Next}
	}
	if err := s.audit(r.Context(), rq, "", "session.login", "user:"+user.ID, nil); err != nil {
		return err
	}
	return &errRedirect{form.Next}
}

// startSession creates a session and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *store.User, totpPending bool) (*store.Session, error) {
	token, id := auth.NewSessionToken()
	now := s.now()
	sess := &store.Session{
		ID: id, UserID: u.ID, CSRFToken: auth.NewCSRFToken(), TOTPPending: totpPending,
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.opt.Absolute),
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256),
	}
	if err := s.st.CreateSession(r.Context(), sess); err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true,
		Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode,
		Expires: sess.ExpiresAt,
	})
	return sess, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Server) showLoginTOTP(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.Session == nil || !rq.Session.TOTPPending {
		return &errRedirect{"/login"}
	}
	s.renderPage(w, r, rq, &page{View: "login_totp", Data: loginForm{Next: safeNext(r.URL.Query().Get("next"))}, CSRF: rq.Session.CSRFToken})
	return nil
}

func (s *Server) doLoginTOTP(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.Session == nil || !rq.Session.TOTPPending {
		return &errRedirect{"/login"}
	}
	if err := r.ParseForm(); err != nil {
		return errStatus(http.StatusBadRequest, "error.bad_request")
	}
	next := safeNext(r.PostFormValue("next"))
	if !auth.TokensEqual(r.PostFormValue("csrf"), rq.Session.CSRFToken) {
		return errStatus(http.StatusForbidden, "error.csrf")
	}
	if _, ok := s.throttle.Allow(rq.IP, rq.User.Username, s.now()); !ok {
		w.WriteHeader(http.StatusTooManyRequests)
		s.renderPage(w, r, rq, &page{View: "login_totp", Data: loginForm{Next: next}, Error: rq.P.T("login.throttled")})
		return nil
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	ok, err := s.totpOnce(r.Context(), rq.User, code)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.audit(r.Context(), rq, "", "session.totp_failed", "user:"+rq.User.ID, nil); err != nil {
			return err
		}
		w.WriteHeader(http.StatusUnauthorized)
		s.renderPage(w, r, rq, &page{View: "login_totp", Data: loginForm{Next: next}, Error: rq.P.T("login.totp_failed")})
		return nil
	}
	rq.Session.TOTPPending = false
	rq.Session.CSRFToken = auth.NewCSRFToken()
	if err := s.st.UpdateSession(r.Context(), rq.Session); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, "", "session.login", "user:"+rq.User.ID, map[string]any{"mfa": "totp"}); err != nil {
		return err
	}
	return &errRedirect{next}
}

func (s *Server) doLogout(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.Session != nil {
		if err := r.ParseForm(); err != nil || !auth.TokensEqual(r.PostFormValue("csrf"), rq.Session.CSRFToken) {
			return errStatus(http.StatusForbidden, "error.csrf")
		}
		if err := s.st.DeleteSession(r.Context(), rq.Session.ID); err != nil {
			return err
		}
		if err := s.audit(r.Context(), rq, rq.Session.TenantID, "session.logout", "user:"+rq.User.ID, nil); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode})
	return &errRedirect{"/login?flash=flash.logged_out"}
}

// setLanguage changes the language: for a logged-in user it is saved in the
// profile; otherwise a cookie-less redirect keeps the browser's choice.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request, rq *request) error {
	lang := i18n.Normalize(r.PathValue("lang"))
	if lang == "" {
		return errNotFound
	}
	back := safeNext(r.URL.Query().Get("next"))
	if rq.User != nil && rq.Session != nil && !rq.Session.TOTPPending {
		// GET must not change state for logged-in users: the profile form
		// posts instead. Here we only redirect.
		return &errRedirect{"/profile"}
	}
	http.SetCookie(w, &http.Cookie{Name: "vedetta_lang", Value: lang, Path: "/", HttpOnly: true, Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	return &errRedirect{back}
}

// totpOnce reports whether code is the user's current TOTP code and its
// time step was never used before, by any instance sharing the store: a
// code seen once (shoulder-surfed, phished in real time, logged) does not
// open a second session.
func (s *Server) totpOnce(ctx context.Context, u *store.User, code string) (bool, error) {
	step, ok := auth.ValidateTOTPStep(u.TOTPSecret, code, s.now())
	if !ok {
		return false, nil
	}
	return s.st.AdvanceTOTPStep(ctx, u.ID, step)
}
