// Records of the store: audit log listing filters and signed checkpoints (issue #4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace fleetpki::store {

struct AuditEvent;  // records.h (includes this header before defining it)

/// Selection of audit events; every set criterion must match. Ascending by id.
struct AuditFilter {
  std::optional<std::int64_t> tenant_id;  // nullopt = every tenant and platform-wide events
  std::optional<std::string> action;      // exact match
  std::optional<std::string> object;      // exact match
  std::optional<std::string> actor;       // exact match
  std::optional<std::int64_t> since;      // at >= since (Unix seconds)
  std::optional<std::int64_t> until;      // at < until
  std::int64_t after_id = 0;              // keyset cursor: events with id > after_id
  int limit = 100;                        // clamped to 1..1000
};

struct AuditPage {
  std::vector<AuditEvent> items;
  std::optional<std::int64_t> next_after_id;  // set when more events may follow
};

/// A signed statement "the chain had `event_count` events, the last being `last_event_id` with
/// hash `last_event_hash`", made by the platform audit key (see store/audit_chain.h for the text).
struct AuditCheckpoint {
  std::int64_t id = 0;  // 1, 2, 3, … without gaps
  std::int64_t last_event_id = 0;
  std::string last_event_hash;
  std::int64_t event_count = 0;
  std::int64_t created_at = 0;
  std::string key_id;  // hex SHA-256 of the signing key's SubjectPublicKeyInfo
  Bytes signature;     // DER ECDSA-Sig-Value over audit_checkpoint_text()
};

/// The newest event's id and hash (what a checkpoint covers).
struct AuditHead {
  std::int64_t last_event_id = 0;
  std::string last_event_hash;
};

}  // namespace fleetpki::store
