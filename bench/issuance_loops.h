// The issuance loops shared by the issuance benchmarks (software keys: issuance_bench.cpp; keys in
// a PKCS#11 token: pkcs11_issuance_bench.cpp). `Fixture` has `authority`, `admin` (a principal of
// tenant "default") and `csrs` (PEM CSRs for the tls-client profile).
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "authority/authority.h"

namespace fleetpki::bench {

/// One issue() per iteration (a REST request's work without HTTP).
template <class Fixture>
void run_issuance(benchmark::State& state, Fixture& f) {
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    auto issued = f.authority->issue(f.admin, {"default", "tls-client", f.csrs[i++ % f.csrs.size()]}, {});
    if (!issued) state.SkipWithError(issued.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

/// Factory batch path (what `fleetpki issue` does): chunks of 256 CSRs with issue_many, signing
/// overlapping the durable group commit of the previous certificates.
template <class Fixture>
void run_issue_many(benchmark::State& state, Fixture& f) {
  std::vector<std::string> chunk;
  for (std::size_t i = 0; i < 256; ++i) chunk.push_back(f.csrs[i % f.csrs.size()]);
  for (auto _ : state) {
    auto results = f.authority->issue_many(f.admin, "default", "tls-client", chunk, {});
    for (const auto& r : results) {
      if (!r) state.SkipWithError(r.error().message.c_str());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(chunk.size()));
}

}  // namespace fleetpki::bench
