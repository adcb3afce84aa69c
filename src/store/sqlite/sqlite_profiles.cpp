#include "store/sqlite/sqlite_profiles.h"

#include <sqlite3.h>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"

namespace fleetpki::store {
namespace {

constexpr const char* kVersionsSql =
    "SELECT id, tenant_id, name, version, definition_json, retired, created_at FROM profiles "
    "WHERE tenant_id = ?1 AND name = ?2 ORDER BY version";

Result<std::vector<ProfileRecord>> read_profiles(Statement& s) {
  return sqlite_rows::read_all<ProfileRecord>(s, sqlite_rows::read_profile);
}

Result<std::vector<ProfileRecord>> versions(SqliteConnection& conn, std::int64_t tenant_id, std::string_view name) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, kVersionsSql));
  s.bind(1, tenant_id);
  s.bind(2, name);
  return read_profiles(s);
}

}  // namespace

namespace sqlite_profiles {

Result<std::vector<ProfileRecord>> find_versions(SqliteConnection& conn, std::int64_t tenant_id,
                                                 std::string_view name) {
  return versions(conn, tenant_id, name);
}

Result<std::vector<ProfileRecord>> list_page(SqliteConnection& conn, std::int64_t tenant_id, std::int64_t after_id,
                                             int limit, std::optional<bool> retired) {
  // A profile's id is the row id of its first version; names are grouped, then all their versions read.
  std::string having = "HAVING pid > ?2";
  if (retired) having += *retired ? " AND SUM(retired = 0) = 0" : " AND SUM(retired = 0) > 0";
  const std::string sql =
      "SELECT p.id, p.tenant_id, p.name, p.version, p.definition_json, p.retired, p.created_at FROM profiles p "
      "JOIN (SELECT name, MIN(id) AS pid FROM profiles WHERE tenant_id = ?1 GROUP BY name " + having +
      " ORDER BY pid LIMIT ?3) g ON p.name = g.name WHERE p.tenant_id = ?1 ORDER BY g.pid, p.version";
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, sql));
  s.bind(1, tenant_id);
  s.bind(2, after_id);
  s.bind(3, std::int64_t{limit});
  return read_profiles(s);
}

}  // namespace sqlite_profiles

Result<std::vector<ProfileRecord>> SqliteTransaction::list_profile_versions(std::int64_t tenant_id,
                                                                           std::string_view name) {
  return versions(conn_, tenant_id, name);
}

Result<int> SqliteTransaction::retire_profile(std::int64_t tenant_id, std::string_view name,
                                              std::optional<int> version) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "UPDATE profiles SET retired = 1 WHERE tenant_id = ?1 AND name = ?2 "
                                               "AND retired = 0 AND (?3 IS NULL OR version = ?3)"));
  s.bind(1, tenant_id);
  s.bind(2, name);
  s.bind(3, version ? std::optional<std::int64_t>(*version) : std::optional<std::int64_t>());
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return ::sqlite3_changes(conn_.handle());
}

}  // namespace fleetpki::store
