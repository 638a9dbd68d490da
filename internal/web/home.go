package web

import (
	"net/http"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// section is one area of the main navigation. An area whose capability is
// built sets URL to its page; until then it links to a page that says the
// area is not in this version.
type section struct {
	Name string
	URL  string
}

// sections are the areas of the main navigation, in order.
var sections = []section{
	{Name: "dashboard", URL: "/dashboard"}, {Name: "map", URL: "/map"}, {Name: "events", URL: "/events"}, {Name: "alerts", URL: "/alerts"}, {Name: "cases", URL: "/cases"},
	{Name: "intelligence"}, {Name: "scans"}, {Name: "posture"}, {Name: "training"},
}

// Href is the link of a section.
func (s section) Href() string {
	if s.URL != "" {
		return s.URL
	}
	return "/section/" + s.Name
}

type homeData struct {
	Members  int
	Tokens   int
	Overseen []store.Tenant
	Recent   []store.AuditEntry
	// Breached counts the legal deadlines of cases past due.
	Breached int
}

// showHome is the landing page: the active tenant at a glance.
func (s *Server) showHome(w http.ResponseWriter, r *http.Request, rq *request) error {
	var d homeData
	if rq.Tenant != nil {
		ctx := r.Context()
		ms, err := s.st.ListTenantMemberships(ctx, rq.Tenant.ID)
		if err != nil {
			return err
		}
		d.Members = len(ms)
		if rq.Can(auth.PermManageTokens) {
			toks, err := s.st.ListTokens(ctx, rq.Tenant.ID)
			if err != nil {
				return err
			}
			for _, t := range toks {
				if t.RevokedAt.IsZero() {
					d.Tokens++
				}
			}
		}
		grants, err := s.st.ListOverseen(ctx, rq.Tenant.ID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if t, err := s.st.GetTenant(ctx, g.OverseenID); err == nil {
				d.Overseen = append(d.Overseen, *t)
			}
		}
		if rq.Can(auth.PermReadEvents) {
			if d.Breached, err = s.st.CountBreachedClocks(ctx, rq.Tenant.ID, s.now()); err != nil {
				return err
			}
		}
		if rq.Can(auth.PermReadAudit) {
			d.Recent, err = s.st.ListAudit(ctx, store.AuditFilter{TenantIDs: []string{rq.Tenant.ID}, Limit: 8})
			if err != nil {
				return err
			}
		}
	}
	s.render(w, r, rq, "home", d)
	return nil
}

// showSection renders a navigation area whose capability is not in this
// build yet, saying so plainly.
func (s *Server) showSection(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("section")
	for _, sec := range sections {
		if sec.Name == name && sec.URL == "" {
			s.render(w, r, rq, "section", name)
			return nil
		}
	}
	return errNotFound
}

// doSwitchTenant changes the active tenant to one the user belongs to or
// oversees.
func (s *Server) doSwitchTenant(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PostFormValue("tenant_id")
	for _, c := range rq.Tenants {
		if c.Tenant.ID != id {
			continue
		}
		rq.Session.TenantID = id
		if err := s.st.UpdateSession(r.Context(), rq.Session); err != nil {
			return err
		}
		action := "tenant.switch"
		if c.Overseeing {
			action = "oversight.access"
		}
		if err := s.audit(r.Context(), rq, id, action, "tenant:"+id, nil); err != nil {
			return err
		}
		return &errRedirect{"/"}
	}
	return errNotFound
}
