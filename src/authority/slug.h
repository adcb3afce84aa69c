// Names of tenants, CAs and profiles: they appear in URLs and file names, so one strict syntax.
#pragma once

#include <string_view>

namespace fleetpki::authority {

/// 1..63 of [a-z0-9-], not starting with '-'.
inline bool is_valid_slug(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && i > 0)) return false;
  }
  return true;
}

}  // namespace fleetpki::authority
