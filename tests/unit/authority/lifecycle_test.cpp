// Lifecycle state machine: revoke, suspend, reactivate, renew, re-key, revoke-by-query, and the
// race between revocation and renewal.
#include <openssl/x509.h>

#include <atomic>
#include <set>
#include <thread>

#include "authority_fixture.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using testing::make_csr_pem;
using testing::make_key;

class LifecycleTest : public AuthorityTest {
 protected:
  IssuedCertificate issue(const std::string& cn, const std::string& profile = "tls-client",
                          EVP_PKEY* key = nullptr) {
    auto issued = authority_->issue(
        platform_admin_, {"default", profile, make_csr_pem({.subject = {{"CN", cn}}, .sans = {"DNS:" + cn + ".example"}}, key)},
        {"issue"});
    EXPECT_TRUE(issued) << issued.error().message;
    return issued ? *issued : IssuedCertificate{};
  }

  store::CertificateRecord get(const std::string& serial) {
    auto rec = authority_->get_certificate(platform_admin_, "default", serial);
    EXPECT_TRUE(rec) << rec.error().message;
    return rec ? *rec : store::CertificateRecord{};
  }

  std::vector<store::StatusChange> changes() {
    auto log = store_->list_status_changes(0, 10000);
    EXPECT_TRUE(log);
    return log ? *log : std::vector<store::StatusChange>{};
  }

  std::size_t audit_count(const std::string& action, const std::string& object) {
    std::size_t n = 0;
    for (std::int64_t after = 0;;) {  // the store pages audit events
      auto events = store_->list_audit(std::nullopt, after, 1000);
      EXPECT_TRUE(events);
      if (!events || events->empty()) return n;
      for (const auto& e : *events) n += e.action == action && e.object == object;
      after = events->back().id;
    }
  }

  Principal operator_principal() {
    auto tenant = store_->find_tenant("default");
    return Principal{"op", (*tenant)->id, Role::Operator};
  }
};

TEST_F(LifecycleTest, RevokeRecordsReasonTimeLogEntryAndAuditEventTogether) {
  auto cert = issue("dev-1");
  clock_.advance(std::chrono::seconds(10));
  auto revoked = authority_->revoke(operator_principal(), "default", cert.record.serial_hex,
                                    pki::CrlReason::KeyCompromise, std::nullopt, {"r-revoke"});
  ASSERT_TRUE(revoked) << revoked.error().message;
  EXPECT_EQ(revoked->status, store::kStatusRevoked);
  EXPECT_EQ(revoked->revocation_reason, 1);
  EXPECT_EQ(revoked->revoked_at, 1'800'000'010);
  const auto stored = get(cert.record.serial_hex);
  EXPECT_EQ(stored.status, store::kStatusRevoked);
  EXPECT_EQ(stored.row_version, cert.record.row_version + 1);
  auto log = changes();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].serial_hex, cert.record.serial_hex);
  EXPECT_EQ(log[0].status, store::kStatusRevoked);
  EXPECT_EQ(log[0].revocation_reason, 1);
  EXPECT_EQ(log[0].not_after, cert.record.not_after);
  EXPECT_EQ(audit_count("certificate.revoke", cert.record.serial_hex), 1u);
  EXPECT_EQ(authority_->counters().revoked.load(), 1u);
}

TEST_F(LifecycleTest, RevokedIsFinal) {
  auto cert = issue("dev-2");
  const auto& s = cert.record.serial_hex;
  ASSERT_TRUE(authority_->revoke(platform_admin_, "default", s, pki::CrlReason::Superseded, std::nullopt, {}));
  auto again = authority_->revoke(platform_admin_, "default", s, pki::CrlReason::KeyCompromise, std::nullopt, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::FailedPrecondition);
  EXPECT_EQ(authority_->suspend(platform_admin_, "default", s, {}).error().code, Errc::FailedPrecondition);
  EXPECT_EQ(authority_->reactivate(platform_admin_, "default", s, {}).error().code, Errc::FailedPrecondition);
  EXPECT_EQ(authority_->renew(platform_admin_, "default", s, {}).error().code, Errc::FailedPrecondition);
  // The first reason stands; nothing else was logged.
  EXPECT_EQ(get(s).revocation_reason, static_cast<int>(pki::CrlReason::Superseded));
  EXPECT_EQ(changes().size(), 1u);
}

TEST_F(LifecycleTest, UnknownOrMalformedSerialIsNotFound) {
  for (const char* serial : {"7f00112233445566778899aabbccddee", "zz", "", "00"}) {
    auto r = authority_->revoke(platform_admin_, "default", serial, pki::CrlReason::KeyCompromise, std::nullopt, {});
    ASSERT_FALSE(r) << serial;
    EXPECT_EQ(r.error().code, Errc::NotFound) << serial;
  }
  EXPECT_TRUE(changes().empty());
}

TEST_F(LifecycleTest, HoldAndRemoveFromCrlAreNotRevocationReasons) {
  auto cert = issue("dev-3");
  for (auto reason : {pki::CrlReason::CertificateHold, pki::CrlReason::RemoveFromCrl}) {
    auto r = authority_->revoke(platform_admin_, "default", cert.record.serial_hex, reason, std::nullopt, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
  EXPECT_EQ(get(cert.record.serial_hex).status, store::kStatusValid);
}

TEST_F(LifecycleTest, SuspendThenReactivateReturnsToValid) {
  auto cert = issue("dev-4");
  const auto& s = cert.record.serial_hex;
  auto suspended = authority_->suspend(platform_admin_, "default", s, {});
  ASSERT_TRUE(suspended) << suspended.error().message;
  EXPECT_EQ(suspended->status, store::kStatusSuspended);
  EXPECT_EQ(suspended->revocation_reason, static_cast<int>(pki::CrlReason::CertificateHold));
  EXPECT_EQ(authority_->suspend(platform_admin_, "default", s, {}).error().code, Errc::FailedPrecondition);
  EXPECT_EQ(authority_->renew(platform_admin_, "default", s, {}).error().code, Errc::FailedPrecondition);
  auto back = authority_->reactivate(platform_admin_, "default", s, {});
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->status, store::kStatusValid);
  EXPECT_FALSE(back->revocation_reason);
  EXPECT_FALSE(back->revoked_at);
  EXPECT_EQ(authority_->reactivate(platform_admin_, "default", s, {}).error().code, Errc::FailedPrecondition);
  auto log = changes();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].status, store::kStatusSuspended);
  EXPECT_EQ(log[1].status, store::kStatusValid);
  EXPECT_LT(log[0].id, log[1].id);
}

TEST_F(LifecycleTest, SuspendedCertificateCanBeRevokedForGood) {
  auto cert = issue("dev-5");
  ASSERT_TRUE(authority_->suspend(platform_admin_, "default", cert.record.serial_hex, {}));
  auto r = authority_->revoke(platform_admin_, "default", cert.record.serial_hex, pki::CrlReason::KeyCompromise,
                              std::nullopt, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, store::kStatusRevoked);
  EXPECT_EQ(authority_->reactivate(platform_admin_, "default", cert.record.serial_hex, {}).error().code,
            Errc::FailedPrecondition);
}

TEST_F(LifecycleTest, RolesAndTenantsAreEnforced) {
  auto cert = issue("dev-6");
  auto tenant = store_->find_tenant("default");
  const Principal auditor{"aud", (*tenant)->id, Role::Auditor};
  const Principal enrollment{"dev", (*tenant)->id, Role::Enrollment};
  const Principal stranger{"other", (*tenant)->id + 1000, Role::Admin};
  for (const Principal& who : {auditor, enrollment}) {
    EXPECT_EQ(authority_->revoke(who, "default", cert.record.serial_hex, pki::CrlReason::KeyCompromise, std::nullopt, {})
                  .error()
                  .code,
              Errc::PermissionDenied);
    EXPECT_EQ(authority_->suspend(who, "default", cert.record.serial_hex, {}).error().code, Errc::PermissionDenied);
    EXPECT_EQ(authority_->renew(who, "default", cert.record.serial_hex, {}).error().code, Errc::PermissionDenied);
  }
  EXPECT_EQ(authority_->revoke(stranger, "default", cert.record.serial_hex, pki::CrlReason::KeyCompromise, std::nullopt, {})
                .error()
                .code,
            Errc::NotFound);
  EXPECT_EQ(get(cert.record.serial_hex).status, store::kStatusValid);
  EXPECT_TRUE(changes().empty());
}

TEST_F(LifecycleTest, RenewKeepsKeySubjectAndSansUnderANewSerial) {
  auto key = make_key("P-256");
  auto cert = issue("dev-7", "tls-client", key.get());
  clock_.advance(std::chrono::hours(24));
  auto renewed = authority_->renew(platform_admin_, "default", cert.record.serial_hex, {"r-renew"});
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_NE(renewed->record.serial_hex, cert.record.serial_hex);
  EXPECT_EQ(renewed->record.renewal_of, cert.record.id);
  EXPECT_EQ(renewed->record.subject, cert.record.subject);
  EXPECT_EQ(renewed->record.not_before, cert.record.not_before + 86400);
  pki::CryptoContext crypto;
  auto old_cert = pki::Certificate::from_der(crypto, cert.record.der);
  auto new_cert = pki::Certificate::from_der(crypto, renewed->record.der);
  ASSERT_TRUE(old_cert && new_cert);
  EXPECT_EQ(new_cert->public_key().spki_der, old_cert->public_key().spki_der);
  EXPECT_EQ(new_cert->subject_der(), old_cert->subject_der());
  ASSERT_EQ(new_cert->subject_alt_names().size(), 1u);
  EXPECT_EQ(new_cert->subject_alt_names()[0].der, old_cert->subject_alt_names()[0].der);
  EXPECT_EQ(get(cert.record.serial_hex).status, store::kStatusValid);  // overlap: the old one stays valid
  EXPECT_EQ(audit_count("certificate.renew", renewed->record.serial_hex), 1u);
}

TEST_F(LifecycleTest, RenewRefusesExpiredCertificates) {
  auto cert = issue("dev-8");
  clock_.advance(std::chrono::days(366));
  auto r = authority_->renew(platform_admin_, "default", cert.record.serial_hex, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::FailedPrecondition);
}

TEST_F(LifecycleTest, RekeyTakesTheNewKeyAndTheOldIdentity) {
  auto old_key = make_key("P-256");
  auto cert = issue("dev-9", "tls-client", old_key.get());
  auto new_key = make_key("P-384");
  // The CSR asks for another name: the identity comes from the old certificate, not the CSR.
  auto rekeyed = authority_->rekey(platform_admin_, "default", cert.record.serial_hex,
                                   make_csr_pem({.subject = {{"CN", "someone-else"}}}, new_key.get()), {});
  ASSERT_TRUE(rekeyed) << rekeyed.error().message;
  EXPECT_EQ(rekeyed->record.subject, "CN=dev-9");
  EXPECT_EQ(rekeyed->record.renewal_of, cert.record.id);
  pki::CryptoContext crypto;
  auto new_cert = pki::Certificate::from_der(crypto, rekeyed->record.der);
  ASSERT_TRUE(new_cert);
  EXPECT_EQ(new_cert->public_key().type, pki::KeyType::EcP384);

  auto same_key = authority_->rekey(platform_admin_, "default", cert.record.serial_hex,
                                    make_csr_pem({.subject = {{"CN", "dev-9"}}}, old_key.get()), {});
  ASSERT_FALSE(same_key);
  EXPECT_EQ(same_key.error().code, Errc::InvalidArgument);
  auto asks_for_ca = authority_->rekey(
      platform_admin_, "default", cert.record.serial_hex,
      make_csr_pem({.subject = {{"CN", "dev-9"}}, .extensions = {{"basicConstraints", "critical,CA:TRUE"}}}), {});
  ASSERT_FALSE(asks_for_ca);
  EXPECT_EQ(asks_for_ca.error().code, Errc::InvalidArgument);
}

TEST_F(LifecycleTest, RevokingCascadesToEveryRenewal) {
  auto a = issue("dev-10");
  auto b = authority_->renew(platform_admin_, "default", a.record.serial_hex, {});
  ASSERT_TRUE(b);
  auto c = authority_->renew(platform_admin_, "default", b->record.serial_hex, {});
  ASSERT_TRUE(c);
  auto d = authority_->rekey(platform_admin_, "default", a.record.serial_hex, make_csr_pem({.subject = {{"CN", "x"}}}), {});
  ASSERT_TRUE(d);
  auto unrelated = issue("dev-11");
  ASSERT_TRUE(authority_->revoke(platform_admin_, "default", a.record.serial_hex, pki::CrlReason::KeyCompromise,
                                 std::nullopt, {}));
  for (const auto* s : {&a.record.serial_hex, &b->record.serial_hex, &c->record.serial_hex, &d->record.serial_hex}) {
    auto rec = get(*s);
    EXPECT_EQ(rec.status, store::kStatusRevoked) << *s;
    EXPECT_EQ(rec.revocation_reason, 1) << *s;
  }
  EXPECT_EQ(get(unrelated.record.serial_hex).status, store::kStatusValid);
  EXPECT_EQ(changes().size(), 4u);
  EXPECT_EQ(authority_->counters().revoked.load(), 4u);
}

// A revoke racing renewals from many threads must never leave a valid certificate in the renewal
// tree of a revoked one, whatever the interleaving.
TEST_F(LifecycleTest, ConcurrentRevokeAndRenewNeverLeaveAValidRenewalOfARevokedIdentity) {
  constexpr int kRounds = 12;
  constexpr int kRenewers = 3;
  for (int round = 0; round < kRounds; ++round) {
    auto root = issue("race-" + std::to_string(round));
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    std::atomic<int> renewals{0};
    for (int t = 0; t < kRenewers; ++t) {
      threads.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        // Renew whatever is newest; stop when refused (the identity was revoked).
        std::string serial = root.record.serial_hex;
        for (int i = 0; i < 4; ++i) {
          auto r = authority_->renew(platform_admin_, "default", serial, {});
          if (!r) {
            EXPECT_EQ(r.error().code, Errc::FailedPrecondition) << r.error().message;
            break;
          }
          ++renewals;
          serial = r->record.serial_hex;
        }
      });
    }
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      auto r = authority_->revoke(platform_admin_, "default", root.record.serial_hex, pki::CrlReason::KeyCompromise,
                                  std::nullopt, {});
      EXPECT_TRUE(r) << r.error().message;
    });
    go = true;
    for (auto& t : threads) t.join();

    // Walk the renewal tree from the root through the store: everything in it is revoked.
    auto page = store_->list_certificates((*store_->find_tenant("default"))->id, {.limit = 1000});
    ASSERT_TRUE(page);
    std::set<std::int64_t> tree = {root.record.id};
    bool grew = true;
    while (grew) {
      grew = false;
      for (const auto& rec : page->items) {
        if (rec.renewal_of && tree.count(*rec.renewal_of) && !tree.count(rec.id)) {
          tree.insert(rec.id);
          grew = true;
        }
      }
    }
    for (const auto& rec : page->items) {
      if (tree.count(rec.id)) {
        EXPECT_EQ(rec.status, store::kStatusRevoked) << "round " << round << " " << rec.serial_hex;
      }
    }
  }
}

TEST_F(LifecycleTest, BulkRevokeByProfileIsResumableAndSparesTheRest) {
  auto tenant = store_->find_tenant("default");
  std::vector<std::string> clients, servers;
  std::vector<std::string> csrs;
  for (int i = 0; i < 1100; ++i) csrs.push_back(make_csr_pem({.subject = {{"CN", "bulk-" + std::to_string(i)}}}));
  for (auto& r : authority_->issue_many(platform_admin_, "default", "tls-client", csrs, {})) {
    ASSERT_TRUE(r);
    clients.push_back(r->record.serial_hex);
  }
  for (int i = 0; i < 5; ++i) servers.push_back(issue("srv-" + std::to_string(i), "tls-server").record.serial_hex);

  auto job = authority_->start_bulk_revoke(operator_principal(), "default", {.profile = "tls-client"},
                                           pki::CrlReason::CessationOfOperation, {"bulk-1"});
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->state, "running");

  // Stop after the first chunk, as a shutdown would; the job keeps its committed cursor.
  std::atomic<bool> stop{false};
  authority_->add_status_listener([&] { stop = true; });
  ASSERT_TRUE(authority_->run_bulk_jobs(&stop));
  auto partial = authority_->get_bulk_job(operator_principal(), "default", job->id);
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->state, "running");
  EXPECT_GT(partial->processed, 0);
  EXPECT_LT(partial->processed, 1100);
  EXPECT_GT(partial->cursor, 0);

  ASSERT_TRUE(authority_->run_bulk_jobs());
  auto done = authority_->get_bulk_job(operator_principal(), "default", job->id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, "done");
  EXPECT_EQ(done->processed, 1100);
  for (const auto& s : clients) {
    auto rec = get(s);
    ASSERT_EQ(rec.status, store::kStatusRevoked) << s;
    EXPECT_EQ(rec.revocation_reason, static_cast<int>(pki::CrlReason::CessationOfOperation));
  }
  for (const auto& s : servers) EXPECT_EQ(get(s).status, store::kStatusValid);
  EXPECT_EQ(audit_count("bulk.revoke.done", std::to_string(job->id)), 1u);
  (void)tenant;
}

TEST_F(LifecycleTest, BulkRevokeByIssuanceWindow) {
  auto early = issue("early");
  clock_.advance(std::chrono::hours(1));
  auto inside = issue("inside");
  clock_.advance(std::chrono::hours(1));
  auto late = issue("late");
  const std::int64_t from = inside.record.created_at, to = inside.record.created_at + 60;
  auto job = authority_->start_bulk_revoke(platform_admin_, "default", {.issued_from = from, .issued_to = to},
                                           pki::CrlReason::KeyCompromise, {});
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_TRUE(authority_->run_bulk_jobs());
  EXPECT_EQ(get(early.record.serial_hex).status, store::kStatusValid);
  EXPECT_EQ(get(inside.record.serial_hex).status, store::kStatusRevoked);
  EXPECT_EQ(get(late.record.serial_hex).status, store::kStatusValid);
}

TEST_F(LifecycleTest, BulkRevokeRefusesEmptyOrBadQueries) {
  EXPECT_EQ(authority_->start_bulk_revoke(platform_admin_, "default", {}, pki::CrlReason::KeyCompromise, {}).error().code,
            Errc::InvalidArgument);
  EXPECT_EQ(authority_->start_bulk_revoke(platform_admin_, "default", {.ca = "nope"}, pki::CrlReason::KeyCompromise, {})
                .error()
                .code,
            Errc::NotFound);
  EXPECT_EQ(authority_->start_bulk_revoke(platform_admin_, "default", {.profile = "tls-client"},
                                          pki::CrlReason::CertificateHold, {})
                .error()
                .code,
            Errc::InvalidArgument);
  EXPECT_EQ(authority_->start_bulk_revoke(platform_admin_, "default", {.issued_from = 10, .issued_to = 5},
                                          pki::CrlReason::KeyCompromise, {})
                .error()
                .code,
            Errc::InvalidArgument);
}

}  // namespace
}  // namespace fleetpki::authority
