-- Vedetta schema, PostgreSQL dialect, version 8: questions and answers on a
-- report exchanged with a remote Vedetta. On the receiving side (report
-- direction 'in') the centre's questions are written here and served to
-- the sender's poll; on the sending side (direction 'out') the poll copies
-- them here with remote_id, the id the centre gave the message, so a
-- message polled twice is stored once.
CREATE TABLE remote_report_messages (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	report_id   TEXT NOT NULL REFERENCES remote_reports (id) ON DELETE CASCADE,
	remote_id   TEXT NOT NULL DEFAULT '',
	author_name TEXT NOT NULL,
	body        TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX remote_report_messages_remote ON remote_report_messages (report_id, remote_id) WHERE remote_id <> '';
CREATE INDEX remote_report_messages_report ON remote_report_messages (tenant_id, report_id, created_at);
