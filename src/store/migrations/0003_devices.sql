-- 0003: Device types and devices (issue #4).
--
-- Sized for 1,000,000 devices per store: lookups by (tenant, serial) and listings by (tenant, id),
-- (tenant, state, id) and (tenant, type, id) are index seeks (pinned by sqlite_devices_test).

CREATE TABLE device_types (
  id                        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id                 INTEGER NOT NULL REFERENCES tenants(id),
  name                      TEXT    NOT NULL,
  default_profiles          TEXT    NOT NULL DEFAULT '[]',  -- JSON array of profile names
  allowed_manufacturing_cas TEXT    NOT NULL DEFAULT '[]',  -- JSON array of CA names
  mud_url                   TEXT,                           -- RFC 8520 MUD URL (https)
  created_at                INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
);

CREATE TABLE devices (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
  serial        TEXT    NOT NULL CHECK (length(serial) BETWEEN 1 AND 64),
  type_id       INTEGER NOT NULL REFERENCES device_types(id),
  state         TEXT    NOT NULL CHECK (state IN ('registered', 'provisioned', 'active',
                                                  'suspended', 'decommissioned')),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  last_seen_at  INTEGER,
  row_version   INTEGER NOT NULL DEFAULT 1,
  UNIQUE (tenant_id, serial)
);
CREATE INDEX devices_tenant_id ON devices(tenant_id, id);
CREATE INDEX devices_tenant_state_id ON devices(tenant_id, state, id);
CREATE INDEX devices_tenant_type_id ON devices(tenant_id, type_id, id);

-- Certificates of a device. Partial: certificates issued without a device cost no index page.
CREATE INDEX certificates_tenant_device ON certificates(tenant_id, device_serial)
  WHERE device_serial IS NOT NULL;

-- Certificates suspended because their device was suspended: reactivating the device reactivates
-- exactly these, never one an operator suspended by hand.
CREATE TABLE device_held_certificates (
  device_id       INTEGER NOT NULL REFERENCES devices(id),
  certificate_id  INTEGER NOT NULL REFERENCES certificates(id),
  PRIMARY KEY (device_id, certificate_id)
) WITHOUT ROWID;
