// Issue #4, point 8: issuance and lookups with 1,000 tenants and 1,000,000 devices in the store.
//
// Two durable SQLite stores (synchronous=FULL, as BM_Issue_DurableSqlite in issuance_bench):
//   single: a fresh store with tenant `default` only (the skeleton's figure, measured again here);
//   large:  1,000 tenants t0000..t0999 made by Authority::create_tenant (3 CA keys each), one
//           operator token per tenant, and 1,000,000 devices, 1,000 per tenant, inserted
//           round-robin (device i belongs to tenant i % 1000, so a tenant's rows are spread over
//           the whole table, the pessimistic layout for listings) through Transaction::insert_device
//           in transactions of 10,000 rows, with synchronous=NORMAL for the bulk load only. The
//           large store is built once and cached under $FLEETPKI_SCALE_CACHE (default
//           /tmp/fleetpki-scale-bench/v<migrations>-t<tenants>-d<devices>); each run works on a
//           copy, so runs do not accumulate certificates.
// Measured (bench/tenancy_scale.sh turns the JSON into medians and ratios):
//   Issue/<variant>/round:<r>  Authority::issue of a P-256 CSR through tls-client, 1 and 2 threads:
//       single (tenant default), large (tenant t0500), and the same two with IssueRequest::device =
//       one of the tenant's ~990 active devices (single_device: the same number of devices bulk-
//       inserted into `default`; large_device). The rounds interleave the variants (ABCD, DCBA, …)
//       because this VM swings ±40% from run to run; a short unreported warm-up runs first.
//   Lookup/<what>  1,000 (or fewer, see the name) timed calls each: p50_us, p99_us, max_us counters.
//
// Environment: FLEETPKI_SCALE_TENANTS (1000), FLEETPKI_SCALE_DEVICES (1000000),
// FLEETPKI_SCALE_ROUNDS (5), FLEETPKI_SCALE_MIN_TIME (1.0 s per issuance benchmark),
// FLEETPKI_SCALE_CACHE (/tmp/fleetpki-scale-bench), FLEETPKI_SCALE_WORKDIR (parent of the run's
// temporary folder, default the system temp folder).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "authority/authority.h"
#include "authority/device_registry.h"
#include "authority/tenant_admin.h"
#include "keys/software/software_key_vault.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "support/csr_factory.h"

namespace fleetpki {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}
double env_double(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atof(v) : fallback;
}
std::string env_str(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "tenancy_scale_bench: " << what << "\n";
  std::exit(2);
}
template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().message);
  return std::move(*r);
}
void must(const Status& s, const std::string& what) {
  if (!s) die(what + ": " + s.error().message);
}

const int kTenants = env_int("FLEETPKI_SCALE_TENANTS", 1000);
const int kDevices = env_int("FLEETPKI_SCALE_DEVICES", 1'000'000);
constexpr int kDeviceBatch = 10'000;
constexpr int kSuspendedEvery = 100;  // 1 device in 100 of each tenant is suspended, the others active

/// Device i belongs to tenant i % kTenants and is the (i / kTenants)-th device of that tenant.
bool device_suspended(int i);

std::string tenant_name(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "t%04d", i);
  return buf;
}
std::string device_serial(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "SN%08d", i);
  return buf;
}
bool device_suspended(int i) { return (i / kTenants) % kSuspendedEvery == 7; }
int measured_tenant() { return kTenants / 2; }
std::string measured_tenant_name() { return tenant_name(measured_tenant()); }

const authority::Principal kAdmin{"bench", std::nullopt, authority::Role::Admin};
SecureBytes master_secret() { return SecureBytes(Bytes(32, 1)); }

// ---- the large store, built once and cached -----------------------------------------------------

fs::path cache_dir() {
  const fs::path root = env_str("FLEETPKI_SCALE_CACHE", "/tmp/fleetpki-scale-bench");
  return root / ("v" + std::to_string(store::sqlite_migrations().size()) + "-t" + std::to_string(kTenants) +
                 "-d" + std::to_string(kDevices));
}

/// Builds the large store in `dir` (bench.db, keys/, tokens.txt, build.txt). Returns the report line.
std::string build_large_store(const fs::path& dir) {
  const auto t0 = Steady::now();
  pki::CryptoContext crypto;
  SystemClock clock;
  auto store = must(store::open_sqlite_store(dir / "bench.db", {.durable = false}), "open store");
  auto vault = must(keys::SoftwareKeyVault::open(crypto, dir / "keys", master_secret()), "open vault");
  auto authority = must(authority::Authority::create({*store, *vault, crypto, clock}, {}), "create authority");

  // Tenants: two threads (keys, certificates and the transaction of each tenant).
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (int i = next++; i < kTenants && !failed; i = next++) {
      auto s = authority->create_tenant(kAdmin, tenant_name(i), {"bench-setup"});
      if (!s) {
        std::cerr << "create_tenant " << tenant_name(i) << ": " << s.error().message << "\n";
        failed = true;
      }
      if ((i + 1) % 100 == 0) std::cerr << "  tenants: " << i + 1 << " (" << seconds_since(t0) << " s)\n";
    }
  };
  {
    std::thread a(worker), b(worker);
    a.join();
    b.join();
  }
  if (failed) die("tenant creation failed");
  const double tenants_s = seconds_since(t0);

  // One operator token per tenant (the secrets are shown once: kept in tokens.txt).
  const auto t1 = Steady::now();
  std::ofstream tokens(dir / "tokens.txt");
  std::vector<std::int64_t> tenant_ids(static_cast<std::size_t>(kTenants));
  std::vector<std::int64_t> type_ids(static_cast<std::size_t>(kTenants));
  for (int i = 0; i < kTenants; ++i) {
    auto created = must(authority->tenant_admin().create_token(kAdmin, tenant_name(i), {}, {"bench-setup"}),
                        "create token");
    tokens << created.token << "\n";
    auto tenant = must(store->find_tenant(tenant_name(i)), "find tenant");
    if (!tenant) die("tenant missing after creation");
    tenant_ids[static_cast<std::size_t>(i)] = tenant->id;
    auto type = must(store->find_device_type(tenant->id, authority::kDefaultDeviceType), "find device type");
    if (!type) die("default device type missing");
    type_ids[static_cast<std::size_t>(i)] = type->id;
  }
  tokens.close();
  const double tokens_s = seconds_since(t1);

  // Devices: round-robin over the tenants, 10,000 per transaction.
  const auto t2 = Steady::now();
  const std::int64_t now = to_unix(clock.now());
  for (int start = 0; start < kDevices; start += kDeviceBatch) {
    const int end = std::min(kDevices, start + kDeviceBatch);
    must(store->write([&](store::Transaction& tx) -> Status {
      store::DeviceRecord d;
      d.created_at = now;
      d.updated_at = now;
      for (int i = start; i < end; ++i) {
        const auto t = static_cast<std::size_t>(i % kTenants);
        d.tenant_id = tenant_ids[t];
        d.type_id = type_ids[t];
        d.serial = device_serial(i);
        d.state = device_suspended(i) ? store::kDeviceSuspended : store::kDeviceActive;
        FLEETPKI_RETURN_IF_ERROR(tx.insert_device(d));
      }
      return ok();
    }), "insert devices");
    if ((end / kDeviceBatch) % 20 == 0) std::cerr << "  devices: " << end << " (" << seconds_since(t2) << " s)\n";
  }
  const double devices_s = seconds_since(t2);
  authority.reset();
  vault.reset();
  store.reset();  // closes every connection: the WAL is checkpointed into bench.db
  const double total_s = seconds_since(t0);

  std::ostringstream line;
  line.precision(1);
  line << std::fixed << "built in " << total_s << " s (" << kTenants << " tenants " << tenants_s << " s, "
       << kTenants << " tokens " << tokens_s << " s, " << kDevices << " devices " << devices_s << " s), db "
       << fs::file_size(dir / "bench.db") / (1024 * 1024) << " MiB";
  return line.str();
}

/// Returns the report line of the cached store, building it first if needed.
std::string ensure_large_store(const fs::path& dir) {
  if (fs::exists(dir / "build.txt")) {
    std::ifstream in(dir / "build.txt");
    std::string line;
    std::getline(in, line);
    return "cached (" + dir.string() + "), " + line;
  }
  const fs::path partial = dir.string() + ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  std::cerr << "tenancy_scale_bench: building the large store in " << partial << "\n";
  const std::string line = build_large_store(partial);
  std::ofstream(partial / "build.txt") << line << "\n";
  fs::rename(partial, dir);
  std::cerr << "tenancy_scale_bench: " << line << "\n";
  return "built now (" + dir.string() + "), " + line;
}

// ---- fixtures -----------------------------------------------------------------------------------

struct Fixture {
  pki::CryptoContext crypto;
  SystemClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<keys::SoftwareKeyVault> vault;
  std::unique_ptr<authority::Authority> authority;
  std::string tenant;
  std::int64_t tenant_id = 0;
  std::vector<std::string> device_serials;  // active devices of `tenant`
  std::vector<std::string> tokens;          // one per tenant (large store)
  fs::path key_dir;

  void open(const fs::path& dir) {
    key_dir = dir / "keys";
    store = must(store::open_sqlite_store(dir / "bench.db", {.durable = true}), "open store");
    vault = must(keys::SoftwareKeyVault::open(crypto, dir / "keys", master_secret()), "open vault");
    authority = must(authority::Authority::create({*store, *vault, crypto, clock}, {}), "create authority");
  }
};

std::vector<std::string> g_csrs;
std::unique_ptr<Fixture> g_single;
std::unique_ptr<Fixture> g_large;

void run_issuance(benchmark::State& state, Fixture& f, bool with_device) {
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7;
  std::size_t d = static_cast<std::size_t>(state.thread_index()) * (f.device_serials.size() / 2 + 1);
  authority::IssueRequest request{f.tenant, "tls-client", "", std::nullopt};
  for (auto _ : state) {
    request.csr_pem = g_csrs[i++ % g_csrs.size()];
    if (with_device) request.device = f.device_serials[d++ % f.device_serials.size()];
    auto issued = f.authority->issue(kAdmin, request, {});
    if (!issued) {
      state.SkipWithError(issued.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// ---- lookups ------------------------------------------------------------------------------------

/// Times `calls` calls of `fn(k)` (k = 0..calls-1) and reports percentiles in microseconds.
template <typename Fn>
void time_calls(benchmark::State& state, int calls, Fn&& fn) {
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(calls));
  for (auto _ : state) {
    for (int k = 0; k < calls; ++k) {
      const auto t0 = Steady::now();
      const Status s = fn(k);
      us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
      if (!s) {
        state.SkipWithError(s.error().message.c_str());
        return;
      }
    }
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<std::size_t>(p * us.size()))]; };
  double sum = 0;
  for (double v : us) sum += v;
  state.counters["calls"] = static_cast<double>(us.size());
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["max_us"] = us.back();
  state.counters["mean_us"] = sum / static_cast<double>(us.size());
}

template <typename T>
Status as_status(const Result<T>& r) {
  if (!r) return fail(r.error());
  return ok();
}

void register_lookups() {
  constexpr int kCalls = 1000;
  auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Iterations(1)->Unit(benchmark::kMillisecond);
  };
  // Random draws are fixed per benchmark (seeded) so that runs are comparable.
  reg("Lookup/tenant_runtime_first_load_keys_decrypted", [](benchmark::State& state) {
    // Every tenant once, in a shuffled order: the first load of a tenant in this process reads its
    // CAs and profiles and decrypts its 3 CA keys (what a server does after a restart).
    std::vector<int> order(static_cast<std::size_t>(kTenants));
    for (int i = 0; i < kTenants; ++i) order[static_cast<std::size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(1));
    order.erase(std::remove(order.begin(), order.end(), measured_tenant()), order.end());  // already loaded
    time_calls(state, static_cast<int>(order.size()), [&](int k) {
      return as_status(g_large->authority->tenant_runtime(tenant_name(order[static_cast<std::size_t>(k)])));
    });
  });
  reg("Lookup/tenant_runtime_reload_after_invalidate", [](benchmark::State& state) {
    std::mt19937 rng(2);
    std::uniform_int_distribution<int> pick(0, kTenants - 1);
    time_calls(state, kCalls, [&](int) {
      const std::string name = tenant_name(pick(rng));
      g_large->authority->invalidate_tenant(name);
      return as_status(g_large->authority->tenant_runtime(name));
    });
    (void)g_large->authority->tenant_runtime(measured_tenant_name());
  });
  reg("Lookup/vault_open_signer_cold", [](benchmark::State& state) {
    // One CA key read and decrypted by a fresh vault (part of a tenant's first load: 3 per tenant).
    std::vector<std::string> refs;
    for (int t = 0; t < kTenants && refs.size() < 300; t += 3) {
      auto tenant = must(g_large->store->find_tenant(tenant_name(t)), "find tenant");
      for (const auto& ca : must(g_large->store->list_cas(tenant->id), "list cas")) refs.push_back(ca.key_ref);
    }
    auto vault = must(keys::SoftwareKeyVault::open(g_large->crypto, g_large->key_dir, master_secret()), "open vault");
    time_calls(state, static_cast<int>(refs.size()),
               [&](int k) { return as_status(vault->open_signer(refs[static_cast<std::size_t>(k)])); });
  });
  reg("Lookup/authenticate_bearer_token", [](benchmark::State& state) {
    std::mt19937 rng(3);
    std::uniform_int_distribution<std::size_t> pick(0, g_large->tokens.size() - 1);
    time_calls(state, kCalls, [&](int) { return as_status(g_large->authority->authenticate(g_large->tokens[pick(rng)])); });
  });
  reg("Lookup/device_get_registry", [](benchmark::State& state) {
    // DeviceRegistry::get (REST GET …/devices/{serial}): device + its certificates, random tenant.
    std::mt19937 rng(4);
    std::uniform_int_distribution<int> pick(0, kDevices - 1);
    time_calls(state, kCalls, [&](int) {
      const int i = pick(rng);
      return as_status(g_large->authority->devices().get(kAdmin, tenant_name(i % kTenants), device_serial(i)));
    });
  });
  reg("Lookup/device_find_store", [](benchmark::State& state) {
    // Store::find_device alone (what issuance with a device reads), tenant ids resolved untimed.
    std::vector<std::int64_t> tenant_ids;
    for (int t = 0; t < kTenants; ++t) {
      auto tenant = must(g_large->store->find_tenant(tenant_name(t)), "find tenant");
      if (!tenant) die("tenant missing");
      tenant_ids.push_back(tenant->id);
    }
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> pick(0, kDevices - 1);
    time_calls(state, kCalls, [&](int) -> Status {
      const int i = pick(rng);
      auto found = g_large->store->find_device(tenant_ids[static_cast<std::size_t>(i % kTenants)], device_serial(i));
      if (!found) return fail(found.error());
      if (!*found) return fail(Errc::Internal, "device missing");
      return ok();
    });
  });
  auto device_list = [](const std::string& name, int limit, bool deep, std::optional<std::string> state_filter) {
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
      std::mt19937 rng(6);
      std::uniform_int_distribution<int> pick(0, kTenants - 1);
      // Cursors 9/10 of the way into each tenant's devices (found untimed).
      std::vector<std::optional<std::int64_t>> cursors(static_cast<std::size_t>(kTenants));
      if (deep) {
        for (int t = 0; t < kTenants; ++t) {
          auto page = g_large->authority->devices().list(kAdmin, tenant_name(t), {.limit = 1000});
          if (!page || page->items.empty()) continue;
          cursors[static_cast<std::size_t>(t)] = page->items[page->items.size() * 9 / 10].id;
        }
      }
      time_calls(state, kCalls, [&](int) -> Status {
        const int t = pick(rng);
        authority::DeviceListQuery q{.state = state_filter, .limit = limit, .after_id = cursors[static_cast<std::size_t>(t)]};
        auto page = g_large->authority->devices().list(kAdmin, tenant_name(t), q);
        if (!page) return fail(page.error());
        if (page->items.empty()) return fail(Errc::Internal, "empty device page");
        return ok();
      });
    })->Iterations(1)->Unit(benchmark::kMillisecond);
  };
  device_list("Lookup/device_list_first_page_100", 100, false, std::nullopt);
  device_list("Lookup/device_list_deep_page_100", 100, true, std::nullopt);
  device_list("Lookup/device_list_first_page_1000", 1000, false, std::nullopt);
  device_list("Lookup/device_list_state_suspended_100", 100, false, std::string(store::kDeviceSuspended));

  auto cert_list = [](const std::string& name, bool deep, std::optional<std::string> status) {
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
      // Certificates of the measured tenant (those the issuance benchmarks just stored).
      std::vector<std::int64_t> ids;
      std::optional<std::int64_t> after;
      do {
        auto page = must(g_large->authority->list_certificates(kAdmin, measured_tenant_name(), {.limit = 1000, .after_id = after}),
                         "list certificates");
        for (const auto& c : page.items) ids.push_back(c.id);
        after = page.next_after_id;
      } while (after);
      state.counters["tenant_certificates"] = static_cast<double>(ids.size());
      std::mt19937 rng(7);
      std::uniform_int_distribution<std::size_t> pick(0, ids.size() > 200 ? ids.size() - 200 : 0);
      time_calls(state, kCalls, [&](int) -> Status {
        std::optional<std::int64_t> cursor;
        if (deep && !ids.empty()) cursor = ids[pick(rng)];
        return as_status(g_large->authority->list_certificates(
            kAdmin, measured_tenant_name(), {.status = status, .limit = 100, .after_id = cursor}));
      });
    })->Iterations(1)->Unit(benchmark::kMillisecond);
  };
  cert_list("Lookup/certificate_list_first_page_100", false, std::nullopt);
  cert_list("Lookup/certificate_list_random_page_100", true, std::nullopt);
  cert_list("Lookup/certificate_list_status_valid_first_page_100", false, std::string("valid"));
  reg("Lookup/certificate_get_by_serial", [](benchmark::State& state) {
    std::vector<std::string> serials;
    auto page = must(g_large->authority->list_certificates(kAdmin, measured_tenant_name(), {.limit = 1000}), "list");
    for (const auto& c : page.items) serials.push_back(c.serial_hex);
    if (serials.empty()) {
      state.SkipWithError("no certificates in the measured tenant");
      return;
    }
    std::mt19937 rng(8);
    std::uniform_int_distribution<std::size_t> pick(0, serials.size() - 1);
    time_calls(state, kCalls, [&](int) {
      return as_status(g_large->authority->get_certificate(kAdmin, measured_tenant_name(), serials[pick(rng)]));
    });
  });
  reg("Lookup/tenant_list_page_100", [](benchmark::State& state) {
    std::mt19937 rng(9);
    std::uniform_int_distribution<int> pick(0, std::max(0, kTenants - 100));
    time_calls(state, kCalls, [&](int) -> Status {
      auto page = g_large->authority->tenant_admin().list_tenants(kAdmin, pick(rng), 100);
      if (!page) return fail(page.error());
      if (page->items.empty()) return fail(Errc::Internal, "empty tenant page");
      return ok();
    });
  });
  reg("Lookup/tenant_list_all_pages", [](benchmark::State& state) {
    // Walks every tenant page of 100 (1,000 tenants: 10 calls per walk), 100 walks.
    time_calls(state, 100, [&](int) -> Status {
      std::int64_t after = 0;
      while (true) {
        auto page = g_large->authority->tenant_admin().list_tenants(kAdmin, after, 100);
        if (!page) return fail(page.error());
        if (!page->next_after) return ok();
        after = *page->next_after;
      }
    });
  });
}

}  // namespace
}  // namespace fleetpki

int main(int argc, char** argv) {
  using namespace fleetpki;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const int rounds = env_int("FLEETPKI_SCALE_ROUNDS", 5);
  const double min_time = env_double("FLEETPKI_SCALE_MIN_TIME", 1.0);

  // The large store: cached, then copied to this run's folder.
  const auto t_cache = Steady::now();
  const fs::path cache = cache_dir();
  const std::string build_line = ensure_large_store(cache);
  const double ensure_s = seconds_since(t_cache);
  std::string tmpl = (fs::path(env_str("FLEETPKI_SCALE_WORKDIR", fs::temp_directory_path().string())) /
                      "fleetpki-scale-run-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) die("mkdtemp failed");
  const fs::path run_dir = tmpl;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{run_dir};

  const auto t_copy = Steady::now();
  fs::copy(cache, run_dir / "large", fs::copy_options::recursive);
  const double copy_s = seconds_since(t_copy);

  const auto t_open = Steady::now();
  g_large = std::make_unique<Fixture>();
  g_large->open(run_dir / "large");
  g_large->tenant = measured_tenant_name();
  {
    std::ifstream in(run_dir / "large" / "tokens.txt");
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) g_large->tokens.push_back(line);
    }
    if (g_large->tokens.size() != static_cast<std::size_t>(kTenants)) die("tokens.txt is incomplete");
    auto tenant = must(g_large->store->find_tenant(g_large->tenant), "find tenant");
    if (!tenant) die("measured tenant missing");
    g_large->tenant_id = tenant->id;
    for (int i = measured_tenant(); i < kDevices; i += kTenants) {
      if (!device_suspended(i)) g_large->device_serials.push_back(device_serial(i));
    }
    must(g_large->authority->tenant_runtime(g_large->tenant), "load measured tenant");
  }
  const double open_s = seconds_since(t_open);

  g_single = std::make_unique<Fixture>();
  fs::create_directories(run_dir / "single");
  g_single->open(run_dir / "single");
  must(g_single->authority->create_tenant(kAdmin, "default", {}), "create tenant default");
  g_single->tenant = "default";
  {
    // As many active devices as the measured tenant of the large store has, for the device variant.
    auto tenant = must(g_single->store->find_tenant("default"), "find tenant");
    auto type = must(g_single->store->find_device_type(tenant->id, authority::kDefaultDeviceType), "find type");
    const std::int64_t now = to_unix(g_single->clock.now());
    must(g_single->store->write([&](store::Transaction& tx) -> Status {
      store::DeviceRecord d;
      d.tenant_id = tenant->id;
      d.type_id = type->id;
      d.state = store::kDeviceActive;
      d.created_at = d.updated_at = now;
      for (std::size_t i = 0; i < g_large->device_serials.size(); ++i) {
        d.serial = device_serial(static_cast<int>(i));
        FLEETPKI_RETURN_IF_ERROR(tx.insert_device(d));
        g_single->device_serials.push_back(d.serial);
      }
      return ok();
    }), "insert devices (single)");
  }

  for (int i = 0; i < 64; ++i) {
    g_csrs.push_back(testing::make_csr_pem({.subject = {{"CN", "device-" + std::to_string(i)}, {"O", "IoT"}}}));
  }

  std::ostringstream setup;
  setup.precision(1);
  setup << std::fixed << "large store " << build_line << "; ensure " << ensure_s << " s, copy " << copy_s
        << " s, open + load tenant " << open_s << " s";
  std::cerr << "tenancy_scale_bench: " << setup.str() << "\n";
  benchmark::AddCustomContext("scale_setup", setup.str());
  benchmark::AddCustomContext("scale_tenants", std::to_string(kTenants));
  benchmark::AddCustomContext("scale_devices", std::to_string(kDevices));
  benchmark::AddCustomContext("scale_measured_tenant", measured_tenant_name());

  // Issuance: interleaved rounds; the order of the three stores alternates from round to round.
  struct Variant {
    const char* name;
    Fixture* fixture;
    bool device;
  };
  const std::vector<Variant> variants = {
      {"single", g_single.get(), false},
      {"large", g_large.get(), false},
      {"single_device", g_single.get(), true},
      {"large_device", g_large.get(), true}};
  // A short warm-up of each (not reported): the first run of a series is often low on this VM.
  for (const Variant& v : variants) {
    benchmark::RegisterBenchmark((std::string("Warmup/") + v.name).c_str(),
                                 [v](benchmark::State& state) { run_issuance(state, *v.fixture, v.device); })
        ->MinTime(0.5)
        ->UseRealTime();
  }
  for (int r = 0; r < rounds; ++r) {
    for (int threads : {1, 2}) {
      for (std::size_t k = 0; k < variants.size(); ++k) {
        const Variant& v = variants[r % 2 == 0 ? k : variants.size() - 1 - k];
        const std::string name = std::string("Issue/") + v.name + "/round:" + std::to_string(r);
        benchmark::RegisterBenchmark(name.c_str(), [v](benchmark::State& state) { run_issuance(state, *v.fixture, v.device); })
            ->Threads(threads)
            ->MinTime(min_time)
            ->UseRealTime();
      }
    }
  }
  register_lookups();

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_single.reset();
  g_large.reset();
  return 0;
}
