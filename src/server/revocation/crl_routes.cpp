// GET /crl/{tenant}/{file}: complete and delta CRLs with caching headers.
#include "server/revocation/crl_routes.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "authority/crl_partition.h"
#include "server/api_v1/request_helpers.h"
#include "server/problem_json.h"

namespace fleetpki::server::revocation {
namespace {

/// RFC 9110 §5.6.7 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (not locale-dependent).
std::string http_date(TimePoint t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = static_cast<std::time_t>(to_unix(t));
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// RFC 9110 §13.1.2: If-None-Match uses the weak comparison ("W/" ignored); "*" matches any.
bool none_match_fails(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view tag = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (tag == "*") {
      return true;
    }
    if (tag.substr(0, 2) == "W/") {
      tag.remove_prefix(2);
    }
    if (tag == etag) {
      return true;
    }
  }
  return false;
}

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
      condition && none_match_fails(*condition, crl.etag)) {
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
