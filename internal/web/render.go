package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/i18n"
)

//go:embed templates
var templateFS embed.FS

// templates holds one parsed template set per view: the layout, every
// partial and the view itself.
type templates struct {
	views map[string]*template.Template
}

func parseTemplates(sf *staticFiles) (*templates, error) {
	funcs := template.FuncMap{
		"asset":     sf.URL,
		"hasAsset":  sf.Has,
		"upper":     strings.ToUpper,
		"join":      strings.Join,
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"eq2":       func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
		"langName":  func(l string) string { return i18n.Names[l] },
		"langs":     func() []string { return i18n.Supported },
		"sections":  func() []section { return sections },
		"countries": func() []string { return []string{"IT", "AL", "ME"} },
		"int64":     func(n int) int64 { return int64(n) },
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m, nil
		},
	}
	shared := []string{"templates/layout.html"}
	partials, _ := fs.Glob(templateFS, "templates/partials/*.html")
	shared = append(shared, partials...)
	views, err := fs.Glob(templateFS, "templates/views/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{views: map[string]*template.Template{}}
	for _, v := range views {
		name := strings.TrimSuffix(path.Base(v), ".html")
		tpl, err := template.New(name).Funcs(funcs).ParseFS(templateFS, append(shared, v)...)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		t.views[name] = tpl
	}
	return t, nil
}

// page is the data every view receives.
type page struct {
	View  string
	Title string
	R     *request
	P     *i18n.Printer
	CSRF  string
	Data  any
	Flash string
	Error string
	Path  string
}

// render executes a view inside the layout. Errors after the first byte
// cannot change the status, so the view is rendered to a buffer first.
func (s *Server) render(w http.ResponseWriter, r *http.Request, rq *request, view string, data any) {
	s.renderPage(w, r, rq, &page{View: view, Data: data})
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, rq *request, pg *page) {
	tpl, ok := s.tmpl.views[pg.View]
	if !ok {
		s.log.Error("unknown view", "view", pg.View)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pg.R, pg.P, pg.Path = rq, printerFor(r, rq), r.URL.Path
	if rq != nil && rq.Session != nil {
		pg.CSRF = rq.Session.CSRFToken
	}
	if pg.Flash == "" {
		if f := r.URL.Query().Get("flash"); f != "" && strings.HasPrefix(f, "flash.") {
			pg.Flash = pg.P.T(f)
		}
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "layout", pg); err != nil {
		s.log.Error("render", "view", pg.View, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

// formError re-renders a form view with a localised error and status 400.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, rq *request, view string, data any, err error) error {
	p := printerFor(r, rq)
	msg := p.T("error.internal")
	var le *i18n.Error
	var he *httpError
	switch {
	case asErr(err, &le):
		msg = le.Localize(p)
	case asErr(err, &he) && he.Status < 500:
		msg = p.T(he.Key)
	default:
		return err
	}
	w.WriteHeader(http.StatusBadRequest)
	s.renderPage(w, r, rq, &page{View: view, Data: data, Error: msg})
	return nil
}
