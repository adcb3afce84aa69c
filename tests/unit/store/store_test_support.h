// Test helpers for the store tests: a temporary directory per test and a fresh SQLite store.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
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

/// The EXPLAIN QUERY PLAN detail lines of `sql` on the database at `path` (read-only), one per line:
/// for pinning the plans of hot queries.
inline std::string query_plan(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  const std::string explain = "EXPLAIN QUERY PLAN " + sql;
  std::string out;
  EXPECT_EQ(sqlite3_prepare_v2(db, explain.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    out += '\n';
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

}  // namespace fleetpki::store::testing
