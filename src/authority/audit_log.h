// The tamper-evident audit log: listing, JSON-lines export, signed checkpoints, verification.
// A service of the Authority (Authority::audit()); entry points authorize the principal first.
//
// Events are hash-chained by the store (store/audit_chain.h). Checkpoints sign the chain head with
// the platform audit key (EC P-256, in the vault; reference in setting "audit_key_ref"). The
// caller pins the key's public half outside the database (cli: DIR/audit-key.pem) and verify()
// trusts only that pinned key, so whoever can edit the database cannot re-sign history.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "authority/authority.h"
#include "store/audit_chain.h"

namespace fleetpki::authority {

/// What verify() found when the log is intact.
struct AuditVerifyReport {
  std::int64_t events = 0;
  std::int64_t checkpoints = 0;
  std::optional<std::int64_t> last_checkpoint_event;  // last_event_id of the newest checkpoint
};

class AuditLog final {
 public:
  static constexpr const char* kKeySetting = "audit_key_ref";

  explicit AuditLog(Authority& authority) : authority_(authority) {}
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // ---- the platform audit key and checkpoints (platform operations: cli and serve) -----------

  /// The DER SubjectPublicKeyInfo of the platform audit key, generating the key through the vault
  /// on first use (audit event "audit.key.create" in the same transaction as the setting).
  /// PermissionDenied unless `who` is a platform admin.
  Result<Bytes> ensure_key(const Principal& who, const CallContext& call);
  /// The public key (DER SubjectPublicKeyInfo) if one was created, else empty.
  Result<Bytes> public_key();
  /// Signs a checkpoint over the newest event if events were added since the last checkpoint;
  /// nullopt when nothing changed (cheap: two primary-key reads). FailedPrecondition without key.
  Result<std::optional<store::AuditCheckpoint>> checkpoint();
  /// Events appended since the newest checkpoint (all events when there is none).
  Result<std::int64_t> events_since_checkpoint();

  /// Recomputes the whole chain from the genesis in pages, checks every checkpoint's signature
  /// with `pinned_spki` (the only key trusted) and that the chain still matches what each signed.
  /// DataLoss naming the first broken event or checkpoint; FailedPrecondition when checkpoints
  /// exist but no pinned key is given.
  Result<AuditVerifyReport> verify(std::optional<ByteView> pinned_spki);

  /// Hex SHA-256 of a SubjectPublicKeyInfo: the key_id of checkpoints.
  static std::string key_id(ByteView spki_der);

  // ---- reading (REST and cli) -----------------------------------------------------------------

  /// The tenant's events (Permission::AuditRead). filter.tenant_id is set from `tenant`.
  Result<store::AuditPage> list(const Principal& who, std::string_view tenant, store::AuditFilter filter);
  /// Every event, platform-wide ones included; platform admins only. `tenant` narrows to one tenant.
  Result<store::AuditPage> list_platform(const Principal& who, std::optional<std::string> tenant,
                                         store::AuditFilter filter);
  /// Checkpoints with id > after_id; platform admins only.
  Result<std::vector<store::AuditCheckpoint>> checkpoints(const Principal& who, std::int64_t after_id,
                                                          int limit);
  /// Streams every matching event as one JSON line (no trailing newline) to `sink`, page by page;
  /// stops at the sink's first error. Permissions as list() (tenant set) or list_platform().
  Status export_lines(const Principal& who, std::optional<std::string> tenant, store::AuditFilter filter,
                      const std::function<Status(const std::string& line)>& sink);

  /// An event as the API shows it: id, tenant (name or null), actor, action, object, request_id,
  /// details (object), at (RFC 3339), prev_hash, hash.
  Result<nlohmann::json> event_json(const store::AuditEvent& event);
  static nlohmann::json checkpoint_json(const store::AuditCheckpoint& checkpoint);

 private:
  Result<std::string> tenant_name(std::int64_t tenant_id);
  Result<keys::SignerPtr> signer();
  Result<const store::AuditHasher*> hasher();

  Authority& authority_;
  std::mutex mutex_;  // guards the caches below
  std::map<std::int64_t, std::string> tenant_names_;  // names never change
  keys::SignerPtr signer_;
  std::optional<store::AuditHasher> hasher_;
};

}  // namespace fleetpki::authority
