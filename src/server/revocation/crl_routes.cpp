// GET /crl/{tenant}/{file}: complete and delta CRLs with caching headers.
#include "server/revocation/crl_routes.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "authority/crl_partition.h"
#include "server/api_v1/request_helpers.h"
#include "server/http_caching.h"
#include "server/problem_json.h"

namespace fleetpki::server::revocation {
namespace {

Response crl(const authority::CrlPublisher& publisher, const Clock& clock, Request& request) {
  auto file = authority::parse_crl_file_name(request.path_params["file"]);
  if (!file) {
    return problem(404, "no CRL at this path", request.request_id);
  }
  auto found =
      publisher.find(request.path_params["tenant"], file->ca, file->partition, file->delta);
  if (!found) {
    return api_v1::error_response(found.error(), request);
  }
  const authority::PublishedCrl& crl = **found;

  const auto cap =
      file->delta ? publisher.policy().delta_max_age : publisher.policy().complete_max_age;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(crl.next_update - clock.now());
  const auto max_age = std::clamp(left, std::chrono::seconds(0), cap);

  Response r;
  r.headers.emplace_back("Last-Modified", http_date(crl.this_update));
  r.headers.emplace_back("Expires", http_date(crl.next_update));
  r.headers.emplace_back("ETag", crl.etag);
  r.headers.emplace_back("Cache-Control",
                         "public, max-age=" + std::to_string(max_age.count()) + ", no-transform");
  if (auto condition = request.header("if-none-match");
      condition && etag_matches(*condition, crl.etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = "application/pkix-crl";
  r.body.assign(crl.der.begin(), crl.der.end());
  return r;
}

}  // namespace

void register_crl_routes(Router& http, const authority::CrlPublisher& publisher,
                         const Clock& clock) {
  http.add("GET", "/crl/{tenant}/{file}",
           [&publisher, &clock](Request& request) { return crl(publisher, clock, request); });
}

}  // namespace fleetpki::server::revocation
