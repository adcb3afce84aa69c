#include "authority/device_registry.h"

namespace fleetpki::authority {}  // namespace fleetpki::authority
