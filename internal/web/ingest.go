package web

// registerIngestRoutes mounts the HTTP event receiver, POST /api/v1/events.
// It is not an s.route: it authenticates with a source's push token (not a
// user's API token), and the events it takes always belong to that
// source's tenant and source, whatever the body says, so there is no
// tenant or object id in the request to walk across tenants (see
// TestIngestTokenTenantIsolation).
func (s *Server) registerIngestRoutes() {
	if s.opt.Ingest == nil {
		return
	}
	s.mux.Handle("POST /api/v1/events", s.metrics.instrument("/api/v1/events", s.opt.Ingest))
}
