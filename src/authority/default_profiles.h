// The profiles every new tenant starts with (contract: tls-server, tls-client, idevid, ldevid,
// code-signing).
#pragma once

#include <vector>

#include "authority/profile.h"

namespace fleetpki::authority {

/// CA names every tenant gets from bootstrap.
inline constexpr const char* kRootCa = "root";
inline constexpr const char* kIssuingCa = "issuing";
inline constexpr const char* kManufacturingCa = "manufacturing";

std::vector<Profile> default_profiles();

}  // namespace fleetpki::authority
