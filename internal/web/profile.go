package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

type profileData struct {
	TOTPEnabled bool
}

func (s *Server) showProfile(w http.ResponseWriter, r *http.Request, rq *request) error {
	s.render(w, r, rq, "profile", profileData{TOTPEnabled: rq.User.TOTPEnabled})
	return nil
}

func (s *Server) doProfileLanguage(w http.ResponseWriter, r *http.Request, rq *request) error {
	lang := r.PostFormValue("locale")
	if lang != "" && i18n.Normalize(lang) == "" {
		return s.formError(w, r, rq, "profile", profileData{TOTPEnabled: rq.User.TOTPEnabled}, i18n.NewError("profile.bad_language"))
	}
	rq.User.Locale = i18n.Normalize(lang)
	if err := s.st.UpdateUser(r.Context(), rq.User); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.tenantID(), "user.language", "user:"+rq.User.ID, map[string]any{"locale": rq.User.Locale}); err != nil {
		return err
	}
	return &errRedirect{"/profile?flash=flash.saved"}
}

func (s *Server) doProfilePassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	data := profileData{TOTPEnabled: rq.User.TOTPEnabled}
	ok, _, err := s.opt.Hasher.Verify(r.PostFormValue("current"), rq.User.PasswordHash)
	if err != nil || !ok {
		return s.formError(w, r, rq, "profile", data, i18n.NewError("profile.wrong_password"))
	}
	pw := r.PostFormValue("new")
	if pw != r.PostFormValue("confirm") {
		return s.formError(w, r, rq, "profile", data, i18n.NewError("password.mismatch"))
	}
	if err := s.setPassword(r, rq.User, pw); err != nil {
		return s.formError(w, r, rq, "profile", data, err)
	}
	// Other sessions of the user end; this one continues.
	if err := s.st.DeleteUserSessions(r.Context(), rq.User.ID); err != nil {
		return err
	}
	if _, err := s.startSession(w, r, rq.User, false); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.tenantID(), "user.password_change", "user:"+rq.User.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/profile?flash=flash.password_changed"}
}

// showTOTPEnrol starts enrolment: a new secret is stored (not yet enabled)
// and shown as a QR code and as text.
func (s *Server) showTOTPEnrol(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.User.TOTPEnabled {
		return &errRedirect{"/profile"}
	}
	secret, otpURL, err := auth.NewTOTPSecret("Vedetta", rq.User.Username)
	if err != nil {
		return err
	}
	rq.User.TOTPSecret = secret
	if err := s.st.UpdateUser(r.Context(), rq.User); err != nil {
		return err
	}
	s.render(w, r, rq, "totp", map[string]string{"Secret": secret, "URL": otpURL})
	return nil
}

func (s *Server) totpQR(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.User.TOTPEnabled || rq.User.TOTPSecret == "" {
		return errNotFound
	}
	png, err := auth.TOTPQRCodePNG(totpURL("Vedetta", rq.User.Username, rq.User.TOTPSecret), 240)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(png)
	return nil
}

func (s *Server) doTOTPEnrol(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.User.TOTPEnabled || rq.User.TOTPSecret == "" {
		return &errRedirect{"/profile"}
	}
	ok, err := s.totpOnce(r.Context(), rq.User, r.PostFormValue("code"))
	if err != nil {
		return err
	}
	if !ok {
		u := totpURL("Vedetta", rq.User.Username, rq.User.TOTPSecret)
		return s.formError(w, r, rq, "totp", map[string]string{"Secret": rq.User.TOTPSecret, "URL": u}, i18n.NewError("totp.bad_code"))
	}
	rq.User.TOTPEnabled = true
	if err := s.st.UpdateUser(r.Context(), rq.User); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.tenantID(), "user.totp_enable", "user:"+rq.User.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/profile?flash=flash.totp_enabled"}
}

func (s *Server) doTOTPDisable(w http.ResponseWriter, r *http.Request, rq *request) error {
	ok, _, err := s.opt.Hasher.Verify(r.PostFormValue("password"), rq.User.PasswordHash)
	if err != nil || !ok {
		return s.formError(w, r, rq, "profile", profileData{TOTPEnabled: rq.User.TOTPEnabled}, i18n.NewError("profile.wrong_password"))
	}
	rq.User.TOTPEnabled, rq.User.TOTPSecret = false, ""
	if err := s.st.UpdateUser(r.Context(), rq.User); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.tenantID(), "user.totp_disable", "user:"+rq.User.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/profile?flash=flash.totp_disabled"}
}

// setPassword checks the policy, hashes and stores a new password. Policy
// failures come back as localised errors.
func (s *Server) setPassword(r *http.Request, u *store.User, pw string) error {
	if err := checkPassword(pw, u.Username); err != nil {
		return err
	}
	hash, err := s.opt.Hasher.Hash(pw)
	if err != nil {
		return err
	}
	u.PasswordHash, u.FailedLogins, u.LockedUntil = hash, 0, time.Time{}
	return s.st.UpdateUser(r.Context(), u)
}

// policyError turns a password-policy error into a localised one.
func policyError(err error) error {
	var pe *auth.PolicyError
	if errors.As(err, &pe) {
		var args []any
		for k, v := range pe.Args {
			args = append(args, k, v)
		}
		return i18n.NewError(pe.Key, args...)
	}
	return err
}

// checkPassword applies the password policy, with a localised error.
func checkPassword(pw, username string) error {
	if err := auth.CheckPassword(pw, username); err != nil {
		return policyError(err)
	}
	return nil
}

// totpURL is the otpauth:// URL of a secret, for the QR code.
func totpURL(issuer, account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	return "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + v.Encode()
}
