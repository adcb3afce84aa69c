// The audit hash chain: every event's hash covers the previous hash, so editing, removing or
// reordering stored events breaks the chain (verify() finds the first broken link).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace fleetpki::store {

/// prev_hash of the first event ever appended: 64 zeros.
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical text of an event: for each field, in this order, "<decimal byte length>:<bytes>\n":
/// tenant_id (decimal, empty when platform-wide), actor, action, object, request_id, details_json,
/// at (decimal Unix seconds). The id, prev_hash and hash are not part of it.
std::string audit_canonical_text(const AuditEvent& event);

/// Computes and checks chain hashes: hash = hex(SHA-256(prev_hash_hex || "\n" || canonical text)).
/// Thread-safe after creation (the digest is fetched once and only read).
class AuditHasher final {
 public:
  /// Fetches SHA2-256 from `libctx` (the default library context when nullptr).
  static Result<AuditHasher> create(OSSL_LIB_CTX* libctx = nullptr, const char* propq = nullptr);

  /// Lower-case hex SHA-256 of the event chained onto `prev_hash`.
  Result<std::string> hash(std::string_view prev_hash, const AuditEvent& event) const;

  /// Checks consecutive events (ascending id, as Store::list_audit(nullopt, …) returns them):
  /// events[0].prev_hash == `first_prev_hash`, every hash recomputes from its fields, and each
  /// prev_hash equals the previous event's hash. DataLoss naming the first bad event otherwise.
  /// Needs the unfiltered sequence: a per-tenant listing skips links and does not verify.
  Status verify(std::span<const AuditEvent> events,
                std::string_view first_prev_hash = kAuditGenesisHash) const;

 private:
  struct MdFree {
    void operator()(EVP_MD* md) const { ::EVP_MD_free(md); }
  };
  using MdPtr = std::unique_ptr<EVP_MD, MdFree>;

  explicit AuditHasher(MdPtr md) : md_(std::move(md)) {}

  MdPtr md_;
};

/// The text a checkpoint signature covers, one "name=value" line each, in this order:
/// "fleetpki-audit-checkpoint-v1", id, last_event_id, last_event_hash, event_count, created_at,
/// key_id. The id is signed so that checkpoints cannot be renumbered or reordered.
std::string audit_checkpoint_text(const AuditCheckpoint& checkpoint);

/// Streaming verification of the whole log against its checkpoints: feed every event in ascending
/// id order (pages of Store::list_audit), then call finish(). Memory does not grow with the log.
/// Event ids start at 1 without gaps (AUTOINCREMENT; a rolled-back insert also rolls back the
/// sequence), so a missing id is a deleted event. Errors are DataLoss with a message naming the
/// first broken event or checkpoint, e.g. "event 17: hash does not match its content (edited?)".
/// Checkpoint signatures are not checked here (the store layer has no key): the caller does it.
class AuditChainVerifier final {
 public:
  /// `checkpoints` in ascending id order. InvalidArgument-free: structural problems (a missing
  /// checkpoint id, last_event_id going backwards) are reported by the first add()/finish().
  AuditChainVerifier(const AuditHasher& hasher, std::vector<AuditCheckpoint> checkpoints);

  Status add(const AuditEvent& event);
  /// Checks that every checkpoint was reached (a checkpoint past the end means a truncated log).
  Status finish();

  std::int64_t events() const { return count_; }
  std::int64_t last_event_id() const { return last_id_; }

 private:
  Status check_checkpoint_structure();
  Status check_checkpoint_at(const AuditEvent& event);

  const AuditHasher& hasher_;
  std::vector<AuditCheckpoint> checkpoints_;
  std::size_t next_checkpoint_ = 0;
  bool structure_checked_ = false;
  std::int64_t count_ = 0;
  std::int64_t last_id_ = 0;
  std::string prev_hash_{kAuditGenesisHash};
};

}  // namespace fleetpki::store
