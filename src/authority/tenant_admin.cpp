#include "authority/tenant_admin.h"

namespace fleetpki::authority {}  // namespace fleetpki::authority
