// Pkcs11Signer: host-side digest, CKM_ECDSA / CKM_RSA_PKCS in the token, raw r‖s → DER.
#include "keys/pkcs11/pkcs11_signer.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <array>

#include "pki/ossl/error.h"

namespace fleetpki::keys {

namespace p11 {
ck_rv_t find_one(const Pkcs11Session& session, std::vector<ck_attribute>& attributes,
                 ck_object_handle_t& found, std::string& what) {
  ck_function_list* f = session.functions;
  ck_rv_t rv = f->C_FindObjectsInit(session.handle, attributes.data(), attributes.size());
  if (rv != CKR_OK) {
    what = "C_FindObjectsInit";
    return rv;
  }
  std::array<ck_object_handle_t, 2> handles{};
  unsigned long count = 0;
  rv = f->C_FindObjects(session.handle, handles.data(), handles.size(), &count);
  const ck_rv_t final_rv = f->C_FindObjectsFinal(session.handle);
  if (rv != CKR_OK) {
    what = "C_FindObjects";
    return rv;
  }
  if (final_rv != CKR_OK) {
    what = "C_FindObjectsFinal";
    return final_rv;
  }
  what = "finding the key";
  if (count == 0) return kRvObjectNotFound;
  if (count > 1) return kRvObjectAmbiguous;
  found = handles[0];
  return CKR_OK;
}
}  // namespace p11

namespace {

/// RFC 8017 §9.2 note 1: DER DigestInfo prefix for SHA-256.
constexpr std::array<std::uint8_t, 19> kSha256DigestInfo = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

bool is_ecdsa(pki::SignatureAlgorithm a) {
  return a == pki::SignatureAlgorithm::EcdsaSha256 || a == pki::SignatureAlgorithm::EcdsaSha384;
}

}  // namespace

Result<Bytes> ecdsa_raw_to_der(ByteView raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 264) {
    return fail(Errc::InvalidArgument, "raw ECDSA signature of odd or bad length");
  }
  const std::size_t half = raw.size() / 2;
  ECDSA_SIG* sig = ::ECDSA_SIG_new();
  BIGNUM* r = ::BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = ::BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ::ECDSA_SIG_set0(sig, r, s) != 1) {
    ::BN_free(r);
    ::BN_free(s);
    ::ECDSA_SIG_free(sig);
    return fail(pki::ossl::last_error("ECDSA_SIG_set0"));
  }
  unsigned char* der = nullptr;
  const int length = ::i2d_ECDSA_SIG(sig, &der);
  ::ECDSA_SIG_free(sig);  // frees r and s
  if (length <= 0 || der == nullptr) return fail(pki::ossl::last_error("i2d_ECDSA_SIG"));
  Bytes out(der, der + length);
  ::OPENSSL_free(der);
  return out;
}

ck_rv_t Pkcs11Signer::key_handle(const Pkcs11Session& session, bool refresh,
                                 ck_object_handle_t& handle, std::string& what) const {
  {
    std::lock_guard lock(handle_mutex_);
    if (!refresh && handle_known_ && handle_generation_ == session.generation) {
      handle = handle_;
      return CKR_OK;
    }
  }
  ck_object_class_t key_class = CKO_PRIVATE_KEY;
  std::vector<ck_attribute> attributes = {
      {CKA_CLASS, &key_class, sizeof key_class},
      {CKA_ID, const_cast<std::uint8_t*>(id_.data()), id_.size()},
  };
  const ck_rv_t rv = p11::find_one(session, attributes, handle, what);
  std::lock_guard lock(handle_mutex_);
  if (rv == p11::kRvObjectNotFound && ever_found_) return p11::kRvObjectVanished;
  if (rv != CKR_OK) return rv;
  ever_found_ = true;
  handle_known_ = true;
  handle_generation_ = session.generation;
  handle_ = handle;
  return CKR_OK;
}

Result<Bytes> Pkcs11Signer::token_sign(ByteView message) const {
  if (algorithm_ == pki::SignatureAlgorithm::Ed25519) {
    // PureEdDSA hashes inside the signature scheme: the token gets the whole message.
    ck_mechanism eddsa{CKM_EDDSA, nullptr, 0};
    return token_sign_input(eddsa, message);
  }
  // Host-side hashing: one digest of at most 48 bytes goes to the token.
  const EVP_MD* md =
      algorithm_ == pki::SignatureAlgorithm::EcdsaSha384 ? ctx_.sha384() : ctx_.sha256();
  std::array<std::uint8_t, kSha256DigestInfo.size() + EVP_MAX_MD_SIZE> input{};
  std::size_t offset = 0;
  ck_mechanism mechanism{CKM_ECDSA, nullptr, 0};
  if (!is_ecdsa(algorithm_)) {
    // CKM_RSA_PKCS pads and signs what it is given: give it the DigestInfo (RFC 8017 §9.2).
    std::copy(kSha256DigestInfo.begin(), kSha256DigestInfo.end(), input.begin());
    offset = kSha256DigestInfo.size();
    mechanism.mechanism = CKM_RSA_PKCS;
  }
  unsigned int digest_length = 0;
  if (::EVP_Digest(message.data(), message.size(), input.data() + offset, &digest_length, md,
                   nullptr) != 1) {
    return fail(pki::ossl::last_error("EVP_Digest"));
  }
  return token_sign_input(mechanism, ByteView(input.data(), offset + digest_length));
}

Result<Bytes> Pkcs11Signer::token_sign_input(const ck_mechanism& mechanism_in, ByteView input) const {
  ck_mechanism mechanism = mechanism_in;
  Bytes signature(signature_size_);
  unsigned long signature_length = signature.size();
  FLEETPKI_RETURN_IF_ERROR(pool_->run([&](const Pkcs11Session& session, std::string& what) {
    ck_object_handle_t key = 0;
    ck_rv_t rv = key_handle(session, false, key, what);
    if (rv != CKR_OK) return rv;
    rv = session.functions->C_SignInit(session.handle, &mechanism, key);
    if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) {
      // The object was re-created (token restored): find it again once.
      rv = key_handle(session, true, key, what);
      if (rv != CKR_OK) return rv;
      rv = session.functions->C_SignInit(session.handle, &mechanism, key);
    }
    if (rv != CKR_OK) {
      what = "C_SignInit";
      return rv;
    }
    signature_length = signature.size();
    rv = session.functions->C_Sign(session.handle, const_cast<std::uint8_t*>(input.data()),
                                   input.size(), signature.data(), &signature_length);
    if (rv != CKR_OK) what = "C_Sign";
    return rv;
  }));
  if (signature_length != signature_size_) {
    return fail(Errc::Internal, "PKCS#11 token returned a signature of unexpected length");
  }
  return signature;
}

Result<Bytes> Pkcs11Signer::sign(ByteView message) const {
  FLEETPKI_TRY(Bytes signature, token_sign(message));
  if (is_ecdsa(algorithm_)) return ecdsa_raw_to_der(signature);
  return signature;
}

Result<Bytes> Pkcs11Signer::sign_raw(ByteView message) const {
  if (!is_ecdsa(algorithm_) && algorithm_ != pki::SignatureAlgorithm::Ed25519) {
    return fail(Errc::FailedPrecondition, "raw signatures are for ECDSA and Ed25519 keys only");
  }
  return token_sign(message);
}

}  // namespace fleetpki::keys
