// RFC 9457 problem details and the single Errc → HTTP status table of the HTTP boundary.
#include "server/problem_json.h"

#include <nlohmann/json.hpp>

#include <string>

namespace fleetpki::server {
namespace {

/// RFC 9110 §15 reason phrases for the statuses this server emits (and a few neighbours).
std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: break;
  }
  if (status >= 400 && status < 500) {
    return "Client Error";
  }
  if (status >= 500 && status < 600) {
    return "Server Error";
  }
  return "Unknown";
}

}  // namespace

int http_status(Errc code) {
  switch (code) {
    case Errc::InvalidArgument: return 400;
    case Errc::Unauthenticated: return 401;
    case Errc::PermissionDenied: return 403;
    case Errc::NotFound: return 404;
    case Errc::AlreadyExists: return 409;
    case Errc::Aborted: return 409;
    case Errc::FailedPrecondition: return 409;
    case Errc::ResourceExhausted: return 413;
    case Errc::Unimplemented: return 501;
    case Errc::Unavailable: return 503;
    case Errc::DataLoss: return 500;
    case Errc::Internal: return 500;
  }
  return 500;
}

Response problem(int status, std::string_view detail, std::string_view request_id) {
  nlohmann::json body = {
      {"type", "about:blank"},
      {"title", std::string(reason_phrase(status))},
      {"status", status},
  };
  if (!detail.empty()) {
    body["detail"] = std::string(detail);
  }
  if (!request_id.empty()) {
    body["request_id"] = std::string(request_id);
  }
  Response response;
  response.status = status;
  response.content_type = "application/problem+json";
  // Invalid UTF-8 in a detail (e.g. echoed client input) is replaced rather than thrown.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response problem(const Error& error, std::string_view request_id) {
  return problem(http_status(error.code), error.message, request_id);
}

}  // namespace fleetpki::server
