// Package notify tells people of alerts by e-mail (SMTP, optionally with
// STARTTLS and authentication) and webhook (a JSON POST signed with
// HMAC-SHA256), routed per tenant and per user by severity, with quiet
// hours and digests.
//
// A Notifier consumes the ALERTS stream with the durable consumer
// "alert-notify" (bus.ConsumerAlertNotify). The stream keeps every alert
// until each declared consumer acknowledges it, so the app must run the
// Notifier whenever it runs. For each new alert (Message.Created) and each
// enabled channel of its tenant, Route decides:
//
//   - Send: severity at least the channel's MinSeverity, outside quiet
//     hours (a critical alert is sent during quiet hours too);
//   - Digest: severity at least DigestSeverity but below MinSeverity, or
//     held back by quiet hours; queued in the store and sent as one message
//     every DigestEvery, once quiet hours are over;
//   - Drop: anything else.
//
// A channel is told of an alert once (store.MarkNotified), so a redelivered
// message sends nothing twice. A failed immediate delivery is recorded on
// the channel (last error, consecutive failures, shown on the settings
// page) and the alert falls back to the channel's digest, so it is retried
// with the next digest; a failed digest puts its items back.
//
// What leaves Vedetta: the alert's id, title, severity, rule, kind, times,
// count, hosts, assets and sites. Users and addresses (personal data) stay
// inside.
//
// Concurrency: Run consumes on one goroutine and runs the digest loop on
// another; both use the store and the senders, which are safe for
// concurrent use.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Store is what the notifier needs from storage.
type Store interface {
	store.NotifyStore
}

// Options configures a Notifier.
type Options struct {
	// Mail sends e-mail; nil uses SMTP (see SMTPMailer).
	Mail Mailer
	// HTTP posts webhooks; nil uses a client with a 10-second timeout.
	HTTP *http.Client
	// Tick is the period of the digest loop (default 1m).
	Tick time.Duration
	// Refresh is how long the list of channels is cached (default 30s).
	Refresh time.Duration
	// BaseURL, when set, makes links to alerts absolute in messages.
	BaseURL string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Notifier routes alerts to channels. Create it with New.
type Notifier struct {
	st   Store
	bus  bus.Bus
	log  *slog.Logger
	opts Options
	mail Mailer
	hook *webhookSender

	mu       sync.Mutex
	channels map[string][]store.NotifyChannel // tenant → enabled channels
	loaded   time.Time
}

// New returns a Notifier reading alerts from b (nil: only Handle and
// Digest are used, as in tests).
func New(st Store, b bus.Bus, logger *slog.Logger, opts Options) *Notifier {
	if logger == nil {
		logger = slog.Default()
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Minute
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	n := &Notifier{st: st, bus: b, log: logger.With("component", "notify"), opts: opts, mail: opts.Mail}
	if n.mail == nil {
		n.mail = &SMTPMailer{}
	}
	n.hook = &webhookSender{client: opts.HTTP, now: opts.Now}
	return n
}

// Run consumes the ALERTS stream and sends digests until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	if n.bus == nil {
		return errors.New("notify: no bus")
	}
	var wg sync.WaitGroup
	wg.Go(func() { n.digestLoop(ctx) })
	err := n.bus.Consume(ctx, bus.StreamAlerts, bus.ConsumerAlertNotify, nil, n.Handle, bus.ConsumeOptions{BatchSize: 64})
	wg.Wait()
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Handle processes a batch of alert messages. Malformed messages are
// dropped; store failures fail the batch for redelivery.
func (n *Notifier) Handle(ctx context.Context, batch []bus.Delivery) error {
	var drop []int
	for i := range batch {
		var m detect.Message
		if err := json.Unmarshal(batch[i].Data, &m); err != nil || m.Alert.ID == "" || m.Alert.TenantID == "" {
			drop = append(drop, i)
			continue
		}
		if tid, err := bus.ParseAlertSubject(batch[i].Subject); err == nil && tid != m.Alert.TenantID {
			drop = append(drop, i) // a message must stay in its tenant
			continue
		}
		if !m.Created {
			continue // a grouped match of a known alert: no new notification
		}
		if err := n.Alert(ctx, &m.Alert); err != nil {
			return err
		}
	}
	if drop != nil {
		return &bus.PartialError{Drop: drop, Err: errors.New("notify: malformed alert message")}
	}
	return nil
}

// Alert routes one new alert to the channels of its tenant.
func (n *Notifier) Alert(ctx context.Context, a *detect.AlertDoc) error {
	chs, err := n.tenantChannels(ctx, a.TenantID)
	if err != nil {
		return err
	}
	now := n.opts.Now()
	sev := store.Severity(a.Severity)
	for i := range chs {
		c := &chs[i]
		switch Route(c, sev, now) {
		case Drop:
			continue
		case Digest:
			if err := n.queue(ctx, c, a, now); err != nil {
				return err
			}
			continue
		}
		first, err := n.st.MarkNotified(ctx, c.TenantID, c.ID, a.ID, now)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		if !first {
			continue
		}
		serr := n.send(ctx, c, []Item{itemOf(a, n.opts.BaseURL)}, false)
		n.record(ctx, c, now, serr)
		if serr != nil {
			// Retried with the next digest.
			if err := n.queue(ctx, c, a, now); err != nil {
				return err
			}
		}
	}
	return nil
}

func (n *Notifier) queue(ctx context.Context, c *store.NotifyChannel, a *detect.AlertDoc, now time.Time) error {
	err := n.st.QueueDigest(ctx, store.DigestItem{TenantID: c.TenantID, ChannelID: c.ID, AlertID: a.ID,
		Severity: store.Severity(a.Severity), Title: a.Title, At: now})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

func (n *Notifier) record(ctx context.Context, c *store.NotifyChannel, at time.Time, sendErr error) {
	text := ""
	if sendErr != nil {
		text = sendErr.Error()
		n.log.Warn("notification failed", "tenant", c.TenantID, "channel", c.ID, "kind", c.Kind, "err", sendErr)
	}
	if err := n.st.RecordNotifyResult(ctx, c.TenantID, c.ID, at, text); err != nil && !errors.Is(err, store.ErrNotFound) {
		n.log.Warn("notification result not recorded", "channel", c.ID, "err", err)
	}
}

// Test sends a test message through a channel and records the outcome.
func (n *Notifier) Test(ctx context.Context, c *store.NotifyChannel) error {
	now := n.opts.Now()
	err := n.send(ctx, c, []Item{{ID: "test", Title: "Vedetta test notification", Severity: string(store.SeverityInformational),
		Kind: "test", FirstSeen: now, LastSeen: now, Count: 1}}, false)
	n.record(ctx, c, now, err)
	return err
}

func (n *Notifier) send(ctx context.Context, c *store.NotifyChannel, items []Item, digest bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch c.Kind {
	case store.ChannelEmail:
		cfg, err := ParseEmailConfig(c.Config)
		if err != nil {
			return err
		}
		msg, err := buildMail(cfg.From, c.Target, items, digest, n.opts.Now())
		if err != nil {
			return err
		}
		return n.mail.Send(ctx, cfg, Recipients(c.Target), msg)
	case store.ChannelWebhook:
		cfg, err := ParseWebhookConfig(c.Config)
		if err != nil {
			return err
		}
		return n.hook.send(ctx, c.Target, cfg.Secret, c.TenantID, items, digest)
	}
	return fmt.Errorf("notify: unknown channel kind %q", c.Kind)
}

// tenantChannels returns the tenant's enabled channels, from a cache
// refreshed every Options.Refresh.
func (n *Notifier) tenantChannels(ctx context.Context, tenantID string) ([]store.NotifyChannel, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.channels == nil || n.opts.Now().Sub(n.loaded) > n.opts.Refresh {
		all, err := n.st.ListAllNotifyChannels(ctx)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		n.channels = map[string][]store.NotifyChannel{}
		for _, c := range all {
			n.channels[c.TenantID] = append(n.channels[c.TenantID], c)
		}
		n.loaded = n.opts.Now()
	}
	return n.channels[tenantID], nil
}

// Invalidate drops the channel cache (after a settings change).
func (n *Notifier) Invalidate() {
	n.mu.Lock()
	n.channels = nil
	n.mu.Unlock()
}

func (n *Notifier) digestLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.Tick)
	defer t.Stop()
	prune := n.opts.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := n.Digests(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("digests failed", "err", err)
		}
		if now := n.opts.Now(); now.Sub(prune) > time.Hour {
			prune = now
			if _, err := n.st.PruneNotified(ctx, now.Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
				n.log.Warn("pruning notification marks failed", "err", err)
			}
		}
	}
}

// Digests sends every channel's digest that is due: its period elapsed
// since the last one, and not in quiet hours.
func (n *Notifier) Digests(ctx context.Context) error {
	all, err := n.st.ListAllNotifyChannels(ctx)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	now := n.opts.Now()
	for i := range all {
		c := &all[i]
		if !DigestDue(c, now) {
			continue
		}
		items, err := n.st.TakeDigest(ctx, c.TenantID, c.ID, now)
		if err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		if len(items) == 0 {
			continue
		}
		out := make([]Item, len(items))
		for j, it := range items {
			out[j] = Item{ID: it.AlertID, Title: it.Title, Severity: string(it.Severity), FirstSeen: it.At, LastSeen: it.At, Count: 1,
				URL: alertURL(n.opts.BaseURL, it.AlertID)}
		}
		serr := n.send(ctx, c, out, true)
		n.record(ctx, c, now, serr)
		if serr != nil {
			for _, it := range items {
				if err := n.st.QueueDigest(ctx, it); err != nil && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("notify: requeue: %w", err)
				}
			}
		}
	}
	return nil
}

// Decision is what Route says to do with an alert on a channel.
type Decision int

// Decisions.
const (
	Drop Decision = iota
	Send
	Digest
)

func (d Decision) String() string {
	return [...]string{"drop", "send", "digest"}[d]
}

// Route decides how a channel hears of an alert of severity sev at t.
func Route(c *store.NotifyChannel, sev store.Severity, t time.Time) Decision {
	if !c.Enabled || sev.Rank() < 0 {
		return Drop
	}
	quiet := InQuietHours(c, t)
	if sev.Rank() >= c.MinSeverity.Rank() {
		if !quiet || sev == store.SeverityCritical {
			return Send
		}
		return Digest
	}
	if c.DigestSeverity != "" && sev.Rank() >= c.DigestSeverity.Rank() {
		return Digest
	}
	return Drop
}

// InQuietHours reports whether t falls in the channel's quiet hours, in
// its time zone (UTC when unknown).
func InQuietHours(c *store.NotifyChannel, t time.Time) bool {
	if c.QuietFrom == c.QuietTo {
		return false
	}
	loc := time.UTC
	if c.Timezone != "" {
		if l, err := time.LoadLocation(c.Timezone); err == nil {
			loc = l
		}
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if c.QuietFrom < c.QuietTo {
		return m >= c.QuietFrom && m < c.QuietTo
	}
	return m >= c.QuietFrom || m < c.QuietTo
}

// DigestDue reports whether the channel's digest should go out at t.
func DigestDue(c *store.NotifyChannel, t time.Time) bool {
	every := c.DigestEvery
	if every <= 0 {
		every = time.Hour
	}
	return c.Enabled && !InQuietHours(c, t) && t.Sub(c.LastDigest) >= every
}

// Item is one alert as a notification carries it.
type Item struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Severity  string    `json:"severity"`
	Kind      string    `json:"kind,omitempty"`
	RuleID    string    `json:"rule_id,omitempty"`
	Rule      string    `json:"rule,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int64     `json:"count"`
	Hosts     []string  `json:"hosts,omitempty"`
	Assets    []string  `json:"assets,omitempty"`
	Sites     []string  `json:"sites,omitempty"`
	URL       string    `json:"url,omitempty"`
}

func itemOf(a *detect.AlertDoc, base string) Item {
	return Item{ID: a.ID, Title: a.Title, Severity: a.Severity, Kind: a.Kind, RuleID: a.RuleID, Rule: a.RuleTitle,
		FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Count: a.Count, Hosts: a.Entities.Hosts, Assets: a.Entities.Assets,
		Sites: a.Entities.Sites, URL: alertURL(base, a.ID)}
}

func alertURL(base, id string) string {
	if base == "" {
		return ""
	}
	return strings.TrimSuffix(base, "/") + "/dashboard/alerts/" + id
}
