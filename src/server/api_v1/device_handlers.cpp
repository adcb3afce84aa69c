// REST v1 routes for device types and devices: register, get, list, transitions, CSV import.
#include <algorithm>
#include <charconv>

#include "authority/device_registry.h"
#include "common/time_format.h"
#include "server/api_v1/handlers.h"
#include "server/api_v1/request_helpers.h"

namespace fleetpki::server::api_v1 {
namespace {

using nlohmann::json;

json optional_time(const std::optional<std::int64_t>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

json device_type_json(const store::DeviceTypeRecord& t) {
  return {{"name", t.name},
          {"default_profiles", json::parse(t.default_profiles_json, nullptr, false)},
          {"allowed_manufacturing_cas", json::parse(t.allowed_manufacturing_cas_json, nullptr, false)},
          {"mud_url", t.mud_url ? json(*t.mud_url) : json(nullptr)},
          {"created_at", format_rfc3339(t.created_at)}};
}

json device_json(const store::DeviceRecord& d) {
  return {{"serial", d.serial},
          {"type", d.type},
          {"state", d.state},
          {"created_at", format_rfc3339(d.created_at)},
          {"updated_at", format_rfc3339(d.updated_at)},
          {"last_seen_at", optional_time(d.last_seen_at)}};
}

json device_details_json(const authority::DeviceDetails& details) {
  json j = device_json(details.device);
  json certs = json::array();
  for (const auto& c : details.certificates) {
    certs.push_back({{"serial", c.serial_hex},
                     {"status", c.status},
                     {"profile", c.profile},
                     {"not_after", format_rfc3339(c.not_after)}});
  }
  j["certificates"] = std::move(certs);
  return j;
}

/// An optional array of strings (at most 32 entries checked by the registry).
Result<std::vector<std::string>> string_list(const json& body, const char* name) {
  std::vector<std::string> out;
  auto it = body.find(name);
  if (it == body.end()) return out;
  if (!it->is_array() || it->size() > 32) {
    return fail(Errc::InvalidArgument, std::string("field '") + name + "' must be an array of at most 32 strings");
  }
  for (const auto& v : *it) {
    if (!v.is_string()) return fail(Errc::InvalidArgument, std::string("field '") + name + "' must hold strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<json> optional_object_body(const Request& request) {
  if (request.body.empty()) return json::object();
  return json_object_body(request);
}

// ---- device types ---------------------------------------------------------------------------------

Response create_type(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::DeviceTypeRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"name", "default_profiles", "allowed_manufacturing_cas", "mud_url"}));
    authority::DeviceTypeSpec spec;
    FLEETPKI_TRY(spec.name, string_field(body, "name"));
    FLEETPKI_TRY(spec.default_profiles, string_list(body, "default_profiles"));
    FLEETPKI_TRY(spec.allowed_manufacturing_cas, string_list(body, "allowed_manufacturing_cas"));
    if (body.contains("mud_url") && !body["mud_url"].is_null()) {
      FLEETPKI_TRY(spec.mud_url, string_field(body, "mud_url"));
    }
    return authority.devices().create_type(who, request.path_params["tenant"], spec, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  Response r = json_response(201, device_type_json(*result));
  r.headers.emplace_back("Location", "/api/v1/tenants/" + request.path_params["tenant"] + "/device-types/" + result->name);
  return r;
}

Response get_type(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::DeviceTypeRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    return authority.devices().get_type(who, request.path_params["tenant"], request.path_params["name"]);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, device_type_json(*result));
}

Response list_types(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::DeviceTypePage> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    int limit = 100;
    std::optional<std::int64_t> after;
    for (const auto& [key, value] : request.query) {
      if (key == "limit") {
        FLEETPKI_TRY(limit, parse_limit(value));
      } else if (key == "cursor") {
        FLEETPKI_TRY(after, decode_cursor(value));
      } else {
        return fail(Errc::InvalidArgument, "unknown query parameter '" + key + "'");
      }
    }
    return authority.devices().list_types(who, request.path_params["tenant"], after, limit);
  }();
  if (!result) return error_response(result.error(), request);
  json items = json::array();
  for (const auto& t : result->items) items.push_back(device_type_json(t));
  json next = result->next_after_id ? json(encode_cursor(*result->next_after_id)) : json(nullptr);
  return json_response(200, {{"items", std::move(items)}, {"next_cursor", std::move(next)}});
}

// ---- devices --------------------------------------------------------------------------------------

Response register_device(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::DeviceRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"serial", "type"}));
    FLEETPKI_TRY(auto serial, string_field(body, "serial"));
    std::optional<std::string> type;
    if (body.contains("type")) {
      FLEETPKI_TRY(type, string_field(body, "type"));
    }
    auto registered =
        authority.devices().register_device(who, request.path_params["tenant"], serial, type, {request.request_id});
    // An unknown type named in the body is a bad request, not a missing resource at this URL.
    if (!registered && registered.error().code == Errc::NotFound && type &&
        registered.error().message.rfind("device type", 0) == 0) {
      return fail(Errc::InvalidArgument, registered.error().message);
    }
    return registered;
  }();
  if (!result) return error_response(result.error(), request);
  Response r = json_response(201, device_details_json({*result, {}}));
  r.headers.emplace_back("Location", "/api/v1/tenants/" + request.path_params["tenant"] + "/devices/" + result->serial);
  return r;
}

Response get_device(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::DeviceDetails> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    return authority.devices().get(who, request.path_params["tenant"], request.path_params["serial"]);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, device_details_json(*result));
}

Response list_devices(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::DevicePage> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    authority::DeviceListQuery query;
    for (const auto& [key, value] : request.query) {
      if (key == "state") {
        query.state = value;
      } else if (key == "type") {
        query.type = value;
      } else if (key == "limit") {
        FLEETPKI_TRY(query.limit, parse_limit(value));
      } else if (key == "cursor") {
        FLEETPKI_TRY(query.after_id, decode_cursor(value));
      } else {
        return fail(Errc::InvalidArgument, "unknown query parameter '" + key + "'");
      }
    }
    return authority.devices().list(who, request.path_params["tenant"], query);
  }();
  if (!result) return error_response(result.error(), request);
  json items = json::array();
  for (const auto& d : result->items) items.push_back(device_json(d));
  json next = result->next_after_id ? json(encode_cursor(*result->next_after_id)) : json(nullptr);
  return json_response(200, {{"items", std::move(items)}, {"next_cursor", std::move(next)}});
}

Response transition(authority::Authority& authority, Request& request, authority::DeviceAction action) {
  auto result = [&]() -> Result<store::DeviceRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, optional_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {}));
    return authority.devices().transition(who, request.path_params["tenant"], request.path_params["serial"], action,
                                          {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, device_json(*result));
}

Response import_devices(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::ImportReport> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    std::string media = request.header("content-type").value_or("");
    media = media.substr(0, media.find(';'));
    media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
    std::transform(media.begin(), media.end(), media.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (media != "text/csv") {
      return fail(Errc::InvalidArgument, std::string(kUnsupportedMediaType) + ": send text/csv");
    }
    std::optional<std::string> type;
    for (const auto& [key, value] : request.query) {
      if (key != "type") return fail(Errc::InvalidArgument, "unknown query parameter '" + key + "'");
      type = value;
    }
    return authority.devices().import_csv(who, request.path_params["tenant"], request.body, type,
                                          authority::kRestImportLimits, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  json rejected = json::array();
  for (const auto& r : result->rejected) {
    rejected.push_back({{"line", r.line}, {"serial", r.serial}, {"reason", r.reason}});
  }
  return json_response(200, {{"accepted", result->accepted}, {"rejected", std::move(rejected)}});
}

}  // namespace

void register_device_routes(Router& https, authority::Authority& authority) {
  const std::string types = "/api/v1/tenants/{tenant}/device-types";
  https.add("POST", types, [&authority](Request& r) { return create_type(authority, r); });
  https.add("GET", types, [&authority](Request& r) { return list_types(authority, r); });
  https.add("GET", types + "/{name}", [&authority](Request& r) { return get_type(authority, r); });

  const std::string devices = "/api/v1/tenants/{tenant}/devices";
  https.add("POST", devices, [&authority](Request& r) { return register_device(authority, r); });
  https.add("GET", devices, [&authority](Request& r) { return list_devices(authority, r); });
  https.add("POST", devices + "/import", [&authority](Request& r) { return import_devices(authority, r); });
  https.add("GET", devices + "/{serial}", [&authority](Request& r) { return get_device(authority, r); });
  for (auto action : {authority::DeviceAction::Provision, authority::DeviceAction::Activate,
                      authority::DeviceAction::Suspend, authority::DeviceAction::Reactivate,
                      authority::DeviceAction::Decommission}) {
    https.add("POST", devices + "/{serial}/" + std::string(authority::device_action_name(action)),
              [&authority, action](Request& r) { return transition(authority, r, action); });
  }
}

}  // namespace fleetpki::server::api_v1
