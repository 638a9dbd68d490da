package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// API representations: explicit JSON shapes, never the store records, so no
// secret (password hash, TOTP secret, token hash) can leak by accident.

type apiTenant struct {
	ID      string           `json:"id"`
	Slug    string           `json:"slug"`
	Name    string           `json:"name"`
	Kind    store.TenantKind `json:"kind"`
	Country string           `json:"country"`
	Locale  string           `json:"locale"`
}

func toAPITenant(t *store.Tenant) apiTenant {
	return apiTenant{ID: t.ID, Slug: t.Slug, Name: t.Name, Kind: t.Kind, Country: t.Country, Locale: t.Locale}
}

type apiUser struct {
	ID          string     `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email,omitempty"`
	Role        store.Role `json:"role"`
	TOTPEnabled bool       `json:"totp_enabled"`
	Disabled    bool       `json:"disabled"`
}

type apiToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       store.Role `json:"role"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Secret     string     `json:"secret,omitempty"` // only in the creation answer
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toAPIToken(t store.APIToken) apiToken {
	return apiToken{ID: t.ID, Name: t.Name, Role: t.Role, Prefix: t.Prefix, CreatedAt: t.CreatedAt,
		ExpiresAt: optTime(t.ExpiresAt), RevokedAt: optTime(t.RevokedAt), LastUsedAt: optTime(t.LastUsedAt)}
}

type apiAudit struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	ActorID  string          `json:"actor_id"`
	TenantID string          `json:"tenant_id,omitempty"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	Detail   json.RawMessage `json:"detail"`
	IP       string          `json:"ip,omitempty"`
	Hash     string          `json:"hash"`
}

func (s *Server) apiWhoami(w http.ResponseWriter, r *http.Request, rq *request) error {
	writeJSON(w, http.StatusOK, map[string]any{"token": toAPIToken(*rq.Token), "tenant": toAPITenant(rq.Tenant)})
	return nil
}

func (s *Server) apiTenant(w http.ResponseWriter, r *http.Request, rq *request) error {
	writeJSON(w, http.StatusOK, toAPITenant(rq.Tenant))
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := s.tenantMembers(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "personal_data.read", "users", map[string]any{"count": len(rows), "via": "api"}); err != nil {
		return err
	}
	out := make([]apiUser, 0, len(rows))
	for _, m := range rows {
		out = append(out, apiUser{ID: m.User.ID, Username: m.User.Username, DisplayName: m.User.DisplayName, Email: m.User.Email, Role: m.Role, TOTPEnabled: m.User.TOTPEnabled, Disabled: m.User.Disabled})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	m, err := s.member(r.Context(), rq.Tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "personal_data.read", "user:"+m.User.ID, map[string]any{"via": "api"}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiUser{ID: m.User.ID, Username: m.User.Username, DisplayName: m.User.DisplayName, Email: m.User.Email, Role: m.Role, TOTPEnabled: m.User.TOTPEnabled, Disabled: m.User.Disabled})
	return nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, rq *request) error {
	toks, err := s.st.ListTokens(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	out := make([]apiToken, 0, len(toks))
	for _, t := range toks {
		out = append(out, toAPIToken(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

// decodeBody decodes a JSON request body strictly (unknown fields are
// errors), up to 1 MiB.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &httpError{Status: http.StatusBadRequest, Key: "error.bad_json", Err: err}
	}
	if dec.More() {
		return errStatus(http.StatusBadRequest, "error.bad_json")
	}
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		Name string     `json:"name"`
		Role store.Role `json:"role"`
		Days int        `json:"days"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	t, secret, err := s.createToken(r.Context(), rq, body.Name, body.Role, body.Days)
	if err != nil {
		var le *i18n.Error
		if errors.As(err, &le) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": le.Key, "message": le.Localize(rq.P)}})
			return nil
		}
		return err
	}
	out := toAPIToken(*t)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	if err := s.st.RevokeToken(r.Context(), rq.Tenant.ID, id, s.now()); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "token.revoke", "token:"+id, map[string]any{"via": "api"}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, _ := auditFilter(r)
	f.TenantIDs = []string{rq.Tenant.ID}
	entries, err := s.st.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "personal_data.read", "audit_log", map[string]any{"count": len(entries), "via": "api"}); err != nil {
		return err
	}
	out := make([]apiAudit, 0, len(entries))
	for _, e := range entries {
		detail := json.RawMessage(e.Detail)
		if !json.Valid(detail) {
			detail = json.RawMessage("{}")
		}
		out = append(out, apiAudit{Seq: e.Seq, Time: e.Time, Actor: e.ActorName, ActorID: e.ActorID, TenantID: e.TenantID, Action: e.Action, Object: e.Object, Detail: detail, IP: e.IP, Hash: e.Hash})
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
	return nil
}
