-- 0006: listing a tenant's certificates page by page without a filter (REST GET …/certificates,
-- `fleetpki certificates list`) read and sorted every certificate of the tenant per page (about
-- 0.25 µs per certificate: 15 ms at 60,000, measured by bench/tenancy_scale_bench). This index
-- makes it a seek. Inserts append to the tenant's end of it (ids only grow), so it costs little on
-- the issuance path.
CREATE INDEX certificates_tenant_id ON certificates(tenant_id, id);
