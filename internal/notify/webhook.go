package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// WebhookConfig is a webhook channel's settings: NotifyChannel.Config.
type WebhookConfig struct {
	// Secret keys the HMAC-SHA256 signature (at least 16 bytes).
	Secret string `json:"secret"`
}

// ParseWebhookConfig reads and checks a webhook channel's settings.
func ParseWebhookConfig(raw string) (WebhookConfig, error) {
	var c WebhookConfig
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if len(c.Secret) < 16 {
		return c, fmt.Errorf("%w: the webhook secret needs at least 16 characters", ErrConfig)
	}
	return c, nil
}

// ValidWebhookURL checks a webhook target: an absolute http or https URL
// without credentials.
func ValidWebhookURL(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: %q is not an http(s) URL", ErrConfig, target)
	}
	return nil
}

// Signature headers of a webhook request. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), the
// timestamp the Unix seconds in TimestampHeader; a receiver rejects
// requests older than a few minutes.
const (
	SignatureHeader = "X-Vedetta-Signature"
	TimestampHeader = "X-Vedetta-Timestamp"
)

// Sign computes the signature of body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body and its timestamp header,
// allowing skew either way; receivers written in Go can use it.
func Verify(secret, sig, ts string, body []byte, now time.Time, skew time.Duration) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	at := time.Unix(n, 0)
	if at.Before(now.Add(-skew)) || at.After(now.Add(skew)) {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(Sign(secret, n, body)))
}

// Payload is the JSON body of a webhook.
type Payload struct {
	Type     string    `json:"type"` // "alert" or "digest"
	TenantID string    `json:"tenant_id"`
	SentAt   time.Time `json:"sent_at"`
	Alerts   []Item    `json:"alerts"`
}

type webhookSender struct {
	client *http.Client
	now    func() time.Time
}

func (w *webhookSender) send(ctx context.Context, target, secret, tenantID string, items []Item, digest bool) error {
	if err := ValidWebhookURL(target); err != nil {
		return err
	}
	now := w.now()
	p := Payload{Type: "alert", TenantID: tenantID, SentAt: now.UTC(), Alerts: items}
	if digest {
		p.Type = "digest"
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("notify: webhook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: webhook: %w", err)
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vedetta")
	req.Header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(SignatureHeader, Sign(secret, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("notify: webhook: %s answered %s", req.URL.Host, resp.Status)
	}
	return nil
}
