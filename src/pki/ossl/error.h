// Drains the whole OpenSSL error queue into an Error (never just the first code).
#pragma once

#include <string_view>

#include "common/error.h"

namespace fleetpki::pki::ossl {

/// Builds an Error with `code` and client-safe `message`; `detail` gets `where` plus every entry of
/// the thread's OpenSSL error queue, which is left empty.
Error last_error(std::string_view where, Errc code = Errc::Internal,
                 std::string_view message = "cryptographic operation failed");

/// Empties the thread's error queue without reporting (after an expected failure).
void clear_errors();

}  // namespace fleetpki::pki::ossl
