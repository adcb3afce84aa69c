// Records of the store: Device types and devices (issue #4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace fleetpki::store {

/// Device states kept in the store (the state machine lives in authority/device_registry).
inline constexpr const char* kDeviceRegistered = "registered";
inline constexpr const char* kDeviceProvisioned = "provisioned";
inline constexpr const char* kDeviceActive = "active";
inline constexpr const char* kDeviceSuspended = "suspended";
inline constexpr const char* kDeviceDecommissioned = "decommissioned";

struct DeviceTypeRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string name;                                // unique per tenant
  std::string default_profiles_json = "[]";        // JSON array of profile names
  std::string allowed_manufacturing_cas_json = "[]";  // JSON array of CA names
  std::optional<std::string> mud_url;              // RFC 8520 manufacturer usage description
  std::int64_t created_at = 0;
};

struct DeviceTypePage {
  std::vector<DeviceTypeRecord> items;
  std::optional<std::int64_t> next_after_id;
};

struct DeviceRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string serial;      // unique per tenant
  std::int64_t type_id = 0;
  std::string type;        // the type's name (read through a join; ignored on insert)
  std::string state = kDeviceRegistered;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> last_seen_at;
  int row_version = 1;
};

struct DeviceFilter {
  std::optional<std::string> state;
  std::optional<std::int64_t> type_id;
  int limit = 100;                       // 1..1000
  std::optional<std::int64_t> after_id;  // cursor: items with id > after_id, ascending
};

struct DevicePage {
  std::vector<DeviceRecord> items;
  std::optional<std::int64_t> next_after_id;
};

}  // namespace fleetpki::store
