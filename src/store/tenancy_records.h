// Records of the store: Tenants, CAs, operator credentials, idempotency keys (issue #4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace fleetpki::store {}  // namespace fleetpki::store
