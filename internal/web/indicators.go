package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/detect"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// maxIndicatorUpload bounds an indicator file (about 100,000 lines).
const maxIndicatorUpload = 16 << 20

type indicatorsData struct {
	Indicators []store.Indicator
	Filter     store.IndicatorFilter
	Next       string
	CanManage  bool
	Types      []string
	Form       indicatorForm
}

type indicatorForm struct {
	Type, Value, Source, Confidence, TLP, ValidUntil, Description string
	File                                                          string // pasted CSV or JSON
	Format                                                        string
}

var indicatorTypes = []string{"ipv4", "ipv6", "cidr", "domain", "url", "md5", "sha1", "sha256", "email", "filename"}

func (s *Server) showIndicators(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderIndicators(w, r, rq, indicatorForm{Format: "csv", Confidence: "50"}, nil)
}

func (s *Server) renderIndicators(w http.ResponseWriter, r *http.Request, rq *request, form indicatorForm, ferr error) error {
	q := r.URL.Query()
	f := store.IndicatorFilter{Type: q.Get("type"), Text: strings.TrimSpace(q.Get("q")), Before: q.Get("before"), Limit: 100}
	list, err := s.st.ListIndicators(r.Context(), rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	d := indicatorsData{Indicators: list, Filter: f, CanManage: rq.Can(auth.PermManageIntel), Types: indicatorTypes, Form: form}
	if len(list) == f.Limit {
		d.Next = list[len(list)-1].ID
	}
	if ferr != nil {
		return s.formError(w, r, rq, "indicators", d, ferr)
	}
	s.render(w, r, rq, "indicators", d)
	return nil
}

// importIndicators parses an indicator file and stores it for the caller's
// tenant; a file with any bad record is refused whole.
func (s *Server) importIndicators(ctx context.Context, rq *request, data []byte, format, via string) (created, total int, err error) {
	_, name := rq.actor()
	inds, err := detect.ParseIndicators(data, format, rq.Tenant.ID, name)
	if err != nil {
		return 0, 0, i18n.NewError("indicator.bad_file", "reason", strings.TrimPrefix(err.Error(), "detect: invalid indicator file: "))
	}
	created, err = s.st.UpsertIndicators(ctx, inds)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return 0, 0, i18n.NewError("indicator.bad_file", "reason", err.Error())
		}
		return 0, 0, err
	}
	err = s.audit(ctx, rq, rq.Tenant.ID, "indicator.import", "indicators", map[string]any{"count": len(inds), "new": created, "format": format, "via": via})
	return created, len(inds), err
}

// doAddIndicators adds one indicator from the form fields, or a pasted
// CSV or JSON file.
func (s *Server) doAddIndicators(w http.ResponseWriter, r *http.Request, rq *request) error {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := indicatorForm{Type: v("type"), Value: v("value"), Source: v("source"), Confidence: v("confidence"), TLP: v("tlp"),
		ValidUntil: v("valid_until"), Description: v("description"), File: r.PostFormValue("file"), Format: v("format")}
	var data []byte
	format := form.Format
	if strings.TrimSpace(form.File) != "" {
		data = []byte(form.File)
	} else {
		// One indicator: written as a one-row CSV so it goes through the
		// same validation as files.
		format = "csv"
		var b strings.Builder
		b.WriteString("type,value,source,confidence,tlp,valid_until,description\n")
		for i, f := range []string{form.Type, form.Value, form.Source, form.Confidence, form.TLP, form.ValidUntil, form.Description} {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		}
		b.WriteByte('\n')
		data = []byte(b.String())
	}
	if _, _, err := s.importIndicators(r.Context(), rq, data, format, "web"); err != nil {
		return s.renderIndicators(w, r, rq, form, err)
	}
	return &errRedirect{"/indicators?flash=flash.saved"}
}

func (s *Server) deleteIndicator(ctx context.Context, rq *request, id, via string) error {
	if err := s.st.DeleteIndicator(ctx, rq.Tenant.ID, id); err != nil {
		return notFoundIf(err)
	}
	return s.audit(ctx, rq, rq.Tenant.ID, "indicator.delete", "indicator:"+id, map[string]any{"via": via})
}

func (s *Server) doDeleteIndicator(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.deleteIndicator(r.Context(), rq, r.PathValue("indicator"), "web"); err != nil {
		return err
	}
	return &errRedirect{"/indicators?flash=flash.saved"}
}

type apiIndicator struct {
	ID          string     `json:"id"`
	Type        string     `json:"type"`
	Value       string     `json:"value"`
	Source      string     `json:"source"`
	Confidence  int        `json:"confidence"`
	TLP         string     `json:"tlp,omitempty"`
	ValidFrom   *time.Time `json:"valid_from,omitempty"`
	ValidUntil  *time.Time `json:"valid_until,omitempty"`
	Tags        []string   `json:"tags"`
	Description string     `json:"description,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func (s *Server) apiIndicators(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	f := store.IndicatorFilter{Type: q.Get("type"), Text: strings.TrimSpace(q.Get("q")), Before: q.Get("before"), Limit: 1000}
	list, err := s.st.ListIndicators(r.Context(), rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	out := make([]apiIndicator, 0, len(list))
	for _, in := range list {
		tags := in.Tags
		if tags == nil {
			tags = []string{}
		}
		out = append(out, apiIndicator{ID: in.ID, Type: in.Type, Value: in.Value, Source: in.Source, Confidence: in.Confidence,
			TLP: in.TLP, ValidFrom: optTime(in.ValidFrom), ValidUntil: optTime(in.ValidUntil), Tags: tags,
			Description: in.Description, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt})
	}
	resp := map[string]any{"indicators": out}
	if len(list) == f.Limit {
		resp["next"] = list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// apiImportIndicators takes a CSV (Content-Type text/csv) or JSON
// (application/json) indicator file.
func (s *Server) apiImportIndicators(w http.ResponseWriter, r *http.Request, rq *request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	format := ""
	switch mt {
	case "text/csv":
		format = "csv"
	case "application/json":
		format = "json"
	default:
		return errStatus(http.StatusUnsupportedMediaType, "error.bad_request")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxIndicatorUpload+1))
	if err != nil {
		return errStatus(http.StatusBadRequest, "error.bad_request")
	}
	if len(data) > maxIndicatorUpload {
		return errStatus(http.StatusRequestEntityTooLarge, "error.bad_request")
	}
	created, total, err := s.importIndicators(r.Context(), rq, data, format, "api")
	if err != nil {
		return alertAPIError(w, rq, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"imported": total, "new": created})
	return nil
}

func (s *Server) apiDeleteIndicator(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.deleteIndicator(r.Context(), rq, r.PathValue("indicator"), "api"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
