package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/config"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestStoreSealsCredentials: OpenStore creates the key file (0600) on first
// start, credentials written through it survive a restart, and a start
// with another key refuses with a message that names the key file.
func TestStoreSealsCredentials(t *testing.T) {
	ctx := t.Context()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	st, err := OpenStore(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	tn := &store.Tenant{Slug: "comune-test", Name: "Comune di Test", Kind: store.KindMunicipality}
	if err := st.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	if err := st.SetIncidentSettings(ctx, tn.ID, `{"remote_centre":{"token":"police-token-1"}}`); err != nil {
		t.Fatal(err)
	}
	st.Close()

	keyFile := cfg.SecretsKeyFile()
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("key file %s: %v %v", keyFile, fi, err)
	}
	db, _ := os.ReadFile(cfg.SQLitePath())
	if strings.Contains(string(db), "police-token-1") {
		t.Error("the token is in the database file in clear")
	}

	st, err = OpenStore(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := st.GetIncidentSettings(ctx, tn.ID); err != nil || !strings.Contains(v, "police-token-1") {
		t.Errorf("after restart: %q, %v", v, err)
	}
	st.Close()

	cfg.Secrets.KeyFile = filepath.Join(t.TempDir(), "other.key")
	if st, err := OpenStore(ctx, cfg, nil); err == nil || !strings.Contains(err.Error(), "other.key") {
		if st != nil {
			st.Close()
		}
		t.Errorf("start with another key: %v", err)
	}
}
