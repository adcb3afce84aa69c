-- 0007: a page of a tenant's devices read the index (tenant_id, id) and then one table row per
-- device; a tenant's devices are spread over the table (registered over time, interleaved with
-- other tenants'), so a page of 1,000 cost up to 1,000 page reads (p99 5.7 ms at 1,000,000
-- devices, bench/tenancy_scale_bench). A covering index holds every listed column in tenant
-- order: a page is a contiguous read of the index alone. Devices are written rarely (register,
-- import, state changes), listed often.
DROP INDEX devices_tenant_id;
CREATE INDEX devices_tenant_listing ON devices(
  tenant_id, id, serial, type_id, state, created_at, updated_at, last_seen_at, row_version);
