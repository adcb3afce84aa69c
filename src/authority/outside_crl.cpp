#include "authority/outside_crl.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "pki/ossl/error.h"
#include "pki/ossl/ptr.h"

namespace fleetpki::authority {
namespace ossl = pki::ossl;

namespace {

std::optional<std::int64_t> unix_of(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ::ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string sha256_hex(const pki::CryptoContext& ctx, ByteView der) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (::EVP_Digest(der.data(), der.size(), md, &n, ctx.sha256(), nullptr) != 1) return {};
  return to_hex(ByteView(md, n));
}

}  // namespace

Result<OutsideCrl> parse_outside_crl(const pki::CryptoContext& ctx, ByteView der, const std::vector<Bytes>& anchors) {
  if (der.empty() || der.size() > kMaxOutsideCrlBytes) {
    return fail(Errc::InvalidArgument, "a CRL must be 1 byte to " + std::to_string(kMaxOutsideCrlBytes / 1024 / 1024) +
                                           " MiB of DER");
  }
  const unsigned char* p = der.data();
  ossl::Ptr<X509_CRL> crl(::d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl || p != der.data() + der.size()) {
    ossl::clear_errors();
    return fail(Errc::InvalidArgument, "not a DER X.509 CRL (or trailing bytes after it)");
  }
  const X509_NAME* issuer = ::X509_CRL_get_issuer(crl.get());
  for (std::size_t i = 0; i < anchors.size(); ++i) {
    const unsigned char* q = anchors[i].data();
    ossl::Ptr<X509> anchor(::d2i_X509(nullptr, &q, static_cast<long>(anchors[i].size())));
    if (!anchor || ::X509_NAME_cmp(::X509_get_subject_name(anchor.get()), issuer) != 0) continue;
    EVP_PKEY* key = ::X509_get0_pubkey(anchor.get());
    if (key == nullptr || ::X509_CRL_verify(crl.get(), key) != 1) continue;
    OutsideCrl out;
    out.anchor_index = i;
    out.issuer_sha256 = sha256_hex(ctx, anchors[i]);
    out.issuer_subject = rfc2253_name(issuer);
    auto this_update = unix_of(::X509_CRL_get0_lastUpdate(crl.get()));
    if (!this_update) return fail(Errc::InvalidArgument, "the CRL's thisUpdate is unreadable");
    out.this_update = *this_update;
    if (const ASN1_TIME* next = ::X509_CRL_get0_nextUpdate(crl.get())) {
      out.next_update = unix_of(next);
      if (!out.next_update) return fail(Errc::InvalidArgument, "the CRL's nextUpdate is unreadable");
    }
    int critical = 0;
    ossl::Ptr<ASN1_INTEGER> number(static_cast<ASN1_INTEGER*>(
        ::X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, &critical, nullptr)));
    if (number) {
      ossl::Ptr<BIGNUM> bn(::ASN1_INTEGER_to_BN(number.get(), nullptr));
      if (bn) {
        char* hex = ::BN_bn2hex(bn.get());
        if (hex != nullptr) {
          out.crl_number = std::string(hex);
          ::OPENSSL_free(hex);
        }
      }
    }
    const STACK_OF(X509_REVOKED)* revoked = ::X509_CRL_get_REVOKED(crl.get());
    out.revoked_count = revoked != nullptr ? sk_X509_REVOKED_num(revoked) : 0;
    out.crl = std::shared_ptr<X509_CRL>(crl.release(), ::X509_CRL_free);
    ossl::clear_errors();
    return out;
  }
  ossl::clear_errors();
  return fail(Errc::InvalidArgument, "the CRL of '" + rfc2253_name(issuer) +
                                         "' is not signed by any of the endpoint's trust anchors (trust_anchors_pem)");
}

std::string rfc2253_name(const X509_NAME* name) {
  ossl::Ptr<BIO> bio(::BIO_new(::BIO_s_mem()));
  if (!bio || ::X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long len = ::BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

bool outside_crl_revokes(const OutsideCrl& crl, X509* certificate) {
  X509_REVOKED* entry = nullptr;
  // 1: listed; 2: listed as removeFromCRL (a delta's "no longer on hold"); 0: not listed.
  return ::X509_CRL_get0_by_cert(crl.crl.get(), &entry, certificate) == 1;
}

}  // namespace fleetpki::authority
