// Tuning knobs of `serve` read from the environment (FLEETPKI_…): a bad value is logged and the
// default used, so a typo never stops the server.
#pragma once

#include <cstdint>
#include <limits>

namespace fleetpki::cli {

/// The integer in environment variable `name`, or `fallback` when it is unset; a value that is
/// not an integer in [min, max] logs a warning and gives `fallback`.
std::int64_t env_integer_knob(const char* name, std::int64_t fallback, std::int64_t min = 1,
                              std::int64_t max = std::numeric_limits<std::int64_t>::max());

}  // namespace fleetpki::cli
