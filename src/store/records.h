// Plain records the store persists. No behaviour; the domain lives in authority/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace fleetpki::store {

struct TenantRecord {
  std::int64_t id = 0;
  std::string name;
  std::int64_t created_at = 0;
  bool disabled = false;
};

struct CaRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string name;       // "root", "issuing", "manufacturing", …; unique per tenant
  std::string key_ref;    // KeyVault reference
  Bytes certificate_der;
  std::optional<std::int64_t> parent_id;
  std::string status = "active";
  std::int64_t created_at = 0;
};

struct ProfileRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string name;
  int version = 1;        // (tenant, name, version) unique; the highest non-retired is in force
  std::string definition_json;
  bool retired = false;
  std::int64_t created_at = 0;
};

/// Certificate status values kept in the store.
inline constexpr const char* kStatusValid = "valid";
inline constexpr const char* kStatusRevoked = "revoked";
inline constexpr const char* kStatusSuspended = "suspended";

struct CertificateRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::int64_t ca_id = 0;
  std::string profile;
  int profile_version = 1;
  std::string serial_hex;   // unique per CA
  std::string subject;      // one-line DN
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;  // kNoExpiryUnix for "no expiry"
  std::string status = kStatusValid;
  Bytes der;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> revoked_at;
  std::optional<int> revocation_reason;
  std::optional<std::string> device_serial;
  int row_version = 1;      // optimistic concurrency for lifecycle changes
};

struct CertificateFilter {
  std::optional<std::string> status;
  std::optional<std::int64_t> expires_before;
  std::optional<std::string> profile;
  int limit = 100;                      // 1..1000
  std::optional<std::int64_t> after_id;  // cursor: items with id > after_id, ascending
  std::optional<std::int64_t> ca_id;     // only certificates issued by this CA (e.g. for a CRL)
};

struct CertificatePage {
  std::vector<CertificateRecord> items;
  std::optional<std::int64_t> next_after_id;  // set when more items may follow
};

struct TokenRecord {
  std::string id;                        // public part of the token, indexed
  std::optional<std::int64_t> tenant_id;  // nullopt = platform scope (every tenant)
  std::string role;
  Bytes secret_hash;                     // SHA-256 of the secret part; the secret is never stored
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  bool revoked = false;
};

/// One audit event. `hash` = SHA-256(prev_hash || canonical fields), chaining every event.
struct AuditEvent {
  std::int64_t id = 0;
  std::optional<std::int64_t> tenant_id;
  std::string actor;       // token id or "cli"; never a secret
  std::string action;      // "certificate.issue", "tenant.create", …
  std::string object;      // e.g. serial hex
  std::string request_id;
  std::string details_json = "{}";
  std::int64_t at = 0;
  std::string prev_hash;   // hex; set by the store
  std::string hash;        // hex; set by the store
};

}  // namespace fleetpki::store
