// Drains the thread's OpenSSL error queue into text / an Error (server-internal helper).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace fleetpki::server::detail {

/// Every entry of the thread's OpenSSL error queue, "; "-separated; leaves the queue empty.
std::string drain_openssl_errors();

/// Error{code, message, detail = where + drained queue}.
Error openssl_error(std::string_view where, Errc code, std::string message);

}  // namespace fleetpki::server::detail
