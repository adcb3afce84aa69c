// Result<T> and Status: the one error model of every layer (ADR 0002).
#pragma once

#include <tl/expected.hpp>

#include "common/error.h"

namespace fleetpki {

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> fail(Errc code, std::string message, std::string detail = {}) {
  return tl::unexpected<Error>(make_error(code, std::move(message), std::move(detail)));
}
inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

inline Status ok() { return {}; }

}  // namespace fleetpki

#define FLEETPKI_CONCAT_INNER(a, b) a##b
#define FLEETPKI_CONCAT(a, b) FLEETPKI_CONCAT_INNER(a, b)

/// FLEETPKI_TRY(auto x, expr): evaluates expr (a Result); on error returns it from the enclosing
/// function, otherwise binds the value to the declaration. Modelled on ABSL's ASSIGN_OR_RETURN.
#define FLEETPKI_TRY(decl, expr)                                          \
  auto FLEETPKI_CONCAT(fleetpki_try_, __LINE__) = (expr);                 \
  if (!FLEETPKI_CONCAT(fleetpki_try_, __LINE__)) {                        \
    return ::tl::unexpected(std::move(FLEETPKI_CONCAT(fleetpki_try_, __LINE__)).error()); \
  }                                                                       \
  decl = std::move(*FLEETPKI_CONCAT(fleetpki_try_, __LINE__))

/// FLEETPKI_RETURN_IF_ERROR(expr): returns the error of a Result-returning expr from the
/// enclosing function and discards its value otherwise.
#define FLEETPKI_RETURN_IF_ERROR(expr)                                                     \
  do {                                                                                     \
    auto FLEETPKI_CONCAT(fleetpki_status_, __LINE__) = (expr);                             \
    if (!FLEETPKI_CONCAT(fleetpki_status_, __LINE__)) {                                    \
      return ::tl::unexpected(std::move(FLEETPKI_CONCAT(fleetpki_status_, __LINE__)).error()); \
    }                                                                                      \
  } while (false)
