// Canonical error codes and the Error value every layer returns (ADR 0002).
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace fleetpki {

/// Abseil's canonical codes; each maps to one HTTP status and one CLI exit code at the boundaries.
enum class Errc {
  InvalidArgument,
  NotFound,
  AlreadyExists,
  PermissionDenied,
  Unauthenticated,
  FailedPrecondition,
  Aborted,
  ResourceExhausted,
  Unavailable,
  Unimplemented,
  DataLoss,
  Internal,
};

std::string_view errc_name(Errc code);

/// An error as a value. `message` is safe to show a client; `detail` is for logs only (OpenSSL
/// error queue, SQL error text) and never contains secrets.
struct Error {
  Errc code = Errc::Internal;
  std::string message;
  std::string detail;

  /// Prefixes the message with what the caller was doing: "issuing for profile x: <message>".
  [[nodiscard]] Error with_context(std::string_view context) && {
    message = std::string(context) + ": " + message;
    return std::move(*this);
  }
};

inline Error make_error(Errc code, std::string message, std::string detail = {}) {
  return Error{code, std::move(message), std::move(detail)};
}

}  // namespace fleetpki
