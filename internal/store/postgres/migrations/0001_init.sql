-- Vedetta schema, PostgreSQL dialect, version 1: tenants, users, memberships,
-- oversight grants, sessions, API tokens and the hash-chained audit log.
-- Timestamps are BIGINT Unix milliseconds (0 = unset), audit times Unix
-- nanoseconds; ids are TEXT (UUIDv7). Events, alerts, cases and indicators
-- come in later migrations and reference tenants(id) the same way.

CREATE TABLE tenants (
	id         TEXT PRIMARY KEY,
	slug       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	country    TEXT NOT NULL DEFAULT '',
	locale     TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);

CREATE TABLE users (
	id             TEXT PRIMARY KEY,
	username       TEXT NOT NULL UNIQUE, -- stored lower-case
	display_name   TEXT NOT NULL DEFAULT '',
	email          TEXT NOT NULL DEFAULT '',
	password_hash  TEXT NOT NULL DEFAULT '',
	locale         TEXT NOT NULL DEFAULT '',
	platform_admin BOOLEAN NOT NULL DEFAULT FALSE,
	totp_secret    TEXT NOT NULL DEFAULT '',
	totp_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
	failed_logins  INTEGER NOT NULL DEFAULT 0,
	locked_until   BIGINT NOT NULL DEFAULT 0,
	disabled       BOOLEAN NOT NULL DEFAULT FALSE,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);

CREATE TABLE memberships (
	user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	role      TEXT NOT NULL,
	PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX memberships_tenant ON memberships (tenant_id);

CREATE TABLE oversight (
	overseer_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	overseen_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	granted_by  TEXT NOT NULL DEFAULT '', -- a user id; kept when the user goes
	created_at  BIGINT NOT NULL,
	PRIMARY KEY (overseer_id, overseen_id),
	CHECK (overseer_id <> overseen_id)
);
CREATE INDEX oversight_overseen ON oversight (overseen_id);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY, -- SHA-256 hex of the cookie token
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	tenant_id    TEXT NOT NULL DEFAULT '', -- '' until chosen; cleared by DeleteTenant
	csrf_token   TEXT NOT NULL DEFAULT '',
	totp_pending BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT NOT NULL,
	last_seen    BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
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
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL DEFAULT 0,
	revoked_at   BIGINT NOT NULL DEFAULT 0,
	last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, created_at);

-- The audit log has no foreign keys: it outlives what it talks about.
CREATE TABLE audit_log (
	seq        BIGINT PRIMARY KEY,
	time_ns    BIGINT NOT NULL,
	actor_id   TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	tenant_id  TEXT NOT NULL,
	action     TEXT NOT NULL,
	object     TEXT NOT NULL,
	detail     TEXT NOT NULL,
	ip         TEXT NOT NULL,
	prev_hash  TEXT NOT NULL,
	hash       TEXT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_time ON audit_log (time_ns);

-- Append-only: UPDATE, DELETE and TRUNCATE raise. The table owner or a
-- superuser can still ALTER TABLE audit_log DISABLE TRIGGER (or set
-- session_replication_role = replica) and rewrite rows; VerifyAudit is what
-- detects a row changed or removed that way.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
