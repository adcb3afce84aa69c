// Method + path-pattern routing: "/api/v1/tenants/{tenant}/certificates/{serial}" and trailing
// catch-all parameters: "/ocsp/{request*}".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "server/http_message.h"

namespace fleetpki::server {

using Handler = std::function<Response(Request&)>;

struct RouteInfo {
  std::string method;
  std::string pattern;
};

class Router final {
 public:
  /// Registers a handler. A "{name}" segment matches one non-empty path segment and is stored in
  /// Request::path_params[name]. A last segment "{name*}" matches the non-empty rest of the path,
  /// one or more segments, stored with their '/' separators (e.g. base64 in a URL, where a
  /// percent-encoded '/' has already been decoded). A literal segment beats "{name}", which beats
  /// "{name*}", position by position.
  void add(std::string method, std::string pattern, Handler handler);

  /// Calls the matching handler. No path match → 404 problem; path matches but not the method →
  /// 405 problem with an Allow header. Exceptions from handlers become 500 problems.
  Response dispatch(Request& request) const;

  std::vector<RouteInfo> routes() const;

  /// Replaces the handler of each route registered so far that `select` picks with
  /// `decorate(handler)`: cross-cutting behaviour such as idempotency keys.
  void decorate(const std::function<bool(const RouteInfo&)>& select,
                const std::function<Handler(Handler)>& decorate);

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    std::vector<std::uint8_t> specificity;  // per segment: 2 literal, 1 "{name}", 0 "{name*}"
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace fleetpki::server
