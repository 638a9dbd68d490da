package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/notify"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// registerNotifyRoutes declares the notification settings: the tenant's
// channels (settings managers) and each user's personal ones.
func (s *Server) registerNotifyRoutes() {
	page := func(method, pattern string, perm auth.Permission, h handlerFunc) {
		s.route(Route{Method: method, Pattern: pattern, Perm: perm}, h)
	}
	page("GET", "/dashboard/notifications", auth.PermReadEvents, s.showNotify)
	page("POST", "/dashboard/notifications", auth.PermReadEvents, s.doCreateNotify)
	page("POST", "/dashboard/notifications/{channel}/delete", auth.PermReadEvents, s.doDeleteNotify)
	page("POST", "/dashboard/notifications/{channel}/toggle", auth.PermReadEvents, s.doToggleNotify)
}

type channelRow struct {
	store.NotifyChannel
	Personal bool
	Mine     bool
	Failing  bool
	Quiet    string // "22:00–07:00"
}

type notifyForm struct {
	Scope, Name, Kind, Target, MinSeverity, DigestSeverity, DigestEvery, QuietFrom, QuietTo, Timezone string
	SMTPAddr, From, Username, StartTLS                                                                string
}

type notifyData struct {
	Channels   []channelRow
	Form       notifyForm
	CanTenant  bool
	ReadOnly   bool
	Severities []option
	Secret     string // a generated webhook secret, shown once
}

func (s *Server) notifyData(r *http.Request, rq *request, f notifyForm) (notifyData, error) {
	d := notifyData{Form: f, CanTenant: rq.Can(auth.PermManageSettings), ReadOnly: rq.Overseeing}
	chs, err := s.st.ListNotifyChannels(r.Context(), rq.Tenant.ID)
	if err != nil {
		return d, err
	}
	me := ""
	if rq.User != nil {
		me = rq.User.ID
	}
	for _, c := range chs {
		row := channelRow{NotifyChannel: c, Personal: c.UserID != "", Mine: c.UserID != "" && c.UserID == me}
		row.Failing = c.Failures > 0
		row.Quiet = fmt.Sprintf("%02d:%02d–%02d:%02d", c.QuietFrom/60, c.QuietFrom%60, c.QuietTo/60, c.QuietTo%60)
		// Others' personal channels stay private.
		if row.Personal && !row.Mine && !d.CanTenant {
			continue
		}
		row.Config = ""
		d.Channels = append(d.Channels, row)
	}
	for _, sv := range store.Severities {
		d.Severities = append(d.Severities, option{string(sv), rq.P.T("dashboard.sev." + string(sv))})
	}
	return d, nil
}

func (s *Server) showNotify(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.notifyData(r, rq, notifyForm{Scope: "me", Kind: store.ChannelEmail, MinSeverity: "high", DigestSeverity: "medium",
		DigestEvery: "60", StartTLS: "1", Timezone: "Europe/Rome"})
	if err != nil {
		return err
	}
	s.render(w, r, rq, "dashboard_notify", d)
	return nil
}

// parseClock reads "HH:MM" as minutes after midnight; "" is 0.
func parseClock(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	t, err := time.Parse("15:04", v)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// channelFrom builds a channel from the form, or a localised error.
func channelFrom(f notifyForm, password, secret string) (*store.NotifyChannel, error) {
	c := &store.NotifyChannel{Name: strings.TrimSpace(f.Name), Kind: f.Kind, Target: strings.TrimSpace(f.Target),
		MinSeverity: store.Severity(f.MinSeverity), DigestSeverity: store.Severity(f.DigestSeverity), Timezone: f.Timezone, Enabled: true}
	if c.Name == "" || len(c.Name) > 200 {
		return nil, i18n.NewError("notify.bad_name")
	}
	if !c.MinSeverity.Valid() || (c.DigestSeverity != "" && !c.DigestSeverity.Valid()) {
		return nil, i18n.NewError("notify.bad_severity")
	}
	mins, err := strconv.Atoi(f.DigestEvery)
	if err != nil || mins < 5 || mins > 7*24*60 {
		return nil, i18n.NewError("notify.bad_period")
	}
	c.DigestEvery = time.Duration(mins) * time.Minute
	if c.QuietFrom, err = parseClock(f.QuietFrom); err != nil {
		return nil, i18n.NewError("notify.bad_quiet")
	}
	if c.QuietTo, err = parseClock(f.QuietTo); err != nil {
		return nil, i18n.NewError("notify.bad_quiet")
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil || len(c.Timezone) > 64 {
			return nil, i18n.NewError("notify.bad_timezone")
		}
	}
	var raw []byte
	switch c.Kind {
	case store.ChannelEmail:
		if err := notify.ValidRecipients(c.Target); err != nil {
			return nil, i18n.NewError("notify.bad_recipients")
		}
		raw, _ = json.Marshal(notify.EmailConfig{SMTPAddr: strings.TrimSpace(f.SMTPAddr), From: strings.TrimSpace(f.From),
			Username: strings.TrimSpace(f.Username), Password: password, StartTLS: f.StartTLS == "1"})
		if _, err := notify.ParseEmailConfig(string(raw)); err != nil {
			return nil, i18n.NewError("notify.bad_smtp", "reason", strings.TrimPrefix(err.Error(), notify.ErrConfig.Error()+": "))
		}
	case store.ChannelWebhook:
		if err := notify.ValidWebhookURL(c.Target); err != nil {
			return nil, i18n.NewError("notify.bad_url")
		}
		raw, _ = json.Marshal(notify.WebhookConfig{Secret: secret})
		if _, err := notify.ParseWebhookConfig(string(raw)); err != nil {
			return nil, i18n.NewError("notify.bad_secret")
		}
	default:
		return nil, i18n.NewError("notify.bad_kind")
	}
	c.Config = string(raw)
	return c, nil
}

func (s *Server) doCreateNotify(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.Overseeing || rq.User == nil {
		return errForbidden
	}
	v := r.PostFormValue
	f := notifyForm{Scope: v("scope"), Name: v("name"), Kind: v("kind"), Target: v("target"), MinSeverity: v("min_severity"),
		DigestSeverity: v("digest_severity"), DigestEvery: v("digest_every"), QuietFrom: v("quiet_from"), QuietTo: v("quiet_to"),
		Timezone: v("timezone"), SMTPAddr: v("smtp_addr"), From: v("from"), Username: v("username"), StartTLS: v("starttls")}
	secret, generated := v("secret"), false
	if f.Kind == store.ChannelWebhook && secret == "" {
		var b [24]byte
		_, _ = rand.Read(b[:])
		secret, generated = hex.EncodeToString(b[:]), true
	}
	c, err := channelFrom(f, v("password"), secret)
	if err == nil && f.Scope == "tenant" && !rq.Can(auth.PermManageSettings) {
		err = errForbidden
	}
	if err != nil {
		d, derr := s.notifyData(r, rq, f)
		if derr != nil {
			return derr
		}
		return s.formError(w, r, rq, "dashboard_notify", d, err)
	}
	c.TenantID = rq.Tenant.ID
	if f.Scope != "tenant" {
		c.UserID = rq.User.ID
	}
	if err := s.st.CreateNotifyChannel(r.Context(), c); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			d, derr := s.notifyData(r, rq, f)
			if derr != nil {
				return derr
			}
			return s.formError(w, r, rq, "dashboard_notify", d, i18n.NewError("notify.invalid"))
		}
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "notify.create", "notify_channel:"+c.ID,
		map[string]any{"kind": c.Kind, "name": c.Name, "personal": c.UserID != "", "min_severity": c.MinSeverity}); err != nil {
		return err
	}
	if generated {
		d, err := s.notifyData(r, rq, notifyForm{Scope: "me", Kind: store.ChannelEmail, MinSeverity: "high", DigestEvery: "60"})
		if err != nil {
			return err
		}
		d.Secret = secret
		s.renderPage(w, r, rq, &page{View: "dashboard_notify", Data: d, Flash: rq.P.T("flash.saved")})
		return nil
	}
	return &errRedirect{"/dashboard/notifications?flash=flash.saved"}
}

// ownedChannel loads a channel the caller may change: a tenant channel
// with the settings permission, or the caller's own personal channel.
func (s *Server) ownedChannel(r *http.Request, rq *request) (*store.NotifyChannel, error) {
	if rq.Overseeing || rq.User == nil {
		return nil, errForbidden
	}
	c, err := s.st.GetNotifyChannel(r.Context(), rq.Tenant.ID, r.PathValue("channel"))
	if err != nil {
		return nil, notFoundIf(err)
	}
	if c.UserID == "" && !rq.Can(auth.PermManageSettings) {
		return nil, errForbidden
	}
	if c.UserID != "" && c.UserID != rq.User.ID && !rq.Can(auth.PermManageSettings) {
		return nil, errNotFound
	}
	return c, nil
}

func (s *Server) doDeleteNotify(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.ownedChannel(r, rq)
	if err != nil {
		return err
	}
	if err := s.st.DeleteNotifyChannel(r.Context(), rq.Tenant.ID, c.ID); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "notify.delete", "notify_channel:"+c.ID, map[string]any{"name": c.Name}); err != nil {
		return err
	}
	return &errRedirect{"/dashboard/notifications?flash=flash.saved"}
}

func (s *Server) doToggleNotify(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := s.ownedChannel(r, rq)
	if err != nil {
		return err
	}
	c.Enabled = !c.Enabled
	if err := s.st.UpdateNotifyChannel(r.Context(), c); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "notify.update", "notify_channel:"+c.ID,
		map[string]any{"enabled": c.Enabled}); err != nil {
		return err
	}
	return &errRedirect{"/dashboard/notifications?flash=flash.saved"}
}
