// SQLite store, devices slice: device types, devices, version-checked updates, certificate links,
// device holds, tenant isolation, cursor pages and the index plans the registry relies on at
// 1,000,000 devices.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/sqlite/sqlite_devices.h"
#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"

namespace fleetpki::store {
namespace {

using testing::add_tenant_with_ca;
using testing::make_certificate;
using testing::TempDir;

using testing::query_plan;

class SqliteDevicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "devices.db";
    auto store = open_sqlite_store(path_, {.durable = false});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    std::tie(tenant_, ca_) = add_tenant_with_ca(*store_, "acme");
    std::tie(other_, std::ignore) = add_tenant_with_ca(*store_, "other");
    type_ = add_type(tenant_, "sensor");
  }

  std::int64_t add_type(std::int64_t tenant, const std::string& name) {
    std::int64_t id = 0;
    auto s = store_->write([&](Transaction& tx) -> Status {
      DeviceTypeRecord t;
      t.tenant_id = tenant;
      t.name = name;
      t.default_profiles_json = R"(["idevid"])";
      t.mud_url = "https://mud.example/" + name;
      t.created_at = 1;
      FLEETPKI_TRY(id, tx.insert_device_type(t));
      return ok();
    });
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return id;
  }

  Status add_device(std::int64_t tenant, std::int64_t type, const std::string& serial,
                    const std::string& state = kDeviceRegistered) {
    return store_->write([&](Transaction& tx) -> Status {
      DeviceRecord d;
      d.tenant_id = tenant;
      d.type_id = type;
      d.serial = serial;
      d.state = state;
      d.created_at = d.updated_at = 10;
      return tx.insert_device(d).map([](std::int64_t) {});
    });
  }

  TempDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
  std::int64_t tenant_ = 0, ca_ = 0, other_ = 0, type_ = 0;
};

TEST_F(SqliteDevicesTest, DeviceTypesAreUniquePerTenant) {
  auto dup = store_->write([&](Transaction& tx) -> Status {
    DeviceTypeRecord t;
    t.tenant_id = tenant_;
    t.name = "sensor";
    return tx.insert_device_type(t).map([](std::int64_t) {});
  });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  EXPECT_GT(add_type(other_, "sensor"), 0);
  auto found = store_->find_device_type(tenant_, "sensor");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->default_profiles_json, R"(["idevid"])");
  EXPECT_EQ((*found)->mud_url.value_or(""), "https://mud.example/sensor");
  auto missing = store_->find_device_type(tenant_, "nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(SqliteDevicesTest, DevicesAreUniquePerTenantAndIsolated) {
  ASSERT_TRUE(add_device(tenant_, type_, "SN1"));
  auto dup = add_device(tenant_, type_, "SN1");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  auto found = store_->find_device(tenant_, "SN1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->type, "sensor");
  EXPECT_EQ((*found)->state, "registered");
  EXPECT_EQ((*found)->row_version, 1);
  auto elsewhere = store_->find_device(other_, "SN1");
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(*elsewhere);
  auto page = store_->list_devices(other_, {});
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
  // The schema refuses states outside the machine and over-long serials.
  EXPECT_FALSE(add_device(tenant_, type_, "SN2", "bogus"));
  EXPECT_FALSE(add_device(tenant_, type_, std::string(65, 'x')));
}

TEST_F(SqliteDevicesTest, UpdatesAreVersionChecked) {
  ASSERT_TRUE(add_device(tenant_, type_, "SN1"));
  auto d = **store_->find_device(tenant_, "SN1");
  d.state = kDeviceProvisioned;
  d.last_seen_at = 99;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.update_device(d); }));
  auto stale = store_->write([&](Transaction& tx) { return tx.update_device(d); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::Aborted);
  auto other_tenant = d;
  other_tenant.tenant_id = other_;
  other_tenant.row_version = 2;
  auto refused = store_->write([&](Transaction& tx) { return tx.update_device(other_tenant); });
  ASSERT_FALSE(refused);
  auto now = **store_->find_device(tenant_, "SN1");
  EXPECT_EQ(now.state, "provisioned");
  EXPECT_EQ(now.last_seen_at.value_or(0), 99);
  EXPECT_EQ(now.row_version, 2);
}

TEST_F(SqliteDevicesTest, ListsByCursorStateAndType) {
  const std::int64_t cam = add_type(tenant_, "cam");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(add_device(tenant_, i % 2 == 0 ? type_ : cam, "D" + std::to_string(i),
                                                     i == 3 ? kDeviceActive : kDeviceRegistered));
  DeviceFilter f;
  f.limit = 2;
  std::vector<std::string> seen;
  for (;;) {
    auto page = store_->list_devices(tenant_, f);
    ASSERT_TRUE(page);
    for (auto& d : page->items) seen.push_back(d.serial);
    if (!page->next_after_id) break;
    f.after_id = page->next_after_id;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"D0", "D1", "D2", "D3", "D4"}));
  auto active = store_->list_devices(tenant_, {.state = "active"});
  ASSERT_TRUE(active);
  ASSERT_EQ(active->items.size(), 1u);
  EXPECT_EQ(active->items[0].serial, "D3");
  auto cams = store_->list_devices(tenant_, {.type_id = cam});
  ASSERT_TRUE(cams);
  EXPECT_EQ(cams->items.size(), 2u);
  auto types = store_->list_device_types(tenant_, 0, 1);
  ASSERT_TRUE(types);
  ASSERT_EQ(types->items.size(), 1u);
  EXPECT_TRUE(types->next_after_id);
}

TEST_F(SqliteDevicesTest, CertificatesOfADeviceAndHolds) {
  ASSERT_TRUE(add_device(tenant_, type_, "SN1"));
  auto d = **store_->find_device(tenant_, "SN1");
  std::vector<std::int64_t> ids;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    for (int i = 1; i <= 3; ++i) {
      auto c = make_certificate(tenant_, ca_, "0" + std::to_string(i));
      if (i != 2) c.device_serial = "SN1";
      FLEETPKI_TRY(auto id, tx.insert_certificate(c));
      ids.push_back(id);
    }
    return ok();
  }));
  auto linked = store_->list_device_certificates(tenant_, "SN1");
  ASSERT_TRUE(linked);
  ASSERT_EQ(linked->size(), 2u);
  EXPECT_EQ((*linked)[0].serial_hex, "01");
  EXPECT_EQ((*linked)[1].serial_hex, "03");
  auto other = store_->list_device_certificates(other_, "SN1");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());

  std::vector<std::int64_t> released;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.hold_device_certificate(d.id, ids[2]));
    FLEETPKI_RETURN_IF_ERROR(tx.hold_device_certificate(d.id, ids[0]));
    FLEETPKI_RETURN_IF_ERROR(tx.hold_device_certificate(d.id, ids[0]));  // idempotent
    FLEETPKI_TRY(released, tx.release_device_holds(d.id));
    return ok();
  }));
  EXPECT_EQ(released, (std::vector<std::int64_t>{ids[0], ids[2]}));
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(released, tx.release_device_holds(d.id));
    return ok();
  }));
  EXPECT_TRUE(released.empty());
}

TEST_F(SqliteDevicesTest, HotQueriesAreIndexSeeks) {
  auto by_serial = query_plan(path_, sqlite_devices::kFindDeviceSql);
  EXPECT_NE(by_serial.find("sqlite_autoindex_devices_1 (tenant_id=? AND serial=?)"), std::string::npos) << by_serial;
  const std::string list =
      "SELECT d.*, t.name FROM devices AS d JOIN device_types AS t ON t.id = d.type_id WHERE d.tenant_id = ?1 AND d.id > ?2";
  auto all = query_plan(path_, list + " ORDER BY d.id LIMIT ?3");
  // Unfiltered pages read the covering index alone (contiguous per tenant), never the table rows.
  EXPECT_NE(all.find("USING COVERING INDEX devices_tenant_listing (tenant_id=? AND id>?)"), std::string::npos) << all;
  EXPECT_EQ(all.find("TEMP B-TREE"), std::string::npos) << all;
  const std::string by_index =
      "SELECT d.*, t.name FROM devices AS d INDEXED BY %s JOIN device_types AS t ON t.id = d.type_id "
      "WHERE d.tenant_id = ?1 AND d.id > ?2";
  auto with_index = [&](const char* index) {
    std::string sql = by_index;
    sql.replace(sql.find("%s"), 2, index);
    return sql;
  };
  auto by_state = query_plan(path_, with_index("devices_tenant_state_id") + " AND d.state = ?4 ORDER BY d.id LIMIT ?3");
  EXPECT_NE(by_state.find("devices_tenant_state_id (tenant_id=? AND state=? AND id>?)"), std::string::npos)
      << by_state;
  EXPECT_EQ(by_state.find("TEMP B-TREE"), std::string::npos) << by_state;
  auto by_type = query_plan(path_, with_index("devices_tenant_type_id") + " AND d.type_id = ?5 ORDER BY d.id LIMIT ?3");
  EXPECT_NE(by_type.find("devices_tenant_type_id (tenant_id=? AND type_id=? AND id>?)"), std::string::npos)
      << by_type;
  auto certs = query_plan(path_, std::string("SELECT * FROM certificates WHERE ") + sqlite_devices::kDeviceCertificatesWhere);
  EXPECT_NE(certs.find("certificates_tenant_device (tenant_id=? AND device_serial=?)"), std::string::npos) << certs;
}

}  // namespace
}  // namespace fleetpki::store
