-- 0010: expired one-time passwords and renewal grants are purged across all of a tenant's devices,
-- not only when their own device gets a new credential
-- (Transaction::purge_expired_enrollment_credentials, called with a small limit whenever the
-- tenant makes a credential): an index on (tenant, expiry) makes each call a short seek to the
-- tenant's oldest expired rows.
CREATE INDEX enrollment_otps_tenant_expires ON enrollment_otps(tenant_id, expires_at);
CREATE INDEX renewal_grants_tenant_expires ON renewal_grants(tenant_id, expires_at);
