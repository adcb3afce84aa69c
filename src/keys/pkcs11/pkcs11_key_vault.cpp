// Pkcs11KeyVault: key generation from our own template, public key read-back into an SPKI,
// signers over the shared session pool, and the PIN loader.
#include "keys/pkcs11/pkcs11_key_vault.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <array>
#include <cstdlib>
#include <fstream>

#include "keys/pkcs11/pkcs11_signer.h"
#include "keys/pkcs11/pkcs11_uri.h"
#include "pki/ossl/error.h"

namespace fleetpki::keys {
namespace {

// DER OBJECT IDENTIFIERs of the named curves, the value of CKA_EC_PARAMS (RFC 5480 §2.1.1.1).
constexpr std::array<std::uint8_t, 10> kP256Params = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                                      0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr std::array<std::uint8_t, 7> kP384Params = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
// id-Ed25519 (RFC 8410 §3), the CKA_EC_PARAMS of a CKK_EC_EDWARDS key (PKCS#11 v3.0 §2.3.10).
constexpr std::array<std::uint8_t, 5> kEd25519Params = {0x06, 0x03, 0x2b, 0x65, 0x70};
constexpr std::array<std::uint8_t, 3> kRsaExponent = {0x01, 0x00, 0x01};  // 65537
constexpr std::size_t kIdBytes = 16;

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 64) return false;
  for (char c : label) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

ck_attribute attribute(ck_attribute_type_t type, const void* value, std::size_t length) {
  return {type, const_cast<void*>(value), length};
}

/// Our attribute template of a key pair, generated or imported (one definition, so the two cannot
/// drift apart): the private key sensitive, never extractable, sign-only; both objects on the
/// token with the same label and a random CKA_ID. The attributes point into this object: keep it
/// alive, in place, until the PKCS#11 call returns. Callers add the key-type attributes.
struct KeyPairTemplate {
  KeyPairTemplate(ck_key_type_t type, std::string_view label_text, Bytes key_id)
      : key_type(type), label(label_text), id(std::move(key_id)) {
    public_key = {
        attribute(CKA_CLASS, &public_class, sizeof public_class),
        attribute(CKA_KEY_TYPE, &key_type, sizeof key_type),
        attribute(CKA_TOKEN, &yes, sizeof yes),
        attribute(CKA_PRIVATE, &no, sizeof no),
        attribute(CKA_VERIFY, &yes, sizeof yes),
        attribute(CKA_ENCRYPT, &no, sizeof no),
        attribute(CKA_WRAP, &no, sizeof no),
        attribute(CKA_LABEL, label.data(), label.size()),
        attribute(CKA_ID, id.data(), id.size()),
    };
    private_key = {
        attribute(CKA_CLASS, &private_class, sizeof private_class),
        attribute(CKA_KEY_TYPE, &key_type, sizeof key_type),
        attribute(CKA_TOKEN, &yes, sizeof yes),
        attribute(CKA_PRIVATE, &yes, sizeof yes),
        attribute(CKA_SENSITIVE, &yes, sizeof yes),
        attribute(CKA_EXTRACTABLE, &no, sizeof no),
        attribute(CKA_SIGN, &yes, sizeof yes),
        attribute(CKA_DECRYPT, &no, sizeof no),
        attribute(CKA_UNWRAP, &no, sizeof no),
        attribute(CKA_DERIVE, &no, sizeof no),
        attribute(CKA_LABEL, label.data(), label.size()),
        attribute(CKA_ID, id.data(), id.size()),
    };
  }
  KeyPairTemplate(const KeyPairTemplate&) = delete;
  KeyPairTemplate& operator=(const KeyPairTemplate&) = delete;

  unsigned char yes = p11::kTrue;
  unsigned char no = p11::kFalse;
  ck_object_class_t public_class = CKO_PUBLIC_KEY;
  ck_object_class_t private_class = CKO_PRIVATE_KEY;
  ck_key_type_t key_type;
  const std::string label;
  const Bytes id;
  std::vector<ck_attribute> public_key;
  std::vector<ck_attribute> private_key;
};

/// A random CKA_ID shared by the two objects of a key pair.
Result<Bytes> random_key_id() {
  Bytes id(kIdBytes);
  if (::RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) {
    return fail(pki::ossl::last_error("RAND_bytes"));
  }
  return id;
}

/// Reads a variable-length attribute (length query, then value).
ck_rv_t read_attribute(const Pkcs11Session& session, ck_object_handle_t object,
                       ck_attribute_type_t type, Bytes& out, std::string& what) {
  what = "C_GetAttributeValue";
  ck_attribute query{type, nullptr, 0};
  ck_rv_t rv = session.functions->C_GetAttributeValue(session.handle, object, &query, 1);
  if (rv != CKR_OK) return rv;
  if (query.value_len == static_cast<unsigned long>(-1) || query.value_len > 8192) {
    return CKR_ATTRIBUTE_VALUE_INVALID;
  }
  out.assign(query.value_len, 0);
  query.value = out.data();
  rv = session.functions->C_GetAttributeValue(session.handle, object, &query, 1);
  if (rv == CKR_OK) out.resize(query.value_len);
  return rv;
}

/// CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (PKCS#11 v2.40 §2.3.3);
/// some modules return the bare point. Accept both, knowing the point's length.
bool unwrap_ec_point(const Bytes& value, std::size_t point_length, Bytes& point) {
  if (value.size() == point_length && value[0] == 0x04) {
    point = value;
    return true;
  }
  if (point_length < 0x80 && value.size() == point_length + 2 && value[0] == 0x04 &&
      value[1] == point_length && value[2] == 0x04) {
    point.assign(value.begin() + 2, value.end());
    return true;
  }
  return false;
}

Result<Bytes> spki_of(const pki::CryptoContext& ctx, EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = ::i2d_PUBKEY(key, &der);
  if (length <= 0 || der == nullptr) return fail(pki::ossl::last_error("i2d_PUBKEY"));
  Bytes spki(der, der + length);
  ::OPENSSL_free(der);
  (void)ctx;
  return spki;
}

Result<Bytes> spki_from_params(const pki::CryptoContext& ctx, const char* type,
                               OSSL_PARAM_BLD* builder) {
  pki::ossl::Ptr<OSSL_PARAM> params(::OSSL_PARAM_BLD_to_param(builder));
  pki::ossl::Ptr<EVP_PKEY_CTX> pctx(::EVP_PKEY_CTX_new_from_name(ctx.libctx(), type, ctx.propq()));
  EVP_PKEY* key = nullptr;
  if (!params || !pctx || ::EVP_PKEY_fromdata_init(pctx.get()) != 1 ||
      ::EVP_PKEY_fromdata(pctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return fail(pki::ossl::last_error("EVP_PKEY_fromdata", Errc::DataLoss,
                                      "the token's public key does not parse"));
  }
  pki::ossl::Ptr<EVP_PKEY> owned(key);
  FLEETPKI_TRY(Bytes spki, spki_of(ctx, owned.get()));
  // Decode again: d2i_PUBKEY checks the EC point is on the curve.
  const unsigned char* p = spki.data();
  pki::ossl::Ptr<EVP_PKEY> check(::d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!check) {
    return fail(
        pki::ossl::last_error("d2i_PUBKEY", Errc::DataLoss, "the token's public key is not valid"));
  }
  return spki;
}

struct PublicKeyInfo {
  pki::SignatureAlgorithm algorithm = pki::SignatureAlgorithm::EcdsaSha256;
  std::size_t signature_size = 0;
  Bytes spki;
};

}  // namespace

Result<SecureBytes> load_pkcs11_pin(const std::optional<std::filesystem::path>& pin_file) {
  if (pin_file) {
    struct stat st {};
    if (::stat(pin_file->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return fail(Errc::FailedPrecondition, "cannot read PKCS#11 PIN file " + pin_file->string());
    }
    if ((st.st_mode & 077) != 0) {
      return fail(Errc::FailedPrecondition, "PKCS#11 PIN file " + pin_file->string() +
                                                " is readable by others (chmod 600 it)");
    }
    std::ifstream in(*pin_file, std::ios::binary);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    SecureBytes pin(as_bytes(line));
    std::fill(line.begin(), line.end(), '\0');
    if (pin.empty()) {
      return fail(Errc::FailedPrecondition, "PKCS#11 PIN file " + pin_file->string() + " is empty");
    }
    return pin;
  }
  const char* env = std::getenv(kPkcs11PinEnv);
  if (env == nullptr || *env == '\0') {
    return fail(Errc::FailedPrecondition,
                "no PKCS#11 PIN: set FLEETPKI_PKCS11_PIN or pass --pkcs11-pin-file FILE");
  }
  return SecureBytes(as_bytes(env));
}

Result<std::unique_ptr<Pkcs11KeyVault>> Pkcs11KeyVault::open(const pki::CryptoContext& ctx,
                                                             Pkcs11VaultConfig config) {
  FLEETPKI_TRY(auto pool, Pkcs11SessionPool::open(config.module_path, config.token_label,
                                                  std::move(config.pin), config.pool));
  return std::unique_ptr<Pkcs11KeyVault>(new Pkcs11KeyVault(ctx, std::move(pool)));
}

Result<std::string> Pkcs11KeyVault::generate(KeyAlgorithm algorithm, std::string_view label) {
  if (!valid_label(label)) {
    return fail(Errc::InvalidArgument, "key labels are 1 to 64 characters from [A-Za-z0-9._-]");
  }
  unsigned long modulus_bits = 0;
  ck_key_type_t key_type = CKK_RSA;
  ck_mechanism mechanism{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
  ByteView curve;  // CKA_EC_PARAMS of EC and Edwards keys
  switch (algorithm) {
    case KeyAlgorithm::EcP256: curve = kP256Params; break;
    case KeyAlgorithm::EcP384: curve = kP384Params; break;
    case KeyAlgorithm::Ed25519: curve = kEd25519Params; break;
    case KeyAlgorithm::Rsa2048: modulus_bits = 2048; break;
    case KeyAlgorithm::Rsa3072: modulus_bits = 3072; break;
    case KeyAlgorithm::Rsa4096: modulus_bits = 4096; break;
  }
  if (algorithm == KeyAlgorithm::Ed25519) {
    key_type = CKK_EC_EDWARDS;
    mechanism.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
  } else if (!curve.empty()) {
    key_type = CKK_EC;
    mechanism.mechanism = CKM_EC_KEY_PAIR_GEN;
  }
  FLEETPKI_TRY(Bytes key_id, random_key_id());
  KeyPairTemplate tpl(key_type, label, std::move(key_id));
  if (!curve.empty()) {
    tpl.public_key.push_back(attribute(CKA_EC_PARAMS, curve.data(), curve.size()));
  } else {
    tpl.public_key.push_back(attribute(CKA_MODULUS_BITS, &modulus_bits, sizeof modulus_bits));
    tpl.public_key.push_back(
        attribute(CKA_PUBLIC_EXPONENT, kRsaExponent.data(), kRsaExponent.size()));
  }

  std::lock_guard lock(mutex_);  // the label check and the creation are one step
  FLEETPKI_RETURN_IF_ERROR(pool_->run([&](const Pkcs11Session& session, std::string& what) {
    std::vector<ck_attribute> by_label = {
        attribute(CKA_LABEL, tpl.label.data(), tpl.label.size())};
    ck_object_handle_t existing = 0;
    ck_rv_t rv = p11::find_one(session, by_label, existing, what);
    if (rv == CKR_OK || rv == p11::kRvObjectAmbiguous) return p11::kRvLabelTaken;
    if (rv != p11::kRvObjectNotFound) return rv;
    ck_object_handle_t public_key = 0;
    ck_object_handle_t private_key = 0;
    rv = session.functions->C_GenerateKeyPair(session.handle, &mechanism, tpl.public_key.data(),
                                              tpl.public_key.size(), tpl.private_key.data(),
                                              tpl.private_key.size(), &public_key, &private_key);
    what = "C_GenerateKeyPair";
    return rv;
  }));
  return format_pkcs11_uri(
      {.token = pool_->token_label(), .object = tpl.label, .id = tpl.id, .type = "private"});
}

Result<SignerPtr> Pkcs11KeyVault::open_signer(std::string_view key_ref) {
  FLEETPKI_TRY(Pkcs11Uri uri, parse_pkcs11_uri(key_ref));
  if (uri.token != pool_->token_label()) {
    return fail(Errc::NotFound,
                "key reference names another PKCS#11 token than '" + pool_->token_label() + "'");
  }
  if ((uri.type && *uri.type != "private") || (!uri.id && !uri.object)) {
    return fail(Errc::InvalidArgument, "a key reference names a private key by id or object");
  }
  const std::string ref(key_ref);
  {
    std::lock_guard lock(mutex_);
    if (auto it = signers_.find(ref); it != signers_.end()) return it->second;
  }
  PublicKeyInfo info;
  Bytes id;
  ck_key_type_t key_type = 0;
  Bytes ec_params, ec_point, modulus, exponent;
  FLEETPKI_RETURN_IF_ERROR(
      pool_
          ->run([&](const Pkcs11Session& session, std::string& what) {
            ck_object_class_t private_class = CKO_PRIVATE_KEY;
            std::vector<ck_attribute> search = {
                attribute(CKA_CLASS, &private_class, sizeof private_class)};
            if (uri.id) search.push_back(attribute(CKA_ID, uri.id->data(), uri.id->size()));
            if (uri.object)
              search.push_back(attribute(CKA_LABEL, uri.object->data(), uri.object->size()));
            ck_object_handle_t private_key = 0;
            ck_rv_t rv = p11::find_one(session, search, private_key, what);
            if (rv != CKR_OK) return rv;
            ck_attribute type_attribute{CKA_KEY_TYPE, &key_type, sizeof key_type};
            what = "C_GetAttributeValue";
            rv = session.functions->C_GetAttributeValue(session.handle, private_key,
                                                        &type_attribute, 1);
            if (rv != CKR_OK) return rv;
            if ((rv = read_attribute(session, private_key, CKA_ID, id, what)) != CKR_OK) return rv;
            if (id.empty())
              return p11::kRvObjectNotFound;  // no CKA_ID: we cannot pair it with its public key
            ck_object_class_t public_class = CKO_PUBLIC_KEY;
            std::vector<ck_attribute> public_search = {
                attribute(CKA_CLASS, &public_class, sizeof public_class),
                attribute(CKA_ID, id.data(), id.size())};
            ck_object_handle_t public_key = 0;
            if ((rv = p11::find_one(session, public_search, public_key, what)) != CKR_OK) return rv;
            if (key_type == CKK_EC || key_type == CKK_EC_EDWARDS) {
              if ((rv = read_attribute(session, public_key, CKA_EC_PARAMS, ec_params, what)) !=
                  CKR_OK) {
                return rv;
              }
              return read_attribute(session, public_key, CKA_EC_POINT, ec_point, what);
            }
            if (key_type == CKK_RSA) {
              if ((rv = read_attribute(session, public_key, CKA_MODULUS, modulus, what)) !=
                  CKR_OK) {
                return rv;
              }
              return read_attribute(session, public_key, CKA_PUBLIC_EXPONENT, exponent, what);
            }
            return CKR_OK;  // refused below
          })
          .map_error([](Error e) { return std::move(e).with_context("opening PKCS#11 key"); }));

  pki::ossl::Ptr<OSSL_PARAM_BLD> builder(::OSSL_PARAM_BLD_new());
  if (!builder) return fail(pki::ossl::last_error("OSSL_PARAM_BLD_new"));
  if (key_type == CKK_EC) {
    const bool p256 = ec_params == Bytes(kP256Params.begin(), kP256Params.end());
    const bool p384 = ec_params == Bytes(kP384Params.begin(), kP384Params.end());
    if (!p256 && !p384) {
      return fail(Errc::FailedPrecondition, "PKCS#11 EC key on a curve other than P-256/P-384");
    }
    Bytes point;
    if (!unwrap_ec_point(ec_point, p256 ? 65 : 97, point)) {
      return fail(Errc::DataLoss, "PKCS#11 CKA_EC_POINT is not an uncompressed point");
    }
    if (::OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                          p256 ? "P-256" : "P-384", 0) != 1 ||
        ::OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                           point.size()) != 1) {
      return fail(pki::ossl::last_error("OSSL_PARAM_BLD_push"));
    }
    FLEETPKI_TRY(info.spki, spki_from_params(ctx_, "EC", builder.get()));
    info.algorithm =
        p256 ? pki::SignatureAlgorithm::EcdsaSha256 : pki::SignatureAlgorithm::EcdsaSha384;
    info.signature_size = p256 ? 64 : 96;
  } else if (key_type == CKK_RSA) {
    if (modulus.size() < 256 || modulus.size() > 1024) {
      return fail(Errc::FailedPrecondition, "PKCS#11 RSA key outside 2048..8192 bits");
    }
    pki::ossl::Ptr<BIGNUM> n(
        ::BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
    pki::ossl::Ptr<BIGNUM> e(
        ::BN_bin2bn(exponent.data(), static_cast<int>(exponent.size()), nullptr));
    if (!n || !e || ::OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        ::OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
      return fail(pki::ossl::last_error("OSSL_PARAM_BLD_push_BN"));
    }
    FLEETPKI_TRY(info.spki, spki_from_params(ctx_, "RSA", builder.get()));
    info.algorithm = pki::SignatureAlgorithm::RsaPkcs1Sha256;
    info.signature_size = static_cast<std::size_t>((::BN_num_bits(n.get()) + 7) / 8);
  } else if (key_type == CKK_EC_EDWARDS) {
    if (ec_params != Bytes(kEd25519Params.begin(), kEd25519Params.end())) {
      return fail(Errc::FailedPrecondition, "PKCS#11 Edwards key on a curve other than Ed25519");
    }
    // CKA_EC_POINT: the 32-byte public key, DER OCTET STRING-wrapped or bare.
    Bytes point;
    if (ec_point.size() == 34 && ec_point[0] == 0x04 && ec_point[1] == 32) {
      point.assign(ec_point.begin() + 2, ec_point.end());
    } else if (ec_point.size() == 32) {
      point = ec_point;
    } else {
      return fail(Errc::DataLoss, "PKCS#11 CKA_EC_POINT is not an Ed25519 public key");
    }
    pki::ossl::Ptr<EVP_PKEY> public_key(::EVP_PKEY_new_raw_public_key_ex(
        ctx_.libctx(), "ED25519", ctx_.propq(), point.data(), point.size()));
    if (!public_key) {
      return fail(pki::ossl::last_error("EVP_PKEY_new_raw_public_key_ex", Errc::DataLoss,
                                        "the token's public key does not parse"));
    }
    FLEETPKI_TRY(info.spki, spki_of(ctx_, public_key.get()));
    info.algorithm = pki::SignatureAlgorithm::Ed25519;
    info.signature_size = 64;
  } else {
    return fail(Errc::FailedPrecondition, "PKCS#11 key is neither EC, Ed25519 nor RSA");
  }
  SignerPtr signer = std::make_shared<const Pkcs11Signer>(
      ctx_, pool_, std::move(id), info.algorithm, std::move(info.spki), info.signature_size);
  std::lock_guard lock(mutex_);
  auto [it, inserted] = signers_.emplace(ref, std::move(signer));
  return it->second;
}

namespace {

/// A BIGNUM parameter of `key` as big-endian bytes, left-padded to `width` (0: minimal).
Result<SecureBytes> bn_param(EVP_PKEY* key, const char* name, std::size_t width = 0) {
  BIGNUM* raw = nullptr;
  if (::EVP_PKEY_get_bn_param(key, name, &raw) != 1 || raw == nullptr) {
    return fail(pki::ossl::last_error("EVP_PKEY_get_bn_param", Errc::InvalidArgument,
                                      "the key lacks a private component"));
  }
  pki::ossl::Ptr<BIGNUM> bn(raw);
  const int bytes = (::BN_num_bits(bn.get()) + 7) / 8;
  const std::size_t size = width != 0 ? width : static_cast<std::size_t>(bytes);
  SecureBytes out(size);
  if (::BN_bn2binpad(bn.get(), out.data(), static_cast<int>(size)) < 0) {
    return fail(Errc::InvalidArgument, "key component larger than expected");
  }
  return out;
}

}  // namespace

Result<std::string> Pkcs11KeyVault::import_key(EVP_PKEY* key, std::string_view label) {
  if (key == nullptr) return fail(Errc::InvalidArgument, "no key");
  if (!valid_label(label)) {
    return fail(Errc::InvalidArgument, "key labels are 1 to 64 characters from [A-Za-z0-9._-]");
  }
  const bool ec = ::EVP_PKEY_is_a(key, "EC") == 1;
  const bool rsa = ::EVP_PKEY_is_a(key, "RSA") == 1;
  if (!ec && !rsa) return fail(Errc::InvalidArgument, "only EC and RSA keys can be imported");
  FLEETPKI_TRY(Bytes key_id, random_key_id());
  KeyPairTemplate tpl(ec ? CKK_EC : CKK_RSA, label, std::move(key_id));
  // Kept alive until C_CreateObject returns; secrets are wiped by SecureBytes.
  Bytes params, wrapped_point;
  std::vector<SecureBytes> secrets;
  if (ec) {
    char group[32] = {};
    std::size_t group_length = 0;
    ::EVP_PKEY_get_group_name(key, group, sizeof group, &group_length);
    const std::string_view curve(group, group_length);
    std::size_t field = 0;
    if (curve == "prime256v1" || curve == "P-256") {
      params.assign(kP256Params.begin(), kP256Params.end());
      field = 32;
    } else if (curve == "secp384r1" || curve == "P-384") {
      params.assign(kP384Params.begin(), kP384Params.end());
      field = 48;
    } else {
      return fail(Errc::InvalidArgument, "only P-256 and P-384 EC keys can be imported");
    }
    Bytes point(2 * field + 1);
    std::size_t point_length = 0;
    if (::EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                          point.size(), &point_length) != 1 ||
        point_length != point.size()) {
      return fail(pki::ossl::last_error("EVP_PKEY_get_octet_string_param"));
    }
    wrapped_point = {0x04, static_cast<std::uint8_t>(point.size())};  // DER OCTET STRING
    wrapped_point.insert(wrapped_point.end(), point.begin(), point.end());
    FLEETPKI_TRY(SecureBytes scalar, bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, field));
    secrets.push_back(std::move(scalar));
    tpl.public_key.push_back(attribute(CKA_EC_PARAMS, params.data(), params.size()));
    tpl.public_key.push_back(attribute(CKA_EC_POINT, wrapped_point.data(), wrapped_point.size()));
    tpl.private_key.push_back(attribute(CKA_EC_PARAMS, params.data(), params.size()));
    tpl.private_key.push_back(attribute(CKA_VALUE, secrets[0].data(), secrets[0].size()));
  } else {
    if (::EVP_PKEY_get_bits(key) < 2048) {
      return fail(Errc::InvalidArgument, "RSA keys must have at least 2048 bits");
    }
    static constexpr std::array<std::pair<const char*, ck_attribute_type_t>, 8> kParts = {{
        {OSSL_PKEY_PARAM_RSA_N, CKA_MODULUS},
        {OSSL_PKEY_PARAM_RSA_E, CKA_PUBLIC_EXPONENT},
        {OSSL_PKEY_PARAM_RSA_D, CKA_PRIVATE_EXPONENT},
        {OSSL_PKEY_PARAM_RSA_FACTOR1, CKA_PRIME_1},
        {OSSL_PKEY_PARAM_RSA_FACTOR2, CKA_PRIME_2},
        {OSSL_PKEY_PARAM_RSA_EXPONENT1, CKA_EXPONENT_1},
        {OSSL_PKEY_PARAM_RSA_EXPONENT2, CKA_EXPONENT_2},
        {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, CKA_COEFFICIENT},
    }};
    secrets.reserve(kParts.size());
    for (const auto& [name, type] : kParts) {
      FLEETPKI_TRY(SecureBytes part, bn_param(key, name));
      secrets.push_back(std::move(part));
      tpl.private_key.push_back(attribute(type, secrets.back().data(), secrets.back().size()));
    }
    tpl.public_key.push_back(attribute(CKA_MODULUS, secrets[0].data(), secrets[0].size()));
    tpl.public_key.push_back(attribute(CKA_PUBLIC_EXPONENT, secrets[1].data(), secrets[1].size()));
  }
  {
    std::lock_guard lock(mutex_);
    FLEETPKI_RETURN_IF_ERROR(pool_->run([&](const Pkcs11Session& session, std::string& what) {
      std::vector<ck_attribute> by_label = {
          attribute(CKA_LABEL, tpl.label.data(), tpl.label.size())};
      ck_object_handle_t existing = 0;
      ck_rv_t rv = p11::find_one(session, by_label, existing, what);
      if (rv == CKR_OK || rv == p11::kRvObjectAmbiguous) return p11::kRvLabelTaken;
      if (rv != p11::kRvObjectNotFound) return rv;
      ck_object_handle_t private_handle = 0;
      ck_object_handle_t public_handle = 0;
      what = "C_CreateObject";
      rv = session.functions->C_CreateObject(session.handle, tpl.private_key.data(),
                                             tpl.private_key.size(), &private_handle);
      if (rv != CKR_OK) return rv;
      rv = session.functions->C_CreateObject(session.handle, tpl.public_key.data(),
                                             tpl.public_key.size(), &public_handle);
      if (rv != CKR_OK) session.functions->C_DestroyObject(session.handle, private_handle);
      return rv;
    }));
  }
  const std::string ref = format_pkcs11_uri(
      {.token = pool_->token_label(), .object = tpl.label, .id = tpl.id, .type = "private"});
  // Verify: the token signs, the original public key checks the signature.
  FLEETPKI_TRY(SignerPtr signer, open_signer(ref));
  static constexpr std::array<std::uint8_t, 32> kProbe = {'f', 'l', 'e', 'e', 't', 'p', 'k', 'i',
                                                          ' ', 'i', 'm', 'p', 'o', 'r', 't'};
  FLEETPKI_TRY(Bytes signature, signer->sign(kProbe));
  pki::ossl::Ptr<EVP_MD_CTX> verify(::EVP_MD_CTX_new());
  if (!verify ||
      ::EVP_DigestVerifyInit_ex(verify.get(), nullptr, pki::digest_name(signer->algorithm()),
                                ctx_.libctx(), ctx_.propq(), key, nullptr) != 1 ||
      ::EVP_DigestVerify(verify.get(), signature.data(), signature.size(), kProbe.data(),
                         kProbe.size()) != 1) {
    pki::ossl::clear_errors();
    return fail(Errc::DataLoss, "the imported key does not sign like the original");
  }
  return ref;
}

Result<pki::ossl::Ptr<EVP_PKEY>> Pkcs11KeyVault::tls_private_key(std::string_view) {
  return fail(Errc::Unimplemented,
              "PKCS#11 keys cannot leave the token; the server's TLS key is a software key");
}

}  // namespace fleetpki::keys
