package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/store"
)

type playbookRow struct {
	Name       string
	Playbook   *incident.Playbook
	Overridden bool
}

type playbookData struct {
	Rows  []playbookRow
	Name  string
	YAML  string
	Lang  string
	Parse string // the parser's message when saving failed
}

func (s *Server) showPlaybooks(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	pbs, err := incident.Playbooks(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	over, err := s.st.ListTenantPlaybooks(ctx, rq.Tenant.ID)
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, o := range over {
		mine[o.Name] = true
	}
	d := playbookData{Lang: rq.P.Lang}
	for _, n := range incident.PlaybookNames(pbs) {
		d.Rows = append(d.Rows, playbookRow{Name: n, Playbook: pbs[n], Overridden: mine[n]})
	}
	s.render(w, r, rq, "case_playbooks", d)
	return nil
}

func (s *Server) showPlaybook(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	y, err := incident.PlaybookYAML(r.Context(), s.st, rq.Tenant.ID, name)
	if err != nil {
		return err
	}
	if y == "" && name != "new" {
		return errNotFound
	}
	s.render(w, r, rq, "case_playbook", playbookData{Name: name, YAML: y, Lang: rq.P.Lang})
	return nil
}

func (s *Server) doSavePlaybook(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	y := r.PostFormValue("yaml")
	_, name := rq.actor()
	p, err := incident.SavePlaybook(ctx, s.st, rq.Tenant.ID, y, name)
	if err != nil {
		if errors.Is(err, incident.ErrPlaybook) {
			msg := strings.TrimPrefix(err.Error(), incident.ErrPlaybook.Error()+": ")
			d := playbookData{Name: r.PostFormValue("name"), YAML: y, Lang: rq.P.Lang, Parse: msg}
			return s.formError(w, r, rq, "case_playbook", d, i18n.NewError("cases.error.playbook_yaml", "detail", msg))
		}
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "playbook.save", "playbook:"+p.Name, nil); err != nil {
		return err
	}
	return &errRedirect{"/playbooks?flash=flash.playbook_saved"}
}

func (s *Server) doResetPlaybook(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	if err := s.st.DeleteTenantPlaybook(r.Context(), rq.Tenant.ID, name); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "playbook.reset", "playbook:"+name, nil); err != nil {
		return err
	}
	return &errRedirect{"/playbooks?flash=flash.playbook_saved"}
}

type caseSettingsData struct {
	S       incident.Settings
	Country string
}

func (s *Server) showCaseSettings(w http.ResponseWriter, r *http.Request, rq *request) error {
	set, err := incident.LoadSettings(r.Context(), s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	s.render(w, r, rq, "case_settings", caseSettingsData{S: set, Country: rq.Tenant.Country})
	return nil
}

func (s *Server) doCaseSettings(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	set, err := incident.LoadSettings(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	secret := func(old, v string) string {
		if v == "" {
			return old // empty keeps the stored secret
		}
		return v
	}
	num := func(k string) int {
		n, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue(k)))
		return n
	}
	set.BlockWebhook = incident.Webhook{URL: strings.TrimSpace(r.PostFormValue("block_url")), Secret: secret(set.BlockWebhook.Secret, r.PostFormValue("block_secret"))}
	set.DisableUserWebhook = incident.Webhook{URL: strings.TrimSpace(r.PostFormValue("disable_url")), Secret: secret(set.DisableUserWebhook.Secret, r.PostFormValue("disable_secret"))}
	set.ChatWebhook = incident.Webhook{URL: strings.TrimSpace(r.PostFormValue("chat_url")), Secret: secret(set.ChatWebhook.Secret, r.PostFormValue("chat_secret"))}
	set.SMTP = incident.SMTP{Addr: strings.TrimSpace(r.PostFormValue("smtp_addr")), From: strings.TrimSpace(r.PostFormValue("smtp_from")),
		Username: strings.TrimSpace(r.PostFormValue("smtp_user")), Password: secret(set.SMTP.Password, r.PostFormValue("smtp_password"))}
	set.Clocks = incident.ClockRules{EarlyWarningHours: num("early_warning_hours"), NotificationHours: num("notification_hours"),
		FinalMonths: num("final_months"), GDPRHours: num("gdpr_hours")}
	set.ReminderHours = num("reminder_hours")
	set.Remote.Name = strings.TrimSpace(r.PostFormValue("remote_name"))
	set.Remote.URL = strings.TrimSpace(r.PostFormValue("remote_url"))
	set.Remote.Token = secret(set.Remote.Token, strings.TrimSpace(r.PostFormValue("remote_token")))
	if set.Remote.URL == "" {
		set.Remote.Token = "" // no centre, no token kept
	}
	if err := incident.SaveSettings(ctx, s.st, rq.Tenant.ID, set); err != nil {
		if errors.Is(err, store.ErrInvalid) || strings.HasPrefix(err.Error(), "incident:") {
			return s.formError(w, r, rq, "case_settings", caseSettingsData{S: set, Country: rq.Tenant.Country}, i18n.NewError("cases.error.settings"))
		}
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "case.settings", "tenant:"+rq.Tenant.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/incident-settings?flash=flash.case_settings"}
}
