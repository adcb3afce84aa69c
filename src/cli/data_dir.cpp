#include "cli/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "authority/default_profiles.h"
#include "keys/software/software_key_vault.h"
#include "store/sqlite/sqlite_store.h"

namespace fleetpki::cli {
namespace fs = std::filesystem;

namespace {
constexpr const char* kDatabase = "fleetpki.db";
constexpr const char* kPublicUrlSetting = "public_url";

Status write_ca_files(Runtime& rt, const fs::path& dir, const std::string& tenant) {
  FLEETPKI_TRY(std::string issuing_chain, rt.authority->ca_chain_pem(tenant, authority::kIssuingCa));
  FLEETPKI_TRY(std::string root, rt.authority->ca_chain_pem(tenant, authority::kRootCa));
  FLEETPKI_TRY(std::string mfg_chain, rt.authority->ca_chain_pem(tenant, authority::kManufacturingCa));
  FLEETPKI_RETURN_IF_ERROR(write_file_atomic(dir / "ca-chain.pem", issuing_chain, 0644));
  FLEETPKI_RETURN_IF_ERROR(write_file_atomic(dir / "root-ca.pem", root, 0644));
  // The manufacturing CA alone (its chain ends with the root, which is in root-ca.pem).
  const std::string mfg = mfg_chain.substr(0, mfg_chain.find("-----END CERTIFICATE-----") + 26);
  return write_file_atomic(dir / "manufacturing-ca.pem", mfg, 0644);
}
}  // namespace

authority::Principal local_operator() { return {"cli", std::nullopt, authority::Role::Admin}; }

bool is_initialized(const fs::path& dir) {
  std::error_code ec;
  // admin.token is written last by initialize(): a folder without it was never finished.
  return fs::exists(dir / kDatabase, ec) && fs::exists(dir / "admin.token", ec);
}

Status write_file_atomic(const fs::path& path, std::string_view content, unsigned mode) {
  const fs::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(Errc::Unavailable, "cannot write " + path.string() + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return fail(Errc::Unavailable, "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fail(Errc::Unavailable, "cannot sync " + path.string());
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return fail(Errc::Unavailable, "cannot rename into " + path.string() + ": " + ec.message());
  return ok();
}

Result<std::string> read_file(const fs::path& path, std::size_t max_bytes) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return fail(Errc::NotFound, "cannot read " + path.string() + ": " + ec.message());
  if (size > max_bytes) {
    return fail(Errc::ResourceExhausted, path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::NotFound, "cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
Result<std::unique_ptr<Runtime>> open_runtime_unchecked(const fs::path& dir, std::optional<std::string> public_base_url);
}

Result<std::unique_ptr<Runtime>> open_runtime(const fs::path& dir, std::optional<std::string> public_base_url) {
  if (!is_initialized(dir)) {
    return fail(Errc::FailedPrecondition, dir.string() + " is not an initialized data folder (run 'fleetpki init --data " + dir.string() + "')");
  }
  return open_runtime_unchecked(dir, std::move(public_base_url));
}

namespace {
Result<std::unique_ptr<Runtime>> open_runtime_unchecked(const fs::path& dir, std::optional<std::string> public_base_url) {
  auto rt = std::make_unique<Runtime>();
  rt->dir = dir;
  FLEETPKI_TRY(rt->store, store::open_sqlite_store(dir / kDatabase));
  FLEETPKI_TRY(SecureBytes master, keys::load_master_secret(dir / "master.key"));
  FLEETPKI_TRY(auto vault, keys::SoftwareKeyVault::open(rt->crypto, dir / "keys", std::move(master)));
  rt->vault = std::move(vault);
  if (!public_base_url) {
    FLEETPKI_TRY(auto recorded, rt->store->get_setting(kPublicUrlSetting));
    public_base_url = recorded.value_or("http://127.0.0.1:8080");
  } else {
    const std::string url = *public_base_url;
    FLEETPKI_RETURN_IF_ERROR(rt->store->write([&](store::Transaction& tx) { return tx.put_setting(kPublicUrlSetting, url); }));
  }
  FLEETPKI_TRY(rt->authority, authority::Authority::create({*rt->store, *rt->vault, rt->crypto, rt->clock},
                                                           {.public_base_url = *public_base_url}));
  return rt;
}
}  // namespace

Result<fs::path> initialize(const fs::path& dir, const std::string& tenant) {
  if (is_initialized(dir)) {
    return fail(Errc::FailedPrecondition, dir.string() + " is already initialized");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::Unavailable, "cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  if (!fs::exists(dir / "master.key")) {
    FLEETPKI_RETURN_IF_ERROR(keys::create_master_secret_file(dir / "master.key"));
  }
  nlohmann::json config = {{"https", "127.0.0.1:8443"}, {"http", "127.0.0.1:8080"},
                           {"public_url", nullptr},    {"key_backend", "software"}};
  FLEETPKI_RETURN_IF_ERROR(write_file_atomic(dir / "config.json", config.dump(2) + "\n", 0644));

  FLEETPKI_TRY(auto rt, open_runtime_unchecked(dir, std::nullopt));
  const authority::Principal cli = local_operator();
  FLEETPKI_RETURN_IF_ERROR(rt->authority->create_tenant(cli, tenant, {"init"}));
  FLEETPKI_TRY(std::string token, rt->authority->create_token(cli, std::nullopt, authority::Role::Admin, {"init"}));
  FLEETPKI_RETURN_IF_ERROR(write_file_atomic(dir / "admin.token", token + "\n", 0600));
  FLEETPKI_RETURN_IF_ERROR(write_ca_files(*rt, dir, tenant));
  return dir / "admin.token";
}

}  // namespace fleetpki::cli
