#include "server/est/est_routes.h"

#include "authority/default_profiles.h"
#include "pki/pem.h"
#include "pki/pkcs7_certs_only.h"
#include "server/problem_json.h"

namespace fleetpki::server::est {
namespace {

constexpr const char* kDefaultTenant = "default";

/// RFC 7030 §4.1: the CA certificates a client should trust, as a certs-only PKCS#7, base64 (RFC
/// 8951 §3.1: no Content-Transfer-Encoding needed). Anonymous: it is the bootstrap step.
Response cacerts(authority::Authority& authority, const Request& request) {
  auto chain = authority.ca_chain_pem(kDefaultTenant, authority::kIssuingCa);
  if (!chain) return problem(chain.error(), request.request_id);
  auto certs = pki::pem_decode_all(*chain, "CERTIFICATE");
  if (!certs) return problem(certs.error(), request.request_id);
  Response r;
  r.content_type = "application/pkcs7-mime; smime-type=certs-only";
  r.body = pki::base64_lines(pki::encode_certs_only(*certs));
  return r;
}

}  // namespace

void register_routes(Router& https, authority::Authority& authority) {
  https.add("GET", "/.well-known/est/cacerts", [&authority](Request& r) { return cacerts(authority, r); });
}

}  // namespace fleetpki::server::est
