-- 0011: CRLs of an EST endpoint's outside trust anchors (a contract manufacturer's CA), uploaded by
-- an operator, so that a revoked outside birth certificate (IDevID) is refused. One row per
-- (endpoint, anchor): the latest CRL, whose signature was verified with that anchor at upload.
-- The EST service caches them with the endpoint, hence the configuration triggers (0009).
CREATE TABLE endpoint_crls (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
  endpoint_id    INTEGER NOT NULL REFERENCES enrollment_endpoints(id),
  issuer_sha256  TEXT    NOT NULL CHECK (length(issuer_sha256) = 64),
  crl_der        BLOB    NOT NULL,
  crl_number     TEXT,
  this_update    INTEGER NOT NULL,
  next_update    INTEGER,
  revoked_count  INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  UNIQUE (endpoint_id, issuer_sha256)
);

CREATE TRIGGER endpoint_crls_insert_configuration AFTER INSERT ON endpoint_crls BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER endpoint_crls_update_configuration AFTER UPDATE ON endpoint_crls BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER endpoint_crls_delete_configuration AFTER DELETE ON endpoint_crls BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (OLD.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
