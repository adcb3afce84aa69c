#include "store/sqlite/sqlite_tenancy.h"

namespace fleetpki::store::sqlite_tenancy {}  // namespace fleetpki::store::sqlite_tenancy
