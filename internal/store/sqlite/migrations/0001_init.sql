-- Vedetta schema, SQLite dialect, version 1: tenants, users, memberships,
-- oversight grants, sessions, API tokens and the hash-chained audit log.
-- Timestamps are INTEGER Unix milliseconds (0 = unset), audit times Unix
-- nanoseconds; ids are TEXT (UUIDv7). Events, alerts, cases and indicators
-- come in later migrations and reference tenants(id) the same way.

CREATE TABLE tenants (
	id         TEXT PRIMARY KEY,
	slug       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	country    TEXT NOT NULL DEFAULT '',
	locale     TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
	id             TEXT PRIMARY KEY,
	username       TEXT NOT NULL UNIQUE, -- stored lower-case
	display_name   TEXT NOT NULL DEFAULT '',
	email          TEXT NOT NULL DEFAULT '',
	password_hash  TEXT NOT NULL DEFAULT '',
	locale         TEXT NOT NULL DEFAULT '',
	platform_admin INTEGER NOT NULL DEFAULT 0,
	totp_secret    TEXT NOT NULL DEFAULT '',
	totp_enabled   INTEGER NOT NULL DEFAULT 0,
	failed_logins  INTEGER NOT NULL DEFAULT 0,
	locked_until   INTEGER NOT NULL DEFAULT 0,
	disabled       INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
	user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	role      TEXT NOT NULL,
	PRIMARY KEY (user_id, tenant_id)
) STRICT;
CREATE INDEX memberships_tenant ON memberships (tenant_id);

CREATE TABLE oversight (
	overseer_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	overseen_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	granted_by  TEXT NOT NULL DEFAULT '', -- a user id; kept when the user goes
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (overseer_id, overseen_id),
	CHECK (overseer_id <> overseen_id)
) STRICT;
CREATE INDEX oversight_overseen ON oversight (overseen_id);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY, -- SHA-256 hex of the cookie token
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	tenant_id    TEXT NOT NULL DEFAULT '', -- '' until chosen; cleared by DeleteTenant
	csrf_token   TEXT NOT NULL DEFAULT '',
	totp_pending INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name         TEXT NOT NULL DEFAULT '',
	role         TEXT NOT NULL,
	prefix       TEXT NOT NULL DEFAULT '',
	hash         TEXT NOT NULL UNIQUE,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL DEFAULT 0,
	revoked_at   INTEGER NOT NULL DEFAULT 0,
	last_used_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, created_at);

-- The audit log has no foreign keys: it outlives what it talks about.
CREATE TABLE audit_log (
	seq        INTEGER PRIMARY KEY,
	time_ns    INTEGER NOT NULL,
	actor_id   TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	tenant_id  TEXT NOT NULL,
	action     TEXT NOT NULL,
	object     TEXT NOT NULL,
	detail     TEXT NOT NULL,
	ip         TEXT NOT NULL,
	prev_hash  TEXT NOT NULL,
	hash       TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_time ON audit_log (time_ns);

-- Append-only. Anyone who can open the file can drop these triggers;
-- VerifyAudit is what detects a row changed or removed that way.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
