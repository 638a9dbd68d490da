// Package testenv finds what tests need from outside the repository: the
// third-party data in ../shared/data and the local services (PostgreSQL,
// NATS, Mosquitto). Outside CI a missing resource skips the test with a
// message; under CI=true it fails the test, so CI can never pass by skipping.
package testenv

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips the test outside CI and fails it under CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("required under CI=true: "+format, args...)
	}
	t.Skipf("skipped: "+format, args...)
}

// ModuleRoot returns the directory holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SharedData returns the path of ../shared/data/<rel> beside the checkout
// (or $VEDETTA_SHARED_DATA/<rel>), skipping or failing when it is absent.
func SharedData(t testing.TB, rel string) string {
	t.Helper()
	base := os.Getenv("VEDETTA_SHARED_DATA")
	if base == "" {
		base = filepath.Join(ModuleRoot(t), "..", "shared", "data")
	}
	p := filepath.Join(base, rel)
	if _, err := os.Stat(p); err != nil {
		Unavailable(t, "shared data %s is absent (%v)", p, err)
	}
	return p
}

// Service checks that a TCP service answers at addr, skipping or failing
// the test when it does not.
func Service(t testing.TB, name, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		Unavailable(t, "%s is not reachable at %s: %v", name, addr, err)
		return
	}
	c.Close()
}

// PostgresDSN returns the DSN of the PostgreSQL server for tests:
// $VEDETTA_TEST_POSTGRES_DSN, else the local service on 127.0.0.1:5432.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("VEDETTA_TEST_POSTGRES_DSN")
	if dsn == "" {
		Service(t, "PostgreSQL", "127.0.0.1:5432")
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	return dsn
}

// NATSURL returns the URL of the external NATS JetStream server for tests.
func NATSURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("VEDETTA_TEST_NATS_URL"); u != "" {
		return u
	}
	Service(t, "NATS", "127.0.0.1:4222")
	return "nats://127.0.0.1:4222"
}

// MQTTAddr returns the address of the Mosquitto broker for tests.
func MQTTAddr(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("VEDETTA_TEST_MQTT_ADDR"); a != "" {
		return a
	}
	Service(t, "Mosquitto", "127.0.0.1:1883")
	return "127.0.0.1:1883"
}
