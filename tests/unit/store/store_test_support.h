// Test helpers for the store tests: a temporary directory per test and a fresh SQLite store.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "support/temp_dir.h"
#include <string>

#include "store/sqlite/sqlite_store.h"

namespace fleetpki::store::testing {

using TempDir = fleetpki::testing::TempDir;  // mkdtemp folder removed at scope exit

inline CertificateRecord make_certificate(std::int64_t tenant_id, std::int64_t ca_id,
                                          std::string serial_hex) {
  CertificateRecord c;
  c.tenant_id = tenant_id;
  c.ca_id = ca_id;
  c.profile = "tls_server";
  c.profile_version = 1;
  c.serial_hex = std::move(serial_hex);
  c.subject = "CN=device-" + c.serial_hex;
  c.not_before = 1'700'000'000;
  c.not_after = 1'800'000'000;
  c.der = Bytes{0x30, 0x03, 0x02, 0x01, 0x01};
  c.created_at = 1'700'000'000;
  return c;
}

/// A tenant with one CA, created in its own write; returns {tenant id, CA id}.
inline std::pair<std::int64_t, std::int64_t> add_tenant_with_ca(Store& store, const std::string& name) {
  std::int64_t tenant_id = 0, ca_id = 0;
  auto status = store.write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(TenantRecord tenant, tx.insert_tenant(name, 1'700'000'000));
    tenant_id = tenant.id;
    CaRecord ca;
    ca.tenant_id = tenant.id;
    ca.name = "issuing";
    ca.key_ref = "software:" + name + "-issuing";
    ca.certificate_der = Bytes{0x30, 0x00};
    ca.created_at = 1'700'000'000;
    FLEETPKI_TRY(ca_id, tx.insert_ca(ca));
    return ok();
  });
  EXPECT_TRUE(status) << (status ? "" : status.error().detail);
  return {tenant_id, ca_id};
}

}  // namespace fleetpki::store::testing
