// REST v1 routes for the audit log: a tenant's events (list and JSON-lines export), the platform
// log and its signed checkpoints (platform admins only).
#include <charconv>

#include "authority/audit_log.h"
#include "common/time_format.h"
#include "server/api_v1/handlers.h"
#include "server/api_v1/request_helpers.h"

namespace fleetpki::server::api_v1 {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxFilterLength = 256;

Result<std::string> filter_text(const std::string& key, const std::string& value) {
  if (value.empty() || value.size() > kMaxFilterLength) {
    return fail(Errc::InvalidArgument, key + " must be 1.." + std::to_string(kMaxFilterLength) + " characters");
  }
  return value;
}

/// The listing query: filters, limit and cursor. `tenant` (platform listing only) goes to *tenant.
Result<store::AuditFilter> parse_filter(const Request& request, int default_limit,
                                        std::optional<std::string>* tenant = nullptr) {
  store::AuditFilter filter;
  filter.limit = default_limit;
  for (const auto& [key, value] : request.query) {
    if (key == "action") {
      FLEETPKI_TRY(filter.action, filter_text(key, value));
    } else if (key == "object") {
      FLEETPKI_TRY(filter.object, filter_text(key, value));
    } else if (key == "actor") {
      FLEETPKI_TRY(filter.actor, filter_text(key, value));
    } else if (key == "since" || key == "until") {
      auto t = parse_timestamp(value);
      if (!t) return fail(Errc::InvalidArgument, key + " must be an RFC 3339 time or Unix seconds");
      (key == "since" ? filter.since : filter.until) = *t;
    } else if (key == "limit") {
      FLEETPKI_TRY(filter.limit, parse_limit(value));
    } else if (key == "cursor") {
      FLEETPKI_TRY(filter.after_id, decode_cursor(value));
    } else if (key == "tenant" && tenant) {
      FLEETPKI_TRY(*tenant, filter_text(key, value));
    } else {
      return fail(Errc::InvalidArgument, "unknown query parameter '" + key + "'");
    }
  }
  return filter;
}

Result<json> page_json(authority::AuditLog& audit, const store::AuditPage& page) {
  json items = json::array();
  for (const auto& event : page.items) {
    FLEETPKI_TRY(json item, audit.event_json(event));
    items.push_back(std::move(item));
  }
  json next = page.next_after_id ? json(encode_cursor(*page.next_after_id)) : json(nullptr);
  return json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

Response list_tenant(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto filter, parse_filter(request, 100));
    FLEETPKI_TRY(auto page, authority.audit().list(who, request.path_params["tenant"], filter));
    return page_json(authority.audit(), page);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, *result);
}

/// One page of JSON lines (default and maximum 1000 events); X-Next-Cursor names the next page.
Response export_tenant(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<Response> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto filter, parse_filter(request, 1000));
    FLEETPKI_TRY(auto page, authority.audit().list(who, request.path_params["tenant"], filter));
    Response r;
    r.content_type = "application/x-ndjson";
    for (const auto& event : page.items) {
      FLEETPKI_TRY(json line, authority.audit().event_json(event));
      r.body += line.dump();
      r.body += '\n';
    }
    if (page.next_after_id) r.headers.emplace_back("X-Next-Cursor", encode_cursor(*page.next_after_id));
    return r;
  }();
  if (!result) return error_response(result.error(), request);
  return *result;
}

Response list_platform(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    std::optional<std::string> tenant;
    FLEETPKI_TRY(auto filter, parse_filter(request, 100, &tenant));
    FLEETPKI_TRY(auto page, authority.audit().list_platform(who, tenant, filter));
    return page_json(authority.audit(), page);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, *result);
}

Response list_checkpoints(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    int limit = 100;
    std::int64_t after = 0;
    for (const auto& [key, value] : request.query) {
      if (key == "limit") {
        FLEETPKI_TRY(limit, parse_limit(value));
      } else if (key == "cursor") {
        FLEETPKI_TRY(after, decode_cursor(value));
      } else {
        return fail(Errc::InvalidArgument, "unknown query parameter '" + key + "'");
      }
    }
    // One more than asked tells whether another page follows.
    FLEETPKI_TRY(auto checkpoints, authority.audit().checkpoints(who, after, limit + 1));
    json next = nullptr;
    if (checkpoints.size() > static_cast<std::size_t>(limit)) {
      checkpoints.resize(static_cast<std::size_t>(limit));
      next = encode_cursor(checkpoints.back().id);
    }
    json items = json::array();
    for (const auto& cp : checkpoints) items.push_back(authority::AuditLog::checkpoint_json(cp));
    return json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, *result);
}

}  // namespace

void register_audit_routes(Router& https, authority::Authority& authority) {
  const std::string tenant_base = "/api/v1/tenants/{tenant}/audit";
  https.add("GET", tenant_base, [&authority](Request& r) { return list_tenant(authority, r); });
  https.add("GET", tenant_base + "/export", [&authority](Request& r) { return export_tenant(authority, r); });
  https.add("GET", "/api/v1/audit", [&authority](Request& r) { return list_platform(authority, r); });
  https.add("GET", "/api/v1/audit/checkpoints", [&authority](Request& r) { return list_checkpoints(authority, r); });
}

}  // namespace fleetpki::server::api_v1
