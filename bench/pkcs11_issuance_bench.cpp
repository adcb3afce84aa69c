// Issuance with the CA keys in a SoftHSM2 token (issue #6, point 5), against its limit measured in
// the same run.
//
// Limit: one ECDSA P-256 verification (the CSR's self-signature, raw EVP) plus one P-256
// signature by SoftHSM2 through PKCS#11 (Pkcs11Signer: SHA-256 on the host, CKM_ECDSA in the token
// on a pooled session, r||s -> DER). The issuance benchmarks run the real path of
// bench/issuance_bench.cpp with a Pkcs11KeyVault in place of the software vault: strict CSR parse
// + verify, profile policy, TBS from the template, the token's signature, the certificate row and
// its audit event through the GroupCommitter into SQLite. Goal: issuance / limit >= 0.7 on one
// thread, and the two-thread issuance rate >= 1.7x the one-thread rate (needs the session pool).
//
// The token lives in a temporary folder (SOFTHSM2_CONF), made with softhsm2-util at start.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#include "authority/authority.h"
#include "issuance_loops.h"
#include "keys/pkcs11/pkcs11_key_vault.h"
#include "store/sqlite/sqlite_store.h"
#include "support/csr_factory.h"
#include "support/temp_dir.h"

namespace fleetpki {
namespace {

constexpr const char* kToken = "bench-ca";
constexpr const char* kPin = "1234";

/// One SoftHSM2 token for the whole process (the module reads SOFTHSM2_CONF once, at
/// C_Initialize, and stays loaded while any vault uses it).
struct TokenEnvironment {
  testing::TempDir dir;
  TokenEnvironment() {
    const auto tokens = dir.path() / "tokens";
    std::filesystem::create_directories(tokens);
    const auto conf = dir.path() / "softhsm2.conf";
    std::ofstream(conf) << "directories.tokendir = " << tokens.string()
                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
    const std::string command = std::string("softhsm2-util --init-token --free --label ") + kToken +
                                " --so-pin 12345678 --pin " + kPin + " >/dev/null";
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "softhsm2-util --init-token failed\n");
      std::abort();
    }
  }
};

std::unique_ptr<keys::Pkcs11KeyVault> open_vault(const pki::CryptoContext& crypto) {
  static TokenEnvironment environment;
  keys::Pkcs11VaultConfig config;
  config.token_label = kToken;
  config.pin = SecureBytes(as_bytes(kPin));
  auto vault = keys::Pkcs11KeyVault::open(crypto, std::move(config));
  if (!vault) {
    std::fprintf(stderr, "%s\n", vault.error().message.c_str());
    std::abort();
  }
  return std::move(*vault);
}

// ---- limit: one verify + one token signature ----------------------------------------------------

struct LimitFixture {
  pki::CryptoContext crypto;
  std::unique_ptr<keys::Pkcs11KeyVault> vault = open_vault(crypto);
  keys::SignerPtr ca;
  pki::ossl::Ptr<EVP_PKEY> device_key = testing::make_key("P-256");
  Bytes message = Bytes(300, 0x5a);  // about the size of a CSR's CertificationRequestInfo
  Bytes signature;
  LimitFixture() {
    auto ref = vault->generate(keys::KeyAlgorithm::EcP256, "limit-ca");
    auto signer = ref ? vault->open_signer(*ref) : Result<keys::SignerPtr>(fail(ref.error()));
    if (!signer) std::abort();
    ca = *signer;
    pki::ossl::Ptr<EVP_MD_CTX> ctx(::EVP_MD_CTX_new());
    ::EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, device_key.get(),
                            nullptr);
    size_t len = 0;
    ::EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size());
    signature.resize(len);
    ::EVP_DigestSign(ctx.get(), signature.data(), &len, message.data(), message.size());
    signature.resize(len);
  }
};

LimitFixture& limit_fixture() {
  static LimitFixture f;
  return f;
}

void BM_P11_Limit_VerifyPlusTokenSign(benchmark::State& state) {
  LimitFixture& f = limit_fixture();
  const Bytes tbs(400, 0x33);
  for (auto _ : state) {
    pki::ossl::Ptr<EVP_MD_CTX> v(::EVP_MD_CTX_new());
    ::EVP_DigestVerifyInit_ex(v.get(), nullptr, "SHA256", nullptr, nullptr, f.device_key.get(),
                              nullptr);
    if (::EVP_DigestVerify(v.get(), f.signature.data(), f.signature.size(), f.message.data(),
                           f.message.size()) != 1) {
      state.SkipWithError("verify failed");
    }
    auto sig = f.ca->sign(tbs);
    if (!sig) state.SkipWithError(sig.error().message.c_str());
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_P11_Limit_VerifyPlusTokenSign)->Threads(1)->Threads(2)->UseRealTime();

/// The token signature alone (compare PEERS.md §3: p11bench 21.8 k/s on 1 thread, 39.2 k/s on 2).
void BM_P11_TokenSignP256(benchmark::State& state) {
  LimitFixture& f = limit_fixture();
  const Bytes tbs(400, 0x33);
  for (auto _ : state) {
    auto sig = f.ca->sign(tbs);
    if (!sig) state.SkipWithError(sig.error().message.c_str());
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_P11_TokenSignP256)->Threads(1)->Threads(2)->UseRealTime();

// ---- full issuance, issuing key in the token
// ------------------------------------------------------

struct IssuanceFixture {
  testing::TempDir dir;
  pki::CryptoContext crypto;
  SystemClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<keys::Pkcs11KeyVault> vault;
  std::unique_ptr<authority::Authority> authority;
  authority::Principal admin{"bench", std::nullopt, authority::Role::Admin};
  std::vector<std::string> csrs;

  explicit IssuanceFixture(bool durable) {
    store = std::move(*store::open_sqlite_store(dir.path() / "bench.db", {.durable = durable}));
    vault = open_vault(crypto);
    authority = std::move(*authority::Authority::create({*store, *vault, crypto, clock}, {}));
    if (auto created = authority->create_tenant(admin, "default", {}); !created) {
      std::fprintf(stderr, "%s\n", created.error().message.c_str());
      std::abort();
    }
    for (int i = 0; i < 64; ++i) {
      csrs.push_back(testing::make_csr_pem(
          {.subject = {{"CN", "device-" + std::to_string(i)}, {"O", "IoT"}}}));
    }
  }
};

using bench::run_issuance;
using bench::run_issue_many;

/// synchronous=NORMAL: the issuance path without waiting for a per-request fsync (this VM's fsync
/// takes 0.5-0.9 ms, several times the limit: a lone durable request measures the disk).
void BM_P11_Issue_Sqlite(benchmark::State& state) {
  static IssuanceFixture f(/*durable=*/false);
  run_issuance(state, f);
}
BENCHMARK(BM_P11_Issue_Sqlite)->Threads(1)->Threads(2)->UseRealTime();

void BM_P11_Issue_DurableSqlite(benchmark::State& state) {
  static IssuanceFixture f(/*durable=*/true);
  run_issuance(state, f);
}
BENCHMARK(BM_P11_Issue_DurableSqlite)->Threads(1)->Threads(2)->UseRealTime();

/// Factory batch path (what `fleetpki issue` does): chunks of 256 CSRs with issue_many, signing
/// overlapping the durable group commit of the previous certificates.
void BM_P11_IssueMany_DurableSqlite(benchmark::State& state) {
  static IssuanceFixture f(/*durable=*/true);
  run_issue_many(state, f);
}
BENCHMARK(BM_P11_IssueMany_DurableSqlite)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace fleetpki

BENCHMARK_MAIN();
