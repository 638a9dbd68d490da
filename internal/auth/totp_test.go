package auth

import (
	"bytes"
	"encoding/base32"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// rfcKey is the SHA-1 seed of RFC 4226 Appendix D and RFC 6238 Appendix B.
const rfcKey = "12345678901234567890"

var rfcSecret = base32.StdEncoding.EncodeToString([]byte(rfcKey))

func TestHOTPRFC4226(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for c, w := range want {
		if got := hotp([]byte(rfcKey), uint64(c), 6); got != w {
			t.Errorf("hotp(counter %d) = %s, want %s", c, got, w)
		}
	}
}

func TestTOTPRFC6238(t *testing.T) {
	// RFC 6238 Appendix B, SHA-1 column (8 digits).
	tests := []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		if got := hotp([]byte(rfcKey), uint64(tt.unix/30), 8); got != tt.want {
			t.Errorf("TOTP at %d = %s, want %s", tt.unix, got, tt.want)
		}
		// The 6-digit code is the last six digits of the 8-digit one.
		code := tt.want[2:]
		step, ok := ValidateTOTPStep(rfcSecret, code, time.Unix(tt.unix, 0))
		if !ok || step != tt.unix/30 {
			t.Errorf("ValidateTOTPStep(%s at %d) = %d, %v; want %d, true", code, tt.unix, step, ok, tt.unix/30)
		}
	}
}

// TestTOTPAgainstPquerna cross-checks our codes with an independent
// implementation over many times.
func TestTOTPAgainstPquerna(t *testing.T) {
	secret, _, err := NewTOTPSecret("Vedetta", "mrossi")
	if err != nil {
		t.Fatal(err)
	}
	opts := totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	key, _ := decodeTOTPSecret(secret)
	for ts := int64(1_700_000_000); ts < 1_700_000_000+30*200; ts += 30 {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(ts, 0), opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := hotp(key, uint64(ts/30), 6); got != want {
			t.Fatalf("at %d: ours %s, pquerna %s", ts, got, want)
		}
	}
}

func TestValidateTOTPWindow(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 15, 0, time.UTC) // mid-step
	key, _ := decodeTOTPSecret(rfcSecret)
	cur := now.Unix() / 30
	code := func(step int64) string { return hotp(key, uint64(step), 6) }
	tests := []struct {
		name   string
		step   int64
		wantOK bool
	}{
		{"current", cur, true},
		{"previous", cur - 1, true},
		{"next", cur + 1, true},
		{"two back", cur - 2, false},
		{"two ahead", cur + 2, false},
		{"an hour ago", cur - 120, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := code(tt.step)
			if c == code(cur) || c == code(cur-1) || c == code(cur+1) {
				if !tt.wantOK {
					t.Skip("code collides with one in the window")
				}
			}
			step, ok := ValidateTOTPStep(rfcSecret, c, now)
			if ok != tt.wantOK {
				t.Fatalf("ValidateTOTPStep(step %+d) ok = %v, want %v", tt.step-cur, ok, tt.wantOK)
			}
			if ok && step != tt.step {
				t.Errorf("step = %d, want %d", step, tt.step)
			}
			if ValidateTOTP(rfcSecret, c, now) != tt.wantOK {
				t.Errorf("ValidateTOTP disagrees with ValidateTOTPStep")
			}
		})
	}
}

func TestValidateTOTPMalformed(t *testing.T) {
	now := time.Unix(59, 0)
	good := "287082" // RFC 6238 at t=59, 6 digits
	if !ValidateTOTP(rfcSecret, good, now) {
		t.Fatal("base case does not validate")
	}
	tests := []struct {
		name, secret, code string
		want               bool
	}{
		{"spaces in code", rfcSecret, "287 082", true},
		{"surrounding spaces", rfcSecret, " 287082 ", true},
		{"lower-case secret", strings.ToLower(rfcSecret), good, true},
		{"unpadded secret with spaces", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", good, true},
		{"empty code", rfcSecret, "", false},
		{"five digits", rfcSecret, "28708", false},
		{"seven digits", rfcSecret, "2870820", false},
		{"eight-digit RFC code", rfcSecret, "94287082", false},
		{"letters", rfcSecret, "28708a", false},
		{"full-width digits", rfcSecret, "２８７０８２", false},
		{"hyphen", rfcSecret, "287-082", false},
		{"tab", rfcSecret, "287\t082", false},
		{"newline", rfcSecret, "287082\n", false},
		{"sign", rfcSecret, "+287082", false},
		{"very long", rfcSecret, strings.Repeat(" ", 40) + good, false},
		{"empty secret", "", good, false},
		{"secret not base32", "!!!!!!!!", good, false},
		{"secret 5 bytes", "GEZDGNBV", good, false},
		{"secret with newline", "GEZDGNBVGY3TQOJQ\nGEZDGNBVGY3TQOJQ", good, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidateTOTP(tt.secret, tt.code, now); got != tt.want {
				t.Errorf("ValidateTOTP(%q, %q) = %v, want %v", tt.secret, tt.code, got, tt.want)
			}
		})
	}
	if ValidateTOTP(rfcSecret, good, time.Unix(-100, 0)) {
		t.Error("accepted a time before the epoch")
	}
}

// FuzzValidateTOTP feeds arbitrary codes: nothing panics, only six digits
// (after dropping spaces) can ever validate, and acceptance agrees with a
// direct comparison against the three codes in the window.
func FuzzValidateTOTP(f *testing.F) {
	for _, s := range []string{"287082", "287 082", "", "94287082", "２８７０８２", "28708a", "\x00\x00\x00\x00\x00\x00", "000000"} {
		f.Add(s, int64(59))
	}
	f.Add("123456", int64(1_700_000_000))
	key, _ := decodeTOTPSecret(rfcSecret)
	f.Fuzz(func(t *testing.T, code string, unix int64) {
		now := time.Unix(unix, 0)
		step, ok := ValidateTOTPStep(rfcSecret, code, now)
		if !ok {
			return
		}
		c := strings.ReplaceAll(code, " ", "")
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("accepted %q", code)
		}
		cur := unix / 30
		if step < cur-1 || step > cur+1 || step < 0 {
			t.Fatalf("accepted step %d outside the window around %d", step, cur)
		}
		if hotp(key, uint64(step), 6) != c {
			t.Fatalf("accepted %q for step %d, whose code is %s", code, step, hotp(key, uint64(step), 6))
		}
	})
}

func TestNewTOTPSecret(t *testing.T) {
	secret, u, err := NewTOTPSecret("Vedetta Comune di Lerici", "m.rossi@comune.lerici.sp.it")
	if err != nil {
		t.Fatal(err)
	}
	key, err := decodeTOTPSecret(secret)
	if err != nil || len(key) != 20 {
		t.Fatalf("secret %q decodes to %d bytes, %v; want 20", secret, len(key), err)
	}
	if strings.Contains(secret, "=") {
		t.Errorf("secret %q is padded", secret)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	if parsed.Scheme != "otpauth" || parsed.Host != "totp" ||
		parsed.Path != "/Vedetta Comune di Lerici:m.rossi@comune.lerici.sp.it" ||
		q.Get("secret") != secret || q.Get("issuer") != "Vedetta Comune di Lerici" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("unexpected otpauth URL %q", u)
	}
	other, _, _ := NewTOTPSecret("Vedetta", "x")
	if other == secret {
		t.Error("two secrets are equal")
	}
	now := time.Now()
	if !ValidateTOTP(secret, hotp(key, uint64(now.Unix()/30), 6), now) {
		t.Error("a fresh secret's current code does not validate")
	}
	for _, bad := range [][2]string{{"", "a"}, {"a", ""}, {"Ved:etta", "a"}} {
		if _, _, err := NewTOTPSecret(bad[0], bad[1]); !errors.Is(err, ErrTOTPEnroll) {
			t.Errorf("NewTOTPSecret(%q, %q) error = %v, want ErrTOTPEnroll", bad[0], bad[1], err)
		}
	}
}

func TestTOTPQRCodePNG(t *testing.T) {
	_, u, err := NewTOTPSecret("Vedetta", "mrossi")
	if err != nil {
		t.Fatal(err)
	}
	b, err := TOTPQRCodePNG(u, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds(); got.Dx() != 256 || got.Dy() != 256 {
		t.Errorf("image is %v, want 256×256", got)
	}
	dark, light := 0, 0
	for y := 0; y < 256; y += 2 {
		for x := 0; x < 256; x += 2 {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			} else {
				light++
			}
		}
	}
	if dark < 1000 || light < 1000 {
		t.Errorf("QR image has %d dark and %d light samples, want both", dark, light)
	}
	_, u2, _ := NewTOTPSecret("Vedetta", "mrossi")
	b2, _ := TOTPQRCodePNG(u2, 256)
	if bytes.Equal(b, b2) {
		t.Error("different URLs gave the same image")
	}
	for _, tt := range []struct {
		url  string
		size int
	}{{"https://example.org", 256}, {u, 63}, {u, 1025}, {"", 256}} {
		if _, err := TOTPQRCodePNG(tt.url, tt.size); !errors.Is(err, ErrTOTPEnroll) {
			t.Errorf("TOTPQRCodePNG(%q, %d) error = %v, want ErrTOTPEnroll", tt.url, tt.size, err)
		}
	}
}
