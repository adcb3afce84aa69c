#include "authority/device_registry.h"

#include <algorithm>
#include <array>
#include <map>
#include <unordered_set>

#include "authority/audit_event.h"
#include "pki/crl.h"

namespace fleetpki::authority {
namespace {

// A concurrent writer can only interleave when the store does not serialize writers; retry a few
// times on fresh data before giving up (as lifecycle transitions do).
constexpr int kMaxAttempts = 4;
// Rows per import transaction: amortizes the fsync, keeps the writer lock short for issuance.
constexpr std::size_t kImportChunk = 1000;
constexpr std::size_t kMaxTypeListEntries = 32;
constexpr std::size_t kMaxMudUrl = 255;
constexpr const char* kIdevidProfile = "idevid";

Error device_not_found(std::string_view serial) {
  return make_error(Errc::NotFound, "device '" + std::string(serial) + "' not found");
}

Error type_not_found(std::string_view name) {
  return make_error(Errc::NotFound, "device type '" + std::string(name) + "' not found");
}

bool is_device_state(std::string_view s) {
  return s == store::kDeviceRegistered || s == store::kDeviceProvisioned || s == store::kDeviceActive ||
         s == store::kDeviceSuspended || s == store::kDeviceDecommissioned;
}

/// The state `action` leads to from `from`, or nullopt when the state machine forbids it.
std::optional<std::string_view> next_state(std::string_view from, DeviceAction action) {
  switch (action) {
    case DeviceAction::Provision:
      if (from == store::kDeviceRegistered) return store::kDeviceProvisioned;
      break;
    case DeviceAction::Activate:
      if (from == store::kDeviceProvisioned) return store::kDeviceActive;
      break;
    case DeviceAction::Suspend:
      if (from == store::kDeviceActive) return store::kDeviceSuspended;
      break;
    case DeviceAction::Reactivate:
      if (from == store::kDeviceSuspended) return store::kDeviceActive;
      break;
    case DeviceAction::Decommission:
      if (from != store::kDeviceDecommissioned) return store::kDeviceDecommissioned;
      break;
  }
  return std::nullopt;
}

bool is_valid_mud_url(std::string_view url) {
  if (url.size() > kMaxMudUrl || url.rfind("https://", 0) != 0 || url.size() <= 8) return false;
  return std::all_of(url.begin(), url.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

/// Applies the certificate side of a device transition inside `tx`; returns how many changed.
Result<std::size_t> cascade(store::Transaction& tx, const Principal& who, const store::DeviceRecord& device,
                            DeviceAction action, const CallContext& call, std::int64_t now) {
  if (action != DeviceAction::Suspend && action != DeviceAction::Reactivate && action != DeviceAction::Decommission) {
    return std::size_t{0};
  }
  FLEETPKI_TRY(auto certificates, tx.list_device_certificates(device.tenant_id, device.serial));
  const nlohmann::json details = {{"device", device.serial},
                                  {"cause", "device." + std::string(device_action_name(action))}};
  std::size_t changed = 0;
  if (action == DeviceAction::Suspend) {
    for (auto& cert : certificates) {
      if (cert.status != store::kStatusValid) continue;
      FLEETPKI_RETURN_IF_ERROR(change_certificate_status_in(tx, who, cert, store::kStatusSuspended,
                                                            static_cast<int>(pki::CrlReason::CertificateHold),
                                                            "certificate.suspend", details, call, now));
      // Remembered so that reactivating the device releases only what its suspension held.
      FLEETPKI_RETURN_IF_ERROR(tx.hold_device_certificate(device.id, cert.id));
      ++changed;
    }
    return changed;
  }
  FLEETPKI_TRY(auto held, tx.release_device_holds(device.id));
  if (action == DeviceAction::Reactivate) {
    for (auto& cert : certificates) {
      if (cert.status != store::kStatusSuspended || !std::binary_search(held.begin(), held.end(), cert.id)) continue;
      FLEETPKI_RETURN_IF_ERROR(change_certificate_status_in(tx, who, cert, store::kStatusValid, std::nullopt,
                                                            "certificate.reactivate", details, call, now));
      ++changed;
    }
    return changed;
  }
  for (auto& cert : certificates) {
    if (cert.status == store::kStatusRevoked) continue;
    nlohmann::json revoke_details = details;
    revoke_details["reason"] = pki::crl_reason_name(pki::CrlReason::CessationOfOperation);
    FLEETPKI_RETURN_IF_ERROR(change_certificate_status_in(tx, who, cert, store::kStatusRevoked,
                                                          static_cast<int>(pki::CrlReason::CessationOfOperation),
                                                          "certificate.revoke", revoke_details, call, now));
    ++changed;
  }
  return changed;
}

// ---- CSV (RFC 4180) -------------------------------------------------------------------------------

struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
  std::string error;  // malformed quoting
};

/// Reads one record starting at `pos` (advanced past its line break). Quoted fields may contain
/// commas, doubled quotes and line breaks; `line` counts physical lines.
CsvRecord read_record(std::string_view text, std::size_t& pos, std::size_t& line) {
  CsvRecord rec;
  rec.line = line;
  std::string field;
  bool quoted = false, after_quote = false;
  rec.fields.emplace_back();
  while (pos < text.size()) {
    char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          rec.fields.back() += '"';
          ++pos;
        } else {
          quoted = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        rec.fields.back() += c;
      }
      continue;
    }
    if (c == '\r' && pos < text.size() && text[pos] == '\n') continue;
    if (c == '\n') {
      ++line;
      return rec;
    }
    if (c == ',') {
      rec.fields.emplace_back();
      after_quote = false;
    } else if (c == '"' && rec.fields.back().empty() && !after_quote) {
      quoted = true;
    } else if (after_quote || c == '"') {
      if (rec.error.empty()) rec.error = "malformed quoting";
      rec.fields.back() += c;
    } else {
      rec.fields.back() += c;
    }
  }
  if (quoted) rec.error = "unterminated quoted field";
  return rec;
}

bool is_blank(const CsvRecord& rec) { return rec.error.empty() && rec.fields.size() == 1 && rec.fields[0].empty(); }

std::string clip(std::string_view s) { return std::string(s.substr(0, 64)); }

}  // namespace

bool is_valid_device_serial(std::string_view serial) {
  if (serial.empty() || serial.size() > 64) return false;
  return std::all_of(serial.begin(), serial.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == ':' || c == '+' || c == '=';
  });
}

Result<DeviceAction> parse_device_action(std::string_view name) {
  static constexpr std::array kActions = {DeviceAction::Provision, DeviceAction::Activate, DeviceAction::Suspend,
                                          DeviceAction::Reactivate, DeviceAction::Decommission};
  for (DeviceAction a : kActions) {
    if (device_action_name(a) == name) return a;
  }
  return fail(Errc::InvalidArgument, "unknown device action '" + std::string(name) + "'");
}

std::string_view device_action_name(DeviceAction action) {
  switch (action) {
    case DeviceAction::Provision: return "provision";
    case DeviceAction::Activate: return "activate";
    case DeviceAction::Suspend: return "suspend";
    case DeviceAction::Reactivate: return "reactivate";
    case DeviceAction::Decommission: return "decommission";
  }
  return "unknown";
}

// ---- device types -------------------------------------------------------------------------------

Result<store::DeviceTypeRecord> DeviceRegistry::create_type(const Principal& who, std::string_view tenant_name,
                                                            const DeviceTypeSpec& spec, const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::DeviceManage));
  if (!is_valid_device_serial(spec.name)) {
    return fail(Errc::InvalidArgument, "device type names are 1..64 characters of A-Z a-z 0-9 - . _ : + =");
  }
  if (spec.default_profiles.size() > kMaxTypeListEntries || spec.allowed_manufacturing_cas.size() > kMaxTypeListEntries) {
    return fail(Errc::InvalidArgument, "at most 32 default profiles and 32 manufacturing CAs");
  }
  for (const auto& p : spec.default_profiles) {
    if (!tenant->profiles.contains(p)) return fail(Errc::InvalidArgument, "unknown profile '" + clip(p) + "'");
  }
  for (const auto& ca : spec.allowed_manufacturing_cas) {
    if (!tenant->cas.contains(ca)) return fail(Errc::InvalidArgument, "unknown CA '" + clip(ca) + "'");
  }
  if (spec.mud_url && !is_valid_mud_url(*spec.mud_url)) {
    return fail(Errc::InvalidArgument, "mud_url must be an https URL of at most 255 printable characters (RFC 8520)");
  }
  store::DeviceTypeRecord rec;
  rec.tenant_id = tenant->tenant.id;
  rec.name = spec.name;
  rec.default_profiles_json = nlohmann::json(spec.default_profiles).dump();
  rec.allowed_manufacturing_cas_json = nlohmann::json(spec.allowed_manufacturing_cas).dump();
  rec.mud_url = spec.mud_url;
  rec.created_at = to_unix(authority_.clock().now());
  Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(rec.id, tx.insert_device_type(rec));
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "device_type.create", rec.name, call,
                                            {{"default_profiles", spec.default_profiles},
                                             {"allowed_manufacturing_cas", spec.allowed_manufacturing_cas},
                                             {"mud_url", spec.mud_url ? nlohmann::json(*spec.mud_url) : nullptr}},
                                            rec.created_at));
  });
  if (!written && written.error().code == Errc::AlreadyExists) {
    return fail(Errc::AlreadyExists, "device type '" + spec.name + "' already exists");
  }
  if (!written) return fail(written.error());
  return rec;
}

Result<store::DeviceTypeRecord> DeviceRegistry::get_type(const Principal& who, std::string_view tenant_name,
                                                         std::string_view name) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::DeviceRead));
  FLEETPKI_TRY(auto found, authority_.store().find_device_type(tenant->tenant.id, name));
  if (!found) return fail(type_not_found(name));
  return std::move(*found);
}

Result<store::DeviceTypePage> DeviceRegistry::list_types(const Principal& who, std::string_view tenant_name,
                                                         std::optional<std::int64_t> after_id, int limit) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::DeviceRead));
  if (limit < 1 || limit > 1000) return fail(Errc::InvalidArgument, "limit must be an integer 1..1000");
  return authority_.store().list_device_types(tenant->tenant.id, after_id.value_or(0), limit);
}

// ---- devices ------------------------------------------------------------------------------------

Result<store::DeviceRecord> DeviceRegistry::register_device(const Principal& who, std::string_view tenant_name,
                                                            std::string_view serial, std::optional<std::string> type,
                                                            const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::DeviceManage));
  if (!is_valid_device_serial(serial)) {
    return fail(Errc::InvalidArgument, "device serials are 1..64 characters of A-Z a-z 0-9 - . _ : + =");
  }
  const std::string type_name = type.value_or(kDefaultDeviceType);
  const std::int64_t now = to_unix(authority_.clock().now());
  store::DeviceRecord rec;
  rec.tenant_id = tenant->tenant.id;
  rec.serial = std::string(serial);
  rec.type = type_name;
  rec.state = store::kDeviceRegistered;
  rec.created_at = rec.updated_at = now;
  Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto found_type, tx.find_device_type(rec.tenant_id, type_name));
    if (!found_type) return fail(type_not_found(type_name));
    rec.type_id = found_type->id;
    FLEETPKI_TRY(rec.id, tx.insert_device(rec));
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "device.register", rec.serial, call,
                                            {{"type", type_name}}, now));
  });
  if (!written && written.error().code == Errc::AlreadyExists) {
    return fail(Errc::AlreadyExists, "device '" + rec.serial + "' already exists");
  }
  if (!written) return fail(written.error());
  return rec;
}

Result<DeviceDetails> DeviceRegistry::get(const Principal& who, std::string_view tenant_name,
                                          std::string_view serial) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::DeviceRead));
  if (!is_valid_device_serial(serial)) return fail(device_not_found(serial.substr(0, 64)));
  FLEETPKI_TRY(auto found, authority_.store().find_device(tenant->tenant.id, serial));
  if (!found) return fail(device_not_found(serial));
  DeviceDetails details;
  details.device = std::move(*found);
  FLEETPKI_TRY(details.certificates, authority_.store().list_device_certificates(tenant->tenant.id, serial));
  return details;
}

Result<store::DevicePage> DeviceRegistry::list(const Principal& who, std::string_view tenant_name,
                                               const DeviceListQuery& query) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::DeviceRead));
  if (query.limit < 1 || query.limit > 1000) return fail(Errc::InvalidArgument, "limit must be an integer 1..1000");
  store::DeviceFilter filter;
  filter.limit = query.limit;
  filter.after_id = query.after_id;
  if (query.state) {
    if (!is_device_state(*query.state)) {
      return fail(Errc::InvalidArgument,
                  "state must be registered, provisioned, active, suspended or decommissioned");
    }
    filter.state = query.state;
  }
  if (query.type) {
    FLEETPKI_TRY(auto type, authority_.store().find_device_type(tenant->tenant.id, *query.type));
    if (!type) return fail(type_not_found(*query.type));
    filter.type_id = type->id;
  }
  return authority_.store().list_devices(tenant->tenant.id, filter);
}

Result<store::DeviceRecord> DeviceRegistry::transition(const Principal& who, std::string_view tenant_name,
                                                       std::string_view serial, DeviceAction action,
                                                       const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::DeviceManage));
  if (!is_valid_device_serial(serial)) return fail(device_not_found(serial.substr(0, 64)));
  const std::int64_t tenant_id = tenant->tenant.id;
  for (int attempt = 0;; ++attempt) {
    const std::int64_t now = to_unix(authority_.clock().now());
    store::DeviceRecord result;
    std::size_t cascaded = 0;
    Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(auto found, tx.find_device(tenant_id, serial));
      if (!found) return fail(device_not_found(serial));
      store::DeviceRecord device = std::move(*found);
      auto to = next_state(device.state, action);
      if (!to) {
        return fail(Errc::FailedPrecondition, "device " + device.serial + " is " + device.state + ": cannot " +
                                                  std::string(device_action_name(action)) + " it");
      }
      const std::string from = device.state;
      device.state = std::string(*to);
      device.updated_at = now;
      FLEETPKI_RETURN_IF_ERROR(tx.update_device(device));
      device.row_version += 1;
      FLEETPKI_TRY(cascaded, cascade(tx, who, device, action, call, now));
      FLEETPKI_RETURN_IF_ERROR(tx.append_audit(
          make_audit_event(who, tenant_id, "device." + std::string(device_action_name(action)), device.serial, call,
                           {{"from", from}, {"to", device.state}, {"certificates_changed", cascaded}}, now)));
      result = std::move(device);
      return ok();
    });
    if (!written && written.error().code == Errc::Aborted && attempt + 1 < kMaxAttempts) continue;
    if (!written) return fail(written.error());
    if (cascaded > 0) authority_.notify_status_listeners();
    return result;
  }
}

// ---- CSV import ---------------------------------------------------------------------------------

Result<ImportReport> DeviceRegistry::import_csv(const Principal& who, std::string_view tenant_name,
                                                std::string_view csv, std::optional<std::string> default_type,
                                                ImportLimits limits, const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::DeviceManage));
  if (csv.size() > limits.max_bytes) {
    return fail(Errc::ResourceExhausted, "the CSV file exceeds " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (csv.rfind("\xEF\xBB\xBF", 0) == 0) csv.remove_prefix(3);  // a UTF-8 BOM from spreadsheets
  std::size_t pos = 0, line = 1;
  CsvRecord header = read_record(csv, pos, line);
  const bool with_type = header.fields.size() == 2 && header.fields[1] == "type";
  if (!header.error.empty() || header.fields.empty() || header.fields[0] != "serial" ||
      (header.fields.size() == 2 && !with_type) || header.fields.size() > 2) {
    return fail(Errc::InvalidArgument, "the CSV header must be 'serial' or 'serial,type'");
  }
  std::vector<CsvRecord> rows;
  while (pos < csv.size()) {
    CsvRecord rec = read_record(csv, pos, line);
    if (is_blank(rec)) continue;
    if (rows.size() == limits.max_rows) {
      return fail(Errc::ResourceExhausted, "the CSV file has more than " + std::to_string(limits.max_rows) + " rows");
    }
    rows.push_back(std::move(rec));
  }
  const std::string fallback_type = default_type.value_or(kDefaultDeviceType);
  const std::int64_t tenant_id = tenant->tenant.id;

  ImportReport report;
  std::unordered_set<std::string> seen;
  std::map<std::string, std::optional<std::int64_t>, std::less<>> type_ids;  // name -> id (nullopt: unknown)
  for (std::size_t begin = 0; begin < rows.size(); begin += kImportChunk) {
    const std::size_t end = std::min(rows.size(), begin + kImportChunk);
    const std::int64_t now = to_unix(authority_.clock().now());
    std::vector<ImportRejection> chunk_rejected;
    std::vector<std::string> chunk_seen;
    std::size_t chunk_accepted = 0;
    Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
      // The body may fail as a whole: keep its effects on the report local until it commits.
      chunk_rejected.clear();
      chunk_seen.clear();
      chunk_accepted = 0;
      std::unordered_set<std::string> chunk_seen_set;
      auto rejected = [&](const CsvRecord& rec, std::string reason) {
        chunk_rejected.push_back({rec.line, rec.fields.empty() ? std::string() : clip(rec.fields[0]), std::move(reason)});
      };
      for (std::size_t i = begin; i < end; ++i) {
        const CsvRecord& rec = rows[i];
        if (!rec.error.empty()) {
          rejected(rec, rec.error);
          continue;
        }
        if (rec.fields.size() != (with_type ? 2u : 1u)) {
          rejected(rec, "expected " + std::string(with_type ? "2 columns" : "1 column") + ", found " +
                            std::to_string(rec.fields.size()));
          continue;
        }
        const std::string& serial = rec.fields[0];
        if (serial.empty()) {
          rejected(rec, "empty serial");
          continue;
        }
        if (serial.size() > 64) {
          rejected(rec, "serial longer than 64 characters");
          continue;
        }
        if (!is_valid_device_serial(serial)) {
          rejected(rec, "serial has characters outside A-Z a-z 0-9 - . _ : + =");
          continue;
        }
        if (seen.contains(serial) || chunk_seen_set.contains(serial)) {
          rejected(rec, "duplicate serial in the file");
          continue;
        }
        const std::string type_name = with_type && !rec.fields[1].empty() ? rec.fields[1] : fallback_type;
        auto known = type_ids.find(type_name);
        if (known == type_ids.end()) {
          FLEETPKI_TRY(auto found, tx.find_device_type(tenant_id, type_name));
          known = type_ids.emplace(type_name, found ? std::optional(found->id) : std::nullopt).first;
        }
        if (!known->second) {
          rejected(rec, "unknown device type '" + clip(type_name) + "'");
          continue;
        }
        store::DeviceRecord device;
        device.tenant_id = tenant_id;
        device.serial = serial;
        device.type_id = *known->second;
        device.state = store::kDeviceRegistered;
        device.created_at = device.updated_at = now;
        auto inserted = tx.insert_device(device);
        if (!inserted && inserted.error().code == Errc::AlreadyExists) {
          rejected(rec, "already registered");
          continue;
        }
        if (!inserted) return fail(inserted.error());
        chunk_seen_set.insert(serial);
        chunk_seen.push_back(serial);
        ++chunk_accepted;
      }
      if (chunk_accepted == 0) return ok();
      return tx.append_audit(make_audit_event(who, tenant_id, "device.import", std::string(tenant->tenant.name), call,
                                              {{"accepted", chunk_accepted},
                                               {"first_line", rows[begin].line},
                                               {"last_line", rows[end - 1].line}},
                                              now));
    });
    if (!written) {
      return fail(std::move(written).error().with_context("importing devices after " +
                                                          std::to_string(report.accepted) + " were imported"));
    }
    report.accepted += chunk_accepted;
    for (auto& s : chunk_seen) seen.insert(std::move(s));
    for (auto& r : chunk_rejected) report.rejected.push_back(std::move(r));
  }
  return report;
}

// ---- used inside the Authority's transactions -----------------------------------------------------

Status add_default_device_type(store::Transaction& tx, std::int64_t tenant_id, std::int64_t now) {
  store::DeviceTypeRecord rec;
  rec.tenant_id = tenant_id;
  rec.name = kDefaultDeviceType;
  rec.created_at = now;
  return tx.insert_device_type(rec).map([](std::int64_t) {});
}

Status link_certificate_to_device(store::Transaction& tx, const Principal& who, const store::CertificateRecord& cert,
                                  const CallContext& call, std::int64_t now) {
  const std::string& serial = *cert.device_serial;
  FLEETPKI_TRY(auto found, tx.find_device(cert.tenant_id, serial));
  if (!found) return fail(device_not_found(serial));
  store::DeviceRecord device = std::move(*found);
  if (device.state == store::kDeviceSuspended || device.state == store::kDeviceDecommissioned) {
    return fail(Errc::FailedPrecondition, "device " + serial + " is " + device.state + ": no certificate is issued for it");
  }
  const std::string from = device.state;
  if (cert.profile == kIdevidProfile && device.state == store::kDeviceRegistered) {
    device.state = store::kDeviceProvisioned;
  } else if (cert.profile != kIdevidProfile &&
             (device.state == store::kDeviceProvisioned || device.state == store::kDeviceRegistered)) {
    // An operational certificate makes the device active, also when its birth certificate came
    // from a manufacturer outside the platform (never "provisioned" here).
    device.state = store::kDeviceActive;
  }
  device.last_seen_at = now;
  if (device.state != from) device.updated_at = now;
  FLEETPKI_RETURN_IF_ERROR(tx.update_device(device));
  if (device.state == from) return ok();
  const char* action = device.state == store::kDeviceProvisioned ? "device.provision" : "device.activate";
  return tx.append_audit(make_audit_event(who, cert.tenant_id, action, serial, call,
                                          {{"from", from}, {"to", device.state}, {"certificate", cert.serial_hex}},
                                          now));
}

}  // namespace fleetpki::authority
