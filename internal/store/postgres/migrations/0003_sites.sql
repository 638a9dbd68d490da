-- Vedetta schema, PostgreSQL dialect, version 3: sites and their layers
-- (features), buildings with storeys and spaces, the asset inventory with
-- its identifiers, and public boundaries (municipalities). Nullable
-- references use NULL for "none" so foreign keys can cascade; the store
-- checks that every reference stays within one tenant.

CREATE TABLE sites (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	kind        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	lon         DOUBLE PRECISION NOT NULL DEFAULT 0,
	lat         DOUBLE PRECISION NOT NULL DEFAULT 0,
	isps_level  INTEGER NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX sites_tenant ON sites (tenant_id, name);

CREATE TABLE site_buildings (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	source      TEXT NOT NULL DEFAULT '',
	external_id TEXT NOT NULL DEFAULT '',
	lon         DOUBLE PRECISION NOT NULL DEFAULT 0,
	lat         DOUBLE PRECISION NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL
);
CREATE INDEX site_buildings_site ON site_buildings (tenant_id, site_id);

CREATE TABLE site_storeys (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	building_id TEXT NOT NULL REFERENCES site_buildings (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	elevation   DOUBLE PRECISION NOT NULL DEFAULT 0,
	ordinal     INTEGER NOT NULL DEFAULT 0,
	external_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX site_storeys_building ON site_storeys (building_id);

CREATE TABLE site_spaces (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	storey_id   TEXT NOT NULL REFERENCES site_storeys (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	long_name   TEXT NOT NULL DEFAULT '',
	external_id TEXT NOT NULL DEFAULT '',
	geometry    TEXT NOT NULL DEFAULT '',
	lon         DOUBLE PRECISION NOT NULL DEFAULT 0,
	lat         DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX site_spaces_storey ON site_spaces (storey_id);

CREATE TABLE site_features (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
	kind        TEXT NOT NULL,
	type        TEXT NOT NULL,
	name        TEXT NOT NULL DEFAULT '',
	geometry    TEXT NOT NULL,
	properties  TEXT NOT NULL DEFAULT '{}',
	building_id TEXT REFERENCES site_buildings (id) ON DELETE CASCADE,
	storey_id   TEXT REFERENCES site_storeys (id) ON DELETE CASCADE,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX site_features_site ON site_features (tenant_id, site_id);
CREATE INDEX site_features_building ON site_features (building_id);
CREATE INDEX site_features_storey ON site_features (storey_id);

CREATE TABLE assets (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	site_id     TEXT REFERENCES sites (id) ON DELETE SET NULL,
	name        TEXT NOT NULL,
	type        TEXT NOT NULL,
	criticality BIGINT NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	has_point   BOOLEAN NOT NULL DEFAULT FALSE,
	lon         DOUBLE PRECISION NOT NULL DEFAULT 0,
	lat         DOUBLE PRECISION NOT NULL DEFAULT 0,
	zone_id     TEXT REFERENCES site_features (id) ON DELETE SET NULL,
	storey_id   TEXT REFERENCES site_storeys (id) ON DELETE SET NULL,
	space_id    TEXT REFERENCES site_spaces (id) ON DELETE SET NULL,
	tags        TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX assets_tenant ON assets (tenant_id, name);
CREATE INDEX assets_site ON assets (site_id);
CREATE INDEX assets_zone ON assets (zone_id);
CREATE INDEX assets_storey ON assets (storey_id);
CREATE INDEX assets_space ON assets (space_id);

CREATE TABLE asset_identifiers (
	asset_id  TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	tenant_id TEXT NOT NULL,
	kind      TEXT NOT NULL,
	value     TEXT NOT NULL,
	PRIMARY KEY (asset_id, kind, value)
);
CREATE INDEX asset_identifiers_lookup ON asset_identifiers (tenant_id, kind, value);

CREATE TABLE geo_boundaries (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	geometry   TEXT NOT NULL,
	properties TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX geo_boundaries_kind ON geo_boundaries (kind);
