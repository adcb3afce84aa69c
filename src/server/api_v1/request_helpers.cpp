#include "server/api_v1/request_helpers.h"

#include <algorithm>
#include <charconv>
#include <cctype>

#include "authority/tenant_admin.h"
#include "common/log.h"
#include "server/problem_json.h"

namespace fleetpki::server::api_v1 {

Result<authority::Principal> authenticate(authority::Authority& authority, const Request& request) {
  auto header = request.header("authorization");
  if (!header && request.tls && !request.client_cert_chain_der.empty()) {
    return authority.tenant_admin().authenticate_client_certificate(request.client_cert_chain_der.front());
  }
  if (!header) return fail(Errc::Unauthenticated, "missing bearer token (Authorization: Bearer …)");
  std::string_view value = *header;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), value.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
    return fail(Errc::Unauthenticated, "the Authorization header must use the Bearer scheme");
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return authority.authenticate(value);
}

std::string encode_cursor(std::int64_t after_id) { return "c" + std::to_string(after_id); }

Result<std::int64_t> decode_cursor(std::string_view cursor) {
  std::int64_t v = 0;
  if (cursor.size() < 2 || cursor.size() > 20 || cursor[0] != 'c' ||
      std::from_chars(cursor.data() + 1, cursor.data() + cursor.size(), v).ptr != cursor.data() + cursor.size() ||
      v < 0) {
    return fail(Errc::InvalidArgument, "invalid cursor");
  }
  return v;
}

Result<int> parse_limit(std::string_view value) {
  int limit = 0;
  if (value.empty() || std::from_chars(value.data(), value.data() + value.size(), limit).ptr !=
                           value.data() + value.size() || limit < 1 || limit > 1000) {
    return fail(Errc::InvalidArgument, "limit must be an integer 1..1000");
  }
  return limit;
}

Result<PageParams> page_params(const Request& request, std::initializer_list<std::string_view> filters) {
  PageParams page;
  for (const auto& [key, value] : request.query) {
    if (key == "limit") {
      FLEETPKI_TRY(page.limit, parse_limit(value));
    } else if (key == "cursor") {
      FLEETPKI_TRY(page.after, decode_cursor(value));
    } else if (std::find(filters.begin(), filters.end(), key) == filters.end()) {
      return fail(Errc::InvalidArgument, "unknown query parameter '" + key + "'");
    }
  }
  return page;
}

nlohmann::json next_cursor_json(const std::optional<std::int64_t>& next_after) {
  return next_after ? nlohmann::json(encode_cursor(*next_after)) : nlohmann::json(nullptr);
}

Result<std::optional<std::int64_t>> optional_integer_field(const nlohmann::json& body, const char* name,
                                                           std::int64_t min, std::int64_t max) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::int64_t>();
  if (!it->is_number_integer() || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max) {
    return fail(Errc::InvalidArgument, std::string("field '") + name + "' must be an integer " + std::to_string(min) +
                                           ".." + std::to_string(max));
  }
  return std::optional<std::int64_t>(it->get<std::int64_t>());
}

Result<std::optional<std::string>> optional_string_field(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return fail(Errc::InvalidArgument, std::string("field '") + name + "' must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<nlohmann::json> json_object_body(const Request& request) {
  if (auto type = request.header("content-type")) {
    std::string media = type->substr(0, type->find(';'));
    media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
    std::transform(media.begin(), media.end(), media.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (media != "application/json") {
      return fail(Errc::InvalidArgument, std::string(kUnsupportedMediaType) + ": send application/json");
    }
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return fail(Errc::InvalidArgument, "the body is not valid JSON");
  if (!body.is_object()) return fail(Errc::InvalidArgument, "the body must be a JSON object");
  return body;
}

Status only_fields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed) {
  for (const auto& item : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      return fail(Errc::InvalidArgument, "unknown field '" + item.key() + "'");
    }
  }
  return ok();
}

Result<std::string> string_field(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return fail(Errc::InvalidArgument, std::string("missing field '") + name + "'");
  if (!it->is_string()) return fail(Errc::InvalidArgument, std::string("field '") + name + "' must be a string");
  return it->get<std::string>();
}

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

Response error_response(const Error& error, const Request& request) {
  if (error.code == Errc::InvalidArgument && error.message.rfind(kUnsupportedMediaType, 0) == 0) {
    return problem(415, error.message, request.request_id);
  }
  Response r = problem(error, request.request_id);
  if (r.status >= 500) {
    // The client sees only error.message; operators get the detail (never secrets, see Error).
    log::error("request " + request.request_id + ": " + error.message +
               (error.detail.empty() ? "" : " (" + error.detail + ")"));
  }
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"fleetpki\"");
  return r;
}

}  // namespace fleetpki::server::api_v1
