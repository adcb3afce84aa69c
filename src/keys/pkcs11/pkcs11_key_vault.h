// Pkcs11KeyVault: the KeyVault port over one token of a PKCS#11 v2.40 module. Keys are generated
// inside the token from our own template (sensitive, never extractable, sign-only) and named by
// RFC 7512 URIs; the private key never leaves the token.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/bytes.h"
#include "keys/key_vault.h"
#include "keys/pkcs11/pkcs11_session_pool.h"
#include "pki/crypto_context.h"

namespace fleetpki::keys {

/// The environment variable that may hold the user PIN of the token.
inline constexpr const char* kPkcs11PinEnv = "FLEETPKI_PKCS11_PIN";
/// The module used when the operator asks for PKCS#11 without naming one (Debian's softhsm2).
inline constexpr const char* kSoftHsm2ModulePath = "/usr/lib/softhsm/libsofthsm2.so";

/// The user PIN: the first line of `pin_file` when given (which must not be readable by group or
/// others), otherwise $FLEETPKI_PKCS11_PIN. FailedPrecondition when neither gives a PIN. The
/// PIN is never part of a message.
Result<SecureBytes> load_pkcs11_pin(const std::optional<std::filesystem::path>& pin_file);

struct Pkcs11VaultConfig {
  std::string module_path = kSoftHsm2ModulePath;
  std::string token_label;
  SecureBytes pin;
  Pkcs11SessionPool::Options pool{};
};

/// Thread-safe. References: "pkcs11:token=<token>;object=<label>;id=<16 random
/// bytes>;type=private".
class Pkcs11KeyVault final : public KeyVault {
 public:
  /// Loads the module, finds the token and logs in (see Pkcs11SessionPool::open for errors).
  static Result<std::unique_ptr<Pkcs11KeyVault>> open(const pki::CryptoContext& ctx,
                                                      Pkcs11VaultConfig config);

  /// EC P-256/P-384 (CKM_EC_KEY_PAIR_GEN, CKA_EC_PARAMS = the named curve's OID), Ed25519
  /// (CKM_EC_EDWARDS_KEY_PAIR_GEN, CKA_EC_PARAMS = id-Ed25519; signs with CKM_EDDSA) or RSA
  /// 2048/3072/4096 (e = 65537). Private key: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_SIGN TRUE;
  /// CKA_EXTRACTABLE, CKA_DECRYPT, CKA_UNWRAP, CKA_DERIVE FALSE; public and private objects
  /// share CKA_LABEL = `label` and a random 16-byte CKA_ID. AlreadyExists if an object with
  /// this label exists in the token; InvalidArgument for a label outside [A-Za-z0-9._-]{1,64}.
  Result<std::string> generate(KeyAlgorithm algorithm, std::string_view label) override;
  /// Accepts references of this token only (NotFound otherwise); reads the public key
  /// (CKA_EC_POINT, or CKA_MODULUS + CKA_PUBLIC_EXPONENT) into the signer's SPKI. Signers are
  /// cached per reference.
  Result<SignerPtr> open_signer(std::string_view key_ref) override;
  /// Migration of a software key into the token (tokens that accept C_CreateObject of private
  /// keys, as SoftHSM2 does): EC P-256/P-384 or RSA >= 2048 `key` becomes a token object with
  /// the same attributes as generate() gives (sensitive, not extractable, sign-only; ALWAYS_
  /// SENSITIVE and NEVER_EXTRACTABLE are false, as PKCS#11 requires for imported keys) plus its
  /// public object. Then the key signs once in the token and the signature is verified with
  /// `key`'s public half: DataLoss if not. AlreadyExists if the label is taken.
  Result<std::string> import_key(EVP_PKEY* key, std::string_view label);
  /// Unimplemented: keys cannot leave the token (the server's TLS key stays a software key).
  Result<pki::ossl::Ptr<EVP_PKEY>> tls_private_key(std::string_view key_ref) override;

  const std::string& token_label() const { return pool_->token_label(); }
  /// The session pool, shared with the signers (tests, benchmarks).
  const std::shared_ptr<Pkcs11SessionPool>& pool() const { return pool_; }

 private:
  Pkcs11KeyVault(const pki::CryptoContext& ctx, std::shared_ptr<Pkcs11SessionPool> pool)
      : ctx_(ctx), pool_(std::move(pool)) {}

  const pki::CryptoContext& ctx_;
  std::shared_ptr<Pkcs11SessionPool> pool_;
  std::mutex mutex_;  // serializes generate() (label check + creation) and guards signers_
  std::unordered_map<std::string, SignerPtr> signers_;
};

}  // namespace fleetpki::keys
