package web

import (
	"net/http"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

type auditData struct {
	Entries []store.AuditEntry
	Action  string
	Actor   string
	Since   string
	Until   string
	Next    int64
}

// auditFilter reads the list filters from the query string.
func auditFilter(r *http.Request) (store.AuditFilter, auditData) {
	q := r.URL.Query()
	d := auditData{Action: q.Get("action"), Actor: q.Get("actor"), Since: q.Get("since"), Until: q.Get("until")}
	f := store.AuditFilter{Action: d.Action, ActorID: d.Actor, Limit: 100}
	if t, err := time.Parse("2006-01-02", d.Since); err == nil {
		f.Since = t
	}
	if t, err := time.Parse("2006-01-02", d.Until); err == nil {
		f.Until = t.Add(24 * time.Hour)
	}
	if b, err := atoiStrict(q.Get("before")); err == nil {
		f.BeforeSeq = int64(b)
	}
	return f, d
}

// showAudit lists the audit log of the active tenant.
func (s *Server) showAudit(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, d := auditFilter(r)
	f.TenantIDs = []string{rq.Tenant.ID}
	return s.listAudit(w, r, rq, f, d, "audit")
}

// showPlatformAudit lists the whole installation's audit log.
func (s *Server) showPlatformAudit(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, d := auditFilter(r)
	return s.listAudit(w, r, rq, f, d, "audit")
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, rq *request, f store.AuditFilter, d auditData, view string) error {
	var err error
	d.Entries, err = s.st.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	if len(d.Entries) == f.Limit {
		d.Next = d.Entries[len(d.Entries)-1].Seq
	}
	// The log names people and addresses: reading it is itself audited.
	if err := s.audit(r.Context(), rq, auditTenant(f), "personal_data.read", "audit_log", map[string]any{"count": len(d.Entries)}); err != nil {
		return err
	}
	s.render(w, r, rq, view, d)
	return nil
}

func auditTenant(f store.AuditFilter) string {
	if len(f.TenantIDs) == 1 {
		return f.TenantIDs[0]
	}
	return ""
}
