// The server's TLS context: TLS 1.2/1.3, ECDHE AEAD suites, chain + key from the caller.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <memory>

#include "pki/ossl/ptr.h"
#include "pki/ossl/error.h"
#include "server/http_server.h"

namespace fleetpki::server {
namespace {

using SslCtxPtr = pki::ossl::Ptr<SSL_CTX>;
using BioPtr = pki::ossl::Ptr<BIO>;
using X509Ptr = pki::ossl::Ptr<X509>;

// TLS 1.2 suites: forward secrecy and AEAD only (ECDSA or RSA server keys). TLS 1.3 keeps
// OpenSSL's default suites, which are all AEAD.
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL";
constexpr const char* kGroups = "X25519:P-256:P-384";
// Any constant works; OpenSSL refuses session resumption with SSL_VERIFY_PEER without one.
constexpr std::array<unsigned char, 12> kSessionIdContext = {'f', 'l', 'e', 'e', 't', 'p',
                                                              'k', 'i', '-', 't', 'l', 's'};

/// Client certificates are requested (SSL_VERIFY_PEER) and every one is accepted here, whatever
/// OpenSSL's own chain check says: the TLS layer has no trust store for devices. The application
/// validates the presented chain later (per tenant, against its CAs and revocation status), using
/// SSL_get0_peer_certificate / SSL_get0_verified_chain (or SSL_get_peer_cert_chain). A
/// connection without a client certificate is also accepted (SSL_VERIFY_FAIL_IF_NO_PEER_CERT unset).
///
/// A connection with a client certificate gets no TLS 1.3 session tickets: OpenSSL 3.0 builds each
/// ticket by encoding and decoding the session, which decodes the client's certificate again (18%
/// of the server's CPU per EST enrollment, bench/est_enroll.sh), and devices enrolling once never
/// resume. Clients without a certificate keep resumption.
int accept_any_client_certificate(int /*preverify_ok*/, X509_STORE_CTX* store_ctx) {
  auto* ssl = static_cast<SSL*>(::X509_STORE_CTX_get_ex_data(store_ctx, ::SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl != nullptr) ::SSL_set_num_tickets(ssl, 0);
  return 1;
}

}  // namespace

Result<std::shared_ptr<SSL_CTX>> make_server_tls_context(const std::string& chain_pem,
                                                         EVP_PKEY* private_key) {
  if (private_key == nullptr) {
    return fail(Errc::InvalidArgument, "TLS private key missing");
  }
  ::ERR_clear_error();
  SslCtxPtr ctx(::SSL_CTX_new_ex(nullptr, nullptr, ::TLS_server_method()));
  if (!ctx) {
    return fail(pki::ossl::last_error("SSL_CTX_new_ex", Errc::Internal, "cannot create TLS context"));
  }
  if (::SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1 ||
      ::SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) != 1) {
    return fail(pki::ossl::last_error("SSL_CTX_set_{min,max}_proto_version", Errc::Internal,
                                      "cannot restrict TLS versions"));
  }
  if (::SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1) {
    return fail(pki::ossl::last_error("SSL_CTX_set_cipher_list", Errc::Internal,
                                      "cannot set TLS 1.2 cipher suites"));
  }
  if (::SSL_CTX_set1_groups_list(ctx.get(), kGroups) != 1) {
    return fail(pki::ossl::last_error("SSL_CTX_set1_groups_list", Errc::Internal,
                                      "cannot set TLS key exchange groups"));
  }
  // SSL_CTX_set_options returns the new option mask; it cannot fail.
  ::SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                       SSL_OP_NO_COMPRESSION);
  // SSL_CTX_set_mode returns the new mode mask; it cannot fail.
  ::SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);

  // The chain: the first PEM certificate is the leaf, the rest are sent as intermediates (but a
  // self-signed root).
  BioPtr bio(::BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
  if (!bio) {
    return fail(pki::ossl::last_error("BIO_new_mem_buf", Errc::Internal, "out of memory"));
  }
  int count = 0;
  for (;;) {
    X509Ptr cert(::PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      const unsigned long last = ::ERR_peek_last_error();
      if (count > 0 && ERR_GET_LIB(last) == ERR_LIB_PEM &&
          ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
        ::ERR_clear_error();  // the normal end of the PEM stream
        break;
      }
      return fail(pki::ossl::last_error("PEM_read_bio_X509", Errc::InvalidArgument,
                                        "TLS certificate chain is not valid PEM"));
    }
    // A self-signed root after the leaf is not sent (RFC 8446 §4.4.2 allows leaving it out): the
    // client must already trust it, and decoding it costs every client (a device) time and bytes.
    if (count > 0 && ::X509_check_issued(cert.get(), cert.get()) == X509_V_OK) {
      ++count;
      continue;
    }
    const int ok = count == 0 ? ::SSL_CTX_use_certificate(ctx.get(), cert.get())
                              : static_cast<int>(::SSL_CTX_add1_chain_cert(ctx.get(), cert.get()));
    if (ok != 1) {
      return fail(pki::ossl::last_error(count == 0 ? "SSL_CTX_use_certificate"
                                                   : "SSL_CTX_add1_chain_cert",
                                        Errc::InvalidArgument, "TLS certificate rejected"));
    }
    ++count;
  }

  if (::SSL_CTX_use_PrivateKey(ctx.get(), private_key) != 1) {
    return fail(pki::ossl::last_error("SSL_CTX_use_PrivateKey", Errc::InvalidArgument,
                                      "TLS private key rejected"));
  }
  if (::SSL_CTX_check_private_key(ctx.get()) != 1) {
    return fail(pki::ossl::last_error("SSL_CTX_check_private_key", Errc::InvalidArgument,
                                      "TLS private key does not match the certificate"));
  }

  if (::SSL_CTX_set_session_id_context(ctx.get(), kSessionIdContext.data(),
                                       static_cast<unsigned int>(kSessionIdContext.size())) != 1) {
    return fail(pki::ossl::last_error("SSL_CTX_set_session_id_context", Errc::Internal,
                                      "cannot set TLS session id context"));
  }
  // Session tickets stay enabled (OpenSSL's default; keys rotate with the process), except for
  // connections with a client certificate (see accept_any_client_certificate).
  ::SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, accept_any_client_certificate);

  return std::shared_ptr<SSL_CTX>(ctx.release(), ::SSL_CTX_free);
}

}  // namespace fleetpki::server
