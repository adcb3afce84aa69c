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

/// Matches `path` against `pattern`; on success `mask[i]` tells how specifically segment i
/// matched (compared lexicographically to prefer the more specific route).
bool match(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
           std::vector<std::uint8_t>& mask) {
  const bool tail = !pattern.empty() && is_tail_param(pattern.back());
  if (tail ? path.size() < pattern.size() : pattern.size() != path.size()) {
    return false;
  }
  mask.assign(pattern.size(), kParam);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (tail && i + 1 == pattern.size()) {
      if (tail_text(path, i).empty()) {
        return false;
      }
      mask[i] = kTail;
    } else if (is_param(pattern[i])) {
      if (path[i].empty()) {
        return false;
      }
    } else {
      if (pattern[i] != path[i]) {
        return false;
      }
      mask[i] = kLiteral;
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
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

Response Router::dispatch(Request& request) const {
  const auto path = split_path(request.path);
  // HEAD is served by the GET handler unless a HEAD route exists (the session drops the body).
  const bool head = request.method == "HEAD";

  const Route* best = nullptr;
  const Route* best_get = nullptr;
  std::vector<std::uint8_t> best_mask;
  std::vector<std::uint8_t> best_get_mask;
  std::set<std::string> allowed;
  std::vector<std::uint8_t> mask;
  for (const auto& route : routes_) {
    if (path.empty() || !match(route.segments, path, mask)) {
      continue;
    }
    allowed.insert(route.method);
    // Literal segments beat parameters, position by position: "/certs/search" before "/certs/{id}".
    if (route.method == request.method && (best == nullptr || mask > best_mask)) {
      best = &route;
      best_mask = mask;
    }
    if (head && route.method == "GET" && (best_get == nullptr || mask > best_get_mask)) {
      best_get = &route;
      best_get_mask = mask;
    }
  }
  if (best == nullptr && best_get != nullptr) {
    best = best_get;
  }

  if (best == nullptr) {
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
    if (is_tail_param(segment)) {
      request.path_params[param_name(segment)] = std::string(tail_text(path, i));
    } else if (is_param(segment)) {
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

}  // namespace fleetpki::server
