package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestUsedKeysAreTranslated finds every translation key the templates and
// handlers use literally, plus the keys built from known values, and fails
// when English or Italian lacks one: a page can never show a raw key.
func TestUsedKeysAreTranslated(t *testing.T) {
	keys := map[string]bool{}
	literal := regexp.MustCompile(`(?:\.P\.T|\.P\.Plural|\bT|NewError|errStatus\([^,]+,|Key:)\s*\(?"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)
	add := func(src string) {
		for _, m := range literal.FindAllStringSubmatch(src, -1) {
			keys[m[1]] = true
		}
	}
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		add(string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		add(string(b))
		for _, m := range regexp.MustCompile(`"(flash\.[a-z_]+)`).FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	for _, s := range sections {
		keys["nav."+s.Name] = true
		keys["section."+s.Name] = true
	}
	for _, r := range store.Roles {
		keys["role."+string(r)] = true
	}
	for _, k := range store.TenantKinds {
		keys["tenant.kind."+string(k)] = true
	}
	for _, c := range store.RetentionKinds {
		keys["category."+c] = true
	}
	for _, c := range []string{"IT", "AL", "ME"} {
		keys["country."+c] = true
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(keys))
	}
	for _, lang := range i18n.Complete {
		c := i18n.Catalog(lang)
		for k := range keys {
			if _, ok := c[k]; !ok {
				t.Errorf("%s: key %q is used but not translated", lang, k)
			}
		}
	}
}
