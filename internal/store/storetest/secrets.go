package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/secret"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// SecretStore is a backend that seals the credentials it keeps.
type SecretStore interface {
	store.Store
	SetSecrets(b *secret.Box)
	SealStoredSecrets(ctx context.Context) (int, error)
}

func box(t *testing.T, fill byte) *secret.Box {
	t.Helper()
	b, err := secret.New(bytes.Repeat([]byte{fill}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Secrets checks that notification channel configs and incident settings
// are sealed at rest: open returns a new handle on one migrated database
// each time it is called. A handle without the key, or with another key,
// cannot read them; one with the key reads them back; credentials written
// in clear (before sealing existed) are sealed by SealStoredSecrets; raw,
// a plain connection to the same database, finds none of them in clear.
func Secrets(t *testing.T, open func(t *testing.T) SecretStore, raw *sql.DB) {
	ctx := t.Context()
	plain := open(t)
	sealed := open(t)
	sealed.SetSecrets(box(t, 1))
	other := open(t)
	other.SetSecrets(box(t, 2))
	tn := newTenant(t, plain, "porto-secrets", store.KindPort)

	// Written in clear by a handle without a key, then swept.
	legacy := newChannel(tn.ID, "legacy")
	if err := plain.CreateNotifyChannel(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if err := plain.SetIncidentSettings(ctx, tn.ID, `{"smtp":{"password":"pw-legacy"}}`); err != nil {
		t.Fatal(err)
	}
	legacyUser := &store.User{Username: "legacy-totp", TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPEnabled: true}
	if err := plain.CreateUser(ctx, legacyUser); err != nil {
		t.Fatal(err)
	}
	if err := plain.CreateUser(ctx, &store.User{Username: "no-totp"}); err != nil {
		t.Fatal(err)
	}
	n, err := sealed.SealStoredSecrets(ctx)
	if err != nil || n != 3 {
		t.Fatalf("SealStoredSecrets = %d, %v; want 3 rows", n, err)
	}
	if n, err := sealed.SealStoredSecrets(ctx); err != nil || n != 0 {
		t.Errorf("second sweep = %d, %v; want 0", n, err)
	}

	// Written sealed.
	fresh := newChannel(tn.ID, "fresh")
	if err := sealed.CreateNotifyChannel(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	fresh.Config = `{"secret":"rotated"}`
	if err := sealed.UpdateNotifyChannel(ctx, fresh); err != nil {
		t.Fatal(err)
	}

	for _, id := range []string{legacy.ID, fresh.ID} {
		if _, err := plain.GetNotifyChannel(ctx, tn.ID, id); !errors.Is(err, secret.ErrNoKey) {
			t.Errorf("channel read without the key: %v, want ErrNoKey", err)
		}
		if _, err := other.GetNotifyChannel(ctx, tn.ID, id); !errors.Is(err, secret.ErrOpen) {
			t.Errorf("channel read with another key: %v, want ErrOpen", err)
		}
	}
	if _, err := plain.GetIncidentSettings(ctx, tn.ID); !errors.Is(err, secret.ErrNoKey) {
		t.Errorf("settings read without the key: %v, want ErrNoKey", err)
	}
	if _, err := other.GetIncidentSettings(ctx, tn.ID); !errors.Is(err, secret.ErrOpen) {
		t.Errorf("settings read with another key: %v, want ErrOpen", err)
	}

	// TOTP secrets: the swept one and one written sealed.
	fresh2 := &store.User{Username: "fresh-totp", TOTPSecret: "KRSXG5CTMVRXEZLU", TOTPEnabled: true}
	if err := sealed.CreateUser(ctx, fresh2); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*store.User{legacyUser, fresh2} {
		if _, err := plain.GetUser(ctx, u.ID); !errors.Is(err, secret.ErrNoKey) {
			t.Errorf("user %s read without the key: %v, want ErrNoKey", u.Username, err)
		}
		if _, err := other.GetUserByUsername(ctx, u.Username); !errors.Is(err, secret.ErrOpen) {
			t.Errorf("user %s read with another key: %v, want ErrOpen", u.Username, err)
		}
		got, err := sealed.GetUserByUsername(ctx, u.Username)
		if err != nil || got.TOTPSecret != u.TOTPSecret {
			t.Errorf("user %s TOTP secret = %q, %v", u.Username, got.TOTPSecret, err)
		}
		got.DisplayName = "renamed"
		must(t, "UpdateUser", sealed.UpdateUser(ctx, got))
		if again, err := sealed.GetUser(ctx, u.ID); err != nil || again.TOTPSecret != u.TOTPSecret {
			t.Errorf("after update: %v, %v", again, err)
		}
	}
	if users, err := plain.GetUserByUsername(ctx, "no-totp"); err != nil || users.TOTPSecret != "" {
		t.Errorf("a user without TOTP is unreadable without the key: %v", err)
	}
	if users, err := sealed.ListUsers(ctx); err != nil || len(users) != 3 {
		t.Errorf("ListUsers = %d, %v", len(users), err)
	}

	got, err := sealed.GetNotifyChannel(ctx, tn.ID, legacy.ID)
	if err != nil || got.Config != `{"secret":"s3cret"}` {
		t.Errorf("legacy channel config = %q, %v", got.Config, err)
	}
	chans, err := sealed.ListNotifyChannels(ctx, tn.ID)
	if err != nil || len(chans) != 2 || chans[0].Config != `{"secret":"rotated"}` {
		t.Errorf("channels = %+v, %v", chans, err)
	}
	if all, err := sealed.ListAllNotifyChannels(ctx); err != nil || len(all) != 2 {
		t.Errorf("all channels = %d, %v", len(all), err)
	}
	if v, err := sealed.GetIncidentSettings(ctx, tn.ID); err != nil || v != `{"smtp":{"password":"pw-legacy"}}` {
		t.Errorf("settings = %q, %v", v, err)
	}
	if err := sealed.SetIncidentSettings(ctx, tn.ID, `{"smtp":{"password":"pw-new"}}`); err != nil {
		t.Fatal(err)
	}
	if v, err := sealed.GetIncidentSettings(ctx, tn.ID); err != nil || v != `{"smtp":{"password":"pw-new"}}` {
		t.Errorf("settings after rewrite = %q, %v", v, err)
	}

	for what, query := range map[string]string{
		"channel configs":   `SELECT count(*) FROM notify_channels WHERE config LIKE '%s3cret%' OR config LIKE '%rotated%'`,
		"incident settings": `SELECT count(*) FROM incident_settings WHERE settings LIKE '%pw-legacy%' OR settings LIKE '%pw-new%'`,
		"TOTP secrets":      `SELECT count(*) FROM users WHERE totp_secret IN ('JBSWY3DPEHPK3PXP', 'KRSXG5CTMVRXEZLU')`,
	} {
		var n int
		if err := raw.QueryRowContext(ctx, query).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d %s in clear in the database (%v)", n, what, err)
		}
	}
}
