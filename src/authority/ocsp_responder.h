// The OCSP responder (RFC 6960, lightweight profile RFC 9919): delegated responder certificates,
// an issuer index over every CA, and pre-signed responses kept fresh by following the store's
// status change log.
//
//   OcspResponder responder(authority, store, vault, crypto, clock, {});
//   FLEETPKI_RETURN_IF_ERROR(responder.start());          // responders ready, follower running
//   OcspAnswer answer = responder.respond(request_der);     // never fails: errors are OCSP statuses
//   send(answer.response->der);
//
// Answers (RFC 6960 §2.2, §2.3; STANDARDS.md §5.3):
//   * a served CA's certificate: good, or revoked with time and reason (suspended = revoked,
//     certificateHold; reactivation makes it good again);
//   * a serial the CA never issued: revoked (1970-01-01, certificateHold) with the
//     id-pkix-ocsp-extended-revoke extension, or unknown when the policy says so; never good;
//   * an issuer no served CA matches, or entries of several CAs in one request: unauthorized;
//   * anything that is not a strict DER OCSPRequest within the limits (size, entries, hash
//     algorithm SHA-1 or SHA-256, nonce of 1..32 octets): malformedRequest;
//   * the store failing: tryLater; signing failing: internalError.
//
// Freshness: a nonce-less single-entry answer is cached (keyed by the CertID DER as sent), valid
// for `response_validity` and re-signed on use once half of that has elapsed. Every status change
// (revoke, suspend, reactivate, by this process or another) is an entry of the store's status
// change log; a background thread, woken by Authority status listeners and polling every
// `poll_interval` for other processes, drops and re-signs the cached answers of each changed serial.
// Requests with a nonce are signed live and echo it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "authority/authority.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "keys/key_vault.h"
#include "pki/crypto_context.h"
#include "pki/ocsp.h"
#include "store/store.h"

namespace fleetpki::authority {

/// What to answer for a serial that no served CA ever issued (RFC 6960 §2.2).
enum class NeverIssuedAnswer {
  Revoked,  // revoked, 1970-01-01T00:00:00Z, certificateHold, extended-revoke extension (default)
  Unknown,  // unknown
};

struct OcspPolicy {
  NeverIssuedAnswer never_issued = NeverIssuedAnswer::Revoked;
  /// nextUpdate - thisUpdate of every answer; cached answers are re-signed after half of it.
  std::chrono::seconds response_validity{3600};
  /// Lifetime of a delegated responder certificate; renewed (new key) when less than a third of
  /// it remains, and never beyond the CA's own notAfter.
  std::chrono::seconds responder_validity{7 * 24 * 3600};
  keys::KeyAlgorithm responder_key = keys::KeyAlgorithm::EcP256;
  /// Cached answers kept in memory (one per CertID encoding; second-chance eviction beyond it).
  std::size_t cache_capacity = 65536;
  /// Limits on a request: DER size and entries in its requestList.
  std::size_t max_request_bytes = 8192;
  std::size_t max_entries = 8;
  /// Background follower of the status change log: poll period (changes of other processes).
  std::chrono::milliseconds poll_interval{200};
  /// An unknown issuer reloads the CA list at most this often (so that CAs created later are found).
  std::chrono::milliseconds issuer_reload_interval{1000};
};

/// One signed (or error) OCSPResponse, immutable and shared between requests.
struct OcspResponseBlob {
  std::string der;
  /// True for a successful answer without a nonce: HTTP caches may keep it until next_update.
  bool cacheable = false;
  TimePoint this_update{};  // = producedAt
  TimePoint next_update{};
  /// When this answer is re-signed (half of its validity); HTTP max-age stays below it.
  TimePoint refresh_at{};
  std::string etag;         // "\"<hex SHA-256 of der>\"" when cacheable
  pki::OcspCertStatus first_status = pki::OcspCertStatus::Good;  // of the first entry
};

struct OcspAnswer {
  pki::OcspResponseStatus status = pki::OcspResponseStatus::InternalError;
  std::shared_ptr<const OcspResponseBlob> response;  // never null
  TimePoint now{};                                   // the responder clock when answered
};

/// Counters for /metrics (monotonic since start).
struct OcspMetrics {
  /// Answers by OCSPResponseStatus value (index 0..6; 4 is unused by RFC 6960).
  std::array<std::uint64_t, 7> responses{};
  /// Single responses of successful answers by certStatus.
  std::uint64_t good = 0, revoked = 0, unknown = 0;
  std::uint64_t cache_hits = 0, cache_misses = 0;
  std::uint64_t signed_live = 0;       // signatures made for requests (misses, nonces, refreshes)
  std::uint64_t resigned_on_change = 0;  // cached answers re-signed after a status change
  std::uint64_t status_changes_applied = 0;
  std::uint64_t responder_certificates_issued = 0;
  std::size_t cache_entries = 0;
  /// respond() latency histogram: counts per upper bound (seconds), not cumulative; the last
  /// count is for answers above the last bound.
  static constexpr std::array<double, 12> kLatencyBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                           0.005,   0.01,   0.025,   0.05,   0.1,   1.0};
  std::array<std::uint64_t, kLatencyBounds.size() + 1> latency_counts{};
  double latency_sum_seconds = 0;
};

class OcspResponder final {
 public:
  /// All references must outlive the responder. Nothing happens until start() (or refresh()).
  OcspResponder(Authority& authority, store::Store& store, keys::KeyVault& vault,
                const pki::CryptoContext& crypto, const Clock& clock, OcspPolicy policy = {});
  /// Stops the background thread.
  ~OcspResponder();
  OcspResponder(const OcspResponder&) = delete;
  OcspResponder& operator=(const OcspResponder&) = delete;

  /// Loads the issuer index, loads or issues the delegated responder of every CA (fails if one
  /// cannot be made), and starts the background thread following status changes.
  Status start();
  /// Stops and joins the background thread. Idempotent; respond() keeps working.
  void stop();

  /// Answers one DER OCSPRequest (POST body or decoded GET path). Thread-safe; never fails.
  OcspAnswer respond(ByteView request_der);

  /// One round of background work, also callable directly by tests: applies every status change
  /// logged since the last one applied (dropping and re-signing the cached answers of each
  /// changed serial), then renews responder certificates that are due and makes missing ones.
  Status tick();
  /// Reloads the issuer index now (CAs created since), then tick().
  Status refresh();

  OcspMetrics metrics() const;
  /// The current delegated responder certificate (DER) of a CA; nullopt if it has none yet.
  std::optional<Bytes> responder_certificate(std::int64_t ca_id) const;
  const OcspPolicy& policy() const { return policy_; }

 private:
  struct Impl;
  OcspPolicy policy_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetpki::authority
