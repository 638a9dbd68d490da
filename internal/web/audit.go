package web

import (
	"context"
	"encoding/json"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// audit appends an entry for an action of the caller. A failure to audit
// fails the request: an action that cannot be recorded must not pass
// silently.
func (s *Server) audit(ctx context.Context, rq *request, tenantID, action, object string, detail map[string]any) error {
	id, name := rq.actor()
	d := "{}"
	if len(detail) > 0 {
		b, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		d = string(b)
	}
	ip := ""
	if rq != nil {
		ip = rq.IP
	}
	return s.st.AppendAudit(ctx, &store.AuditEntry{
		Time: s.now(), ActorID: id, ActorName: name, TenantID: tenantID,
		Action: action, Object: object, Detail: d, IP: ip,
	})
}
