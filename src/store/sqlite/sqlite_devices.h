// SQLite reads of the store: Device types and devices (issue #4). Called by SqliteStore's overrides
// (pooled reader) and by SqliteTransaction (writer); the write side's members are defined in
// sqlite_devices.cpp too.
#pragma once

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace fleetpki::store::sqlite_devices {

/// The queries whose plans sqlite_devices_test pins (index seeks at 1,000,000 devices).
inline constexpr const char* kFindDeviceSql =
    "SELECT d.id, d.tenant_id, d.serial, d.type_id, t.name, d.state, d.created_at, d.updated_at, "
    "d.last_seen_at, d.row_version FROM devices AS d JOIN device_types AS t ON t.id = d.type_id "
    "WHERE d.tenant_id = ?1 AND d.serial = ?2";
inline constexpr const char* kDeviceCertificatesWhere =
    "tenant_id = ?1 AND device_serial = ?2 AND device_serial IS NOT NULL ORDER BY id";

Result<std::optional<DeviceTypeRecord>> find_device_type(SqliteConnection& conn, std::int64_t tenant_id,
                                                         std::string_view name);
Result<DeviceTypePage> list_device_types(SqliteConnection& conn, std::int64_t tenant_id, std::int64_t after_id,
                                         int limit);
Result<std::optional<DeviceRecord>> find_device(SqliteConnection& conn, std::int64_t tenant_id,
                                                std::string_view serial);
Result<DevicePage> list_devices(SqliteConnection& conn, std::int64_t tenant_id, const DeviceFilter& filter);
Result<std::vector<CertificateRecord>> list_device_certificates(SqliteConnection& conn, std::int64_t tenant_id,
                                                                std::string_view serial);

}  // namespace fleetpki::store::sqlite_devices
