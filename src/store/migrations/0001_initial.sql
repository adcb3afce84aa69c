-- 0001: initial schema. Times are Unix seconds (INTEGER); binary values are BLOBs.

CREATE TABLE tenants (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  disabled    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE cas (
  id               INTEGER PRIMARY KEY,
  tenant_id        INTEGER NOT NULL REFERENCES tenants(id),
  name             TEXT    NOT NULL,
  key_ref          TEXT    NOT NULL,
  certificate_der  BLOB    NOT NULL,
  parent_id        INTEGER REFERENCES cas(id),
  status           TEXT    NOT NULL DEFAULT 'active',
  created_at       INTEGER NOT NULL,
  UNIQUE (tenant_id, name),
  -- Target of the composite key below: a certificate's CA belongs to the certificate's tenant.
  UNIQUE (id, tenant_id)
);

CREATE TABLE profiles (
  id               INTEGER PRIMARY KEY,
  tenant_id        INTEGER NOT NULL REFERENCES tenants(id),
  name             TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  definition_json  TEXT    NOT NULL,
  retired          INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  UNIQUE (tenant_id, name, version)
);

-- AUTOINCREMENT: ids never go back, so keyset pagination on id never skips a row.
CREATE TABLE certificates (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id          INTEGER NOT NULL REFERENCES tenants(id),
  ca_id              INTEGER NOT NULL,
  profile            TEXT    NOT NULL,
  profile_version    INTEGER NOT NULL,
  serial_hex         TEXT    NOT NULL,
  subject            TEXT    NOT NULL,
  not_before         INTEGER NOT NULL,
  not_after          INTEGER NOT NULL,
  status             TEXT    NOT NULL,
  der                BLOB    NOT NULL,
  created_at         INTEGER NOT NULL,
  revoked_at         INTEGER,
  revocation_reason  INTEGER,
  device_serial      TEXT,
  row_version        INTEGER NOT NULL DEFAULT 1,
  -- serial first: the one random-key index of the table serves both the per-CA uniqueness and
  -- lookups by serial (serials are 126 random bits); every other index appends.
  UNIQUE (serial_hex, ca_id),
  FOREIGN KEY (ca_id, tenant_id) REFERENCES cas(id, tenant_id)
);
CREATE INDEX certificates_tenant_not_after ON certificates(tenant_id, not_after);
CREATE INDEX certificates_tenant_status_id ON certificates(tenant_id, status, id);

CREATE TABLE tokens (
  id           TEXT    PRIMARY KEY,
  tenant_id    INTEGER REFERENCES tenants(id),
  role         TEXT    NOT NULL,
  secret_hash  BLOB    NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked      INTEGER NOT NULL DEFAULT 0
);

-- Append-only; hash = SHA-256(prev_hash || "\n" || canonical fields), see store/audit_chain.h.
CREATE TABLE audit_events (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id     INTEGER,
  actor         TEXT    NOT NULL,
  action        TEXT    NOT NULL,
  object        TEXT    NOT NULL,
  request_id    TEXT    NOT NULL,
  details_json  TEXT    NOT NULL,
  at            INTEGER NOT NULL,
  prev_hash     TEXT    NOT NULL,
  hash          TEXT    NOT NULL  -- no index: a random-key index would cost a page per event
);
CREATE INDEX audit_events_tenant_id ON audit_events(tenant_id, id);

CREATE TABLE settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
