#include "authority/audit_log.h"

namespace fleetpki::authority {}  // namespace fleetpki::authority
