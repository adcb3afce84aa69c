#include "pki/chain_verify.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "pki/ossl/error.h"
#include "pki/ossl/ptr.h"

namespace fleetpki::pki {
namespace {

Result<ossl::Ptr<X509>> parse_x509(const CryptoContext& ctx, ByteView der) {
  ossl::Ptr<X509> cert(::X509_new_ex(ctx.libctx(), ctx.propq()));
  if (!cert) return fail(ossl::last_error("X509_new_ex"));
  const unsigned char* p = der.data();
  X509* raw = cert.get();
  if (::d2i_X509(&raw, &p, static_cast<long>(der.size())) == nullptr || p != der.data() + der.size()) {
    return fail(ossl::last_error("d2i_X509", Errc::InvalidArgument, "not a DER X.509 certificate"));
  }
  return cert;
}

}  // namespace

Status verify_chain(const CryptoContext& ctx, ByteView leaf_der, const std::vector<Bytes>& untrusted_der,
                    const std::vector<Bytes>& trusted_der, TimePoint at, bool leaf_must_be_ca) {
  FLEETPKI_TRY(auto leaf, parse_x509(ctx, leaf_der));
  ossl::Ptr<X509_STORE> store(::X509_STORE_new());
  ossl::Ptr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  if (!store || !untrusted) return fail(ossl::last_error("X509_STORE_new"));
  for (const Bytes& der : trusted_der) {
    FLEETPKI_TRY(auto cert, parse_x509(ctx, der));
    if (::X509_STORE_add_cert(store.get(), cert.get()) != 1) return fail(ossl::last_error("X509_STORE_add_cert"));
  }
  for (const Bytes& der : untrusted_der) {
    FLEETPKI_TRY(auto cert, parse_x509(ctx, der));
    if (sk_X509_push(untrusted.get(), cert.get()) == 0) return fail(ossl::last_error("sk_X509_push"));
    cert.release();  // owned by the stack now
  }
  ossl::Ptr<X509_STORE_CTX> vctx(::X509_STORE_CTX_new_ex(ctx.libctx(), ctx.propq()));
  if (!vctx || ::X509_STORE_CTX_init(vctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    return fail(ossl::last_error("X509_STORE_CTX_init"));
  }
  X509_VERIFY_PARAM* param = ::X509_STORE_CTX_get0_param(vctx.get());
  ::X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT | X509_V_FLAG_USE_CHECK_TIME);
  ::X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
  if (::X509_verify_cert(vctx.get()) != 1) {
    const int err = ::X509_STORE_CTX_get_error(vctx.get());
    const int depth = ::X509_STORE_CTX_get_error_depth(vctx.get());
    ::ERR_clear_error();
    return fail(Errc::InvalidArgument, std::string("certificate chain does not verify: ") +
                                           ::X509_verify_cert_error_string(err) + " (depth " +
                                           std::to_string(depth) + ")");
  }
  if (leaf_must_be_ca) {
    if (::X509_check_ca(leaf.get()) == 0 || (::X509_get_key_usage(leaf.get()) & KU_KEY_CERT_SIGN) == 0) {
      return fail(Errc::InvalidArgument, "the certificate is not a CA certificate (cA TRUE with keyCertSign)");
    }
  }
  return ok();
}

Result<std::optional<long>> ca_path_len(const CryptoContext& ctx, ByteView der) {
  FLEETPKI_TRY(auto cert, parse_x509(ctx, der));
  if (::X509_check_ca(cert.get()) == 0) return fail(Errc::InvalidArgument, "not a CA certificate");
  const long len = ::X509_get_pathlen(cert.get());
  return len < 0 ? std::optional<long>() : std::optional<long>(len);
}

bool is_self_signed(const CryptoContext& ctx, ByteView der) {
  auto cert = parse_x509(ctx, der);
  if (!cert) return false;
  const bool self = ::X509_self_signed(cert->get(), /*verify_signature=*/1) == 1;
  ::ERR_clear_error();
  return self;
}

}  // namespace fleetpki::pki
