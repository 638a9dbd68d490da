package store

import (
	"context"
	"slices"
	"time"
)

// Notification channel kinds.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// ChannelKinds lists the channel kinds, in display order.
var ChannelKinds = []string{ChannelEmail, ChannelWebhook}

// NotifyChannel is one way a tenant, or one of its users, is told of
// alerts: an e-mail relay and recipients, or a webhook. Alerts at or
// above MinSeverity are sent at once, except during quiet hours (then only
// critical ones); lower ones at or above DigestSeverity, and those held
// by quiet hours, are batched into a digest every DigestEvery.
type NotifyChannel struct {
	ID       string
	TenantID string
	// UserID is the user a personal channel belongs to; "" for the
	// tenant's channels.
	UserID string
	Name   string
	Kind   string // ChannelEmail or ChannelWebhook
	// Target is the recipients (comma-separated addresses) of an e-mail
	// channel or the URL of a webhook.
	Target string
	// Config is a JSON object with the kind's settings: the SMTP relay
	// (smtp_addr, from, username, password, starttls) or the webhook's
	// HMAC secret (secret). It holds credentials: never show it.
	Config         string
	MinSeverity    Severity
	DigestSeverity Severity // "" sends no digest
	DigestEvery    time.Duration
	// QuietFrom and QuietTo are minutes after midnight in Timezone; equal
	// values mean no quiet hours. The range may wrap past midnight.
	QuietFrom, QuietTo int
	Timezone           string // IANA name, "" for UTC
	Enabled            bool
	// Delivery health, written by RecordNotifyResult.
	LastSuccess time.Time
	LastFailure time.Time
	LastError   string
	Failures    int // consecutive failures
	LastDigest  time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ValidKind reports whether the channel's kind is known.
func (c *NotifyChannel) ValidKind() bool { return slices.Contains(ChannelKinds, c.Kind) }

// DigestItem is an alert waiting for a channel's next digest.
type DigestItem struct {
	TenantID  string
	ChannelID string
	AlertID   string
	Severity  Severity
	Title     string
	At        time.Time
}

// NotifyStore keeps notification channels, their delivery health, the
// alerts waiting for a digest and which alerts each channel was told of.
// Every method but ListAllNotifyChannels is scoped by tenant.
type NotifyStore interface {
	// CreateNotifyChannel stores a channel; ID, CreatedAt and UpdatedAt
	// are set. Kind, name and target are required and severities must be
	// valid (ErrInvalid).
	CreateNotifyChannel(ctx context.Context, c *NotifyChannel) error
	GetNotifyChannel(ctx context.Context, tenantID, id string) (*NotifyChannel, error)
	// ListNotifyChannels returns the tenant's channels by name.
	ListNotifyChannels(ctx context.Context, tenantID string) ([]NotifyChannel, error)
	// ListAllNotifyChannels returns every enabled channel, for the
	// notifier.
	ListAllNotifyChannels(ctx context.Context) ([]NotifyChannel, error)
	// UpdateNotifyChannel writes the settings (not the delivery health).
	UpdateNotifyChannel(ctx context.Context, c *NotifyChannel) error
	DeleteNotifyChannel(ctx context.Context, tenantID, id string) error
	// RecordNotifyResult records a delivery at t: a success when errText
	// is empty (consecutive failures reset), else a failure with its
	// reason.
	RecordNotifyResult(ctx context.Context, tenantID, id string, t time.Time, errText string) error

	// MarkNotified records that the channel was told of the alert; first
	// is false when it had been already (a redelivered alert).
	MarkNotified(ctx context.Context, tenantID, channelID, alertID string, at time.Time) (first bool, err error)
	// PruneNotified forgets marks older than before.
	PruneNotified(ctx context.Context, before time.Time) (int64, error)

	// QueueDigest adds an alert to the channel's next digest (once per
	// alert).
	QueueDigest(ctx context.Context, it DigestItem) error
	// TakeDigest removes and returns the channel's queued items, oldest
	// first, and sets its LastDigest to at.
	TakeDigest(ctx context.Context, tenantID, channelID string, at time.Time) ([]DigestItem, error)
}
