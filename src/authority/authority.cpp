#include "authority/authority.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <future>
#include <set>

#include "authority/audit_event.h"
#include "authority/audit_log.h"
#include "authority/enrollment_admin.h"
#include "authority/est_enrollment.h"
#include "authority/ca_factory.h"
#include "authority/device_registry.h"
#include "authority/profile_catalog.h"
#include "authority/slug.h"
#include "authority/tenant_admin.h"
#include "authority/crl_partition.h"
#include "authority/default_profiles.h"
#include "authority/issuance_policy.h"
#include "pki/asn1_time.h"
#include "pki/csr.h"
#include "pki/extensions.h"
#include "pki/pem.h"
#include "pki/public_key.h"
#include "pki/serial_number.h"

namespace fleetpki::authority {
namespace {

constexpr int kMaxSerialAttempts = 4;
// RFC 5280 leaves clock skew to the CA; five minutes covers devices with drifting clocks.
constexpr auto kBackdate = std::chrono::minutes(5);

Result<std::string> random_suffix() {
  Bytes b(4);
  if (::RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return fail(Errc::Internal, "random generator failed");
  return to_hex(b);
}

Status refuse_unless_platform_admin(const Principal& who) {
  if (who.tenant_id || who.role != Role::Admin) {
    return fail(Errc::PermissionDenied, "only a platform administrator may do this");
  }
  return ok();
}

}  // namespace

bool is_valid_tenant_name(std::string_view name) { return is_valid_slug(name); }

Authority::Authority(AuthorityDeps deps, AuthorityOptions options)
    : deps_(deps),
      options_(std::move(options)),
      committer_(deps.store),
      tenant_admin_(std::make_unique<TenantAdmin>(*this)),
      devices_(std::make_unique<DeviceRegistry>(*this)),
      profiles_(std::make_unique<ProfileCatalog>(*this)),
      audit_(std::make_unique<AuditLog>(*this)),
      enrollment_admin_(std::make_unique<EnrollmentAdmin>(*this)),
      est_(std::make_unique<EstEnrollment>(*this)) {}

Authority::~Authority() = default;

Result<std::unique_ptr<Authority>> Authority::create(AuthorityDeps deps, AuthorityOptions options) {
  while (!options.public_base_url.empty() && options.public_base_url.back() == '/') {
    options.public_base_url.pop_back();
  }
  if (options.public_base_url.rfind("http://", 0) != 0 && options.public_base_url.rfind("https://", 0) != 0) {
    return fail(Errc::InvalidArgument, "public URL must start with http:// or https://");
  }
  return std::unique_ptr<Authority>(new Authority(deps, std::move(options)));
}

std::string Authority::certificate_pem(const store::CertificateRecord& record) {
  return pki::pem_encode(record.der, "CERTIFICATE");
}

// ---- tenants ---------------------------------------------------------------------------------

Status Authority::create_tenant(const Principal& who, std::string_view name, const CallContext& call) {
  FLEETPKI_RETURN_IF_ERROR(refuse_unless_platform_admin(who));
  if (!is_valid_tenant_name(name)) {
    return fail(Errc::InvalidArgument, "tenant names are 1..63 characters of a-z, 0-9 and '-'");
  }
  FLEETPKI_TRY(auto existing, deps_.store.find_tenant(name));
  if (existing) return fail(Errc::AlreadyExists, "tenant '" + std::string(name) + "' already exists");

  const std::string tenant(name);
  FLEETPKI_TRY(std::string suffix, random_suffix());
  FLEETPKI_TRY(std::string root_ref, deps_.vault.generate(keys::KeyAlgorithm::EcP384, tenant + "-root-" + suffix));
  FLEETPKI_TRY(std::string issuing_ref, deps_.vault.generate(keys::KeyAlgorithm::EcP256, tenant + "-issuing-" + suffix));
  FLEETPKI_TRY(std::string mfg_ref, deps_.vault.generate(keys::KeyAlgorithm::EcP256, tenant + "-manufacturing-" + suffix));
  FLEETPKI_TRY(auto root_key, deps_.vault.open_signer(root_ref));
  FLEETPKI_TRY(auto issuing_key, deps_.vault.open_signer(issuing_ref));
  FLEETPKI_TRY(auto mfg_key, deps_.vault.open_signer(mfg_ref));

  const std::string org = "fleetpki tenant " + tenant;
  FLEETPKI_TRY(auto root, make_root_certificate(deps_.crypto, deps_.clock, *root_key,
                                                {.common_name = "fleetpki " + tenant + " Root CA (development)",
                                                 .organization = org, .validity_days = 20 * 365, .path_len = std::nullopt}));
  FLEETPKI_TRY(auto issuing, make_intermediate_certificate(deps_.crypto, deps_.clock, root, *root_key, *issuing_key,
                                                           {.common_name = "fleetpki " + tenant + " Issuing CA",
                                                            .organization = org, .validity_days = 10 * 365, .path_len = 0}));
  FLEETPKI_TRY(auto mfg, make_intermediate_certificate(deps_.crypto, deps_.clock, root, *root_key, *mfg_key,
                                                       {.common_name = "fleetpki " + tenant + " Manufacturing CA",
                                                        .organization = org, .validity_days = 10 * 365, .path_len = 0}));
  const std::int64_t now = to_unix(deps_.clock.now());
  return deps_.store.write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto t, tx.insert_tenant(tenant, now));
    store::CaRecord ca;
    ca.tenant_id = t.id;
    ca.created_at = now;
    ca.name = kRootCa;
    ca.key_ref = root_ref;
    ca.certificate_der = root.der();
    FLEETPKI_TRY(std::int64_t root_id, tx.insert_ca(ca));
    ca.parent_id = root_id;
    ca.name = kIssuingCa;
    ca.key_ref = issuing_ref;
    ca.certificate_der = issuing.der();
    FLEETPKI_RETURN_IF_ERROR(tx.insert_ca(ca));
    ca.name = kManufacturingCa;
    ca.key_ref = mfg_ref;
    ca.certificate_der = mfg.der();
    FLEETPKI_RETURN_IF_ERROR(tx.insert_ca(ca));
    for (const Profile& p : default_profiles()) {
      store::ProfileRecord rec;
      rec.tenant_id = t.id;
      rec.name = p.name;
      rec.version = p.version;
      rec.definition_json = p.to_json();
      rec.created_at = now;
      FLEETPKI_RETURN_IF_ERROR(tx.insert_profile(rec));
    }
    FLEETPKI_RETURN_IF_ERROR(add_default_device_type(tx, t.id, now));
    // The tenant "default" answers the label-less EST path (/.well-known/est/<operation>).
    if (tenant == "default") {
      FLEETPKI_RETURN_IF_ERROR(add_default_enrollment_endpoint(tx, t.id, now));
    }
    return tx.append_audit(make_audit_event(who, t.id, "tenant.create", tenant, call,
                                       {{"root_ca", root.subject_string()}}, now));
  });
}

Result<std::shared_ptr<const TenantRuntime>> Authority::tenant_runtime(std::string_view name) {
  {
    std::shared_lock lock(tenants_mutex_);
    auto it = tenants_.find(name);
    if (it != tenants_.end()) return it->second;
  }
  const std::uint64_t generation = tenants_generation_.load();
  FLEETPKI_TRY(auto runtime, load_tenant(name));
  std::unique_lock lock(tenants_mutex_);
  // An invalidation while loading means the load may have read the old state: use it for this
  // call only, do not cache it.
  if (tenants_generation_.load() != generation) return runtime;
  auto [it, inserted] = tenants_.emplace(std::string(name), runtime);
  return it->second;
}

void Authority::invalidate_tenant(std::string_view name) {
  std::unique_lock lock(tenants_mutex_);
  ++tenants_generation_;
  if (auto it = tenants_.find(name); it != tenants_.end()) tenants_.erase(it);
}

Result<std::size_t> Authority::reload_changed_configuration() {
  std::lock_guard configuration_lock(configuration_mutex_);
  FLEETPKI_TRY(auto changes, deps_.store.configuration_changes(configuration_seen_));
  if (changes.empty()) return std::size_t{0};
  std::set<std::int64_t> changed;
  for (const auto& change : changes) {
    changed.insert(change.tenant_id);
    configuration_seen_ = std::max(configuration_seen_, change.version);
  }
  {
    // The changes have committed, so whatever is cached for these tenants may predate them; a
    // load still running when the generation moves is not cached (tenant_runtime).
    std::unique_lock lock(tenants_mutex_);
    ++tenants_generation_;
    for (auto it = tenants_.begin(); it != tenants_.end();) {
      it = changed.count(it->second->tenant.id) != 0 ? tenants_.erase(it) : std::next(it);
    }
  }
  est_->invalidate();  // endpoint state is keyed by label, not tenant; rebuilding it is cheap
  return changed.size();
}

Result<std::shared_ptr<const TenantRuntime>> Authority::load_tenant(std::string_view name) {
  FLEETPKI_TRY(auto tenant, deps_.store.find_tenant(name));
  if (!tenant || tenant->disabled) {
    return fail(Errc::NotFound, "tenant '" + std::string(name) + "' not found");
  }
  auto runtime = std::make_shared<TenantRuntime>();
  runtime->tenant = *tenant;

  FLEETPKI_TRY(auto cas, deps_.store.list_cas(tenant->id));
  std::sort(cas.begin(), cas.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::map<std::int64_t, std::shared_ptr<const CaRuntime>> by_id;
  for (auto& rec : cas) {
    if (rec.status == "pending") continue;  // a bring-your-own CA waiting for its certificate
    auto ca = std::make_shared<CaRuntime>();
    FLEETPKI_TRY(auto cert, pki::Certificate::from_der(deps_.crypto, rec.certificate_der));
    ca->certificate = std::make_shared<const pki::Certificate>(std::move(cert));
    FLEETPKI_TRY(ca->signer, deps_.vault.open_signer(rec.key_ref));
    ca->chain_pem = ca->certificate->pem();
    ca->tenant_name = tenant->name;
    if (rec.name_constraints_json) {
      FLEETPKI_TRY(ca->name_constraints, name_constraints_from_json(*rec.name_constraints_json));
    }
    if (rec.parent_id) {
      auto parent = by_id.find(*rec.parent_id);
      if (parent == by_id.end()) return fail(Errc::DataLoss, "CA '" + rec.name + "' has a missing parent");
      ca->chain_pem += parent->second->chain_pem;
    } else if (rec.external_chain_pem) {
      ca->chain_pem += *rec.external_chain_pem;  // bring-your-own CA: the customer's issuers
    }
    ca->record = std::move(rec);
    by_id[ca->record.id] = ca;
    runtime->cas[ca->record.name] = ca;
  }

  FLEETPKI_TRY(auto profiles, deps_.store.list_profiles(tenant->id));
  std::map<std::string, store::ProfileRecord> in_force;  // highest non-retired version per name
  std::map<std::string, bool> names;  // every profile name, retired or not
  for (auto& rec : profiles) {
    names[rec.name] = true;
    if (rec.retired) continue;
    auto it = in_force.find(rec.name);
    if (it == in_force.end() || it->second.version < rec.version) in_force[rec.name] = rec;
  }
  for (const auto& [pname, present] : names) {
    if (!present || in_force.count(pname) != 0) continue;
    ProfileRuntime retired;
    // The last definition, so that the request is checked as before and then refused as retired.
    for (const auto& rec : profiles) {
      if (rec.name != pname) continue;
      if (auto def = Profile::from_json(rec.definition_json)) retired.profile = std::move(*def);
    }
    retired.profile.name = pname;
    retired.retired = true;
    runtime->profiles[pname] = std::make_shared<const ProfileRuntime>(std::move(retired));
  }
  const std::string& base = options_.public_base_url;
  for (auto& [pname, rec] : in_force) {
    FLEETPKI_TRY(Profile profile, Profile::from_json(rec.definition_json));
    profile.version = rec.version;
    auto ca_it = runtime->cas.find(profile.ca);
    if (ca_it == runtime->cas.end()) {
      return fail(Errc::DataLoss, "profile '" + pname + "' names the missing CA '" + profile.ca + "'");
    }
    const CaRuntime& ca = *ca_it->second;
    pki::TbsFixedParts fixed;
    fixed.signature_algorithm = ca.signer->algorithm();
    fixed.issuer_name_der = ca.certificate->subject_der();
    fixed.authority_key_id = ca.certificate->subject_key_id();
    fixed.basic_constraints_ca = profile.ca_certificate;
    fixed.path_len = profile.path_len;
    fixed.ocsp_no_check = profile.ocsp_no_check;
    for (const auto& e : profile.extra_extensions) {
      fixed.extra_extensions.push_back({e.oid, e.critical, e.value});
    }
    FLEETPKI_TRY(fixed.ext_key_usages, profile.ext_key_usage_oids());
    const std::string ca_path = runtime->tenant.name + "/" + ca.record.name;
    fixed.ocsp_urls = {base + "/ocsp"};
    fixed.ca_issuer_urls = {base + "/ca/" + ca_path + ".crt"};
    const int partitions = std::clamp(ca.record.crl_partitions, 1, kMaxCrlPartitions);
    std::vector<pki::TbsTemplate> tbs, tbs_rsa;
    for (int partition = 0; partition < partitions; ++partition) {
      fixed.crl_urls = {base + crl_path(runtime->tenant.name, ca.record.name, partition, false)};
      FLEETPKI_TRY(fixed.key_usage, profile.key_usage_bits(false));
      FLEETPKI_TRY(auto ec_template, pki::TbsTemplate::create(fixed));
      tbs.push_back(std::move(ec_template));
      FLEETPKI_TRY(fixed.key_usage, profile.key_usage_bits(true));
      FLEETPKI_TRY(auto rsa_template, pki::TbsTemplate::create(fixed));
      tbs_rsa.push_back(std::move(rsa_template));
    }
    runtime->profiles[pname] = std::make_shared<const ProfileRuntime>(
        ProfileRuntime{std::move(profile), ca_it->second, std::move(tbs), std::move(tbs_rsa), false});
  }
  return std::shared_ptr<const TenantRuntime>(std::move(runtime));
}

Result<std::shared_ptr<const TenantRuntime>> Authority::authorize(const Principal& who, std::string_view tenant,
                                                                  Permission permission) {
  auto runtime = tenant_runtime(tenant);
  if (!runtime) return fail(runtime.error());
  // Another tenant's objects are reported as absent: their existence must not leak.
  if (who.tenant_id && *who.tenant_id != (*runtime)->tenant.id) {
    return fail(Errc::NotFound, "tenant '" + std::string(tenant) + "' not found");
  }
  if (!role_allows(who.role, permission)) {
    return fail(Errc::PermissionDenied, "role '" + std::string(role_name(who.role)) + "' may not do this");
  }
  return runtime;
}

// ---- tokens ----------------------------------------------------------------------------------

Result<Principal> Authority::authenticate(std::string_view bearer_token) {
  FLEETPKI_TRY(auto parsed, parse_token(bearer_token));
  FLEETPKI_TRY(auto record, deps_.store.find_token(parsed.id));
  const Bytes presented = hash_token_secret(parsed.secret.view());
  // Compare even when the id is unknown so that timing does not tell known ids apart.
  static const Bytes kNoHash(32, 0);
  const bool match = constant_time_equal(presented, record ? ByteView(record->secret_hash) : ByteView(kNoHash));
  const std::int64_t now = to_unix(deps_.clock.now());
  if (!record || !match || record->revoked || (record->expires_at && *record->expires_at <= now)) {
    return fail(Errc::Unauthenticated, "invalid bearer token");
  }
  FLEETPKI_TRY(Role role, parse_role(record->role));
  return Principal{record->id, record->tenant_id, role};
}

Result<std::string> Authority::create_token(const Principal& who, std::optional<std::string> tenant, Role role,
                                            const CallContext& call) {
  std::optional<std::int64_t> tenant_id;
  if (tenant) {
    FLEETPKI_TRY(auto runtime, authorize(who, *tenant, Permission::TokenCreate));
    tenant_id = runtime->tenant.id;
  } else {
    FLEETPKI_RETURN_IF_ERROR(refuse_unless_platform_admin(who));
  }
  const std::int64_t now = to_unix(deps_.clock.now());
  FLEETPKI_TRY(auto issued, make_token(tenant_id, role, now, std::nullopt));
  FLEETPKI_RETURN_IF_ERROR(deps_.store.write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.insert_token(issued.record));
    return tx.append_audit(make_audit_event(who, tenant_id, "token.create", issued.record.id, call,
                                       {{"role", issued.record.role}}, now));
  }));
  return issued.token;
}

// ---- issuance --------------------------------------------------------------------------------

Result<IssuedCertificate> Authority::issue(const Principal& who, const IssueRequest& request, const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authorize(who, request.tenant, Permission::CertificateIssue));
  if (tenant->profiles.find(request.profile) == tenant->profiles.end()) {
    return fail(Errc::NotFound, "profile '" + request.profile + "' not found in tenant '" + request.tenant + "'");
  }
  FLEETPKI_TRY(auto csr, pki::Csr::from_pem(deps_.crypto, request.csr_pem));
  return issue_parsed(who, Permission::CertificateIssue, request.tenant, request.profile, csr, request.device,
                      nullptr, call);
}

Result<IssuedCertificate> Authority::issue_parsed(const Principal& who, Permission permission,
                                                  std::string_view tenant_name, std::string_view profile_name,
                                                  const pki::Csr& csr, const std::optional<std::string>& device_serial,
                                                  const pki::PublicKeyInfo* key_override, const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authorize(who, tenant_name, permission));
  auto profile = tenant->profiles.find(profile_name);
  if (profile == tenant->profiles.end()) {
    return fail(Errc::NotFound, "profile '" + std::string(profile_name) + "' not found in tenant '" +
                                    std::string(tenant_name) + "'");
  }
  const pki::PublicKeyInfo& subject_key = key_override ? *key_override : csr.public_key();
  if (!device_serial) {
    FLEETPKI_TRY(auto subject, decide_subject(profile->second->profile, csr));
    return sign_and_record(who, *tenant, *profile->second, subject_key, subject, call);
  }

  // Issuance for a registered device: checked here to fail before signing, and again inside the
  // commit unit (link_certificate_to_device), where a concurrent suspension wins.
  const std::string& serial = *device_serial;
  FLEETPKI_TRY(const DeviceContext context, check_issuance_device(*tenant, serial, csr));
  FLEETPKI_TRY(auto subject, decide_subject(profile->second->profile, csr, &context));
  for (int attempt = 0;; ++attempt) {
    FLEETPKI_TRY(Prepared prepared, sign(who, *tenant, *profile->second, subject_key, subject, call));
    prepared.issued->record.device_serial = serial;
    nlohmann::json details = nlohmann::json::parse(prepared.event.details_json);
    details["device"] = serial;
    prepared.event.details_json = details.dump();
    // The unit may run twice (alone after a failed batch): it only writes to the database.
    Status stored = committer_.submit_async([issued = prepared.issued, event = prepared.event, who,
                                             call](store::Transaction& tx) -> Status {
                                FLEETPKI_TRY(issued->record.id, tx.insert_certificate(issued->record));
                                FLEETPKI_RETURN_IF_ERROR(tx.append_audit(event));
                                FLEETPKI_RETURN_IF_ERROR(
                                    link_certificate_to_device(tx, who, issued->record, call, event.at));
                                return call.in_commit ? call.in_commit(tx) : ok();
                              }).get();
    if (!stored && stored.error().code == Errc::AlreadyExists && attempt + 1 < kMaxSerialAttempts) continue;
    if (!stored) return fail(stored.error());
    counters_.issued.fetch_add(1, std::memory_order_relaxed);
    prepared.issued->certificate_pem = pki::pem_encode(prepared.issued->record.der, "CERTIFICATE");
    return std::move(*prepared.issued);
  }
}

Result<DeviceContext> Authority::check_issuance_device(const TenantRuntime& tenant, const std::string& serial,
                                                     const pki::Csr& csr) {
  if (!is_valid_device_serial(serial)) return fail(Errc::NotFound, "device '" + serial.substr(0, 64) + "' not found");
  FLEETPKI_TRY(auto device, deps_.store.find_device(tenant.tenant.id, serial));
  if (!device) return fail(Errc::NotFound, "device '" + serial + "' not found");
  if (device->state == store::kDeviceSuspended || device->state == store::kDeviceDecommissioned) {
    return fail(Errc::FailedPrecondition, "device " + serial + " is " + device->state + ": no certificate is issued for it");
  }
  for (const auto& attr : csr.subject()) {
    if (attr.short_name == "serialNumber" && attr.value != serial) {
      return fail(Errc::InvalidArgument, "the CSR's subject serialNumber differs from the device serial " + serial);
    }
  }
  return DeviceContext{serial, device->type};
}

Result<IssuedCertificate> Authority::issue_for_key(const Principal& who, std::string_view tenant_name,
                                                   std::string_view profile_name, const keys::Signer& key,
                                                   std::string_view common_name,
                                                   const std::vector<std::string>& dns_or_ip_names,
                                                   const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authorize(who, tenant_name, Permission::CertificateIssue));
  auto profile = tenant->profiles.find(profile_name);
  if (profile == tenant->profiles.end()) {
    return fail(Errc::NotFound, "profile '" + std::string(profile_name) + "' not found");
  }
  FLEETPKI_TRY(auto key_info, pki::parse_public_key(key.public_key_spki()));
  SubjectDecision subject;
  FLEETPKI_TRY(subject.subject_der, pki::encode_name({{"CN", std::string(common_name)}}));
  subject.subject_text = "CN=" + std::string(common_name);
  for (const auto& name : dns_or_ip_names) {
    if (auto ip = pki::ip_name(name)) {
      subject.subject_alt_names.push_back(std::move(*ip));
    } else if (is_valid_dns_name(name)) {
      subject.subject_alt_names.push_back(pki::dns_name(name));
    } else {
      return fail(Errc::InvalidArgument, "'" + name + "' is neither a host name nor an IP address");
    }
  }
  return sign_and_record(who, *tenant, *profile->second, key_info, subject, call);
}

Result<Authority::Prepared> Authority::sign(const Principal& who, const TenantRuntime& tenant,
                                            const ProfileRuntime& profile, const pki::PublicKeyInfo& key,
                                            const SubjectDecision& subject, const CallContext& call) {
  if (profile.retired) {
    return fail(Errc::FailedPrecondition, "profile '" + profile.profile.name + "' is retired: it issues no new certificates");
  }
  FLEETPKI_RETURN_IF_ERROR(profile.profile.check_key_type(key.type, key.bits));
  const CaRuntime& ca = *profile.ca;
  if (ca.record.status != "active") {
    return fail(Errc::FailedPrecondition, "CA '" + ca.record.name + "' is disabled: it issues no certificates");
  }
  if (ca.name_constraints) {
    FLEETPKI_RETURN_IF_ERROR(pki::check_name_constraints(*ca.name_constraints, subject.subject_alt_names));
  }
  const Bytes ski = profile.profile.subject_key_id ? pki::key_identifier(deps_.crypto, key) : Bytes{};

  FLEETPKI_TRY(Bytes serial, pki::generate_serial());
  // The CRL partition is fixed here, at issuance: its URL goes into the certificate's CDP.
  const auto& templates = key.type == pki::KeyType::Rsa ? profile.tbs_rsa : profile.tbs;
  const int partition = crl_partition_for_serial(serial, static_cast<int>(templates.size()));
  const pki::TbsTemplate& tpl = templates[static_cast<std::size_t>(partition)];
  const TimePoint now = deps_.clock.now();
  pki::TbsVariableParts var;
  var.serial = serial;
  var.not_before = now - kBackdate;
  if (profile.profile.validity_days) var.not_after = now + std::chrono::days(*profile.profile.validity_days);
  var.subject_name_der = subject.subject_der;
  var.spki_der = key.spki_der;
  var.subject_key_id = ski;
  var.subject_alt_names = &subject.subject_alt_names;
  FLEETPKI_TRY(Bytes tbs, tpl.encode(var));
  FLEETPKI_TRY(Bytes signature, ca.signer->sign(tbs));

  Prepared prepared;
  prepared.issued = std::make_shared<IssuedCertificate>();
  store::CertificateRecord& rec = prepared.issued->record;
  rec.tenant_id = tenant.tenant.id;
  rec.ca_id = ca.record.id;
  rec.profile = profile.profile.name;
  rec.profile_version = profile.profile.version;
  rec.serial_hex = pki::serial_to_hex(serial);
  rec.subject = subject.subject_text;
  rec.not_before = to_unix(var.not_before);
  rec.not_after = var.not_after ? to_unix(*var.not_after) : pki::kNoExpiryUnix;
  rec.status = store::kStatusValid;
  rec.crl_partition = partition;
  rec.der = pki::assemble_certificate(tbs, ca.signer->algorithm(), signature);
  rec.created_at = to_unix(now);
  prepared.event = make_audit_event(who, tenant.tenant.id, "certificate.issue", rec.serial_hex, call,
                               {{"profile", rec.profile}, {"profile_version", rec.profile_version},
                                {"ca", ca.record.name}, {"subject", rec.subject}},
                               rec.created_at);
  prepared.issued->chain_pem = ca.chain_pem;
  return prepared;
}

std::future<Status> Authority::commit_async(const Prepared& prepared,
                                            std::function<Status(store::Transaction&)> in_commit) {
  // The unit may run twice (alone after a failed batch): it only writes to the database.
  return committer_.submit_async([issued = prepared.issued, event = prepared.event,
                                  in_commit = std::move(in_commit)](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(issued->record.id, tx.insert_certificate(issued->record));
    FLEETPKI_RETURN_IF_ERROR(tx.append_audit(event));
    return in_commit ? in_commit(tx) : ok();
  });
}

Result<IssuedCertificate> Authority::sign_and_record(const Principal& who, const TenantRuntime& tenant,
                                                     const ProfileRuntime& profile,
                                                     const pki::PublicKeyInfo& key,
                                                     const SubjectDecision& subject, const CallContext& call) {
  for (int attempt = 0;; ++attempt) {
    FLEETPKI_TRY(Prepared prepared, sign(who, tenant, profile, key, subject, call));
    Status stored = commit_async(prepared, call.in_commit).get();
    if (!stored && stored.error().code == Errc::AlreadyExists && attempt + 1 < kMaxSerialAttempts) {
      continue;  // a serial collision (2^-126): draw another serial
    }
    if (!stored) return fail(stored.error());
    counters_.issued.fetch_add(1, std::memory_order_relaxed);
    prepared.issued->certificate_pem = pki::pem_encode(prepared.issued->record.der, "CERTIFICATE");
    return std::move(*prepared.issued);
  }
}

std::vector<Result<IssuedCertificate>> Authority::issue_many(const Principal& who, std::string_view tenant_name,
                                                             std::string_view profile_name,
                                                             const std::vector<std::string>& csr_pems,
                                                             const CallContext& call, bool link_devices) {
  std::vector<Result<IssuedCertificate>> results;
  results.reserve(csr_pems.size());
  auto tenant = authorize(who, tenant_name, Permission::CertificateIssue);
  if (!tenant) {
    for (std::size_t i = 0; i < csr_pems.size(); ++i) results.emplace_back(fail(tenant.error()));
    return results;
  }
  auto profile_it = (*tenant)->profiles.find(profile_name);
  if (profile_it == (*tenant)->profiles.end()) {
    for (std::size_t i = 0; i < csr_pems.size(); ++i) {
      results.emplace_back(fail(Errc::NotFound, "profile '" + std::string(profile_name) + "' not found"));
    }
    return results;
  }
  const ProfileRuntime& profile = *profile_it->second;

  struct InFlight {
    std::optional<pki::Csr> csr;
    std::optional<SubjectDecision> subject;
    Prepared prepared;
    std::shared_future<Status> committed;  // shared by the certificates of one commit unit
  };
  // Certificates go to the committer in groups: one queue hand-off (and at most one wake-up of the
  // commit worker) per group instead of per certificate.
  constexpr std::size_t kGroup = 16;
  std::vector<InFlight> flights(csr_pems.size());
  std::vector<std::size_t> group;
  auto submit_group = [&] {
    if (group.empty()) return;
    std::vector<Prepared> members;
    for (std::size_t i : group) members.push_back(flights[i].prepared);
    std::shared_future<Status> done =
        committer_.submit_async([members = std::move(members), who, call](store::Transaction& tx) -> Status {
          for (const Prepared& p : members) {
            FLEETPKI_TRY(p.issued->record.id, tx.insert_certificate(p.issued->record));
            FLEETPKI_RETURN_IF_ERROR(tx.append_audit(p.event));
            if (p.issued->record.device_serial) {
              // A device suspended since the check above wins: the group fails, and this
              // certificate's own retry below reports it.
              FLEETPKI_RETURN_IF_ERROR(link_certificate_to_device(tx, who, p.issued->record, call, p.event.at));
            }
          }
          return ok();
        }).share();
    for (std::size_t i : group) flights[i].committed = done;
    group.clear();
  };
  for (std::size_t i = 0; i < csr_pems.size(); ++i) {
    InFlight& f = flights[i];
    auto prepared = [&]() -> Result<Prepared> {
      FLEETPKI_TRY(auto csr, pki::Csr::from_pem(deps_.crypto, csr_pems[i]));
      f.csr = std::move(csr);
      std::optional<DeviceContext> context;
      if (link_devices) {
        const std::string* serial = nullptr;
        for (const auto& attr : f.csr->subject()) {
          if (attr.short_name == "serialNumber") serial = &attr.value;
        }
        if (serial == nullptr) {
          return fail(Errc::InvalidArgument, "the CSR's subject has no serialNumber naming the device to link");
        }
        FLEETPKI_TRY(context, check_issuance_device(**tenant, *serial, *f.csr));
      }
      FLEETPKI_TRY(auto subject, decide_subject(profile.profile, *f.csr, context ? &*context : nullptr));
      f.subject = std::move(subject);
      FLEETPKI_TRY(Prepared signed_one, sign(who, **tenant, profile, f.csr->public_key(), *f.subject, call));
      if (context) {
        signed_one.issued->record.device_serial = context->serial;
        nlohmann::json details = nlohmann::json::parse(signed_one.event.details_json);
        details["device"] = context->serial;
        signed_one.event.details_json = details.dump();
      }
      return signed_one;
    }();
    if (!prepared) {
      results.emplace_back(fail(prepared.error()));
      continue;
    }
    f.prepared = std::move(*prepared);
    results.emplace_back(fail(Errc::Internal, "pending"));  // replaced below
    group.push_back(i);
    if (group.size() == kGroup) submit_group();
  }
  submit_group();
  for (std::size_t i = 0; i < flights.size(); ++i) {
    InFlight& f = flights[i];
    if (!f.committed.valid()) continue;
    Status stored = f.committed.get();
    const std::optional<std::string> device = f.prepared.issued->record.device_serial;
    if (!stored) {
      // The group was rolled back as a whole: commit this certificate alone to learn its own fate.
      std::function<Status(store::Transaction&)> link;
      if (device) {
        link = [issued = f.prepared.issued, at = f.prepared.event.at, who, call](store::Transaction& tx) {
          return link_certificate_to_device(tx, who, issued->record, call, at);
        };
      }
      stored = commit_async(f.prepared, std::move(link)).get();
    }
    if (stored) {
      counters_.issued.fetch_add(1, std::memory_order_relaxed);
      f.prepared.issued->certificate_pem = pki::pem_encode(f.prepared.issued->record.der, "CERTIFICATE");
      results[i] = std::move(*f.prepared.issued);
    } else if (stored.error().code == Errc::AlreadyExists) {
      // A serial collision (2^-126): sign again with a new serial, the single-request way.
      results[i] = device ? issue_parsed(who, Permission::CertificateIssue, tenant_name, profile_name, *f.csr, device,
                                         nullptr, call)
                          : sign_and_record(who, **tenant, profile, f.csr->public_key(), *f.subject, call);
    } else {
      results[i] = fail(stored.error());
    }
  }
  return results;
}

// ---- lookups ---------------------------------------------------------------------------------

Result<store::CertificateRecord> Authority::get_certificate(const Principal& who, std::string_view tenant,
                                                            std::string_view serial_hex) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::CertificateRead));
  auto serial = pki::serial_from_hex(serial_hex);
  if (!serial) return fail(Errc::NotFound, "certificate '" + std::string(serial_hex) + "' not found");
  FLEETPKI_TRY(auto record, deps_.store.find_certificate(runtime->tenant.id, pki::serial_to_hex(*serial)));
  if (!record) return fail(Errc::NotFound, "certificate '" + std::string(serial_hex) + "' not found");
  return *record;
}

Result<store::CertificatePage> Authority::list_certificates(const Principal& who, std::string_view tenant,
                                                            const store::CertificateFilter& filter) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::CertificateRead));
  if (filter.limit < 1 || filter.limit > 1000) return fail(Errc::InvalidArgument, "limit must be 1..1000");
  if (filter.status && *filter.status != store::kStatusValid && *filter.status != store::kStatusRevoked &&
      *filter.status != store::kStatusSuspended) {
    return fail(Errc::InvalidArgument, "status must be valid, revoked or suspended");
  }
  return deps_.store.list_certificates(runtime->tenant.id, filter);
}

Result<std::string> Authority::ca_chain_pem(std::string_view tenant, std::string_view ca_name) {
  FLEETPKI_TRY(auto runtime, tenant_runtime(tenant));
  auto it = runtime->cas.find(std::string(ca_name));
  if (it == runtime->cas.end()) return fail(Errc::NotFound, "CA '" + std::string(ca_name) + "' not found");
  return it->second->chain_pem;
}

Result<Bytes> Authority::ca_certificate_der(std::string_view tenant, std::string_view ca_name) {
  FLEETPKI_TRY(auto runtime, tenant_runtime(tenant));
  auto it = runtime->cas.find(std::string(ca_name));
  if (it == runtime->cas.end()) return fail(Errc::NotFound, "CA '" + std::string(ca_name) + "' not found");
  return it->second->certificate->der();
}

}  // namespace fleetpki::authority
