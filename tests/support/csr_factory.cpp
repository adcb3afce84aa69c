#include "support/csr_factory.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace fleetpki::testing {

pki::ossl::Ptr<EVP_PKEY> make_key(const std::string& spec) {
  EVP_PKEY* key = nullptr;
  if (spec == "ED25519") {
    key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else if (spec.rfind("RSA:", 0) == 0) {
    key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(std::stoul(spec.substr(4))));
  } else {
    key = ::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", spec.c_str());
  }
  if (key == nullptr) throw std::runtime_error("keygen failed for " + spec);
  return pki::ossl::Ptr<EVP_PKEY>(key);
}

std::string make_csr_pem(const CsrSpec& spec, EVP_PKEY* key) {
  pki::ossl::Ptr<EVP_PKEY> owned;
  if (key == nullptr) {
    owned = make_key(spec.key);
    key = owned.get();
  }
  pki::ossl::Ptr<X509_REQ> req(::X509_REQ_new());
  ::X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = ::X509_REQ_get_subject_name(req.get());
  for (const auto& [k, v] : spec.subject) {
    if (::X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0) != 1) {
      throw std::runtime_error("bad subject attribute " + k);
    }
  }
  ::X509_REQ_set_pubkey(req.get(), key);
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, nullptr, nullptr, req.get(), nullptr, 0);
  auto add = [&](const std::string& ext_name, const std::string& value) {
    X509_EXTENSION* ext = ::X509V3_EXT_conf(nullptr, &ctx, ext_name.c_str(), value.c_str());
    if (ext == nullptr) throw std::runtime_error("bad extension " + ext_name);
    sk_X509_EXTENSION_push(exts, ext);
  };
  if (!spec.sans.empty()) {
    std::string joined;
    for (const auto& s : spec.sans) joined += (joined.empty() ? "" : ",") + s;
    add("subjectAltName", joined);
  }
  for (const auto& [k, v] : spec.extensions) add(k, v);
  if (sk_X509_EXTENSION_num(exts) > 0) ::X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, ::X509_EXTENSION_free);
  const bool is_eddsa = ::EVP_PKEY_is_a(key, "ED25519") == 1;
  pki::ossl::Ptr<EVP_MD> sha256(::EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (::X509_REQ_sign(req.get(), key, is_eddsa ? nullptr : sha256.get()) <= 0) {
    throw std::runtime_error("CSR signing failed");
  }
  pki::ossl::Ptr<BIO> bio(::BIO_new(::BIO_s_mem()));
  ::PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  long len = ::BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace fleetpki::testing
