-- Vedetta schema, SQLite dialect, version 2: events and their search
-- indexes, sources with their health counters, retention policies.
--
-- events is keyed by seq, the rowid (insertion order), which the other
-- indexes carry compactly; the UUIDv7 id is unique, so inserts are
-- idempotent by id. Searches are always tenant- and time-bounded and
-- ordered by (observed_ms, seq): events_time (which ends with the rowid)
-- serves the newest-first listing and keyset paging, events_source and
-- events_category the common filters and the retention job. Exact matches
-- on fields with few values go through event_fields (one row per field
-- value, lists expanded); free text and fields with many values
-- (addresses, names) through events_fts, a contentless FTS5 index over the
-- raw original and the message, plus one hashed token per field value,
-- keyed by seq, that the store fills in the insert transaction (see
-- store.IndexedFields).
-- There is no foreign key from events to sources: events outlive a deleted
-- source.

CREATE TABLE events (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	source_id   TEXT NOT NULL,
	observed_ms INTEGER NOT NULL,
	received_ms INTEGER NOT NULL,
	category    TEXT NOT NULL,
	fields      TEXT NOT NULL, -- JSON object of flat ECS fields
	raw         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_time ON events (tenant_id, observed_ms);
CREATE INDEX events_source ON events (tenant_id, source_id, observed_ms);
CREATE INDEX events_category ON events (tenant_id, category, observed_ms);

-- One row per (event, indexed field, value), keyed for the search itself:
-- a field search walks the matches of one value in time order, and the
-- table is a single B-tree (no rowid, no second index) to keep inserts
-- cheap. observed_ms is copied from the event for that order.
CREATE TABLE event_fields (
	tenant_id   TEXT NOT NULL,
	name        TEXT NOT NULL,
	value       TEXT NOT NULL,
	observed_ms INTEGER NOT NULL,
	event_seq   INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, name, value, observed_ms, event_seq)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE events_fts USING fts5 (
	body, -- the raw original and the message
	tags, -- store.FieldToken of each TokenFields value
	content = '',
	contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- Deleting an event (retention, tenant cascade) removes its index entries:
-- its field rows are found again from its fields, each value formatted as
-- the store formats it (a number without exponent, true/false). A value
-- formatted differently leaves an orphan row, which searches never return
-- (they join events).
CREATE TRIGGER events_delete AFTER DELETE ON events
BEGIN
	DELETE FROM events_fts WHERE rowid = old.seq;
	DELETE FROM event_fields WHERE tenant_id = old.tenant_id
		AND (name, value, observed_ms, event_seq) IN (
			SELECT f.key, CASE v.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(v.value AS TEXT) END,
				old.observed_ms, old.seq
			FROM json_each(old.fields) f, json_each(old.fields, '$."' || f.key || '"') v
			WHERE v.type NOT IN ('object', 'array', 'null'));
END;

CREATE TABLE sources (
	id                   TEXT PRIMARY KEY,
	tenant_id            TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name                 TEXT NOT NULL,
	kind                 TEXT NOT NULL,
	format               TEXT NOT NULL DEFAULT '',
	match                TEXT NOT NULL DEFAULT '',
	config               TEXT NOT NULL DEFAULT '{}',
	token_prefix         TEXT NOT NULL DEFAULT '',
	token_hash           TEXT NOT NULL DEFAULT '',
	keep_raw             INTEGER NOT NULL DEFAULT 1,
	expected_interval_ms INTEGER NOT NULL DEFAULT 0,
	rate_limit           INTEGER NOT NULL DEFAULT 0,
	enabled              INTEGER NOT NULL DEFAULT 1,
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL,
	UNIQUE (tenant_id, name)
) STRICT;
CREATE UNIQUE INDEX sources_token ON sources (token_hash) WHERE token_hash <> '';

-- Counters per source. window_ms is the start of the current minute;
-- window_events and prev_events count events received in it and in the
-- minute before, for a recent rate.
CREATE TABLE source_health (
	source_id     TEXT PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
	tenant_id     TEXT NOT NULL,
	last_event    INTEGER NOT NULL DEFAULT 0,
	events        INTEGER NOT NULL DEFAULT 0,
	errors        INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	updated_at    INTEGER NOT NULL,
	window_ms     INTEGER NOT NULL DEFAULT 0,
	window_events INTEGER NOT NULL DEFAULT 0,
	prev_events   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX source_health_tenant ON source_health (tenant_id);

CREATE TABLE retention (
	tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	category  TEXT NOT NULL,
	days      INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, category)
) STRICT;
