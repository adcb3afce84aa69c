// Device types and devices: registry, state machine, CSV import, certificate links.
// A service of the Authority (Authority::devices()); entry points authorize the principal first
// (DeviceRead / DeviceManage) and every change writes its audit event in the same transaction.
//
// Device states (RFC-free, issue #4): registered -> provisioned -> active -> suspended -> active;
// any state but decommissioned -> decommissioned (final). Suspending a device suspends its valid
// certificates, reactivating it reactivates exactly those (not ones suspended by hand),
// decommissioning revokes its valid and suspended certificates (cessationOfOperation): all in the
// transaction of the device change.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/authority.h"

namespace fleetpki::authority {

/// The device type every new tenant starts with; registrations without a type use it.
inline constexpr const char* kDefaultDeviceType = "default";

/// Serials: 1..64 of A-Z a-z 0-9 and - . _ : + = (PrintableString-safe, so usable as an X.520
/// serialNumber, and URL-path-safe).
bool is_valid_device_serial(std::string_view serial);

enum class DeviceAction { Provision, Activate, Suspend, Reactivate, Decommission };
/// "provision", "activate", "suspend", "reactivate", "decommission"; InvalidArgument otherwise.
Result<DeviceAction> parse_device_action(std::string_view name);
std::string_view device_action_name(DeviceAction action);

struct DeviceTypeSpec {
  std::string name;                                 // same rules as a device serial
  std::vector<std::string> default_profiles;        // profile names of the tenant
  std::vector<std::string> allowed_manufacturing_cas;  // CA names of the tenant
  std::optional<std::string> mud_url;               // https URL (RFC 8520), at most 255 octets
};

struct DeviceListQuery {
  std::optional<std::string> state;
  std::optional<std::string> type;  // type name
  int limit = 100;                  // 1..1000
  std::optional<std::int64_t> after_id;
};

/// A device with the certificates linked to it.
struct DeviceDetails {
  store::DeviceRecord device;
  std::vector<store::CertificateRecord> certificates;
};

struct ImportRejection {
  std::size_t line = 0;  // 1-based line of the CSV file (the header is line 1)
  std::string serial;    // as read (truncated to 64 characters), possibly empty
  std::string reason;
};
struct ImportReport {
  std::size_t accepted = 0;
  std::vector<ImportRejection> rejected;
};
struct ImportLimits {
  std::size_t max_rows;
  std::size_t max_bytes;
};
inline constexpr ImportLimits kRestImportLimits{10'000, std::size_t{1} << 20};
inline constexpr ImportLimits kCliImportLimits{1'000'000, std::size_t{64} << 20};

class DeviceRegistry final {
 public:
  explicit DeviceRegistry(Authority& authority) : authority_(authority) {}
  DeviceRegistry(const DeviceRegistry&) = delete;
  DeviceRegistry& operator=(const DeviceRegistry&) = delete;

  /// AlreadyExists for a taken name; InvalidArgument for unknown profiles/CAs or a bad MUD URL.
  Result<store::DeviceTypeRecord> create_type(const Principal& who, std::string_view tenant, const DeviceTypeSpec& spec,
                                              const CallContext& call);
  Result<store::DeviceTypeRecord> get_type(const Principal& who, std::string_view tenant, std::string_view name);
  Result<store::DeviceTypePage> list_types(const Principal& who, std::string_view tenant,
                                           std::optional<std::int64_t> after_id, int limit);

  /// Registers a device in state registered. `type` nullopt = kDefaultDeviceType. AlreadyExists
  /// for a taken serial; NotFound for an unknown type.
  Result<store::DeviceRecord> register_device(const Principal& who, std::string_view tenant, std::string_view serial,
                                              std::optional<std::string> type, const CallContext& call);
  Result<DeviceDetails> get(const Principal& who, std::string_view tenant, std::string_view serial);
  Result<store::DevicePage> list(const Principal& who, std::string_view tenant, const DeviceListQuery& query);
  /// One state machine step with its certificate cascade. FailedPrecondition (409) when the state
  /// forbids it; NotFound for an unknown serial.
  Result<store::DeviceRecord> transition(const Principal& who, std::string_view tenant, std::string_view serial,
                                         DeviceAction action, const CallContext& call);

  /// Imports a CSV (RFC 4180; header `serial[,type]`) in chunks of 1,000 rows per transaction (one
  /// audit event per chunk). Malformed rows are reported, the others imported. InvalidArgument
  /// when the header is wrong; ResourceExhausted (413) beyond `limits`.
  Result<ImportReport> import_csv(const Principal& who, std::string_view tenant, std::string_view csv,
                                  std::optional<std::string> default_type, ImportLimits limits,
                                  const CallContext& call);

 private:
  Authority& authority_;
};

// ---- used by the Authority inside its own transactions -------------------------------------------

/// Adds the device type `default` to a new tenant (Authority::create_tenant's transaction).
Status add_default_device_type(store::Transaction& tx, std::int64_t tenant_id, std::int64_t now);

/// Links a certificate being committed to its device: the device must exist and be neither
/// suspended nor decommissioned; issuing `idevid` moves registered -> provisioned, issuing another
/// profile moves registered or provisioned -> active; last_seen_at = now. Appends the device's audit event when
/// its state changes. Database work only (it runs inside group commit units).
Status link_certificate_to_device(store::Transaction& tx, const Principal& who, const store::CertificateRecord& cert,
                                  const CallContext& call, std::int64_t now);

/// One certificate status change inside an existing transaction (defined in lifecycle.cpp, which
/// owns the rules): status, revoked_at, reason and row_version, the status change log row and the
/// audit event `action` on the certificate. The caller calls notify_status_listeners() after commit.
Status change_certificate_status_in(store::Transaction& tx, const Principal& who, store::CertificateRecord& rec,
                                    std::string_view new_status, std::optional<int> reason, std::string_view action,
                                    nlohmann::json details, const CallContext& call, std::int64_t now);

}  // namespace fleetpki::authority
