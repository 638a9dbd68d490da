package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIngestDefaultsOff(t *testing.T) {
	cfg, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Ingest{}, cfg.Ingest); diff != "" {
		t.Fatalf("ingest defaults (-want +got):\n%s", diff)
	}
}

func TestIngestFileAndEnv(t *testing.T) {
	p := filepath.Join(t.TempDir(), "v.yaml")
	yaml := "ingest:\n  syslog_tcp: 127.0.0.1:1514\n  syslog_tls: 127.0.0.1:6514\n  tls_cert: c.pem\n  tls_key: k.pem\n" +
		"  tls_client_ca: ca.pem\n  tenant_rate: 5000\n  http_max_body: 1048576\n"
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VEDETTA_INGEST_SYSLOG_UDP": "127.0.0.1:1514", "VEDETTA_INGEST_MQTT_BROKER": "127.0.0.1:11883"}
	cfg, err := Load(p, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	want := Ingest{SyslogUDP: "127.0.0.1:1514", SyslogTCP: "127.0.0.1:1514", SyslogTLS: "127.0.0.1:6514",
		TLSCert: "c.pem", TLSKey: "k.pem", TLSClientCA: "ca.pem", MQTTBroker: "127.0.0.1:11883",
		TenantRate: 5000, HTTPMaxBody: 1 << 20}
	if diff := cmp.Diff(want, cfg.Ingest); diff != "" {
		t.Fatalf("ingest (-want +got):\n%s", diff)
	}
}

func TestIngestErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"bad udp addr", "ingest:\n  syslog_udp: 514\n", "ingest.syslog_udp"},
		{"bad mqtt addr", "ingest:\n  mqtt_broker: broker\n", "ingest.mqtt_broker"},
		{"tls without cert", "ingest:\n  syslog_tls: :6514\n", "ingest.syslog_tls"},
		{"cert without key", "ingest:\n  tls_cert: c.pem\n", "ingest.tls_cert"},
		{"negative rate", "ingest:\n  tenant_rate: -1\n", "ingest.tenant_rate"},
		{"negative body", "ingest:\n  http_max_body: -1\n", "ingest.http_max_body"},
		{"unknown key", "ingest:\n  syslog_sctp: :1\n", "syslog_sctp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(p, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p, noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
