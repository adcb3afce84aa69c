// Method + path-pattern routing with "{name}" segments; 404/405 problems; handler exceptions → 500.
#include "server/router.h"

#include <algorithm>
#include <exception>
#include <set>
#include <string_view>
#include <utility>

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

/// Matches `path` against `pattern`; on success `literal_mask[i]` tells whether segment i matched a
/// literal (compared lexicographically to prefer the more specific route).
bool match(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
           std::vector<bool>& literal_mask) {
  if (pattern.size() != path.size()) {
    return false;
  }
  literal_mask.assign(pattern.size(), false);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (is_param(pattern[i])) {
      if (path[i].empty()) {
        return false;
      }
    } else {
      if (pattern[i] != path[i]) {
        return false;
      }
      literal_mask[i] = true;
    }
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  Route route;
  for (auto segment : split_path(pattern)) {
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
  std::vector<bool> best_mask;
  std::vector<bool> best_get_mask;
  std::set<std::string> allowed;
  std::vector<bool> mask;
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
    if (is_param(segment)) {
      request.path_params[segment.substr(1, segment.size() - 2)] = std::string(path[i]);
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
