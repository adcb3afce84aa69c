// Test helpers for the pki unit tests: key generation, CSRs built with OpenSSL's X509_REQ API (allowed
// in tests only), signing, and the CLI-made vectors of tests/data/pki.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <algorithm>

#include "common/bytes.h"
#include "pki/algorithms.h"
#include "pki/ossl/ptr.h"

#ifndef FLEETPKI_PKI_TEST_DATA
#error "FLEETPKI_PKI_TEST_DATA must point at tests/data/pki"
#endif

namespace fleetpki::pki::test {

inline Bytes read_data_file(const std::string& name) {
  std::ifstream in(std::string(FLEETPKI_PKI_TEST_DATA) + "/" + name, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string read_text_file(const std::string& name) {
  Bytes b = read_data_file(name);
  return std::string(b.begin(), b.end());
}

/// "P-256", "P-384", "P-224", "secp256k1", "ED25519", "RSA-2048", "RSA-1024".
inline ossl::Ptr<EVP_PKEY> make_key(const std::string& kind) {
  EVP_PKEY* key = nullptr;
  if (kind == "ED25519") {
    key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else if (kind.rfind("RSA-", 0) == 0) {
    key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(std::stoul(kind.substr(4))));
  } else {
    key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", kind.c_str());
  }
  return ossl::Ptr<EVP_PKEY>(key);
}

inline Bytes spki_of(EVP_PKEY* key) {
  unsigned char* out = nullptr;
  int len = ::i2d_PUBKEY(key, &out);
  Bytes b(out, out + (len > 0 ? len : 0));
  ::OPENSSL_free(out);
  return b;
}

/// Signs `data` with EVP_DigestSign (`md` nullptr for Ed25519).
inline Bytes sign(EVP_PKEY* key, const char* md, ByteView data) {
  ossl::Ptr<EVP_MD_CTX> mctx(::EVP_MD_CTX_new());
  if (::EVP_DigestSignInit_ex(mctx.get(), nullptr, md, nullptr, nullptr, key, nullptr) != 1) {
    return {};
  }
  size_t len = 0;
  if (::EVP_DigestSign(mctx.get(), nullptr, &len, data.data(), data.size()) != 1) {
    return {};
  }
  Bytes sig(len);
  if (::EVP_DigestSign(mctx.get(), sig.data(), &len, data.data(), data.size()) != 1) {
    return {};
  }
  sig.resize(len);
  return sig;
}

struct ExtensionSpec {
  std::string name;   // e.g. "basicConstraints"
  std::string value;  // e.g. "critical,CA:TRUE"
};

/// A DER CSR built with X509_REQ and signed with `key` (md nullptr for Ed25519).
inline Bytes make_csr(EVP_PKEY* key, const char* md, const std::string& cn,
                      const std::vector<ExtensionSpec>& extensions = {}) {
  ossl::Ptr<X509_REQ> req(::X509_REQ_new_ex(nullptr, nullptr));
  if (!req || ::X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) {
    return {};
  }
  X509_NAME* name = ::X509_REQ_get_subject_name(req.get());
  if (!cn.empty() &&
      ::X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                   0) != 1) {
    return {};
  }
  if (::X509_REQ_set_pubkey(req.get(), key) != 1) {
    return {};
  }
  if (!extensions.empty()) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, nullptr, nullptr, req.get(), nullptr, 0);
    for (const auto& e : extensions) {
      X509_EXTENSION* ext = ::X509V3_EXT_nconf(nullptr, &v3, e.name.c_str(), e.value.c_str());
      if (ext == nullptr) {
        sk_X509_EXTENSION_pop_free(exts, ::X509_EXTENSION_free);
        return {};
      }
      sk_X509_EXTENSION_push(exts, ext);
    }
    int rc = ::X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, ::X509_EXTENSION_free);
    if (rc != 1) {
      return {};
    }
  }
  ossl::Ptr<EVP_MD_CTX> mctx(::EVP_MD_CTX_new());
  if (::EVP_DigestSignInit_ex(mctx.get(), nullptr, md, nullptr, nullptr, key, nullptr) != 1 ||
      ::X509_REQ_sign_ctx(req.get(), mctx.get()) <= 0) {
    return {};
  }
  unsigned char* out = nullptr;
  int len = ::i2d_X509_REQ(req.get(), &out);
  Bytes der(out, out + (len > 0 ? len : 0));
  ::OPENSSL_free(out);
  return der;
}

/// A CA key kind and the algorithm it signs with: the parameter of suites run for every CA key.
struct CaCase {
  const char* key_kind;
  SignatureAlgorithm alg;
};

/// Every CA key kind (INSTANTIATE_TEST_SUITE_P(Pki, Suite, kEveryCaKind, ca_case_name)).
inline const auto kEveryCaKind = ::testing::Values(CaCase{"P-256", SignatureAlgorithm::EcdsaSha256},
                                                   CaCase{"P-384", SignatureAlgorithm::EcdsaSha384},
                                                   CaCase{"ED25519", SignatureAlgorithm::Ed25519},
                                                   CaCase{"RSA-2048", SignatureAlgorithm::RsaPkcs1Sha256});

/// Test name suffix: the key kind without '-'.
inline std::string ca_case_name(const ::testing::TestParamInfo<CaCase>& info) {
  std::string n = info.param.key_kind;
  n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
  return n;
}

}  // namespace fleetpki::pki::test
