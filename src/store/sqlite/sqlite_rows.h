// Column lists, row readers and the queries that both the write side (SqliteTransaction) and the
// read side (SqliteStore) run, so that each record is read the same way on either connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/records.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_statement.h"

namespace fleetpki::store::sqlite_rows {

/// SELECT list read by read_certificate(), in its column order.
inline constexpr const char* kCertificateColumns =
    "id, tenant_id, ca_id, profile, profile_version, serial_hex, subject, not_before, not_after, "
    "status, der, created_at, revoked_at, revocation_reason, device_serial, row_version, "
    "crl_partition, renewal_of";
CertificateRecord read_certificate(const Statement& s);

inline constexpr const char* kCaColumns =
    "id, tenant_id, name, key_ref, certificate_der, parent_id, status, created_at, crl_partitions, "
    "name_constraints_json, csr_der, external_chain_pem";
CaRecord read_ca(const Statement& s);

inline constexpr const char* kStatusChangeColumns =
    "id, tenant_id, ca_id, certificate_id, serial_hex, crl_partition, status, revoked_at, "
    "revocation_reason, not_after, at";
StatusChange read_status_change(const Statement& s);

inline constexpr const char* kCrlColumns =
    "ca_id, partition, number, base_number, this_update, next_update, last_change_id, der";
CrlRecord read_crl(const Statement& s);

inline constexpr const char* kBulkJobColumns =
    "id, tenant_id, kind, query_json, reason, state, cursor, processed, actor, request_id, error, "
    "created_at, updated_at";
BulkJobRecord read_bulk_job(const Statement& s);

inline constexpr const char* kProfileColumns =
    "id, tenant_id, name, version, definition_json, retired, created_at";
ProfileRecord read_profile(const Statement& s);

/// Reads one page from a statement that asks for `limit + 1` rows ordered by a paging key in
/// column 0: appends at most `limit` records to `items` and returns the key of the last one when
/// another row follows (the next page's cursor), nullopt at the end.
template <class Record, class Reader>
Result<std::optional<std::int64_t>> read_page(Statement& s, int limit, std::vector<Record>& items, Reader read) {
  std::int64_t last = 0;
  while (true) {
    FLEETPKI_TRY(bool row, s.step());
    if (!row) return std::optional<std::int64_t>();
    if (static_cast<int>(items.size()) == limit) return std::optional<std::int64_t>(last);
    last = s.int64(0);
    items.push_back(read(s));
  }
}

/// Collects every row of `s` with `read`.
template <class Record, class Reader>
Result<std::vector<Record>> read_all(Statement& s, Reader read) {
  std::vector<Record> out;
  while (true) {
    FLEETPKI_TRY(bool row, s.step());
    if (!row) {
      return out;
    }
    out.push_back(read(s));
  }
}

/// The tenant's certificate by serial. Serials are unique per CA; across a tenant's CAs a
/// collision of random serials is not expected, and the oldest match wins deterministically.
/// Served by UNIQUE(serial_hex, ca_id).
/// The lookup by serial: a seek in UNIQUE(serial_hex, ca_id). The unary '+' keeps SQLite from
/// choosing the tenant's not_after index instead (a scan of every certificate of the tenant);
/// a serial is unique per CA, and `+id` orders the (practically never) several rows without a sort
/// index. Pinned by SqliteLifecycleTest.HotQueriesAreIndexSeeks.
inline constexpr const char* kFindCertificateBySerialWhere =
    "serial_hex = ?2 AND +tenant_id = ?1 ORDER BY +id LIMIT 1";

Result<std::optional<CertificateRecord>> find_certificate(SqliteConnection& conn,
                                                          std::int64_t tenant_id,
                                                          std::string_view serial_hex);

/// A reason column (nullable INTEGER) as an optional int.
std::optional<int> optional_int(const Statement& s, int column);
/// An optional int for binding.
std::optional<std::int64_t> widen(const std::optional<int>& value);

}  // namespace fleetpki::store::sqlite_rows
