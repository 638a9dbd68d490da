package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters (RFC 6238 defaults, the only ones every authenticator app
// supports): HMAC-SHA-1, 6 digits, 30-second steps, ±1 step accepted.
const (
	totpPeriod     = 30
	totpDigits     = 6
	totpSkew       = 1
	totpSecretSize = 20 // bytes, RFC 4226 §4 recommends 160 bits
	minSecretBytes = 10 // 80 bits, the shortest secret still accepted
)

// ErrTOTPEnroll reports bad input to NewTOTPSecret or TOTPQRCodePNG.
var ErrTOTPEnroll = errors.New("auth: totp enrolment")

// NewTOTPSecret makes a fresh 160-bit TOTP secret for account and returns
// it base32-encoded (no padding, as stored in store.User.TOTPSecret) with the
// otpauth:// URL that authenticator apps import. issuer is shown in the app
// ("Vedetta – Comune di Lerici"); neither it nor account may be empty, and
// issuer may not contain ':' (it separates issuer and account in the label).
func NewTOTPSecret(issuer, account string) (secret, otpauthURL string, err error) {
	if issuer == "" || account == "" || strings.Contains(issuer, ":") {
		return "", "", fmt.Errorf("%w: issuer and account must be non-empty and issuer without ':'", ErrTOTPEnroll)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      totpPeriod,
		SecretSize:  totpSecretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("auth: totp generate: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// TOTPQRCodePNG renders url (an otpauth:// URL from NewTOTPSecret) as a QR
// code PNG of size×size pixels, 64 ≤ size ≤ 1024.
func TOTPQRCodePNG(url string, size int) ([]byte, error) {
	if !strings.HasPrefix(url, "otpauth://") {
		return nil, fmt.Errorf("%w: not an otpauth:// URL", ErrTOTPEnroll)
	}
	if size < 64 || size > 1024 {
		return nil, fmt.Errorf("%w: QR size %d outside 64..1024", ErrTOTPEnroll, size)
	}
	key, err := otp.NewKeyFromURL(url)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTOTPEnroll, err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("auth: totp QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("auth: totp QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// ValidateTOTP reports whether code is the TOTP of secret at now, or one step
// before or after. It does not stop replays; see ValidateTOTPStep.
func ValidateTOTP(secret, code string, now time.Time) bool {
	_, ok := ValidateTOTPStep(secret, code, now)
	return ok
}

// ValidateTOTPStep is ValidateTOTP returning the time step (Unix time / 30)
// the code belongs to. To stop replays, the caller remembers the last step
// it accepted for the user and refuses a step that is not greater (see
// store.Store.AdvanceTOTPStep). code may contain spaces ("123 456"); anything else but
// six ASCII digits fails. A secret that is not base32 of at least 80 bits
// fails too.
func ValidateTOTPStep(secret, code string, now time.Time) (step int64, ok bool) {
	want, ok := parseTOTPCode(code)
	if !ok {
		return 0, false
	}
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	if now.Unix() < 0 {
		return 0, false
	}
	var matched int64 = -1
	// Try every step in the window without stopping early, so the time
	// taken does not depend on which one (if any) matched.
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if s < 0 {
			continue
		}
		got := hotp(key, uint64(s), totpDigits)
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 && matched < 0 {
			matched = s
		}
	}
	if matched < 0 {
		return 0, false
	}
	return matched, true
}

// parseTOTPCode removes ASCII spaces and requires exactly six ASCII digits.
func parseTOTPCode(code string) (string, bool) {
	if len(code) > 32 {
		return "", false
	}
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != totpDigits {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", false
		}
	}
	return code, true
}

// decodeTOTPSecret accepts base32 in either case, with or without padding
// and spaces, as authenticator apps display it.
func decodeTOTPSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("auth: totp secret has a line break")
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("auth: totp secret: %w", err)
	}
	if len(key) < minSecretBytes {
		return nil, fmt.Errorf("auth: totp secret is %d bytes, want at least %d", len(key), minSecretBytes)
	}
	return key, nil
}

// hotp is RFC 4226 HOTP with HMAC-SHA-1 and dynamic truncation.
func hotp(key []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}
