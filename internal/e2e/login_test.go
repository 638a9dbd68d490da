package e2e

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vedetta-sec/vedetta/internal/demo"
)

func totp(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1000000)
}

// TestBrowserLoginLanguageTOTP: a technician whose browser asks for Italian
// sees Italian, switches to English, enrols TOTP and logs out — in a real
// headless Chromium against the demo.
func TestBrowserLoginLanguageTOTP(t *testing.T) {
	_, base := startDemo(t)
	ctx := browser(t, "it-IT,it;q=0.9")

	do(t, ctx, "open login", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#username")))
	if h := text(t, ctx, "h1"); h != "Accedi" {
		t.Fatalf("login heading = %q, want Italian", h)
	}
	screenshot(t, ctx, "login-it")
	do(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS("#username"), "operatore.lerici"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("nav.side")),
	)
	if h := text(t, ctx, "h1"); h != "Comune di Lerici" {
		t.Fatalf("home heading = %q", h)
	}
	if nav := text(t, ctx, "nav.side"); !strings.Contains(nav, "Allarmi") || !strings.Contains(nav, "Mappa") {
		t.Fatalf("navigation not Italian: %q", nav)
	}
	screenshot(t, ctx, "home-it")

	// Switch to English in the profile.
	do(t, ctx, "profile", chromedp.Navigate(base+"/profile"), chromedp.WaitVisible(chromedp.CSS("#locale")))
	do(t, ctx, "choose English",
		chromedp.SetValue(chromedp.CSS("#locale"), "en"),
		chromedp.Submit(chromedp.CSS("#locale")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if h := text(t, ctx, "h1"); h != "Your profile" {
		t.Fatalf("after switching: heading %q, want English", h)
	}

	// Enrol TOTP.
	do(t, ctx, "start enrolment", chromedp.Click(chromedp.CSS("#totp-enrol")), chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
	secret := text(t, ctx, "#totp-secret")
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => { const i = document.querySelector("img.qr");
		if (i.complete) { r(i.naturalWidth > 0); } else { i.onload = () => r(i.naturalWidth > 0); i.onerror = () => r(false); } })`, chromedp.EvalAwaitPromise))
	if err != nil || !loaded {
		t.Fatalf("QR code image not rendered: %v", err)
	}
	screenshot(t, ctx, "totp-enrol-en")
	do(t, ctx, "confirm code",
		chromedp.SendKeys(chromedp.CSS("#code"), totp(t, secret, time.Now())),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#totp-status")),
	)
	if s := text(t, ctx, "#totp-status"); s != "Two-step verification is on." {
		t.Fatalf("TOTP status = %q", s)
	}
	screenshot(t, ctx, "profile-totp-on-en")

	// Log out.
	do(t, ctx, "log out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#username")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/login") {
		t.Fatalf("after logout at %q (%v)", loc, err)
	}
	if f := text(t, ctx, ".flash"); f == "" {
		t.Fatal("no logout confirmation")
	}
}
