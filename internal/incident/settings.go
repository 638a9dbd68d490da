package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Webhook is an endpoint that actions POST to. Secret keys the HMAC
// signature header.
type Webhook struct {
	URL    string `json:"url,omitempty"`
	Secret string `json:"secret,omitempty"`
}

// Configured reports whether the webhook has a URL.
func (w Webhook) Configured() bool { return w.URL != "" }

// SMTP is the mail relay used by email actions.
type SMTP struct {
	Addr     string `json:"addr,omitempty"` // host:port
	From     string `json:"from,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// RemoteCentre is a police centre on another Vedetta installation that
// receives this tenant's reports over HTTPS: URL is the base of that
// installation (https://host[:port][/prefix]) and Token an API token of
// the centre's tenant with the reports.receive permission.
type RemoteCentre struct {
	Name  string `json:"name,omitempty"`
	URL   string `json:"url,omitempty"`
	Token string `json:"token,omitempty"`
	// PseudonymKey keys the pseudonyms of reports sent there (hex,
	// generated on first use): the remote centre's own key is not ours
	// to read.
	PseudonymKey string `json:"pseudonym_key,omitempty"`
}

// Configured reports whether reports can be sent to the remote centre.
func (c RemoteCentre) Configured() bool { return c.URL != "" && c.Token != "" }

// DisplayName is the centre's name, or its host when unnamed.
func (c RemoteCentre) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	if u, err := url.Parse(c.URL); err == nil && u.Host != "" {
		return u.Host
	}
	return c.URL
}

// ClockRules are the reporting deadlines of a jurisdiction, in hours and
// days. For Albania and Montenegro they are configurable per tenant: the
// national transpositions of NIS2 (AL Law 25/2024, AKSK; ME CIRT.ME) are
// still being aligned and differ in detail, so the defaults mirror NIS2
// art. 23 and a tenant can change them.
type ClockRules struct {
	EarlyWarningHours int `json:"early_warning_hours,omitempty"`
	NotificationHours int `json:"notification_hours,omitempty"`
	FinalMonths       int `json:"final_months,omitempty"`
	GDPRHours         int `json:"gdpr_hours,omitempty"`
}

// Settings are a tenant's incident-response settings, stored as JSON by
// store.CaseStore.SetIncidentSettings.
type Settings struct {
	BlockWebhook       Webhook `json:"block_webhook"`
	DisableUserWebhook Webhook `json:"disable_user_webhook"`
	ChatWebhook        Webhook `json:"chat_webhook"`
	SMTP               SMTP    `json:"smtp"`
	// Clocks overrides the deadlines (used for AL and ME).
	Clocks ClockRules `json:"clocks"`
	// ReminderHours is how long before a deadline the reminder fires
	// (default 2).
	ReminderHours int `json:"reminder_hours,omitempty"`
	// PseudonymKey keys the HMAC that pseudonymises personal data in the
	// reports this tenant receives (hex, generated on first use).
	PseudonymKey string `json:"pseudonym_key,omitempty"`
	// Remote is the police centre on a remote installation, if any.
	Remote RemoteCentre `json:"remote_centre"`
}

// LoadSettings reads a tenant's settings.
func LoadSettings(ctx context.Context, st store.CaseStore, tenantID string) (Settings, error) {
	var s Settings
	raw, err := st.GetIncidentSettings(ctx, tenantID)
	if err != nil {
		return s, fmt.Errorf("incident: settings: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return s, fmt.Errorf("incident: settings: %w", err)
	}
	return s, nil
}

// Validate checks the webhook URLs and numbers.
func (s Settings) Validate() error {
	for name, w := range map[string]Webhook{"block": s.BlockWebhook, "disable_user": s.DisableUserWebhook, "chat": s.ChatWebhook} {
		if w.URL == "" {
			continue
		}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("incident: %s webhook: URL must be http(s)://host/…", name)
		}
	}
	if s.Remote.URL != "" {
		u, err := url.Parse(s.Remote.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("incident: remote police centre: URL must be https://host[/prefix]")
		}
		if len(s.Remote.Name) > 200 || len(s.Remote.Token) > 500 {
			return fmt.Errorf("incident: remote police centre: name or token too long")
		}
	}
	c := s.Clocks
	if c.EarlyWarningHours < 0 || c.NotificationHours < 0 || c.FinalMonths < 0 || c.GDPRHours < 0 ||
		c.EarlyWarningHours > 720 || c.NotificationHours > 720 || c.FinalMonths > 12 || c.GDPRHours > 720 || s.ReminderHours < 0 || s.ReminderHours > 72 {
		return fmt.Errorf("incident: clock settings out of range")
	}
	return nil
}

// SaveSettings validates and stores a tenant's settings.
func SaveSettings(ctx context.Context, st store.CaseStore, tenantID string, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("incident: settings: %w", err)
	}
	if err := st.SetIncidentSettings(ctx, tenantID, string(b)); err != nil {
		return fmt.Errorf("incident: settings: %w", err)
	}
	return nil
}
