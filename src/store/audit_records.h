// Records of the store: Audit log checkpoints (issue #4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace fleetpki::store {}  // namespace fleetpki::store
