package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:8080" || cfg.DB.DSN != "sqlite" || time.Duration(cfg.Session.Idle) != 30*time.Minute {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
	if got := cfg.SQLitePath(); got != filepath.Join("data", "vedetta.db") {
		t.Fatalf("SQLitePath = %q", got)
	}
}

func TestLoadFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "v.yaml")
	os.WriteFile(p, []byte("data_dir: /var/lib/vedetta\nhttp:\n  addr: 127.0.0.1:9000\nsession:\n  idle: 10m\n  absolute: 8h\n"), 0o600)
	env := map[string]string{"VEDETTA_LOG_LEVEL": "debug", "VEDETTA_DATABASE_DSN": "postgres://x@127.0.0.1/v",
		"VEDETTA_SECRETS_KEY_FILE": "/etc/vedetta/secrets.key"}
	cfg, err := Load(p, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/vedetta" || cfg.HTTP.Addr != "127.0.0.1:9000" || cfg.Log.Level != "debug" || !cfg.IsPostgres() {
		t.Fatalf("got %+v", cfg)
	}
	if time.Duration(cfg.Session.Idle) != 10*time.Minute {
		t.Fatalf("idle = %v", cfg.Session.Idle)
	}
	if cfg.SecretsKeyFile() != "/etc/vedetta/secrets.key" {
		t.Errorf("secrets key file = %q", cfg.SecretsKeyFile())
	}
	if def := Default(); def.SecretsKeyFile() != filepath.Join("data", "secrets.key") {
		t.Errorf("default secrets key file = %q", def.SecretsKeyFile())
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"unknown key", "htp:\n  addr: x\n", nil, "htp"},
		{"bad yaml", "http: [\n", nil, "config"},
		{"bad duration", "session:\n  idle: soon\n", nil, "not a duration"},
		{"bad addr", "http:\n  addr: nowhere\n", nil, "http.addr"},
		{"public without tls", "http:\n  addr: 0.0.0.0:8080\n", nil, "allow_insecure"},
		{"cert without key", "http:\n  tls_cert: a.pem\n", nil, "tls_key"},
		{"bad dsn", "database:\n  dsn: mysql://x\n", nil, "database.dsn"},
		{"bad bus", "bus:\n  url: http://x\n", nil, "bus.url"},
		{"bad level", "log:\n  level: loud\n", nil, "log.level"},
		{"idle over absolute", "session:\n  idle: 13h\n  absolute: 12h\n", nil, "session.idle"},
		{"bad env bool", "", map[string]string{"VEDETTA_HTTP_ALLOW_INSECURE": "maybe"}, "VEDETTA_HTTP_ALLOW_INSECURE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(p, []byte(tt.yaml), 0o600)
			_, err := Load(p, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestAllowInsecure(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("http:\n  addr: 0.0.0.0:8080\n  allow_insecure: true\n"), 0o600)
	if _, err := Load(p, noEnv); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("http:\n  addr: 127.0.0.1:1\n"))
	f.Add([]byte("session: {idle: 1m}"))
	f.Add([]byte("- [}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Default()
		if err := Decode(strings.NewReader(string(data)), &cfg); err != nil {
			return
		}
		_ = cfg.Validate()
	})
}
