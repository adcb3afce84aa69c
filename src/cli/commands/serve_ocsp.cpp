// The OCSP service of `serve`: the responder (delegated responders, pre-signed cache, status
// change follower), POST/GET /ocsp and GET /metrics on the plain-HTTP router.
#include <cstdlib>
#include <string_view>

#include "authority/ocsp_responder.h"
#include "cli/commands/serve_services.h"
#include "server/revocation/metrics_routes.h"
#include "server/revocation/ocsp_routes.h"

namespace fleetpki::cli {
namespace {

/// FLEETPKI_OCSP_NEVER_ISSUED=unknown answers "unknown" for serials no CA issued; the default,
/// "revoked", answers revoked with the extended-revoke extension (RFC 6960 §2.2).
Result<authority::OcspPolicy> policy_from_environment() {
  authority::OcspPolicy policy;
  if (const char* value = std::getenv("FLEETPKI_OCSP_NEVER_ISSUED"); value != nullptr && *value != '\0') {
    const std::string_view v(value);
    if (v == "unknown") {
      policy.never_issued = authority::NeverIssuedAnswer::Unknown;
    } else if (v != "revoked") {
      return fail(Errc::InvalidArgument, "FLEETPKI_OCSP_NEVER_ISSUED must be 'revoked' or 'unknown'");
    }
  }
  return policy;
}

}  // namespace

Result<ServiceHandle> start_ocsp_service(Runtime& runtime, server::Router& http) {
  FLEETPKI_TRY(auto policy, policy_from_environment());
  auto responder = std::make_shared<authority::OcspResponder>(*runtime.authority, *runtime.store, *runtime.vault,
                                                              runtime.crypto, runtime.clock, policy);
  // Fails when a CA's responder certificate can be neither loaded nor issued: better not to serve
  // than to answer tryLater for that CA forever.
  auto started = responder->start();
  if (!started) return fail(std::move(started.error()).with_context("starting the OCSP responder"));
  server::revocation::register_ocsp_routes(http, *responder);
  // FLEETPKI_METRICS_PUBLIC=1 lets non-loopback clients scrape /metrics (tenant names and counts).
  const char* metrics_public = std::getenv("FLEETPKI_METRICS_PUBLIC");
  server::revocation::MetricsSources metrics{*runtime.authority, *runtime.store, responder.get()};
  metrics.allow_remote = metrics_public != nullptr && std::string_view(metrics_public) == "1";
  server::revocation::register_metrics_routes(http, metrics);
  return ServiceHandle(responder);  // destroying the handle stops the follower thread
}

}  // namespace fleetpki::cli
