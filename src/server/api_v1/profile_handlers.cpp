// REST v1 routes for certificate profiles: /api/v1/tenants/{tenant}/profiles… and the built-in
// templates at /api/v1/profile-templates.
#include <charconv>

#include "authority/profile_catalog.h"
#include "common/time_format.h"
#include "server/api_v1/handlers.h"
#include "server/api_v1/request_helpers.h"

namespace fleetpki::server::api_v1 {
namespace {

using nlohmann::json;

Result<int> positive_int(const std::string& text, const char* what, int max) {
  int v = 0;
  if (text.empty() || text.size() > 9 ||
      std::from_chars(text.data(), text.data() + text.size(), v).ptr != text.data() + text.size() || v < 1 || v > max) {
    return fail(Errc::InvalidArgument, std::string(what) + " must be an integer 1.." + std::to_string(max));
  }
  return v;
}

json definition_of(const store::ProfileRecord& rec) {
  json d = json::parse(rec.definition_json, nullptr, false);
  if (d.is_object()) d["version"] = rec.version;
  return d;
}

json version_json(const store::ProfileRecord& rec) {
  return {{"name", rec.name},
          {"version", rec.version},
          {"retired", rec.retired},
          {"created_at", format_rfc3339(rec.created_at)},
          {"definition", definition_of(rec)}};
}

json summary_json(const authority::ProfileSummary& s) {
  json versions = json::array();
  const store::ProfileRecord* shown = &s.versions.back();
  for (const auto& v : s.versions) {
    versions.push_back({{"version", v.version}, {"retired", v.retired}, {"created_at", format_rfc3339(v.created_at)}});
    if (s.version_in_force && v.version == *s.version_in_force) shown = &v;
  }
  return {{"name", s.name},
          {"version_in_force", s.version_in_force ? json(*s.version_in_force) : json(nullptr)},
          {"retired", !s.version_in_force.has_value()},
          {"definition", definition_of(*shown)},
          {"versions", std::move(versions)}};
}

std::string profile_location(const Request& request, const std::string& name) {
  return "/api/v1/tenants/" + request.path_params.at("tenant") + "/profiles/" + name;
}

Result<json> optional_object_body(const Request& request) {
  if (request.body.empty()) return json::object();
  return json_object_body(request);
}

Response list_templates(authority::Authority& authority, Request& request) {
  auto who = authenticate(authority, request);
  if (!who) return error_response(who.error(), request);
  json items = json::array();
  for (const auto& p : authority::ProfileCatalog::templates()) {
    json d = json::parse(p.to_json());
    d.erase("version");
    items.push_back({{"name", p.name}, {"definition", std::move(d)}});
  }
  return json_response(200, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

Response list(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::ProfileListPage> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    authority::ProfileListQuery query;
    for (const auto& [key, value] : request.query) {
      if (key == "limit") {
        FLEETPKI_TRY(query.limit, parse_limit(value));
      } else if (key == "cursor") {
        FLEETPKI_TRY(query.after_id, decode_cursor(value));
      } else if (key == "status") {
        if (value != "active" && value != "retired") return fail(Errc::InvalidArgument, "status must be active or retired");
        query.retired = value == "retired";
      } else {
        return fail(Errc::InvalidArgument, "unknown query parameter '" + key + "'");
      }
    }
    return authority.profiles().list(who, request.path_params["tenant"], query);
  }();
  if (!result) return error_response(result.error(), request);
  json items = json::array();
  for (const auto& s : result->items) items.push_back(summary_json(s));
  json next = result->next_after_id ? json(encode_cursor(*result->next_after_id)) : json(nullptr);
  return json_response(200, {{"items", std::move(items)}, {"next_cursor", std::move(next)}});
}

Response create(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::ProfileSummary> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    return authority.profiles().create(who, request.path_params["tenant"], body.dump(), {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  Response r = json_response(201, summary_json(*result));
  r.headers.emplace_back("Location", profile_location(request, result->name));
  return r;
}

Response get_one(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::ProfileSummary> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    return authority.profiles().get(who, request.path_params["tenant"], request.path_params["name"]);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, summary_json(*result));
}

Response add_version(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::ProfileRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    return authority.profiles().add_version(who, request.path_params["tenant"], request.path_params["name"],
                                            body.dump(), {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  Response r = json_response(201, version_json(*result));
  r.headers.emplace_back("Location", profile_location(request, result->name) + "/versions/" +
                                         std::to_string(result->version));
  return r;
}

Response get_version(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::ProfileRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    auto version = positive_int(request.path_params["version"], "version", 1000000);
    if (!version) return fail(Errc::NotFound, "profile version '" + request.path_params["version"] + "' not found");
    return authority.profiles().get_version(who, request.path_params["tenant"], request.path_params["name"], *version);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, version_json(*result));
}

Response retire(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::ProfileSummary> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, optional_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"version"}));
    std::optional<int> version;
    if (body.contains("version")) {
      const json& v = body["version"];
      if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 1000000) {
        return fail(Errc::InvalidArgument, "version must be a positive integer");
      }
      version = static_cast<int>(v.get<std::int64_t>());
    }
    return authority.profiles().retire(who, request.path_params["tenant"], request.path_params["name"], version,
                                       {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, summary_json(*result));
}

}  // namespace

void register_profile_routes(Router& https, authority::Authority& authority) {
  https.add("GET", "/api/v1/profile-templates", [&authority](Request& r) { return list_templates(authority, r); });
  const std::string base = "/api/v1/tenants/{tenant}/profiles";
  https.add("GET", base, [&authority](Request& r) { return list(authority, r); });
  https.add("POST", base, [&authority](Request& r) { return create(authority, r); });
  https.add("GET", base + "/{name}", [&authority](Request& r) { return get_one(authority, r); });
  https.add("POST", base + "/{name}/versions", [&authority](Request& r) { return add_version(authority, r); });
  https.add("GET", base + "/{name}/versions/{version}", [&authority](Request& r) { return get_version(authority, r); });
  https.add("POST", base + "/{name}/retire", [&authority](Request& r) { return retire(authority, r); });
}

}  // namespace fleetpki::server::api_v1
