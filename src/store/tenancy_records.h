// Records of the store: tenants, CAs, operator credentials, idempotency keys (issue #4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace fleetpki::store {

/// An operator client certificate registered for mutual TLS on the REST API.
struct OperatorCertificateRecord {
  std::string fingerprint;                 // hex SHA-256 of the DER certificate
  std::optional<std::int64_t> tenant_id;   // nullopt = platform scope
  std::string role;
  std::string subject;
  std::int64_t not_after = 0;
  std::int64_t created_at = 0;
  bool revoked = false;
};

/// The stored first answer to a POST carrying an Idempotency-Key.
struct IdempotencyRecord {
  std::string principal;
  std::string key;
  std::string request_hash;
  int status = 0;
  std::string content_type;
  std::string body;
  std::int64_t created_at = 0;
};

/// A tenant whose cached configuration changed (migration 0009): `version` is the platform-wide
/// counter value of its latest change.
struct ConfigurationChange {
  std::int64_t tenant_id = 0;
  std::int64_t version = 0;
};

/// A page of records with the cursor of the next page (nullopt at the end).
template <class Record>
struct Page {
  std::vector<Record> items;
  std::optional<std::int64_t> next_after;
};

}  // namespace fleetpki::store
