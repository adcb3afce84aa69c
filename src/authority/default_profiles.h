// The built-in profile templates. The first five are also the profiles every new tenant starts
// with (contract: tls-server, tls-client, idevid, ldevid, code-signing).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "authority/profile.h"

namespace fleetpki::authority {

/// CA names every tenant gets from bootstrap.
inline constexpr const char* kRootCa = "root";
inline constexpr const char* kIssuingCa = "issuing";
inline constexpr const char* kManufacturingCa = "manufacturing";

/// The profiles of a new tenant, in contract order.
std::vector<Profile> default_profiles();

/// Every built-in template: the defaults, then ocsp-signing, matter-paa, matter-pai, matter-dac.
std::vector<Profile> builtin_templates();

/// A built-in template by name (its `name` is the template's name).
std::optional<Profile> builtin_template(std::string_view name);

}  // namespace fleetpki::authority
