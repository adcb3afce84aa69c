// RFC 3339 timestamps ("2026-11-21T22:33:00Z") for the API and the CLI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetpki {

/// UTC, second precision, "Z" suffix.
std::string format_rfc3339(std::int64_t unix_seconds);

/// Accepts "YYYY-MM-DDTHH:MM:SSZ" (optionally with fractional seconds or a ±HH:MM offset) or a
/// plain integer of Unix seconds. nullopt when malformed.
std::optional<std::int64_t> parse_timestamp(std::string_view text);

}  // namespace fleetpki
