// Device types and devices over SQLite: the reads (free functions shared by both connections) and
// the SqliteTransaction members of the devices slice.
#include "store/sqlite/sqlite_devices.h"

#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"

namespace fleetpki::store {
namespace sqlite_devices {
namespace {

constexpr int kMaxPageSize = 1000;

constexpr const char* kDeviceTypeColumns =
    "id, tenant_id, name, default_profiles, allowed_manufacturing_cas, mud_url, created_at";

DeviceTypeRecord read_device_type(const Statement& s) {
  DeviceTypeRecord t;
  t.id = s.int64(0);
  t.tenant_id = s.int64(1);
  t.name = s.text(2);
  t.default_profiles_json = s.text(3);
  t.allowed_manufacturing_cas_json = s.text(4);
  t.mud_url = s.optional_text(5);
  t.created_at = s.int64(6);
  return t;
}

DeviceRecord read_device(const Statement& s) {
  DeviceRecord d;
  d.id = s.int64(0);
  d.tenant_id = s.int64(1);
  d.serial = s.text(2);
  d.type_id = s.int64(3);
  d.type = s.text(4);
  d.state = s.text(5);
  d.created_at = s.int64(6);
  d.updated_at = s.int64(7);
  d.last_seen_at = s.optional_int64(8);
  d.row_version = static_cast<int>(s.int64(9));
  return d;
}

}  // namespace

Result<std::optional<DeviceTypeRecord>> find_device_type(SqliteConnection& conn, std::int64_t tenant_id,
                                                         std::string_view name) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kDeviceTypeColumns +
                                                         " FROM device_types WHERE tenant_id = ?1 AND name = ?2"));
  s.bind(1, tenant_id);
  s.bind(2, name);
  FLEETPKI_TRY(bool row, s.step());
  if (!row) return std::optional<DeviceTypeRecord>();
  return std::optional<DeviceTypeRecord>(read_device_type(s));
}

Result<DeviceTypePage> list_device_types(SqliteConnection& conn, std::int64_t tenant_id, std::int64_t after_id,
                                         int limit) {
  limit = std::clamp(limit, 1, kMaxPageSize);
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kDeviceTypeColumns +
                                                         " FROM device_types WHERE tenant_id = ?1 AND id > ?2 "
                                                         "ORDER BY id LIMIT ?3"));
  s.bind(1, tenant_id);
  s.bind(2, after_id);
  s.bind(3, std::int64_t{limit} + 1);  // one more row tells whether another page follows
  DeviceTypePage page;
  FLEETPKI_TRY(page.next_after_id, sqlite_rows::read_page(s, limit, page.items, read_device_type));
  return page;
}

Result<std::optional<DeviceRecord>> find_device(SqliteConnection& conn, std::int64_t tenant_id,
                                                std::string_view serial) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, kFindDeviceSql));
  s.bind(1, tenant_id);
  s.bind(2, serial);
  FLEETPKI_TRY(bool row, s.step());
  if (!row) return std::optional<DeviceRecord>();
  return std::optional<DeviceRecord>(read_device(s));
}

Result<DevicePage> list_devices(SqliteConnection& conn, std::int64_t tenant_id, const DeviceFilter& filter) {
  const int limit = std::clamp(filter.limit, 1, kMaxPageSize);
  // Four SQL variants (state and/or type present); each is a seek in one of the tenant indexes.
  // A filter seeks its own index (INDEXED BY: the planner would otherwise prefer scanning the
  // covering listing index, which reads every device of the tenant to find a rare state).
  const char* index = filter.state ? " INDEXED BY devices_tenant_state_id"
                                   : (filter.type_id ? " INDEXED BY devices_tenant_type_id" : "");
  std::string sql = std::string(
                        "SELECT d.id, d.tenant_id, d.serial, d.type_id, t.name, d.state, d.created_at, "
                        "d.updated_at, d.last_seen_at, d.row_version FROM devices AS d") +
                    index + " JOIN device_types AS t ON t.id = d.type_id WHERE d.tenant_id = ?1 AND d.id > ?2";
  if (filter.state) sql += " AND d.state = ?4";
  if (filter.type_id) sql += " AND d.type_id = ?5";
  sql += " ORDER BY d.id LIMIT ?3";
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, sql));
  s.bind(1, tenant_id);
  s.bind(2, filter.after_id.value_or(0));
  s.bind(3, std::int64_t{limit} + 1);
  if (filter.state) s.bind(4, std::string_view(*filter.state));
  if (filter.type_id) s.bind(5, *filter.type_id);
  DevicePage page;
  page.items.reserve(static_cast<std::size_t>(std::min(limit, 128)));
  FLEETPKI_TRY(page.next_after_id, sqlite_rows::read_page(s, limit, page.items, read_device));
  return page;
}

Result<std::vector<CertificateRecord>> list_device_certificates(SqliteConnection& conn, std::int64_t tenant_id,
                                                                std::string_view serial) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + sqlite_rows::kCertificateColumns +
                                                         " FROM certificates WHERE " + kDeviceCertificatesWhere));
  s.bind(1, tenant_id);
  s.bind(2, serial);
  return sqlite_rows::read_all<CertificateRecord>(s, sqlite_rows::read_certificate);
}

}  // namespace sqlite_devices

// ---- SqliteTransaction members of the devices slice ----------------------------------------------

Result<std::int64_t> SqliteTransaction::insert_device_type(const DeviceTypeRecord& type) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT INTO device_types (tenant_id, name, default_profiles, "
                                               "allowed_manufacturing_cas, mud_url, created_at) "
                                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  s.bind(1, type.tenant_id);
  s.bind(2, std::string_view(type.name));
  s.bind(3, std::string_view(type.default_profiles_json));
  s.bind(4, std::string_view(type.allowed_manufacturing_cas_json));
  s.bind(5, type.mud_url);
  s.bind(6, type.created_at);
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return last_insert_id();
}

Result<std::optional<DeviceTypeRecord>> SqliteTransaction::find_device_type(std::int64_t tenant_id,
                                                                            std::string_view name) {
  return sqlite_devices::find_device_type(conn_, tenant_id, name);
}

Result<std::int64_t> SqliteTransaction::insert_device(const DeviceRecord& device) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT INTO devices (tenant_id, serial, type_id, state, created_at, "
                                               "updated_at, last_seen_at, row_version) "
                                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)"));
  s.bind(1, device.tenant_id);
  s.bind(2, std::string_view(device.serial));
  s.bind(3, device.type_id);
  s.bind(4, std::string_view(device.state));
  s.bind(5, device.created_at);
  s.bind(6, device.updated_at);
  s.bind(7, device.last_seen_at);
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return last_insert_id();
}

Result<std::optional<DeviceRecord>> SqliteTransaction::find_device(std::int64_t tenant_id,
                                                                   std::string_view serial) {
  return sqlite_devices::find_device(conn_, tenant_id, serial);
}

Status SqliteTransaction::update_device(const DeviceRecord& device) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "UPDATE devices SET state = ?3, updated_at = ?4, last_seen_at = ?5, "
                                               "row_version = row_version + 1 WHERE id = ?2 AND tenant_id = ?1 "
                                               "AND row_version = ?6"));
  s.bind(1, device.tenant_id);
  s.bind(2, device.id);
  s.bind(3, std::string_view(device.state));
  s.bind(4, device.updated_at);
  s.bind(5, device.last_seen_at);
  s.bind(6, std::int64_t{device.row_version});
  FLEETPKI_RETURN_IF_ERROR(s.run());
  if (::sqlite3_changes(conn_.handle()) == 0) {
    return fail(Errc::Aborted, "device " + device.serial + " changed concurrently");
  }
  return ok();
}

Result<std::vector<CertificateRecord>> SqliteTransaction::list_device_certificates(std::int64_t tenant_id,
                                                                                   std::string_view serial) {
  return sqlite_devices::list_device_certificates(conn_, tenant_id, serial);
}

Status SqliteTransaction::hold_device_certificate(std::int64_t device_id, std::int64_t certificate_id) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT OR IGNORE INTO device_held_certificates "
                                               "(device_id, certificate_id) VALUES (?1, ?2)"));
  s.bind(1, device_id);
  s.bind(2, certificate_id);
  return s.run();
}

Result<std::vector<std::int64_t>> SqliteTransaction::release_device_holds(std::int64_t device_id) {
  std::vector<std::int64_t> ids;
  {
    FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                                 "SELECT certificate_id FROM device_held_certificates "
                                                 "WHERE device_id = ?1 ORDER BY certificate_id"));
    s.bind(1, device_id);
    FLEETPKI_TRY(ids, sqlite_rows::read_all<std::int64_t>(s, [](const Statement& row) { return row.int64(0); }));
  }
  FLEETPKI_TRY(Statement del,
               Statement::prepare(conn_, "DELETE FROM device_held_certificates WHERE device_id = ?1"));
  del.bind(1, device_id);
  FLEETPKI_RETURN_IF_ERROR(del.run());
  return ids;
}

}  // namespace fleetpki::store
