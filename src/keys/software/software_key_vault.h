// Software key vault: keys as PKCS#8 EncryptedPrivateKeyInfo files (PBES2/scrypt, AES-256) under a
// folder, encrypted with a master secret. Never written in clear; decrypted bytes are wiped.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/bytes.h"
#include "keys/key_vault.h"
#include "pki/crypto_context.h"

namespace fleetpki::keys {

/// Name of the environment variable that may hold the master secret (hex or text) instead of a file.
inline constexpr const char* kMasterSecretEnv = "FLEETPKI_MASTER_SECRET";

/// Writes a new 32-byte random master secret (hex) to `file` with mode 0600. AlreadyExists if the
/// file exists.
Status create_master_secret_file(const std::filesystem::path& file);

/// Reads the master secret: from $FLEETPKI_MASTER_SECRET when set, otherwise from `file`, which
/// must be a regular file of mode 0600 or stricter (FailedPrecondition otherwise).
Result<SecureBytes> load_master_secret(const std::filesystem::path& file);

class SoftwareKeyVault final : public KeyVault {
 public:
  /// `key_dir` is created (mode 0700) if missing.
  static Result<std::unique_ptr<SoftwareKeyVault>> open(const pki::CryptoContext& ctx,
                                                        std::filesystem::path key_dir,
                                                        SecureBytes master_secret);

  Result<std::string> generate(KeyAlgorithm algorithm, std::string_view label) override;
  Result<SignerPtr> open_signer(std::string_view key_ref) override;
  Result<pki::ossl::Ptr<EVP_PKEY>> tls_private_key(std::string_view key_ref) override;

 private:
  SoftwareKeyVault(const pki::CryptoContext& ctx, std::filesystem::path key_dir,
                   SecureBytes master_secret);
  Result<pki::ossl::Ptr<EVP_PKEY>> load(std::string_view key_ref);

  const pki::CryptoContext& ctx_;
  std::filesystem::path key_dir_;
  SecureBytes master_secret_;
  std::mutex mutex_;
  std::unordered_map<std::string, SignerPtr> signers_;
};

/// A Signer over an in-memory EVP_PKEY (used by the software vault and by tests).
Result<SignerPtr> make_software_signer(const pki::CryptoContext& ctx, pki::ossl::Ptr<EVP_PKEY> key);

}  // namespace fleetpki::keys
