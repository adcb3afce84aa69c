// Where the data folder's keys live, and moving its software CA keys into a PKCS#11 token
// (`fleetpki keys list|migrate-to-token`, issue #6 point 2; docs/operations.md "Moving software CA
// keys into a token").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/data_dir.h"
#include "common/bytes.h"
#include "common/result.h"
#include "pki/crypto_context.h"
#include "store/store.h"

namespace fleetpki::cli {

/// One key reference kept in the database, with what it belongs to.
struct StoredKeyRef {
  std::optional<std::int64_t> tenant_id;  // nullopt: a platform key (audit, server TLS)
  std::string tenant;                     // the tenant's name; empty for platform keys
  std::string owner;                      // "ca", "ocsp-responder", "audit" or "server-tls"
  std::string name;                       // the CA's name (its responder's too), else "platform"
  std::int64_t ca_id = 0;                 // owners ca and ocsp-responder
  std::string ref;                        // "software:<label>", "pkcs11:…"
  /// The public key this key must have: the CA's certificate (or the CSR of a pending CA), the
  /// responder certificate, the pinned DIR/audit-key.pem. DER SPKI; empty when nothing names it.
  Bytes certified_spki;
  std::optional<store::OcspResponderRecord> responder;  // owner ocsp-responder: the stored record

  /// "software", "pkcs11" or "other" (the reference's scheme).
  std::string backend() const;
  /// "ca default/issuing", "audit key", … (for messages).
  std::string describe() const;
};

/// The store of an initialized data folder, without its vaults (no master secret, no PIN needed).
Result<std::unique_ptr<store::Store>> open_folder_store(const std::filesystem::path& dir);

/// Every key reference of the folder: the CA keys of every tenant, their delegated OCSP responder
/// keys, the platform audit key and the server's TLS key. Needs neither the master secret nor the
/// token.
Result<std::vector<StoredKeyRef>> list_stored_key_refs(const std::filesystem::path& dir,
                                                       store::Store& store,
                                                       const pki::CryptoContext& crypto);

struct MigrationOptions {
  std::filesystem::path dir;
  /// Module, token label and PIN file as given on the command line (empty: from config.json;
  /// module default SoftHSM2). When config.json names a token already, they must match it.
  KeyBackendOptions flags;
  std::optional<std::string> tenant;  // only this tenant's CA and responder keys (no audit key)
  bool dry_run = false;
  bool remove_software_keys = false;
};

/// One key of the migration (planned, or done).
struct MigratedKey {
  StoredKeyRef from;
  std::string label;        // the token object's CKA_LABEL (the software label)
  std::string to_ref;       // the token reference (empty in a dry run for a key still to import)
  std::string spki_sha256;  // hex SHA-256 of the DER SubjectPublicKeyInfo
  bool reused = false;      // the token already held this key (an interrupted run before)
};

struct MigrationReport {
  KeyBackendOptions target;  // backend pkcs11, module, token, PIN file (absolute)
  std::vector<MigratedKey> keys;
  bool config_changed = false;  // config.json now (or in a dry run: would) says pkcs11
  std::vector<std::filesystem::path> removed;      // DIR/keys/*.p8 deleted (--remove-software-keys)
  std::vector<std::filesystem::path> kept_copies;  // DIR/keys/*.p8 still holding a migrated key
};

/// Moves every software-held CA key (every tenant, or options.tenant), OCSP responder key and the
/// audit key into the token, then points the database and DIR/config.json at the token. The
/// server's TLS key stays a software key. See the .cpp for the order of steps and what a re-run
/// does after an interruption. Errors (nothing in the folder changed unless said):
/// FailedPrecondition for a folder that is not initialized, a second token, a missing token;
/// Unauthenticated for a wrong PIN; InvalidArgument for a key the token backend cannot hold
/// (Ed25519); AlreadyExists when a token object has the label but another key; DataLoss when a
/// software key does not match its certificate; Aborted when a reference changed meanwhile.
Result<MigrationReport> migrate_keys_to_token(const MigrationOptions& options);

}  // namespace fleetpki::cli
