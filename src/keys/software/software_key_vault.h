// Software key vault: keys as PEM PKCS#8 EncryptedPrivateKeyInfo files (PBES2: PBKDF2 +
// AES-256-CBC) under a folder, encrypted with a passphrase derived from a master secret. Never
// written in clear; decrypted bytes are wiped.
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

/// Key files are key_dir/<label>.p8 (mode 0600), label = [a-z0-9][a-z0-9._-]{0,63}; references are
/// "software:<label>". Thread-safe: generate/open_signer may be called from any thread; signers are
/// cached per reference and shared.
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
  /// The PBES2 passphrase of one key file: hex(HKDF-SHA256(master secret, label)), so each file
  /// has its own passphrase and a file renamed to another label does not decrypt.
  Result<SecureBytes> passphrase_for(std::string_view label) const;

  const pki::CryptoContext& ctx_;
  std::filesystem::path key_dir_;
  SecureBytes master_secret_;
  std::mutex mutex_;
  std::unordered_map<std::string, SignerPtr> signers_;
};

/// A Signer over an in-memory EVP_PKEY (used by the software vault and by tests).
Result<SignerPtr> make_software_signer(const pki::CryptoContext& ctx, pki::ossl::Ptr<EVP_PKEY> key);

}  // namespace fleetpki::keys
