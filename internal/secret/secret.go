// Package secret seals credentials that Vedetta must keep in its database
// but never show: SMTP passwords, webhook HMAC secrets, the token of a
// remote police centre, the key that pseudonymises reports. A Box encrypts
// them with AES-256-GCM under a key kept outside the database (a file with
// mode 0600), so a copy of the database or of a backup alone reveals none
// of them.
//
// A sealed value is text: "vsec1:" followed by the base64url (no padding)
// of a random 12-byte nonce and the ciphertext with its tag. The caller
// names what the value is for (its purpose: table, column and owning row),
// and that name is authenticated as additional data, so a sealed value
// copied into another row or column does not open.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Prefix marks a sealed value.
const Prefix = "vsec1:"

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

// ErrOpen reports a sealed value that does not open: altered, moved to
// another purpose, or sealed under another key.
var ErrOpen = errors.New("secret: sealed value does not open (altered, moved, or sealed under another key)")

// ErrNoKey reports a sealed value met where no key is configured.
var ErrNoKey = errors.New("secret: value is sealed but no key is configured (secrets.key_file)")

// Box seals and opens values under one key. A nil *Box seals nothing:
// Seal returns the plaintext and Open accepts only plaintext.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a KeySize-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Sealed reports whether v is a sealed value.
func Sealed(v string) bool { return strings.HasPrefix(v, Prefix) }

// Seal encrypts plaintext for purpose. An empty plaintext stays empty
// (nothing to hide, and "no secret set" stays visible to the code).
func (b *Box) Seal(purpose, plaintext string) string {
	if b == nil || plaintext == "" {
		return plaintext
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: crypto/rand: " + err.Error()) // never fails on Linux (Go 1.24+ crashes the program itself)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(purpose))
	return Prefix + base64.RawURLEncoding.EncodeToString(out)
}

// Open returns the plaintext of v sealed for purpose. A value without the
// prefix is plaintext written before sealing existed and is returned as
// is; the caller seals it at its next write (or Sweep does).
func (b *Box) Open(purpose, v string) (string, error) {
	if !Sealed(v) {
		return v, nil
	}
	if b == nil {
		return "", ErrNoKey
	}
	raw, err := base64.RawURLEncoding.DecodeString(v[len(Prefix):])
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", ErrOpen
	}
	ns := b.aead.NonceSize()
	pt, err := b.aead.Open(nil, raw[:ns], raw[ns:], []byte(purpose))
	if err != nil {
		return "", ErrOpen
	}
	return string(pt), nil
}

// LoadOrCreateKey reads the key file at path (exactly KeySize bytes), or,
// when it does not exist, creates it with a random key, mode 0600. Several
// instances sharing one database (PostgreSQL) must be given the same file.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secret: key file %s holds %d bytes, want %d", path, len(key), KeySize)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("secret: key file %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secret: key file: %w", err)
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secret: new key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("secret: key directory: %w", err)
	}
	// Written whole to a temporary file, then linked into place: another
	// instance starting at the same moment sees either no file or the
	// whole key, and the first link wins.
	f, err := os.CreateTemp(filepath.Dir(path), ".secrets-key-*")
	if err != nil {
		return nil, fmt.Errorf("secret: create key file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret: create key file: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret: write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("secret: write key file: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKey(path)
		}
		return nil, fmt.Errorf("secret: create key file: %w", err)
	}
	return key, nil
}
