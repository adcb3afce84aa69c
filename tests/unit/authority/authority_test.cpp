#include "authority/authority.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <set>
#include <thread>

#include "authority_fixture.h"
#include "pki/certificate.h"
#include "pki/pem.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using testing::CsrSpec;
using testing::make_csr_pem;

pki::ossl::Ptr<X509> parse_x509(const std::string& pem) {
  auto der = pki::pem_decode(pem, {"CERTIFICATE"});
  EXPECT_TRUE(der);
  const unsigned char* p = der->data();
  return pki::ossl::Ptr<X509>(::d2i_X509(nullptr, &p, static_cast<long>(der->size())));
}

TEST_F(AuthorityTest, IssuesTlsClientCertificateSignedByTheIssuingCa) {
  auto issued = authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "dev-1"}}})}, {"r1"});
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_EQ(issued->record.profile, "tls-client");
  EXPECT_EQ(issued->record.subject, "CN=dev-1");
  EXPECT_EQ(issued->record.serial_hex.size(), 32u);

  auto leaf = parse_x509(issued->certificate_pem);
  ASSERT_TRUE(leaf);
  auto chain = pki::pem_decode_all(issued->chain_pem, "CERTIFICATE");
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 2u);  // issuing CA, root
  auto issuer = parse_x509(pki::pem_encode((*chain)[0], "CERTIFICATE"));
  pki::ossl::Ptr<EVP_PKEY> issuer_key(::X509_get_pubkey(issuer.get()));
  EXPECT_EQ(::X509_verify(leaf.get(), issuer_key.get()), 1);
  EXPECT_EQ(::X509_check_issued(issuer.get(), leaf.get()), X509_V_OK);
  // Validity follows the clock and the profile: backdated 5 minutes, 365 days.
  EXPECT_EQ(issued->record.not_before, 1'800'000'000 - 300);
  EXPECT_EQ(issued->record.not_after, 1'800'000'000 + 365 * 86400);
}

TEST_F(AuthorityTest, StoresTheCertificateAndItsAuditEventTogether) {
  auto issued = authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "dev-2"}}})}, {"req-42"});
  ASSERT_TRUE(issued);
  auto found = authority_->get_certificate(platform_admin_, "default", issued->record.serial_hex);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->der, issued->record.der);
  auto events = store_->list_audit(std::nullopt, 0, 100);
  ASSERT_TRUE(events);
  bool seen = false;
  for (const auto& e : *events) {
    if (e.action == "certificate.issue" && e.object == issued->record.serial_hex) {
      seen = true;
      EXPECT_EQ(e.request_id, "req-42");
      EXPECT_EQ(e.actor, "test-admin");
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(AuthorityTest, IdevidComesFromTheManufacturingCaAndNeverExpires) {
  auto issued = authority_->issue(platform_admin_,
                                  {"default", "idevid", make_csr_pem({.subject = {{"serialNumber", "SN-0001"}, {"CN", "meter"}}})}, {});
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_EQ(issued->record.not_after, 253402300799);
  auto leaf = parse_x509(issued->certificate_pem);
  const ASN1_TIME* not_after = ::X509_get0_notAfter(leaf.get());
  EXPECT_EQ(::ASN1_STRING_type(not_after), V_ASN1_GENERALIZEDTIME);
  auto mfg = authority_->ca_chain_pem("default", "manufacturing");
  ASSERT_TRUE(mfg);
  EXPECT_EQ(issued->chain_pem, *mfg);
}

TEST_F(AuthorityTest, RefusesCsrAskingForCaPowersAndStoresNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"basicConstraints", "critical,CA:TRUE"},
      {"keyUsage", "keyCertSign"},
      {"extendedKeyUsage", "codeSigning"},
      {"nameConstraints", "permitted;DNS:.example.com"},
      {"crlDistributionPoints", "URI:http://evil.example/crl"},
      {"authorityInfoAccess", "OCSP;URI:http://evil.example/ocsp"},
  };
  for (const auto& ext : cases) {
    auto issued = authority_->issue(platform_admin_,
                                    {"default", "tls-client", make_csr_pem({.subject = {{"CN", "x"}}, .extensions = {ext}})}, {});
    ASSERT_FALSE(issued) << ext.first;
    EXPECT_EQ(issued.error().code, Errc::InvalidArgument) << ext.first;
  }
  EXPECT_EQ(stored_certificates(), 0u);
}

TEST_F(AuthorityTest, UnknownProfileAndTenantAreNotFound) {
  const std::string csr = make_csr_pem({.subject = {{"CN", "x"}}});
  auto p = authority_->issue(platform_admin_, {"default", "no-such-profile", csr}, {});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::NotFound);
  auto t = authority_->issue(platform_admin_, {"nobody", "tls-client", csr}, {});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::NotFound);
}

TEST_F(AuthorityTest, TenantTokensCannotSeeOtherTenants) {
  ASSERT_TRUE(authority_->create_tenant(platform_admin_, "acme", {}));
  auto token = authority_->create_token(platform_admin_, "acme", Role::Operator, {});
  ASSERT_TRUE(token);
  auto who = authority_->authenticate(*token);
  ASSERT_TRUE(who);
  const std::string csr = make_csr_pem({.subject = {{"CN", "x"}}});
  auto own = authority_->issue(*who, {"acme", "tls-client", csr}, {});
  ASSERT_TRUE(own) << own.error().message;
  auto other = authority_->issue(*who, {"default", "tls-client", csr}, {});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::NotFound);  // existence of the other tenant does not leak
  auto read = authority_->get_certificate(*who, "default", own->record.serial_hex);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, Errc::NotFound);
  EXPECT_EQ(stored_certificates("default"), 0u);
}

TEST_F(AuthorityTest, RolesAreDeniedByDefault) {
  const std::string csr = make_csr_pem({.subject = {{"CN", "x"}}});
  for (Role role : {Role::Auditor, Role::Enrollment}) {
    auto token = authority_->create_token(platform_admin_, "default", role, {});
    ASSERT_TRUE(token);
    auto who = authority_->authenticate(*token);
    ASSERT_TRUE(who);
    auto issued = authority_->issue(*who, {"default", "tls-client", csr}, {});
    ASSERT_FALSE(issued);
    EXPECT_EQ(issued.error().code, Errc::PermissionDenied);
    auto token2 = authority_->create_token(*who, "default", Role::Admin, {});
    ASSERT_FALSE(token2);
  }
  EXPECT_EQ(stored_certificates(), 0u);
}

TEST_F(AuthorityTest, AuthenticationRejectsWrongMalformedAndUnknownTokens) {
  auto token = authority_->create_token(platform_admin_, "default", Role::Operator, {});
  ASSERT_TRUE(token);
  ASSERT_TRUE(authority_->authenticate(*token));
  std::string wrong = *token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  std::string unknown = *token;
  unknown[5] = unknown[5] == 'a' ? 'b' : 'a';
  for (const std::string& bad : {wrong, unknown, std::string("fpk_short"), std::string(""), *token + "x"}) {
    auto who = authority_->authenticate(bad);
    ASSERT_FALSE(who) << bad;
    EXPECT_EQ(who.error().code, Errc::Unauthenticated);
  }
}

TEST_F(AuthorityTest, ConcurrentIssuanceStoresEveryCertificateWithDistinctSerials) {
  constexpr int kThreads = 8, kPerThread = 25;
  std::vector<std::string> csrs;
  for (int i = 0; i < 4; ++i) csrs.push_back(make_csr_pem({.subject = {{"CN", "dev-" + std::to_string(i)}}}));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!authority_->issue(platform_admin_, {"default", "tls-client", csrs[static_cast<std::size_t>((t + i) % 4)]}, {})) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto page = authority_->list_certificates(platform_admin_, "default", {.limit = 1000});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::string> serials;
  for (const auto& c : page->items) serials.insert(c.serial_hex);
  EXPECT_EQ(serials.size(), page->items.size());
}

TEST_F(AuthorityTest, IssueManyIssuesEachGoodCsrAndReportsEachBadOne) {
  std::vector<std::string> pems;
  for (int i = 0; i < 10; ++i) pems.push_back(make_csr_pem({.subject = {{"CN", "batch-" + std::to_string(i)}}}));
  pems[3] = "-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n";
  pems[7] = make_csr_pem({.subject = {{"CN", "ca"}}, .extensions = {{"basicConstraints", "critical,CA:TRUE"}}});
  auto results = authority_->issue_many(platform_admin_, "default", "tls-client", pems, {"batch"});
  ASSERT_EQ(results.size(), pems.size());
  std::set<std::string> serials;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i == 3 || i == 7) {
      ASSERT_FALSE(results[i]) << i;
      EXPECT_EQ(results[i].error().code, Errc::InvalidArgument);
      continue;
    }
    ASSERT_TRUE(results[i]) << i << ": " << results[i].error().message;
    EXPECT_EQ(results[i]->record.subject, "CN=batch-" + std::to_string(i));
    EXPECT_GT(results[i]->record.id, 0);
    auto stored = authority_->get_certificate(platform_admin_, "default", results[i]->record.serial_hex);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->der, results[i]->record.der);
    serials.insert(results[i]->record.serial_hex);
  }
  EXPECT_EQ(serials.size(), 8u);
  EXPECT_EQ(stored_certificates(), 8u);
  auto unknown = authority_->issue_many(platform_admin_, "default", "nope", pems, {});
  for (const auto& r : unknown) EXPECT_EQ(r.error().code, Errc::NotFound);
}

TEST_F(AuthorityTest, ServerCertificateForAVaultKeyCarriesTheRequestedNames) {
  auto ref = vault_->generate(keys::KeyAlgorithm::EcP256, "server-tls");
  ASSERT_TRUE(ref);
  auto signer = vault_->open_signer(*ref);
  ASSERT_TRUE(signer);
  auto issued = authority_->issue_for_key(platform_admin_, "default", "tls-server", **signer, "fleetpki server",
                                          {"localhost", "127.0.0.1", "::1"}, {});
  ASSERT_TRUE(issued) << issued.error().message;
  auto leaf = parse_x509(issued->certificate_pem);
  EXPECT_EQ(::X509_check_host(leaf.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(::X509_check_ip_asc(leaf.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(::X509_check_ip_asc(leaf.get(), "::1", 0), 1);
  auto bad = authority_->issue_for_key(platform_admin_, "default", "tls-server", **signer, "x", {"not a name!"}, {});
  EXPECT_FALSE(bad);
}

TEST_F(AuthorityTest, CertificatesCarryCrlAndOcspUrlsFromThePublicUrl) {
  auto issued = authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "u"}}})}, {});
  ASSERT_TRUE(issued);
  const std::string text(issued->record.der.begin(), issued->record.der.end());
  EXPECT_NE(text.find("http://pki.example:8080/crl/default/issuing.crl"), std::string::npos);
  EXPECT_NE(text.find("http://pki.example:8080/ocsp"), std::string::npos);
  EXPECT_NE(text.find("http://pki.example:8080/ca/default/issuing.crt"), std::string::npos);
}

TEST_F(AuthorityTest, ListingPagesThroughEveryCertificateOnce) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "p"}}})}, {}));
  }
  std::set<std::string> seen;
  store::CertificateFilter filter{.limit = 3};
  for (int pages = 0; pages < 10; ++pages) {
    auto page = authority_->list_certificates(platform_admin_, "default", filter);
    ASSERT_TRUE(page);
    for (const auto& c : page->items) EXPECT_TRUE(seen.insert(c.serial_hex).second);
    if (!page->next_after_id) break;
    filter.after_id = page->next_after_id;
  }
  EXPECT_EQ(seen.size(), 7u);
  auto bad_limit = authority_->list_certificates(platform_admin_, "default", {.limit = 0});
  EXPECT_FALSE(bad_limit);
}

}  // namespace
}  // namespace fleetpki::authority
