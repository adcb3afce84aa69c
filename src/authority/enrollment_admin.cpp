// Administration of EST enrollment (issue #5): endpoints, held enrollments, device OTPs and
// renewal grants. Every entry point authorizes first; every change commits with its audit event.
#include "authority/enrollment_admin.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "authority/audit_event.h"
#include "authority/default_profiles.h"
#include "authority/device_registry.h"
#include "authority/est_enrollment.h"
#include "authority/outside_crl.h"
#include "common/check.h"
#include "pki/csr.h"
#include "pki/pem.h"

namespace fleetpki::authority {
namespace {

// A concurrent writer can only interleave when the store does not serialize writers; retry a few
// times on fresh data before giving up (as device transitions do).
constexpr int kMaxAttempts = 4;
constexpr std::size_t kOtpBytes = 32;
// Used or expired OTPs and renewal grants of a device are deleted when the device gets a new one,
// after this long (the audit log keeps their history).
constexpr std::int64_t kKeepSpentCredentialsSeconds = 30 * 86400;
// Expired credentials of any of the tenant's devices deleted with each new credential: bounded
// work per call, and enough to keep pace since each call adds one row.
constexpr int kPurgeExpiredPerCall = 100;

/// Housekeeping with every new OTP or renewal grant: the device's own spent credentials (used
/// or expired) and a few long-expired ones of the tenant's other devices, so that a device never
/// given another credential does not keep its old ones forever.
Status purge_old_credentials(store::Transaction& tx, std::int64_t tenant_id, const std::string& device_serial,
                             std::int64_t now) {
  const std::int64_t before = now - kKeepSpentCredentialsSeconds;
  FLEETPKI_TRY(auto own, tx.purge_spent_enrollment_credentials(tenant_id, device_serial, before));
  FLEETPKI_TRY(auto others, tx.purge_expired_enrollment_credentials(tenant_id, before, kPurgeExpiredPerCall));
  (void)own, (void)others;
  return ok();
}

Error endpoint_not_found(std::string_view label) {
  return make_error(Errc::NotFound, "enrollment endpoint '" + std::string(label.substr(0, 63)) + "' not found");
}

Error request_not_found(std::int64_t id) {
  return make_error(Errc::NotFound, "enrollment request " + std::to_string(id) + " not found");
}

Error device_not_found(std::string_view serial) {
  return make_error(Errc::NotFound, "device '" + std::string(serial.substr(0, 64)) + "' not found");
}

Status check_limit(int limit) {
  if (limit < 1 || limit > 1000) return fail(Errc::InvalidArgument, "limit must be an integer 1..1000");
  return ok();
}

std::string sha256_hex(ByteView data) { return to_hex(hash_token_secret(data)); }

/// The endpoint's policy for the audit log: the definition with the trust anchors replaced by
/// their SHA-256 fingerprints (the PEM would make every event kilobytes long).
nlohmann::json audit_definition(const EndpointSpec& spec) {
  nlohmann::json j = nlohmann::json::parse(spec.to_json());
  if (!spec.trust_anchors_pem.empty()) {
    nlohmann::json fingerprints = nlohmann::json::array();
    if (auto ders = pki::pem_decode_all(spec.trust_anchors_pem, "CERTIFICATE")) {
      for (const Bytes& der : *ders) fingerprints.push_back(sha256_hex(der));
    }
    j.erase("trust_anchors_pem");
    j["trust_anchors_sha256"] = std::move(fingerprints);
  }
  return j;
}

/// A stored definition: written by EndpointSpec::to_json, so a failure is corruption.
Result<EndpointSpec> stored_spec(const store::EnrollmentEndpointRecord& rec) {
  auto spec = EndpointSpec::from_json(rec.definition_json);
  if (!spec) {
    return fail(Errc::DataLoss, "enrollment endpoint '" + rec.label + "' has an unreadable definition",
                spec.error().message);
  }
  return spec;
}

Result<EndpointView> view_of(store::EnrollmentEndpointRecord rec) {
  FLEETPKI_TRY(auto spec, stored_spec(rec));
  return EndpointView{std::move(rec), std::move(spec)};
}

bool is_request_state(std::string_view s) {
  return s == store::kEnrollmentPending || s == store::kEnrollmentIssued || s == store::kEnrollmentRejected;
}

Status require_pending(const store::EnrollmentRequestRecord& request, std::string_view verb) {
  if (request.state == store::kEnrollmentPending) return ok();
  return fail(Errc::FailedPrecondition, "enrollment request " + std::to_string(request.id) + " is " + request.state +
                                            ": only a pending request can be " + std::string(verb));
}

Status check_ttl(std::chrono::seconds ttl, std::string_view what) {
  if (ttl < std::chrono::seconds(1) || ttl > kMaxEnrollmentCredentialTtl) {
    return fail(Errc::InvalidArgument, std::string(what) + " validity must be 1 s .. 30 days");
  }
  return ok();
}

/// RFC 4648 §5 base64url without padding.
std::string base64url(ByteView data) {
  std::string out((data.size() + 2) / 3 * 4, '\0');
  const int n = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                  static_cast<int>(data.size()));
  FLEETPKI_CHECK(n >= 0 && static_cast<std::size_t>(n) == out.size(), "EVP_EncodeBlock writes 4 per 3 bytes");
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

bool is_printable_reason(std::string_view reason) {
  return std::none_of(reason.begin(), reason.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

Bytes hash_enrollment_otp(std::string_view otp) { return hash_token_secret(as_bytes(otp)); }

EndpointSpec default_enrollment_endpoint_spec() {
  EndpointSpec spec;
  spec.profile = "ldevid";
  spec.trusted_cas = {kManufacturingCa};
  spec.auth = {EstAuthMode::Idevid, EstAuthMode::Ldevid, EstAuthMode::Otp};
  spec.approval = EstApproval::Automatic;
  spec.unknown_devices = EstUnknownDevices::Reject;
  spec.linking = EstLinking::Optional;
  spec.server_keygen = true;
  spec.retry_after_seconds = 60;
  return spec;
}

// ---- endpoints --------------------------------------------------------------------------------------

namespace {

/// Names the spec uses must exist in the tenant: the profile in force (and not a CA profile: EST
/// issues end-entity certificates), the trusted CAs, the device type.
Status check_against_tenant(Authority& authority, const TenantRuntime& tenant, const EndpointSpec& spec) {
  auto profile = tenant.profiles.find(spec.profile);
  if (profile == tenant.profiles.end()) {
    return fail(Errc::InvalidArgument, "unknown profile '" + spec.profile + "'");
  }
  if (profile->second->retired) return fail(Errc::InvalidArgument, "profile '" + spec.profile + "' is retired");
  if (profile->second->profile.ca_certificate) {
    return fail(Errc::InvalidArgument, "profile '" + spec.profile + "' issues CA certificates: not over EST");
  }
  if (!spec.trusted_cas.empty()) {
    FLEETPKI_TRY(auto cas, authority.store().list_cas(tenant.tenant.id));
    for (const auto& name : spec.trusted_cas) {
      if (std::none_of(cas.begin(), cas.end(), [&](const store::CaRecord& ca) { return ca.name == name; })) {
        return fail(Errc::InvalidArgument, "unknown CA '" + name + "' in trusted_cas");
      }
    }
  }
  if (spec.device_type) {
    FLEETPKI_TRY(auto type, authority.store().find_device_type(tenant.tenant.id, *spec.device_type));
    if (!type) return fail(Errc::InvalidArgument, "unknown device type '" + *spec.device_type + "'");
  }
  return ok();
}

/// The spec as from_json would have produced it: programmatic specs obey the JSON rules too.
Result<EndpointSpec> canonical(const EndpointSpec& spec) { return EndpointSpec::from_json(spec.to_json()); }

}  // namespace

Result<EndpointView> EnrollmentAdmin::create_endpoint(const Principal& who, std::string_view tenant_name,
                                                      std::string_view label, const EndpointSpec& requested,
                                                      const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentManage));
  if (!is_valid_enrollment_label(label)) {
    return fail(Errc::InvalidArgument, "enrollment endpoint labels are 1..63 characters of a-z, 0-9 and '-' and "
                                       "not an EST operation name");
  }
  FLEETPKI_TRY(EndpointSpec spec, canonical(requested));
  FLEETPKI_RETURN_IF_ERROR(check_against_tenant(authority_, *tenant, spec));
  const std::int64_t now = to_unix(authority_.clock().now());
  store::EnrollmentEndpointRecord rec;
  rec.tenant_id = tenant->tenant.id;
  rec.label = std::string(label);
  rec.definition_json = spec.to_json();
  rec.created_at = rec.updated_at = now;
  const Error taken = make_error(Errc::AlreadyExists, "enrollment endpoint label '" + rec.label + "' is taken");
  Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
    // Labels are unique platform-wide: another tenant's label is taken too.
    FLEETPKI_TRY(auto existing, tx.find_enrollment_endpoint(rec.label));
    if (existing) return fail(taken);
    FLEETPKI_TRY(rec.id, tx.insert_enrollment_endpoint(rec));
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "enrollment_endpoint.create", rec.label, call,
                                            {{"definition", audit_definition(spec)}}, now));
  });
  if (!written && written.error().code == Errc::AlreadyExists) return fail(taken);
  if (!written) return fail(written.error());
  authority_.est().invalidate(rec.label);
  return EndpointView{std::move(rec), std::move(spec)};
}

Result<EndpointView> EnrollmentAdmin::update_endpoint(const Principal& who, std::string_view tenant_name,
                                                      std::string_view label, const EndpointSpec& requested,
                                                      const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentManage));
  FLEETPKI_TRY(EndpointSpec spec, canonical(requested));
  const std::int64_t tenant_id = tenant->tenant.id;
  // The names are checked against the caller's tenant only, so a bad body says nothing about
  // labels of other tenants.
  FLEETPKI_RETURN_IF_ERROR(check_against_tenant(authority_, *tenant, spec));
  for (int attempt = 0;; ++attempt) {
    const std::int64_t now = to_unix(authority_.clock().now());
    store::EnrollmentEndpointRecord result;
    Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(auto found, tx.find_enrollment_endpoint(label));
      if (!found || found->tenant_id != tenant_id) return fail(endpoint_not_found(label));
      store::EnrollmentEndpointRecord rec = std::move(*found);
      auto before = EndpointSpec::from_json(rec.definition_json);
      rec.definition_json = spec.to_json();
      rec.updated_at = now;
      FLEETPKI_RETURN_IF_ERROR(tx.update_enrollment_endpoint(rec));
      rec.row_version += 1;
      nlohmann::json details = {{"definition", audit_definition(spec)}};
      if (before) details["previous"] = audit_definition(*before);
      FLEETPKI_RETURN_IF_ERROR(
          tx.append_audit(make_audit_event(who, tenant_id, "enrollment_endpoint.update", rec.label, call, details,
                                           now)));
      result = std::move(rec);
      return ok();
    });
    if (!written && written.error().code == Errc::Aborted && attempt + 1 < kMaxAttempts) continue;
    if (!written) return fail(written.error());
    authority_.est().invalidate(result.label);
    return EndpointView{std::move(result), std::move(spec)};
  }
}

Result<EndpointView> EnrollmentAdmin::set_endpoint_disabled(const Principal& who, std::string_view tenant_name,
                                                            std::string_view label, bool disabled,
                                                            const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentManage));
  const std::int64_t tenant_id = tenant->tenant.id;
  for (int attempt = 0;; ++attempt) {
    const std::int64_t now = to_unix(authority_.clock().now());
    store::EnrollmentEndpointRecord result;
    bool changed = false;
    Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
      changed = false;
      FLEETPKI_TRY(auto found, tx.find_enrollment_endpoint(label));
      if (!found || found->tenant_id != tenant_id) return fail(endpoint_not_found(label));
      store::EnrollmentEndpointRecord rec = std::move(*found);
      if (rec.disabled != disabled) {
        rec.disabled = disabled;
        rec.updated_at = now;
        FLEETPKI_RETURN_IF_ERROR(tx.update_enrollment_endpoint(rec));
        rec.row_version += 1;
        FLEETPKI_RETURN_IF_ERROR(tx.append_audit(make_audit_event(
            who, tenant_id, disabled ? "enrollment_endpoint.disable" : "enrollment_endpoint.enable", rec.label, call,
            nlohmann::json::object(), now)));
        changed = true;
      }
      result = std::move(rec);
      return ok();
    });
    if (!written && written.error().code == Errc::Aborted && attempt + 1 < kMaxAttempts) continue;
    if (!written) return fail(written.error());
    if (changed) authority_.est().invalidate(result.label);
    return view_of(std::move(result));
  }
}

Result<EndpointView> EnrollmentAdmin::get_endpoint(const Principal& who, std::string_view tenant_name,
                                                   std::string_view label) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentRead));
  if (!is_valid_enrollment_label(label)) return fail(endpoint_not_found(label));
  FLEETPKI_TRY(auto found, authority_.store().find_enrollment_endpoint(label));
  if (!found || found->tenant_id != tenant->tenant.id) return fail(endpoint_not_found(label));
  return view_of(std::move(*found));
}

// ---- CRLs of outside trust anchors --------------------------------------------------------------

namespace {

/// Whether cRLNumber `a` (hex, no sign) is greater than `b`.
bool crl_number_greater(const std::string& a, const std::string& b) {
  auto strip = [](const std::string& s) {
    const auto first = s.find_first_not_of('0');
    return first == std::string::npos ? std::string() : s.substr(first);
  };
  const std::string x = strip(a), y = strip(b);
  return x.size() != y.size() ? x.size() > y.size() : x > y;
}

/// The replacement rule: a newer CRL of the same issuer only.
Status check_not_older(const store::EndpointCrlRecord& stored, const store::EndpointCrlRecord& fresh) {
  const bool numbered = stored.crl_number && fresh.crl_number;
  const bool newer = numbered ? crl_number_greater(*fresh.crl_number, *stored.crl_number)
                              : fresh.this_update > stored.this_update;
  if (newer) return ok();
  return fail(Errc::FailedPrecondition,
              numbered ? "the stored CRL of this issuer has cRLNumber " + *stored.crl_number +
                             ": only a higher number replaces it"
                       : "the stored CRL of this issuer is as recent or newer (thisUpdate " +
                             std::to_string(stored.this_update) + "): only a later one replaces it");
}

}  // namespace

Result<EndpointCrlView> EnrollmentAdmin::put_endpoint_crl(const Principal& who, std::string_view tenant_name,
                                                          std::string_view label, ByteView crl, const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentManage));
  if (!is_valid_enrollment_label(label)) return fail(endpoint_not_found(label));
  FLEETPKI_TRY(auto found, authority_.store().find_enrollment_endpoint(label));
  if (!found || found->tenant_id != tenant->tenant.id) return fail(endpoint_not_found(label));
  FLEETPKI_TRY(auto spec, stored_spec(*found));
  if (spec.trust_anchors_pem.empty()) {
    return fail(Errc::FailedPrecondition, "enrollment endpoint '" + found->label +
                                              "' has no outside trust anchor (trust_anchors_pem) to take a CRL for");
  }
  FLEETPKI_TRY(auto anchors, pki::pem_decode_all(spec.trust_anchors_pem, "CERTIFICATE"));
  Bytes der;
  const std::string_view text = as_chars(crl);
  if (text.substr(0, 5) == "-----") {
    FLEETPKI_TRY(der, pki::pem_decode(text, {"X509 CRL"}));
  } else {
    der.assign(crl.begin(), crl.end());
  }
  FLEETPKI_TRY(auto parsed, parse_outside_crl(authority_.crypto(), der, anchors));
  const std::int64_t now = to_unix(authority_.clock().now());
  constexpr std::int64_t kClockSkew = 300;
  if (parsed.this_update > now + kClockSkew) {
    return fail(Errc::InvalidArgument, "the CRL's thisUpdate is in the future");
  }
  EndpointCrlView view;
  store::EndpointCrlRecord& rec = view.record;
  rec.tenant_id = tenant->tenant.id;
  rec.endpoint_id = found->id;
  rec.issuer_sha256 = parsed.issuer_sha256;
  rec.crl_der = std::move(der);
  rec.crl_number = parsed.crl_number;
  rec.this_update = parsed.this_update;
  rec.next_update = parsed.next_update;
  rec.revoked_count = parsed.revoked_count;
  rec.created_at = now;
  view.issuer_subject = parsed.issuer_subject;
  Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto stored, tx.find_endpoint_crl(rec.tenant_id, rec.endpoint_id, rec.issuer_sha256));
    if (stored && stored->crl_der == rec.crl_der) {
      rec = std::move(*stored);  // the same CRL again: nothing to write
      view.changed = false;
      return ok();
    }
    if (stored) FLEETPKI_RETURN_IF_ERROR(check_not_older(*stored, rec));
    FLEETPKI_RETURN_IF_ERROR(tx.put_endpoint_crl(rec));
    nlohmann::json details = {{"issuer", view.issuer_subject},
                              {"issuer_sha256", rec.issuer_sha256},
                              {"crl_number", rec.crl_number ? nlohmann::json(*rec.crl_number) : nlohmann::json()},
                              {"this_update", rec.this_update},
                              {"next_update", rec.next_update ? nlohmann::json(*rec.next_update) : nlohmann::json()},
                              {"revoked_count", rec.revoked_count}};
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "enrollment_endpoint.crl_upload", found->label, call,
                                            details, now));
  });
  if (!written) return fail(written.error());
  if (view.changed) authority_.est().invalidate(found->label);
  return view;
}

Result<std::vector<EndpointCrlView>> EnrollmentAdmin::list_endpoint_crls(const Principal& who,
                                                                         std::string_view tenant_name,
                                                                         std::string_view label) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentRead));
  if (!is_valid_enrollment_label(label)) return fail(endpoint_not_found(label));
  FLEETPKI_TRY(auto found, authority_.store().find_enrollment_endpoint(label));
  if (!found || found->tenant_id != tenant->tenant.id) return fail(endpoint_not_found(label));
  FLEETPKI_TRY(auto spec, stored_spec(*found));
  std::vector<Bytes> anchors;
  if (!spec.trust_anchors_pem.empty()) {
    FLEETPKI_TRY(anchors, pki::pem_decode_all(spec.trust_anchors_pem, "CERTIFICATE"));
  }
  FLEETPKI_TRY(auto records, authority_.store().list_endpoint_crls(tenant->tenant.id, found->id));
  std::vector<EndpointCrlView> out;
  for (auto& rec : records) {
    EndpointCrlView view;
    auto parsed = parse_outside_crl(authority_.crypto(), rec.crl_der, anchors);
    view.in_use = parsed.has_value() && parsed->issuer_sha256 == rec.issuer_sha256;
    if (parsed) view.issuer_subject = parsed->issuer_subject;
    view.record = std::move(rec);
    out.push_back(std::move(view));
  }
  return out;
}

Result<store::Page<EndpointView>> EnrollmentAdmin::list_endpoints(const Principal& who, std::string_view tenant_name,
                                                                  std::int64_t after, int limit) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentRead));
  FLEETPKI_RETURN_IF_ERROR(check_limit(limit));
  FLEETPKI_TRY(auto page, authority_.store().list_enrollment_endpoints(tenant->tenant.id,
                                                                       std::max<std::int64_t>(after, 0), limit));
  store::Page<EndpointView> out;
  out.next_after = page.next_after;
  out.items.reserve(page.items.size());
  for (auto& rec : page.items) {
    FLEETPKI_TRY(auto view, view_of(std::move(rec)));
    out.items.push_back(std::move(view));
  }
  return out;
}

// ---- held enrollments -------------------------------------------------------------------------------

Result<store::Page<store::EnrollmentRequestRecord>> EnrollmentAdmin::list_requests(const Principal& who,
                                                                                   std::string_view tenant_name,
                                                                                   std::optional<std::string> state,
                                                                                   std::int64_t after, int limit) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentRead));
  FLEETPKI_RETURN_IF_ERROR(check_limit(limit));
  if (state && !is_request_state(*state)) {
    return fail(Errc::InvalidArgument, "state must be pending, issued or rejected");
  }
  return authority_.store().list_enrollment_requests(tenant->tenant.id, std::move(state),
                                                     std::max<std::int64_t>(after, 0), limit);
}

Result<store::EnrollmentRequestRecord> EnrollmentAdmin::get_request(const Principal& who, std::string_view tenant_name,
                                                                    std::int64_t id) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentRead));
  FLEETPKI_TRY(auto found, authority_.store().find_enrollment_request(tenant->tenant.id, id));
  if (!found) return fail(request_not_found(id));
  return std::move(*found);
}

Result<store::EnrollmentRequestRecord> EnrollmentAdmin::approve_request(const Principal& who,
                                                                        std::string_view tenant_name, std::int64_t id,
                                                                        const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentApprove));
  const std::int64_t tenant_id = tenant->tenant.id;
  // Issuing and recording are two commits: one approval at a time keeps a request from being
  // issued twice by two operators of this process.
  std::lock_guard lock(approve_mutex_);
  FLEETPKI_TRY(auto found, authority_.store().find_enrollment_request(tenant_id, id));
  if (!found) return fail(request_not_found(id));
  const store::EnrollmentRequestRecord request = std::move(*found);
  FLEETPKI_RETURN_IF_ERROR(require_pending(request, "approved"));
  if (request.auth_mode == est_auth_mode_name(EstAuthMode::Ldevid)) {
    return fail(Errc::FailedPrecondition, "enrollment request " + std::to_string(id) +
                                              " is a re-enrollment: those are never held for approval");
  }
  // The endpoint by id: the first of the tenant's endpoints after id - 1.
  FLEETPKI_TRY(auto endpoints, authority_.store().list_enrollment_endpoints(tenant_id, request.endpoint_id - 1, 1));
  if (endpoints.items.empty() || endpoints.items.front().id != request.endpoint_id) {
    return fail(Errc::DataLoss, "the endpoint of enrollment request " + std::to_string(id) + " is missing");
  }
  const store::EnrollmentEndpointRecord endpoint = std::move(endpoints.items.front());
  FLEETPKI_TRY(const EndpointSpec spec, stored_spec(endpoint));

  CallContext issue_call = call;
  issue_call.audit_details.emplace_back("enrollment_request", std::to_string(id));
  issue_call.audit_details.emplace_back("endpoint", endpoint.label);
  issue_call.audit_details.emplace_back("auth_mode", request.auth_mode);
  issue_call.audit_details.emplace_back("identity", request.identity);

  const std::string& serial = request.device_serial;
  FLEETPKI_TRY(auto device, authority_.store().find_device(tenant_id, serial));
  bool registered = false;
  if (!device) {
    if (spec.unknown_devices != EstUnknownDevices::Manual) {
      return fail(Errc::FailedPrecondition, "device '" + serial + "' is not registered and endpoint '" + endpoint.label +
                                                "' does not register unknown devices: register it first");
    }
    auto added = authority_.devices().register_device(who, tenant_name, serial, spec.device_type, issue_call);
    if (!added && added.error().code != Errc::AlreadyExists) {
      return fail(std::move(added).error().with_context("registering device " + serial));
    }
    registered = added.has_value();
  } else if (spec.device_type && device->type != *spec.device_type) {
    return fail(Errc::FailedPrecondition, "device '" + serial + "' is of type '" + device->type + "', endpoint '" +
                                              endpoint.label + "' enrolls type '" + *spec.device_type + "'");
  }

  FLEETPKI_TRY(auto csr, pki::Csr::from_der(authority_.crypto(), request.csr_der));
  FLEETPKI_TRY(auto issued, authority_.issue_parsed(who, Permission::CertificateIssue, tenant_name, spec.profile, csr,
                                                     serial, nullptr, issue_call));
  const std::string& certificate = issued.record.serial_hex;

  store::EnrollmentRequestRecord result;
  Status written = ok();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const std::int64_t now = to_unix(authority_.clock().now());
    written = authority_.store().write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(auto current, tx.find_enrollment_request(tenant_id, id));
      if (!current) return fail(request_not_found(id));
      store::EnrollmentRequestRecord rec = std::move(*current);
      FLEETPKI_RETURN_IF_ERROR(require_pending(rec, "approved"));
      rec.state = store::kEnrollmentIssued;
      rec.certificate_serial = certificate;
      rec.decided_by = who.id;
      rec.decided_at = now;
      rec.reason.reset();
      FLEETPKI_RETURN_IF_ERROR(tx.update_enrollment_request(rec));
      rec.row_version += 1;
      FLEETPKI_RETURN_IF_ERROR(tx.append_audit(make_audit_event(
          who, tenant_id, "enrollment_request.approve", std::to_string(id), call,
          {{"device", serial}, {"endpoint", endpoint.label}, {"certificate", certificate},
           {"device_registered", registered}},
          now)));
      result = std::move(rec);
      return ok();
    });
    if (written || written.error().code != Errc::Aborted) break;
  }
  if (!written) {
    // Decided elsewhere meanwhile (another process), or not recorded: the device would never
    // receive this certificate, so it must not stay valid.
    auto revoked = authority_.revoke(who, tenant_name, certificate, pki::CrlReason::Superseded, std::nullopt, call);
    Error error = std::move(written).error();
    if (!revoked) {
      error.detail += " (revoking the unrecorded certificate " + certificate + " failed: " +
                      revoked.error().message + ")";
    }
    return fail(std::move(error));
  }
  return result;
}

Result<store::EnrollmentRequestRecord> EnrollmentAdmin::reject_request(const Principal& who,
                                                                       std::string_view tenant_name, std::int64_t id,
                                                                       std::string_view reason,
                                                                       const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentApprove));
  if (reason.size() > kMaxRejectionReason || !is_printable_reason(reason)) {
    return fail(Errc::InvalidArgument, "the reason is at most 512 bytes without control characters");
  }
  const std::int64_t tenant_id = tenant->tenant.id;
  std::lock_guard lock(approve_mutex_);
  for (int attempt = 0;; ++attempt) {
    const std::int64_t now = to_unix(authority_.clock().now());
    store::EnrollmentRequestRecord result;
    Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(auto found, tx.find_enrollment_request(tenant_id, id));
      if (!found) return fail(request_not_found(id));
      store::EnrollmentRequestRecord rec = std::move(*found);
      FLEETPKI_RETURN_IF_ERROR(require_pending(rec, "rejected"));
      rec.state = store::kEnrollmentRejected;
      rec.decided_by = who.id;
      rec.decided_at = now;
      rec.reason = reason.empty() ? std::nullopt : std::optional<std::string>(reason);
      FLEETPKI_RETURN_IF_ERROR(tx.update_enrollment_request(rec));
      rec.row_version += 1;
      FLEETPKI_RETURN_IF_ERROR(tx.append_audit(make_audit_event(
          who, tenant_id, "enrollment_request.reject", std::to_string(id), call,
          {{"device", rec.device_serial}, {"reason", reason}}, now)));
      result = std::move(rec);
      return ok();
    });
    if (!written && written.error().code == Errc::Aborted && attempt + 1 < kMaxAttempts) continue;
    if (!written) return fail(written.error());
    return result;
  }
}

// ---- device credentials -----------------------------------------------------------------------------

Result<CreatedOtp> EnrollmentAdmin::create_otp(const Principal& who, std::string_view tenant_name,
                                               std::string_view device_serial, std::chrono::seconds ttl,
                                               const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentApprove));
  FLEETPKI_RETURN_IF_ERROR(check_ttl(ttl, "a one-time password's"));
  if (!is_valid_device_serial(device_serial)) return fail(device_not_found(device_serial));
  SecureBytes secret(kOtpBytes);
  if (::RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return fail(Errc::Internal, "random generator failed");
  }
  CreatedOtp created;
  created.otp = base64url(secret.view());
  const std::int64_t now = to_unix(authority_.clock().now());
  store::EnrollmentOtpRecord& rec = created.record;
  rec.tenant_id = tenant->tenant.id;
  rec.device_serial = std::string(device_serial);
  rec.secret_hash = hash_enrollment_otp(created.otp);
  rec.created_at = now;
  rec.expires_at = now + ttl.count();
  rec.created_by = who.id;
  Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto device, tx.find_device(rec.tenant_id, rec.device_serial));
    if (!device) return fail(device_not_found(rec.device_serial));
    if (device->state == store::kDeviceSuspended || device->state == store::kDeviceDecommissioned) {
      return fail(Errc::FailedPrecondition, "device " + rec.device_serial + " is " + device->state +
                                                ": no one-time password is made for it");
    }
    FLEETPKI_RETURN_IF_ERROR(purge_old_credentials(tx, rec.tenant_id, rec.device_serial, now));
    FLEETPKI_TRY(rec.id, tx.insert_enrollment_otp(rec));
    // Never the secret nor its hash.
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "enrollment_otp.create", rec.device_serial, call,
                                            {{"otp_id", rec.id}, {"expires_at", rec.expires_at}}, now));
  });
  if (!written) return fail(written.error());
  return created;
}

Result<store::RenewalGrantRecord> EnrollmentAdmin::grant_renewal(const Principal& who, std::string_view tenant_name,
                                                                 std::string_view device_serial,
                                                                 std::chrono::seconds ttl, const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::EnrollmentApprove));
  FLEETPKI_RETURN_IF_ERROR(check_ttl(ttl, "a renewal grant's"));
  if (!is_valid_device_serial(device_serial)) return fail(device_not_found(device_serial));
  const std::int64_t now = to_unix(authority_.clock().now());
  store::RenewalGrantRecord rec;
  rec.tenant_id = tenant->tenant.id;
  rec.device_serial = std::string(device_serial);
  rec.created_at = now;
  rec.expires_at = now + ttl.count();
  rec.created_by = who.id;
  Status written = authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto device, tx.find_device(rec.tenant_id, rec.device_serial));
    if (!device) return fail(device_not_found(rec.device_serial));
    if (device->state == store::kDeviceDecommissioned) {
      return fail(Errc::FailedPrecondition, "device " + rec.device_serial + " is decommissioned");
    }
    FLEETPKI_RETURN_IF_ERROR(purge_old_credentials(tx, rec.tenant_id, rec.device_serial, now));
    FLEETPKI_TRY(rec.id, tx.insert_renewal_grant(rec));
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "renewal_grant.create", rec.device_serial, call,
                                            {{"grant_id", rec.id}, {"expires_at", rec.expires_at}}, now));
  });
  if (!written) return fail(written.error());
  return rec;
}

// ---- inside the Authority's transactions --------------------------------------------------------------

Status add_default_enrollment_endpoint(store::Transaction& tx, std::int64_t tenant_id, std::int64_t now) {
  auto existing = tx.find_enrollment_endpoint(kDefaultEnrollmentLabel);
  if (!existing && existing.error().code == Errc::Unimplemented) return ok();  // a store without EST
  if (!existing) return fail(existing.error());
  if (*existing) return ok();  // taken (e.g. by migration 0008 for a recreated tenant)
  store::EnrollmentEndpointRecord rec;
  rec.tenant_id = tenant_id;
  rec.label = kDefaultEnrollmentLabel;
  rec.definition_json = default_enrollment_endpoint_spec().to_json();
  rec.created_at = rec.updated_at = now;
  return tx.insert_enrollment_endpoint(rec).map([](std::int64_t) {});
}

}  // namespace fleetpki::authority
