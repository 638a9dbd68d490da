package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"sort"
	"strings"
	"time"
)

// ErrConfig reports a channel whose settings cannot work.
var ErrConfig = errors.New("notify: invalid channel configuration")

// EmailConfig is an e-mail channel's relay: NotifyChannel.Config.
type EmailConfig struct {
	SMTPAddr string `json:"smtp_addr"` // host:port
	From     string `json:"from"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// StartTLS upgrades the connection before authenticating; required
	// when a username is set and the relay is not on loopback.
	StartTLS bool `json:"starttls"`
}

// ParseEmailConfig reads and checks an e-mail channel's settings.
func ParseEmailConfig(raw string) (EmailConfig, error) {
	var c EmailConfig
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	host, port, err := net.SplitHostPort(c.SMTPAddr)
	if err != nil || host == "" || port == "" {
		return c, fmt.Errorf("%w: smtp_addr %q is not host:port", ErrConfig, c.SMTPAddr)
	}
	if _, err := mail.ParseAddress(c.From); err != nil || strings.ContainsAny(c.From, "\r\n") {
		return c, fmt.Errorf("%w: from %q is not an address", ErrConfig, c.From)
	}
	if c.Username != "" && !c.StartTLS && !isLoopback(host) {
		return c, fmt.Errorf("%w: a password is only sent over STARTTLS", ErrConfig)
	}
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Recipients splits a channel's target into addresses.
func Recipients(target string) []string {
	var out []string
	for p := range strings.SplitSeq(target, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ValidRecipients checks an e-mail target: 1 to 20 plain addresses.
func ValidRecipients(target string) error {
	rs := Recipients(target)
	if len(rs) == 0 || len(rs) > 20 {
		return fmt.Errorf("%w: 1 to 20 recipients", ErrConfig)
	}
	for _, r := range rs {
		a, err := mail.ParseAddress(r)
		if err != nil || a.Address != r {
			return fmt.Errorf("%w: %q is not an address", ErrConfig, r)
		}
	}
	return nil
}

// Mailer delivers one message.
type Mailer interface {
	Send(ctx context.Context, cfg EmailConfig, to []string, msg []byte) error
}

// SMTPMailer speaks SMTP with net/smtp: EHLO, STARTTLS when configured,
// AUTH PLAIN when a username is set, then one transaction.
type SMTPMailer struct {
	// TLS is the client TLS configuration for STARTTLS (nil: system roots,
	// server name from the address). Tests set RootCAs.
	TLS *tls.Config
	// Hello is the name sent in EHLO (default "vedetta").
	Hello string
}

// Send implements Mailer.
func (m *SMTPMailer) Send(ctx context.Context, cfg EmailConfig, to []string, msg []byte) error {
	host, _, _ := net.SplitHostPort(cfg.SMTPAddr)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("notify: smtp: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("notify: smtp: %w", err)
	}
	defer c.Close()
	hello := m.Hello
	if hello == "" {
		hello = "vedetta"
	}
	if err := c.Hello(hello); err != nil {
		return fmt.Errorf("notify: smtp: %w", err)
	}
	if cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("notify: smtp: %s does not offer STARTTLS", cfg.SMTPAddr)
		}
		tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if m.TLS != nil {
			tc = m.TLS.Clone()
			if tc.ServerName == "" {
				tc.ServerName = host
			}
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("notify: smtp starttls: %w", err)
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, host)); err != nil {
			return fmt.Errorf("notify: smtp auth: %w", err)
		}
	}
	from, _ := mail.ParseAddress(cfg.From)
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("notify: smtp: %w", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("notify: smtp rcpt %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("notify: smtp: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("notify: smtp: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: smtp: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("notify: smtp: %w", err)
	}
	return nil
}

// buildMail writes a plain-text message (UTF-8, quoted-printable free:
// 8bit) for items: one alert, or a digest.
func buildMail(from, to string, items []Item, digest bool, now time.Time) ([]byte, error) {
	if len(items) == 0 {
		return nil, errors.New("notify: empty message")
	}
	var subject string
	if digest {
		subject = fmt.Sprintf("[Vedetta] Digest: %d alerts", len(items))
	} else {
		subject = fmt.Sprintf("[Vedetta] %s: %s", strings.ToUpper(items[0].Severity), items[0].Title)
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + headerSafe(v) + "\r\n") }
	hdr("From", from)
	hdr("To", strings.Join(Recipients(to), ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", headerSafe(subject)))
	hdr("Date", now.UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(id[:])+"@vedetta>")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	hdr("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	sorted := append([]Item(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return sevRank(sorted[i].Severity) > sevRank(sorted[j].Severity) })
	for _, it := range sorted {
		fmt.Fprintf(&b, "[%s] %s\r\n", strings.ToUpper(it.Severity), bodySafe(it.Title))
		if it.Rule != "" {
			fmt.Fprintf(&b, "  Rule: %s\r\n", bodySafe(it.Rule))
		}
		fmt.Fprintf(&b, "  Seen: %s", it.FirstSeen.UTC().Format(time.RFC3339))
		if it.Count > 1 {
			fmt.Fprintf(&b, " (%d matches)", it.Count)
		}
		b.WriteString("\r\n")
		for _, l := range [][]string{it.Sites, it.Assets, it.Hosts} {
			if len(l) > 0 {
				fmt.Fprintf(&b, "  %s\r\n", bodySafe(strings.Join(l, ", ")))
			}
		}
		if it.URL != "" {
			fmt.Fprintf(&b, "  %s\r\n", it.URL)
		}
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

func sevRank(s string) int {
	return map[string]int{"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}[s]
}

// headerSafe removes line breaks, so a title cannot add headers.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// bodySafe keeps a value on one line, so a title cannot end the DATA
// section or forge lines.
func bodySafe(s string) string { return headerSafe(s) }
