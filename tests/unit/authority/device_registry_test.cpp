// Device registry: types, registration, the state machine (every refused transition), the
// certificate cascade of suspend/reactivate/decommission, issuance linking, tenant isolation, roles
// and CSV import.
#include <algorithm>
#include <set>

#include "authority/device_registry.h"
#include "authority_fixture.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using testing::make_csr_pem;

class DeviceRegistryTest : public AuthorityTest {
 protected:
  DeviceRegistry& devices() { return authority_->devices(); }

  std::int64_t tenant_id(const std::string& name) {
    auto t = store_->find_tenant(name);
    EXPECT_TRUE(t && *t);
    return (t && *t) ? (*t)->id : 0;
  }

  void register_device(const std::string& serial, const std::string& tenant = "default") {
    auto d = devices().register_device(platform_admin_, tenant, serial, std::nullopt, {"reg"});
    ASSERT_TRUE(d) << d.error().message;
  }

  store::DeviceRecord device(const std::string& serial) {
    auto d = devices().get(platform_admin_, "default", serial);
    EXPECT_TRUE(d) << d.error().message;
    return d ? d->device : store::DeviceRecord{};
  }

  Result<IssuedCertificate> issue_for(const std::string& serial, const std::string& profile = "tls-client") {
    IssueRequest req{"default", profile,
                     make_csr_pem({.subject = {{"CN", "dev-" + serial}, {"serialNumber", serial}},
                                   .sans = profile == "idevid" ? std::vector<std::string>{}
                                                               : std::vector<std::string>{"DNS:dev.example"}}),
                     serial};
    return authority_->issue(platform_admin_, req, {"issue"});
  }

  std::string cert_status(const std::string& serial_hex) {
    auto rec = authority_->get_certificate(platform_admin_, "default", serial_hex);
    EXPECT_TRUE(rec) << rec.error().message;
    return rec ? rec->status : "";
  }

  std::vector<store::StatusChange> changes() {
    auto log = store_->list_status_changes(0, 10000);
    EXPECT_TRUE(log);
    return log ? *log : std::vector<store::StatusChange>{};
  }

  std::vector<std::string> audit_actions() {
    auto events = store_->list_audit(std::nullopt, 0, 1000);
    std::vector<std::string> out;
    if (events) {
      for (const auto& e : *events) out.push_back(e.action + " " + e.object);
    }
    return out;
  }

  Result<store::DeviceRecord> act(const std::string& serial, DeviceAction action) {
    return devices().transition(platform_admin_, "default", serial, action, {"act"});
  }
};

TEST_F(DeviceRegistryTest, NewTenantHasTheDefaultDeviceType) {
  auto type = devices().get_type(platform_admin_, "default", "default");
  ASSERT_TRUE(type) << type.error().message;
  EXPECT_EQ(type->name, "default");
  EXPECT_EQ(type->default_profiles_json, "[]");
}

TEST_F(DeviceRegistryTest, CreatesAndListsDeviceTypes) {
  auto created = devices().create_type(platform_admin_, "default",
                                       {.name = "sensor", .default_profiles = {"idevid", "ldevid"},
                                        .allowed_manufacturing_cas = {"manufacturing"},
                                        .mud_url = "https://mud.example.com/sensor.json"},
                                       {"t"});
  ASSERT_TRUE(created) << created.error().message;
  auto again = devices().create_type(platform_admin_, "default", {.name = "sensor"}, {"t"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::AlreadyExists);
  auto got = devices().get_type(platform_admin_, "default", "sensor");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->default_profiles_json, R"(["idevid","ldevid"])");
  EXPECT_EQ(got->mud_url.value_or(""), "https://mud.example.com/sensor.json");

  auto page1 = devices().list_types(platform_admin_, "default", std::nullopt, 1);
  ASSERT_TRUE(page1);
  ASSERT_EQ(page1->items.size(), 1u);
  ASSERT_TRUE(page1->next_after_id);
  auto page2 = devices().list_types(platform_admin_, "default", page1->next_after_id, 1);
  ASSERT_TRUE(page2);
  ASSERT_EQ(page2->items.size(), 1u);
  EXPECT_EQ(page2->items[0].name, "sensor");
  EXPECT_FALSE(page2->next_after_id);
}

TEST_F(DeviceRegistryTest, RefusesBadDeviceTypes) {
  for (const DeviceTypeSpec& spec :
       {DeviceTypeSpec{.name = ""}, DeviceTypeSpec{.name = "has space"}, DeviceTypeSpec{.name = std::string(65, 'a')},
        DeviceTypeSpec{.name = "x", .default_profiles = {"no-such-profile"}},
        DeviceTypeSpec{.name = "x", .allowed_manufacturing_cas = {"no-such-ca"}},
        DeviceTypeSpec{.name = "x", .mud_url = "http://insecure.example/mud"},
        DeviceTypeSpec{.name = "x", .mud_url = "https://a b"}}) {
    auto r = devices().create_type(platform_admin_, "default", spec, {"t"});
    ASSERT_FALSE(r) << spec.name;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << spec.name;
  }
  auto page = devices().list_types(platform_admin_, "default", std::nullopt, 100);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 1u);  // only `default`
}

TEST_F(DeviceRegistryTest, RegistersAndRefusesDuplicatesBadSerialsAndUnknownTypes) {
  register_device("SN-0001");
  auto d = device("SN-0001");
  EXPECT_EQ(d.state, "registered");
  EXPECT_EQ(d.type, "default");
  EXPECT_FALSE(d.last_seen_at);

  auto dup = devices().register_device(platform_admin_, "default", "SN-0001", std::nullopt, {});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  for (std::string bad : {std::string(), std::string(65, 'A'), std::string("a/b"), std::string("a b"),
                          std::string("caf\xC3\xA9"), std::string("x\ny")}) {
    auto r = devices().register_device(platform_admin_, "default", bad, std::nullopt, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
  auto unknown = devices().register_device(platform_admin_, "default", "SN-2", std::string("no-type"), {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::NotFound);
  auto page = devices().list(platform_admin_, "default", {});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 1u);
}

TEST_F(DeviceRegistryTest, StateMachineAllowsOnlyItsTransitions) {
  const std::vector<DeviceAction> all = {DeviceAction::Provision, DeviceAction::Activate, DeviceAction::Suspend,
                                         DeviceAction::Reactivate, DeviceAction::Decommission};
  // state -> the actions allowed from it
  const std::map<std::string, std::set<DeviceAction>> allowed = {
      {"registered", {DeviceAction::Provision, DeviceAction::Decommission}},
      {"provisioned", {DeviceAction::Activate, DeviceAction::Decommission}},
      {"active", {DeviceAction::Suspend, DeviceAction::Decommission}},
      {"suspended", {DeviceAction::Reactivate, DeviceAction::Decommission}},
      {"decommissioned", {}}};
  // A path to each state from registered.
  const std::map<std::string, std::vector<DeviceAction>> path = {
      {"registered", {}},
      {"provisioned", {DeviceAction::Provision}},
      {"active", {DeviceAction::Provision, DeviceAction::Activate}},
      {"suspended", {DeviceAction::Provision, DeviceAction::Activate, DeviceAction::Suspend}},
      {"decommissioned", {DeviceAction::Decommission}}};
  int n = 0;
  for (const auto& [state, steps] : path) {
    for (DeviceAction action : all) {
      const std::string serial = "SM-" + std::to_string(n++);
      register_device(serial);
      for (DeviceAction step : steps) ASSERT_TRUE(act(serial, step));
      ASSERT_EQ(device(serial).state, state);
      const int version = device(serial).row_version;
      auto r = act(serial, action);
      if (allowed.at(state).contains(action)) {
        EXPECT_TRUE(r) << state << " " << device_action_name(action) << ": " << r.error().message;
      } else {
        ASSERT_FALSE(r) << state << " " << device_action_name(action);
        EXPECT_EQ(r.error().code, Errc::FailedPrecondition);
        EXPECT_EQ(device(serial).state, state);
        EXPECT_EQ(device(serial).row_version, version);
      }
    }
  }
  auto missing = act("NOPE", DeviceAction::Provision);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
}

TEST_F(DeviceRegistryTest, IssuanceLinksTheCertificateAndAdvancesTheDevice) {
  register_device("D-1");
  auto idevid = issue_for("D-1", "idevid");
  ASSERT_TRUE(idevid) << idevid.error().message;
  EXPECT_EQ(idevid->record.device_serial.value_or(""), "D-1");
  EXPECT_NE(idevid->record.subject.find("serialNumber=D-1"), std::string::npos) << idevid->record.subject;
  auto d = device("D-1");
  EXPECT_EQ(d.state, "provisioned");
  EXPECT_EQ(d.last_seen_at.value_or(0), to_unix(clock_.now()));

  auto ldevid = issue_for("D-1", "tls-client");
  ASSERT_TRUE(ldevid) << ldevid.error().message;
  EXPECT_EQ(device("D-1").state, "active");
  auto details = devices().get(platform_admin_, "default", "D-1");
  ASSERT_TRUE(details);
  ASSERT_EQ(details->certificates.size(), 2u);
  EXPECT_EQ(details->certificates[0].serial_hex, idevid->record.serial_hex);
  EXPECT_EQ(details->certificates[1].serial_hex, ldevid->record.serial_hex);
  auto actions = audit_actions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "device.provision D-1"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "device.activate D-1"), actions.end());

  // Without a device nothing is linked.
  auto plain = authority_->issue(platform_admin_,
                                 {"default", "tls-client", make_csr_pem({.subject = {{"CN", "plain"}}})}, {});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->record.device_serial);
}

TEST_F(DeviceRegistryTest, FactoryBatchLinksEachCertificateToTheDeviceItsCsrNames) {
  for (const char* serial : {"B-1", "B-2", "B-3", "B-4"}) register_device(serial);
  ASSERT_TRUE(act("B-3", DeviceAction::Decommission));
  auto csr = [](const std::string& serial) {
    return make_csr_pem({.subject = {{"CN", "widget"}, {"serialNumber", serial}}});
  };
  // 20 CSRs, so that the certificates go to the committer in more than one group.
  std::vector<std::string> pems;
  for (int i = 0; i < 17; ++i) pems.push_back(csr(i % 2 == 0 ? "B-1" : "B-2"));
  pems.push_back(csr("B-3"));                                           // decommissioned
  pems.push_back(csr("NOT-REGISTERED"));                                // unknown
  pems.push_back(make_csr_pem({.subject = {{"CN", "no serial"}}}));     // nothing to link
  auto results = authority_->issue_many(platform_admin_, "default", "idevid", pems, {"batch"}, true);
  ASSERT_EQ(results.size(), pems.size());
  for (std::size_t i = 0; i < 17; ++i) {
    ASSERT_TRUE(results[i]) << i << ": " << results[i].error().message;
    EXPECT_EQ(results[i]->record.device_serial.value_or(""), i % 2 == 0 ? "B-1" : "B-2");
  }
  EXPECT_EQ(results[17].error().code, Errc::FailedPrecondition);
  EXPECT_EQ(results[18].error().code, Errc::NotFound);
  EXPECT_EQ(results[19].error().code, Errc::InvalidArgument);

  auto b1 = devices().get(platform_admin_, "default", "B-1");
  ASSERT_TRUE(b1);
  EXPECT_EQ(b1->certificates.size(), 9u);
  EXPECT_EQ(b1->device.state, "provisioned");  // as a single issuance of an IDevID does
  EXPECT_EQ(devices().get(platform_admin_, "default", "B-2")->certificates.size(), 8u);
  EXPECT_TRUE(devices().get(platform_admin_, "default", "B-4")->certificates.empty());
  auto events = store_->list_audit(std::nullopt, 0, 1000);
  ASSERT_TRUE(events);
  std::size_t linked_issues = 0;
  for (const auto& e : *events) {
    linked_issues += e.action == "certificate.issue" && e.details_json.find("\"device\":\"B-") != std::string::npos;
  }
  EXPECT_EQ(linked_issues, 17u);

  // Without the flag nothing is linked, whatever the CSR says.
  auto plain = authority_->issue_many(platform_admin_, "default", "idevid", {csr("B-4")}, {"batch"});
  ASSERT_TRUE(plain[0]);
  EXPECT_FALSE(plain[0]->record.device_serial);
}

TEST_F(DeviceRegistryTest, IssuanceRefusesUnknownSuspendedDecommissionedDevicesAndOtherSerials) {
  const std::size_t before = stored_certificates();
  auto unknown = issue_for("GHOST");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::NotFound);

  register_device("S-1");
  ASSERT_TRUE(act("S-1", DeviceAction::Provision));
  ASSERT_TRUE(act("S-1", DeviceAction::Activate));
  ASSERT_TRUE(act("S-1", DeviceAction::Suspend));
  auto suspended = issue_for("S-1");
  ASSERT_FALSE(suspended);
  EXPECT_EQ(suspended.error().code, Errc::FailedPrecondition);
  ASSERT_TRUE(act("S-1", DeviceAction::Decommission));
  auto gone = issue_for("S-1");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::FailedPrecondition);

  register_device("S-2");
  IssueRequest other{"default", "idevid",
                     make_csr_pem({.subject = {{"CN", "x"}, {"serialNumber", "S-3"}}}),
                     std::string("S-2")};
  auto mismatch = authority_->issue(platform_admin_, other, {});
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, Errc::InvalidArgument);
  EXPECT_EQ(device("S-2").state, "registered");
  EXPECT_EQ(stored_certificates(), before);
}

TEST_F(DeviceRegistryTest, SuspendReactivateDecommissionCascadeToCertificates) {
  register_device("C-1");
  auto a = issue_for("C-1", "idevid");
  auto b = issue_for("C-1", "tls-client");
  auto c = issue_for("C-1", "tls-client");
  ASSERT_TRUE(a && b && c);
  ASSERT_EQ(device("C-1").state, "active");
  // c suspended by hand: the device's reactivation must leave it suspended.
  ASSERT_TRUE(authority_->suspend(platform_admin_, "default", c->record.serial_hex, {}));
  const std::size_t log_before = changes().size();

  ASSERT_TRUE(act("C-1", DeviceAction::Suspend));
  EXPECT_EQ(cert_status(a->record.serial_hex), "suspended");
  EXPECT_EQ(cert_status(b->record.serial_hex), "suspended");
  auto log = changes();
  ASSERT_EQ(log.size(), log_before + 2);
  EXPECT_EQ(log.back().revocation_reason.value_or(-1), 6);  // certificateHold

  ASSERT_TRUE(act("C-1", DeviceAction::Reactivate));
  EXPECT_EQ(cert_status(a->record.serial_hex), "valid");
  EXPECT_EQ(cert_status(b->record.serial_hex), "valid");
  EXPECT_EQ(cert_status(c->record.serial_hex), "suspended");
  EXPECT_EQ(changes().size(), log_before + 4);

  ASSERT_TRUE(act("C-1", DeviceAction::Decommission));
  for (const auto& cert : {a, b, c}) {
    auto rec = authority_->get_certificate(platform_admin_, "default", cert->record.serial_hex);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->status, "revoked");
    EXPECT_EQ(rec->revocation_reason.value_or(-1), 5);  // cessationOfOperation
  }
  EXPECT_EQ(changes().size(), log_before + 7);
  auto actions = audit_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "device.decommission C-1"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "certificate.revoke " + c->record.serial_hex), 1);
}

TEST_F(DeviceRegistryTest, OtherTenantsSeeAndChangeNothing) {
  ASSERT_TRUE(authority_->create_tenant(platform_admin_, "other", {}));
  register_device("ISO-1");
  const Principal other_admin{"tok-other", tenant_id("other"), Role::Admin};
  auto get = devices().get(other_admin, "default", "ISO-1");
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code, Errc::NotFound);
  auto change = devices().transition(other_admin, "default", "ISO-1", DeviceAction::Decommission, {});
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().code, Errc::NotFound);
  auto reg = devices().register_device(other_admin, "default", "ISO-2", std::nullopt, {});
  ASSERT_FALSE(reg);
  EXPECT_EQ(reg.error().code, Errc::NotFound);
  auto imported = devices().import_csv(other_admin, "default", "serial\nISO-3\n", std::nullopt, kRestImportLimits, {});
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, Errc::NotFound);
  // In its own tenant the same serial is a different device.
  auto own = devices().get(other_admin, "other", "ISO-1");
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, Errc::NotFound);
  ASSERT_TRUE(devices().register_device(other_admin, "other", "ISO-1", std::nullopt, {}));
  EXPECT_EQ(device("ISO-1").state, "registered");
  auto listed = devices().list(platform_admin_, "default", {});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->items.size(), 1u);
}

TEST_F(DeviceRegistryTest, RolesAuditorReadsOnly) {
  register_device("R-1");
  const Principal auditor{"tok-aud", tenant_id("default"), Role::Auditor};
  const Principal operator_{"tok-op", tenant_id("default"), Role::Operator};
  EXPECT_TRUE(devices().get(auditor, "default", "R-1"));
  EXPECT_TRUE(devices().list(auditor, "default", {}));
  auto denied = devices().transition(auditor, "default", "R-1", DeviceAction::Provision, {});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::PermissionDenied);
  auto denied_reg = devices().register_device(auditor, "default", "R-2", std::nullopt, {});
  ASSERT_FALSE(denied_reg);
  EXPECT_EQ(denied_reg.error().code, Errc::PermissionDenied);
  EXPECT_EQ(device("R-1").state, "registered");
  EXPECT_TRUE(devices().transition(operator_, "default", "R-1", DeviceAction::Provision, {}));
}

TEST_F(DeviceRegistryTest, ListsWithFiltersAndCursor) {
  ASSERT_TRUE(devices().create_type(platform_admin_, "default", {.name = "cam"}, {}));
  for (int i = 0; i < 5; ++i) register_device("L-" + std::to_string(i));
  ASSERT_TRUE(devices().register_device(platform_admin_, "default", "CAM-1", std::string("cam"), {}));
  ASSERT_TRUE(act("L-1", DeviceAction::Provision));
  ASSERT_TRUE(act("L-3", DeviceAction::Provision));

  std::vector<std::string> seen;
  DeviceListQuery q{.limit = 2};
  for (;;) {
    auto page = devices().list(platform_admin_, "default", q);
    ASSERT_TRUE(page);
    ASSERT_LE(page->items.size(), 2u);
    for (auto& d : page->items) seen.push_back(d.serial);
    if (!page->next_after_id) break;
    q.after_id = page->next_after_id;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"L-0", "L-1", "L-2", "L-3", "L-4", "CAM-1"}));
  auto provisioned = devices().list(platform_admin_, "default", {.state = "provisioned"});
  ASSERT_TRUE(provisioned);
  ASSERT_EQ(provisioned->items.size(), 2u);
  EXPECT_EQ(provisioned->items[1].serial, "L-3");
  auto cams = devices().list(platform_admin_, "default", {.type = "cam"});
  ASSERT_TRUE(cams);
  ASSERT_EQ(cams->items.size(), 1u);
  EXPECT_EQ(cams->items[0].type, "cam");
  EXPECT_FALSE(devices().list(platform_admin_, "default", {.state = "bogus"}));
  EXPECT_FALSE(devices().list(platform_admin_, "default", {.type = "bogus"}));
  EXPECT_FALSE(devices().list(platform_admin_, "default", {.limit = 0}));
  EXPECT_FALSE(devices().list(platform_admin_, "default", {.limit = 1001}));
}

TEST_F(DeviceRegistryTest, CsvImportReportsMalformedRowsAndImportsTheRest) {
  register_device("EXISTING");
  ASSERT_TRUE(devices().create_type(platform_admin_, "default", {.name = "cam"}, {}));
  const std::string csv =
      "serial,type\r\n"          // 1
      "A-1,\r\n"                 // 2 ok (default type)
      "A-2,cam\r\n"              // 3 ok
      "\"A-3\",\"cam\"\r\n"      // 4 ok, quoted
      "A-1,cam\r\n"              // 5 duplicate in file
      "EXISTING,\r\n"            // 6 already registered
      "bad serial,\r\n"          // 7 bad characters
      + std::string(65, 'L') + ",\r\n"  // 8 too long
      "A-4,nope\r\n"             // 9 unknown type
      "A-5,cam,extra\r\n"        // 10 column count
      "\"A-6,x\",cam\r\n"        // 11 quoted comma -> bad characters
      "\"A\"\"7\",cam\r\n"       // 12 doubled quote -> bad characters
      ",cam\r\n"                 // 13 empty serial
      "\r\n"                     // 14 blank line: skipped
      "A-8,cam\n"                // 15 ok (LF)
      "\"A-9";                   // 16 unterminated quote
  auto report = devices().import_csv(platform_admin_, "default", csv, std::nullopt, kRestImportLimits, {"imp"});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->accepted, 4u);
  std::vector<std::size_t> lines;
  for (const auto& r : report->rejected) lines.push_back(r.line);
  EXPECT_EQ(lines, (std::vector<std::size_t>{5, 6, 7, 8, 9, 10, 11, 12, 13, 16}));
  EXPECT_EQ(report->rejected[0].reason, "duplicate serial in the file");
  EXPECT_EQ(report->rejected[1].reason, "already registered");
  EXPECT_EQ(report->rejected[3].serial.size(), 64u);
  EXPECT_EQ(device("A-3").type, "cam");
  EXPECT_EQ(device("A-1").type, "default");
  EXPECT_EQ(device("A-8").state, "registered");
  auto actions = audit_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "device.import default"), 1);
}

TEST_F(DeviceRegistryTest, CsvImportRefusesBadHeadersAndOversizedFiles) {
  for (const char* csv : {"", "serial,kind\nA\n", "id\nA\n", "serial,type,extra\nA,b,c\n"}) {
    auto r = devices().import_csv(platform_admin_, "default", csv, std::nullopt, kRestImportLimits, {});
    ASSERT_FALSE(r) << csv;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << csv;
  }
  auto too_big = devices().import_csv(platform_admin_, "default", "serial\nA\nB\nC\n", std::nullopt, {2, 1000}, {});
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, Errc::ResourceExhausted);
  auto too_long = devices().import_csv(platform_admin_, "default", "serial\nA\n", std::nullopt, {10, 5}, {});
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, Errc::ResourceExhausted);
  auto page = devices().list(platform_admin_, "default", {});
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
  auto with_type = devices().import_csv(platform_admin_, "default", "serial\nT-1\n", std::string("nope"),
                                        kRestImportLimits, {});
  ASSERT_TRUE(with_type);
  EXPECT_EQ(with_type->accepted, 0u);
  ASSERT_EQ(with_type->rejected.size(), 1u);
}

TEST_F(DeviceRegistryTest, ImportsThousandsOfRowsInChunks) {
  std::string csv = "serial\n";
  for (int i = 0; i < 2500; ++i) csv += "BULK-" + std::to_string(i) + "\n";
  auto report = devices().import_csv(platform_admin_, "default", csv, std::nullopt, kCliImportLimits, {});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->accepted, 2500u);
  EXPECT_TRUE(report->rejected.empty());
  auto actions = audit_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "device.import default"), 3);  // 1000 + 1000 + 500
  EXPECT_EQ(device("BULK-2499").state, "registered");
  auto again = devices().import_csv(platform_admin_, "default", csv, std::nullopt, kCliImportLimits, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->accepted, 0u);
  EXPECT_EQ(again->rejected.size(), 2500u);
}

TEST_F(DeviceRegistryTest, RenewalsAndRekeysStayLinkedToTheDeviceAndFollowItsCascade) {
  register_device("R-1");
  ASSERT_TRUE(issue_for("R-1", "idevid"));  // registered -> provisioned; the next issuance -> active
  auto original = issue_for("R-1", "tls-client");
  ASSERT_TRUE(original) << original.error().message;
  auto renewed = authority_->renew(platform_admin_, "default", original->record.serial_hex, {"renew"});
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_EQ(renewed->record.device_serial.value_or(""), "R-1");
  auto rekeyed = authority_->rekey(platform_admin_, "default", renewed->record.serial_hex,
                                   make_csr_pem({.subject = {{"CN", "dev-R-1"}}, .sans = {"DNS:dev.example"}}),
                                   {"rekey"});
  ASSERT_TRUE(rekeyed) << rekeyed.error().message;
  EXPECT_EQ(rekeyed->record.device_serial.value_or(""), "R-1");

  ASSERT_TRUE(act("R-1", DeviceAction::Suspend));
  EXPECT_EQ(cert_status(renewed->record.serial_hex), "suspended");
  EXPECT_EQ(cert_status(rekeyed->record.serial_hex), "suspended");
  ASSERT_TRUE(act("R-1", DeviceAction::Decommission));
  EXPECT_EQ(cert_status(rekeyed->record.serial_hex), "revoked");
}

}  // namespace
}  // namespace fleetpki::authority
