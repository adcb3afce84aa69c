#include "store/sqlite/sqlite_profiles.h"

namespace fleetpki::store::sqlite_profiles {}  // namespace fleetpki::store::sqlite_profiles
