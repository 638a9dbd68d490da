package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// static holds our own CSS, JS and images; vendor/ is filled at build time
// from npm (see package.json and the Makefile) and is not committed.
//
//go:embed all:static
var staticFS embed.FS

// staticFiles serves embedded assets under /static/<hash>/<name>, so every
// change gets a new URL and files can be cached for a year.
type staticFiles struct {
	files map[string][]byte
	hash  map[string]string
}

func loadStatic() (*staticFiles, error) {
	sf := &staticFiles{files: map[string][]byte{}, hash: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(data)
		sf.files[name] = data
		sf.hash[name] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static: %w", err)
	}
	return sf, nil
}

// URL returns the content-hashed URL of an asset ("" when missing).
func (sf *staticFiles) URL(name string) string {
	h, ok := sf.hash[name]
	if !ok {
		return ""
	}
	return "/static/" + h + "/" + name
}

// Has reports whether an asset exists (vendor files are optional).
func (sf *staticFiles) Has(name string) bool { _, ok := sf.files[name]; return ok }

func (sf *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, name := r.PathValue("hash"), r.PathValue("name")
	data, ok := sf.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if sf.hash[name] != h {
		// An old hash: serve the current file but do not let it be cached.
		w.Header().Set("Cache-Control", "no-cache")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(data)
}
