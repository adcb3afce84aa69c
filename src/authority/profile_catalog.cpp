#include "authority/profile_catalog.h"

namespace fleetpki::authority {}  // namespace fleetpki::authority
