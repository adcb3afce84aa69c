// Plain records the store persists. No behaviour; the domain lives in authority/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "store/audit_records.h"
#include "store/device_records.h"
#include "store/enrollment_records.h"
#include "store/tenancy_records.h"

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
  int crl_partitions = 1;  // CRL shards of this CA's certificates (see authority/crl_partition.h)
  std::optional<std::string> name_constraints_json;  // as the operator set them (issue #4)
  Bytes csr_der;           // bring-your-own CA waiting for its certificate (status "pending")
  std::optional<std::string> external_chain_pem;  // issuers of a bring-your-own CA, up to its root
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
  int crl_partition = 0;    // CRL shard chosen at issuance (its URL is in the certificate's CDP)
  std::optional<std::int64_t> renewal_of;  // id of the certificate this one renews or re-keys
};

struct CertificateFilter {
  std::optional<std::string> status;
  std::optional<std::int64_t> expires_before;
  std::optional<std::string> profile;
  int limit = 100;                      // 1..1000
  std::optional<std::int64_t> after_id;  // cursor: items with id > after_id, ascending
  std::optional<std::int64_t> ca_id;     // only certificates issued by this CA (e.g. for a CRL)
  std::optional<std::int64_t> issued_from;  // created_at >= issued_from
  std::optional<std::int64_t> issued_to;    // created_at <  issued_to
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

/// One entry of the append-only status change log, written in the same transaction as the status
/// change (revoke, suspend, reactivate). CRL builders and the OCSP responder follow it by id, so
/// that a change made by any process reaches them.
struct StatusChange {
  std::int64_t id = 0;                 // ascending; set by the store
  std::int64_t tenant_id = 0;
  std::int64_t ca_id = 0;
  std::int64_t certificate_id = 0;
  std::string serial_hex;
  int crl_partition = 0;
  std::string status;                  // the new status: valid (released from hold), revoked, suspended
  std::optional<std::int64_t> revoked_at;
  std::optional<int> revocation_reason;  // RFC 5280 CRLReason
  std::int64_t not_after = 0;          // of the certificate: entries are dropped from CRLs after it
  std::int64_t at = 0;
};

/// A revoked or suspended certificate as a CRL lists it.
struct RevokedEntry {
  std::string serial_hex;
  std::string status;                  // revoked or suspended
  std::int64_t revoked_at = 0;
  std::optional<int> revocation_reason;
  std::int64_t not_after = 0;
};

/// A signed CRL as published. Complete and delta CRLs of one (CA, partition) share one number
/// sequence (Transaction::next_crl_number).
struct CrlRecord {
  std::int64_t ca_id = 0;
  int partition = 0;
  std::int64_t number = 0;
  std::optional<std::int64_t> base_number;  // set for delta CRLs (deltaCRLIndicator)
  std::int64_t this_update = 0;
  std::int64_t next_update = 0;
  std::int64_t last_change_id = 0;     // the status change log id this CRL reflects (inclusive)
  Bytes der;
};

/// The delegated OCSP responder of a CA: key in the vault, certificate issued by the CA.
struct OcspResponderRecord {
  std::int64_t ca_id = 0;
  std::string key_ref;
  Bytes certificate_der;
  std::int64_t not_after = 0;
  std::int64_t updated_at = 0;
};

/// A resumable bulk operation (revoke-by-query). Processed in chunks; each chunk's changes and the
/// advanced cursor commit together, so a restart resumes where the last chunk ended.
struct BulkJobRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string kind = "revoke";
  std::string query_json;              // the selection (profile, ca, issued_from, issued_to)
  int reason = 0;                      // CRLReason applied to each certificate
  std::string state = "running";       // running, done, failed
  std::int64_t cursor = 0;             // last certificate id examined
  std::int64_t processed = 0;          // certificates whose status changed
  std::string actor;
  std::string request_id;
  std::string error;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

/// Certificate counts for /metrics.
struct StatusCount {
  std::string tenant;
  std::string status;
  std::int64_t count = 0;
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
