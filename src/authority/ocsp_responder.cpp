// OCSP responder: issuer index, delegated responders, pre-signed response cache, status follower.
#include "authority/ocsp_responder.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "common/log.h"
#include "common/time_format.h"
#include "pki/der.h"
#include "pki/extensions.h"
#include "pki/names.h"
#include "pki/ossl/error.h"
#include "pki/public_key.h"
#include "pki/serial_number.h"
#include "pki/tbs_template.h"

namespace fleetpki::authority {
namespace {

using SteadyClock = std::chrono::steady_clock;
using pki::OcspCertStatus;
using pki::OcspResponseStatus;

// Same backdating as issued certificates: relying parties with slightly slow clocks.
constexpr auto kResponderBackdate = std::chrono::minutes(5);
// A failed responder issuance (vault or store down) is retried after this, not at every tick, so
// that a broken store does not fill the vault with keys.
constexpr auto kResponderRetry = std::chrono::seconds(30);
constexpr int kChangePage = 1000;
constexpr const char* kActor = "ocsp-responder";

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

using SerialKey = std::pair<std::int64_t, std::string>;  // (CA id, serial hex)

/// Index key of an issuer: the hash algorithm, then issuerNameHash and issuerKeyHash (RFC 6960
/// §4.1.1). Built in a fixed buffer: the lookup allocates nothing.
class IssuerKey {
 public:
  IssuerKey(pki::OcspHashAlgorithm hash, ByteView name_hash, ByteView key_hash) {
    if (name_hash.size() + key_hash.size() + 1 > sizeof buffer_) {
      return;  // parse_ocsp_request checked the lengths; an empty key matches nothing
    }
    buffer_[0] = hash == pki::OcspHashAlgorithm::Sha1 ? '1' : '2';
    std::copy(name_hash.begin(), name_hash.end(), buffer_ + 1);
    std::copy(key_hash.begin(), key_hash.end(), buffer_ + 1 + name_hash.size());
    size_ = 1 + name_hash.size() + key_hash.size();
  }
  std::string_view view() const { return {buffer_, size_}; }

 private:
  char buffer_[1 + 2 * 64] = {};
  std::size_t size_ = 0;
};

/// A CA's current delegated responder: key, certificate, byKey ResponderID.
struct ResponderKey {
  keys::SignerPtr signer;
  Bytes certificate_der;
  std::string serial_hex;
  Bytes key_hash;
  TimePoint not_before{};
  TimePoint not_after{};

  /// RFC 6960 §4.2.2.2: keep the delegation short-lived; renew with a third of its life left.
  TimePoint renew_at() const { return not_after - (not_after - not_before) / 3; }
};

/// The served CAs, immutable once built.
struct IssuerIndex {
  StringMap<std::shared_ptr<const CaRuntime>> by_hash;
  std::vector<std::shared_ptr<const CaRuntime>> cas;
  /// Certificates of child CAs, which the certificates table does not hold: (parent id, serial).
  std::set<SerialKey> ca_certificates;
};

/// Pre-signed answers keyed by the CertID DER as sent, with the status change log position they
/// reflect. Bounded: second-chance (CLOCK) eviction, so that a hit only sets a flag under the
/// shared lock.
class ResponseCache final {
 public:
  struct Entry {
    std::shared_ptr<const OcspResponseBlob> blob;
    std::int64_t ca_id = 0;
    std::string serial_hex;
  };

  explicit ResponseCache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

  /// The cached answer; null when absent or while the log position is unknown.
  std::shared_ptr<const Entry> find(std::string_view cert_id) const {
    std::shared_lock lock(mutex_);
    if (applied_ < 0) {
      return nullptr;
    }
    auto it = map_.find(cert_id);
    if (it == map_.end()) {
      return nullptr;
    }
    if (!it->second.referenced.load(std::memory_order_relaxed)) {
      it->second.referenced.store(true, std::memory_order_relaxed);
    }
    return it->second.entry;
  }

  /// Stores `entry` unless a status change was applied since `seen` (the log position read before
  /// the store lookups that produced it): such an answer may predate the change.
  bool insert(std::string_view cert_id, std::shared_ptr<const Entry> entry, std::int64_t seen) {
    std::unique_lock lock(mutex_);
    if (applied_ < 0 || applied_ != seen) {
      return false;
    }
    auto it = map_.find(cert_id);
    if (it != map_.end()) {
      it->second.entry = std::move(entry);
      it->second.referenced.store(true, std::memory_order_relaxed);
      return true;
    }
    claim_ring_slot(cert_id);
    auto [slot, inserted] = map_.try_emplace(std::string(cert_id));
    slot->second.entry = entry;
    by_serial_[SerialKey(entry->ca_id, entry->serial_hex)].push_back(std::string(cert_id));
    return true;
  }

  /// Moves the log position to `applied` and removes the answers of `serials`, which are returned
  /// (CertID DER, entry) for re-signing.
  std::vector<std::pair<std::string, std::shared_ptr<const Entry>>> advance(std::int64_t applied,
                                                                            const std::set<SerialKey>& serials) {
    std::unique_lock lock(mutex_);
    applied_ = applied;
    std::vector<std::pair<std::string, std::shared_ptr<const Entry>>> removed;
    for (const auto& serial : serials) {
      auto keys = by_serial_.find(serial);
      if (keys == by_serial_.end()) {
        continue;
      }
      for (auto& key : keys->second) {
        auto it = map_.find(key);
        if (it != map_.end()) {
          removed.emplace_back(key, std::move(it->second.entry));
          map_.erase(it);
        }
      }
      by_serial_.erase(keys);
    }
    return removed;
  }

  /// Empties the cache and sets the log position (start, or after losing track of the log).
  void reset(std::int64_t applied) {
    std::unique_lock lock(mutex_);
    map_.clear();
    by_serial_.clear();
    ring_.clear();
    hand_ = 0;
    applied_ = applied;
  }

  std::int64_t applied() const {
    std::shared_lock lock(mutex_);
    return applied_;
  }
  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return map_.size();
  }

 private:
  struct Slot {
    std::shared_ptr<const Entry> entry;
    mutable std::atomic<bool> referenced{false};
  };

  /// Makes room for one new key (mutex held): a free ring slot, or the first unreferenced entry
  /// after the hand (clearing reference flags on the way; two sweeps at most).
  void claim_ring_slot(std::string_view cert_id) {
    if (ring_.size() < capacity_) {
      ring_.emplace_back(cert_id);
      return;
    }
    for (std::size_t step = 0; step < 2 * capacity_ + 1; ++step) {
      std::string& key = ring_[hand_];
      hand_ = (hand_ + 1) % ring_.size();
      auto it = map_.find(key);
      if (it == map_.end()) {  // removed by advance(): reuse the slot
        key.assign(cert_id);
        return;
      }
      if (it->second.referenced.load(std::memory_order_relaxed) && step < 2 * capacity_) {
        it->second.referenced.store(false, std::memory_order_relaxed);
        continue;
      }
      forget_serial_key(*it->second.entry, key);
      map_.erase(it);
      key.assign(cert_id);
      return;
    }
  }

  void forget_serial_key(const Entry& entry, const std::string& key) {
    auto keys = by_serial_.find(SerialKey(entry.ca_id, entry.serial_hex));
    if (keys == by_serial_.end()) {
      return;
    }
    auto& list = keys->second;
    list.erase(std::remove(list.begin(), list.end(), key), list.end());
    if (list.empty()) {
      by_serial_.erase(keys);
    }
  }

  const std::size_t capacity_;
  mutable std::shared_mutex mutex_;
  StringMap<Slot> map_;
  std::vector<std::string> ring_;
  std::size_t hand_ = 0;
  std::map<SerialKey, std::vector<std::string>> by_serial_;
  std::int64_t applied_ = -1;  // status change log position; -1 = unknown (nothing is cached)
};

/// The status of one CertID, from the store.
struct EntryStatus {
  OcspCertStatus status = OcspCertStatus::Good;
  TimePoint revocation_time{};
  std::optional<pki::CrlReason> reason;
  bool never_issued = false;
};

struct Counters {
  std::array<std::atomic<std::uint64_t>, 7> responses{};
  std::atomic<std::uint64_t> good{0}, revoked{0}, unknown{0};
  std::atomic<std::uint64_t> cache_hits{0}, cache_misses{0}, signed_live{0}, resigned{0};
  std::atomic<std::uint64_t> changes_applied{0}, responders_issued{0};
  std::array<std::atomic<std::uint64_t>, OcspMetrics::kLatencyBounds.size() + 1> latency{};
  std::atomic<std::uint64_t> latency_sum_ns{0};
};

/// Wakes the follower thread; shared with the Authority's status listener, which may outlive
/// the responder.
struct Wakeup {
  std::mutex mutex;
  std::condition_variable cv;
  bool pending = false;
  bool stopping = false;

  void notify() {
    {
      std::lock_guard lock(mutex);
      pending = true;
    }
    cv.notify_one();
  }
};

Result<std::string> random_hex(std::size_t bytes) {
  Bytes b(bytes);
  if (::RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    return fail(pki::ossl::last_error("RAND_bytes"));
  }
  return to_hex(b);
}

Result<std::string> quoted_sha256_hex(const pki::CryptoContext& crypto, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (::EVP_Digest(data.data(), data.size(), md, &md_len, crypto.sha256(), nullptr) != 1) {
    return fail(pki::ossl::last_error("EVP_Digest"));
  }
  return "\"" + to_hex(ByteView(md, md_len)) + "\"";
}

/// RFC 5280 reasons an OCSP RevokedInfo may carry (removeFromCRL only exists in delta CRLs).
std::optional<pki::CrlReason> ocsp_reason(std::optional<int> stored) {
  if (!stored || !pki::is_valid_crl_reason(*stored) || *stored == static_cast<int>(pki::CrlReason::RemoveFromCrl)) {
    return std::nullopt;
  }
  return static_cast<pki::CrlReason>(*stored);
}

/// At most one log line per second from the request path: a failing store must not flood the log
/// at the request rate.
class LogLimiter final {
 public:
  bool allow() {
    const std::int64_t second =
        std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now().time_since_epoch()).count();
    std::int64_t previous = last_.load(std::memory_order_relaxed);
    return previous != second && last_.compare_exchange_strong(previous, second, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t> last_{-1};
};

std::size_t latency_bucket(double seconds) {
  const auto& bounds = OcspMetrics::kLatencyBounds;
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct OcspResponder::Impl {
  Impl(Authority& authority, store::Store& store, keys::KeyVault& vault, const pki::CryptoContext& crypto,
       const Clock& clock, const OcspPolicy& policy)
      : authority_(authority), store_(store), vault_(vault), crypto_(crypto), clock_(clock), policy_(policy),
        cache_(policy.cache_capacity), wakeup_(std::make_shared<Wakeup>()) {
    for (auto status : {OcspResponseStatus::MalformedRequest, OcspResponseStatus::InternalError,
                        OcspResponseStatus::TryLater, OcspResponseStatus::Unauthorized}) {
      auto blob = std::make_shared<OcspResponseBlob>();
      const Bytes der = pki::encode_ocsp_error(status);
      blob->der.assign(der.begin(), der.end());
      error_blobs_[static_cast<std::size_t>(status)] = std::move(blob);
    }
  }

  OcspAnswer respond(ByteView request_der);
  OcspAnswer answer(ByteView request_der, TimePoint now);
  OcspAnswer error(OcspResponseStatus status, TimePoint now) const {
    return OcspAnswer{status, error_blobs_[static_cast<std::size_t>(status)], now};
  }

  // issuers and responders
  Status reload_issuers(bool force);
  std::shared_ptr<const IssuerIndex> issuers() const {
    std::shared_lock lock(index_mutex_);
    return index_;
  }
  std::shared_ptr<const CaRuntime> find_issuer(const pki::OcspCertId& id);
  std::shared_ptr<const ResponderKey> responder_for(std::int64_t ca_id) const {
    std::shared_lock lock(responders_mutex_);
    auto it = responders_.find(ca_id);
    return it == responders_.end() ? nullptr : it->second;
  }
  Status ensure_responders(const IssuerIndex& current);
  Result<std::shared_ptr<const ResponderKey>> load_stored_responder(const CaRuntime& ca);
  Result<std::shared_ptr<const ResponderKey>> issue_responder(const CaRuntime& ca);

  // answers
  Result<EntryStatus> lookup_status(const IssuerIndex& current, std::int64_t ca_id, const std::string& serial_hex,
                                    const ResponderKey& responder);
  struct SignInput {
    ByteView cert_id_der;
    EntryStatus status;
  };
  Result<std::shared_ptr<const OcspResponseBlob>> sign(const ResponderKey& responder, const std::vector<SignInput>& entries,
                                                       const std::optional<Bytes>& nonce, TimePoint now);
  /// Signs the single-entry answer of `cert_id_der` from the store and caches it if no status
  /// change was applied meanwhile.
  Result<std::shared_ptr<const OcspResponseBlob>> sign_and_cache(const IssuerIndex& current, std::int64_t ca_id,
                                                                 const std::string& serial_hex,
                                                                 std::string_view cert_id_der, TimePoint now);

  // background
  Status tick();
  Status apply_status_changes();
  void run();

  Authority& authority_;
  store::Store& store_;
  keys::KeyVault& vault_;
  const pki::CryptoContext& crypto_;
  const Clock& clock_;
  const OcspPolicy policy_;

  mutable std::shared_mutex index_mutex_;
  std::shared_ptr<const IssuerIndex> index_ = std::make_shared<IssuerIndex>();
  std::mutex reload_mutex_;  // one reload at a time
  bool loaded_ = false;
  SteadyClock::time_point last_reload_{};

  mutable std::shared_mutex responders_mutex_;
  std::map<std::int64_t, std::shared_ptr<const ResponderKey>> responders_;
  std::mutex issue_mutex_;  // one responder issuance at a time (reload and tick may race)
  std::map<std::int64_t, SteadyClock::time_point> retry_after_;  // guarded by issue_mutex

  ResponseCache cache_;
  std::atomic<bool> follower_ok_{false};
  std::mutex tick_mutex_;

  std::array<std::shared_ptr<const OcspResponseBlob>, 7> error_blobs_;
  Counters counters_;
  LogLimiter request_log_;

  std::shared_ptr<Wakeup> wakeup_;
  bool listener_registered_ = false;
  std::thread thread_;
};

// ---- issuers and responders -------------------------------------------------------------------

Status OcspResponder::Impl::reload_issuers(bool force) {
  std::lock_guard lock(reload_mutex_);
  const auto now = SteadyClock::now();
  if (!force && loaded_ && now - last_reload_ < policy_.issuer_reload_interval) {
    return ok();
  }
  last_reload_ = now;
  FLEETPKI_TRY(auto cas, authority_.all_cas());
  auto fresh = std::make_shared<IssuerIndex>();
  std::map<std::int64_t, const CaRuntime*> by_id;
  for (const auto& ca : cas) {
    by_id[ca->record.id] = ca.get();
  }
  const TimePoint now_time = clock_.now();
  for (const auto& ca : cas) {
    if (ca->record.parent_id && by_id.count(*ca->record.parent_id) != 0) {
      fresh->ca_certificates.emplace(*ca->record.parent_id, pki::serial_to_hex(ca->certificate->serial()));
    }
    if (ca->certificate->not_after() <= now_time) {
      // An expired CA is not served (unauthorized): it can no longer delegate to a responder.
      log::debug("ocsp: CA " + ca->tenant_name + "/" + ca->record.name + " has expired; not served");
      continue;
    }
    auto hashes = pki::issuer_hashes(ca->certificate->subject_der(), ca->certificate->public_key().spki_der);
    if (!hashes) {
      log::warn("ocsp: CA " + ca->tenant_name + "/" + ca->record.name + " not served: " + hashes.error().message);
      continue;
    }
    fresh->by_hash[std::string(IssuerKey(pki::OcspHashAlgorithm::Sha1, hashes->name_sha1, hashes->key_sha1).view())] = ca;
    fresh->by_hash[std::string(IssuerKey(pki::OcspHashAlgorithm::Sha256, hashes->name_sha256, hashes->key_sha256).view())] =
        ca;
    fresh->cas.push_back(ca);
  }
  {
    std::unique_lock index_lock(index_mutex_);
    index_ = fresh;
  }
  loaded_ = true;
  // CAs seen for the first time get their responder now (stored one if still good, else new).
  return ensure_responders(*fresh);
}

std::shared_ptr<const CaRuntime> OcspResponder::Impl::find_issuer(const pki::OcspCertId& id) {
  const IssuerKey key(id.hash, id.issuer_name_hash, id.issuer_key_hash);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto current = issuers();
    auto it = current->by_hash.find(key.view());
    if (it != current->by_hash.end()) {
      return it->second;
    }
    if (attempt == 0) {
      // A CA created since the last load (at most one reload per interval, whatever the traffic).
      auto reloaded = reload_issuers(false);
      if (!reloaded) {
        log::warn("ocsp: reloading the CA list failed: " + reloaded.error().message + " " + reloaded.error().detail);
      }
    }
  }
  return nullptr;
}

Status OcspResponder::Impl::ensure_responders(const IssuerIndex& current) {
  Status result = ok();
  const TimePoint now = clock_.now();
  for (const auto& ca : current.cas) {
    auto existing = responder_for(ca->record.id);
    if ((existing && now < existing->renew_at()) || ca->certificate->not_after() <= now) {
      continue;  // still fresh, or the CA expired since the index was built (no new delegation)
    }
    std::lock_guard lock(issue_mutex_);
    existing = responder_for(ca->record.id);  // made by a concurrent reload meanwhile?
    if (existing && now < existing->renew_at()) {
      continue;
    }
    // A renewal that cannot outlive the current certificate (the CA itself ends first) is pointless.
    const TimePoint ca_end = ca->certificate->not_after();
    if (existing && std::min(now + policy_.responder_validity, ca_end) <= existing->not_after) {
      continue;
    }
    auto retry = retry_after_.find(ca->record.id);
    if (retry != retry_after_.end() && SteadyClock::now() < retry->second) {
      continue;
    }
    Result<std::shared_ptr<const ResponderKey>> made = nullptr;
    if (!existing) {  // first use in this process: reuse the stored responder if still good
      made = load_stored_responder(*ca);
      if (!made) {
        log::warn("ocsp: stored responder of CA " + ca->tenant_name + "/" + ca->record.name +
                  " not usable, issuing a new one: " + made.error().message);
        made = nullptr;
      }
    }
    if (!*made) {
      made = issue_responder(*ca);
    }
    if (!made) {
      retry_after_[ca->record.id] = SteadyClock::now() + kResponderRetry;
      log::error("ocsp: cannot make the responder of CA " + ca->tenant_name + "/" + ca->record.name + ": " +
                 made.error().message + " " + made.error().detail);
      result = fail(made.error());
      continue;
    }
    retry_after_.erase(ca->record.id);
    std::unique_lock responders_lock(responders_mutex_);
    responders_[ca->record.id] = *made;
  }
  return result;
}

/// The stored responder of `ca` if it is still usable: signed by this CA's current key, its key
/// in the vault, not due for renewal. nullptr when there is none or it is due.
Result<std::shared_ptr<const ResponderKey>> OcspResponder::Impl::load_stored_responder(const CaRuntime& ca) {
  FLEETPKI_TRY(auto stored, store_.find_ocsp_responder(ca.record.id));
  if (!stored) {
    return nullptr;
  }
  FLEETPKI_TRY(auto cert, pki::Certificate::from_der(crypto_, stored->certificate_der));
  FLEETPKI_TRY(auto envelope, pki::der::parse_signed_envelope(stored->certificate_der, "responder certificate"));
  FLEETPKI_TRY(auto alg, pki::parse_signature_algorithm(envelope.algorithm.encoded));
  FLEETPKI_TRY(auto signature, pki::der::bit_string_octets(envelope.signature.content));
  FLEETPKI_TRY(auto ca_key, pki::make_verification_key(crypto_, ca.certificate->public_key()));
  FLEETPKI_TRY(bool valid, pki::verify_signature(crypto_, ca_key.get(), alg, envelope.to_be_signed.encoded, signature));
  if (!valid || cert.issuer_der() != ca.certificate->subject_der()) {
    return fail(Errc::FailedPrecondition, "the stored responder certificate is not signed by the CA's current key");
  }
  FLEETPKI_TRY(auto signer, vault_.open_signer(stored->key_ref));
  if (signer->public_key_spki() != cert.public_key().spki_der) {
    return fail(Errc::FailedPrecondition, "the stored responder key does not match its certificate");
  }
  auto responder = std::make_shared<ResponderKey>();
  responder->signer = std::move(signer);
  responder->certificate_der = stored->certificate_der;
  responder->serial_hex = pki::serial_to_hex(cert.serial());
  FLEETPKI_TRY(responder->key_hash, pki::responder_key_hash(cert.public_key().spki_der));
  responder->not_before = cert.not_before();
  responder->not_after = cert.not_after();
  if (clock_.now() >= responder->renew_at()) {
    return nullptr;
  }
  return std::shared_ptr<const ResponderKey>(std::move(responder));
}

/// RFC 6960 §4.2.2.2 delegated responder: a new key in the vault and a certificate issued directly
/// by the CA with EKU id-kp-OCSPSigning, keyUsage digitalSignature, id-pkix-ocsp-nocheck (§4.2.2.2.1)
/// and no CRL DP/AIA; stored with its audit event in one transaction.
Result<std::shared_ptr<const ResponderKey>> OcspResponder::Impl::issue_responder(const CaRuntime& ca) {
  FLEETPKI_TRY(std::string suffix, random_hex(4));
  FLEETPKI_TRY(std::string key_ref,
               vault_.generate(policy_.responder_key, "ocsp-ca" + std::to_string(ca.record.id) + "-" + suffix));
  FLEETPKI_TRY(auto signer, vault_.open_signer(key_ref));
  FLEETPKI_TRY(auto key_info, pki::parse_public_key(signer->public_key_spki()));

  pki::TbsFixedParts fixed;
  fixed.signature_algorithm = ca.signer->algorithm();
  fixed.issuer_name_der = ca.certificate->subject_der();
  fixed.authority_key_id = ca.certificate->subject_key_id();
  fixed.basic_constraints_ca = false;
  fixed.key_usage = pki::kDigitalSignature;
  fixed.ext_key_usages = {pki::oid::kOcspSigning};
  fixed.ocsp_no_check = true;
  FLEETPKI_TRY(auto tpl, pki::TbsTemplate::create(fixed));

  FLEETPKI_TRY(Bytes subject, pki::encode_name({{"O", "fleetpki tenant " + ca.tenant_name},
                                                {"CN", "fleetpki " + ca.record.name + " CA OCSP responder"}}));
  FLEETPKI_TRY(Bytes serial, pki::generate_serial());
  const Bytes ski = pki::key_identifier(crypto_, key_info);
  const TimePoint now = clock_.now();
  pki::TbsVariableParts var;
  var.serial = serial;
  var.not_before = now - kResponderBackdate;
  var.not_after = std::min(now + policy_.responder_validity, ca.certificate->not_after());
  var.subject_name_der = subject;
  var.spki_der = signer->public_key_spki();
  var.subject_key_id = ski;
  if (*var.not_after <= now) {
    return fail(Errc::FailedPrecondition, "the CA's certificate has expired");
  }
  FLEETPKI_TRY(Bytes tbs, tpl.encode(var));
  FLEETPKI_TRY(Bytes signature, ca.signer->sign(tbs));

  auto responder = std::make_shared<ResponderKey>();
  responder->certificate_der = pki::assemble_certificate(tbs, ca.signer->algorithm(), signature);
  responder->serial_hex = pki::serial_to_hex(serial);
  FLEETPKI_TRY(responder->key_hash, pki::responder_key_hash(signer->public_key_spki()));
  responder->signer = std::move(signer);
  responder->not_before = var.not_before;
  responder->not_after = *var.not_after;

  store::OcspResponderRecord record;
  record.ca_id = ca.record.id;
  record.key_ref = key_ref;
  record.certificate_der = responder->certificate_der;
  record.not_after = to_unix(responder->not_after);
  record.updated_at = to_unix(now);
  store::AuditEvent event;
  event.tenant_id = ca.record.tenant_id;
  event.actor = kActor;
  event.action = "ocsp_responder.issue";
  event.object = responder->serial_hex;
  event.request_id = kActor;
  event.details_json = nlohmann::json{{"ca", ca.record.name},
                                      {"key_ref", key_ref},
                                      {"not_before", format_rfc3339(to_unix(responder->not_before))},
                                      {"not_after", format_rfc3339(record.not_after)}}
                           .dump();
  event.at = record.updated_at;
  FLEETPKI_RETURN_IF_ERROR(store_.write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.put_ocsp_responder(record));
    return tx.append_audit(event);
  }));
  counters_.responders_issued.fetch_add(1, std::memory_order_relaxed);
  log::info("ocsp: issued the responder certificate " + responder->serial_hex + " of CA " + ca.tenant_name + "/" +
            ca.record.name + ", valid until " + format_rfc3339(record.not_after));
  return std::shared_ptr<const ResponderKey>(std::move(responder));
}

// ---- answers -----------------------------------------------------------------------------------

Result<EntryStatus> OcspResponder::Impl::lookup_status(const IssuerIndex& current, std::int64_t ca_id,
                                                       const std::string& serial_hex, const ResponderKey& responder) {
  EntryStatus out;
  auto found = store_.find_certificate_by_ca(ca_id, serial_hex);
  if (!found) {  // RFC 6960 §2.3 tryLater: the store is the authority and it did not answer
    return fail(Errc::Unavailable, "certificate lookup failed: " + found.error().message, found.error().detail);
  }
  const auto& record = *found;
  if (!record) {
    // Certificates this CA signed outside the certificates table: child CAs and its responder.
    if (current.ca_certificates.count(SerialKey(ca_id, serial_hex)) != 0 || serial_hex == responder.serial_hex) {
      return out;
    }
    // RFC 6960 §2.2: a DB-backed responder may answer "revoked" for never-issued serials, with
    // the extended-revoke extension, revocationTime 1970-01-01 and reason certificateHold.
    out.never_issued = true;
    if (policy_.never_issued == NeverIssuedAnswer::Unknown) {
      out.status = OcspCertStatus::Unknown;
    } else {
      out.status = OcspCertStatus::Revoked;
      out.revocation_time = from_unix(0);
      out.reason = pki::CrlReason::CertificateHold;
    }
    return out;
  }
  if (record->status == store::kStatusValid) {
    return out;
  }
  out.status = OcspCertStatus::Revoked;
  out.revocation_time = from_unix(record->revoked_at.value_or(record->created_at));
  if (record->status == store::kStatusSuspended) {
    out.reason = pki::CrlReason::CertificateHold;  // STANDARDS.md §5.3: suspended = on hold
  } else if (record->status == store::kStatusRevoked) {
    out.reason = ocsp_reason(record->revocation_reason);
  } else {
    return fail(Errc::DataLoss, "certificate " + serial_hex + " has the unknown status '" + record->status + "'");
  }
  return out;
}

Result<std::shared_ptr<const OcspResponseBlob>> OcspResponder::Impl::sign(const ResponderKey& responder,
                                                                         const std::vector<SignInput>& entries,
                                                                         const std::optional<Bytes>& nonce,
                                                                         TimePoint now) {
  pki::OcspResponseParts parts;
  parts.responder_key_hash = responder.key_hash;
  parts.produced_at = now;
  parts.nonce = nonce;
  // RFC 9919 §4.2.2: nextUpdate always; never beyond the responder certificate's life.
  const TimePoint next_update = std::min(now + policy_.response_validity, responder.not_after);
  if (next_update <= now) {
    return fail(Errc::Unavailable, "the responder certificate has expired");
  }
  for (const auto& entry : entries) {
    pki::OcspSingleResponse single;
    single.cert_id_der = entry.cert_id_der;
    single.status = entry.status.status;
    single.revocation_time = entry.status.revocation_time;
    single.revocation_reason = entry.status.reason;
    single.this_update = now;
    single.next_update = next_update;
    parts.responses.push_back(single);
    if (entry.status.never_issued && entry.status.status == OcspCertStatus::Revoked) {
      parts.extended_revoke = true;
    }
  }
  FLEETPKI_TRY(Bytes data, pki::encode_response_data(parts));
  FLEETPKI_TRY(Bytes signature, responder.signer->sign(data));
  const Bytes der = pki::assemble_ocsp_response(data, responder.signer->algorithm(), signature,
                                                {ByteView(responder.certificate_der)});
  counters_.signed_live.fetch_add(1, std::memory_order_relaxed);

  auto blob = std::make_shared<OcspResponseBlob>();
  blob->der.assign(der.begin(), der.end());
  blob->cacheable = !nonce;
  blob->this_update = now;
  blob->next_update = next_update;
  blob->refresh_at = now + (next_update - now) / 2;
  blob->first_status = entries.front().status.status;
  if (blob->cacheable) {
    FLEETPKI_TRY(blob->etag, quoted_sha256_hex(crypto_, blob->der));
  }
  return std::shared_ptr<const OcspResponseBlob>(std::move(blob));
}

Result<std::shared_ptr<const OcspResponseBlob>> OcspResponder::Impl::sign_and_cache(const IssuerIndex& current,
                                                                                   std::int64_t ca_id,
                                                                                   const std::string& serial_hex,
                                                                                   std::string_view cert_id_der,
                                                                                   TimePoint now) {
  auto responder = responder_for(ca_id);
  if (!responder) {
    return fail(Errc::Unavailable, "the CA has no OCSP responder yet");
  }
  // The log position before reading the status: if a change is applied meanwhile, this answer
  // may predate it and is not cached (the follower re-signs after the change).
  const std::int64_t seen = cache_.applied();
  FLEETPKI_TRY(EntryStatus status, lookup_status(current, ca_id, serial_hex, *responder));
  FLEETPKI_TRY(auto blob, sign(*responder, {SignInput{as_bytes(cert_id_der), status}}, std::nullopt, now));
  auto entry = std::make_shared<ResponseCache::Entry>();
  entry->blob = blob;
  entry->ca_id = ca_id;
  entry->serial_hex = serial_hex;
  cache_.insert(cert_id_der, std::move(entry), seen);
  return blob;
}

OcspAnswer OcspResponder::Impl::respond(ByteView request_der) {
  const auto started = SteadyClock::now();
  OcspAnswer out = answer(request_der, clock_.now());
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - started);
  counters_.responses[static_cast<std::size_t>(out.status)].fetch_add(1, std::memory_order_relaxed);
  counters_.latency[latency_bucket(static_cast<double>(elapsed.count()) / 1e9)].fetch_add(1, std::memory_order_relaxed);
  counters_.latency_sum_ns.fetch_add(static_cast<std::uint64_t>(elapsed.count()), std::memory_order_relaxed);
  return out;
}

OcspAnswer OcspResponder::Impl::answer(ByteView request_der, TimePoint now) {
  if (request_der.empty() || request_der.size() > policy_.max_request_bytes) {
    return error(OcspResponseStatus::MalformedRequest, now);
  }
  // RFC 6960 §4.2.1 / §2.3: anything that does not parse within the limits is malformedRequest
  // (unsupported hash algorithms and too many entries included).
  auto request = pki::parse_ocsp_request(request_der, {.max_entries = policy_.max_entries});
  if (!request) {
    return error(OcspResponseStatus::MalformedRequest, now);
  }
  const bool cacheable = !request->nonce && request->cert_ids.size() == 1;
  if (cacheable) {
    const std::string_view key = as_chars(request->cert_ids.front().encoded);
    if (follower_ok_.load(std::memory_order_relaxed)) {
      if (auto hit = cache_.find(key); hit && now >= hit->blob->this_update && now < hit->blob->refresh_at) {
        counters_.cache_hits.fetch_add(1, std::memory_order_relaxed);
        switch (hit->blob->first_status) {
          case OcspCertStatus::Good: counters_.good.fetch_add(1, std::memory_order_relaxed); break;
          case OcspCertStatus::Revoked: counters_.revoked.fetch_add(1, std::memory_order_relaxed); break;
          case OcspCertStatus::Unknown: counters_.unknown.fetch_add(1, std::memory_order_relaxed); break;
        }
        return OcspAnswer{OcspResponseStatus::Successful, hit->blob, now};
      }
    }
    counters_.cache_misses.fetch_add(1, std::memory_order_relaxed);
  }

  // Every entry must name a served CA, all the same one: one delegated responder signs the answer.
  std::shared_ptr<const CaRuntime> ca;
  for (const auto& id : request->cert_ids) {
    auto issuer = find_issuer(id);
    if (!issuer || (ca && issuer != ca)) {
      return error(OcspResponseStatus::Unauthorized, now);
    }
    ca = std::move(issuer);
  }
  auto current = issuers();
  auto responder = responder_for(ca->record.id);
  if (!responder) {
    return error(OcspResponseStatus::TryLater, now);
  }

  Result<std::shared_ptr<const OcspResponseBlob>> blob = nullptr;
  std::vector<OcspCertStatus> statuses;
  if (cacheable) {
    const auto& id = request->cert_ids.front();
    blob = sign_and_cache(*current, ca->record.id, pki::serial_to_hex(id.serial), as_chars(id.encoded), now);
    if (blob) {
      statuses.push_back((*blob)->first_status);
    }
  } else {
    std::vector<SignInput> entries;
    Status looked_up = ok();
    for (const auto& id : request->cert_ids) {
      auto status = lookup_status(*current, ca->record.id, pki::serial_to_hex(id.serial), *responder);
      if (!status) {
        looked_up = fail(status.error());
        break;
      }
      entries.push_back(SignInput{id.encoded, *status});
      statuses.push_back(status->status);
    }
    blob = looked_up ? sign(*responder, entries, request->nonce, now) : fail(looked_up.error());
  }
  if (!blob) {
    const Error& e = blob.error();
    if (request_log_.allow()) {
      log::warn("ocsp: " + std::string(errc_name(e.code)) + ": " + e.message + " " + e.detail);
    }
    // RFC 6960 §2.3: tryLater while the store (or the responder certificate) is unavailable,
    // internalError for anything else (encoding, signing).
    return error(e.code == Errc::Unavailable ? OcspResponseStatus::TryLater : OcspResponseStatus::InternalError, now);
  }
  for (auto status : statuses) {
    switch (status) {
      case OcspCertStatus::Good: counters_.good.fetch_add(1, std::memory_order_relaxed); break;
      case OcspCertStatus::Revoked: counters_.revoked.fetch_add(1, std::memory_order_relaxed); break;
      case OcspCertStatus::Unknown: counters_.unknown.fetch_add(1, std::memory_order_relaxed); break;
    }
  }
  return OcspAnswer{OcspResponseStatus::Successful, std::move(*blob), now};
}

// ---- background ----------------------------------------------------------------------------------

Status OcspResponder::Impl::apply_status_changes() {
  if (cache_.applied() < 0) {
    // First round: nothing is cached yet, so the log's history is irrelevant; follow from its end.
    FLEETPKI_TRY(std::int64_t last, store_.last_status_change_id());
    cache_.reset(last);
  }
  for (;;) {
    const std::int64_t after = cache_.applied();
    auto changes = store_.list_status_changes(after, kChangePage);
    if (!changes) {
      // Cached answers can no longer be known fresh: answer from the store until the log is back.
      follower_ok_.store(false);
      return fail(changes.error());
    }
    follower_ok_.store(true);
    if (changes->empty()) {
      return ok();
    }
    std::set<SerialKey> serials;
    for (const auto& change : *changes) {
      serials.emplace(change.ca_id, change.serial_hex);
    }
    const std::int64_t applied = changes->back().id;
    auto removed = cache_.advance(applied, serials);
    counters_.changes_applied.fetch_add(changes->size(), std::memory_order_relaxed);
    // Re-sign at once what was cached for the changed serials (pre-signed answers stay warm).
    auto current = issuers();
    const TimePoint now = clock_.now();
    for (const auto& [cert_id, entry] : removed) {
      auto blob = sign_and_cache(*current, entry->ca_id, entry->serial_hex, cert_id, now);
      if (blob) {
        counters_.resigned.fetch_add(1, std::memory_order_relaxed);
      } else {
        log::warn("ocsp: re-signing after a status change failed (answered live instead): " + blob.error().message);
      }
    }
    if (changes->size() < static_cast<std::size_t>(kChangePage)) {
      return ok();
    }
  }
}

Status OcspResponder::Impl::tick() {
  std::lock_guard lock(tick_mutex_);
  Status followed = apply_status_changes();
  Status renewed = ensure_responders(*issuers());
  if (!followed) {
    return followed;
  }
  return renewed;
}

void OcspResponder::Impl::run() {
  bool failing = false;
  std::unique_lock lock(wakeup_->mutex);
  while (!wakeup_->stopping) {
    wakeup_->cv.wait_for(lock, policy_.poll_interval, [&] { return wakeup_->pending || wakeup_->stopping; });
    if (wakeup_->stopping) {
      break;
    }
    wakeup_->pending = false;
    lock.unlock();
    Status status = tick();
    if (!status && !failing) {
      log::error("ocsp: background work failing (answers come from the store meanwhile): " + status.error().message +
                 " " + status.error().detail);
    } else if (status && failing) {
      log::info("ocsp: background work recovered");
    }
    failing = !status;
    lock.lock();
  }
}

// ---- OcspResponder ---------------------------------------------------------------------------------

OcspResponder::OcspResponder(Authority& authority, store::Store& store, keys::KeyVault& vault,
                             const pki::CryptoContext& crypto, const Clock& clock, OcspPolicy policy)
    : policy_(policy), impl_(std::make_unique<Impl>(authority, store, vault, crypto, clock, policy_)) {}

OcspResponder::~OcspResponder() { stop(); }

Status OcspResponder::start() {
  if (impl_->thread_.joinable()) {
    return ok();
  }
  FLEETPKI_RETURN_IF_ERROR(refresh());
  if (!impl_->listener_registered_) {
    // The listener holds the wake-up state, not the responder: it may be called after we are gone.
    impl_->authority_.add_status_listener([wakeup = impl_->wakeup_] { wakeup->notify(); });
    impl_->listener_registered_ = true;
  }
  {
    std::lock_guard lock(impl_->wakeup_->mutex);
    impl_->wakeup_->stopping = false;
  }
  impl_->thread_ = std::thread([impl = impl_.get()] { impl->run(); });
  return ok();
}

void OcspResponder::stop() {
  if (!impl_ || !impl_->thread_.joinable()) {
    return;
  }
  {
    std::lock_guard lock(impl_->wakeup_->mutex);
    impl_->wakeup_->stopping = true;
  }
  impl_->wakeup_->cv.notify_all();
  impl_->thread_.join();
}

OcspAnswer OcspResponder::respond(ByteView request_der) { return impl_->respond(request_der); }

Status OcspResponder::tick() { return impl_->tick(); }

Status OcspResponder::refresh() {
  Status reloaded = impl_->reload_issuers(true);
  Status ticked = impl_->tick();
  if (!reloaded) {
    return reloaded;
  }
  return ticked;
}

OcspMetrics OcspResponder::metrics() const {
  const Counters& c = impl_->counters_;
  OcspMetrics m;
  for (std::size_t i = 0; i < m.responses.size(); ++i) {
    m.responses[i] = c.responses[i].load(std::memory_order_relaxed);
  }
  m.good = c.good.load(std::memory_order_relaxed);
  m.revoked = c.revoked.load(std::memory_order_relaxed);
  m.unknown = c.unknown.load(std::memory_order_relaxed);
  m.cache_hits = c.cache_hits.load(std::memory_order_relaxed);
  m.cache_misses = c.cache_misses.load(std::memory_order_relaxed);
  m.signed_live = c.signed_live.load(std::memory_order_relaxed);
  m.resigned_on_change = c.resigned.load(std::memory_order_relaxed);
  m.status_changes_applied = c.changes_applied.load(std::memory_order_relaxed);
  m.responder_certificates_issued = c.responders_issued.load(std::memory_order_relaxed);
  m.cache_entries = impl_->cache_.size();
  for (std::size_t i = 0; i < m.latency_counts.size(); ++i) {
    m.latency_counts[i] = c.latency[i].load(std::memory_order_relaxed);
  }
  m.latency_sum_seconds = static_cast<double>(c.latency_sum_ns.load(std::memory_order_relaxed)) / 1e9;
  return m;
}

std::optional<Bytes> OcspResponder::responder_certificate(std::int64_t ca_id) const {
  auto responder = impl_->responder_for(ca_id);
  if (!responder) {
    return std::nullopt;
  }
  return responder->certificate_der;
}

}  // namespace fleetpki::authority
