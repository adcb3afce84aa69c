// `serve`: the CRL publisher (background thread) and the /crl/… routes on the plain-HTTP router.
#include <charconv>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "authority/crl_publisher.h"
#include "cli/commands/serve_services.h"
#include "server/revocation/crl_routes.h"

namespace fleetpki::cli {
namespace {

/// The publishing policy: defaults, overridden by FLEETPKI_CRL_POLICY, a comma-separated list of
/// key=value (seconds unless the key says _ms; max_delta_entries is a count), e.g.
/// "complete_validity=172800,complete_reissue_after=86400". docs/operations.md lists the keys.
Result<authority::CrlPolicy> policy_from_environment() {
  authority::CrlPolicy policy;
  const char* env = std::getenv("FLEETPKI_CRL_POLICY");
  std::string_view text = env != nullptr ? env : "";
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    long long number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || number < 0) {
      return fail(Errc::InvalidArgument, "FLEETPKI_CRL_POLICY: '" + std::string(item) +
                                             "' is not key=<non-negative integer>");
    }
    const std::chrono::seconds seconds(number);
    if (key == "complete_validity") {
      policy.complete_validity = seconds;
    } else if (key == "complete_reissue_after") {
      policy.complete_reissue_after = seconds;
    } else if (key == "delta_validity") {
      policy.delta_validity = seconds;
    } else if (key == "delta_reissue_after") {
      policy.delta_reissue_after = seconds;
    } else if (key == "complete_max_age") {
      policy.complete_max_age = seconds;
    } else if (key == "delta_max_age") {
      policy.delta_max_age = seconds;
    } else if (key == "max_delta_entries") {
      policy.max_delta_entries = static_cast<std::size_t>(number);
    } else if (key == "debounce_ms") {
      policy.debounce = std::chrono::milliseconds(number);
    } else if (key == "poll_interval_ms") {
      policy.poll_interval = std::chrono::milliseconds(number);
    } else {
      return fail(Errc::InvalidArgument,
                  "FLEETPKI_CRL_POLICY: unknown key '" + std::string(key) + "'");
    }
  }
  FLEETPKI_RETURN_IF_ERROR(policy.validate());
  return policy;
}

}  // namespace

Result<ServiceHandle> start_crl_service(Runtime& runtime, server::Router& http) {
  FLEETPKI_TRY(authority::CrlPolicy policy, policy_from_environment());
  auto publisher = std::make_shared<authority::CrlPublisher>(*runtime.authority, *runtime.store,
                                                             runtime.clock, policy);
  // The first pass runs here, before the listeners serve: every CA has its CRLs (reused from the
  // store while fresh) when "listening" is printed.
  FLEETPKI_RETURN_IF_ERROR(publisher->start());
  server::revocation::register_crl_routes(http, *publisher, runtime.clock);
  // Destroying the handle stops and joins the publisher's thread.
  return ServiceHandle(std::move(publisher));
}

}  // namespace fleetpki::cli
