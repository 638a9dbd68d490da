package sqlstore

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestLoadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"0010_more.sql":    file("CREATE TABLE b (x TEXT);"),
		"0001_init.sql":    file("CREATE TABLE a (x TEXT);"),
		"0002_indexes.sql": file("CREATE INDEX a_x ON a (x);"),
	}
	got, err := LoadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{
		{Version: 1, Name: "0001_init.sql", SQL: "CREATE TABLE a (x TEXT);"},
		{Version: 2, Name: "0002_indexes.sql", SQL: "CREATE INDEX a_x ON a (x);"},
		{Version: 10, Name: "0010_more.sql", SQL: "CREATE TABLE b (x TEXT);"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadMigrationsMalformed(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"no number", fstest.MapFS{"init.sql": file("")}, "unexpected entry"},
		{"short number", fstest.MapFS{"001_init.sql": file("")}, "unexpected entry"},
		{"not sql", fstest.MapFS{"0001_init.txt": file("")}, "unexpected entry"},
		{"upper case", fstest.MapFS{"0001_Init.sql": file("")}, "unexpected entry"},
		{"stray file", fstest.MapFS{"0001_init.sql": file(""), "README": file("")}, "unexpected entry"},
		{"directory", fstest.MapFS{"0001_init.sql/x": file("")}, "unexpected entry"},
		{"version zero", fstest.MapFS{"0000_zero.sql": file("")}, "bad version"},
		{"version overflow", fstest.MapFS{"99999999999999999999_big.sql": file("")}, "bad version"},
		{"duplicate version", fstest.MapFS{"0001_a.sql": file(""), "0001_c.sql": file("")}, "share version 1"},
		{"same version twice", fstest.MapFS{"0001_a.sql": file(""), "00001_b.sql": file("")}, "share version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadMigrations(tt.fsys)
			if err == nil {
				t.Fatalf("LoadMigrations = %v, want an error", got)
			}
			if got != nil {
				t.Errorf("LoadMigrations returned %d migrations with its error", len(got))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
