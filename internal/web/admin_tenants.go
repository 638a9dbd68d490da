package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

type tenantsData struct {
	Tenants []store.Tenant
	Form    store.Tenant
	Kinds   []store.TenantKind
}

func (s *Server) showTenants(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderTenants(w, r, rq, store.Tenant{Kind: store.KindMunicipality, Country: "IT", Locale: "it"}, nil)
}

func (s *Server) renderTenants(w http.ResponseWriter, r *http.Request, rq *request, form store.Tenant, ferr error) error {
	ts, err := s.st.ListTenants(r.Context())
	if err != nil {
		return err
	}
	d := tenantsData{Tenants: ts, Form: form, Kinds: store.TenantKinds}
	if ferr != nil {
		return s.formError(w, r, rq, "tenants", d, ferr)
	}
	s.render(w, r, rq, "tenants", d)
	return nil
}

// tenantFromForm reads and validates the tenant fields of a form.
func tenantFromForm(r *http.Request, t *store.Tenant) error {
	t.Name = strings.TrimSpace(r.PostFormValue("name"))
	t.Slug = strings.ToLower(strings.TrimSpace(r.PostFormValue("slug")))
	t.Kind = store.TenantKind(r.PostFormValue("kind"))
	t.Country = strings.ToUpper(strings.TrimSpace(r.PostFormValue("country")))
	t.Locale = i18n.Normalize(r.PostFormValue("locale"))
	return ValidateTenant(t)
}

// ValidateTenant checks a tenant's fields (also used by the CLI).
func ValidateTenant(t *store.Tenant) error {
	switch {
	case t.Name == "" || len(t.Name) > 200:
		return i18n.NewError("tenant.bad_name")
	case !validUsername(t.Slug):
		return i18n.NewError("tenant.bad_slug")
	case !t.Kind.Valid():
		return i18n.NewError("tenant.bad_kind")
	case t.Country != "IT" && t.Country != "AL" && t.Country != "ME":
		return i18n.NewError("tenant.bad_country")
	case t.Locale == "":
		return i18n.NewError("tenant.bad_locale")
	}
	return nil
}

func (s *Server) doCreateTenant(w http.ResponseWriter, r *http.Request, rq *request) error {
	var t store.Tenant
	if err := tenantFromForm(r, &t); err != nil {
		return s.renderTenants(w, r, rq, t, err)
	}
	if err := s.st.CreateTenant(r.Context(), &t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return s.renderTenants(w, r, rq, t, i18n.NewError("tenant.exists"))
		}
		return err
	}
	if err := s.audit(r.Context(), rq, t.ID, "tenant.create", "tenant:"+t.ID, map[string]any{"slug": t.Slug, "kind": t.Kind}); err != nil {
		return err
	}
	return &errRedirect{"/admin/tenants/" + t.ID + "?flash=flash.tenant_created"}
}

type tenantData struct {
	Tenant    store.Tenant
	Overseen  []store.Tenant
	Overseers []store.Tenant
	Others    []store.Tenant
	Kinds     []store.TenantKind
}

func (s *Server) tenantPage(r *http.Request, id string) (*tenantData, error) {
	ctx := r.Context()
	t, err := s.st.GetTenant(ctx, id)
	if err != nil {
		return nil, notFoundIf(err)
	}
	d := &tenantData{Tenant: *t, Kinds: store.TenantKinds}
	all, err := s.st.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]store.Tenant{}
	for _, x := range all {
		byID[x.ID] = x
	}
	down, err := s.st.ListOverseen(ctx, id)
	if err != nil {
		return nil, err
	}
	linked := map[string]bool{id: true}
	for _, g := range down {
		d.Overseen = append(d.Overseen, byID[g.OverseenID])
		linked[g.OverseenID] = true
	}
	up, err := s.st.ListOverseers(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, g := range up {
		d.Overseers = append(d.Overseers, byID[g.OverseerID])
	}
	for _, x := range all {
		if !linked[x.ID] {
			d.Others = append(d.Others, x)
		}
	}
	return d, nil
}

func (s *Server) showTenant(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.tenantPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, rq, "tenant", d)
	return nil
}

func (s *Server) doUpdateTenant(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.tenantPage(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	t := d.Tenant
	if err := tenantFromForm(r, &t); err != nil {
		return s.formError(w, r, rq, "tenant", d, err)
	}
	if err := s.st.UpdateTenant(r.Context(), &t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return s.formError(w, r, rq, "tenant", d, i18n.NewError("tenant.exists"))
		}
		return err
	}
	if err := s.audit(r.Context(), rq, t.ID, "tenant.update", "tenant:"+t.ID, map[string]any{"name": t.Name, "slug": t.Slug}); err != nil {
		return err
	}
	return &errRedirect{"/admin/tenants/" + t.ID + "?flash=flash.saved"}
}

func (s *Server) doGrantOversight(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	over, err := s.st.GetTenant(ctx, r.PathValue("id"))
	if err != nil {
		return notFoundIf(err)
	}
	under, err := s.st.GetTenant(ctx, r.PostFormValue("overseen_id"))
	if err != nil || under.ID == over.ID {
		return errStatus(http.StatusBadRequest, "tenant.bad_oversight")
	}
	if err := s.st.GrantOversight(ctx, store.Oversight{OverseerID: over.ID, OverseenID: under.ID, GrantedBy: rq.User.ID, CreatedAt: s.now()}); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	// Both sides learn of the grant in their own audit log.
	for _, tid := range []string{over.ID, under.ID} {
		if err := s.audit(ctx, rq, tid, "oversight.grant", "tenant:"+under.ID, map[string]any{"overseer": over.ID, "overseen": under.ID}); err != nil {
			return err
		}
	}
	return &errRedirect{"/admin/tenants/" + over.ID + "?flash=flash.saved"}
}

func (s *Server) doRevokeOversight(w http.ResponseWriter, r *http.Request, rq *request) error {
	over, under := r.PathValue("id"), r.PathValue("overseen")
	if err := s.st.RevokeOversight(r.Context(), over, under); err != nil {
		return notFoundIf(err)
	}
	for _, tid := range []string{over, under} {
		if err := s.audit(r.Context(), rq, tid, "oversight.revoke", "tenant:"+under, map[string]any{"overseer": over, "overseen": under}); err != nil {
			return err
		}
	}
	return &errRedirect{"/admin/tenants/" + over + "?flash=flash.saved"}
}
