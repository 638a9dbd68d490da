package incident

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Pseudonymiser replaces personal data with keyed HMAC-SHA-256 pseudonyms.
// The key belongs to the receiving tenant (the sharing domain): the same
// address or user gets the same pseudonym in every report that tenant
// receives, so its analysts can link reports, while pseudonyms sent to two
// different recipients cannot be matched, and nobody without the key can
// enumerate them back (plain hashes of IPs or names could be). See
// STANDARDS.md §7.
type Pseudonymiser struct {
	key []byte
}

// NewPseudonymiser returns a pseudonymiser for a hex key.
func NewPseudonymiser(hexKey string) (*Pseudonymiser, error) {
	k, err := hex.DecodeString(hexKey)
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("incident: pseudonym key must be at least 16 bytes of hex")
	}
	return &Pseudonymiser{key: k}, nil
}

// Pseudonym returns the pseudonym of a value of a kind (ip, user, …):
// "pseud-<kind>-" and 16 hex digits of the HMAC.
func (p *Pseudonymiser) Pseudonym(kind, value string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(strings.TrimSpace(value)))
	return "pseud-" + kind + "-" + hex.EncodeToString(m.Sum(nil))[:16]
}

// RecipientPseudonymiser returns the pseudonymiser of a receiving tenant,
// generating and storing its key on first use.
func RecipientPseudonymiser(ctx context.Context, st store.CaseStore, recipientID string) (*Pseudonymiser, error) {
	s, err := LoadSettings(ctx, st, recipientID)
	if err != nil {
		return nil, err
	}
	if s.PseudonymKey == "" {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, fmt.Errorf("incident: pseudonym key: %w", err)
		}
		s.PseudonymKey = hex.EncodeToString(k)
		if err := SaveSettings(ctx, st, recipientID, s); err != nil {
			return nil, err
		}
	}
	return NewPseudonymiser(s.PseudonymKey)
}

// RemotePseudonymiser returns the pseudonymiser of the reports a tenant
// sends to its remote police centre, generating and storing the key in the
// sender's settings on first use.
func RemotePseudonymiser(ctx context.Context, st store.CaseStore, tenantID string) (*Pseudonymiser, error) {
	s, err := LoadSettings(ctx, st, tenantID)
	if err != nil {
		return nil, err
	}
	if s.Remote.PseudonymKey == "" {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, fmt.Errorf("incident: pseudonym key: %w", err)
		}
		s.Remote.PseudonymKey = hex.EncodeToString(k)
		if err := SaveSettings(ctx, st, tenantID, s); err != nil {
			return nil, err
		}
	}
	return NewPseudonymiser(s.Remote.PseudonymKey)
}
