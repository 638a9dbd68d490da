-- Vedetta schema, PostgreSQL dialect, version 2: events and their search
-- indexes, sources with their health counters, retention policies.
--
-- events carries its full-text vector (simple configuration over the words
-- of the raw original and the message, plus, with weight A, one hashed
-- token per value of a field with many values: see store.IndexedFields;
-- computed by the insert) with a GIN index, and seq, a compact insertion number that event_fields and the
-- ordering use; the UUIDv7 id is unique, so inserts are idempotent by id.
-- Searches are always tenant- and time-bounded and ordered by
-- (observed_ms, seq): events_time serves the newest-first listing and
-- keyset paging, events_source and events_category the common filters and
-- the retention job. Exact matches on fields with few values go
-- through event_fields (one row per field value, lists expanded), whose
-- rows a trigger deletes with their event. There is no foreign key from events to sources: events
-- outlive a deleted source. For very large installations the table can be
-- range-partitioned on observed_ms later without changing the queries.

CREATE TABLE events (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	source_id   TEXT NOT NULL,
	observed_ms BIGINT NOT NULL,
	received_ms BIGINT NOT NULL,
	category    TEXT NOT NULL,
	fields      TEXT NOT NULL, -- JSON object of flat ECS fields
	raw         TEXT NOT NULL DEFAULT '',
	search      TSVECTOR NOT NULL
);
CREATE INDEX events_time ON events (tenant_id, observed_ms, seq);
CREATE INDEX events_source ON events (tenant_id, source_id, observed_ms);
CREATE INDEX events_category ON events (tenant_id, category, observed_ms);
CREATE INDEX events_search ON events USING GIN (search);

CREATE TABLE event_fields (
	tenant_id   TEXT NOT NULL,
	name        TEXT NOT NULL,
	value       TEXT NOT NULL,
	observed_ms BIGINT NOT NULL,
	event_seq   BIGINT NOT NULL,
	PRIMARY KEY (tenant_id, name, value, observed_ms, event_seq)
);

-- Deleting an event (retention, tenant cascade) removes its field rows,
-- found again from its fields with values formatted as the store formats
-- them. A value formatted differently leaves an orphan row, which searches
-- never return (they join events).
CREATE FUNCTION events_delete_fields() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM event_fields f USING (
		SELECT k.key AS name, v.x AS value
		FROM jsonb_each(OLD.fields::jsonb) k,
			jsonb_array_elements_text(CASE jsonb_typeof(k.value) WHEN 'array' THEN k.value
				ELSE jsonb_build_array(k.value) END) v(x)
		WHERE jsonb_typeof(k.value) NOT IN ('object', 'null')) d
	WHERE f.tenant_id = OLD.tenant_id AND f.name = d.name AND f.value = d.value
		AND f.observed_ms = OLD.observed_ms AND f.event_seq = OLD.seq;
	RETURN NULL;
END
$$;
CREATE TRIGGER events_delete AFTER DELETE ON events
	FOR EACH ROW EXECUTE FUNCTION events_delete_fields();

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
	keep_raw             BOOLEAN NOT NULL DEFAULT TRUE,
	expected_interval_ms BIGINT NOT NULL DEFAULT 0,
	rate_limit           INTEGER NOT NULL DEFAULT 0,
	enabled              BOOLEAN NOT NULL DEFAULT TRUE,
	created_at           BIGINT NOT NULL,
	updated_at           BIGINT NOT NULL,
	UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX sources_token ON sources (token_hash) WHERE token_hash <> '';

CREATE TABLE source_health (
	source_id     TEXT PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
	tenant_id     TEXT NOT NULL,
	last_event    BIGINT NOT NULL DEFAULT 0,
	events        BIGINT NOT NULL DEFAULT 0,
	errors        BIGINT NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	updated_at    BIGINT NOT NULL,
	window_ms     BIGINT NOT NULL DEFAULT 0,
	window_events BIGINT NOT NULL DEFAULT 0,
	prev_events   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX source_health_tenant ON source_health (tenant_id);

CREATE TABLE retention (
	tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	category  TEXT NOT NULL,
	days      INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, category)
);
