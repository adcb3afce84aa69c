// SoftwareSigner: key-type checks, the SPKI computed once, and one-shot EVP_DigestSign.
#include "keys/software/software_signer.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <cstring>
#include <string>

#include "keys/software/software_key_vault.h"
#include "pki/ossl/error.h"

namespace fleetpki::keys {
namespace {

struct KeyKind {
  pki::SignatureAlgorithm algorithm;
  const char* digest;
};

Result<KeyKind> classify(EVP_PKEY* key) {
  if (::EVP_PKEY_is_a(key, "EC") == 1) {
    char group[64] = {};
    std::size_t length = 0;
    if (::EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1) {
      return fail(pki::ossl::last_error("EVP_PKEY_get_group_name", Errc::InvalidArgument,
                                        "EC key without a named curve"));
    }
    std::string_view name(group, length);
    if (name == "prime256v1" || name == "P-256") {
      return KeyKind{pki::SignatureAlgorithm::EcdsaSha256, "SHA256"};
    }
    if (name == "secp384r1" || name == "P-384") {
      return KeyKind{pki::SignatureAlgorithm::EcdsaSha384, "SHA384"};
    }
    return fail(Errc::InvalidArgument, "signing keys must be EC P-256 or P-384, not " +
                                           std::string(name));
  }
  if (::EVP_PKEY_is_a(key, "ED25519") == 1) {
    return KeyKind{pki::SignatureAlgorithm::Ed25519, nullptr};
  }
  if (::EVP_PKEY_is_a(key, "RSA") == 1) {
    if (::EVP_PKEY_get_bits(key) < 2048) {
      return fail(Errc::InvalidArgument, "RSA signing keys must be at least 2048 bits");
    }
    return KeyKind{pki::SignatureAlgorithm::RsaPkcs1Sha256, "SHA256"};
  }
  return fail(Errc::InvalidArgument, "unsupported signing key type");
}

}  // namespace

Result<std::shared_ptr<const SoftwareSigner>> SoftwareSigner::create(const pki::CryptoContext& ctx,
                                                                     pki::ossl::Ptr<EVP_PKEY> key) {
  if (!key) {
    return fail(Errc::InvalidArgument, "no key");
  }
  FLEETPKI_TRY(KeyKind kind, classify(key.get()));
  unsigned char* der = nullptr;
  int length = ::i2d_PUBKEY(key.get(), &der);
  if (length <= 0 || der == nullptr) {
    return fail(pki::ossl::last_error("i2d_PUBKEY"));
  }
  Bytes spki(der, der + length);
  ::OPENSSL_free(der);
  pki::ossl::Ptr<EVP_MD_CTX> initialised(::EVP_MD_CTX_new());
  if (!initialised) {
    return fail(pki::ossl::last_error("EVP_MD_CTX_new"));
  }
  if (::EVP_DigestSignInit_ex(initialised.get(), nullptr, kind.digest, ctx.libctx(), ctx.propq(),
                              key.get(), nullptr) != 1) {
    return fail(pki::ossl::last_error("EVP_DigestSignInit_ex", Errc::InvalidArgument,
                                      "the key cannot sign"));
  }
  return std::shared_ptr<const SoftwareSigner>(new SoftwareSigner(
      ctx, std::move(key), kind.algorithm, kind.digest, std::move(spki), std::move(initialised)));
}

Result<pki::ossl::Ptr<EVP_MD_CTX>> SoftwareSigner::new_sign_context() const {
  pki::ossl::Ptr<EVP_MD_CTX> md_ctx(::EVP_MD_CTX_new());
  if (!md_ctx) {
    return fail(pki::ossl::last_error("EVP_MD_CTX_new"));
  }
  if (::EVP_MD_CTX_copy_ex(md_ctx.get(), initialised_.get()) == 1) {
    return md_ctx;
  }
  // A provider without context duplication: initialise this context from scratch instead.
  pki::ossl::clear_errors();
  md_ctx.reset(::EVP_MD_CTX_new());
  if (!md_ctx) {
    return fail(pki::ossl::last_error("EVP_MD_CTX_new"));
  }
  if (::EVP_DigestSignInit_ex(md_ctx.get(), nullptr, digest_, ctx_.libctx(), ctx_.propq(),
                              key_.get(), nullptr) != 1) {
    return fail(pki::ossl::last_error("EVP_DigestSignInit_ex"));
  }
  return md_ctx;
}

Result<Bytes> SoftwareSigner::sign(ByteView message) const {
  FLEETPKI_TRY(pki::ossl::Ptr<EVP_MD_CTX> md_ctx, new_sign_context());
  // One-shot use: FINALISE spares the context copy EVP_DigestSignFinal makes to stay reusable.
  ::EVP_MD_CTX_set_flags(md_ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
  int max_size = ::EVP_PKEY_get_size(key_.get());
  if (max_size <= 0) {
    return fail(pki::ossl::last_error("EVP_PKEY_get_size"));
  }
  std::size_t length = static_cast<std::size_t>(max_size);
  Bytes signature(length);
  if (::EVP_DigestSign(md_ctx.get(), signature.data(), &length, message.data(), message.size()) !=
      1) {
    return fail(pki::ossl::last_error("EVP_DigestSign"));
  }
  signature.resize(length);  // DER ECDSA signatures are often shorter than the maximum
  return signature;
}

Result<SignerPtr> make_software_signer(const pki::CryptoContext& ctx,
                                       pki::ossl::Ptr<EVP_PKEY> key) {
  FLEETPKI_TRY(auto signer, SoftwareSigner::create(ctx, std::move(key)));
  return SignerPtr(std::move(signer));
}

}  // namespace fleetpki::keys
