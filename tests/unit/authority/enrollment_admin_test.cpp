// EnrollmentAdmin (issue #5): endpoints with roles and tenant isolation, held enrollments
// (approve, reject, unknown devices), one-time passwords, renewal grants, audit events, and the
// default endpoint of the tenant "default".
#include "authority/enrollment_admin.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "authority/device_registry.h"
#include "authority/est_enrollment.h"
#include "authority/profile_catalog.h"
#include "authority_fixture.h"
#include "pki/pem.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr const char* kMigrationDefault =
    R"({"approval":"automatic","auth":["idevid","ldevid","otp"],"linking":"optional","profile":"ldevid",)"
    R"("retry_after":60,"server_keygen":true,"trusted_cas":["manufacturing"],"unknown_devices":"reject"})";

class EnrollmentAdminTest : public AuthorityTest {
 protected:
  void SetUp() override {
    AuthorityTest::SetUp();
    auto tenant = store_->find_tenant("default");
    ASSERT_TRUE(tenant && *tenant);
    tenant_id_ = (*tenant)->id;
    admin_ = {"t-admin", tenant_id_, Role::Admin};
    operator_ = {"t-operator", tenant_id_, Role::Operator};
    auditor_ = {"t-auditor", tenant_id_, Role::Auditor};
    device_role_ = {"t-device", tenant_id_, Role::Enrollment};
  }

  EnrollmentAdmin& admin() { return authority_->enrollment_admin(); }

  /// A second tenant and its admin.
  Principal other_tenant_admin() {
    auto created = authority_->create_tenant(platform_admin_, "acme", {"setup"});
    EXPECT_TRUE(created) << created.error().message;
    auto tenant = store_->find_tenant("acme");
    return {"acme-admin", tenant && *tenant ? std::optional((*tenant)->id) : std::nullopt, Role::Admin};
  }

  std::vector<store::AuditEvent> events(const std::string& action) {
    auto all = store_->list_audit(tenant_id_, 0, 1000);
    EXPECT_TRUE(all);
    std::vector<store::AuditEvent> out;
    if (!all) return out;
    for (auto& e : *all) {
      if (e.action == action) out.push_back(std::move(e));
    }
    return out;
  }

  void register_device(const std::string& serial) {
    auto device = authority_->devices().register_device(admin_, "default", serial, std::nullopt, {"reg"});
    ASSERT_TRUE(device) << device.error().message;
  }

  /// Stores a pending request as the EST service would (202 + Retry-After).
  store::EnrollmentRequestRecord hold(const std::string& label, const std::string& serial) {
    auto endpoint = store_->find_enrollment_endpoint(label);
    EXPECT_TRUE(endpoint && *endpoint);
    auto der = pki::pem_decode(testing::make_csr_pem({.subject = {{"CN", serial}, {"serialNumber", serial}}}),
                               {"CERTIFICATE REQUEST"});
    EXPECT_TRUE(der);
    store::EnrollmentRequestRecord rec;
    rec.tenant_id = tenant_id_;
    rec.endpoint_id = (*endpoint)->id;
    rec.request_key = "key-" + serial + "-" + std::to_string(++held_);
    rec.device_serial = serial;
    rec.auth_mode = "idevid";
    rec.identity = std::string(64, 'a');
    rec.csr_der = *der;
    rec.created_at = to_unix(clock_.now());
    auto written = store_->write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(rec.id, tx.insert_enrollment_request(rec));
      return ok();
    });
    EXPECT_TRUE(written) << written.error().message;
    return rec;
  }

  static Bytes csr_der(const std::vector<std::pair<std::string, std::string>>& subject) {
    auto der = pki::pem_decode(testing::make_csr_pem({.subject = subject}), {"CERTIFICATE REQUEST"});
    EXPECT_TRUE(der);
    return der ? *der : Bytes{};
  }

  static EstClient tls13_client() {
    EstClient client;
    client.tls_version = 0x0304;
    client.channel_binding = Bytes(32, 0x5a);
    return client;
  }

  EndpointSpec manual_unknown_spec() {
    EndpointSpec spec;
    spec.unknown_devices = EstUnknownDevices::Manual;
    spec.approval = EstApproval::Manual;
    return spec;
  }

  std::int64_t tenant_id_ = 0;
  Principal admin_, operator_, auditor_, device_role_;
  int held_ = 0;
};

// ---- the default endpoint --------------------------------------------------------------------------

TEST_F(EnrollmentAdminTest, TenantDefaultHasTheDefaultEndpoint) {
  auto view = admin().get_endpoint(platform_admin_, "default", kDefaultEnrollmentLabel);
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->record.definition_json, kMigrationDefault);  // the migration's very bytes
  EXPECT_EQ(view->spec, default_enrollment_endpoint_spec());
  EXPECT_FALSE(view->record.disabled);
  EXPECT_EQ(view->record.tenant_id, tenant_id_);
}

TEST_F(EnrollmentAdminTest, OtherTenantsGetNoEndpoint) {
  Principal acme = other_tenant_admin();
  auto page = admin().list_endpoints(acme, "acme", 0, 100);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_TRUE(page->items.empty());
  // The label "default" stays with the tenant "default".
  auto theirs = admin().get_endpoint(acme, "acme", kDefaultEnrollmentLabel);
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, Errc::NotFound);
}

TEST_F(EnrollmentAdminTest, DefaultEndpointIsNotAddedTwice) {
  auto written = store_->write([&](store::Transaction& tx) -> Status {
    return add_default_enrollment_endpoint(tx, tenant_id_, 1);
  });
  ASSERT_TRUE(written) << written.error().message;
  auto page = admin().list_endpoints(admin_, "default", 0, 100);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 1u);
}

// ---- endpoints: CRUD and roles ---------------------------------------------------------------------

TEST_F(EnrollmentAdminTest, AdminCreatesGetsListsAndAuditsAnEndpoint) {
  EndpointSpec spec;
  spec.device_type = "default";
  spec.linking = EstLinking::Required;
  auto created = admin().create_endpoint(admin_, "default", "meters", spec, {"req-1"});
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->record.label, "meters");
  EXPECT_EQ(created->spec, spec);
  EXPECT_EQ(created->record.definition_json, spec.to_json());
  EXPECT_GT(created->record.id, 0);

  auto got = admin().get_endpoint(auditor_, "default", "meters");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->spec, spec);

  auto page = admin().list_endpoints(operator_, "default", 0, 100);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].record.label, "default");
  EXPECT_EQ(page->items[1].record.label, "meters");
  auto one = admin().list_endpoints(operator_, "default", 0, 1);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->items.size(), 1u);
  ASSERT_TRUE(one->next_after);
  auto rest = admin().list_endpoints(operator_, "default", *one->next_after, 10);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].record.label, "meters");

  auto audit = events("enrollment_endpoint.create");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].object, "meters");
  EXPECT_EQ(audit[0].actor, "t-admin");
  EXPECT_EQ(audit[0].request_id, "req-1");
  auto details = nlohmann::json::parse(audit[0].details_json);
  EXPECT_EQ(details["definition"]["linking"], "required");
}

TEST_F(EnrollmentAdminTest, RolesOtherThanAdminMayNotManageEndpoints) {
  for (const Principal* who : {&operator_, &auditor_, &device_role_}) {
    auto created = admin().create_endpoint(*who, "default", "meters", EndpointSpec{}, {});
    ASSERT_FALSE(created) << who->id;
    EXPECT_EQ(created.error().code, Errc::PermissionDenied) << who->id;
    auto updated = admin().update_endpoint(*who, "default", "default", EndpointSpec{}, {});
    ASSERT_FALSE(updated);
    EXPECT_EQ(updated.error().code, Errc::PermissionDenied);
    auto disabled = admin().set_endpoint_disabled(*who, "default", "default", true, {});
    ASSERT_FALSE(disabled);
    EXPECT_EQ(disabled.error().code, Errc::PermissionDenied);
  }
  // Devices' credentials do not even read them.
  auto read = admin().get_endpoint(device_role_, "default", "default");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, Errc::PermissionDenied);
  auto listed = admin().list_endpoints(device_role_, "default", 0, 10);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, Errc::PermissionDenied);
  EXPECT_TRUE(events("enrollment_endpoint.create").empty());
}

TEST_F(EnrollmentAdminTest, AnotherTenantsEndpointsAreNotFound) {
  Principal acme = other_tenant_admin();
  // Through the other tenant's name: the tenant itself is not found.
  auto get = admin().get_endpoint(acme, "default", "default");
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code, Errc::NotFound);
  auto upd = admin().update_endpoint(acme, "acme", "default", EndpointSpec{}, {});
  ASSERT_FALSE(upd);
  EXPECT_EQ(upd.error().code, Errc::NotFound);
  auto dis = admin().set_endpoint_disabled(acme, "acme", "default", true, {});
  ASSERT_FALSE(dis);
  EXPECT_EQ(dis.error().code, Errc::NotFound);
  auto still = admin().get_endpoint(admin_, "default", "default");
  ASSERT_TRUE(still);
  EXPECT_FALSE(still->record.disabled);
  EXPECT_EQ(still->spec, default_enrollment_endpoint_spec());
}

TEST_F(EnrollmentAdminTest, LabelsAreUniquePlatformWide) {
  Principal acme = other_tenant_admin();
  auto taken = admin().create_endpoint(acme, "acme", "default", EndpointSpec{}, {});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, Errc::AlreadyExists);
  ASSERT_TRUE(admin().create_endpoint(acme, "acme", "plant-1", EndpointSpec{}, {}));
  auto again = admin().create_endpoint(admin_, "default", "plant-1", EndpointSpec{}, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::AlreadyExists);
}

TEST_F(EnrollmentAdminTest, RefusesBadLabelsAndNamesTheTenantDoesNotHave) {
  for (const char* label : {"cacerts", "simpleenroll", "simplereenroll", "csrattrs", "serverkeygen", "fullcmc",
                            "Bad", "", "a/b"}) {
    auto created = admin().create_endpoint(admin_, "default", label, EndpointSpec{}, {});
    ASSERT_FALSE(created) << label;
    EXPECT_EQ(created.error().code, Errc::InvalidArgument) << label;
  }
  struct Case {
    const char* name;
    EndpointSpec spec;
    const char* message;
  };
  EndpointSpec unknown_profile, unknown_ca, unknown_type, bad_retry, no_trust;
  unknown_profile.profile = "nope";
  unknown_ca.trusted_cas = {"manufacturing", "nope"};
  unknown_type.device_type = "nope";
  bad_retry.retry_after_seconds = 0;
  no_trust.trusted_cas.clear();
  for (const Case& c : {Case{"profile", unknown_profile, "profile 'nope'"}, Case{"ca", unknown_ca, "CA 'nope'"},
                        Case{"type", unknown_type, "device type 'nope'"}, Case{"retry", bad_retry, "retry_after"},
                        Case{"trust", no_trust, "trusted_cas"}}) {
    auto created = admin().create_endpoint(admin_, "default", "meters", c.spec, {});
    ASSERT_FALSE(created) << c.name;
    EXPECT_EQ(created.error().code, Errc::InvalidArgument) << c.name;
    EXPECT_NE(created.error().message.find(c.message), std::string::npos) << c.name << ": " << created.error().message;
  }
  EXPECT_TRUE(events("enrollment_endpoint.create").empty());
}

TEST_F(EnrollmentAdminTest, RefusesRetiredAndCaProfiles) {
  auto& catalog = authority_->profiles();
  ASSERT_TRUE(catalog.create(platform_admin_, "default", R"({"name":"old","ca":"issuing","subject":[{"attribute":"CN"}]})", {}));
  ASSERT_TRUE(catalog.retire(platform_admin_, "default", "old", std::nullopt, {}));
  EndpointSpec retired;
  retired.profile = "old";
  auto r = admin().create_endpoint(admin_, "default", "meters", retired, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("retired"), std::string::npos) << r.error().message;

  auto sub = catalog.create(platform_admin_, "default",
                            R"({"name":"sub-ca","ca":"root","basic_constraints":{"ca":true},)"
                            R"("key_usage":["keyCertSign","cRLSign"],"subject":[{"attribute":"CN"}]})",
                            {});
  ASSERT_TRUE(sub) << sub.error().message;
  EndpointSpec ca_profile;
  ca_profile.profile = "sub-ca";
  auto c = admin().create_endpoint(admin_, "default", "meters", ca_profile, {});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("CA certificates"), std::string::npos) << c.error().message;
}

TEST_F(EnrollmentAdminTest, UpdateReplacesThePolicyAndAuditsBeforeAndAfter) {
  EndpointSpec spec = default_enrollment_endpoint_spec();
  spec.approval = EstApproval::Manual;
  spec.retry_after_seconds = 300;
  auto updated = admin().update_endpoint(admin_, "default", "default", spec, {"u1"});
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->spec, spec);
  EXPECT_EQ(updated->record.row_version, 2);
  auto got = admin().get_endpoint(auditor_, "default", "default");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->spec, spec);
  EXPECT_EQ(got->record.row_version, 2);
  auto audit = events("enrollment_endpoint.update");
  ASSERT_EQ(audit.size(), 1u);
  auto details = nlohmann::json::parse(audit[0].details_json);
  EXPECT_EQ(details["definition"]["approval"], "manual");
  EXPECT_EQ(details["previous"]["approval"], "automatic");

  auto unknown = admin().update_endpoint(admin_, "default", "nope", spec, {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::NotFound);
  spec.profile = "nope";
  auto bad = admin().update_endpoint(admin_, "default", "default", spec, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
}

TEST_F(EnrollmentAdminTest, DisableAndEnableAreAuditedAndIdempotent) {
  auto off = admin().set_endpoint_disabled(admin_, "default", "default", true, {});
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_TRUE(off->record.disabled);
  auto again = admin().set_endpoint_disabled(admin_, "default", "default", true, {});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->record.disabled);
  EXPECT_EQ(events("enrollment_endpoint.disable").size(), 1u);
  auto got = admin().get_endpoint(admin_, "default", "default");
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->record.disabled);
  auto on = admin().set_endpoint_disabled(admin_, "default", "default", false, {});
  ASSERT_TRUE(on);
  EXPECT_FALSE(on->record.disabled);
  EXPECT_EQ(events("enrollment_endpoint.enable").size(), 1u);
}

// ---- held enrollments -----------------------------------------------------------------------------

TEST_F(EnrollmentAdminTest, OperatorApprovesAHeldEnrollmentOfARegisteredDevice) {
  register_device("dev-1");
  auto held = hold("default", "dev-1");
  auto approved = admin().approve_request(operator_, "default", held.id, {"ap-1"});
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, store::kEnrollmentIssued);
  ASSERT_TRUE(approved->certificate_serial);
  EXPECT_EQ(approved->decided_by, "t-operator");
  EXPECT_EQ(approved->decided_at, to_unix(clock_.now()));
  EXPECT_EQ(approved->row_version, 2);

  auto stored = admin().get_request(auditor_, "default", held.id);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->state, store::kEnrollmentIssued);
  EXPECT_EQ(stored->certificate_serial, approved->certificate_serial);

  auto cert = authority_->get_certificate(platform_admin_, "default", *approved->certificate_serial);
  ASSERT_TRUE(cert) << cert.error().message;
  EXPECT_EQ(cert->profile, "ldevid");
  EXPECT_EQ(cert->device_serial, "dev-1");
  auto device = authority_->devices().get(admin_, "default", "dev-1");
  ASSERT_TRUE(device);
  EXPECT_EQ(device->device.state, store::kDeviceActive);

  auto audit = events("enrollment_request.approve");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].object, std::to_string(held.id));
  auto details = nlohmann::json::parse(audit[0].details_json);
  EXPECT_EQ(details["certificate"], *approved->certificate_serial);
  EXPECT_EQ(details["device"], "dev-1");
  EXPECT_EQ(details["device_registered"], false);
  // The issuance event names the request it came from.
  auto issue = events("certificate.issue");
  ASSERT_FALSE(issue.empty());
  auto issue_details = nlohmann::json::parse(issue.back().details_json);
  EXPECT_EQ(issue_details["enrollment_request"], std::to_string(held.id));
  EXPECT_EQ(issue_details["endpoint"], "default");

  // Decided once.
  const std::size_t certificates = stored_certificates();
  auto twice = admin().approve_request(admin_, "default", held.id, {});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::FailedPrecondition);
  auto reject = admin().reject_request(admin_, "default", held.id, "late", {});
  ASSERT_FALSE(reject);
  EXPECT_EQ(reject.error().code, Errc::FailedPrecondition);
  EXPECT_EQ(stored_certificates(), certificates);
}

TEST_F(EnrollmentAdminTest, ApprovingAnUnknownDeviceRegistersItWhenTheEndpointSaysSo) {
  ASSERT_TRUE(admin().create_endpoint(admin_, "default", "factory", manual_unknown_spec(), {}));
  auto held = hold("factory", "new-7");
  auto approved = admin().approve_request(operator_, "default", held.id, {});
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, store::kEnrollmentIssued);
  auto device = authority_->devices().get(admin_, "default", "new-7");
  ASSERT_TRUE(device) << device.error().message;
  EXPECT_EQ(device->device.type, kDefaultDeviceType);
  EXPECT_EQ(device->device.state, store::kDeviceActive);
  ASSERT_EQ(device->certificates.size(), 1u);
  EXPECT_EQ(device->certificates[0].serial_hex, *approved->certificate_serial);
  EXPECT_EQ(events("device.register").size(), 1u);
  auto audit = events("enrollment_request.approve");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(audit[0].details_json)["device_registered"], true);
}

TEST_F(EnrollmentAdminTest, ApprovingAnUnknownDeviceIsRefusedWhenTheEndpointRejectsThem) {
  auto held = hold("default", "ghost");
  const std::size_t before = stored_certificates();
  auto approved = admin().approve_request(operator_, "default", held.id, {});
  ASSERT_FALSE(approved);
  EXPECT_EQ(approved.error().code, Errc::FailedPrecondition);
  EXPECT_EQ(stored_certificates(), before);
  auto device = authority_->devices().get(admin_, "default", "ghost");
  EXPECT_FALSE(device);
  auto still = admin().get_request(operator_, "default", held.id);
  ASSERT_TRUE(still);
  EXPECT_EQ(still->state, store::kEnrollmentPending);
}

TEST_F(EnrollmentAdminTest, ApprovalRefusesDevicesOfAnotherTypeAndSuspendedOnes) {
  DeviceTypeSpec meter{.name = "meter", .default_profiles = {}, .allowed_manufacturing_cas = {}, .mud_url = std::nullopt};
  ASSERT_TRUE(authority_->devices().create_type(admin_, "default", meter, {}));
  EndpointSpec spec;
  spec.device_type = "meter";
  ASSERT_TRUE(admin().create_endpoint(admin_, "default", "meters", spec, {}));
  register_device("dev-2");  // of type default
  auto held = hold("meters", "dev-2");
  auto approved = admin().approve_request(operator_, "default", held.id, {});
  ASSERT_FALSE(approved);
  EXPECT_EQ(approved.error().code, Errc::FailedPrecondition);
  EXPECT_NE(approved.error().message.find("type"), std::string::npos);

  register_device("dev-3");
  ASSERT_TRUE(authority_->devices().transition(admin_, "default", "dev-3", DeviceAction::Decommission, {}));
  auto gone = hold("default", "dev-3");
  auto refused = admin().approve_request(operator_, "default", gone.id, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::FailedPrecondition);
}

TEST_F(EnrollmentAdminTest, OperatorRejectsWithAReason) {
  register_device("dev-4");
  auto held = hold("default", "dev-4");
  auto rejected = admin().reject_request(operator_, "default", held.id, "not ours", {"rj"});
  ASSERT_TRUE(rejected) << rejected.error().message;
  EXPECT_EQ(rejected->state, store::kEnrollmentRejected);
  EXPECT_EQ(rejected->reason, "not ours");
  EXPECT_EQ(rejected->decided_by, "t-operator");
  EXPECT_FALSE(rejected->certificate_serial);
  auto audit = events("enrollment_request.reject");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(audit[0].details_json)["reason"], "not ours");
  auto approve = admin().approve_request(admin_, "default", held.id, {});
  ASSERT_FALSE(approve);
  EXPECT_EQ(approve.error().code, Errc::FailedPrecondition);

  auto other = hold("default", "dev-4");
  for (std::string bad : {std::string(kMaxRejectionReason + 1, 'x'), std::string("a\nb")}) {
    auto r = admin().reject_request(operator_, "default", other.id, bad, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
  auto no_reason = admin().reject_request(operator_, "default", other.id, "", {});
  ASSERT_TRUE(no_reason) << no_reason.error().message;
  EXPECT_FALSE(no_reason->reason);
}

TEST_F(EnrollmentAdminTest, RequestsAreListedByStateAndGuardedByRole) {
  register_device("dev-5");
  auto a = hold("default", "dev-5");
  auto b = hold("default", "dev-5");
  ASSERT_TRUE(admin().reject_request(operator_, "default", b.id, "dup", {}));
  auto all = admin().list_requests(auditor_, "default", std::nullopt, 0, 100);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->items.size(), 2u);
  auto pending = admin().list_requests(operator_, "default", std::string("pending"), 0, 100);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->items.size(), 1u);
  EXPECT_EQ(pending->items[0].id, a.id);
  auto bad_state = admin().list_requests(operator_, "default", std::string("done"), 0, 100);
  ASSERT_FALSE(bad_state);
  EXPECT_EQ(bad_state.error().code, Errc::InvalidArgument);
  auto bad_limit = admin().list_requests(operator_, "default", std::nullopt, 0, 0);
  ASSERT_FALSE(bad_limit);
  EXPECT_EQ(bad_limit.error().code, Errc::InvalidArgument);

  for (const Principal* who : {&auditor_, &device_role_}) {
    auto approve = admin().approve_request(*who, "default", a.id, {});
    ASSERT_FALSE(approve);
    EXPECT_EQ(approve.error().code, Errc::PermissionDenied);
    auto reject = admin().reject_request(*who, "default", a.id, "", {});
    ASSERT_FALSE(reject);
    EXPECT_EQ(reject.error().code, Errc::PermissionDenied);
  }
  auto device_read = admin().list_requests(device_role_, "default", std::nullopt, 0, 10);
  ASSERT_FALSE(device_read);
  EXPECT_EQ(device_read.error().code, Errc::PermissionDenied);

  Principal acme = other_tenant_admin();
  auto theirs = admin().get_request(acme, "acme", a.id);
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, Errc::NotFound);
  auto approve_theirs = admin().approve_request(acme, "acme", a.id, {});
  ASSERT_FALSE(approve_theirs);
  EXPECT_EQ(approve_theirs.error().code, Errc::NotFound);
  auto listed = admin().list_requests(acme, "acme", std::nullopt, 0, 100);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->items.empty());
  auto missing = admin().get_request(admin_, "default", 99999);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
}

// ---- with the EST service: what an operator does reaches the device ------------------------------

TEST_F(EnrollmentAdminTest, OtpEnrollmentHeldForApprovalReachesTheDevicesIdenticalRetry) {
  register_device("dev-10");
  EndpointSpec spec = default_enrollment_endpoint_spec();
  spec.approval = EstApproval::Manual;
  ASSERT_TRUE(admin().update_endpoint(admin_, "default", "default", spec, {}));  // invalidates the EST cache
  auto otp = admin().create_otp(operator_, "default", "dev-10", hours(1), {});
  ASSERT_TRUE(otp) << otp.error().message;
  EstClient client = tls13_client();
  client.basic_user = "dev-10";
  client.basic_password = otp->otp;
  const Bytes csr = csr_der({{"CN", "dev-10"}});

  auto first = authority_->est().simpleenroll("", client, csr, {"e1"});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(first->pending);
  EXPECT_EQ(first->retry_after_seconds, 60);
  auto pending = admin().list_requests(operator_, "default", std::string("pending"), 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->items.size(), 1u);
  EXPECT_EQ(pending->items[0].auth_mode, "otp");
  EXPECT_EQ(pending->items[0].device_serial, "dev-10");

  auto approved = admin().approve_request(operator_, "default", pending->items[0].id, {});
  ASSERT_TRUE(approved) << approved.error().message;
  auto retry = authority_->est().simpleenroll("", client, csr, {"e2"});
  ASSERT_TRUE(retry) << retry.error().message;
  EXPECT_FALSE(retry->pending);
  EXPECT_EQ(retry->serial_hex, *approved->certificate_serial);
}

TEST_F(EnrollmentAdminTest, ApprovalRegistersAnUnknownIdevidDeviceWhoseRetryGetsTheCertificate) {
  ASSERT_TRUE(admin().create_endpoint(admin_, "default", "open", manual_unknown_spec(), {}));
  // A birth certificate from the tenant's manufacturing CA for a device nobody registered.
  auto idevid = authority_->issue(platform_admin_,
                                  {"default", "idevid",
                                   testing::make_csr_pem({.subject = {{"CN", "widget"}, {"serialNumber", "new-11"}}})},
                                  {});
  ASSERT_TRUE(idevid) << idevid.error().message;
  EstClient client = tls13_client();
  client.certificate_chain = {idevid->record.der};
  const Bytes csr = csr_der({{"CN", "new-11"}});
  auto first = authority_->est().simpleenroll("open", client, csr, {});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(first->pending);
  auto pending = admin().list_requests(operator_, "default", std::string("pending"), 0, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->items.size(), 1u);
  EXPECT_FALSE(authority_->devices().get(admin_, "default", "new-11"));

  auto approved = admin().approve_request(operator_, "default", pending->items[0].id, {});
  ASSERT_TRUE(approved) << approved.error().message;
  auto device = authority_->devices().get(admin_, "default", "new-11");
  ASSERT_TRUE(device) << device.error().message;
  EXPECT_EQ(device->device.state, store::kDeviceActive);
  auto retry = authority_->est().simpleenroll("open", client, csr, {});
  ASSERT_TRUE(retry) << retry.error().message;
  EXPECT_EQ(retry->serial_hex, *approved->certificate_serial);
}

TEST_F(EnrollmentAdminTest, DisablingAnEndpointTakesEffectOnTheEstPathAtOnce) {
  ASSERT_TRUE(authority_->est().cacerts(""));  // cached now
  ASSERT_TRUE(admin().set_endpoint_disabled(admin_, "default", "default", true, {}));
  auto off = authority_->est().cacerts("");
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().code, Errc::NotFound);
  ASSERT_TRUE(admin().set_endpoint_disabled(admin_, "default", "default", false, {}));
  EXPECT_TRUE(authority_->est().cacerts(""));
}

// ---- one-time passwords and renewal grants -----------------------------------------------------------

TEST_F(EnrollmentAdminTest, OneTimePasswordIsRandomBase64UrlStoredOnlyAsItsHash) {
  register_device("dev-6");
  auto otp = admin().create_otp(operator_, "default", "dev-6", hours(24), {"otp-1"});
  ASSERT_TRUE(otp) << otp.error().message;
  ASSERT_EQ(otp->otp.size(), 43u);
  EXPECT_TRUE(std::all_of(otp->otp.begin(), otp->otp.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }));
  EXPECT_EQ(otp->record.secret_hash, hash_enrollment_otp(otp->otp));
  EXPECT_EQ(otp->record.secret_hash.size(), 32u);
  EXPECT_EQ(otp->record.expires_at, to_unix(clock_.now()) + 24 * 3600);
  EXPECT_EQ(otp->record.created_by, "t-operator");

  auto usable = store_->write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto found, tx.find_usable_enrollment_otps(tenant_id_, "dev-6", to_unix(clock_.now())));
    EXPECT_EQ(found.size(), 1u);
    if (found.size() == 1) {
      EXPECT_TRUE(constant_time_equal(found[0].secret_hash, hash_enrollment_otp(otp->otp)));
    }
    return ok();
  });
  ASSERT_TRUE(usable) << usable.error().message;

  auto second = admin().create_otp(admin_, "default", "dev-6", seconds(1), {});
  ASSERT_TRUE(second);
  EXPECT_NE(second->otp, otp->otp);

  auto audit = events("enrollment_otp.create");
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].object, "dev-6");
  EXPECT_EQ(audit[0].details_json.find(otp->otp), std::string::npos);
  EXPECT_EQ(audit[0].details_json.find(to_hex(otp->record.secret_hash)), std::string::npos);
}

TEST_F(EnrollmentAdminTest, ANewCredentialPurgesTheDevicesLongSpentOnes) {
  register_device("dev-8");
  auto first = admin().create_otp(operator_, "default", "dev-8", hours(1), {});
  auto expired = admin().create_otp(operator_, "default", "dev-8", hours(1), {});
  ASSERT_TRUE(first && expired);
  auto mark_used = [&](std::int64_t id) {
    return store_->write([&](store::Transaction& tx) {
      return tx.mark_enrollment_otp_used(tenant_id_, id, to_unix(clock_.now()));
    });
  };
  ASSERT_TRUE(mark_used(first->record.id));
  // Ten days later both are spent (one used, one expired) but kept: a new OTP purges nothing.
  clock_.advance(hours(24 * 10));
  ASSERT_TRUE(admin().create_otp(operator_, "default", "dev-8", hours(1), {}));
  EXPECT_EQ(mark_used(first->record.id).error().code, Errc::Aborted);  // still stored, used
  // After 30 days a new renewal grant (or OTP) deletes them; the audit log keeps their history.
  clock_.advance(hours(24 * 25));
  ASSERT_TRUE(admin().grant_renewal(operator_, "default", "dev-8", hours(1), {}));
  EXPECT_EQ(mark_used(first->record.id).error().code, Errc::NotFound);
  EXPECT_EQ(mark_used(expired->record.id).error().code, Errc::NotFound);
  EXPECT_EQ(events("enrollment_otp.create").size(), 3u);
}

TEST_F(EnrollmentAdminTest, ANewCredentialAlsoPurgesOtherDevicesLongExpiredOnes) {
  register_device("dev-9");
  register_device("dev-10");
  auto forgotten = admin().create_otp(operator_, "default", "dev-9", hours(1), {});
  ASSERT_TRUE(forgotten);  // dev-9 never gets another credential
  auto mark_used = [&](std::int64_t id) {
    return store_->write([&](store::Transaction& tx) {
      return tx.mark_enrollment_otp_used(tenant_id_, id, to_unix(clock_.now()));
    });
  };
  clock_.advance(hours(24 * 20));
  ASSERT_TRUE(admin().create_otp(operator_, "default", "dev-10", hours(1), {}));
  // Expired 20 days ago: kept (the store still finds the row; marking an expired OTP is the
  // store's business, the EST path checks the expiry first).
  EXPECT_TRUE(mark_used(forgotten->record.id));
  clock_.advance(hours(24 * 11));
  ASSERT_TRUE(admin().grant_renewal(operator_, "default", "dev-10", hours(1), {}));
  EXPECT_EQ(mark_used(forgotten->record.id).error().code, Errc::NotFound);  // 31 days: purged
  EXPECT_EQ(events("enrollment_otp.create").size(), 2u);                   // history stays
}

TEST_F(EnrollmentAdminTest, OneTimePasswordRefusals) {
  register_device("dev-7");
  for (seconds ttl : {seconds(0), seconds(-5), seconds(30 * 24 * 3600 + 1)}) {
    auto r = admin().create_otp(operator_, "default", "dev-7", ttl, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
  EXPECT_TRUE(admin().create_otp(operator_, "default", "dev-7", kMaxEnrollmentCredentialTtl, {}));
  auto unknown = admin().create_otp(operator_, "default", "nobody", hours(1), {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::NotFound);
  for (const Principal* who : {&auditor_, &device_role_}) {
    auto r = admin().create_otp(*who, "default", "dev-7", hours(1), {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::PermissionDenied);
  }
  ASSERT_TRUE(authority_->devices().transition(admin_, "default", "dev-7", DeviceAction::Decommission, {}));
  auto gone = admin().create_otp(operator_, "default", "dev-7", hours(1), {});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::FailedPrecondition);
  Principal acme = other_tenant_admin();
  auto theirs = admin().create_otp(acme, "acme", "dev-7", hours(1), {});
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, Errc::NotFound);
}

TEST_F(EnrollmentAdminTest, RenewalGrantIsStoredConsumedOnceAndAudited) {
  register_device("dev-8");
  auto grant = admin().grant_renewal(operator_, "default", "dev-8", hours(2), {"g1"});
  ASSERT_TRUE(grant) << grant.error().message;
  EXPECT_GT(grant->id, 0);
  EXPECT_EQ(grant->expires_at, to_unix(clock_.now()) + 7200);
  EXPECT_EQ(grant->created_by, "t-operator");
  auto consumed = store_->write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(bool first, tx.consume_renewal_grant(tenant_id_, "dev-8", to_unix(clock_.now())));
    FLEETPKI_TRY(bool second, tx.consume_renewal_grant(tenant_id_, "dev-8", to_unix(clock_.now())));
    EXPECT_TRUE(first);
    EXPECT_FALSE(second);
    return ok();
  });
  ASSERT_TRUE(consumed) << consumed.error().message;
  auto audit = events("renewal_grant.create");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].object, "dev-8");

  auto bad_ttl = admin().grant_renewal(operator_, "default", "dev-8", seconds(0), {});
  ASSERT_FALSE(bad_ttl);
  EXPECT_EQ(bad_ttl.error().code, Errc::InvalidArgument);
  auto unknown = admin().grant_renewal(operator_, "default", "nobody", hours(1), {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::NotFound);
  auto auditor = admin().grant_renewal(auditor_, "default", "dev-8", hours(1), {});
  ASSERT_FALSE(auditor);
  EXPECT_EQ(auditor.error().code, Errc::PermissionDenied);
  ASSERT_TRUE(authority_->devices().transition(admin_, "default", "dev-8", DeviceAction::Decommission, {}));
  auto gone = admin().grant_renewal(operator_, "default", "dev-8", hours(1), {});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::FailedPrecondition);
}

}  // namespace
}  // namespace fleetpki::authority
