-- 0009: configuration changes, so that a running server learns of changes made by another process
-- (the CLI on the same data folder) to what it caches: a tenant's row (disabled), its CAs and
-- profiles (Authority's tenant runtime) and its EST endpoints (EstEnrollment's endpoint state).
--
-- Triggers, not application code, record the changes: no write path can forget to, whichever
-- process makes it. Each change takes the next value of a platform-wide counter and stamps it on
-- its tenant's row; `serve` polls for rows above the last value it has seen
-- (Store::configuration_changes) and drops those tenants' caches. Certificates, devices and the
-- other hot tables have no trigger: issuance never writes here.

CREATE TABLE configuration_version (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  version  INTEGER NOT NULL
);
INSERT INTO configuration_version (id, version) VALUES (1, 0);

-- One row per tenant that ever changed: the counter value of its latest change.
CREATE TABLE configuration_changes (
  tenant_id  INTEGER PRIMARY KEY,
  version    INTEGER NOT NULL
);
CREATE INDEX configuration_changes_version ON configuration_changes(version);

CREATE TRIGGER tenants_insert_configuration AFTER INSERT ON tenants BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER tenants_update_configuration AFTER UPDATE ON tenants BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER tenants_delete_configuration AFTER DELETE ON tenants BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (OLD.id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER cas_insert_configuration AFTER INSERT ON cas BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER cas_update_configuration AFTER UPDATE ON cas BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER cas_delete_configuration AFTER DELETE ON cas BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (OLD.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER profiles_insert_configuration AFTER INSERT ON profiles BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER profiles_update_configuration AFTER UPDATE ON profiles BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER profiles_delete_configuration AFTER DELETE ON profiles BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (OLD.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER enrollment_endpoints_insert_configuration AFTER INSERT ON enrollment_endpoints BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER enrollment_endpoints_update_configuration AFTER UPDATE ON enrollment_endpoints BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (NEW.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER enrollment_endpoints_delete_configuration AFTER DELETE ON enrollment_endpoints BEGIN
  UPDATE configuration_version SET version = version + 1 WHERE id = 1;
  INSERT INTO configuration_changes (tenant_id, version)
    VALUES (OLD.tenant_id, (SELECT version FROM configuration_version WHERE id = 1))
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
END;
