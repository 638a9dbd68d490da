-- Vedetta schema, PostgreSQL dialect, version 5: incident cases with their
-- alert links, observables, tasks, comments, timeline, evidence (metadata;
-- the files live under the data directory) and chain of custody, legal
-- clocks, reports to overseeing tenants with their messages, blocks made
-- by playbook actions, per-tenant playbooks and incident settings, and the
-- action items drawn from lessons learned. Alert ids are plain text: the
-- alert store checks them when a case is linked.

CREATE TABLE cases (
	id              TEXT PRIMARY KEY,
	tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	title           TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	severity        TEXT NOT NULL,
	category        TEXT NOT NULL,
	owner_id        TEXT NOT NULL DEFAULT '',
	significant     BOOLEAN NOT NULL DEFAULT FALSE,
	public_admin    BOOLEAN NOT NULL DEFAULT FALSE,
	personal_data   BOOLEAN NOT NULL DEFAULT FALSE,
	playbook        TEXT NOT NULL DEFAULT '',
	tlp             TEXT NOT NULL DEFAULT 'amber',
	awareness_at    BIGINT NOT NULL DEFAULT 0,
	acknowledged_at BIGINT NOT NULL DEFAULT 0,
	contained_at    BIGINT NOT NULL DEFAULT 0,
	resolved_at     BIGINT NOT NULL DEFAULT 0,
	closed_at       BIGINT NOT NULL DEFAULT 0,
	resolution      TEXT NOT NULL DEFAULT '',
	lessons         TEXT NOT NULL DEFAULT '',
	created_by      TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);
CREATE INDEX cases_tenant ON cases (tenant_id, created_at);

CREATE TABLE case_alerts (
	tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id   TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	alert_id  TEXT NOT NULL,
	PRIMARY KEY (case_id, alert_id)
);
CREATE INDEX case_alerts_alert ON case_alerts (tenant_id, alert_id);

CREATE TABLE case_observables (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	type       TEXT NOT NULL,
	value      TEXT NOT NULL,
	personal   BOOLEAN NOT NULL DEFAULT FALSE,
	note       TEXT NOT NULL DEFAULT '',
	event_ids  TEXT NOT NULL DEFAULT '[]',
	alert_ids  TEXT NOT NULL DEFAULT '[]',
	created_at BIGINT NOT NULL,
	UNIQUE (case_id, type, value)
);

CREATE TABLE case_tasks (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	title       TEXT NOT NULL,
	done        BOOLEAN NOT NULL DEFAULT FALSE,
	assignee_id TEXT NOT NULL DEFAULT '',
	step        TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	done_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX case_tasks_case ON case_tasks (case_id);

CREATE TABLE case_comments (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	author_id   TEXT NOT NULL DEFAULT '',
	author_name TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX case_comments_case ON case_comments (case_id, created_at);

CREATE TABLE case_timeline (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	at         BIGINT NOT NULL,
	kind       TEXT NOT NULL,
	actor_name TEXT NOT NULL DEFAULT '',
	text       TEXT NOT NULL,
	ref        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_timeline_case ON case_timeline (case_id, at);

CREATE TABLE case_evidence (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	media_type  TEXT NOT NULL DEFAULT '',
	size        BIGINT NOT NULL,
	sha256      TEXT NOT NULL,
	path        TEXT NOT NULL,
	personal    BOOLEAN NOT NULL DEFAULT FALSE,
	uploaded_by TEXT NOT NULL DEFAULT '',
	uploaded_at BIGINT NOT NULL
);
CREATE INDEX case_evidence_case ON case_evidence (case_id);

CREATE TABLE evidence_custody (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	evidence_id TEXT NOT NULL REFERENCES case_evidence (id) ON DELETE CASCADE,
	at          BIGINT NOT NULL,
	actor_id    TEXT NOT NULL DEFAULT '',
	actor_name  TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	ip          TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX evidence_custody_evidence ON evidence_custody (evidence_id, at);

CREATE TABLE case_clocks (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	regime      TEXT NOT NULL,
	stage       TEXT NOT NULL,
	start_at    BIGINT NOT NULL,
	deadline_at BIGINT NOT NULL,
	met_at      BIGINT NOT NULL DEFAULT 0,
	notified_to TEXT NOT NULL DEFAULT '',
	report_id   TEXT NOT NULL DEFAULT '',
	waived      BOOLEAN NOT NULL DEFAULT FALSE,
	reminded_at BIGINT NOT NULL DEFAULT 0,
	UNIQUE (case_id, regime, stage)
);
CREATE INDEX case_clocks_due ON case_clocks (met_at, deadline_at);
CREATE INDEX case_clocks_tenant ON case_clocks (tenant_id);

CREATE TABLE case_reports (
	id              TEXT PRIMARY KEY,
	tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id         TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	recipient_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	stage           TEXT NOT NULL,
	lang            TEXT NOT NULL,
	title           TEXT NOT NULL,
	stix            BYTEA NOT NULL,
	pdf             BYTEA NOT NULL,
	personal_data   BOOLEAN NOT NULL DEFAULT FALSE,
	sent_by         TEXT NOT NULL DEFAULT '',
	sent_at         BIGINT NOT NULL,
	acknowledged_at BIGINT NOT NULL DEFAULT 0,
	acknowledged_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_reports_case ON case_reports (tenant_id, case_id);
CREATE INDEX case_reports_inbox ON case_reports (recipient_id, sent_at);

CREATE TABLE report_messages (
	id          TEXT PRIMARY KEY,
	report_id   TEXT NOT NULL REFERENCES case_reports (id) ON DELETE CASCADE,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	author_name TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX report_messages_report ON report_messages (report_id, created_at);

CREATE TABLE case_blocks (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	target     TEXT NOT NULL,
	action     TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL DEFAULT 0,
	ended_at   BIGINT NOT NULL DEFAULT 0,
	ended_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_blocks_tenant ON case_blocks (tenant_id, created_at);

CREATE TABLE tenant_playbooks (
	tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	yaml       TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (tenant_id, name)
);

CREATE TABLE incident_settings (
	tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	settings  TEXT NOT NULL
);

CREATE TABLE action_items (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	title      TEXT NOT NULL,
	done       BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT NOT NULL
);
CREATE INDEX action_items_tenant ON action_items (tenant_id, created_at);
