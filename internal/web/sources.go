package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// sourceTokenPrefix starts every HTTP push token, so a leaked one is
// recognisable (and told apart from API tokens, "vdt_").
const sourceTokenPrefix = "vsp_"

// newSourceToken returns a push token, its display prefix and its hash
// (auth.HashToken, which the HTTP receiver looks up).
func newSourceToken() (secret, prefix, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails since Go 1.24
	secret = sourceTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, secret[:12], auth.HashToken(secret)
}

// sourceRow is a source with its health, for the list.
type sourceRow struct {
	store.Source
	Health store.SourceHealth
	Rate   string
	Silent bool
}

type sourcesData struct {
	Rows      []sourceRow
	CanManage bool
}

func (s *Server) sourceRows(ctx context.Context, tenantID string) ([]sourceRow, error) {
	srcs, err := s.st.ListSources(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	hs, err := s.st.ListSourceHealth(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]store.SourceHealth, len(hs))
	for _, h := range hs {
		byID[h.SourceID] = h
	}
	now := s.now()
	rows := make([]sourceRow, 0, len(srcs))
	for _, src := range srcs {
		h := byID[src.ID]
		rows = append(rows, sourceRow{Source: src, Health: h, Silent: src.Silent(h, now)})
	}
	return rows, nil
}

func (s *Server) showSources(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := s.sourceRows(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Rate = rateText(rq.P, rows[i].Health.Rate(s.now()))
	}
	s.render(w, r, rq, "sources", sourcesData{Rows: rows, CanManage: rq.Can(auth.PermManageSettings)})
	return nil
}

// sourceForm is the create/edit form.
type sourceForm struct {
	Source   store.Source
	Interval string // ExpectedInterval as typed ("15m")
	New      bool
	Secret   string // a push token, shown once
	Kinds    []string
}

func (s *Server) showNewSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	s.render(w, r, rq, "source", sourceForm{New: true, Kinds: store.SourceKinds,
		Source: store.Source{Kind: store.SourceSyslogUDP, KeepRaw: true, Enabled: true, Config: "{}"}})
	return nil
}

// sourceInput is what a client may set on a source (form or JSON).
type sourceInput struct {
	Name             string          `json:"name"`
	Kind             string          `json:"kind"`
	Format           string          `json:"format"`
	Match            string          `json:"match"`
	Config           json.RawMessage `json:"config,omitempty"`
	KeepRaw          *bool           `json:"keep_raw,omitempty"`
	ExpectedInterval string          `json:"expected_interval,omitempty"` // Go duration, "15m"
	RateLimit        int             `json:"rate_limit"`
	Enabled          *bool           `json:"enabled,omitempty"`
}

func formSourceInput(r *http.Request) (sourceInput, error) {
	in := sourceInput{
		Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Format: r.PostFormValue("format"),
		Match: r.PostFormValue("match"), ExpectedInterval: r.PostFormValue("expected_interval"),
	}
	if c := strings.TrimSpace(r.PostFormValue("config")); c != "" {
		in.Config = json.RawMessage(c)
	}
	keep, enabled := r.PostFormValue("keep_raw") == "on", r.PostFormValue("enabled") == "on"
	in.KeepRaw, in.Enabled = &keep, &enabled
	if v := r.PostFormValue("rate_limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, i18n.NewError("source.bad_rate")
		}
		in.RateLimit = n
	}
	return in, nil
}

// apply checks in and writes it onto src.
func (in sourceInput) apply(src *store.Source) error {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "" || len(in.Name) > 100:
		return i18n.NewError("source.bad_name")
	case !store.ValidSourceKind(in.Kind):
		return i18n.NewError("source.bad_kind")
	case len(in.Format) > 64 || len(in.Match) > 500:
		return i18n.NewError("source.too_long")
	case in.RateLimit < 0 || in.RateLimit > 10_000_000:
		return i18n.NewError("source.bad_rate")
	}
	cfg := "{}"
	if len(in.Config) > 0 {
		var obj map[string]any
		if len(in.Config) > 64<<10 || json.Unmarshal(in.Config, &obj) != nil || obj == nil {
			return i18n.NewError("source.bad_config")
		}
		cfg = string(in.Config)
	}
	var interval time.Duration
	if v := strings.TrimSpace(in.ExpectedInterval); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 90*24*time.Hour {
			return i18n.NewError("source.bad_interval")
		}
		interval = d
	}
	src.Name, src.Kind, src.Format, src.Match = in.Name, in.Kind, strings.TrimSpace(in.Format), strings.TrimSpace(in.Match)
	src.Config, src.ExpectedInterval, src.RateLimit = cfg, interval, in.RateLimit
	if in.KeepRaw != nil {
		src.KeepRaw = *in.KeepRaw
	}
	if in.Enabled != nil {
		src.Enabled = *in.Enabled
	}
	if src.Kind != store.SourceHTTP {
		src.TokenPrefix, src.TokenHash = "", ""
	}
	return nil
}

// storeError maps the store's refusals of a source to form errors.
func storeError(err error) error {
	switch {
	case errors.Is(err, store.ErrConflict):
		return i18n.NewError("source.name_taken")
	case errors.Is(err, store.ErrInvalid):
		return i18n.NewError("source.invalid")
	}
	return notFoundIf(err)
}

// createSource stores a new source for the caller's tenant; an HTTP source
// gets a push token, returned once.
func (s *Server) createSource(ctx context.Context, rq *request, in sourceInput) (*store.Source, string, error) {
	src := &store.Source{TenantID: rq.Tenant.ID, KeepRaw: true, Enabled: true}
	if err := in.apply(src); err != nil {
		return nil, "", err
	}
	secret := ""
	if src.Kind == store.SourceHTTP {
		secret, src.TokenPrefix, src.TokenHash = newSourceToken()
	}
	if err := s.st.CreateSource(ctx, src); err != nil {
		return nil, "", storeError(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "source.create", "source:"+src.ID, map[string]any{"name": src.Name, "kind": src.Kind}); err != nil {
		return nil, "", err
	}
	return src, secret, nil
}

// updateSource applies in to the tenant's source id. An HTTP source that
// has no token yet (it was of another kind) gets one, returned once.
func (s *Server) updateSource(ctx context.Context, rq *request, id string, in sourceInput) (*store.Source, string, error) {
	src, err := s.st.GetSource(ctx, rq.Tenant.ID, id)
	if err != nil {
		return nil, "", notFoundIf(err)
	}
	if err := in.apply(src); err != nil {
		return src, "", err
	}
	secret := ""
	if src.Kind == store.SourceHTTP && src.TokenHash == "" {
		secret, src.TokenPrefix, src.TokenHash = newSourceToken()
	}
	if err := s.st.UpdateSource(ctx, src); err != nil {
		return src, "", storeError(err)
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "source.update", "source:"+src.ID, map[string]any{"name": src.Name, "kind": src.Kind, "enabled": src.Enabled}); err != nil {
		return nil, "", err
	}
	return src, secret, nil
}

func (s *Server) doCreateSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	in, err := formSourceInput(r)
	form := sourceForm{New: true, Kinds: store.SourceKinds, Interval: in.ExpectedInterval,
		Source: store.Source{Name: in.Name, Kind: in.Kind, Format: in.Format, Match: in.Match, Config: string(in.Config), KeepRaw: *in.KeepRaw, Enabled: *in.Enabled, RateLimit: in.RateLimit}}
	if err == nil {
		var src *store.Source
		var secret string
		if src, secret, err = s.createSource(r.Context(), rq, in); err == nil {
			if secret == "" {
				return &errRedirect{"/sources?flash=flash.source_saved"}
			}
			s.render(w, r, rq, "source", sourceForm{Source: *src, Interval: durationText(src.ExpectedInterval), Kinds: store.SourceKinds, Secret: secret})
			return nil
		}
	}
	return s.formError(w, r, rq, "source", form, err)
}

func (s *Server) showSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	src, err := s.st.GetSource(r.Context(), rq.Tenant.ID, r.PathValue("source"))
	if err != nil {
		return notFoundIf(err)
	}
	s.render(w, r, rq, "source", sourceForm{Source: *src, Interval: durationText(src.ExpectedInterval), Kinds: store.SourceKinds})
	return nil
}

func (s *Server) doUpdateSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	in, err := formSourceInput(r)
	var src *store.Source
	var secret string
	if err == nil {
		src, secret, err = s.updateSource(r.Context(), rq, r.PathValue("source"), in)
	}
	if err != nil {
		if src == nil {
			if errors.Is(err, errNotFound) {
				return err
			}
			src = &store.Source{ID: r.PathValue("source")}
		}
		return s.formError(w, r, rq, "source", sourceForm{Source: *src, Interval: in.ExpectedInterval, Kinds: store.SourceKinds}, err)
	}
	if secret == "" {
		return &errRedirect{"/sources?flash=flash.source_saved"}
	}
	s.render(w, r, rq, "source", sourceForm{Source: *src, Interval: durationText(src.ExpectedInterval), Kinds: store.SourceKinds, Secret: secret})
	return nil
}

func (s *Server) doRotateSourceToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	src, err := s.st.GetSource(ctx, rq.Tenant.ID, r.PathValue("source"))
	if err != nil {
		return notFoundIf(err)
	}
	if src.Kind != store.SourceHTTP {
		return errStatus(http.StatusBadRequest, "error.bad_request")
	}
	var secret string
	secret, src.TokenPrefix, src.TokenHash = newSourceToken()
	if err := s.st.UpdateSource(ctx, src); err != nil {
		return err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "source.token_rotate", "source:"+src.ID, nil); err != nil {
		return err
	}
	s.render(w, r, rq, "source", sourceForm{Source: *src, Interval: durationText(src.ExpectedInterval), Kinds: store.SourceKinds, Secret: secret})
	return nil
}

func (s *Server) deleteSource(ctx context.Context, rq *request, id, via string) error {
	if err := s.st.DeleteSource(ctx, rq.Tenant.ID, id); err != nil {
		return notFoundIf(err)
	}
	return s.audit(ctx, rq, rq.Tenant.ID, "source.delete", "source:"+id, map[string]any{"via": via})
}

func (s *Server) doDeleteSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.deleteSource(r.Context(), rq, r.PathValue("source"), "web"); err != nil {
		return err
	}
	return &errRedirect{"/sources?flash=flash.source_deleted"}
}

// apiSource is the JSON shape of a source; the token hash never leaves.
type apiSourceOut struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Kind             string          `json:"kind"`
	Format           string          `json:"format"`
	Match            string          `json:"match"`
	Config           json.RawMessage `json:"config"`
	TokenPrefix      string          `json:"token_prefix,omitempty"`
	Token            string          `json:"token,omitempty"` // only when just issued
	KeepRaw          bool            `json:"keep_raw"`
	ExpectedInterval string          `json:"expected_interval,omitempty"`
	RateLimit        int             `json:"rate_limit"`
	Enabled          bool            `json:"enabled"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	Health           *apiHealth      `json:"health,omitempty"`
}

type apiHealth struct {
	Events    int64      `json:"events"`
	Errors    int64      `json:"errors"`
	LastError string     `json:"last_error,omitempty"`
	LastEvent *time.Time `json:"last_event,omitempty"`
	Rate      float64    `json:"events_per_second"`
	Silent    bool       `json:"silent"`
}

func toAPISource(src store.Source) apiSourceOut {
	cfg := json.RawMessage(src.Config)
	if !json.Valid(cfg) {
		cfg = json.RawMessage("{}")
	}
	out := apiSourceOut{ID: src.ID, Name: src.Name, Kind: src.Kind, Format: src.Format, Match: src.Match, Config: cfg,
		TokenPrefix: src.TokenPrefix, KeepRaw: src.KeepRaw, RateLimit: src.RateLimit, Enabled: src.Enabled,
		CreatedAt: src.CreatedAt, UpdatedAt: src.UpdatedAt}
	if src.ExpectedInterval > 0 {
		out.ExpectedInterval = src.ExpectedInterval.String()
	}
	return out
}

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := s.sourceRows(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	out := make([]apiSourceOut, 0, len(rows))
	for _, row := range rows {
		o := toAPISource(row.Source)
		o.Health = &apiHealth{Events: row.Health.Events, Errors: row.Health.Errors, LastError: row.Health.LastError,
			LastEvent: optTime(row.Health.LastEvent), Rate: row.Health.Rate(s.now()), Silent: row.Silent}
		out = append(out, o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": out})
	return nil
}

func (s *Server) apiSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	src, err := s.st.GetSource(r.Context(), rq.Tenant.ID, r.PathValue("source"))
	if err != nil {
		return notFoundIf(err)
	}
	writeJSON(w, http.StatusOK, toAPISource(*src))
	return nil
}

func (s *Server) apiCreateSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in sourceInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	src, secret, err := s.createSource(r.Context(), rq, in)
	if err != nil {
		return apiError(w, rq, err)
	}
	out := toAPISource(*src)
	out.Token = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiUpdateSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in sourceInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	src, secret, err := s.updateSource(r.Context(), rq, r.PathValue("source"), in)
	if err != nil {
		return apiError(w, rq, err)
	}
	out := toAPISource(*src)
	out.Token = secret
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiDeleteSource(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.deleteSource(r.Context(), rq, r.PathValue("source"), "api"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// retentionRow is one category on the retention page.
type retentionRow struct {
	Category string
	Days     int
	Default  int
}

func (s *Server) retentionRows(ctx context.Context, tenantID string) ([]retentionRow, error) {
	pols, err := s.st.ListRetention(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	rows := make([]retentionRow, 0, len(pols))
	for _, p := range pols {
		rows = append(rows, retentionRow{Category: p.Category, Days: p.Days, Default: store.RetentionDays(p.Category)})
	}
	return rows, nil
}

func (s *Server) showRetention(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := s.retentionRows(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	s.render(w, r, rq, "retention", rows)
	return nil
}

// doRetention saves the policy of every category on the page: a value equal
// to the default, or empty, removes the tenant's own policy.
func (s *Server) doRetention(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	rows, err := s.retentionRows(ctx, rq.Tenant.ID)
	if err != nil {
		return err
	}
	changed := map[string]int{}
	var bad error
	for i, row := range rows {
		v := strings.TrimSpace(r.PostFormValue("days_" + row.Category))
		days := row.Default
		if v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > store.MaxRetentionDays {
				bad = i18n.NewError("retention.bad_days", "max", store.MaxRetentionDays)
				continue
			}
			days = n
		}
		rows[i].Days = days
		if days != row.Days {
			changed[row.Category] = days
		}
	}
	if bad != nil {
		return s.formError(w, r, rq, "retention", rows, bad)
	}
	for _, row := range rows {
		days, ok := changed[row.Category]
		if !ok {
			continue
		}
		if days == row.Default {
			days = 0
		}
		if err := s.st.SetRetention(ctx, store.Retention{TenantID: rq.Tenant.ID, Category: row.Category, Days: days}); err != nil {
			return err
		}
	}
	if len(changed) > 0 {
		if err := s.audit(ctx, rq, rq.Tenant.ID, "retention.update", "retention", map[string]any{"days": changed}); err != nil {
			return err
		}
	}
	return &errRedirect{"/settings/retention?flash=flash.retention_saved"}
}
