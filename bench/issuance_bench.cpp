// Issuance throughput against its physical limit, measured in the same run.
//
// Limit: one ECDSA P-256 verification (the CSR's self-signature) plus one P-256 signature (the
// certificate), with raw EVP calls and nothing else. The issuance benchmarks run the real path:
// strict CSR parse + verify, profile policy, TBS from the template, signature, durable group
// commit into SQLite (synchronous=FULL) with the audit event. bench/run_all.sh prints the ratios.
#include <benchmark/benchmark.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <memory>

#include "authority/authority.h"
#include "issuance_loops.h"
#include "keys/software/software_key_vault.h"
#include "pki/csr.h"
#include "pki/pem.h"
#include "store/sqlite/sqlite_store.h"
#include "support/csr_factory.h"
#include "support/temp_dir.h"

namespace fleetpki {
namespace {

// ---- limit: one verify + one sign ------------------------------------------------------------

struct LimitFixture {
  pki::ossl::Ptr<EVP_PKEY> ca_key = testing::make_key("P-256");
  pki::ossl::Ptr<EVP_PKEY> device_key = testing::make_key("P-256");
  Bytes message = Bytes(300, 0x5a);  // about the size of a CSR's CertificationRequestInfo
  Bytes signature;
  LimitFixture() {
    pki::ossl::Ptr<EVP_MD_CTX> ctx(::EVP_MD_CTX_new());
    ::EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, device_key.get(), nullptr);
    size_t len = 0;
    ::EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size());
    signature.resize(len);
    ::EVP_DigestSign(ctx.get(), signature.data(), &len, message.data(), message.size());
    signature.resize(len);
  }
};

void BM_Limit_VerifyPlusSign(benchmark::State& state) {
  static LimitFixture f;
  Bytes tbs(400, 0x33);
  unsigned char sig[80];
  for (auto _ : state) {
    pki::ossl::Ptr<EVP_MD_CTX> v(::EVP_MD_CTX_new());
    ::EVP_DigestVerifyInit_ex(v.get(), nullptr, "SHA256", nullptr, nullptr, f.device_key.get(), nullptr);
    if (::EVP_DigestVerify(v.get(), f.signature.data(), f.signature.size(), f.message.data(), f.message.size()) != 1) {
      state.SkipWithError("verify failed");
    }
    pki::ossl::Ptr<EVP_MD_CTX> s(::EVP_MD_CTX_new());
    ::EVP_DigestSignInit_ex(s.get(), nullptr, "SHA256", nullptr, nullptr, f.ca_key.get(), nullptr);
    size_t len = sizeof sig;
    ::EVP_DigestSign(s.get(), sig, &len, tbs.data(), tbs.size());
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Limit_VerifyPlusSign)->Threads(1)->Threads(2)->UseRealTime();

// ---- the pieces of the hot path --------------------------------------------------------------

void BM_CsrParseAndVerify(benchmark::State& state) {
  static const pki::CryptoContext ctx;
  static const std::string pem = testing::make_csr_pem({.subject = {{"CN", "device-000001"}, {"O", "IoT"}}});
  for (auto _ : state) {
    auto csr = pki::Csr::from_pem(ctx, pem);
    if (!csr) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(csr);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CsrParseAndVerify)->Threads(1)->UseRealTime();

// ---- full issuance with durable storage --------------------------------------------------------

struct IssuanceFixture {
  testing::TempDir dir;
  pki::CryptoContext crypto;
  SystemClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<keys::SoftwareKeyVault> vault;
  std::unique_ptr<authority::Authority> authority;
  authority::Principal admin{"bench", std::nullopt, authority::Role::Admin};
  std::vector<std::string> csrs;

  explicit IssuanceFixture(bool durable) {
    store = std::move(*store::open_sqlite_store(dir.path() / "bench.db", {.durable = durable}));
    vault = std::move(*keys::SoftwareKeyVault::open(crypto, dir.path() / "keys", SecureBytes(Bytes(32, 1))));
    authority = std::move(*authority::Authority::create({*store, *vault, crypto, clock}, {}));
    if (!authority->create_tenant(admin, "default", {})) std::abort();
    for (int i = 0; i < 64; ++i) {
      csrs.push_back(testing::make_csr_pem({.subject = {{"CN", "device-" + std::to_string(i)}, {"O", "IoT"}}}));
    }
  }
};

using bench::run_issuance;
using bench::run_issue_many;

void BM_Issue_DurableSqlite(benchmark::State& state) {
  static IssuanceFixture f(/*durable=*/true);
  run_issuance(state, f);
}
BENCHMARK(BM_Issue_DurableSqlite)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

/// Factory batch path: each thread issues chunks of 256 CSRs with issue_many, so its signing
/// overlaps the group commit of its previous certificates (what `fleetpki issue` does).
void BM_IssueMany_DurableSqlite(benchmark::State& state) {
  static IssuanceFixture f(/*durable=*/true);
  run_issue_many(state, f);
}
BENCHMARK(BM_IssueMany_DurableSqlite)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace fleetpki

BENCHMARK_MAIN();
