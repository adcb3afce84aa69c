// EST routes: RFC 7030 §3.2.2 paths, RFC 8951 bodies, the service's errors as EST statuses.
#include "server/est/est_routes.h"

#include <string>
#include <string_view>
#include <utility>

#include "authority/enrollment_endpoint.h"
#include "authority/est_enrollment.h"
#include "common/log.h"
#include "pki/pkcs7_certs_only.h"
#include "server/est/est_codec.h"
#include "server/est/est_multipart.h"
#include "server/est/est_reply.h"

namespace fleetpki::server::est {
namespace {

constexpr std::string_view kCertsOnly = "application/pkcs7-mime; smime-type=certs-only";
constexpr std::string_view kCsrAttrs = "application/csrattrs";
constexpr std::string_view kPkcs10 = "application/pkcs10";

enum class Operation { CaCerts, CsrAttrs, SimpleEnroll, SimpleReenroll, ServerKeygen };

struct OperationRoute {
  Operation operation;
  const char* method;
  const char* name;
};

// RFC 7030 §3.2.2 operation path segments (fullcmc is not offered: the router answers 404).
constexpr OperationRoute kOperations[] = {
    {Operation::CaCerts, "GET", "cacerts"},
    {Operation::CsrAttrs, "GET", "csrattrs"},
    {Operation::SimpleEnroll, "POST", "simpleenroll"},
    {Operation::SimpleReenroll, "POST", "simplereenroll"},
    {Operation::ServerKeygen, "POST", "serverkeygen"},
};

std::string_view label_of(const Request& request) {
  auto it = request.path_params.find("label");
  return it == request.path_params.end() ? std::string_view{} : std::string_view(it->second);
}

/// Logs what the client is not told: the error detail of server failures.
Response refuse(const Error& error, const Request& request, std::string_view operation) {
  Response r = est_error(error, request);
  if (r.status >= 500) {
    log::error("EST " + std::string(operation) + " request " + request.request_id + ": " +
               error.message + (error.detail.empty() ? "" : " (" + error.detail + ")"));
  } else if (log::enabled(log::Level::Debug)) {
    log::debug("EST " + std::string(operation) + " request " + request.request_id + ": " +
               std::to_string(r.status) + " " + error.message);
  }
  return r;
}

/// What the transport knows about the caller (the service verifies all of it).
Result<authority::EstClient> est_client(const Request& request) {
  authority::EstClient client;
  client.certificate_chain = request.client_cert_chain_der;
  client.tls_version = request.tls_version;
  client.channel_binding = request.channel_binding;
  if (auto authorization = request.header("authorization")) {
    auto basic = parse_basic_authorization(*authorization);
    if (!basic) {
      // RFC 7030 §3.2.3: bad credentials are an authentication failure (401 + challenge).
      return fail(Errc::Unauthenticated, basic.error().message);
    }
    if (*basic) {
      client.basic_user = std::move((*basic)->user);
      client.basic_password = std::move((*basic)->password);
    }
  }
  return client;
}

/// RFC 7030 §4.1: the CA certificates, base64 certs-only PKCS#7. Anonymous (the bootstrap step).
Response cacerts(authority::Authority& authority, const Request& request) {
  auto p7 = authority.est().cacerts(label_of(request));
  if (!p7) {
    return refuse(p7.error(), request, "cacerts");
  }
  return est_base64(kCertsOnly, *p7);
}

/// RFC 7030 §4.5 (RFC 8951 §3.4 ASN.1): what the endpoint wants in a CSR.
Response csrattrs(authority::Authority& authority, const Request& request) {
  auto attrs = authority.est().csrattrs(label_of(request));
  if (!attrs) {
    return refuse(attrs.error(), request, "csrattrs");
  }
  return est_base64(kCsrAttrs, *attrs);
}

/// RFC 7030 §4.2 and §4.4: simpleenroll, simplereenroll, serverkeygen.
Response enroll(authority::Authority& authority, Operation operation, const char* name,
                const Request& request) {
  // Checked before the service is called: nothing about the caller is looked at for a request
  // that cannot be read.
  if (!is_media_type(request.header("content-type"), kPkcs10)) {
    return refuse(make_error(Errc::InvalidArgument,
                             "Content-Type must be application/pkcs10 (RFC 7030 §4.2.1)"),
                  request, name);
  }
  auto csr_der = decode_base64_body(request.body);
  if (!csr_der) {
    return refuse(csr_der.error(), request, name);
  }
  if (operation == Operation::ServerKeygen && !request.tls) {
    // RFC 7030 §4.4.2: an unencrypted private key travels only inside TLS.
    return refuse(make_error(Errc::PermissionDenied, "serverkeygen is only offered over TLS"),
                  request, name);
  }
  auto client = est_client(request);
  if (!client) {
    return refuse(client.error(), request, name);
  }
  const authority::CallContext call{request.request_id, {}};
  const std::string_view label = label_of(request);
  auto& service = authority.est();
  Result<authority::EstResult> result = operation == Operation::SimpleEnroll
                                            ? service.simpleenroll(label, *client, *csr_der, call)
                                        : operation == Operation::SimpleReenroll
                                            ? service.simplereenroll(label, *client, *csr_der, call)
                                            : service.serverkeygen(label, *client, *csr_der, call);
  if (!result) {
    return refuse(result.error(), request, name);
  }
  if (result->pending) {
    return est_pending(result->retry_after_seconds);
  }
  if (result->certificate_der.empty()) {
    return refuse(
        make_error(Errc::Internal, "internal error", "EST service returned no certificate"),
        request, name);
  }
  // RFC 7030 §4.2.3: the certs-only response holds only the issued certificate.
  const Bytes p7 = pki::encode_certs_only({result->certificate_der});
  if (operation != Operation::ServerKeygen) {
    return est_base64(kCertsOnly, p7);
  }
  if (result->private_key_pkcs8.empty()) {
    return refuse(
        make_error(Errc::Internal, "internal error", "EST service returned no private key"),
        request, name);
  }
  auto multipart = encode_serverkeygen_response(result->private_key_pkcs8, p7);
  result->private_key_pkcs8.wipe();
  if (!multipart) {
    return refuse(multipart.error(), request, name);
  }
  Response r;
  r.content_type = std::move(multipart->content_type);
  r.body = std::move(multipart->body);
  return r;
}

Response handle(authority::Authority& authority, const OperationRoute& route, Request& request) {
  const std::string_view label = label_of(request);
  if (request.path_params.count("label") != 0 && !authority::is_valid_enrollment_label(label)) {
    // RFC 7030 §3.2.2: an unknown CA label is 404 (an operation name is never a label).
    return refuse(make_error(Errc::NotFound, "unknown EST label"), request, route.name);
  }
  switch (route.operation) {
    case Operation::CaCerts:
      return cacerts(authority, request);
    case Operation::CsrAttrs:
      return csrattrs(authority, request);
    case Operation::SimpleEnroll:
    case Operation::SimpleReenroll:
    case Operation::ServerKeygen:
      return enroll(authority, route.operation, route.name, request);
  }
  return refuse(make_error(Errc::Internal, "internal error"), request, route.name);
}

}  // namespace

void register_routes(Router& https, authority::Authority& authority) {
  for (const auto& route : kOperations) {
    auto handler = [&authority, &route](Request& r) { return handle(authority, route, r); };
    https.add(route.method, std::string("/.well-known/est/") + route.name, handler);
    https.add(route.method, std::string("/.well-known/est/{label}/") + route.name, handler);
  }
}

}  // namespace fleetpki::server::est
