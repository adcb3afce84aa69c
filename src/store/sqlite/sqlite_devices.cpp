#include "store/sqlite/sqlite_devices.h"

namespace fleetpki::store::sqlite_devices {}  // namespace fleetpki::store::sqlite_devices
