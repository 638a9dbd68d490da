package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func TestSiteCommands(t *testing.T) {
	cfg, dir := writeConfig(t)
	good := filepath.Join(dir, "assets.csv")
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(good, []byte("name,type,criticality,ips,hostnames\nfw-comune,firewall,5,203.0.113.50,fw.comune.lerici.example\nwww,website,4,,www.comune.lerici.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("name,type,criticality\nok,server,3\nnope,router,9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{[]string{"migrate"}, "migrations applied", ""},
		{[]string{"tenant", "add", "--slug", "lerici", "--name", "Comune di Lerici", "--kind", "municipality"}, "tenant lerici created", ""},
		{[]string{"site", "import-assets", "--tenant", "lerici", bad}, `line 3, column type: unknown asset type "router"`, "nothing imported"},
		{[]string{"site", "import-assets", "--tenant", "nowhere", good}, "", "nowhere"},
		{[]string{"site", "import-assets", "--tenant", "lerici", good}, "2 assets imported into lerici", ""},
		{[]string{"site", "export-assets", "--tenant", "lerici"}, "fw-comune,firewall,5,active", ""},
		{[]string{"site", "locate", "--tenant", "lerici", "--lat", "95", "--lon", "9"}, "", "out of range"},
	}
	for _, s := range steps {
		out, err := run(t, cfg, "", s.args...)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Errorf("%v: err = %v, want %q", s.args, err, s.wantErr)
			}
		} else if err != nil {
			t.Errorf("%v: %v\n%s", s.args, err, out)
		}
		if s.want != "" && !strings.Contains(out, s.want) {
			t.Errorf("%v: output %q lacks %q", s.args, out, s.want)
		}
	}
	// The export, re-imported, updates rather than duplicates.
	out, err := run(t, cfg, "", "site", "export-assets", "--tenant", "lerici")
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "again.csv")
	if err := os.WriteFile(again, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, cfg, "", "site", "import-assets", "--tenant", "lerici", again); err != nil || !strings.Contains(out, "2 assets imported") {
		t.Errorf("re-import: %v %s", err, out)
	}
	if out2, _ := run(t, cfg, "", "site", "export-assets", "--tenant", "lerici"); out2 != out {
		t.Errorf("export after re-import differs:\n%s\n---\n%s", out, out2)
	}
}

// TestSiteBoundaries loads La Spezia's municipalities and asks where the
// port of La Spezia is (the done-when check of issue 5, from the binary).
func TestSiteBoundaries(t *testing.T) {
	file := testenv.SharedData(t, "geojson-italy/geojson/limits_P_11_municipalities.geojson")
	cfg, _ := writeConfig(t)
	for _, args := range [][]string{
		{"migrate"},
		{"tenant", "add", "--slug", "porto", "--name", "Porto", "--kind", "port"},
	} {
		if out, err := run(t, cfg, "", args...); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	out, err := run(t, cfg, "", "site", "boundaries", file)
	if err != nil || !strings.Contains(out, "32 municipality boundaries loaded") {
		t.Fatalf("boundaries: %v %s", err, out)
	}
	out, err = run(t, cfg, "", "site", "locate", "--tenant", "porto", "--lat", "44.10", "--lon", "9.83")
	if err != nil || !strings.Contains(out, "municipality: La Spezia") {
		t.Errorf("locate: %v %q", err, out)
	}
}
