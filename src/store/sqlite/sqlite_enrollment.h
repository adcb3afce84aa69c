// SQLite reads of the store: EST enrollment endpoints and held enrollment requests (issue #5).
// Called by SqliteStore's overrides (pooled reader) and by SqliteTransaction (writer); the write
// side's members (requests, OTPs, renewal grants) are defined in sqlite_enrollment.cpp too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace fleetpki::store::sqlite_enrollment {

/// The lookups on the enrollment path, whose plans sqlite_enrollment_test pins (index seeks).
inline constexpr const char* kEndpointColumns =
    "id, tenant_id, label, definition_json, disabled, created_at, updated_at, row_version";
inline constexpr const char* kFindEndpointByLabelWhere = "label = ?1";
inline constexpr const char* kRequestColumns =
    "id, tenant_id, endpoint_id, request_key, device_serial, auth_mode, identity, csr_der, state, "
    "certificate_serial, decided_by, reason, created_at, decided_at, row_version, "
    "(SELECT label FROM enrollment_endpoints WHERE enrollment_endpoints.id = enrollment_requests.endpoint_id)";
inline constexpr const char* kFindRequestByKeyWhere = "request_key = ?1";
// The unary + on expires_at keeps the planner on the (tenant_id, device_serial) index: without it,
// it prefers (tenant_id, expires_at) of migration 0010 and walks every unexpired OTP of the tenant.
inline constexpr const char* kUsableOtpsSql =
    "SELECT id, tenant_id, device_serial, secret_hash, created_at, expires_at, used_at, created_by "
    "FROM enrollment_otps WHERE tenant_id = ?1 AND device_serial = ?2 AND used_at IS NULL "
    "AND +expires_at > ?3 ORDER BY id DESC LIMIT 16";
/// The device's oldest unused, unexpired renewal grant (consume_renewal_grant).
inline constexpr const char* kUsableGrantWhere =
    "tenant_id = ?1 AND device_serial = ?2 AND used_at IS NULL AND +expires_at > ?3 ORDER BY id LIMIT 1";

Result<std::optional<EnrollmentEndpointRecord>> find_endpoint(SqliteConnection& conn, std::string_view label);
/// The endpoint's stored outside-anchor CRLs, all of them (at most one per anchor) or one issuer's.
Result<std::vector<EndpointCrlRecord>> list_endpoint_crls(SqliteConnection& conn, std::int64_t tenant_id,
                                                          std::int64_t endpoint_id,
                                                          std::optional<std::string_view> issuer_sha256);
/// Whether a grant matching kUsableGrantWhere exists.
Result<bool> has_usable_grant(SqliteConnection& conn, std::int64_t tenant_id, std::string_view device_serial,
                              std::int64_t now);
Result<Page<EnrollmentEndpointRecord>> list_endpoints(SqliteConnection& conn, std::int64_t tenant_id,
                                                      std::int64_t after, int limit);
Result<std::optional<EnrollmentRequestRecord>> find_request(SqliteConnection& conn, std::int64_t tenant_id,
                                                            std::int64_t id);
Result<std::optional<EnrollmentRequestRecord>> find_request_by_key(SqliteConnection& conn,
                                                                   std::string_view request_key);
Result<Page<EnrollmentRequestRecord>> list_requests(SqliteConnection& conn, std::int64_t tenant_id,
                                                    const std::optional<std::string>& state, std::int64_t after,
                                                    int limit);

}  // namespace fleetpki::store::sqlite_enrollment
