// CRL publishing at fleet scale (issue #3, benchmark (b)), with its limit measured in the same run.
//
//  * BM_CompleteCrl/N: a fresh CrlPublisher's first pass over a store holding N revoked
//    certificates: load the index from SQLite, encode N entries, assemble, sign and store the
//    complete CRL (and its first delta). Goal for N = 1,000,000: <= 5 s and <= 300 MB peak.
//    Counters: peak_MB = VmHWM of the process during the pass (the peak is reset before it with
//    /proc/self/clear_refs, so the fill does not count), rss_before_MB = the RSS it started from,
//    index_MB = the publisher's index,
//    crl_MB = the CRL's size, x_limit = time / limit, where the limit is one SHA-256 + ECDSA P-256
//    signature over as many bytes as the CRL (raw EVP, nothing else), measured right after.
//  * BM_CompleteCrlReissue/N: a scheduled re-issue of the complete CRL from the in-memory index
//    (the steady state: the index and the previous CRL stay in memory while the new one is built).
//  * BM_Revoke/N: one revocation with N already revoked: the status change (Authority::revoke:
//    certificate row, status change log entry and audit event in one durable transaction) and the
//    delta CRL publication that follows (publish_due), timed apart (status_change_ms,
//    delta_publish_ms). Goal: independent of N.
//
// The database is filled fast: one transaction of direct store inserts (certificates already
// revoked; the publisher reads only serial, status, revocation time and reason, notAfter).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "authority/authority.h"
#include "authority/crl_publisher.h"
#include "keys/software/software_key_vault.h"
#include "pki/serial_number.h"
#include "store/sqlite/sqlite_store.h"
#include "support/csr_factory.h"
#include "support/temp_dir.h"

namespace fleetpki {
namespace {

using namespace std::chrono_literals;

/// VmHWM or VmRSS of this process in MB (Linux).
double proc_status_mb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      return std::stod(line.substr(std::string(field).size())) / 1024.0;  // kB
    }
  }
  return -1;
}
/// Returns freed heap to the kernel, then resets VmHWM to the current RSS (Linux >= 4.0: "5" in
/// clear_refs): the peak then counts what the measured code holds, not what the fill left behind.
void reset_peak_rss() {
  ::malloc_trim(0);
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

/// A durable store with tenant "default" whose issuing CA has `revoked` revoked certificates and
/// `valid` valid ones (to revoke during the benchmark).
struct CrlFixture {
  testing::TempDir dir;
  pki::CryptoContext crypto;
  FakeClock clock{from_unix(1'800'000'000)};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<keys::SoftwareKeyVault> vault;
  std::unique_ptr<authority::Authority> authority;
  authority::Principal admin{"bench", std::nullopt, authority::Role::Admin};
  std::int64_t tenant_id = 0;
  std::int64_t issuing_id = 0;
  std::vector<std::string> valid_serials;
  std::size_t next_valid = 0;
  double fill_seconds = 0;

  CrlFixture(std::size_t revoked, std::size_t valid) {
    store = std::move(*store::open_sqlite_store(dir.path() / "bench.db", {.durable = true}));
    vault = std::move(
        *keys::SoftwareKeyVault::open(crypto, dir.path() / "keys", SecureBytes(Bytes(32, 1))));
    authority = std::move(*authority::Authority::create({*store, *vault, crypto, clock}, {}));
    if (!authority->create_tenant(admin, "default", {})) std::abort();
    tenant_id = (*store->find_tenant("default"))->id;
    const auto cas = store->list_cas(tenant_id).value();
    for (const auto& ca : cas) {
      if (ca.name == "issuing") issuing_id = ca.id;
    }
    const auto start = std::chrono::steady_clock::now();
    std::mt19937_64 rng(7);
    const std::int64_t now = to_unix(clock.now());
    // Serials sorted before inserting: every index of the certificates table then grows at its
    // end (random serials would cost a random B-tree page per row and index).
    std::vector<std::string> serials(revoked + valid);
    Bytes serial(16);
    for (auto& text : serials) {
      for (auto& b : serial) b = static_cast<std::uint8_t>(rng());
      serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7F) | 0x40);
      text = pki::serial_to_hex(serial);
    }
    std::sort(serials.begin(), serials.end());
    auto filled = store->write([&](store::Transaction& tx) -> Status {
      store::CertificateRecord rec;
      rec.tenant_id = tenant_id;
      rec.ca_id = issuing_id;
      rec.profile = "tls-client";
      rec.subject = "CN=device";
      rec.der = Bytes{0x30, 0x00};
      rec.not_before = now - 86400;
      rec.not_after = now + 365 * 86400;
      rec.created_at = rec.not_before;
      const std::size_t step = serials.size() / std::max<std::size_t>(valid, 1);
      for (std::size_t i = 0; i < serials.size(); ++i) {
        rec.serial_hex = serials[i];
        // Spread over the serial space: left valid, to be revoked during the benchmark.
        if (valid_serials.size() < valid && i % step == 0) {
          rec.status = store::kStatusValid;
          rec.revoked_at.reset();
          rec.revocation_reason.reset();
          valid_serials.push_back(rec.serial_hex);
        } else {
          rec.status = store::kStatusRevoked;
          rec.revoked_at = now - 3600;
          rec.revocation_reason = static_cast<int>(pki::CrlReason::KeyCompromise);
        }
        FLEETPKI_RETURN_IF_ERROR(tx.insert_certificate(rec));
      }
      return ok();
    });
    if (!filled) {
      std::fprintf(stderr, "fill failed: %s %s\n", filled.error().message.c_str(),
                   filled.error().detail.c_str());
      std::abort();
    }
    fill_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  /// Revokes the next valid certificate through the lifecycle API (certificate row, status change
  /// log entry and audit event in one durable transaction).
  Status revoke_one() {
    FLEETPKI_TRY(auto revoked,
                 authority->revoke(admin, "default", valid_serials.at(next_valid++),
                                   pki::CrlReason::KeyCompromise, std::nullopt, {"bench"}));
    (void)revoked;
    return ok();
  }
};

/// One fixture per size for the whole run (filling a million rows takes a while).
CrlFixture& fixture(std::size_t revoked) {
  static std::map<std::size_t, std::unique_ptr<CrlFixture>> fixtures;
  auto& f = fixtures[revoked];
  if (!f) f = std::make_unique<CrlFixture>(revoked, 2000);
  return *f;
}

/// Seconds for SHA-256 + one ECDSA P-256 signature over `size` bytes, raw EVP (best of 3).
double limit_seconds(std::size_t size) {
  static auto key = testing::make_key("P-256");
  Bytes data(size, 0x5a);
  unsigned char sig[80];
  double best = 1e9;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    pki::ossl::Ptr<EVP_MD_CTX> ctx(::EVP_MD_CTX_new());
    ::EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr);
    std::size_t len = sizeof sig;
    ::EVP_DigestSign(ctx.get(), sig, &len, data.data(), data.size());
    benchmark::DoNotOptimize(sig);
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

void BM_CompleteCrl(benchmark::State& state) {
  CrlFixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  double seconds = 0, peak = 0, before = 0, index_mb = 0, crl_mb = 0;
  for (auto _ : state) {
    state.PauseTiming();
    reset_peak_rss();
    before = proc_status_mb("VmRSS:");
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    // A fresh publisher, as at a start without fresh stored CRLs: make the stored ones stale.
    authority::CrlPublisher publisher(*f.authority, *f.store, f.clock, {});
    auto published = publisher.publish_due();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.PauseTiming();
    if (!published) state.SkipWithError(published.error().message.c_str());
    peak = proc_status_mb("VmHWM:");
    index_mb = static_cast<double>(publisher.stats().index_bytes) / 1e6;
    auto crl = publisher.find("default", "issuing", 0, false);
    if (!crl) state.SkipWithError("no CRL published");
    crl_mb = crl ? static_cast<double>((*crl)->der.size()) / 1e6 : 0;
    f.clock.advance(13h);  // the next iteration's publisher must not reuse this CRL
    state.ResumeTiming();
  }
  state.counters["seconds"] = seconds;
  state.counters["peak_MB"] = peak;
  state.counters["rss_before_MB"] = before;
  state.counters["index_MB"] = index_mb;
  state.counters["crl_MB"] = crl_mb;
  state.counters["fill_s"] = f.fill_seconds;
  const double limit = limit_seconds(static_cast<std::size_t>(crl_mb * 1e6));
  state.counters["limit_s"] = limit;
  state.counters["x_limit"] = seconds / limit;
}
BENCHMARK(BM_CompleteCrl)
    ->Arg(1'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// Publishers kept across benchmarks (their index loaded and their CRLs published once).
authority::CrlPublisher& loaded_publisher(CrlFixture& f) {
  static std::map<CrlFixture*, std::unique_ptr<authority::CrlPublisher>> publishers;
  auto& p = publishers[&f];
  if (!p) {
    f.clock.advance(13h);
    authority::CrlPolicy policy;
    policy.max_delta_entries = 100'000;  // every revocation of the benchmark stays in the delta
    p = std::make_unique<authority::CrlPublisher>(*f.authority, *f.store, f.clock, policy);
    if (!p->publish_due()) std::abort();
  }
  return *p;
}

void BM_CompleteCrlReissue(benchmark::State& state) {
  CrlFixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  authority::CrlPublisher& publisher = loaded_publisher(f);
  double crl_mb = 0, peak = 0, before = 0;
  std::chrono::duration<double> total{0};
  for (auto _ : state) {
    state.PauseTiming();
    f.clock.advance(13h);
    reset_peak_rss();
    before = proc_status_mb("VmRSS:");
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    if (!publisher.publish_due()) state.SkipWithError("publish failed");
    total += std::chrono::steady_clock::now() - start;
    state.PauseTiming();
    peak = std::max(peak, proc_status_mb("VmHWM:"));
    crl_mb =
        static_cast<double>(publisher.find("default", "issuing", 0, false).value()->der.size()) /
        1e6;
    state.ResumeTiming();
  }
  state.counters["crl_MB"] = crl_mb;
  state.counters["peak_MB"] = peak;
  state.counters["rss_before_MB"] = before;
  const double limit = limit_seconds(static_cast<std::size_t>(crl_mb * 1e6));
  state.counters["limit_s"] = limit;
  state.counters["x_limit"] = total.count() / static_cast<double>(state.iterations()) / limit;
}
BENCHMARK(BM_CompleteCrlReissue)
    ->Arg(1'000)
    ->Arg(1'000'000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Revoke(benchmark::State& state) {
  CrlFixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  authority::CrlPublisher& publisher = loaded_publisher(f);
  const auto before = publisher.stats();
  std::chrono::duration<double> change{0}, publish{0};
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (auto revoked = f.revoke_one(); !revoked)
      state.SkipWithError(revoked.error().message.c_str());
    const auto changed = std::chrono::steady_clock::now();
    if (auto published = publisher.publish_due(); !published)
      state.SkipWithError(published.error().message.c_str());
    change += changed - start;
    publish += std::chrono::steady_clock::now() - changed;
  }
  const auto after = publisher.stats();
  if (after.complete_published != before.complete_published) {
    state.SkipWithError("a complete CRL was re-issued during the run (not the incremental path)");
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["status_change_ms"] = change.count() * 1e3 / n;
  state.counters["delta_publish_ms"] = publish.count() * 1e3 / n;
  state.counters["deltas"] = static_cast<double>(after.delta_published - before.delta_published);
  state.counters["entries"] = static_cast<double>(after.entries);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Revoke)
    ->Arg(1'000)
    ->Arg(1'000'000)
    ->Iterations(300)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace fleetpki

BENCHMARK_MAIN();
