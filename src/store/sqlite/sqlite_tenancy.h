// SQLite reads of the store: tenants, CAs, operator credentials, idempotency keys (issue #4).
// Called by SqliteStore's overrides; the write side is in SqliteTransaction (this file's .cpp
// defines those members).
#pragma once

#include <optional>
#include <string_view>

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace fleetpki::store::sqlite_tenancy {

Result<Page<TenantRecord>> list_tenants_page(SqliteConnection& conn, std::int64_t after_id, int limit);
Result<std::optional<TenantRecord>> find_tenant_by_id(SqliteConnection& conn, std::int64_t id);
Result<Page<TokenRecord>> list_tokens(SqliteConnection& conn, std::optional<std::int64_t> tenant_id,
                                      std::int64_t after, int limit);
Result<std::optional<OperatorCertificateRecord>> find_operator_certificate(SqliteConnection& conn,
                                                                          std::string_view fingerprint);
Result<Page<OperatorCertificateRecord>> list_operator_certificates(SqliteConnection& conn,
                                                                   std::optional<std::int64_t> tenant_id,
                                                                   std::int64_t after, int limit);
Result<std::optional<IdempotencyRecord>> find_idempotency(SqliteConnection& conn, std::string_view principal,
                                                          std::string_view key);

}  // namespace fleetpki::store::sqlite_tenancy
