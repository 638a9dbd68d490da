-- Vedetta schema, PostgreSQL dialect, version 7: reports exchanged with a
-- remote Vedetta over HTTPS. case_reports needs the sender's case and the
-- recipient as local tenants; here one side is remote. direction 'in' is a
-- report received by tenant_id through POST /api/v1/reports/inbound (peer
-- is the name the sender gave, untrusted; case_id is empty); 'out' is a
-- report tenant_id sent from case case_id to the remote centre at peer
-- (its URL), which gave it remote_id.
CREATE TABLE remote_reports (
	id              TEXT PRIMARY KEY,
	tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
	case_id         TEXT NOT NULL DEFAULT '',
	peer            TEXT NOT NULL,
	remote_id       TEXT NOT NULL DEFAULT '',
	stage           TEXT NOT NULL,
	lang            TEXT NOT NULL DEFAULT '',
	title           TEXT NOT NULL,
	stix            BYTEA NOT NULL,
	pdf             BYTEA NOT NULL,
	personal_data   BOOLEAN NOT NULL DEFAULT FALSE,
	sent_by         TEXT NOT NULL DEFAULT '',
	sent_at         BIGINT NOT NULL,
	acknowledged_at BIGINT NOT NULL DEFAULT 0,
	acknowledged_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX remote_reports_tenant ON remote_reports (tenant_id, direction, sent_at);
CREATE INDEX remote_reports_case ON remote_reports (tenant_id, case_id);
