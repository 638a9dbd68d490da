package cli

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// run executes the CLI with a config that points at a temp data dir.
func run(t *testing.T, cfg string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	full := args
	if cfg != "" && len(args) > 0 && args[0] != "version" {
		full = append(append([]string{}, args...), "--config", cfg)
	}
	err := Run(context.Background(), full, strings.NewReader(stdin), &out, &errb)
	return out.String() + errb.String(), err
}

func writeConfig(t *testing.T) (cfgPath, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	cfgPath = filepath.Join(dir, "vedetta.yaml")
	if err := os.WriteFile(cfgPath, []byte("data_dir: "+dir+"\nlog:\n  level: warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dir
}

func TestAdminCommands(t *testing.T) {
	cfg, _ := writeConfig(t)
	steps := []struct {
		stdin   string
		args    []string
		want    string
		wantErr string
	}{
		{"", []string{"version"}, "vedetta ", ""},
		{"", []string{"migrate"}, "migrations applied", ""},
		{"", []string{"tenant", "add", "--slug", "lerici", "--name", "Comune di Lerici", "--kind", "municipality"}, "tenant lerici created", ""},
		{"", []string{"tenant", "add", "--slug", "cosc", "--name", "COSC", "--kind", "police_centre", "--oversees", "lerici"}, "tenant cosc created", ""},
		{"", []string{"tenant", "add", "--slug", "lerici", "--name", "Again", "--kind", "municipality"}, "", "exists already"},
		{"", []string{"tenant", "add", "--slug", "x y", "--name", "Bad", "--kind", "municipality"}, "", "short name"},
		{"", []string{"tenant", "add", "--slug", "z", "--name", "Bad", "--kind", "castle"}, "", "kind"},
		{"", []string{"tenant", "list"}, "Comune di Lerici", ""},
		{"a long enough passphrase\n", []string{"user", "add", "--username", "marco", "--tenant", "lerici:admin"}, "user marco created", ""},
		{"qwertyuiop123456\n", []string{"user", "add", "--username", "weak", "--tenant", "lerici:admin"}, "", "common"},
		{"a long enough passphrase\n", []string{"user", "add", "--username", "nobody"}, "", "--tenant"},
		{"a long enough passphrase\n", []string{"user", "add", "--username", "x1", "--tenant", "lerici:king"}, "", "SLUG:ROLE"},
		{"a long enough passphrase\n", []string{"user", "add", "--username", "x2", "--tenant", "nowhere:admin"}, "", "nowhere"},
		{"", []string{"user", "add", "--username", "x3", "--tenant", "lerici:admin"}, "", "no password"},
		{"another long passphrase\n", []string{"user", "passwd", "marco"}, "password of marco changed", ""},
		{"", []string{"user", "list"}, "lerici:admin", ""},
		{"", []string{"token", "create", "--tenant", "lerici", "--name", "firewall", "--role", "operator"}, "vdt_", ""},
		{"", []string{"token", "list", "--tenant", "lerici"}, "firewall", ""},
		{"", []string{"token", "revoke", "--tenant", "cosc", "019a0000-0000-7000-8000-000000000000"}, "", "not found"},
		{"", []string{"audit", "verify"}, "OK", ""},
		{"", []string{"nosuchcommand"}, "", "unexpected argument"},
	}
	for _, st := range steps {
		t.Run(strings.Join(st.args, " "), func(t *testing.T) {
			out, err := run(t, cfg, st.stdin, st.args...)
			if st.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), st.wantErr) {
					t.Fatalf("err = %v, want it to mention %q (output %q)", err, st.wantErr, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v (output %q)", err, out)
			}
			if !strings.Contains(out, st.want) {
				t.Fatalf("output %q does not contain %q", out, st.want)
			}
		})
	}
	// A token revoked by its id disappears from use.
	out, _ := run(t, cfg, "", "token", "list", "--tenant", "lerici")
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	if out, err := run(t, cfg, "", "token", "revoke", "--tenant", "lerici", id); err != nil {
		t.Fatalf("revoke: %v %s", err, out)
	}
	if out, _ := run(t, cfg, "", "token", "list", "--tenant", "lerici"); !strings.Contains(out, "revoked") {
		t.Fatalf("token not revoked: %s", out)
	}
}

func TestBadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.yaml")
	os.WriteFile(p, []byte("htp:\n  adr: 1\n"), 0o600)
	_, err := run(t, p, "", "tenant", "list")
	if err == nil || !strings.Contains(err.Error(), "htp") {
		t.Fatalf("err = %v", err)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"demo", "--help"}, {"user", "add", "--help"}, {"audit", "verify", "--help"}} {
		out, err := run(t, "", "", args...)
		if err != nil || !strings.Contains(out, "Usage: vedetta") {
			t.Errorf("%v: err %v, output %q", args, err, out)
		}
	}
}

// TestAuditVerifyDetectsTampering alters one audit row directly in the
// database (bypassing the append-only triggers as a DBA could) and expects
// `vedetta audit verify` to name exactly that entry; then it deletes a row
// and expects the entry after it to be named.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	cfg, dir := writeConfig(t)
	for _, slug := range []string{"one", "two", "three", "four"} {
		if out, err := run(t, cfg, "", "tenant", "add", "--slug", slug, "--name", slug, "--kind", "port"); err != nil {
			t.Fatal(err, out)
		}
	}
	if out, err := run(t, cfg, "", "audit", "verify"); err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("intact log: %v %s", err, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "vedetta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`DROP TRIGGER audit_log_no_update`)
	exec(`DROP TRIGGER audit_log_no_delete`)
	exec(`UPDATE audit_log SET detail = '{"slug":"forged"}' WHERE seq = 3`)
	out, err := run(t, cfg, "", "audit", "verify")
	if !errors.Is(err, ErrAuditBroken) || !strings.Contains(out, "entry 3") {
		t.Fatalf("altered entry 3: err %v, output %q", err, out)
	}
}

// TestAuditVerifyDetectsDeletion deletes an entry in the middle of the log:
// the entry after the gap is named.
func TestAuditVerifyDetectsDeletion(t *testing.T) {
	cfg, dir := writeConfig(t)
	for _, slug := range []string{"one", "two", "three"} {
		if out, err := run(t, cfg, "", "tenant", "add", "--slug", slug, "--name", slug, "--kind", "port"); err != nil {
			t.Fatal(err, out)
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "vedetta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TRIGGER audit_log_no_delete`, `DELETE FROM audit_log WHERE seq = 2`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	out, err := run(t, cfg, "", "audit", "verify")
	if !errors.Is(err, ErrAuditBroken) || !strings.Contains(out, "entry 3") {
		t.Fatalf("deleted entry 2: err %v, output %q", err, out)
	}
}
