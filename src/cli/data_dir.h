// The data folder: its layout, first-time initialization, and opening the runtime over it.
//
// DIR/config.json      listener defaults          DIR/fleetpki.db   SQLite store (WAL)
// DIR/master.key       master secret (0600)       DIR/keys/*.p8     encrypted CA keys (0600)
// DIR/admin.token      platform admin token (0600)
// With `key_backend: pkcs11` in config.json every CA key (root, issuing, manufacturing, OCSP,
// audit) lives in a PKCS#11 token; only the server's TLS key stays in DIR/keys (software).
// DIR/ca-chain.pem     issuing CA + root: what TLS clients trust
// DIR/root-ca.pem      the root               DIR/manufacturing-ca.pem   birth-certificate CA
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "authority/authority.h"
#include "common/clock.h"
#include "common/result.h"
#include "keys/key_vault.h"
#include "pki/crypto_context.h"
#include "store/store.h"

namespace fleetpki::cli {

/// The principal of local commands run by the operator on the data folder.
authority::Principal local_operator();

/// Everything a command needs, composed over one data folder (the composition root).
struct Runtime {
  std::filesystem::path dir;
  pki::CryptoContext crypto;
  SystemClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<keys::KeyVault> vault;
  std::unique_ptr<authority::Authority> authority;
};

/// Where CA keys live. `software` (the default): DIR/keys. `pkcs11`: a token of a PKCS#11 module;
/// the PIN comes from `pkcs11_pin_file` or $FLEETPKI_PKCS11_PIN and is never written anywhere.
struct KeyBackendOptions {
  std::string backend = "software";  // "software" or "pkcs11"
  std::string pkcs11_module;         // empty: SoftHSM2's module
  std::string pkcs11_token;          // token label (required for pkcs11)
  std::optional<std::filesystem::path> pkcs11_pin_file;
};

/// True when `dir` holds an initialized data folder (its database exists).
bool is_initialized(const std::filesystem::path& dir);

/// Opens store and vault of an initialized folder. The authority is created with
/// `public_base_url`, or the one the last `serve` recorded, or http://127.0.0.1:8080.
Result<std::unique_ptr<Runtime>> open_runtime(const std::filesystem::path& dir,
                                              std::optional<std::string> public_base_url = std::nullopt);

/// Creates the folder (0700) with config, master secret, database, tenant `tenant` (root, issuing and
/// manufacturing CAs, default profiles), the platform admin token and the PEM files. FailedPrecondition
/// if the folder is already initialized. Returns the admin token path.
/// `keys` picks the key backend, recorded in DIR/config.json so that every later command opens the
/// same vault (the token must exist; InvalidArgument for an unknown backend or a missing label).
Result<std::filesystem::path> initialize(const std::filesystem::path& dir, const std::string& tenant,
                                         const KeyBackendOptions& keys = {});

/// The key backend DIR/config.json records ("software" when it names none). FailedPrecondition for
/// an unreadable config or an unknown backend.
Result<KeyBackendOptions> recorded_key_backend(const std::filesystem::path& dir);
/// Rewrites DIR/config.json atomically with `keys` as its backend, keeping its other fields: for
/// pkcs11 the module (default SoftHSM2), the token label and the PIN file's absolute path (never
/// the PIN). Used by `fleetpki keys migrate-to-token`.
Status record_key_backend(const std::filesystem::path& dir, const KeyBackendOptions& keys);

/// Writes `content` to `path` atomically (temp file + fsync + rename) with `mode`.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned mode);

/// Reads a whole file, refusing files over `max_bytes`.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace fleetpki::cli
