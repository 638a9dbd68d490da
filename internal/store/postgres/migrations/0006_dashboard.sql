-- Vedetta schema, PostgreSQL dialect, version 6: notification channels of the
-- security dashboard (e-mail and webhook, per tenant or per user), the
-- alerts waiting for a channel's digest, and which alerts each channel was
-- told of (so a redelivered alert is not sent twice).

CREATE TABLE notify_channels (
	id              TEXT PRIMARY KEY,
	tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	user_id         TEXT NOT NULL DEFAULT '',
	name            TEXT NOT NULL,
	kind            TEXT NOT NULL,
	target          TEXT NOT NULL,
	config          TEXT NOT NULL DEFAULT '{}',
	min_severity    TEXT NOT NULL,
	digest_severity TEXT NOT NULL DEFAULT '',
	digest_every_ms BIGINT NOT NULL DEFAULT 3600000,
	quiet_from      BIGINT NOT NULL DEFAULT 0,
	quiet_to        BIGINT NOT NULL DEFAULT 0,
	timezone        TEXT NOT NULL DEFAULT '',
	enabled         BOOLEAN NOT NULL DEFAULT TRUE,
	last_success    BIGINT NOT NULL DEFAULT 0,
	last_failure    BIGINT NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	failures        BIGINT NOT NULL DEFAULT 0,
	last_digest     BIGINT NOT NULL DEFAULT 0,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);
CREATE INDEX notify_channels_tenant ON notify_channels (tenant_id, name);

CREATE TABLE notify_digest (
	channel_id TEXT NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
	alert_id   TEXT NOT NULL,
	tenant_id  TEXT NOT NULL,
	severity   TEXT NOT NULL,
	title      TEXT NOT NULL,
	at         BIGINT NOT NULL,
	PRIMARY KEY (channel_id, alert_id)
);

CREATE TABLE notify_sent (
	channel_id TEXT NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
	alert_id   TEXT NOT NULL,
	at         BIGINT NOT NULL,
	PRIMARY KEY (channel_id, alert_id)
);
CREATE INDEX notify_sent_at ON notify_sent (at);
