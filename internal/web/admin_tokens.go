package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

type tokensData struct {
	Tokens []store.APIToken
	Roles  []store.Role
	Secret string // shown once, right after creation
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderTokens(w, r, rq, "", nil)
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, rq *request, secret string, ferr error) error {
	toks, err := s.st.ListTokens(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	d := tokensData{Tokens: toks, Roles: store.Roles, Secret: secret}
	if ferr != nil {
		return s.formError(w, r, rq, "tokens", d, ferr)
	}
	s.render(w, r, rq, "tokens", d)
	return nil
}

// createToken makes a token for the caller's tenant. A caller cannot mint a
// token with more power than its own role.
func (s *Server) createToken(ctx context.Context, rq *request, name string, role store.Role, days int) (*store.APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, "", i18n.NewError("token.bad_name")
	}
	if !role.Valid() || roleRank(role) < roleRank(rq.Role) {
		return nil, "", i18n.NewError("token.bad_role")
	}
	if days < 0 || days > 3650 {
		return nil, "", i18n.NewError("token.bad_expiry")
	}
	secret, prefix, hash := auth.NewAPIToken()
	id, _ := rq.actor()
	t := &store.APIToken{TenantID: rq.Tenant.ID, Name: name, Role: role, Prefix: prefix, Hash: hash, CreatedBy: id, CreatedAt: s.now()}
	if days > 0 {
		t.ExpiresAt = t.CreatedAt.Add(time.Duration(days) * 24 * time.Hour)
	}
	if err := s.st.CreateToken(ctx, t); err != nil {
		return nil, "", err
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "token.create", "token:"+t.ID, map[string]any{"name": name, "role": role}); err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// roleRank orders roles by power (0 = most powerful).
func roleRank(r store.Role) int {
	for i, x := range store.Roles {
		if x == r {
			return i
		}
	}
	return len(store.Roles)
}

func (s *Server) doCreateToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	days := 0
	if v := r.PostFormValue("days"); v != "" {
		n, err := atoiStrict(v)
		if err != nil {
			return s.renderTokens(w, r, rq, "", i18n.NewError("token.bad_expiry"))
		}
		days = n
	}
	_, secret, err := s.createToken(r.Context(), rq, r.PostFormValue("name"), store.Role(r.PostFormValue("role")), days)
	if err != nil {
		return s.renderTokens(w, r, rq, "", err)
	}
	return s.renderTokens(w, r, rq, secret, nil)
}

func (s *Server) doRevokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	if err := s.st.RevokeToken(r.Context(), rq.Tenant.ID, id, s.now()); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "token.revoke", "token:"+id, nil); err != nil {
		return err
	}
	return &errRedirect{"/admin/tokens?flash=flash.token_revoked"}
}

func atoiStrict(s string) (int, error) {
	n := 0
	if s == "" || len(s) > 6 {
		return 0, errStatus(http.StatusBadRequest, "error.bad_request")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errStatus(http.StatusBadRequest, "error.bad_request")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}
