package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash reports a stored password hash that is not an argon2id
// PHC string this package accepts. Errors from Verify wrap it with detail.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// Sizes of what Hash produces.
const (
	saltLen = 16 // bytes, RFC 9106 §3.1 recommends 16
	keyLen  = 32 // bytes of argon2id output
)

// Bounds on the parameters Verify accepts from a PHC string. They keep a
// corrupted or hostile stored hash from making Verify allocate gigabytes or
// run for minutes; they are far above anything a Hasher would choose.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128
)

// Hasher hashes passwords with argon2id. Memory is in KiB, Time is the
// number of passes, Threads the degree of parallelism (lanes).
type Hasher struct {
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultHasher is the production cost: the OWASP Password Storage Cheat
// Sheet's first argon2id configuration, m=19 MiB, t=2, p=1. RFC 9106's
// "second recommended option" (64 MiB, t=3, p=4) costs about 3.4 times the
// memory per login; Vedetta runs on one small server per installation, where
// a burst of logins at 64 MiB each would compete with ingest for RAM, while
// 19 MiB × 2 passes keeps one verification in the tens of milliseconds
// (see BenchmarkVerifyDefault) and is still the level OWASP calls adequate.
// p=1 because the Authenticator already bounds how many hashes run at once,
// so parallel lanes would only shift work between cores.
func DefaultHasher() Hasher { return Hasher{Memory: 19 * 1024, Time: 2, Threads: 1} }

// TestHasher is a deliberately weak cost for tests: 64 KiB, one pass.
// Never use it in production.
func TestHasher() Hasher { return Hasher{Memory: 64, Time: 1, Threads: 1} }

// Validate reports whether h's parameters are within the bounds that Verify
// accepts.
func (h Hasher) Validate() error {
	if err := checkParams(h.Memory, h.Time, uint32(h.Threads)); err != nil {
		return fmt.Errorf("auth: hasher: %w", err)
	}
	return nil
}

func checkParams(m, t, p uint32) error {
	switch {
	case p < 1 || p > 255:
		return fmt.Errorf("parallelism p=%d outside 1..255", p)
	case t < 1 || t > maxTime:
		return fmt.Errorf("time t=%d outside 1..%d", t, maxTime)
	case m < 8*p || m > maxMemoryKiB:
		return fmt.Errorf("memory m=%d KiB outside %d..%d", m, 8*p, maxMemoryKiB)
	}
	return nil
}

// Hash returns the argon2id PHC string of password with a fresh random
// salt, e.g. "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (unpadded
// standard base64).
func (h Hasher) Hash(password string) (string, error) {
	if err := h.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	rand.Read(salt) // never returns an error since Go 1.24
	key := argon2.IDKey([]byte(password), salt, h.Time, h.Memory, h.Threads, keyLen)
	return phc{m: h.Memory, t: h.Time, p: uint32(h.Threads), salt: salt, key: key}.String(), nil
}

// Verify reports whether password matches the PHC string encoded, comparing
// in constant time. needsRehash is true when the password matched but the
// stored hash was made with parameters other than h's, so the caller should
// store a fresh Hash. A malformed encoded yields an error wrapping
// ErrMalformedHash and ok=false.
func (h Hasher) Verify(password, encoded string) (ok, needsRehash bool, err error) {
	ph, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	key := idKey(password, ph.salt, ph.m, ph.t, ph.p, uint32(len(ph.key)))
	if subtle.ConstantTimeCompare(key, ph.key) != 1 {
		return false, false, nil
	}
	needsRehash = ph.m != h.Memory || ph.t != h.Time || ph.p != uint32(h.Threads) ||
		len(ph.key) != keyLen || len(ph.salt) < saltLen
	return true, needsRehash, nil
}

func idKey(password string, salt []byte, m, t, p, n uint32) []byte {
	return argon2.IDKey([]byte(password), salt, t, m, uint8(p), n)
}

// phc is a parsed argon2id PHC string.
type phc struct {
	m, t, p   uint32
	salt, key []byte
}

var b64 = base64.RawStdEncoding.Strict()

func (ph phc) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, ph.m, ph.t, ph.p, b64.EncodeToString(ph.salt), b64.EncodeToString(ph.key))
}

// parsePHC parses "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH" strictly: exactly
// those fields, the three parameters each once (in any order: the reference
// implementation writes m,t,p, node-argon2 writes m,p,t), canonical
// decimals, unpadded canonical base64, bounded parameters. Anything else is
// rejected as a whole.
func parsePHC(s string) (phc, error) {
	var ph phc
	fields := strings.Split(s, "$")
	if len(fields) != 6 || fields[0] != "" {
		return ph, fmt.Errorf("%w: want 5 '$'-separated fields, got %d", ErrMalformedHash, len(fields)-1)
	}
	if fields[1] != "argon2id" {
		return ph, fmt.Errorf("%w: algorithm %q is not argon2id", ErrMalformedHash, truncate(fields[1], 16))
	}
	v, ok := strings.CutPrefix(fields[2], "v=")
	if !ok {
		return ph, fmt.Errorf("%w: missing version", ErrMalformedHash)
	}
	if n, err := parseDecimal(v); err != nil || n != argon2.Version {
		return ph, fmt.Errorf("%w: version %q is not %d", ErrMalformedHash, truncate(v, 16), argon2.Version)
	}
	params := strings.Split(fields[3], ",")
	if len(params) != 3 {
		return ph, fmt.Errorf("%w: want parameters m, t and p, got %d", ErrMalformedHash, len(params))
	}
	var seen [3]bool
	for _, kv := range params {
		name, val, _ := strings.Cut(kv, "=")
		i := strings.Index("mtp", name)
		if len(name) != 1 || i < 0 {
			return ph, fmt.Errorf("%w: unknown parameter %q", ErrMalformedHash, truncate(name, 16))
		}
		if seen[i] {
			return ph, fmt.Errorf("%w: parameter %s repeated", ErrMalformedHash, name)
		}
		seen[i] = true
		n, err := parseDecimal(val)
		if err != nil {
			return ph, fmt.Errorf("%w: parameter %s: %v", ErrMalformedHash, name, err)
		}
		*[3]*uint32{&ph.m, &ph.t, &ph.p}[i] = n
	}
	if err := checkParams(ph.m, ph.t, ph.p); err != nil {
		return ph, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	var err error
	if ph.salt, err = decodeB64(fields[4]); err != nil {
		return phc{}, fmt.Errorf("%w: salt is not unpadded base64", ErrMalformedHash)
	}
	if len(ph.salt) < minSaltLen || len(ph.salt) > maxSaltLen {
		return phc{}, fmt.Errorf("%w: salt is %d bytes, want %d..%d", ErrMalformedHash, len(ph.salt), minSaltLen, maxSaltLen)
	}
	if ph.key, err = decodeB64(fields[5]); err != nil {
		return phc{}, fmt.Errorf("%w: hash is not unpadded base64", ErrMalformedHash)
	}
	if len(ph.key) < minKeyLen || len(ph.key) > maxKeyLen {
		return phc{}, fmt.Errorf("%w: hash is %d bytes, want %d..%d", ErrMalformedHash, len(ph.key), minKeyLen, maxKeyLen)
	}
	return ph, nil
}

// decodeB64 decodes unpadded canonical standard base64. It rejects the CR
// and LF that encoding/base64 silently skips.
func decodeB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	return b64.DecodeString(s)
}

// parseDecimal parses a PHC decimal: ASCII digits, no sign, no leading zero
// (except "0" itself), fitting in uint32.
func parseDecimal(s string) (uint32, error) {
	if s == "" {
		return 0, errors.New("empty number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a decimal number")
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, errors.New("number out of range")
	}
	return uint32(n), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
