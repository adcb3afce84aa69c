// Root key files (encrypted PKCS#8) and the compact key secret behind Shamir shares.
#include "ceremony/root_key.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/param_build.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "keys/signer.h"
#include "pki/algorithms.h"
#include "pki/ossl/error.h"
#include "pki/pem.h"
#include "pki/public_key.h"

namespace fleetpki::ceremony {
namespace {

constexpr std::uint8_t kSecretEcP256 = 1;
constexpr std::uint8_t kSecretEcP384 = 2;
constexpr std::uint8_t kSecretEd25519 = 3;
constexpr std::string_view kKeyCheckMessage = "fleetpki ceremony: restored key check";

struct BnClearFree {
  void operator()(BIGNUM* bn) const { ::BN_clear_free(bn); }
};
using SecretBn = std::unique_ptr<BIGNUM, BnClearFree>;

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { ::OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { ::OSSL_PARAM_free(p); }
};
struct P8InfFree {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { ::PKCS8_PRIV_KEY_INFO_free(p); }
};
struct X509SigFree {
  void operator()(X509_SIG* p) const { ::X509_SIG_free(p); }
};

/// Verifies a signature made by `key` over the check message with the certificate's public key.
Result<bool> signs_for(const pki::CryptoContext& ctx, EVP_PKEY* key, const pki::Certificate& root,
                       pki::SignatureAlgorithm alg) {
  pki::ossl::Ptr<EVP_MD_CTX> md(::EVP_MD_CTX_new());
  if (!md || ::EVP_DigestSignInit_ex(md.get(), nullptr, pki::digest_name(alg), ctx.libctx(),
                                     ctx.propq(), key, nullptr) != 1) {
    return fail(pki::ossl::last_error("EVP_DigestSignInit_ex"));
  }
  std::size_t length = static_cast<std::size_t>(::EVP_PKEY_get_size(key));
  Bytes signature(length);
  auto message = as_bytes(kKeyCheckMessage);
  if (::EVP_DigestSign(md.get(), signature.data(), &length, message.data(), message.size()) != 1) {
    return fail(pki::ossl::last_error("EVP_DigestSign"));
  }
  signature.resize(length);
  FLEETPKI_TRY(auto verifier, pki::make_verification_key(ctx, root.public_key()));
  return pki::verify_signature(ctx, verifier.get(), alg, message, signature);
}

}  // namespace

Result<pki::ossl::Ptr<EVP_PKEY>> generate_root_key(const pki::CryptoContext& ctx,
                                                   keys::KeyAlgorithm algorithm) {
  EVP_PKEY* key = nullptr;
  switch (algorithm) {
    case keys::KeyAlgorithm::EcP256:
      key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "EC", "P-256");
      break;
    case keys::KeyAlgorithm::EcP384:
      key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "EC", "P-384");
      break;
    case keys::KeyAlgorithm::Ed25519:
      key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "ED25519");
      break;
    case keys::KeyAlgorithm::Rsa2048:
      key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "RSA", std::size_t{2048});
      break;
    case keys::KeyAlgorithm::Rsa3072:
      key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "RSA", std::size_t{3072});
      break;
    case keys::KeyAlgorithm::Rsa4096:
      key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "RSA", std::size_t{4096});
      break;
  }
  if (key == nullptr) {
    return fail(
        pki::ossl::last_error("EVP_PKEY_Q_keygen", Errc::Internal, "key generation failed"));
  }
  return pki::ossl::Ptr<EVP_PKEY>(key);
}

Result<std::string> encrypt_key(const pki::CryptoContext& ctx, EVP_PKEY* key,
                                const SecureBytes& passphrase, int kdf_iterations) {
  if (passphrase.size() < kMinPassphraseBytes) {
    return fail(Errc::InvalidArgument, "the root key passphrase must be at least 12 characters");
  }
  if (kdf_iterations < 1000) {
    return fail(Errc::InvalidArgument, "PBKDF2 iteration count below 1000");
  }
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8InfFree> info(::EVP_PKEY2PKCS8(key));
  if (!info) {
    return fail(pki::ossl::last_error("EVP_PKEY2PKCS8"));
  }
  pki::ossl::Ptr<EVP_CIPHER> cipher(::EVP_CIPHER_fetch(ctx.libctx(), "AES-256-CBC", ctx.propq()));
  if (!cipher) {
    return fail(pki::ossl::last_error("EVP_CIPHER_fetch AES-256-CBC"));
  }
  // pbe_nid -1: PBES2 with PBKDF2 (PRF hmacWithSHA256) and a random salt and IV.
  std::unique_ptr<X509_SIG, X509SigFree> encrypted(
      ::PKCS8_encrypt_ex(-1, cipher.get(), reinterpret_cast<const char*>(passphrase.data()),
                         static_cast<int>(passphrase.size()), nullptr, 0, kdf_iterations,
                         info.get(), ctx.libctx(), ctx.propq()));
  if (!encrypted) {
    return fail(pki::ossl::last_error("PKCS8_encrypt_ex"));
  }
  unsigned char* der = nullptr;
  int length = ::i2d_X509_SIG(encrypted.get(), &der);
  if (length <= 0 || der == nullptr) {
    return fail(pki::ossl::last_error("i2d_X509_SIG"));
  }
  std::string pem =
      pki::pem_encode(ByteView(der, static_cast<std::size_t>(length)), "ENCRYPTED PRIVATE KEY");
  ::OPENSSL_free(der);
  return pem;
}

Result<pki::ossl::Ptr<EVP_PKEY>> decrypt_key(const pki::CryptoContext& ctx, std::string_view pem,
                                             const SecureBytes& passphrase) {
  if (pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") == std::string_view::npos) {
    return fail(Errc::DataLoss, "the root key file is not an encrypted PKCS#8 key");
  }
  EVP_PKEY* raw = nullptr;
  pki::ossl::Ptr<OSSL_DECODER_CTX> decoder(::OSSL_DECODER_CTX_new_for_pkey(
      &raw, "PEM", nullptr, nullptr, EVP_PKEY_KEYPAIR, ctx.libctx(), ctx.propq()));
  if (!decoder || ::OSSL_DECODER_CTX_get_num_decoders(decoder.get()) == 0) {
    return fail(pki::ossl::last_error("OSSL_DECODER_CTX_new_for_pkey"));
  }
  if (::OSSL_DECODER_CTX_set_passphrase(decoder.get(), passphrase.data(), passphrase.size()) != 1) {
    return fail(pki::ossl::last_error("OSSL_DECODER_CTX_set_passphrase"));
  }
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t length = pem.size();
  if (::OSSL_DECODER_from_data(decoder.get(), &data, &length) != 1 || raw == nullptr) {
    ::EVP_PKEY_free(raw);
    return fail(pki::ossl::last_error("OSSL_DECODER_from_data", Errc::FailedPrecondition,
                                      "cannot decrypt the root key: wrong passphrase or damaged "
                                      "key file"));
  }
  return pki::ossl::Ptr<EVP_PKEY>(raw);
}

Result<SecureBytes> key_secret(EVP_PKEY* key) {
  if (::EVP_PKEY_is_a(key, "ED25519") == 1) {
    SecureBytes secret(33);
    secret.data()[0] = kSecretEd25519;
    std::size_t length = 32;
    if (::EVP_PKEY_get_raw_private_key(key, secret.data() + 1, &length) != 1 || length != 32) {
      return fail(pki::ossl::last_error("EVP_PKEY_get_raw_private_key"));
    }
    return secret;
  }
  if (::EVP_PKEY_is_a(key, "EC") == 1) {
    char group[64] = {};
    std::size_t group_length = 0;
    if (::EVP_PKEY_get_group_name(key, group, sizeof group, &group_length) != 1) {
      return fail(pki::ossl::last_error("EVP_PKEY_get_group_name"));
    }
    std::string_view name(group, group_length);
    std::uint8_t type = 0;
    std::size_t width = 0;
    if (name == "prime256v1" || name == "P-256") {
      type = kSecretEcP256;
      width = 32;
    } else if (name == "secp384r1" || name == "P-384") {
      type = kSecretEcP384;
      width = 48;
    } else {
      return fail(Errc::Unimplemented, "cannot split a key on curve " + std::string(name));
    }
    BIGNUM* raw = nullptr;
    if (::EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1 || raw == nullptr) {
      return fail(pki::ossl::last_error("EVP_PKEY_get_bn_param priv"));
    }
    SecretBn scalar(raw);
    SecureBytes secret(1 + width);
    secret.data()[0] = type;
    if (::BN_bn2binpad(scalar.get(), secret.data() + 1, static_cast<int>(width)) !=
        static_cast<int>(width)) {
      return fail(pki::ossl::last_error("BN_bn2binpad"));
    }
    return secret;
  }
  return fail(Errc::Unimplemented,
              "only EC P-256, EC P-384 and Ed25519 root keys can be split into shares (an RSA key "
              "would need about a thousand words per share)");
}

Result<pki::ossl::Ptr<EVP_PKEY>> key_from_secret(const pki::CryptoContext& ctx, ByteView secret,
                                                 const pki::Certificate& root) {
  if (secret.empty()) {
    return fail(Errc::InvalidArgument, "empty key secret");
  }
  const std::uint8_t type = secret[0];
  ByteView material = secret.subspan(1);
  pki::ossl::Ptr<EVP_PKEY> key;
  pki::SignatureAlgorithm alg = pki::SignatureAlgorithm::Ed25519;
  if (type == kSecretEd25519 && material.size() == 32) {
    if (root.public_key().type != pki::KeyType::Ed25519) {
      return fail(Errc::FailedPrecondition, "the shares hold an Ed25519 key, the root is not");
    }
    key.reset(::EVP_PKEY_new_raw_private_key_ex(ctx.libctx(), "ED25519", ctx.propq(),
                                                material.data(), material.size()));
    if (!key) {
      return fail(pki::ossl::last_error("EVP_PKEY_new_raw_private_key_ex"));
    }
  } else if ((type == kSecretEcP256 && material.size() == 32) ||
             (type == kSecretEcP384 && material.size() == 48)) {
    const bool p256 = type == kSecretEcP256;
    if (root.public_key().type != (p256 ? pki::KeyType::EcP256 : pki::KeyType::EcP384)) {
      return fail(Errc::FailedPrecondition,
                  "the shares hold a key of another type than the root certificate's");
    }
    alg = p256 ? pki::SignatureAlgorithm::EcdsaSha256 : pki::SignatureAlgorithm::EcdsaSha384;
    SecretBn scalar(::BN_secure_new());
    if (!scalar ||
        ::BN_bin2bn(material.data(), static_cast<int>(material.size()), scalar.get()) == nullptr) {
      return fail(pki::ossl::last_error("BN_bin2bn"));
    }
    // The public point comes from the root certificate; the sign/verify check below proves that
    // the scalar belongs to it.
    const Bytes& point = root.public_key().subject_public_key;
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(::OSSL_PARAM_BLD_new());
    if (!bld ||
        ::OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                          p256 ? "P-256" : "P-384", 0) != 1 ||
        ::OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1 ||
        ::OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                           point.size()) != 1) {
      return fail(pki::ossl::last_error("OSSL_PARAM_BLD"));
    }
    std::unique_ptr<OSSL_PARAM, ParamFree> params(::OSSL_PARAM_BLD_to_param(bld.get()));
    pki::ossl::Ptr<EVP_PKEY_CTX> pctx(
        ::EVP_PKEY_CTX_new_from_name(ctx.libctx(), "EC", ctx.propq()));
    EVP_PKEY* raw = nullptr;
    if (!params || !pctx || ::EVP_PKEY_fromdata_init(pctx.get()) != 1 ||
        ::EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
      ::EVP_PKEY_free(raw);
      return fail(pki::ossl::last_error("EVP_PKEY_fromdata EC"));
    }
    key.reset(raw);
  } else {
    return fail(Errc::InvalidArgument, "the shares hold an unknown key format");
  }
  FLEETPKI_TRY(bool matches, signs_for(ctx, key.get(), root, alg));
  if (!matches) {
    return fail(Errc::FailedPrecondition,
                "the recombined key is not the root certificate's key: shares of another root?");
  }
  return key;
}

bool same_public_key(const Bytes& spki_der, const pki::Certificate& certificate) {
  auto parsed = pki::parse_public_key(spki_der);
  return parsed && parsed->subject_public_key == certificate.public_key().subject_public_key;
}

}  // namespace fleetpki::ceremony
