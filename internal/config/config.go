// Package config loads Vedetta's configuration: a YAML file decoded strictly
// (unknown keys are errors), then VEDETTA_* environment overrides, then
// defaults, then validation with messages that name the offending key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// Config is the whole configuration of one Vedetta process.
type Config struct {
	// DataDir holds the SQLite database, the embedded NATS store and other
	// local state.
	DataDir string  `yaml:"data_dir"`
	HTTP    HTTP    `yaml:"http"`
	DB      DB      `yaml:"database"`
	Bus     Bus     `yaml:"bus"`
	Log     Log     `yaml:"log"`
	Session Session `yaml:"session"`
	Map     Map     `yaml:"map"`
	Detect  Detect  `yaml:"detect"`
	Ingest  Ingest  `yaml:"ingest"`
	Secrets Secrets `yaml:"secrets"`
}

// Secrets configures how credentials kept in the database (SMTP
// passwords, webhook secrets, a remote police centre's token, the
// pseudonymisation key) are sealed: AES-256-GCM under a 32-byte key file,
// created with mode 0600 on first start when missing. Instances sharing
// one PostgreSQL database must be given the same file.
type Secrets struct {
	// KeyFile defaults to secrets.key in DataDir.
	KeyFile string `yaml:"key_file"`
}

// Ingest configures the event receivers shared by every tenant (sources
// themselves live in the store). A listener with an empty address is off;
// all are off by default. HTTP ingestion (POST /api/v1/events) runs on the
// web server.
type Ingest struct {
	SyslogUDP string `yaml:"syslog_udp"` // e.g. ":514"
	SyslogTCP string `yaml:"syslog_tcp"` // e.g. ":514" (RFC 6587, both framings)
	SyslogTLS string `yaml:"syslog_tls"` // e.g. ":6514" (RFC 5425)
	// TLSCert and TLSKey serve syslog_tls; TLSClientCA, when set, verifies
	// client certificates (mapped to sources by fingerprint or CN).
	TLSCert     string `yaml:"tls_cert"`
	TLSKey      string `yaml:"tls_key"`
	TLSClientCA string `yaml:"tls_client_ca"`
	// MQTTBroker is the listen address of the embedded MQTT broker.
	MQTTBroker string `yaml:"mqtt_broker"`
	// TenantRate caps each tenant's accepted events per second (0: none).
	TenantRate float64 `yaml:"tenant_rate"`
	// HTTPMaxBody bounds one HTTP ingestion body after decompression
	// (default 32 MiB).
	HTTPMaxBody int64 `yaml:"http_max_body"`
}

// HTTP configures the web server.
type HTTP struct {
	Addr    string `yaml:"addr"`
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// AllowInsecure permits listening on a non-loopback address without
	// TLS (for installations behind a TLS-terminating proxy).
	AllowInsecure bool `yaml:"allow_insecure"`
	// BehindTLSProxy marks cookies Secure although this process speaks
	// plain HTTP, because a proxy terminates TLS in front of it.
	BehindTLSProxy bool `yaml:"behind_tls_proxy"`
}

// DB selects the storage backend: "sqlite" (default, file in DataDir) or a
// postgres:// DSN.
type DB struct {
	DSN string `yaml:"dsn"`
}

// Bus selects the event bus: embedded NATS JetStream when URL is empty.
type Bus struct {
	URL string `yaml:"url"`
	// MaxBytes caps the embedded JetStream file storage; it must hold
	// the streams' limits (1 GiB of events, 256 MiB of alerts).
	MaxBytes int64 `yaml:"max_bytes"`
}

// Log configures structured logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json or text
}

// Session configures browser sessions.
type Session struct {
	Idle     Duration `yaml:"idle"`
	Absolute Duration `yaml:"absolute"`
}

// Map configures the web map. TileURL is empty by default: the map draws
// only the site's own layers and needs no network.
type Map struct {
	TileURL         string `yaml:"tile_url"`
	TileAttribution string `yaml:"tile_attribution"`
}

// Detect configures detection. SigmaHQ rules are not shipped in the
// binary (they are third-party content): point RulesDirs at a checkout.
// Vedetta's own rules are always loaded.
type Detect struct {
	RulesDirs []string `yaml:"rules_dirs"`
	// Timezone is the local time of the time rules (IANA name; default
	// UTC).
	Timezone string `yaml:"timezone"`
	// GroupWindow groups repeated matches into one alert (default 15m).
	GroupWindow Duration `yaml:"group_window"`
	// NightHours and OpeningHours are "HH:MM-HH:MM" (defaults
	// 22:00-06:00 and 07:00-19:00).
	NightHours   string `yaml:"night_hours"`
	OpeningHours string `yaml:"opening_hours"`
	// WarninglistsDir holds MISP warninglists (lists/<name>/list.json) that
	// mark indicator hits on known-benign values as false positives.
	WarninglistsDir string `yaml:"warninglists_dir"`
}

// Duration is a time.Duration written as "30m", "12h" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use e.g. 30m, 12h)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		DataDir: "data",
		HTTP:    HTTP{Addr: "127.0.0.1:8080"},
		DB:      DB{DSN: "sqlite"},
		Bus:     Bus{MaxBytes: 2 << 30},
		Log:     Log{Level: "info", Format: "json"},
		Session: Session{Idle: Duration(30 * time.Minute), Absolute: Duration(12 * time.Hour)},
	}
}

// Load reads the file at path (none when path is ""), applies the
// environment and validates.
func Load(path string, env func(string) (string, bool)) (Config, error) {
	cfg := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := Decode(f, &cfg); err != nil {
			return cfg, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if env == nil {
		env = os.LookupEnv
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// Decode decodes YAML strictly into cfg (keeping cfg's values for keys the
// document does not set).
func Decode(r io.Reader, cfg *Config) error {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// envVars maps environment variables to setters.
var envVars = map[string]func(c *Config, v string) error{
	"VEDETTA_DATA_DIR":              func(c *Config, v string) error { c.DataDir = v; return nil },
	"VEDETTA_SECRETS_KEY_FILE":      func(c *Config, v string) error { c.Secrets.KeyFile = v; return nil },
	"VEDETTA_HTTP_ADDR":             func(c *Config, v string) error { c.HTTP.Addr = v; return nil },
	"VEDETTA_HTTP_TLS_CERT":         func(c *Config, v string) error { c.HTTP.TLSCert = v; return nil },
	"VEDETTA_HTTP_TLS_KEY":          func(c *Config, v string) error { c.HTTP.TLSKey = v; return nil },
	"VEDETTA_HTTP_ALLOW_INSECURE":   boolSetter(func(c *Config, b bool) { c.HTTP.AllowInsecure = b }),
	"VEDETTA_HTTP_BEHIND_TLS_PROXY": boolSetter(func(c *Config, b bool) { c.HTTP.BehindTLSProxy = b }),
	"VEDETTA_DATABASE_DSN":          func(c *Config, v string) error { c.DB.DSN = v; return nil },
	"VEDETTA_BUS_URL":               func(c *Config, v string) error { c.Bus.URL = v; return nil },
	"VEDETTA_LOG_LEVEL":             func(c *Config, v string) error { c.Log.Level = v; return nil },
	"VEDETTA_LOG_FORMAT":            func(c *Config, v string) error { c.Log.Format = v; return nil },
	"VEDETTA_MAP_TILE_URL":          func(c *Config, v string) error { c.Map.TileURL = v; return nil },
	"VEDETTA_INGEST_SYSLOG_UDP":     func(c *Config, v string) error { c.Ingest.SyslogUDP = v; return nil },
	"VEDETTA_INGEST_SYSLOG_TCP":     func(c *Config, v string) error { c.Ingest.SyslogTCP = v; return nil },
	"VEDETTA_INGEST_SYSLOG_TLS":     func(c *Config, v string) error { c.Ingest.SyslogTLS = v; return nil },
	"VEDETTA_INGEST_MQTT_BROKER":    func(c *Config, v string) error { c.Ingest.MQTTBroker = v; return nil },
}

// EnvNames lists the environment variables that override the file.
func EnvNames() []string {
	names := make([]string, 0, len(envVars))
	for k := range envVars {
		names = append(names, k)
	}
	return names
}

func boolSetter(set func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		set(c, b)
		return nil
	}
}

func applyEnv(cfg *Config, env func(string) (string, bool)) error {
	for name, set := range envVars {
		if v, ok := env(name); ok {
			if err := set(cfg, v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

// Validate checks every value and reports all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	host, _, err := net.SplitHostPort(c.HTTP.Addr)
	if err != nil {
		bad("http.addr", "%q is not host:port (%v)", c.HTTP.Addr, err)
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		bad("http.tls_cert", "tls_cert and tls_key must be set together")
	}
	if err == nil && c.HTTP.TLSCert == "" && !c.HTTP.AllowInsecure && !isLoopback(host) {
		bad("http.addr", "listening on %q without TLS needs http.allow_insecure: true (or tls_cert and tls_key)", c.HTTP.Addr)
	}
	dsn := c.DB.DSN
	switch {
	case dsn == "sqlite" || strings.HasPrefix(dsn, "sqlite:"):
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
	default:
		bad("database.dsn", "%q: use sqlite, sqlite:/path/file.db or postgres://…", dsn)
	}
	if c.Bus.URL != "" && !strings.HasPrefix(c.Bus.URL, "nats://") && !strings.HasPrefix(c.Bus.URL, "tls://") {
		bad("bus.url", "%q: use nats://host:port or tls://host:port", c.Bus.URL)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q: use debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		bad("log.format", "%q: use json or text", c.Log.Format)
	}
	c.Ingest.validate(bad)
	if c.Session.Idle <= 0 || c.Session.Absolute <= 0 {
		bad("session", "idle and absolute must be positive")
	} else if c.Session.Idle > c.Session.Absolute {
		bad("session.idle", "must not exceed session.absolute")
	}
	if c.Detect.Timezone != "" {
		if _, err := time.LoadLocation(c.Detect.Timezone); err != nil {
			bad("detect.timezone", "%q is not a time zone (use e.g. Europe/Rome)", c.Detect.Timezone)
		}
	}
	for key, v := range map[string]string{"detect.night_hours": c.Detect.NightHours, "detect.opening_hours": c.Detect.OpeningHours} {
		if v != "" && !validHours(v) {
			bad(key, "%q: use HH:MM-HH:MM", v)
		}
	}
	if c.Detect.GroupWindow < 0 {
		bad("detect.group_window", "must not be negative")
	}
	return errors.Join(errs...)
}

// validHours checks the "HH:MM-HH:MM" shape (detect.ParseHours checks the
// values again).
func validHours(s string) bool {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	clock := func(x string) bool {
		_, err := time.Parse("15:04", strings.TrimSpace(x))
		return err == nil
	}
	return ok && clock(from) && (clock(to) || strings.TrimSpace(to) == "24:00")
}

// SQLitePath returns the SQLite file for DSN "sqlite" or "sqlite:PATH".
func (c *Config) SQLitePath() string {
	if p, ok := strings.CutPrefix(c.DB.DSN, "sqlite:"); ok && p != "" {
		return p
	}
	return filepath.Join(c.DataDir, "vedetta.db")
}

// SecretsKeyFile returns the path of the key that seals stored
// credentials.
func (c *Config) SecretsKeyFile() string {
	if c.Secrets.KeyFile != "" {
		return c.Secrets.KeyFile
	}
	return filepath.Join(c.DataDir, "secrets.key")
}

// IsPostgres reports whether the DSN selects PostgreSQL.
func (c *Config) IsPostgres() bool {
	return strings.HasPrefix(c.DB.DSN, "postgres://") || strings.HasPrefix(c.DB.DSN, "postgresql://")
}

// SecureCookies reports whether cookies must carry the Secure flag.
func (c *Config) SecureCookies() bool { return c.HTTP.TLSCert != "" || c.HTTP.BehindTLSProxy }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (in *Ingest) validate(bad func(key, format string, args ...any)) {
	for _, l := range []struct{ key, addr string }{
		{"ingest.syslog_udp", in.SyslogUDP}, {"ingest.syslog_tcp", in.SyslogTCP},
		{"ingest.syslog_tls", in.SyslogTLS}, {"ingest.mqtt_broker", in.MQTTBroker},
	} {
		if l.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			bad(l.key, "%q is not host:port (%v)", l.addr, err)
		}
	}
	if in.SyslogTLS != "" && (in.TLSCert == "" || in.TLSKey == "") {
		bad("ingest.syslog_tls", "needs ingest.tls_cert and ingest.tls_key")
	}
	if (in.TLSCert == "") != (in.TLSKey == "") {
		bad("ingest.tls_cert", "tls_cert and tls_key must be set together")
	}
	if in.TenantRate < 0 {
		bad("ingest.tenant_rate", "must not be negative")
	}
	if in.HTTPMaxBody < 0 {
		bad("ingest.http_max_body", "must not be negative")
	}
}
