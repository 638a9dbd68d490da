package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

type memberRow struct {
	User store.User
	Role store.Role
}

type usersData struct {
	Members []memberRow
	Form    userForm
	Roles   []store.Role
}

type userForm struct {
	Username, DisplayName, Email string
	Role                         store.Role
}

// tenantMembers lists the users of a tenant with their roles.
func (s *Server) tenantMembers(ctx context.Context, tenantID string) ([]memberRow, error) {
	ms, err := s.st.ListTenantMemberships(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	rows := make([]memberRow, 0, len(ms))
	for _, m := range ms {
		u, err := s.st.GetUser(ctx, m.UserID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return nil, err
		}
		rows = append(rows, memberRow{User: *u, Role: m.Role})
	}
	return rows, nil
}

// member returns a user of the tenant; users of other tenants are not found.
func (s *Server) member(ctx context.Context, tenantID, userID string) (*memberRow, error) {
	ms, err := s.st.ListTenantMemberships(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.UserID == userID {
			u, err := s.st.GetUser(ctx, userID)
			if err != nil {
				return nil, notFoundIf(err)
			}
			return &memberRow{User: *u, Role: m.Role}, nil
		}
	}
	return nil, errNotFound
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderUsers(w, r, rq, userForm{Role: store.RoleOperator}, nil)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, rq *request, form userForm, ferr error) error {
	rows, err := s.tenantMembers(r.Context(), rq.Tenant.ID)
	if err != nil {
		return err
	}
	// Usernames and e-mail addresses are personal data: reading them is audited.
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "personal_data.read", "users", map[string]any{"count": len(rows)}); err != nil {
		return err
	}
	d := usersData{Members: rows, Form: form, Roles: store.Roles}
	if ferr != nil {
		return s.formError(w, r, rq, "users", d, ferr)
	}
	s.render(w, r, rq, "users", d)
	return nil
}

func (s *Server) doCreateUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := userForm{
		Username:    strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))),
		DisplayName: strings.TrimSpace(r.PostFormValue("display_name")),
		Email:       strings.TrimSpace(r.PostFormValue("email")),
		Role:        store.Role(r.PostFormValue("role")),
	}
	if err := validateUserForm(f); err != nil {
		return s.renderUsers(w, r, rq, f, err)
	}
	pw := r.PostFormValue("password")
	u := &store.User{Username: f.Username, DisplayName: f.DisplayName, Email: f.Email}
	if err := s.hashNewPassword(u, pw); err != nil {
		return s.renderUsers(w, r, rq, f, err)
	}
	if err := s.st.CreateUser(r.Context(), u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return s.renderUsers(w, r, rq, f, i18n.NewError("user.exists"))
		}
		return err
	}
	if err := s.st.SetMembership(r.Context(), store.Membership{UserID: u.ID, TenantID: rq.Tenant.ID, Role: f.Role}); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "user.create", "user:"+u.ID, map[string]any{"username": u.Username, "role": f.Role}); err != nil {
		return err
	}
	return &errRedirect{"/admin/users?flash=flash.user_created"}
}

func validateUserForm(f userForm) error {
	if !validUsername(f.Username) {
		return i18n.NewError("user.bad_username")
	}
	if !f.Role.Valid() {
		return i18n.NewError("user.bad_role")
	}
	if f.Email != "" && (!strings.Contains(f.Email, "@") || len(f.Email) > 254 || strings.ContainsAny(f.Email, " \t\r\n<>")) {
		return i18n.NewError("user.bad_email")
	}
	if len(f.DisplayName) > 100 {
		return i18n.NewError("user.bad_display_name")
	}
	return nil
}

// validUsername allows 3–64 characters: letters, digits, dot, dash, underscore.
func validUsername(u string) bool {
	if len(u) < 3 || len(u) > 64 {
		return false
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) hashNewPassword(u *store.User, pw string) error {
	if err := checkPassword(pw, u.Username); err != nil {
		return err
	}
	hash, err := s.opt.Hasher.Hash(pw)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	return nil
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	m, err := s.member(r.Context(), rq.Tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "personal_data.read", "user:"+m.User.ID, nil); err != nil {
		return err
	}
	s.render(w, r, rq, "user", map[string]any{"Member": m, "Roles": store.Roles})
	return nil
}

func (s *Server) doUpdateUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	m, err := s.member(r.Context(), rq.Tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	role := store.Role(r.PostFormValue("role"))
	if !role.Valid() {
		return errStatus(http.StatusBadRequest, "user.bad_role")
	}
	if m.User.ID == rq.User.ID && role != m.Role {
		return errStatus(http.StatusBadRequest, "user.own_role")
	}
	if err := s.st.SetMembership(r.Context(), store.Membership{UserID: m.User.ID, TenantID: rq.Tenant.ID, Role: role}); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "user.role", "user:"+m.User.ID, map[string]any{"from": m.Role, "to": role}); err != nil {
		return err
	}
	return &errRedirect{"/admin/users/" + m.User.ID + "?flash=flash.saved"}
}

// doResetPassword sets a new password for a user who belongs to this tenant
// only; a user shared with other tenants is reset by a platform admin.
func (s *Server) doResetPassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	m, err := s.member(r.Context(), rq.Tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	ms, err := s.st.ListMemberships(r.Context(), m.User.ID)
	if err != nil {
		return err
	}
	if (len(ms) > 1 || m.User.PlatformAdmin) && !rq.IsPlatformAdmin() {
		return errStatus(http.StatusForbidden, "user.shared_reset")
	}
	u := m.User
	if err := s.setPassword(r, &u, r.PostFormValue("password")); err != nil {
		var le *i18n.Error
		if errors.As(err, &le) {
			w.WriteHeader(http.StatusBadRequest)
			s.renderPage(w, r, rq, &page{View: "user", Data: map[string]any{"Member": m, "Roles": store.Roles}, Error: le.Localize(rq.P)})
			return nil
		}
		return err
	}
	if err := s.st.DeleteUserSessions(r.Context(), u.ID); err != nil {
		return err
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "user.password_reset", "user:"+u.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/admin/users/" + u.ID + "?flash=flash.password_changed"}
}

func (s *Server) doRemoveUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	m, err := s.member(r.Context(), rq.Tenant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if m.User.ID == rq.User.ID {
		return errStatus(http.StatusBadRequest, "user.own_remove")
	}
	if err := s.st.RemoveMembership(r.Context(), m.User.ID, rq.Tenant.ID); err != nil {
		return notFoundIf(err)
	}
	if err := s.audit(r.Context(), rq, rq.Tenant.ID, "user.remove", "user:"+m.User.ID, nil); err != nil {
		return err
	}
	return &errRedirect{"/admin/users?flash=flash.user_removed"}
}
