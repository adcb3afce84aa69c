// The audit log service: platform audit key, signed checkpoints, verification, listing, export.
#include "authority/audit_log.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "authority/audit_event.h"
#include "common/time_format.h"
#include "pki/public_key.h"

namespace fleetpki::authority {
namespace {

constexpr int kVerifyPageSize = 1000;  // Store::list_audit's maximum

Status refuse_unless_platform_admin(const Principal& who) {
  if (!is_platform_admin(who)) {
    return fail(Errc::PermissionDenied, "the platform audit log is reserved to platform administrators");
  }
  return ok();
}

}  // namespace

std::string AuditLog::key_id(ByteView spki_der) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  if (::EVP_Q_digest(nullptr, "SHA256", nullptr, spki_der.data(), spki_der.size(), digest, &length) != 1) {
    return {};  // never matches a stored key id
  }
  return to_hex(ByteView(digest, length));
}

Result<const store::AuditHasher*> AuditLog::hasher() {
  std::lock_guard lock(mutex_);
  if (!hasher_) {
    FLEETPKI_TRY(auto created, store::AuditHasher::create(authority_.crypto().libctx(), authority_.crypto().propq()));
    hasher_.emplace(std::move(created));
  }
  return &*hasher_;
}

// ---- key and checkpoints ------------------------------------------------------------------------

Result<Bytes> AuditLog::ensure_key(const Principal& who, const CallContext& call) {
  FLEETPKI_RETURN_IF_ERROR(refuse_unless_platform_admin(who));
  FLEETPKI_TRY(Bytes existing, public_key());
  if (!existing.empty()) return existing;
  // A random label: a crash between generating and recording leaves an unused key file behind,
  // never a label that blocks the next attempt.
  unsigned char random[8];
  if (::RAND_bytes_ex(authority_.crypto().libctx(), random, sizeof random, 0) != 1) {
    return fail(Errc::Internal, "no randomness for the audit key label");
  }
  const std::string label = "platform-audit-" + to_hex(ByteView(random, sizeof random));
  FLEETPKI_TRY(std::string ref, authority_.vault().generate(keys::KeyAlgorithm::EcP256, label));
  FLEETPKI_TRY(keys::SignerPtr created, authority_.vault().open_signer(ref));
  const std::string id = key_id(created->public_key_spki());
  const std::int64_t now = to_unix(authority_.clock().now());
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.put_setting(kKeySetting, ref));
    return tx.append_audit(make_audit_event(who, std::nullopt, "audit.key.create", id, call,
                                            {{"algorithm", "ec-p256"}}, now));
  }));
  {
    std::lock_guard lock(mutex_);
    signer_ = created;
  }
  return created->public_key_spki();
}

Result<keys::SignerPtr> AuditLog::signer() {
  {
    std::lock_guard lock(mutex_);
    if (signer_) return signer_;
  }
  FLEETPKI_TRY(auto ref, authority_.store().get_setting(kKeySetting));
  if (!ref) {
    return fail(Errc::FailedPrecondition, "there is no platform audit key yet (run 'fleetpki audit checkpoint')");
  }
  FLEETPKI_TRY(keys::SignerPtr opened, authority_.vault().open_signer(*ref));
  std::lock_guard lock(mutex_);
  signer_ = opened;
  return opened;
}

Result<Bytes> AuditLog::public_key() {
  FLEETPKI_TRY(auto ref, authority_.store().get_setting(kKeySetting));
  if (!ref) return Bytes();
  FLEETPKI_TRY(keys::SignerPtr key, signer());
  return key->public_key_spki();
}

Result<std::optional<store::AuditCheckpoint>> AuditLog::checkpoint() {
  FLEETPKI_TRY(keys::SignerPtr key, signer());
  const std::string id = key_id(key->public_key_spki());
  const std::int64_t now = to_unix(authority_.clock().now());
  std::optional<store::AuditCheckpoint> made;
  // Read, count and sign inside the write transaction: no event can slip in between the head read
  // and the insert. One ECDSA signature per checkpoint is short next to the checkpoint interval.
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    made.reset();
    FLEETPKI_TRY(auto head, tx.audit_head());
    if (!head) return ok();
    FLEETPKI_TRY(auto latest, tx.latest_audit_checkpoint());
    if (latest && latest->last_event_id >= head->last_event_id) return ok();
    const std::int64_t prev_last = latest ? latest->last_event_id : 0;
    FLEETPKI_TRY(std::int64_t added, tx.count_audit_events(prev_last, head->last_event_id));
    store::AuditCheckpoint cp;
    cp.id = latest ? latest->id + 1 : 1;
    cp.last_event_id = head->last_event_id;
    cp.last_event_hash = head->last_event_hash;
    cp.event_count = (latest ? latest->event_count : 0) + added;
    cp.created_at = now;
    cp.key_id = id;
    FLEETPKI_TRY(cp.signature, key->sign(as_bytes(store::audit_checkpoint_text(cp))));
    FLEETPKI_RETURN_IF_ERROR(tx.insert_audit_checkpoint(cp));
    made = std::move(cp);
    return ok();
  }));
  return made;
}

Result<std::int64_t> AuditLog::events_since_checkpoint() {
  FLEETPKI_TRY(auto head, authority_.store().audit_head());
  if (!head) return std::int64_t{0};
  FLEETPKI_TRY(auto latest, authority_.store().latest_audit_checkpoint());
  return head->last_event_id - (latest ? latest->last_event_id : 0);
}

Result<AuditVerifyReport> AuditLog::verify(std::optional<ByteView> pinned_spki) {
  std::vector<store::AuditCheckpoint> checkpoints;
  for (std::int64_t after = 0;;) {
    FLEETPKI_TRY(auto page, authority_.store().list_audit_checkpoints(after, kVerifyPageSize));
    if (page.empty()) break;
    after = page.back().id;
    for (auto& cp : page) checkpoints.push_back(std::move(cp));
  }
  if (!checkpoints.empty()) {
    if (!pinned_spki) {
      return fail(Errc::FailedPrecondition, std::to_string(checkpoints.size()) +
                                                " checkpoints but no pinned audit key to check them");
    }
    FLEETPKI_TRY(auto info, pki::parse_public_key(*pinned_spki));
    FLEETPKI_TRY(auto pkey, pki::make_verification_key(authority_.crypto(), info));
    const std::string pinned_id = key_id(*pinned_spki);
    for (const auto& cp : checkpoints) {
      const std::string name = "checkpoint " + std::to_string(cp.id);
      if (cp.key_id != pinned_id) {
        return fail(Errc::DataLoss, name + ": signed by a key other than the pinned audit key");
      }
      const std::string text = store::audit_checkpoint_text(cp);
      FLEETPKI_TRY(bool good, pki::verify_signature(authority_.crypto(), pkey.get(), pki::SignatureAlgorithm::EcdsaSha256,
                                                    as_bytes(text), cp.signature));
      if (!good) return fail(Errc::DataLoss, name + ": signature invalid");
    }
  }
  AuditVerifyReport report;
  report.checkpoints = static_cast<std::int64_t>(checkpoints.size());
  if (!checkpoints.empty()) report.last_checkpoint_event = checkpoints.back().last_event_id;
  FLEETPKI_TRY(const store::AuditHasher* chain_hasher, hasher());
  store::AuditChainVerifier verifier(*chain_hasher, std::move(checkpoints));
  for (std::int64_t after = 0;;) {
    FLEETPKI_TRY(auto page, authority_.store().list_audit(std::nullopt, after, kVerifyPageSize));
    for (const auto& event : page) FLEETPKI_RETURN_IF_ERROR(verifier.add(event));
    if (page.size() < static_cast<std::size_t>(kVerifyPageSize)) break;
    after = page.back().id;
  }
  FLEETPKI_RETURN_IF_ERROR(verifier.finish());
  report.events = verifier.events();
  return report;
}

// ---- reading ------------------------------------------------------------------------------------

Result<store::AuditPage> AuditLog::list(const Principal& who, std::string_view tenant, store::AuditFilter filter) {
  FLEETPKI_TRY(auto runtime, authority_.authorize(who, tenant, Permission::AuditRead));
  filter.tenant_id = runtime->tenant.id;
  return authority_.store().list_audit_page(filter);
}

Result<store::AuditPage> AuditLog::list_platform(const Principal& who, std::optional<std::string> tenant,
                                                 store::AuditFilter filter) {
  FLEETPKI_RETURN_IF_ERROR(refuse_unless_platform_admin(who));
  filter.tenant_id.reset();
  if (tenant) {
    // Disabled tenants included: their history stays readable.
    FLEETPKI_TRY(auto record, authority_.store().find_tenant(*tenant));
    if (!record) return fail(Errc::NotFound, "tenant '" + *tenant + "' not found");
    filter.tenant_id = record->id;
  }
  return authority_.store().list_audit_page(filter);
}

Result<std::vector<store::AuditCheckpoint>> AuditLog::checkpoints(const Principal& who, std::int64_t after_id,
                                                                  int limit) {
  FLEETPKI_RETURN_IF_ERROR(refuse_unless_platform_admin(who));
  return authority_.store().list_audit_checkpoints(after_id, limit);
}

Status AuditLog::export_lines(const Principal& who, std::optional<std::string> tenant, store::AuditFilter filter,
                              const std::function<Status(const std::string& line)>& sink) {
  filter.limit = 1000;
  for (;;) {
    store::AuditPage page;
    if (tenant && !is_platform_admin(who)) {
      FLEETPKI_TRY(page, list(who, *tenant, filter));
    } else {
      FLEETPKI_TRY(page, list_platform(who, tenant, filter));
    }
    for (const auto& event : page.items) {
      FLEETPKI_TRY(auto json, event_json(event));
      FLEETPKI_RETURN_IF_ERROR(sink(json.dump()));
    }
    if (!page.next_after_id) return ok();
    filter.after_id = *page.next_after_id;
  }
}

Result<std::string> AuditLog::tenant_name(std::int64_t tenant_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = tenant_names_.find(tenant_id); it != tenant_names_.end()) return it->second;
  }
  FLEETPKI_TRY(auto tenants, authority_.store().list_tenants());
  std::lock_guard lock(mutex_);
  for (const auto& t : tenants) tenant_names_[t.id] = t.name;
  if (auto it = tenant_names_.find(tenant_id); it != tenant_names_.end()) return it->second;
  return std::to_string(tenant_id);  // a tenant row deleted by hand: still show something
}

Result<nlohmann::json> AuditLog::event_json(const store::AuditEvent& event) {
  nlohmann::json tenant = nullptr;
  if (event.tenant_id) {
    FLEETPKI_TRY(std::string name, tenant_name(*event.tenant_id));
    tenant = name;
  }
  nlohmann::json details = nlohmann::json::parse(event.details_json, nullptr, /*allow_exceptions=*/false);
  if (details.is_discarded()) details = event.details_json;  // keep what is stored, as text
  return nlohmann::json{{"id", event.id},
                        {"tenant", std::move(tenant)},
                        {"actor", event.actor},
                        {"action", event.action},
                        {"object", event.object},
                        {"request_id", event.request_id},
                        {"details", std::move(details)},
                        {"at", format_rfc3339(event.at)},
                        {"prev_hash", event.prev_hash},
                        {"hash", event.hash}};
}

nlohmann::json AuditLog::checkpoint_json(const store::AuditCheckpoint& cp) {
  return {{"id", cp.id},
          {"last_event_id", cp.last_event_id},
          {"last_event_hash", cp.last_event_hash},
          {"event_count", cp.event_count},
          {"created_at", format_rfc3339(cp.created_at)},
          {"key_id", cp.key_id},
          {"signature", to_hex(cp.signature)}};
}

}  // namespace fleetpki::authority
