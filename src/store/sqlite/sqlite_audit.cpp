#include "store/sqlite/sqlite_audit.h"

namespace fleetpki::store::sqlite_audit {}  // namespace fleetpki::store::sqlite_audit
