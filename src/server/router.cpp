// Method + path-pattern routing with "{name}" and trailing "{name*}" segments; 404/405 problems;
// handler exceptions → 500.
#include "server/router.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <set>
#include <string_view>
#include <utility>

#include "common/check.h"
#include "common/log.h"
#include "server/problem_json.h"

namespace fleetpki::server {
namespace {

/// "/a/{b}/c" → {"a", "{b}", "c"}; "/" → {""}; "/a/" → {"a", ""} (so a trailing slash never
/// matches a pattern without one). Requires a leading '/'; anything else yields no segments.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') {
    return segments;
  }
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool is_param(std::string_view segment) {
  return segment.size() >= 3 && segment.front() == '{' && segment.back() == '}';
}

/// "{name*}": the rest of the path, one or more segments (the last segment of a pattern only).
bool is_tail_param(std::string_view segment) {
  return segment.size() >= 4 && is_param(segment) && segment[segment.size() - 2] == '*';
}

/// "name" of "{name}" or "{name*}".
std::string param_name(std::string_view segment) {
  return std::string(segment.substr(1, segment.size() - (is_tail_param(segment) ? 3 : 2)));
}

/// How specifically a pattern segment matched: literal > "{name}" > "{name*}".
enum Specificity : std::uint8_t { kTail = 0, kParam = 1, kLiteral = 2 };

/// The text a tail parameter matched: segments i.. of the path joined by '/' (the path as sent).
std::string_view tail_text(const std::vector<std::string_view>& path, std::size_t i) {
  const std::string_view& last = path.back();
  return {path[i].data(), static_cast<std::size_t>(last.data() + last.size() - path[i].data())};
}

/// Specificity of each pattern segment, fixed when the route is added.
std::vector<std::uint8_t> specificity_of(const std::vector<std::string>& pattern) {
  std::vector<std::uint8_t> out;
  out.reserve(pattern.size());
  for (const auto& segment : pattern) {
    out.push_back(is_tail_param(segment) ? kTail : is_param(segment) ? kParam : kLiteral);
  }
  return out;
}

/// True when `path` matches `pattern` (whose segment kinds are `kinds`).
bool match(const std::vector<std::string>& pattern, const std::vector<std::uint8_t>& kinds,
           const std::vector<std::string_view>& path) {
  const bool tail = !kinds.empty() && kinds.back() == kTail;
  if (tail ? path.size() < pattern.size() : pattern.size() != path.size()) {
    return false;
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    switch (kinds[i]) {
      case kTail:
        if (tail_text(path, i).empty()) {
          return false;
        }
        break;
      case kParam:
        if (path[i].empty()) {
          return false;
        }
        break;
      default:
        if (pattern[i] != path[i]) {
          return false;
        }
    }
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  Route route;
  for (auto segment : split_path(pattern)) {
    FLEETPKI_CHECK(route.segments.empty() || !is_tail_param(route.segments.back()),
                   "a {name*} parameter must be the last segment of a route pattern");
    route.segments.emplace_back(segment);
  }
  route.specificity = specificity_of(route.segments);
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

Response Router::dispatch(Request& request) const {
  const auto path = split_path(request.path);
  // HEAD is served by the GET handler unless a HEAD route exists (the session drops the body).
  const bool head = request.method == "HEAD";

  // Literal segments beat "{name}", which beats "{name*}", position by position (lexicographic
  // comparison of the specificities): "/certs/search" before "/certs/{id}".
  const Route* best = nullptr;
  const Route* best_get = nullptr;
  for (const auto& route : routes_) {
    if (path.empty() || !match(route.segments, route.specificity, path)) {
      continue;
    }
    if (route.method == request.method && (best == nullptr || route.specificity > best->specificity)) {
      best = &route;
    }
    if (head && route.method == "GET" && (best_get == nullptr || route.specificity > best_get->specificity)) {
      best_get = &route;
    }
  }
  if (best == nullptr && best_get != nullptr) {
    best = best_get;
  }

  if (best == nullptr) {
    std::set<std::string> allowed;  // the methods of the routes matching the path
    for (const auto& route : routes_) {
      if (!path.empty() && match(route.segments, route.specificity, path)) {
        allowed.insert(route.method);
      }
    }
    if (allowed.empty()) {
      return problem(404, "no resource at this path", request.request_id);
    }
    if (allowed.count("GET") != 0) {
      allowed.insert("HEAD");
    }
    std::string allow;
    for (const auto& m : allowed) {
      if (!allow.empty()) {
        allow += ", ";
      }
      allow += m;
    }
    Response response = problem(405, "method " + request.method + " not allowed here", request.request_id);
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
  }

  request.path_params.clear();
  for (std::size_t i = 0; i < best->segments.size(); ++i) {
    const auto& segment = best->segments[i];
    if (best->specificity[i] == kTail) {
      request.path_params[param_name(segment)] = std::string(tail_text(path, i));
    } else if (best->specificity[i] == kParam) {
      request.path_params[param_name(segment)] = std::string(path[i]);
    }
  }

  try {
    return best->handler(request);
  } catch (const std::exception& e) {
    log::error("request " + request.request_id + ": handler for " + best->method + " " +
               best->pattern + " threw: " + e.what());
  } catch (...) {
    log::error("request " + request.request_id + ": handler for " + best->method + " " +
               best->pattern + " threw a non-standard exception");
  }
  return problem(500, "internal error", request.request_id);
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& route : routes_) {
    out.push_back(RouteInfo{route.method, route.pattern});
  }
  return out;
}

void Router::decorate(const std::function<bool(const RouteInfo&)>& select,
                      const std::function<Handler(Handler)>& decorate) {
  for (auto& route : routes_) {
    if (select(RouteInfo{route.method, route.pattern})) route.handler = decorate(std::move(route.handler));
  }
}

}  // namespace fleetpki::server
