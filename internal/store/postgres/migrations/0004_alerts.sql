-- Vedetta schema, PostgreSQL dialect, version 4: alerts with their grouped
-- events and comments, suppression rules, indicators of compromise.
--
-- An alert groups the matches of one dedup key within a window; the
-- matches' event ids go to alert_events (the key that makes a redelivered
-- event count once). events_json keeps the first ids for display, bounded
-- by the store. Lists are served newest first by id (UUIDv7) within a
-- tenant; alerts_dedup finds the open alert to group into.

CREATE TABLE alerts (
	id               TEXT PRIMARY KEY,
	tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	kind             TEXT NOT NULL,
	rule_id          TEXT NOT NULL DEFAULT '',
	rule_title       TEXT NOT NULL DEFAULT '',
	indicator_id     TEXT NOT NULL DEFAULT '',
	indicator_value  TEXT NOT NULL DEFAULT '',
	indicator_source TEXT NOT NULL DEFAULT '',
	tlp              TEXT NOT NULL DEFAULT '',
	severity         TEXT NOT NULL,
	severity_rank    BIGINT NOT NULL,
	title            TEXT NOT NULL,
	description      TEXT NOT NULL DEFAULT '',
	tags_json        TEXT NOT NULL DEFAULT '[]',
	entities_json    TEXT NOT NULL DEFAULT '{}',
	search           TEXT NOT NULL DEFAULT '', -- lower-cased text for the Text filter
	dedup_key        TEXT NOT NULL,
	count            BIGINT NOT NULL,
	first_seen       BIGINT NOT NULL,
	last_seen        BIGINT NOT NULL,
	events_json      TEXT NOT NULL DEFAULT '[]',
	status           TEXT NOT NULL,
	assignee         TEXT NOT NULL DEFAULT '',
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL
);
CREATE INDEX alerts_tenant ON alerts (tenant_id, id);
CREATE INDEX alerts_dedup ON alerts (tenant_id, dedup_key, last_seen);
CREATE INDEX alerts_status ON alerts (tenant_id, status, id);

CREATE TABLE alert_events (
	alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	event_id TEXT NOT NULL,
	PRIMARY KEY (alert_id, event_id)
);

CREATE TABLE alert_comments (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	alert_id   TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	author     TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX alert_comments_alert ON alert_comments (tenant_id, alert_id, created_at);

CREATE TABLE suppressions (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	rule_id    TEXT NOT NULL DEFAULT '',
	field      TEXT NOT NULL DEFAULT '',
	value      TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL,
	author     TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL DEFAULT 0,
	hits       BIGINT NOT NULL DEFAULT 0,
	last_hit   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX suppressions_tenant ON suppressions (tenant_id, id);

CREATE TABLE indicators (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	type        TEXT NOT NULL,
	value       TEXT NOT NULL,
	source      TEXT NOT NULL DEFAULT '',
	confidence  BIGINT NOT NULL DEFAULT 50,
	tlp         TEXT NOT NULL DEFAULT '',
	valid_from  BIGINT NOT NULL DEFAULT 0,
	valid_until BIGINT NOT NULL DEFAULT 0,
	tags_json   TEXT NOT NULL DEFAULT '[]',
	description TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	UNIQUE (tenant_id, type, value, source)
);
CREATE INDEX indicators_tenant ON indicators (tenant_id, id);
