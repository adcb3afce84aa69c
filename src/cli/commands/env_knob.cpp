#include "cli/commands/env_knob.h"

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/log.h"

namespace fleetpki::cli {

std::int64_t env_integer_knob(const char* name, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  const char* text = std::getenv(name);
  if (text == nullptr) return fallback;
  std::int64_t value = 0;
  const std::string_view s(text);
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (error != std::errc() || end != s.data() + s.size() || value < min || value > max) {
    log::warn(std::string(name) + " must be an integer from " + std::to_string(min) + " to " +
              std::to_string(max) + "; using " + std::to_string(fallback));
    return fallback;
  }
  return value;
}

}  // namespace fleetpki::cli
