// TenantAdmin: tenants, CAs (tenant-signed with name constraints, bring-your-own), tokens,
// operator certificates, isolation. Real SQLite store and software vault.
#include "authority/tenant_admin.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "authority/ca_factory.h"
#include "authority/profile_catalog.h"
#include "authority_fixture.h"
#include "pki/certificate.h"
#include "pki/chain_verify.h"
#include "pki/csr.h"
#include "pki/name_constraints.h"
#include "pki/pem.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using testing::make_csr_pem;

class TenantAdminTest : public AuthorityTest {
 protected:
  TenantAdmin& admin() { return authority_->tenant_admin(); }

  Principal token_principal(const std::string& tenant, Role role) {
    auto created = admin().create_token(platform_admin_, tenant, {role, std::nullopt}, {"t"});
    EXPECT_TRUE(created) << created.error().message;
    auto who = authority_->authenticate(created->token);
    EXPECT_TRUE(who) << who.error().message;
    return *who;
  }

  std::size_t audit_count(const std::string& action) {
    auto events = store_->list_audit(std::nullopt, 0, 10000);
    std::size_t n = 0;
    for (const auto& e : *events) n += e.action == action ? 1 : 0;
    return n;
  }

  /// Whether the DER certificate carries a critical nameConstraints extension (parsed by OpenSSL).
  static bool has_critical_name_constraints(const Bytes& der) {
    const unsigned char* p = der.data();
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (!x) return false;
    int crit = -1;
    auto* nc = static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_name_constraints, &crit, nullptr));
    const bool found = nc != nullptr && crit == 1;
    NAME_CONSTRAINTS_free(nc);
    X509_free(x);
    return found;
  }
};

TEST_F(TenantAdminTest, PlatformAdminCreatesListsAndPagesTenants) {
  for (const char* name : {"acme", "globex", "initech"}) {
    auto t = admin().create_tenant(platform_admin_, name, {"r"});
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->name, name);
  }
  auto first = admin().list_tenants(platform_admin_, 0, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 2u);
  ASSERT_TRUE(first->next_after);
  auto second = admin().list_tenants(platform_admin_, *first->next_after, 2);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->items.size(), 2u);  // default + 3 = 4 tenants
  EXPECT_FALSE(second->next_after);
  EXPECT_EQ(second->items.back().name, "initech");
  EXPECT_EQ(admin().list_tenants(platform_admin_, 0, 0).error().code, Errc::InvalidArgument);
  EXPECT_EQ(admin().create_tenant(platform_admin_, "acme", {"r"}).error().code, Errc::AlreadyExists);
  EXPECT_EQ(admin().create_tenant(platform_admin_, "Bad_Name", {"r"}).error().code, Errc::InvalidArgument);
}

TEST_F(TenantAdminTest, TenantCredentialsCannotCreateOrListTenantsNorSeeOthers) {
  ASSERT_TRUE(admin().create_tenant(platform_admin_, "acme", {"r"}));
  const Principal acme_admin = token_principal("acme", Role::Admin);
  EXPECT_EQ(admin().create_tenant(acme_admin, "evil", {"r"}).error().code, Errc::PermissionDenied);
  EXPECT_EQ(admin().list_tenants(acme_admin, 0, 10).error().code, Errc::PermissionDenied);
  EXPECT_EQ(admin().set_tenant_disabled(acme_admin, "default", true, {"r"}).error().code, Errc::PermissionDenied);
  EXPECT_TRUE(admin().get_tenant(acme_admin, "acme"));
  EXPECT_EQ(admin().get_tenant(acme_admin, "default").error().code, Errc::NotFound);
  EXPECT_FALSE(store_->find_tenant("evil").value());
  EXPECT_FALSE(store_->find_tenant("default").value()->disabled);
}

TEST_F(TenantAdminTest, DisablingATenantStopsItsCredentialsAndIssuanceUntilEnabled) {
  ASSERT_TRUE(admin().create_tenant(platform_admin_, "acme", {"r"}));
  const Principal op = token_principal("acme", Role::Operator);
  ASSERT_TRUE(authority_->issue(op, {"acme", "tls-client", make_csr_pem({.subject = {{"CN", "a"}}})}, {"r"}));

  auto disabled = admin().set_tenant_disabled(platform_admin_, "acme", true, {"r"});
  ASSERT_TRUE(disabled);
  EXPECT_TRUE(disabled->disabled);
  auto refused = authority_->issue(op, {"acme", "tls-client", make_csr_pem({.subject = {{"CN", "b"}}})}, {"r"});
  EXPECT_EQ(refused.error().code, Errc::NotFound);
  EXPECT_TRUE(admin().get_tenant(platform_admin_, "acme").value().disabled);  // platform admins still see it
  EXPECT_EQ(audit_count("tenant.disable"), 1u);

  ASSERT_TRUE(admin().set_tenant_disabled(platform_admin_, "acme", false, {"r"}));
  EXPECT_TRUE(authority_->issue(op, {"acme", "tls-client", make_csr_pem({.subject = {{"CN", "c"}}})}, {"r"}));
}

TEST_F(TenantAdminTest, CaSignedByTheTenantRootCarriesNameConstraintsAndChains) {
  CaSpec spec;
  spec.name = "factory-eu";
  pki::NameConstraints nc;
  nc.permitted_dns = {"devices.example.com"};
  nc.permitted_ip = {"10.0.0.0/8"};
  spec.name_constraints = nc;
  auto ca = admin().create_ca(platform_admin_, "default", spec, {"r"});
  ASSERT_TRUE(ca) << ca.error().message;
  EXPECT_EQ(ca->status, "active");
  EXPECT_TRUE(has_critical_name_constraints(ca->certificate_der));
  ASSERT_TRUE(ca->name_constraints_json);

  auto runtime = authority_->tenant_runtime("default");
  ASSERT_TRUE(runtime);
  auto it = (*runtime)->cas.find("factory-eu");
  ASSERT_NE(it, (*runtime)->cas.end()) << "the runtime was not invalidated";
  auto chain = pki::pem_decode_all(it->second->chain_pem, "CERTIFICATE");
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 2u);  // the CA, then the root
  EXPECT_TRUE(pki::verify_chain(crypto_, (*chain)[0], {}, {(*chain)[1]}, clock_.now(), true));
  EXPECT_EQ(audit_count("ca.create"), 1u);

  EXPECT_EQ(admin().create_ca(platform_admin_, "default", spec, {"r"}).error().code, Errc::AlreadyExists);
}

TEST_F(TenantAdminTest, ACaRefusesToSignNamesOutsideItsNameConstraints) {
  CaSpec spec;
  spec.name = "constrained";
  spec.name_constraints = pki::NameConstraints{.permitted_dns = {"devices.example.com"}};
  ASSERT_TRUE(admin().create_ca(platform_admin_, "default", spec, {"r"}));
  auto profile = authority_->profiles().create(platform_admin_, "default",
                                               R"({"name":"constrained-tls","template":"tls-client","ca":"constrained"})",
                                               {"r"});
  ASSERT_TRUE(profile) << profile.error().message;
  auto inside = authority_->issue(
      platform_admin_,
      {"default", "constrained-tls", make_csr_pem({.subject = {{"CN", "a"}}, .sans = {"DNS:a.devices.example.com"}})},
      {"r"});
  ASSERT_TRUE(inside) << inside.error().message;
  const std::size_t before = stored_certificates();
  auto outside = authority_->issue(
      platform_admin_, {"default", "constrained-tls", make_csr_pem({.subject = {{"CN", "b"}}, .sans = {"DNS:evil.example"}})},
      {"r"});
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().code, Errc::InvalidArgument);
  EXPECT_EQ(stored_certificates(), before);
}

TEST_F(TenantAdminTest, RsaCaIssuesCertificatesThatChainToTheRoot) {
  CaSpec spec;
  spec.name = "legacy-rsa";
  spec.key_type = "rsa-3072";
  auto ca = admin().create_ca(platform_admin_, "default", spec, {"r"});
  ASSERT_TRUE(ca) << ca.error().message;
  auto profile = authority_->profiles().create(platform_admin_, "default",
                                               R"({"name":"rsa-tls","template":"tls-client","ca":"legacy-rsa"})", {"r"});
  ASSERT_TRUE(profile) << profile.error().message;
  auto issued = authority_->issue(platform_admin_, {"default", "rsa-tls", make_csr_pem({.subject = {{"CN", "gw-1"}}})},
                                  {"r"});
  ASSERT_TRUE(issued) << issued.error().message;
  auto leaf = pki::pem_decode_all(issued->certificate_pem, "CERTIFICATE");
  auto chain = pki::pem_decode_all(issued->chain_pem, "CERTIFICATE");
  ASSERT_TRUE(leaf && chain);
  ASSERT_EQ(chain->size(), 2u);  // the RSA CA, then the root
  Bytes root = chain->back();
  chain->pop_back();
  // OpenSSL's verifier checks the leaf's sha256WithRSAEncryption signature under the RSA CA.
  EXPECT_TRUE(pki::verify_chain(crypto_, leaf->front(), *chain, {root}, clock_.now(), false));

  spec.name = "ed-ca";
  spec.key_type = "ed25519";
  auto refused = admin().create_ca(platform_admin_, "default", spec, {"r"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::InvalidArgument);
}

TEST_F(TenantAdminTest, CaUnderACaWithPathLenZeroIsRefusedAndNothingIsStored) {
  CaSpec spec;
  spec.name = "too-deep";
  spec.parent = "issuing";  // pathLen 0: issues end entities only
  auto ca = admin().create_ca(platform_admin_, "default", spec, {"r"});
  ASSERT_FALSE(ca);
  EXPECT_EQ(ca.error().code, Errc::InvalidArgument);
  EXPECT_EQ(admin().get_ca(platform_admin_, "default", "too-deep").error().code, Errc::NotFound);
  EXPECT_EQ(admin().create_ca(platform_admin_, "default", CaSpec{.name = "x", .parent = "nope"}, {"r"}).error().code,
            Errc::NotFound);
  EXPECT_EQ(admin().create_ca(platform_admin_, "default", CaSpec{.name = "y", .key_type = "rsa-1024"}, {"r"}).error().code,
            Errc::InvalidArgument);
}

TEST_F(TenantAdminTest, BringYourOwnCaGoesFromCsrToActiveWithTheCustomersChain) {
  CaSpec spec;
  spec.name = "customer-issuing";
  spec.external = true;
  auto pending = admin().create_ca(platform_admin_, "default", spec, {"r"});
  ASSERT_TRUE(pending) << pending.error().message;
  EXPECT_EQ(pending->status, "pending");
  ASSERT_FALSE(pending->csr_der.empty());
  auto csr = pki::Csr::from_pem(crypto_, pki::pem_encode(pending->csr_der, "CERTIFICATE REQUEST"));
  ASSERT_TRUE(csr) << csr.error().message;  // signature verifies with the CA's own key
  {
    // OpenSSL finds the requested basicConstraints cA TRUE in the extensionRequest.
    const unsigned char* p = pending->csr_der.data();
    X509_REQ* req = d2i_X509_REQ(nullptr, &p, static_cast<long>(pending->csr_der.size()));
    ASSERT_NE(req, nullptr);
    STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req);
    ASSERT_NE(exts, nullptr);
    auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509V3_get_d2i(exts, NID_basic_constraints, nullptr, nullptr));
    ASSERT_NE(bc, nullptr);
    EXPECT_TRUE(bc->ca);
    BASIC_CONSTRAINTS_free(bc);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
  }
  // A pending CA does not break the tenant.
  ASSERT_TRUE(authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "a"}}})},
                                {"r"}));

  // The customer's root signs the CA certificate (for the test: a key of ours standing in).
  auto root_ref = vault_->generate(keys::KeyAlgorithm::EcP384, "customer-root");
  auto root_key = vault_->open_signer(*root_ref);
  auto root = make_root_certificate(crypto_, clock_, **root_key, {.common_name = "Customer Root", .organization = "Customer"});
  ASSERT_TRUE(root);
  auto ca_key = vault_->open_signer(pending->key_ref);
  auto ca_cert = make_intermediate_certificate(crypto_, clock_, *root, **root_key, **ca_key,
                                               {.common_name = "Customer Issuing", .organization = "Customer",
                                                .validity_days = 365, .path_len = 0});
  ASSERT_TRUE(ca_cert);

  // Refusals first: a certificate for another key, a chain without its root.
  auto other_ref = vault_->generate(keys::KeyAlgorithm::EcP256, "other");
  auto other_key = vault_->open_signer(*other_ref);
  auto other_cert = make_intermediate_certificate(crypto_, clock_, *root, **root_key, **other_key,
                                                  {.common_name = "Other", .validity_days = 365, .path_len = 0});
  EXPECT_EQ(admin().install_ca_certificate(platform_admin_, "default", "customer-issuing", other_cert->pem(),
                                           root->pem(), {"r"}).error().code,
            Errc::InvalidArgument);
  EXPECT_EQ(admin().install_ca_certificate(platform_admin_, "default", "customer-issuing", ca_cert->pem(),
                                           ca_cert->pem(), {"r"}).error().code,
            Errc::InvalidArgument);

  auto installed = admin().install_ca_certificate(platform_admin_, "default", "customer-issuing", ca_cert->pem(),
                                                  root->pem(), {"r"});
  ASSERT_TRUE(installed) << installed.error().message;
  EXPECT_EQ(installed->status, "active");
  auto runtime = authority_->tenant_runtime("default");
  auto it = (*runtime)->cas.find("customer-issuing");
  ASSERT_NE(it, (*runtime)->cas.end());
  EXPECT_NE(it->second->chain_pem.find(root->pem()), std::string::npos);  // chain ends in the customer's root
  EXPECT_EQ(admin().install_ca_certificate(platform_admin_, "default", "customer-issuing", ca_cert->pem(),
                                           root->pem(), {"r"}).error().code,
            Errc::FailedPrecondition);
  EXPECT_EQ(audit_count("ca.install"), 1u);
}

TEST_F(TenantAdminTest, DisabledCaIssuesNothingAndTheRootCannotBeDisabled) {
  ASSERT_TRUE(admin().set_ca_status(platform_admin_, "default", "issuing", true, {"r"}));
  auto refused = authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "a"}}})},
                                   {"r"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::FailedPrecondition);
  EXPECT_EQ(stored_certificates(), 0u);
  ASSERT_TRUE(admin().set_ca_status(platform_admin_, "default", "issuing", false, {"r"}));
  EXPECT_TRUE(authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "b"}}})},
                                {"r"}));
  EXPECT_EQ(admin().set_ca_status(platform_admin_, "default", "root", true, {"r"}).error().code,
            Errc::FailedPrecondition);
}

TEST_F(TenantAdminTest, TokensExpireAndAreRevocableAndListedWithoutSecrets) {
  const std::int64_t now = to_unix(clock_.now());
  auto created = admin().create_token(platform_admin_, "default", {Role::Operator, now + 3600}, {"r"});
  ASSERT_TRUE(created);
  ASSERT_TRUE(authority_->authenticate(created->token));
  clock_.advance(std::chrono::seconds(3601));
  EXPECT_EQ(authority_->authenticate(created->token).error().code, Errc::Unauthenticated);

  auto second = admin().create_token(platform_admin_, "default", {Role::Auditor, std::nullopt}, {"r"});
  ASSERT_TRUE(second);
  const Principal auditor = *authority_->authenticate(second->token);
  auto listed = admin().list_tokens(auditor, "default", 0, 100);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->items.size(), 2u);
  EXPECT_EQ(admin().revoke_token(auditor, "default", second->record.id, {"r"}).error().code, Errc::PermissionDenied);
  ASSERT_TRUE(admin().revoke_token(platform_admin_, "default", second->record.id, {"r"}));
  EXPECT_EQ(authority_->authenticate(second->token).error().code, Errc::Unauthenticated);
  EXPECT_EQ(admin().revoke_token(platform_admin_, "default", "0000000000000000", {"r"}).error().code, Errc::NotFound);
  EXPECT_EQ(admin().create_token(platform_admin_, "default", {Role::Operator, now - 1}, {"r"}).error().code,
            Errc::InvalidArgument);
}

TEST_F(TenantAdminTest, AnotherTenantsTokensAreNotFoundAndOperatorsCannotMintTokens) {
  ASSERT_TRUE(admin().create_tenant(platform_admin_, "acme", {"r"}));
  const Principal acme_admin = token_principal("acme", Role::Admin);
  const Principal default_operator = token_principal("default", Role::Operator);
  auto victim = admin().create_token(platform_admin_, "default", {Role::Admin, std::nullopt}, {"r"});
  EXPECT_EQ(admin().list_tokens(acme_admin, "default", 0, 10).error().code, Errc::NotFound);
  EXPECT_EQ(admin().revoke_token(acme_admin, "default", victim->record.id, {"r"}).error().code, Errc::NotFound);
  // The id of another tenant's token, through one's own tenant: not found either.
  EXPECT_EQ(admin().revoke_token(acme_admin, "acme", victim->record.id, {"r"}).error().code, Errc::NotFound);
  EXPECT_TRUE(authority_->authenticate(victim->token));
  EXPECT_EQ(admin().create_token(default_operator, "default", {Role::Admin, std::nullopt}, {"r"}).error().code,
            Errc::PermissionDenied);
  EXPECT_EQ(admin().create_token(acme_admin, std::nullopt, {Role::Admin, std::nullopt}, {"r"}).error().code,
            Errc::PermissionDenied);
}

TEST_F(TenantAdminTest, OperatorCertificatesAuthenticateUntilRevokedOrExpired) {
  auto issued = authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "alice"}}})},
                                  {"r"});
  ASSERT_TRUE(issued);
  const Bytes& der = issued->record.der;
  EXPECT_EQ(admin().authenticate_client_certificate(der).error().code, Errc::Unauthenticated);

  auto rec = admin().register_operator_certificate(platform_admin_, "default", issued->certificate_pem, Role::Operator,
                                                   {"r"});
  ASSERT_TRUE(rec) << rec.error().message;
  auto who = admin().authenticate_client_certificate(der);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->role, Role::Operator);
  EXPECT_EQ(who->tenant_id, store_->find_tenant("default").value()->id);
  EXPECT_EQ(who->id.rfind("cert:", 0), 0u);
  EXPECT_EQ(admin().register_operator_certificate(platform_admin_, "default", issued->certificate_pem, Role::Operator,
                                                  {"r"}).error().code,
            Errc::AlreadyExists);
  EXPECT_EQ(admin().register_operator_certificate(platform_admin_, "default", issued->certificate_pem, Role::Enrollment,
                                                  {"r"}).error().code,
            Errc::InvalidArgument);

  ASSERT_TRUE(admin().revoke_operator_certificate(platform_admin_, "default", rec->fingerprint, {"r"}));
  EXPECT_EQ(admin().authenticate_client_certificate(der).error().code, Errc::Unauthenticated);

  auto second = authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "bob"}}})},
                                  {"r"});
  ASSERT_TRUE(admin().register_operator_certificate(platform_admin_, "default", second->certificate_pem, Role::Auditor,
                                                    {"r"}));
  ASSERT_TRUE(admin().authenticate_client_certificate(second->record.der));
  clock_.advance(std::chrono::hours(24 * 400));  // tls-client certificates live 365 days
  EXPECT_EQ(admin().authenticate_client_certificate(second->record.der).error().code, Errc::Unauthenticated);
}

TEST_F(TenantAdminTest, IdempotencyRecordsAreScopedByCredentialAndKey) {
  store::IdempotencyRecord rec{"tok-a", "key-1", "hash", 201, "application/json", "{}", to_unix(clock_.now())};
  ASSERT_TRUE(admin().remember_idempotency(rec));
  EXPECT_EQ(admin().remember_idempotency(rec).error().code, Errc::AlreadyExists);
  EXPECT_TRUE(admin().find_idempotency("tok-a", "key-1").value().has_value());
  EXPECT_FALSE(admin().find_idempotency("tok-b", "key-1").value().has_value());
  // Keys older than a day are swept when a new one is stored.
  clock_.advance(std::chrono::hours(25));
  ASSERT_TRUE(admin().remember_idempotency({"tok-a", "key-2", "h", 201, "application/json", "{}", to_unix(clock_.now())}));
  EXPECT_FALSE(admin().find_idempotency("tok-a", "key-1").value().has_value());
}

// ---- name constraints (pki) ----------------------------------------------------------------------

TEST(NameConstraints, PermittedAndExcludedSubtreesFollowRfc5280) {
  pki::NameConstraints nc;
  nc.permitted_dns = {"example.com"};
  nc.excluded_dns = {"secret.example.com"};
  nc.permitted_ip = {"10.0.0.0/8"};
  EXPECT_TRUE(pki::check_name_constraints(nc, {pki::dns_name("example.com"), pki::dns_name("a.example.com")}));
  EXPECT_FALSE(pki::check_name_constraints(nc, {pki::dns_name("badexample.com")}));
  EXPECT_FALSE(pki::check_name_constraints(nc, {pki::dns_name("x.secret.example.com")}));
  EXPECT_TRUE(pki::check_name_constraints(nc, {*pki::ip_name("10.1.2.3")}));
  EXPECT_FALSE(pki::check_name_constraints(nc, {*pki::ip_name("192.168.0.1")}));
  EXPECT_FALSE(pki::check_name_constraints(nc, {*pki::ip_name("::1")}));  // no IPv6 subtree permitted
  EXPECT_TRUE(pki::check_name_constraints(nc, {pki::uri_name("https://anything")}));  // URIs unconstrained here
  pki::NameConstraints leading_dot;
  leading_dot.permitted_dns = {".example.com"};
  EXPECT_FALSE(pki::check_name_constraints(leading_dot, {pki::dns_name("example.com")}));
  EXPECT_TRUE(pki::check_name_constraints(leading_dot, {pki::dns_name("a.example.com")}));
}

TEST(NameConstraints, MalformedInputIsRefused) {
  EXPECT_FALSE(pki::encode_name_constraints_value({}));
  EXPECT_FALSE(pki::encode_name_constraints_value({.permitted_ip = {"10.0.0.0"}}));
  EXPECT_FALSE(pki::encode_name_constraints_value({.permitted_ip = {"10.0.0.0/33"}}));
  EXPECT_FALSE(pki::encode_name_constraints_value({.permitted_dns = {"bad domain"}}));
  EXPECT_FALSE(name_constraints_from_json(R"({"permitted_dns": "x"})"));
  EXPECT_FALSE(name_constraints_from_json(R"({"allowed": ["x"]})"));
  auto parsed = name_constraints_from_json(R"({"permitted_dns": ["example.com"], "excluded_ip": ["10.0.0.0/8"]})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->permitted_dns, std::vector<std::string>{"example.com"});
}

}  // namespace
}  // namespace fleetpki::authority
