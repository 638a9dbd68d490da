package incident

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/smtp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Errors of actions.
var (
	ErrNotConfigured = errors.New("incident: action target not configured")
	ErrBadTarget     = errors.New("incident: bad action target")
	ErrWebhook       = errors.New("incident: webhook refused the request")
)

// Signature headers on every webhook request. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), so a
// receiver can check both origin and freshness.
const (
	HeaderSignature = "X-Vedetta-Signature"
	HeaderTimestamp = "X-Vedetta-Timestamp"
)

// Sign returns the signature header value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// WebhookPayload is the JSON body posted to block, disable-user and chat
// webhooks.
type WebhookPayload struct {
	Action    string `json:"action"` // block, unblock, disable_user, enable_user, chat
	Target    string `json:"target,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"` // RFC 3339, absent = no expiry
	BlockID   string `json:"block_id,omitempty"`
	CaseID    string `json:"case_id"`
	Tenant    string `json:"tenant"`
	Text      string `json:"text,omitempty"`
	SentAt    string `json:"sent_at"`
}

// Runner runs playbook actions and records each on the case timeline.
type Runner struct {
	Store store.CaseStore
	HTTP  *http.Client
	Log   *slog.Logger
	Now   func() time.Time
	// SendMail sends e-mail; nil uses net/smtp.SendMail.
	SendMail func(addr string, a smtp.Auth, from string, to []string, msg []byte) error
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) client() *http.Client {
	if r.HTTP != nil {
		return r.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (r *Runner) post(ctx context.Context, w Webhook, p WebhookPayload) error {
	if !w.Configured() {
		return ErrNotConfigured
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("incident: webhook: %w", err)
	}
	ts := r.now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("incident: webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vedetta")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	resp, err := r.client().Do(req)
	if err != nil {
		return fmt.Errorf("incident: webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: status %d", ErrWebhook, resp.StatusCode)
	}
	return nil
}

// ActionRequest is one run of a playbook action from a case.
type ActionRequest struct {
	Tenant *store.Tenant
	Case   *store.Case
	Action *Action
	Target string // the address or user, for block_ip and disable_user
	Actor  string // who ran it, for the timeline
	Lang   string // language of the message
}

// Run executes an action. A block or disable creates a store.Block; the
// timeline records every run, failed ones too. It returns the block (nil
// for email and chat).
func (r *Runner) Run(ctx context.Context, s Settings, q ActionRequest) (*store.Block, error) {
	a := q.Action
	now := r.now().UTC()
	var blk *store.Block
	var err error
	switch a.Kind {
	case ActionBlockIP, ActionDisableUser:
		blk, err = r.block(ctx, s, q, now)
	case ActionChat:
		err = r.post(ctx, s.ChatWebhook, WebhookPayload{Action: "chat", CaseID: q.Case.ID, Tenant: q.Tenant.Slug,
			Text: q.Case.Title + ": " + a.Message.In(q.Lang), SentAt: now.Format(time.RFC3339)})
	case ActionEmail:
		err = r.mail(s.SMTP, a.To, q.Case.Title, a.Message.In(q.Lang))
	default:
		err = fmt.Errorf("%w: kind %q", ErrBadTarget, a.Kind)
	}
	text := a.Title.In(q.Lang)
	if q.Target != "" {
		text += ": " + q.Target
	}
	ref := "action:" + a.ID
	if blk != nil {
		ref = "block:" + blk.ID
	}
	if err != nil {
		text += " — " + failText(err)
	}
	if terr := r.Store.AddTimeline(ctx, &store.TimelineEntry{TenantID: q.Case.TenantID, CaseID: q.Case.ID, At: now,
		Kind: store.TimelineAction, ActorName: q.Actor, Text: text, Ref: ref}); terr != nil {
		return blk, errors.Join(err, fmt.Errorf("incident: timeline: %w", terr))
	}
	return blk, err
}

func failText(err error) string {
	switch {
	case errors.Is(err, ErrNotConfigured):
		return "not configured"
	case errors.Is(err, ErrBadTarget):
		return "bad target"
	}
	return "failed"
}

// CheckTarget validates the target of a block or disable action.
func CheckTarget(kind, target string) (string, error) {
	target = strings.TrimSpace(target)
	switch kind {
	case ActionBlockIP:
		if p, err := netip.ParsePrefix(target); err == nil {
			return p.Masked().String(), nil
		}
		a, err := netip.ParseAddr(target)
		if err != nil || a.Zone() != "" {
			return "", fmt.Errorf("%w: %q is not an IP address or prefix", ErrBadTarget, target)
		}
		return a.String(), nil
	case ActionDisableUser:
		if target == "" || len(target) > 200 || !utf8.ValidString(target) || strings.ContainsAny(target, "\x00\r\n") {
			return "", fmt.Errorf("%w: bad user name", ErrBadTarget)
		}
		return target, nil
	}
	return "", fmt.Errorf("%w: kind %q takes no target", ErrBadTarget, kind)
}

func (r *Runner) block(ctx context.Context, s Settings, q ActionRequest, now time.Time) (*store.Block, error) {
	target, err := CheckTarget(q.Action.Kind, q.Target)
	if err != nil {
		return nil, err
	}
	b := &store.Block{TenantID: q.Case.TenantID, CaseID: q.Case.ID, Kind: q.Action.Kind, Target: target,
		Action: q.Action.ID, CreatedBy: q.Actor}
	if q.Action.Expiry > 0 {
		b.ExpiresAt = now.Add(q.Action.Expiry)
	}
	id, err := newBlockID()
	if err != nil {
		return nil, err
	}
	b.ID = id
	p := WebhookPayload{Action: "block", Target: target, BlockID: id, CaseID: q.Case.ID, Tenant: q.Tenant.Slug, SentAt: now.Format(time.RFC3339)}
	hook := s.BlockWebhook
	if q.Action.Kind == ActionDisableUser {
		p.Action, hook = "disable_user", s.DisableUserWebhook
	}
	if !b.ExpiresAt.IsZero() {
		p.ExpiresAt = b.ExpiresAt.Format(time.RFC3339)
	}
	if err := r.post(ctx, hook, p); err != nil {
		return nil, err
	}
	if err := r.Store.CreateBlock(ctx, b); err != nil {
		return nil, fmt.Errorf("incident: record block: %w", err)
	}
	return b, nil
}

// Undo lifts a block: it calls the webhook with action unblock (or
// enable_user), then marks the block ended and records it on the timeline.
func (r *Runner) Undo(ctx context.Context, s Settings, tenant *store.Tenant, blockID, actor string) (*store.Block, error) {
	b, err := r.Store.GetBlock(ctx, tenant.ID, blockID)
	if err != nil {
		return nil, fmt.Errorf("incident: undo: %w", err)
	}
	now := r.now().UTC()
	if !b.EndedAt.IsZero() {
		return b, nil
	}
	p := WebhookPayload{Action: "unblock", Target: b.Target, BlockID: b.ID, CaseID: b.CaseID, Tenant: tenant.Slug, SentAt: now.Format(time.RFC3339)}
	hook := s.BlockWebhook
	if b.Kind == ActionDisableUser {
		p.Action, hook = "enable_user", s.DisableUserWebhook
	}
	if err := r.post(ctx, hook, p); err != nil {
		return nil, err
	}
	if err := r.Store.EndBlock(ctx, tenant.ID, b.ID, actor, now); err != nil {
		return nil, fmt.Errorf("incident: undo: %w", err)
	}
	b.EndedAt, b.EndedBy = now, actor
	if err := r.Store.AddTimeline(ctx, &store.TimelineEntry{TenantID: tenant.ID, CaseID: b.CaseID, At: now,
		Kind: store.TimelineAction, ActorName: actor, Text: p.Action + ": " + b.Target, Ref: "block:" + b.ID}); err != nil {
		return b, fmt.Errorf("incident: timeline: %w", err)
	}
	return b, nil
}

func (r *Runner) mail(c SMTP, to []string, subject, body string) error {
	if c.Addr == "" || c.From == "" {
		return ErrNotConfigured
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		c.From, strings.Join(to, ", "), mime.QEncoding.Encode("utf-8", "[Vedetta] "+subject))
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	b.WriteString("\r\n")
	var auth smtp.Auth
	if c.Username != "" {
		host, _, _ := strings.Cut(c.Addr, ":")
		auth = smtp.PlainAuth("", c.Username, c.Password, host)
	}
	send := r.SendMail
	if send == nil {
		send = smtp.SendMail
	}
	if err := send(c.Addr, auth, c.From, to, b.Bytes()); err != nil {
		return fmt.Errorf("incident: send mail: %w", err)
	}
	return nil
}

func newBlockID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("incident: new id: %w", err)
	}
	return id.String(), nil
}
