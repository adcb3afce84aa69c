// Publishes complete and delta CRLs (RFC 5280 §5) for every CA and CRL partition, incrementally.
//
//   CrlPublisher publisher(authority, store, clock, {});
//   FLEETPKI_RETURN_IF_ERROR(publisher.start());      // first pass, then a background thread
//   auto crl = publisher.find("default", "issuing", 0, /*delta=*/false);  // what /crl/... serves
//
// One scope per (CA, partition). Each keeps an in-memory index of its revoked and suspended
// certificates as pre-encoded CRL entries, loaded once from the store and then kept current by
// following the status change log, so that a revocation costs O(1) plus a small delta CRL; a
// complete CRL is a concatenation of the pre-encoded entries behind a fresh header, one signature.
// Complete and delta CRLs of a scope share one number sequence, allocated in the transaction that
// stores the signed CRL. See docs/decisions/0007-crl-publishing.md.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "authority/authority.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/store.h"

namespace fleetpki::authority {

struct CrlPolicy {
  /// nextUpdate - thisUpdate of complete CRLs (never past the CA certificate's notAfter).
  std::chrono::seconds complete_validity = std::chrono::hours(24);
  /// A complete CRL is re-issued once this much of its validity has passed, changes or not, so
  /// that relying parties never hold a lapsed one (RFC 5280 §5.1.2.5).
  std::chrono::seconds complete_reissue_after = std::chrono::hours(12);
  std::chrono::seconds delta_validity = std::chrono::hours(1);
  std::chrono::seconds delta_reissue_after = std::chrono::minutes(30);
  /// A delta that would list more entries than this is replaced by a new complete CRL.
  std::size_t max_delta_entries = 10'000;
  /// Stored CRLs older than the newest complete one are deleted when it is stored, so deltas pile
  /// up only until the next complete CRL. A complete CRL is issued early once the deltas stored
  /// since the base add up to more than max(this, the base's size): at most about twice the
  /// complete CRL's size is stored per scope.
  std::size_t max_delta_bytes_since_base = std::size_t{64} << 20;
  /// The background thread waits this long after a status change before publishing, so that a
  /// burst of changes makes one delta (publication stays within ~1 s of a change).
  std::chrono::milliseconds debounce{250};
  /// Poll of the status change log for changes made by other processes (the CLI, bulk jobs of
  /// another server), and of the schedules. In-process changes wake the thread at once.
  std::chrono::milliseconds poll_interval{250};
  /// Cache-Control max-age caps for HTTP (further bounded by nextUpdate). Deltas change within a
  /// second of a revocation, so their cap is short.
  std::chrono::seconds complete_max_age = std::chrono::hours(1);
  std::chrono::seconds delta_max_age{30};

  /// InvalidArgument unless every duration is positive and each re-issue time is below its
  /// validity (a CRL must be replaced before it lapses).
  Status validate() const;
};

/// One signed CRL as served. Immutable; shared with in-flight HTTP responses.
struct PublishedCrl {
  Bytes der;
  std::int64_t number = 0;
  std::optional<std::int64_t> base_number;  // set for delta CRLs
  TimePoint this_update;
  TimePoint next_update;
  std::int64_t last_change_id = 0;  // status change log id reflected (inclusive)
  std::string etag;                 // "\"<hex SHA-256 of der>\""
};

/// Counters for tests, benchmarks and logs.
struct CrlPublisherStats {
  std::size_t scopes = 0;
  std::size_t entries = 0;      // revoked + suspended entries held in the indexes
  std::size_t index_bytes = 0;  // memory of the indexes (entry arena + hash slots)
  std::uint64_t complete_published = 0;
  std::uint64_t delta_published = 0;
};

class CrlPublisher final {
 public:
  /// Registers a status listener on `authority` (which must outlive this object's thread and
  /// may outlive the object itself). `authority`, `store` and `clock` must outlive the publisher.
  CrlPublisher(Authority& authority, store::Store& store, const Clock& clock,
               CrlPolicy policy = {});
  ~CrlPublisher();
  CrlPublisher(const CrlPublisher&) = delete;
  CrlPublisher& operator=(const CrlPublisher&) = delete;

  /// Runs publish_due() once (so that CRLs exist when serving starts; a failing scope is logged,
  /// not fatal) and starts the background thread. Call once.
  Status start();
  /// Stops and joins the background thread (idempotent). Also done by the destructor.
  void stop();

  /// One pass: discovers new CAs and partitions (loading their index, reusing their stored CRLs
  /// when still fresh), follows the status change log, then publishes every CRL that is due: a
  /// complete CRL when there is none, on schedule or when the delta outgrew its limits (followed
  /// by a fresh delta on it); otherwise a delta when the scope changed since the last delta or on
  /// schedule. Scopes fail independently: the first error is returned after the others ran.
  /// Thread-safe (passes are serialized); the background thread calls it, tests call it directly.
  Status publish_due();

  /// The newest CRL of a scope. NotFound for an unknown tenant, CA or partition (or a partition
  /// > 0 of a CA that issues CA certificates, which has one full CRL); Unavailable while none has
  /// been published yet.
  Result<std::shared_ptr<const PublishedCrl>> find(std::string_view tenant, std::string_view ca,
                                                   int partition, bool delta) const;

  const CrlPolicy& policy() const { return policy_; }
  CrlPublisherStats stats() const;

 private:
  struct Scope;
  struct Wake {
    std::mutex mutex;
    std::condition_variable cv;
    bool pending = false;
    bool stop = false;
  };
  struct Served {
    std::shared_ptr<const PublishedCrl> complete;
    std::shared_ptr<const PublishedCrl> delta;
  };

  Status refresh_scopes();
  Status load_scope(Scope& scope);
  Status follow_changes();
  Status publish_scope(Scope& scope, TimePoint now);
  Status publish(Scope& scope, bool delta, TimePoint now);
  void serve(const Scope& scope);
  void run();

  Authority& authority_;
  store::Store& store_;
  const Clock& clock_;
  CrlPolicy policy_;
  std::shared_ptr<Wake> wake_;

  mutable std::mutex work_mutex_;  // one publish_due() at a time; guards the members below it
  std::map<std::pair<std::int64_t, int>, std::unique_ptr<Scope>> scopes_;  // (CA id, partition)
  std::map<std::int64_t, Scope*> full_scopes_;  // CA id -> its one full scope (CAs of CAs)
  std::uint64_t complete_published_ = 0;
  std::uint64_t delta_published_ = 0;
  std::string last_error_;  // of the background passes, logged once per distinct message

  mutable std::shared_mutex served_mutex_;
  std::map<std::string, Served, std::less<>> served_;  // "<tenant>/<ca>/<partition>"

  std::thread thread_;
};

}  // namespace fleetpki::authority
