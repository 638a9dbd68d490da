package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// APITokenPrefix starts every API token secret, so secret scanners and
// humans can recognise a leaked Vedetta token.
const APITokenPrefix = "vdt_"

const (
	tokenBytes      = 32
	tokenChars      = 43 // unpadded base64url of 32 bytes
	apiPrefixLen    = 12 // characters of the secret shown in token lists
	apiTokenLen     = len(APITokenPrefix) + tokenChars
	sessionTokenLen = tokenChars
)

// ErrMalformedToken reports a presented session or API token that does not
// have the shape this package issues; such a token need not be looked up.
var ErrMalformedToken = errors.New("auth: malformed token")

var b64url = base64.RawURLEncoding.Strict()

func randomToken() string {
	b := make([]byte, tokenBytes)
	rand.Read(b) // never returns an error since Go 1.24
	return b64url.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a token or secret: the value stored
// as store.Session.ID and store.APIToken.Hash. A single unsalted hash is
// enough because the input has 256 bits of entropy.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSessionToken returns a new browser session token (32 random bytes,
// unpadded base64url, for the cookie) and its id, HashToken(token), which
// is what the store keeps.
func NewSessionToken() (token, id string) {
	token = randomToken()
	return token, HashToken(token)
}

// SessionID checks that token, as presented in a cookie, has the shape
// NewSessionToken gives and returns its id for the store lookup.
func SessionID(token string) (string, error) {
	if len(token) != sessionTokenLen || !isBase64URL(token) {
		return "", ErrMalformedToken
	}
	return HashToken(token), nil
}

// NewAPIToken returns a new API token: the secret shown to the user once
// ("vdt_" + 43 base64url characters), its display prefix (the first 12
// characters, store.APIToken.Prefix) and HashToken(secret)
// (store.APIToken.Hash).
func NewAPIToken() (secret, prefix, hash string) {
	secret = APITokenPrefix + randomToken()
	return secret, secret[:apiPrefixLen], HashToken(secret)
}

// APITokenHash checks that secret, as presented in an Authorization header,
// has the shape NewAPIToken gives and returns its hash for
// store.GetTokenByHash.
func APITokenHash(secret string) (string, error) {
	rest, ok := strings.CutPrefix(secret, APITokenPrefix)
	if !ok || len(secret) != apiTokenLen || !isBase64URL(rest) {
		return "", ErrMalformedToken
	}
	return HashToken(secret), nil
}

// NewCSRFToken returns a fresh CSRF token (32 random bytes, unpadded
// base64url) for store.Session.CSRFToken.
func NewCSRFToken() string { return randomToken() }

// TokensEqual compares two secrets in time that does not depend on where
// they differ (it does depend on their lengths, which are public).
func TokensEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// isBase64URL reports whether s is canonical unpadded base64url of 32 bytes.
func isBase64URL(s string) bool {
	if len(s) != tokenChars {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	_, err := b64url.DecodeString(s) // rejects non-zero trailing bits
	return err == nil
}
