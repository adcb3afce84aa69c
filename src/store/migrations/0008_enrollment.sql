-- 0008: EST enrollment (issue #5): enrollment endpoints (one per URL label), enrollments held for
-- an operator's approval, one-time passwords of devices without a birth certificate, and operator
-- grants of a renewal outside the profile's renewal window.
--
-- Every row belongs to a tenant and every lookup that takes a tenant filters by it. The lookups
-- on the enrollment path (endpoint by label, held request by key, a device's usable OTPs) are
-- index seeks, pinned by sqlite_enrollment_test.

-- Labels are URL segments without a tenant (/.well-known/est/<label>/), so they are unique
-- platform-wide. The policy is data (authority/enrollment_endpoint.h: EndpointSpec JSON).
CREATE TABLE enrollment_endpoints (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id        INTEGER NOT NULL REFERENCES tenants(id),
  label            TEXT    NOT NULL UNIQUE CHECK (length(label) BETWEEN 1 AND 63),
  definition_json  TEXT    NOT NULL,
  disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  row_version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX enrollment_endpoints_tenant_id ON enrollment_endpoints(tenant_id, id);

-- Enrollments waiting for (or decided by) an operator. The device's identical retry finds its
-- request by request_key (SHA-256 of endpoint id, authenticated identity and CSR). An issued
-- request names its certificate.
CREATE TABLE enrollment_requests (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id           INTEGER NOT NULL REFERENCES tenants(id),
  endpoint_id         INTEGER NOT NULL REFERENCES enrollment_endpoints(id),
  request_key         TEXT    NOT NULL UNIQUE,
  device_serial       TEXT    NOT NULL,
  auth_mode           TEXT    NOT NULL CHECK (auth_mode IN ('idevid', 'ldevid', 'otp')),
  identity            TEXT    NOT NULL,
  csr_der             BLOB    NOT NULL,
  state               TEXT    NOT NULL DEFAULT 'pending'
                              CHECK (state IN ('pending', 'issued', 'rejected')),
  certificate_serial  TEXT,
  decided_by          TEXT,
  reason              TEXT,
  created_at          INTEGER NOT NULL,
  decided_at          INTEGER,
  row_version         INTEGER NOT NULL DEFAULT 1,
  CHECK (state <> 'issued' OR certificate_serial IS NOT NULL)
);
-- Pages of a tenant's requests, all of them or those in one state (the operator's queue).
CREATE INDEX enrollment_requests_tenant_id ON enrollment_requests(tenant_id, id);
CREATE INDEX enrollment_requests_tenant_state_id ON enrollment_requests(tenant_id, state, id);

-- One-time passwords: only the SHA-256 of the secret is stored.
CREATE TABLE enrollment_otps (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
  device_serial  TEXT    NOT NULL,
  secret_hash    BLOB    NOT NULL CHECK (length(secret_hash) = 32),
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  used_at        INTEGER,
  created_by     TEXT    NOT NULL
);
CREATE INDEX enrollment_otps_device ON enrollment_otps(tenant_id, device_serial);

CREATE TABLE renewal_grants (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
  device_serial  TEXT    NOT NULL,
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  used_at        INTEGER,
  created_by     TEXT    NOT NULL
);
CREATE INDEX renewal_grants_device ON renewal_grants(tenant_id, device_serial);

-- Existing data directories: the tenant "default" answers the label-less EST path through the
-- endpoint labelled "default" (new tenants named "default" get it from Authority::create_tenant).
INSERT INTO enrollment_endpoints (tenant_id, label, definition_json, disabled, created_at, updated_at,
                                  row_version)
SELECT t.id, 'default',
       '{"approval":"automatic","auth":["idevid","ldevid","otp"],"linking":"optional","profile":"ldevid","retry_after":60,"server_keygen":true,"trusted_cas":["manufacturing"],"unknown_devices":"reject"}',
       0, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER), 1
FROM tenants AS t
WHERE t.name = 'default'
  AND NOT EXISTS (SELECT 1 FROM enrollment_endpoints WHERE label = 'default');
