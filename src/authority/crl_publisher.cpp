// CRL publisher: per-scope entry indexes kept current from the status change log, complete and
// delta CRLs signed and stored in one transaction with their number (RFC 5280 §5).
#include "authority/crl_publisher.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <set>

#include "authority/crl_partition.h"
#include "common/check.h"
#include "common/log.h"
#include "pki/crl.h"
#include "pki/der.h"
#include "pki/serial_number.h"

namespace fleetpki::authority {
namespace crl_detail {

/// Leading zero octets stripped: the key of a serial, whether it comes from a magnitude
/// (serial_from_hex) or from DER INTEGER content (with its sign octet).
ByteView serial_key(ByteView serial) {
  std::size_t i = 0;
  while (i + 1 < serial.size() && serial[i] == 0) {
    ++i;
  }
  return serial.subspan(i);
}

/// Total length of the DER element at `p` (definite length, as our encoder writes it).
std::size_t element_size(const std::uint8_t* p) {
  const std::uint8_t first = p[1];
  if (first < 0x80) {
    return 2 + std::size_t{first};
  }
  const std::size_t octets = first & 0x7F;
  std::size_t length = 0;
  for (std::size_t i = 0; i < octets; ++i) {
    length = (length << 8) | p[2 + i];
  }
  return 2 + octets + length;
}

/// The serial key of a revokedCertificates entry SEQUENCE { serial INTEGER, … }.
ByteView entry_serial_key(ByteView entry) {
  pki::der::Reader outer(entry);
  auto seq = outer.expect(pki::der::tag::kSequence);
  FLEETPKI_CHECK(seq && outer.empty(), "CRL entries come from pki::encode_crl_entry");
  pki::der::Reader inner(seq->content);
  auto serial = inner.expect(pki::der::tag::kInteger);
  FLEETPKI_CHECK(serial.has_value(), "CRL entries come from pki::encode_crl_entry");
  return serial_key(serial->content);
}

/// The revoked and suspended certificates of one scope as pre-encoded CRL entries, keyed by
/// serial. Entries live in one arena of fixed-size blocks (a record is the certificate's notAfter,
/// 8 octets, then the entry DER: ~57 octets for a 16-octet serial with a reason code), found
/// through an open-addressing hash table of 8-octet slots (linear probing, load <= 1/2,
/// backward-shift deletion). A million entries take ~57 MB of arena and 16 MB of slots, and no
/// allocation per entry. Replaced and erased records become garbage, reclaimed by a rebuild once it
/// outweighs the live records.
class EntryIndex {
 public:
  /// Inserts or replaces the entry of its serial. `entry` is one pki::encode_crl_entry() output.
  void upsert(ByteView entry, std::int64_t not_after) {
    const ByteView key = entry_serial_key(entry);
    const std::uint32_t hash = hash_of(key);
    if ((size_ + 1) * 2 > slots_.size()) {
      rebuild(std::max<std::size_t>(16, slots_.size() * 2), std::nullopt);
    }
    const std::uint32_t ref = append(not_after, entry) + 1;
    std::size_t i = hash & mask();
    while (slots_[i].ref != 0) {
      if (slots_[i].hash == hash && key_equal(slots_[i].ref, key)) {
        garbage_ += record_size(slots_[i].ref);
        slots_[i].ref = ref;
        maybe_compact();
        return;
      }
      i = (i + 1) & mask();
    }
    slots_[i] = {ref, hash};
    ++size_;
    min_not_after_ = std::min(min_not_after_, not_after);
  }

  /// Removes the entry of `serial` (magnitude or INTEGER content); false when absent.
  bool erase(ByteView serial) {
    if (size_ == 0) {
      return false;
    }
    const ByteView key = serial_key(serial);
    const std::uint32_t hash = hash_of(key);
    std::size_t i = hash & mask();
    while (slots_[i].ref != 0 && !(slots_[i].hash == hash && key_equal(slots_[i].ref, key))) {
      i = (i + 1) & mask();
    }
    if (slots_[i].ref == 0) {
      return false;
    }
    garbage_ += record_size(slots_[i].ref);
    // Backward-shift deletion: move later members of the probe run into the hole when their home
    // slot does not lie cyclically in (hole, their position].
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask(); slots_[j].ref != 0; j = (j + 1) & mask()) {
      const std::size_t home = slots_[j].hash & mask();
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    maybe_compact();
    return true;
  }

  /// Drops the entries whose notAfter is before `cutoff`; O(1) when none can be.
  void drop_expired(std::int64_t cutoff) {
    if (size_ != 0 && min_not_after_ < cutoff) {
      rebuild(slots_.size(), cutoff);
    }
  }

  /// Calls fn(ByteView entry) for every entry, in no particular order.
  template <class F>
  void for_each(F&& fn) const {
    for (const Slot& slot : slots_) {
      if (slot.ref != 0) {
        fn(entry_at(slot.ref));
      }
    }
  }

  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const {
    return blocks_.size() * kBlockSize + slots_.size() * sizeof(Slot);
  }

 private:
  struct Slot {
    std::uint32_t ref = 0;   // arena offset + 1; 0 = empty
    std::uint32_t hash = 0;  // also the home slot (hash & mask)
  };
  static constexpr std::size_t kBlockSize = std::size_t{1} << 20;
  static constexpr std::size_t kMaxBlocks = (std::size_t{1} << 32) / kBlockSize - 1;
  static constexpr std::size_t kMinGarbage = std::size_t{64}
                                             << 10;  // compaction is O(live records)

  static std::uint32_t hash_of(ByteView key) {
    const std::size_t h = std::hash<std::string_view>{}(as_chars(key));
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }
  std::size_t mask() const { return slots_.size() - 1; }

  const std::uint8_t* record_at(std::uint32_t ref) const {
    const std::size_t offset = ref - 1;
    return blocks_[offset / kBlockSize].get() + offset % kBlockSize;
  }
  std::int64_t not_after_at(std::uint32_t ref) const {
    std::int64_t value = 0;
    std::memcpy(&value, record_at(ref), sizeof value);
    return value;
  }
  ByteView entry_at(std::uint32_t ref) const {
    const std::uint8_t* entry = record_at(ref) + sizeof(std::int64_t);
    return {entry, element_size(entry)};
  }
  std::size_t record_size(std::uint32_t ref) const {
    return sizeof(std::int64_t) + entry_at(ref).size();
  }
  bool key_equal(std::uint32_t ref, ByteView key) const {
    const ByteView stored = entry_serial_key(entry_at(ref));
    return stored.size() == key.size() && std::equal(stored.begin(), stored.end(), key.begin());
  }

  /// Appends a record; returns its arena offset.
  std::uint32_t append(std::int64_t not_after, ByteView entry) {
    const std::size_t need = sizeof not_after + entry.size();
    FLEETPKI_CHECK(need <= kBlockSize, "a CRL entry is a few dozen octets");
    if (blocks_.empty() || used_ + need > kBlockSize) {
      FLEETPKI_CHECK(blocks_.size() < kMaxBlocks, "CRL entry arena above 4 GiB");
      // Uninitialized: pages become resident only when written.
      blocks_.push_back(std::unique_ptr<std::uint8_t[]>(new std::uint8_t[kBlockSize]));
      used_ = 0;
    }
    std::uint8_t* at = blocks_.back().get() + used_;
    std::memcpy(at, &not_after, sizeof not_after);
    std::memcpy(at + sizeof not_after, entry.data(), entry.size());
    const std::size_t offset = (blocks_.size() - 1) * kBlockSize + used_;
    used_ += need;
    live_bytes_ += need;
    return static_cast<std::uint32_t>(offset);
  }

  void maybe_compact() {
    if (garbage_ > kMinGarbage && garbage_ > live_bytes_ - garbage_) {
      rebuild(slots_.size(), std::nullopt);
    }
  }

  /// Copies the live records (those with notAfter >= drop_before, if given) into a fresh arena
  /// and a table of `capacity` slots (shrunk while it would stay under 1/4 full).
  void rebuild(std::size_t capacity, std::optional<std::int64_t> drop_before) {
    EntryIndex fresh;
    std::size_t keep = 0;
    for (const Slot& slot : slots_) {
      if (slot.ref != 0 && (!drop_before || not_after_at(slot.ref) >= *drop_before)) {
        ++keep;
      }
    }
    while (capacity > 16 && keep * 4 < capacity) {
      capacity /= 2;
    }
    while (keep * 2 >= capacity) {
      capacity *= 2;
    }
    fresh.slots_.assign(capacity, Slot{});
    for (const Slot& slot : slots_) {
      if (slot.ref == 0) {
        continue;
      }
      const std::int64_t not_after = not_after_at(slot.ref);
      if (drop_before && not_after < *drop_before) {
        continue;
      }
      const std::uint32_t ref = fresh.append(not_after, entry_at(slot.ref)) + 1;
      std::size_t i = slot.hash & fresh.mask();
      while (fresh.slots_[i].ref != 0) {
        i = (i + 1) & fresh.mask();
      }
      fresh.slots_[i] = {ref, slot.hash};
      ++fresh.size_;
      fresh.min_not_after_ = std::min(fresh.min_not_after_, not_after);
    }
    *this = std::move(fresh);
  }

  std::vector<std::unique_ptr<std::uint8_t[]>> blocks_;
  std::size_t used_ = 0;        // octets used in the last block
  std::size_t live_bytes_ = 0;  // octets appended (live + garbage)
  std::size_t garbage_ = 0;     // octets of replaced or erased records
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::int64_t min_not_after_ = std::numeric_limits<std::int64_t>::max();  // may be stale-low
};

}  // namespace crl_detail

struct CrlPublisher::Scope {
  std::shared_ptr<const CaRuntime> ca;
  int partition = 0;
  /// A CA that issues CA certificates has one full CRL (no IDP) over all its partitions: CA
  /// certificates carry no CRL distribution point, and RFC 5280 §5.2.5 lets a CRL with an IDP
  /// name cover only certificates whose CDP names it.
  bool full = false;
  std::string name;        // "<tenant>/<ca>[.p<k>]" for logs
  std::string served_key;  // "<tenant>/<ca>/<partition>"
  pki::CrlFixedParts fixed;
  std::string complete_url;
  std::string delta_url;
  bool loaded = false;

  crl_detail::EntryIndex index;  // the state after applied_change_id
  std::int64_t applied_change_id = 0;

  std::shared_ptr<const PublishedCrl> complete;  // the base of the deltas
  std::shared_ptr<const PublishedCrl> delta;
  std::int64_t base_change_id = 0;   // change id reflected by `complete`
  std::int64_t delta_change_id = 0;  // change id reflected by `delta`
  /// RFC 5280 §3.3: an entry is removed only after it has appeared on one regularly scheduled CRL
  /// issued beyond the certificate's validity period, so the next complete CRL leaves out entries
  /// whose notAfter is before the previous complete CRL's thisUpdate.
  std::int64_t drop_before = 0;

  std::map<Bytes, Bytes> delta_entries;  // serial key -> entry: every change since the base
  bool delta_overflow = false;           // too many changes since the base: issue a complete CRL
  std::size_t delta_bytes_since_base = 0;
  bool changed_since_delta = false;
};

namespace {

constexpr int kChangePage = 10'000;

std::string quoted_sha256_hex(ByteView data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  FLEETPKI_CHECK(
      ::EVP_Q_digest(nullptr, "SHA256", nullptr, data.data(), data.size(), digest, &length) == 1,
      "SHA-256 is always available in the default provider");
  return "\"" + to_hex(ByteView(digest, length)) + "\"";
}

std::shared_ptr<const PublishedCrl> make_published(Bytes der, std::int64_t number,
                                                   std::optional<std::int64_t> base_number,
                                                   std::int64_t this_update,
                                                   std::int64_t next_update,
                                                   std::int64_t last_change_id) {
  auto crl = std::make_shared<PublishedCrl>();
  crl->etag = quoted_sha256_hex(der);
  crl->der = std::move(der);
  crl->number = number;
  crl->base_number = base_number;
  crl->this_update = from_unix(this_update);
  crl->next_update = from_unix(next_update);
  crl->last_change_id = last_change_id;
  return crl;
}

std::shared_ptr<const PublishedCrl> make_published(store::CrlRecord&& record) {
  return make_published(std::move(record.der), record.number, record.base_number,
                        record.this_update, record.next_update, record.last_change_id);
}

/// True when `der` holds `url` as a DER [6] IA5String GeneralName (the IDP or freshestCRL URI):
/// a stored CRL is reused only if it names the URLs the certificates name now (the public URL may
/// have changed between runs).
bool names_uri(ByteView der, const std::string& url) {
  Bytes needle;
  pki::der::append_tlv(needle, pki::der::tag::context(6, false), as_bytes(url));
  return std::search(der.begin(), der.end(), needle.begin(), needle.end()) != der.end();
}

std::optional<pki::CrlReason> entry_reason(const store::StatusChange& change) {
  if (change.status == store::kStatusSuspended) {
    return pki::CrlReason::CertificateHold;
  }
  if (change.revocation_reason && pki::is_valid_crl_reason(*change.revocation_reason) &&
      *change.revocation_reason != static_cast<int>(pki::CrlReason::RemoveFromCrl)) {
    return static_cast<pki::CrlReason>(*change.revocation_reason);
  }
  return std::nullopt;
}

std::optional<pki::CrlReason> entry_reason(const store::RevokedEntry& entry) {
  store::StatusChange change;
  change.status = entry.status;
  change.revocation_reason = entry.revocation_reason;
  return entry_reason(change);
}

}  // namespace

Status CrlPolicy::validate() const {
  using std::chrono::seconds;
  if (complete_validity <= seconds(0) || delta_validity <= seconds(0) ||
      complete_reissue_after <= seconds(0) || delta_reissue_after <= seconds(0) ||
      debounce.count() < 0 || poll_interval.count() <= 0 || complete_max_age.count() < 0 ||
      delta_max_age.count() < 0 || max_delta_entries == 0) {
    return fail(Errc::InvalidArgument,
                "CRL policy: durations and max_delta_entries must be positive");
  }
  if (complete_reissue_after >= complete_validity || delta_reissue_after >= delta_validity) {
    return fail(Errc::InvalidArgument,
                "CRL policy: a CRL must be re-issued before its validity ends");
  }
  return ok();
}

CrlPublisher::CrlPublisher(Authority& authority, store::Store& store, const Clock& clock,
                           CrlPolicy policy)
    : authority_(authority),
      store_(store),
      clock_(clock),
      policy_(policy),
      wake_(std::make_shared<Wake>()) {
  // The listener holds the wake state, not `this`: it may be called after the publisher is gone.
  authority_.add_status_listener([wake = wake_] {
    {
      std::lock_guard lock(wake->mutex);
      wake->pending = true;
    }
    wake->cv.notify_one();
  });
}

CrlPublisher::~CrlPublisher() {
  stop();
}

Status CrlPublisher::start() {
  if (thread_.joinable()) {
    return fail(Errc::FailedPrecondition, "the CRL publisher is already running");
  }
  FLEETPKI_RETURN_IF_ERROR(policy_.validate());
  if (auto first = publish_due(); !first) {
    last_error_ = first.error().message;
    log::warn("CRL publishing: " + first.error().message +
              (first.error().detail.empty() ? "" : " (" + first.error().detail + ")"));
  }
  thread_ = std::thread([this] { run(); });
  return ok();
}

void CrlPublisher::stop() {
  {
    std::lock_guard lock(wake_->mutex);
    wake_->stop = true;
  }
  wake_->cv.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void CrlPublisher::run() {
  Wake& wake = *wake_;
  std::unique_lock lock(wake.mutex);
  while (!wake.stop) {
    wake.cv.wait_for(lock, policy_.poll_interval, [&] { return wake.stop || wake.pending; });
    if (wake.stop) {
      break;
    }
    if (wake.pending) {
      // Debounce: a burst of status changes becomes one delta CRL.
      wake.cv.wait_for(lock, policy_.debounce, [&] { return wake.stop; });
      if (wake.stop) {
        break;
      }
    }
    wake.pending = false;
    lock.unlock();
    auto status = publish_due();
    const std::string message = status ? "" : status.error().message;
    if (message != last_error_) {
      if (status) {
        log::info("CRL publishing recovered");
      } else {
        log::error("CRL publishing: " + message +
                   (status.error().detail.empty() ? "" : " (" + status.error().detail + ")"));
      }
      last_error_ = message;
    }
    lock.lock();
  }
}

Status CrlPublisher::publish_due() {
  std::lock_guard lock(work_mutex_);
  Status first = ok();
  auto note = [&first](Status status) {
    if (!status && first) {
      first = std::move(status);
    }
  };
  note(refresh_scopes());
  if (auto followed = follow_changes(); !followed) {
    return followed;  // publishing now would sign a state that misses changes
  }
  const TimePoint now = clock_.now();
  for (auto& [key, scope] : scopes_) {
    if (scope->loaded) {
      note(publish_scope(*scope, now).map_error([&](Error e) {
        return std::move(e).with_context("CRL " + scope->name);
      }));
    }
  }
  return first;
}

Result<std::shared_ptr<const PublishedCrl>> CrlPublisher::find(std::string_view tenant,
                                                               std::string_view ca, int partition,
                                                               bool delta) const {
  std::string key;
  key.append(tenant).append("/").append(ca).append("/").append(std::to_string(partition));
  std::shared_lock lock(served_mutex_);
  auto it = served_.find(key);
  if (it == served_.end()) {
    return fail(Errc::NotFound, "no CRL at this path");
  }
  const auto& crl = delta ? it->second.delta : it->second.complete;
  if (!crl) {
    return fail(Errc::Unavailable, "this CRL has not been published yet; retry shortly");
  }
  return crl;
}

CrlPublisherStats CrlPublisher::stats() const {
  std::lock_guard lock(work_mutex_);
  CrlPublisherStats stats;
  stats.scopes = scopes_.size();
  for (const auto& [key, scope] : scopes_) {
    stats.entries += scope->index.size();
    stats.index_bytes += scope->index.memory_bytes();
  }
  stats.complete_published = complete_published_;
  stats.delta_published = delta_published_;
  return stats;
}

// ---- scopes ------------------------------------------------------------------------------------

Status CrlPublisher::refresh_scopes() {
  FLEETPKI_TRY(auto cas, authority_.all_cas());
  std::set<std::int64_t> issuers_of_cas;
  for (const auto& ca : cas) {
    if (ca->record.parent_id) {
      issuers_of_cas.insert(*ca->record.parent_id);
    }
  }
  const std::string& base = authority_.options().public_base_url;
  Status first = ok();
  for (const auto& ca : cas) {
    const bool full = issuers_of_cas.count(ca->record.id) != 0;
    const int partitions = full ? 1 : std::clamp(ca->record.crl_partitions, 1, kMaxCrlPartitions);
    for (int partition = 0; partition < partitions; ++partition) {
      auto& slot = scopes_[{ca->record.id, partition}];
      if (!slot) {
        auto scope = std::make_unique<Scope>();
        scope->ca = ca;
        scope->partition = partition;
        scope->full = full;
        scope->name = ca->tenant_name + "/" + ca->record.name +
                      (partition > 0 ? ".p" + std::to_string(partition) : "");
        scope->served_key =
            ca->tenant_name + "/" + ca->record.name + "/" + std::to_string(partition);
        scope->complete_url = base + crl_path(ca->tenant_name, ca->record.name, partition, false);
        scope->delta_url = base + crl_path(ca->tenant_name, ca->record.name, partition, true);
        scope->fixed.signature_algorithm = ca->signer->algorithm();
        scope->fixed.issuer_name_der = ca->certificate->subject_der();
        scope->fixed.authority_key_id = ca->certificate->subject_key_id();
        if (!full) {
          // RFC 5280 §5.2.5: the IDP names the scope's URL exactly as the certificates' CDP does.
          scope->fixed.distribution_point_url = scope->complete_url;
          scope->fixed.only_contains_user_certs = true;
        } else {
          full_scopes_[ca->record.id] = scope.get();
        }
        {
          std::unique_lock lock(served_mutex_);
          served_.try_emplace(scope->served_key);
        }
        slot = std::move(scope);
      }
      if (!slot->loaded) {
        auto loaded = load_scope(*slot);
        if (!loaded && first) {
          first = fail(std::move(loaded.error()).with_context("loading CRL " + slot->name));
        }
      }
    }
  }
  return first;
}

Status CrlPublisher::load_scope(Scope& scope) {
  const std::int64_t ca_id = scope.ca->record.id;
  // Read the log position before the snapshot: replaying changes after it over the snapshot is
  // idempotent (each change carries the whole new state of its certificate).
  FLEETPKI_TRY(const std::int64_t cursor, store_.last_status_change_id());
  FLEETPKI_TRY(auto stored_complete, store_.latest_crl(ca_id, scope.partition, false));
  FLEETPKI_TRY(auto stored_delta, store_.latest_crl(ca_id, scope.partition, true));
  const std::int64_t now = to_unix(clock_.now());
  const auto complete_reissue = policy_.complete_reissue_after.count();
  const auto delta_reissue = policy_.delta_reissue_after.count();

  scope.index = {};
  scope.delta_entries.clear();
  scope.delta_overflow = false;
  scope.delta_bytes_since_base = 0;
  scope.complete.reset();
  scope.delta.reset();
  scope.applied_change_id = cursor;
  scope.base_change_id = cursor;
  scope.delta_change_id = cursor;
  scope.drop_before = stored_complete ? stored_complete->this_update : now;

  // Reuse the stored CRLs while they are fresh instead of signing new ones at every start.
  const bool reuse_complete =
      stored_complete && now < stored_complete->this_update + complete_reissue &&
      now < stored_complete->next_update && stored_complete->last_change_id <= cursor &&
      names_uri(stored_complete->der, scope.delta_url) &&
      (scope.full || names_uri(stored_complete->der, scope.complete_url));
  if (reuse_complete) {
    scope.complete = make_published(std::move(*stored_complete));
    // Replaying from the base rebuilds the delta's entries (and re-applies to the index).
    scope.base_change_id = scope.complete->last_change_id;
    scope.applied_change_id = scope.base_change_id;
    scope.delta_change_id = scope.base_change_id;
    const bool reuse_delta = stored_delta && stored_delta->base_number == scope.complete->number &&
                             now < stored_delta->this_update + delta_reissue &&
                             now < stored_delta->next_update &&
                             stored_delta->last_change_id <= cursor &&
                             (scope.full || names_uri(stored_delta->der, scope.complete_url));
    if (reuse_delta) {
      scope.delta = make_published(std::move(*stored_delta));
      scope.delta_change_id = scope.delta->last_change_id;
    }
  }

  const auto started = std::chrono::steady_clock::now();
  const int first_partition = scope.full ? 0 : scope.partition;
  const int last_partition =
      scope.full ? std::clamp(scope.ca->record.crl_partitions, 1, kMaxCrlPartitions) - 1
                 : scope.partition;
  for (int partition = first_partition; partition <= last_partition; ++partition) {
    FLEETPKI_RETURN_IF_ERROR(store_.for_each_revoked(
        ca_id, partition, scope.drop_before, [&](const store::RevokedEntry& revoked) -> Status {
          FLEETPKI_TRY(Bytes serial, pki::serial_from_hex(revoked.serial_hex));
          FLEETPKI_TRY(Bytes entry, pki::encode_crl_entry(serial, from_unix(revoked.revoked_at),
                                                          entry_reason(revoked)));
          scope.index.upsert(entry, revoked.not_after);
          return ok();
        }));
  }
  scope.loaded = true;
  serve(scope);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::info(
      "CRL " + scope.name + ": " + std::to_string(scope.index.size()) + " entries loaded in " +
      std::to_string(took.count()) + " ms" +
      (scope.complete ? ", stored CRL " + std::to_string(scope.complete->number) + " reused" : ""));
  return ok();
}

// ---- the status change log ---------------------------------------------------------------------

Status CrlPublisher::follow_changes() {
  std::optional<std::int64_t> from;
  for (const auto& [key, scope] : scopes_) {
    if (scope->loaded) {
      from = std::min(from.value_or(scope->applied_change_id), scope->applied_change_id);
    }
  }
  if (!from) {
    return ok();
  }
  std::int64_t position = *from;
  while (true) {
    FLEETPKI_TRY(auto page, store_.list_status_changes(position, kChangePage));
    for (const store::StatusChange& change : page) {
      position = change.id;
      Scope* scope = nullptr;
      if (auto it = scopes_.find({change.ca_id, change.crl_partition}); it != scopes_.end()) {
        scope = it->second.get();
      } else if (auto full = full_scopes_.find(change.ca_id); full != full_scopes_.end()) {
        scope = full->second;
      }
      if (scope == nullptr || !scope->loaded || change.id <= scope->applied_change_id) {
        continue;
      }
      auto serial = pki::serial_from_hex(change.serial_hex);
      if (!serial) {
        log::error("status change " + std::to_string(change.id) +
                   " has a malformed serial; skipped");
        continue;
      }
      const bool listed =
          change.status == store::kStatusRevoked || change.status == store::kStatusSuspended;
      if (!listed && change.status != store::kStatusValid) {
        log::error("status change " + std::to_string(change.id) + " has the unknown status '" +
                   change.status + "'; skipped");
        continue;
      }
      // Listed: the entry as complete and delta CRLs show it. Released from hold: the delta tells
      // clients that merged an earlier hold to drop it (RFC 5280 §5.3.1 removeFromCRL).
      auto encoded =
          listed
              ? pki::encode_crl_entry(*serial, from_unix(change.revoked_at.value_or(change.at)),
                                      entry_reason(change))
              : pki::encode_crl_entry(*serial, from_unix(change.at), pki::CrlReason::RemoveFromCrl);
      if (!encoded) {
        // Only a corrupted row gets here (times outside 1950..9999); stopping would freeze every
        // CRL.
        log::error("status change " + std::to_string(change.id) + " cannot be encoded (" +
                   encoded.error().message + "); skipped");
        continue;
      }
      Bytes entry = std::move(*encoded);
      if (listed && change.not_after >= scope->drop_before) {
        scope->index.upsert(entry, change.not_after);
      } else {
        scope->index.erase(*serial);
      }
      if (change.id > scope->base_change_id && !scope->delta_overflow) {
        const ByteView key = crl_detail::serial_key(*serial);
        scope->delta_entries[Bytes(key.begin(), key.end())] = std::move(entry);
        if (scope->delta_entries.size() > policy_.max_delta_entries) {
          scope->delta_overflow = true;
          scope->delta_entries.clear();
        }
      }
      if (change.id > scope->delta_change_id) {
        scope->changed_since_delta = true;
      }
    }
    if (page.size() < static_cast<std::size_t>(kChangePage)) {
      break;
    }
  }
  for (auto& [key, scope] : scopes_) {
    if (scope->loaded) {
      scope->applied_change_id = std::max(scope->applied_change_id, position);
    }
  }
  return ok();
}

// ---- publication -------------------------------------------------------------------------------

Status CrlPublisher::publish_scope(Scope& scope, TimePoint now) {
  const bool complete_due =
      !scope.complete || scope.delta_overflow ||
      scope.delta_bytes_since_base >
          std::max(policy_.max_delta_bytes_since_base, scope.complete->der.size()) ||
      now >= scope.complete->this_update + policy_.complete_reissue_after ||
      now >= scope.complete->next_update;
  if (complete_due) {
    FLEETPKI_RETURN_IF_ERROR(publish(scope, /*delta=*/false, now));
    // A fresh delta on the new base at once, so that the freshestCRL URL never serves a delta of
    // an older base.
    return publish(scope, /*delta=*/true, now);
  }
  const bool delta_due = !scope.delta || scope.changed_since_delta ||
                         scope.delta->base_number != scope.complete->number ||
                         now >= scope.delta->this_update + policy_.delta_reissue_after ||
                         now >= scope.delta->next_update;
  if (delta_due) {
    return publish(scope, /*delta=*/true, now);
  }
  return ok();
}

Status CrlPublisher::publish(Scope& scope, bool delta, TimePoint now) {
  // RFC 5280 §5.1.2.5 and the pitfall of a signer expiring before nextUpdate: never promise a
  // CRL beyond the CA certificate's validity.
  const TimePoint next_update =
      std::min(now + (delta ? policy_.delta_validity : policy_.complete_validity),
               scope.ca->certificate->not_after());
  if (next_update <= now) {
    return fail(Errc::FailedPrecondition, "the CA certificate has expired: no CRL can be issued");
  }
  pki::CrlVariableParts variable;
  variable.this_update = now;
  variable.next_update = next_update;
  if (delta) {
    variable.delta_base = static_cast<std::uint64_t>(scope.complete->number);
    variable.entries.reserve(scope.delta_entries.size());
    for (const auto& [key, entry] : scope.delta_entries) {
      variable.entries.emplace_back(entry);
    }
  } else {
    variable.freshest_crl_url = scope.delta_url;
    scope.index.drop_expired(scope.drop_before);
    variable.entries.reserve(scope.index.size());
    scope.index.for_each([&](ByteView entry) { variable.entries.push_back(entry); });
  }
  const std::size_t entry_count = variable.entries.size();

  store::CrlRecord record;
  record.ca_id = scope.ca->record.id;
  record.partition = scope.partition;
  record.base_number = delta ? std::optional<std::int64_t>(scope.complete->number) : std::nullopt;
  record.this_update = to_unix(now);
  record.next_update = to_unix(next_update);
  record.last_change_id = scope.applied_change_id;
  // The number is allocated and committed first, in a short transaction of its own; the CRL is
  // encoded and signed outside any transaction (a CRL of a million entries takes ~0.5 s, which
  // must not hold the store's writer from issuance) and stored in a second one. A crash in between
  // burns a number, which is allowed; reusing one is not, and cannot happen.
  FLEETPKI_RETURN_IF_ERROR(store_.write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(record.number, tx.next_crl_number(record.ca_id, record.partition));
    return ok();
  }));
  const auto started = std::chrono::steady_clock::now();
  variable.number = static_cast<std::uint64_t>(record.number);
  {
    FLEETPKI_TRY(Bytes tbs, pki::encode_tbs_crl(scope.fixed, variable));
    std::vector<ByteView>().swap(variable.entries);
    FLEETPKI_TRY(Bytes signature, scope.ca->signer->sign(tbs));
    record.der = pki::assemble_crl(tbs, scope.fixed.signature_algorithm, signature);
  }  // the TBS copy is released: a large CRL is held once while it is stored
  const auto signed_at = std::chrono::steady_clock::now();
  FLEETPKI_RETURN_IF_ERROR(store_.write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(record));
    if (!delta) {
      // Older complete CRLs and the deltas on them are superseded.
      FLEETPKI_RETURN_IF_ERROR(
          tx.delete_crls_before(record.ca_id, record.partition, record.number));
    }
    return ok();
  }));
  const auto stored_at = std::chrono::steady_clock::now();

  const std::size_t size = record.der.size();
  auto published = make_published(std::move(record));
  const std::string number = std::to_string(published->number);
  if (delta) {
    scope.delta_change_id = published->last_change_id;
    scope.changed_since_delta = false;
    scope.delta_bytes_since_base += size;
    ++delta_published_;
    log::debug("CRL " + scope.name + ": delta " + number + " on " +
               std::to_string(scope.complete->number) + ", " + std::to_string(entry_count) +
               " entries");
    scope.delta = std::move(published);
  } else {
    scope.base_change_id = published->last_change_id;
    scope.drop_before = to_unix(published->this_update);
    scope.delta_entries.clear();
    scope.delta_overflow = false;
    scope.delta_bytes_since_base = 0;
    scope.changed_since_delta = true;
    ++complete_published_;
    const auto ms = [](auto d) {
      return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    };
    log::info("CRL " + scope.name + ": complete " + number + ", " + std::to_string(entry_count) +
              " entries, " + std::to_string(size) + " bytes; signed in " + ms(signed_at - started) +
              " ms, stored in " + ms(stored_at - signed_at) + " ms");
    scope.complete = std::move(published);
  }
  serve(scope);
  return ok();
}

void CrlPublisher::serve(const Scope& scope) {
  std::unique_lock lock(served_mutex_);
  Served& served = served_[scope.served_key];
  served.complete = scope.complete;
  served.delta = scope.delta;
}

}  // namespace fleetpki::authority
