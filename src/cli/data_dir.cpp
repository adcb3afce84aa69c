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
#include "keys/pkcs11/pkcs11_key_vault.h"
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

constexpr const char* kServerTlsKeyLabel = "server-tls";  // serve_command.cpp's label

/// CA keys in the token, the server's TLS key in the software vault: OpenSSL's TLS stack needs
/// an EVP_PKEY for it (a token key would need the deprecated ENGINE API, STYLE.md). References
/// say which vault holds them ("software:…" or "pkcs11:…").
class TokenBackedVault final : public keys::KeyVault {
 public:
  TokenBackedVault(std::unique_ptr<keys::KeyVault> token, std::unique_ptr<keys::KeyVault> software)
      : token_(std::move(token)), software_(std::move(software)) {}
  Result<std::string> generate(keys::KeyAlgorithm algorithm, std::string_view label) override {
    if (label == kServerTlsKeyLabel) return software_->generate(algorithm, label);
    return token_->generate(algorithm, label);
  }
  Result<keys::SignerPtr> open_signer(std::string_view key_ref) override {
    return pick(key_ref).open_signer(key_ref);
  }
  Result<pki::ossl::Ptr<EVP_PKEY>> tls_private_key(std::string_view key_ref) override {
    return pick(key_ref).tls_private_key(key_ref);
  }

 private:
  keys::KeyVault& pick(std::string_view key_ref) {
    return key_ref.starts_with("software:") ? *software_ : *token_;
  }
  std::unique_ptr<keys::KeyVault> token_;
  std::unique_ptr<keys::KeyVault> software_;
};

Result<KeyBackendOptions> read_key_backend(const fs::path& dir) {
  KeyBackendOptions keys;
  std::error_code ec;
  if (!fs::exists(dir / "config.json", ec)) return keys;  // folders from before the setting
  FLEETPKI_TRY(std::string text, read_file(dir / "config.json", 1 << 20));
  auto config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    return fail(Errc::FailedPrecondition, (dir / "config.json").string() + " is not a JSON object");
  }
  if (auto it = config.find("key_backend"); it != config.end() && it->is_string()) {
    keys.backend = it->get<std::string>();
  }
  if (keys.backend == "software") return keys;
  if (keys.backend != "pkcs11") {
    return fail(Errc::FailedPrecondition, "unknown key_backend '" + keys.backend + "' in " + (dir / "config.json").string());
  }
  const auto p11 = config.value("pkcs11", nlohmann::json::object());
  if (!p11.is_object()) return fail(Errc::FailedPrecondition, "config.json: pkcs11 must be an object");
  if (auto it = p11.find("module"); it != p11.end() && it->is_string()) keys.pkcs11_module = it->get<std::string>();
  if (auto it = p11.find("token"); it != p11.end() && it->is_string()) keys.pkcs11_token = it->get<std::string>();
  if (auto it = p11.find("pin_file"); it != p11.end() && it->is_string()) keys.pkcs11_pin_file = it->get<std::string>();
  if (keys.pkcs11_token.empty()) return fail(Errc::FailedPrecondition, "config.json: pkcs11.token is missing");
  return keys;
}

Result<std::unique_ptr<keys::KeyVault>> open_vault(const fs::path& dir, const pki::CryptoContext& crypto) {
  FLEETPKI_TRY(KeyBackendOptions backend, read_key_backend(dir));
  FLEETPKI_TRY(SecureBytes master, keys::load_master_secret(dir / "master.key"));
  FLEETPKI_TRY(auto software, keys::SoftwareKeyVault::open(crypto, dir / "keys", std::move(master)));
  if (backend.backend == "software") return std::unique_ptr<keys::KeyVault>(std::move(software));
  FLEETPKI_TRY(SecureBytes pin, keys::load_pkcs11_pin(backend.pkcs11_pin_file));
  keys::Pkcs11VaultConfig config;
  if (!backend.pkcs11_module.empty()) config.module_path = backend.pkcs11_module;
  config.token_label = backend.pkcs11_token;
  config.pin = std::move(pin);
  FLEETPKI_TRY(auto token, keys::Pkcs11KeyVault::open(crypto, std::move(config)));
  return std::unique_ptr<keys::KeyVault>(std::make_unique<TokenBackedVault>(std::move(token), std::move(software)));
}
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
  FLEETPKI_TRY(rt->vault, open_vault(dir, rt->crypto));
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

Result<fs::path> initialize(const fs::path& dir, const std::string& tenant, const KeyBackendOptions& keys) {
  if (is_initialized(dir)) {
    return fail(Errc::FailedPrecondition, dir.string() + " is already initialized");
  }
  if (keys.backend != "software" && keys.backend != "pkcs11") {
    return fail(Errc::InvalidArgument, "--key-backend is software or pkcs11, not '" + keys.backend + "'");
  }
  if (keys.backend == "pkcs11" && keys.pkcs11_token.empty()) {
    return fail(Errc::InvalidArgument, "--key-backend pkcs11 needs --pkcs11-token LABEL");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::Unavailable, "cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  if (!fs::exists(dir / "master.key")) {
    FLEETPKI_RETURN_IF_ERROR(keys::create_master_secret_file(dir / "master.key"));
  }
  nlohmann::json config = {{"https", "127.0.0.1:8443"}, {"http", "127.0.0.1:8080"},
                           {"public_url", nullptr},    {"key_backend", keys.backend}};
  if (keys.backend == "pkcs11") {
    // Module and token label only: the PIN stays in FLEETPKI_PKCS11_PIN or the PIN file.
    std::error_code abs_ec;
    config["pkcs11"] = {
        {"module", keys.pkcs11_module.empty() ? std::string(keys::kSoftHsm2ModulePath) : keys.pkcs11_module},
        {"token", keys.pkcs11_token},
        {"pin_file", keys.pkcs11_pin_file ? nlohmann::json(fs::absolute(*keys.pkcs11_pin_file, abs_ec).string())
                                          : nlohmann::json(nullptr)}};
  }
  FLEETPKI_RETURN_IF_ERROR(write_file_atomic(dir / "config.json", config.dump(2) + "\n", 0644));

  FLEETPKI_TRY(auto rt, open_runtime_unchecked(dir, std::nullopt));
  const authority::Principal cli = local_operator();
  FLEETPKI_RETURN_IF_ERROR(rt->authority->create_tenant(cli, tenant, {"init"}));
  FLEETPKI_TRY(std::string token, rt->authority->create_token(cli, std::nullopt, authority::Role::Admin, {"init"}));
  FLEETPKI_RETURN_IF_ERROR(write_file_atomic(dir / "admin.token", token + "\n", 0600));
  FLEETPKI_RETURN_IF_ERROR(write_ca_files(*rt, dir, tenant));
  return dir / "admin.token";
}

Result<KeyBackendOptions> recorded_key_backend(const fs::path& dir) { return read_key_backend(dir); }

Status record_key_backend(const fs::path& dir, const KeyBackendOptions& keys) {
  nlohmann::json config = nlohmann::json::object();
  std::error_code ec;
  if (fs::exists(dir / "config.json", ec)) {
    FLEETPKI_TRY(std::string text, read_file(dir / "config.json", 1 << 20));
    config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object()) {
      return fail(Errc::FailedPrecondition, (dir / "config.json").string() + " is not a JSON object");
    }
  }
  config["key_backend"] = keys.backend;
  if (keys.backend == "pkcs11") {
    std::error_code abs_ec;
    config["pkcs11"] = {
        {"module", keys.pkcs11_module.empty() ? std::string(keys::kSoftHsm2ModulePath)
                                              : fs::absolute(keys.pkcs11_module, abs_ec).string()},
        {"token", keys.pkcs11_token},
        {"pin_file", keys.pkcs11_pin_file ? nlohmann::json(fs::absolute(*keys.pkcs11_pin_file, abs_ec).string())
                                          : nlohmann::json(nullptr)}};
  } else {
    config.erase("pkcs11");
  }
  return write_file_atomic(dir / "config.json", config.dump(2) + "\n", 0644);
}

}  // namespace fleetpki::cli
