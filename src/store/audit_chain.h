// The audit hash chain: every event's hash covers the previous hash, so editing, removing or
// reordering stored events breaks the chain (verify() finds the first broken link).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

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

}  // namespace fleetpki::store
