// CrlPublisher: every CRL checked with OpenSSL (an independent decoder): signature with the CA key,
// cRLNumber, deltaCRLIndicator, freshestCRL, IDP, entries and reason codes.
#include "authority/crl_publisher.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "authority_fixture.h"
#include "pki/serial_number.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using namespace std::chrono_literals;
using pki::ossl::Ptr;

constexpr const char* kBase = "http://pki.example:8080";

// ---- OpenSSL views of a CRL ---------------------------------------------------------------------

Ptr<X509_CRL> parse_crl(const Bytes& der) {
  const unsigned char* p = der.data();
  Ptr<X509_CRL> crl(::d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  EXPECT_TRUE(crl) << "OpenSSL cannot parse the CRL";
  EXPECT_EQ(p, der.data() + der.size()) << "trailing bytes after the CRL";
  return crl;
}

Ptr<X509> parse_certificate(const Bytes& der) {
  const unsigned char* p = der.data();
  return Ptr<X509>(::d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::optional<long> integer_extension(X509_CRL* crl, int nid, bool* critical = nullptr) {
  int crit = -1;
  auto* value = static_cast<ASN1_INTEGER*>(::X509_CRL_get_ext_d2i(crl, nid, &crit, nullptr));
  if (value == nullptr) return std::nullopt;
  const long v = ::ASN1_INTEGER_get(value);
  ::ASN1_INTEGER_free(value);
  if (critical != nullptr) *critical = crit == 1;
  return v;
}

long crl_number(X509_CRL* crl) {
  return integer_extension(crl, NID_crl_number).value_or(-1);
}

std::string first_uri(GENERAL_NAMES* names) {
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_URI) {
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      return std::string(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(uri)),
                         static_cast<std::size_t>(::ASN1_STRING_length(uri)));
    }
  }
  return {};
}

struct Idp {
  bool present = false;
  bool critical = false;
  std::string url;
  bool only_user = false;
  bool only_ca = false;
};

Idp idp_of(X509_CRL* crl) {
  Idp out;
  int crit = -1;
  auto* idp = static_cast<ISSUING_DIST_POINT*>(
      ::X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, nullptr));
  if (idp == nullptr) return out;
  out.present = true;
  out.critical = crit == 1;
  if (idp->distpoint != nullptr && idp->distpoint->type == 0)
    out.url = first_uri(idp->distpoint->name.fullname);
  out.only_user = idp->onlyuser > 0;
  out.only_ca = idp->onlyCA > 0;
  ::ISSUING_DIST_POINT_free(idp);
  return out;
}

/// The first fullName URI of a CRLDistributionPoints-shaped extension (CDP, freshestCRL).
std::string dist_point_uri(STACK_OF(DIST_POINT) * points) {
  std::string url;
  if (points != nullptr && sk_DIST_POINT_num(points) > 0) {
    DIST_POINT* dp = sk_DIST_POINT_value(points, 0);
    if (dp->distpoint != nullptr && dp->distpoint->type == 0)
      url = first_uri(dp->distpoint->name.fullname);
  }
  sk_DIST_POINT_pop_free(points, ::DIST_POINT_free);
  return url;
}

std::string freshest_url(X509_CRL* crl) {
  return dist_point_uri(static_cast<STACK_OF(DIST_POINT)*>(
      ::X509_CRL_get_ext_d2i(crl, NID_freshest_crl, nullptr, nullptr)));
}

std::string cdp_url(const Bytes& certificate_der) {
  auto cert = parse_certificate(certificate_der);
  if (!cert) return {};
  return dist_point_uri(static_cast<STACK_OF(DIST_POINT)*>(
      ::X509_get_ext_d2i(cert.get(), NID_crl_distribution_points, nullptr, nullptr)));
}

/// The DER of the IDP extension's value (to compare complete and delta byte for byte).
Bytes idp_der(X509_CRL* crl) {
  const int at = ::X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1);
  if (at < 0) return {};
  ASN1_OCTET_STRING* value = ::X509_EXTENSION_get_data(::X509_CRL_get_ext(crl, at));
  return Bytes(::ASN1_STRING_get0_data(value),
               ::ASN1_STRING_get0_data(value) + ::ASN1_STRING_length(value));
}

/// Entry of `serial_hex`: nullopt when absent; otherwise its reasonCode (0 when it has none).
std::optional<int> entry_reason(X509_CRL* crl, const std::string& serial_hex) {
  auto serial = pki::serial_from_hex(serial_hex);
  EXPECT_TRUE(serial);
  Ptr<BIGNUM> bn(::BN_bin2bn(serial->data(), static_cast<int>(serial->size()), nullptr));
  Ptr<ASN1_INTEGER> integer(::BN_to_ASN1_INTEGER(bn.get(), nullptr));
  X509_REVOKED* revoked = nullptr;
  if (::X509_CRL_get0_by_serial(crl, &revoked, integer.get()) == 0 || revoked == nullptr)
    return std::nullopt;
  auto* reason = static_cast<ASN1_ENUMERATED*>(
      ::X509_REVOKED_get_ext_d2i(revoked, NID_crl_reason, nullptr, nullptr));
  if (reason == nullptr) return 0;
  const long value = ::ASN1_ENUMERATED_get(reason);
  ::ASN1_ENUMERATED_free(reason);
  return static_cast<int>(value);
}

std::set<std::string> serials_of(X509_CRL* crl) {
  std::set<std::string> out;
  STACK_OF(X509_REVOKED)* revoked = ::X509_CRL_get_REVOKED(crl);
  for (int i = 0; revoked != nullptr && i < sk_X509_REVOKED_num(revoked); ++i) {
    const ASN1_INTEGER* serial =
        ::X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
    Ptr<BIGNUM> bn(::ASN1_INTEGER_to_BN(serial, nullptr));
    Bytes bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())));
    ::BN_bn2bin(bn.get(), bytes.data());
    out.insert(pki::serial_to_hex(bytes));
  }
  return out;
}

constexpr int kKeyCompromise = static_cast<int>(pki::CrlReason::KeyCompromise);
constexpr int kHold = static_cast<int>(pki::CrlReason::CertificateHold);
constexpr int kRemoveFromCrl = static_cast<int>(pki::CrlReason::RemoveFromCrl);

// ---- fixture
// -------------------------------------------------------------------------------------

class CrlPublisherTest : public AuthorityTest {
 protected:
  void SetUp() override {
    AuthorityTest::SetUp();
    auto tenant = store_->find_tenant("default");
    ASSERT_TRUE(tenant && *tenant);
    tenant_id_ = (*tenant)->id;
    publisher_ = std::make_unique<CrlPublisher>(*authority_, *store_, clock_, policy_);
  }

  /// A parsed CRL of a scope, after checking its signature with the CA's key.
  Ptr<X509_CRL> fetch(const std::string& ca, int partition, bool delta,
                      CrlPublisher* publisher = nullptr) {
    auto found = (publisher ? publisher : publisher_.get())->find("default", ca, partition, delta);
    EXPECT_TRUE(found) << (found ? "" : found.error().message);
    if (!found) return nullptr;
    auto crl = parse_crl((*found)->der);
    if (!crl) return nullptr;
    auto ca_der = authority_->ca_certificate_der("default", ca);
    EXPECT_TRUE(ca_der);
    auto ca_cert = parse_certificate(*ca_der);
    EXPECT_EQ(::X509_CRL_verify(crl.get(), ::X509_get0_pubkey(ca_cert.get())), 1)
        << "bad signature";
    EXPECT_EQ(crl_number(crl.get()), (*found)->number);
    return crl;
  }
  long number(const std::string& ca, int partition, bool delta) {
    auto found = publisher_->find("default", ca, partition, delta);
    return found ? static_cast<long>((*found)->number) : -1;
  }

  store::CertificateRecord issue(const std::string& cn = "device") {
    static auto key = testing::make_key("P-256");
    auto issued = authority_->issue(
        platform_admin_,
        {"default", "tls-client", testing::make_csr_pem({.subject = {{"CN", cn}}}, key.get())},
        {"t"});
    EXPECT_TRUE(issued) << (issued ? "" : issued.error().message);
    return issued ? issued->record : store::CertificateRecord{};
  }

  // Status changes through the lifecycle API (row, status change log and audit event in one
  // transaction, then the status listeners).
  void revoke(const std::string& serial) {
    auto done = authority_->revoke(platform_admin_, "default", serial,
                                   pki::CrlReason::KeyCompromise, std::nullopt, {"t"});
    ASSERT_TRUE(done) << done.error().message;
  }
  void suspend(const std::string& serial) {
    auto done = authority_->suspend(platform_admin_, "default", serial, {"t"});
    ASSERT_TRUE(done) << done.error().message;
  }
  void reactivate(const std::string& serial) {
    auto done = authority_->reactivate(platform_admin_, "default", serial, {"t"});
    ASSERT_TRUE(done) << done.error().message;
  }

  // The same rows, written straight into the store for many certificates in one transaction (the
  // index tests make thousands of changes).
  void change_status(const std::string& serial_hex, const char* status, std::optional<int> reason) {
    change_statuses({serial_hex}, status, reason);
  }
  void change_statuses(const std::vector<std::string>& serials, const char* status,
                       std::optional<int> reason) {
    auto written = store_->write([&](store::Transaction& tx) -> Status {
      for (const std::string& serial_hex : serials) {
        FLEETPKI_TRY(auto cert, tx.find_certificate(tenant_id_, serial_hex));
        if (!cert) return fail(Errc::NotFound, "no certificate " + serial_hex);
        const std::int64_t now = to_unix(clock_.now());
        const bool listed = std::string(status) != store::kStatusValid;
        const std::optional<std::int64_t> revoked_at =
            listed ? std::optional<std::int64_t>(now) : std::nullopt;
        FLEETPKI_RETURN_IF_ERROR(
            tx.update_certificate_status(tenant_id_, cert->id, status, revoked_at,
                                         listed ? reason : std::nullopt, cert->row_version));
        store::StatusChange change;
        change.tenant_id = tenant_id_;
        change.ca_id = cert->ca_id;
        change.certificate_id = cert->id;
        change.serial_hex = cert->serial_hex;
        change.crl_partition = cert->crl_partition;
        change.status = status;
        change.revoked_at = revoked_at;
        change.revocation_reason = listed ? reason : std::nullopt;
        change.not_after = cert->not_after;
        change.at = now;
        FLEETPKI_RETURN_IF_ERROR(tx.append_status_change(change));
      }
      return ok();
    });
    ASSERT_TRUE(written) << written.error().message << " " << written.error().detail;
  }

  void publish() {
    auto published = publisher_->publish_due();
    ASSERT_TRUE(published) << published.error().message << " " << published.error().detail;
  }
  /// Moves past the complete CRL's re-issue time, so that the next pass issues a complete CRL.
  void make_complete_due() { clock_.advance(policy_.complete_reissue_after + 1s); }

  /// Re-opens the database and the authority (a restart), with a fresh publisher.
  void restart(const std::string& base = kBase) {
    publisher_.reset();
    authority_.reset();
    store_.reset();
    auto store = store::open_sqlite_store(dir_.path() / "test.db", {.durable = false});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    auto authority = Authority::create({*store_, *vault_, crypto_, clock_}, {base});
    ASSERT_TRUE(authority);
    authority_ = std::move(*authority);
    publisher_ = std::make_unique<CrlPublisher>(*authority_, *store_, clock_, policy_);
  }

  /// Valid certificates written straight into the store (the publisher reads only serial, status,
  /// revocation time and reason, notAfter): cheap in bulk.
  std::vector<std::string> insert_certificates(int count) {
    const std::int64_t issuing = ca_id("issuing");
    std::mt19937_64 rng(static_cast<std::uint64_t>(count));
    std::vector<std::string> serials;
    auto inserted = store_->write([&](store::Transaction& tx) -> Status {
      for (int i = 0; i < count; ++i) {
        Bytes serial(16);
        for (auto& b : serial) b = static_cast<std::uint8_t>(rng());
        serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7F) | 0x40);
        store::CertificateRecord rec;
        rec.tenant_id = tenant_id_;
        rec.ca_id = issuing;
        rec.profile = "tls-client";
        rec.serial_hex = pki::serial_to_hex(serial);
        rec.subject = "CN=x";
        rec.not_before = to_unix(clock_.now());
        rec.not_after = to_unix(clock_.now()) + 86400 * 30;
        rec.der = Bytes{0x30, 0x00};
        rec.created_at = rec.not_before;
        FLEETPKI_RETURN_IF_ERROR(tx.insert_certificate(rec));
        serials.push_back(rec.serial_hex);
      }
      return ok();
    });
    EXPECT_TRUE(inserted) << inserted.error().detail;
    return serials;
  }

  std::int64_t ca_id(const std::string& name) {
    auto cas = store_->list_cas(tenant_id_);
    for (const auto& ca : cas.value()) {
      if (ca.name == name) return ca.id;
    }
    return 0;
  }

  CrlPolicy policy_;
  std::int64_t tenant_id_ = 0;
  std::unique_ptr<CrlPublisher> publisher_;
};

// ---- shape --------------------------------------------------------------------------------------

TEST_F(CrlPublisherTest, PublishesSignedCompleteAndDeltaWithIdpFreshestAndDeltaIndicator) {
  publish();
  auto complete = fetch("issuing", 0, false);
  auto delta = fetch("issuing", 0, true);
  ASSERT_TRUE(complete && delta);

  EXPECT_EQ(::X509_CRL_get_version(complete.get()), 1) << "v2";
  ASSERT_NE(::X509_CRL_get0_nextUpdate(complete.get()), nullptr);
  ASSERT_NE(::X509_CRL_get0_nextUpdate(delta.get()), nullptr);
  EXPECT_EQ(
      ::ASN1_TIME_cmp_time_t(::X509_CRL_get0_lastUpdate(complete.get()), to_unix(clock_.now())), 0);
  EXPECT_EQ(::ASN1_TIME_cmp_time_t(::X509_CRL_get0_nextUpdate(complete.get()),
                                   to_unix(clock_.now() + policy_.complete_validity)),
            0);
  EXPECT_EQ(::X509_CRL_get_REVOKED(complete.get()), nullptr)
      << "revokedCertificates omitted when empty";

  const std::string url = std::string(kBase) + "/crl/default/issuing.crl";
  for (X509_CRL* crl : {complete.get(), delta.get()}) {
    Idp idp = idp_of(crl);
    EXPECT_TRUE(idp.present && idp.critical) << "IDP must be critical (RFC 5280 §5.2.5)";
    EXPECT_EQ(idp.url, url);
    EXPECT_TRUE(idp.only_user);
    EXPECT_FALSE(idp.only_ca);
    EXPECT_NE(::X509_CRL_get_ext_by_NID(crl, NID_authority_key_identifier, -1), -1) << "AKI";
  }
  EXPECT_EQ(idp_der(complete.get()), idp_der(delta.get())) << "same scope, same IDP bytes";

  EXPECT_EQ(freshest_url(complete.get()), std::string(kBase) + "/crl/default/issuing.delta.crl");
  EXPECT_EQ(::X509_CRL_get_ext_by_NID(complete.get(), NID_delta_crl, -1), -1);
  EXPECT_EQ(::X509_CRL_get_ext_by_NID(delta.get(), NID_freshest_crl, -1), -1) << "never in a delta";
  bool critical = false;
  EXPECT_EQ(integer_extension(delta.get(), NID_delta_crl, &critical), crl_number(complete.get()));
  EXPECT_TRUE(critical) << "deltaCRLIndicator is critical";
  EXPECT_GT(crl_number(delta.get()), crl_number(complete.get()));
}

TEST_F(CrlPublisherTest, IdpUrlIsTheCdpOfIssuedCertificatesByteForByte) {
  const auto cert = issue();
  publish();
  auto complete = fetch("issuing", 0, false);
  ASSERT_TRUE(complete);
  const std::string cdp = cdp_url(cert.der);
  EXPECT_FALSE(cdp.empty());
  EXPECT_EQ(idp_of(complete.get()).url, cdp);
}

TEST_F(CrlPublisherTest, RootCaIssuingCaCertificatesHasOneFullCrlWithoutIdp) {
  publish();
  auto root = fetch("root", 0, false);
  auto root_delta = fetch("root", 0, true);
  ASSERT_TRUE(root && root_delta);
  EXPECT_FALSE(idp_of(root.get()).present) << "CA certificates carry no CDP that an IDP could name";
  EXPECT_EQ(freshest_url(root.get()), std::string(kBase) + "/crl/default/root.delta.crl");
  EXPECT_EQ(integer_extension(root_delta.get(), NID_delta_crl), crl_number(root.get()));
  // The manufacturing CA issues end-entity certificates: a scoped CRL of its own.
  auto mfg = fetch("manufacturing", 0, false);
  ASSERT_TRUE(mfg);
  EXPECT_EQ(idp_of(mfg.get()).url, std::string(kBase) + "/crl/default/manufacturing.crl");
}

TEST_F(CrlPublisherTest, UnknownScopesAreNotFound) {
  publish();
  EXPECT_EQ(publisher_->find("nope", "issuing", 0, false).error().code, Errc::NotFound);
  EXPECT_EQ(publisher_->find("default", "nope", 0, false).error().code, Errc::NotFound);
  EXPECT_EQ(publisher_->find("default", "issuing", 1, false).error().code, Errc::NotFound);
  EXPECT_EQ(publisher_->find("default", "issuing", 1, true).error().code, Errc::NotFound);
}

// ---- numbers ------------------------------------------------------------------------------------

TEST_F(CrlPublisherTest, NumbersStrictlyIncreaseAcrossCompleteAndDeltaAndSurviveReopening) {
  std::vector<long> numbers;
  auto note = [&] {
    for (bool delta : {false, true}) {
      const long n = number("issuing", 0, delta);
      if (numbers.empty() || numbers.back() != n) {
        if (std::find(numbers.begin(), numbers.end(), n) == numbers.end()) numbers.push_back(n);
      }
    }
  };
  publish();
  note();
  const auto a = issue("a"), b = issue("b");
  revoke(a.serial_hex);
  publish();
  note();
  make_complete_due();
  publish();
  note();
  revoke(b.serial_hex);
  publish();
  note();
  ASSERT_EQ(numbers.size(), 6u) << "complete, delta, delta, complete, delta, delta";
  for (std::size_t i = 1; i < numbers.size(); ++i) EXPECT_GT(numbers[i], numbers[i - 1]);

  const auto served = publisher_->find("default", "issuing", 0, false).value();
  restart();
  if (HasFatalFailure()) return;
  publish();
  // Still fresh: the stored CRLs are served again, not re-signed.
  const auto reused = publisher_->find("default", "issuing", 0, false).value();
  EXPECT_EQ(reused->der, served->der);
  EXPECT_EQ(publisher_->stats().complete_published, 0u);
  EXPECT_EQ(publisher_->stats().delta_published, 0u);

  const auto c = issue("c");
  revoke(c.serial_hex);
  publish();
  EXPECT_GT(number("issuing", 0, true), numbers.back())
      << "a number is never reused after a restart";
  auto delta = fetch("issuing", 0, true);
  ASSERT_TRUE(delta);
  EXPECT_EQ(entry_reason(delta.get(), c.serial_hex), kKeyCompromise);
  EXPECT_EQ(entry_reason(delta.get(), b.serial_hex), kKeyCompromise) << "b is not in the base yet";
  make_complete_due();
  publish();
  EXPECT_GT(number("issuing", 0, false), numbers.back() + 1);
  auto complete = fetch("issuing", 0, false);
  ASSERT_TRUE(complete);
  EXPECT_EQ(serials_of(complete.get()),
            (std::set<std::string>{a.serial_hex, b.serial_hex, c.serial_hex}));
}

TEST_F(CrlPublisherTest, StaleStoredCrlsAreReissuedAtStart) {
  publish();
  const long before = number("issuing", 0, false);
  clock_.advance(policy_.complete_reissue_after + 1s);
  publisher_ = std::make_unique<CrlPublisher>(*authority_, *store_, clock_, policy_);
  publish();
  EXPECT_GT(number("issuing", 0, false), before);
  EXPECT_GT(publisher_->stats().complete_published, 0u);
}

TEST_F(CrlPublisherTest, StoredCrlsNamingAnotherPublicUrlAreNotReused) {
  publish();
  const long before = number("issuing", 0, false);
  restart("http://crl.other.example");
  if (HasFatalFailure()) return;
  publish();
  EXPECT_GT(number("issuing", 0, false), before);
  auto complete = fetch("issuing", 0, false);
  ASSERT_TRUE(complete);
  EXPECT_EQ(idp_of(complete.get()).url, "http://crl.other.example/crl/default/issuing.crl");
  EXPECT_EQ(freshest_url(complete.get()), "http://crl.other.example/crl/default/issuing.delta.crl");
}

// ---- schedule -----------------------------------------------------------------------------------

TEST_F(CrlPublisherTest, ReissuesBeforeNextUpdateEvenWithoutChanges) {
  publish();
  const auto first = publisher_->find("default", "issuing", 0, false).value();
  const auto first_delta = publisher_->find("default", "issuing", 0, true).value();

  clock_.advance(policy_.delta_reissue_after - 1s);
  publish();
  EXPECT_EQ(number("issuing", 0, false), first->number);
  EXPECT_EQ(number("issuing", 0, true), first_delta->number) << "nothing changed, nothing due";

  clock_.advance(2s);  // past the delta's re-issue time, well before its nextUpdate
  publish();
  const auto delta = publisher_->find("default", "issuing", 0, true).value();
  EXPECT_GT(delta->number, first_delta->number);
  EXPECT_LT(clock_.now(), first_delta->next_update);
  EXPECT_EQ(delta->base_number, first->number);

  clock_.advance(policy_.complete_reissue_after - policy_.delta_reissue_after);
  publish();
  const auto second = publisher_->find("default", "issuing", 0, false).value();
  EXPECT_GT(second->number, first->number);
  EXPECT_LT(clock_.now(), first->next_update) << "re-issued before the old one lapsed";
  EXPECT_EQ(second->this_update, clock_.now());
  EXPECT_EQ(second->next_update, clock_.now() + policy_.complete_validity);
  EXPECT_EQ(publisher_->find("default", "issuing", 0, true).value()->base_number, second->number);
}

TEST_F(CrlPublisherTest, ExpiredCertificatesAreDroppedAfterOneCrlBeyondTheirValidity) {
  const auto cert = issue();
  revoke(cert.serial_hex);
  publish();
  auto complete = fetch("issuing", 0, false);
  ASSERT_TRUE(complete);
  EXPECT_EQ(entry_reason(complete.get(), cert.serial_hex), kKeyCompromise);

  clock_.advance(std::chrono::seconds(cert.not_after - to_unix(clock_.now()) + 60));
  publish();
  complete = fetch("issuing", 0, false);
  ASSERT_TRUE(complete);
  // RFC 5280 §3.3: it appears on one regularly scheduled CRL issued beyond its validity period…
  EXPECT_TRUE(entry_reason(complete.get(), cert.serial_hex)) << "first complete CRL after expiry";
  make_complete_due();
  publish();
  complete = fetch("issuing", 0, false);
  ASSERT_TRUE(complete);
  EXPECT_FALSE(entry_reason(complete.get(), cert.serial_hex)) << "…and is dropped after that";
  EXPECT_EQ(publisher_->stats().entries, 0u);

  // After a restart, expired entries are not even loaded.
  restart();
  if (HasFatalFailure()) return;
  publish();
  EXPECT_EQ(publisher_->stats().entries, 0u);
}

// ---- deltas -------------------------------------------------------------------------------------

TEST_F(CrlPublisherTest, RevocationRepeatsInEveryDeltaUntilACompleteCrlCarriesIt) {
  const auto a = issue("a"), b = issue("b");
  publish();
  revoke(a.serial_hex);
  publish();
  auto base = fetch("issuing", 0, false);
  auto delta = fetch("issuing", 0, true);
  ASSERT_TRUE(base && delta);
  EXPECT_FALSE(entry_reason(base.get(), a.serial_hex));
  EXPECT_EQ(entry_reason(delta.get(), a.serial_hex), kKeyCompromise);

  revoke(b.serial_hex);
  publish();
  delta = fetch("issuing", 0, true);
  ASSERT_TRUE(delta);
  EXPECT_EQ(serials_of(delta.get()), (std::set<std::string>{a.serial_hex, b.serial_hex}));

  clock_.advance(policy_.delta_reissue_after + 1s);  // a scheduled delta still repeats them
  publish();
  delta = fetch("issuing", 0, true);
  ASSERT_TRUE(delta);
  EXPECT_EQ(serials_of(delta.get()), (std::set<std::string>{a.serial_hex, b.serial_hex}));

  make_complete_due();
  publish();
  base = fetch("issuing", 0, false);
  delta = fetch("issuing", 0, true);
  ASSERT_TRUE(base && delta);
  EXPECT_EQ(serials_of(base.get()), (std::set<std::string>{a.serial_hex, b.serial_hex}));
  EXPECT_TRUE(serials_of(delta.get()).empty());
  EXPECT_EQ(integer_extension(delta.get(), NID_delta_crl), crl_number(base.get()));
}

TEST_F(CrlPublisherTest, HoldThenReactivateIsRemoveFromCrlInDeltasAndGoneFromTheNextComplete) {
  const auto cert = issue();
  publish();
  suspend(cert.serial_hex);
  publish();
  auto delta = fetch("issuing", 0, true);
  ASSERT_TRUE(delta);
  EXPECT_EQ(entry_reason(delta.get(), cert.serial_hex), kHold);

  make_complete_due();
  publish();
  auto base = fetch("issuing", 0, false);
  ASSERT_TRUE(base);
  EXPECT_EQ(entry_reason(base.get(), cert.serial_hex), kHold);

  reactivate(cert.serial_hex);
  publish();
  delta = fetch("issuing", 0, true);
  base = fetch("issuing", 0, false);
  ASSERT_TRUE(delta && base);
  EXPECT_EQ(entry_reason(delta.get(), cert.serial_hex), kRemoveFromCrl);
  EXPECT_EQ(entry_reason(base.get(), cert.serial_hex), kHold)
      << "the base is unchanged until re-issued";

  make_complete_due();
  publish();
  base = fetch("issuing", 0, false);
  delta = fetch("issuing", 0, true);
  ASSERT_TRUE(delta && base);
  EXPECT_FALSE(entry_reason(base.get(), cert.serial_hex));
  EXPECT_FALSE(entry_reason(delta.get(), cert.serial_hex));
}

TEST_F(CrlPublisherTest, HoldPlacedAndReleasedBetweenCompletesIsRemoveFromCrl) {
  const auto cert = issue();
  publish();
  suspend(cert.serial_hex);
  publish();
  reactivate(cert.serial_hex);
  publish();
  auto delta = fetch("issuing", 0, true);
  ASSERT_TRUE(delta);
  // Clients that merged the previous delta (hold) must drop the entry.
  EXPECT_EQ(entry_reason(delta.get(), cert.serial_hex), kRemoveFromCrl);
}

TEST_F(CrlPublisherTest, HoldTurnedIntoRevocationShowsTheFinalReason) {
  const auto cert = issue();
  suspend(cert.serial_hex);
  publish();
  make_complete_due();
  publish();
  revoke(cert.serial_hex);
  publish();
  auto delta = fetch("issuing", 0, true);
  ASSERT_TRUE(delta);
  EXPECT_EQ(entry_reason(delta.get(), cert.serial_hex), kKeyCompromise);
  make_complete_due();
  publish();
  auto base = fetch("issuing", 0, false);
  ASSERT_TRUE(base);
  EXPECT_EQ(entry_reason(base.get(), cert.serial_hex), kKeyCompromise);
}

TEST_F(CrlPublisherTest, DeltaOutgrowingItsLimitBringsACompleteCrl) {
  policy_.max_delta_entries = 2;
  publisher_ = std::make_unique<CrlPublisher>(*authority_, *store_, clock_, policy_);
  publish();
  const long first = number("issuing", 0, false);
  std::set<std::string> serials;
  for (int i = 0; i < 3; ++i) {
    const auto cert = issue("d" + std::to_string(i));
    serials.insert(cert.serial_hex);
    revoke(cert.serial_hex);
  }
  publish();
  EXPECT_GT(number("issuing", 0, false), first) << "three changes > max_delta_entries";
  auto base = fetch("issuing", 0, false);
  auto delta = fetch("issuing", 0, true);
  ASSERT_TRUE(base && delta);
  EXPECT_EQ(serials_of(base.get()), serials);
  EXPECT_TRUE(serials_of(delta.get()).empty());
}

TEST_F(CrlPublisherTest, ChangesOfOtherProcessesArePickedUpFromTheLog) {
  publish();
  const auto cert = issue();
  // A second publisher (another process would have its own) sees the same log.
  CrlPublisher other(*authority_, *store_, clock_, policy_);
  ASSERT_TRUE(other.publish_due());
  revoke(cert.serial_hex);
  ASSERT_TRUE(other.publish_due());
  auto delta = fetch("issuing", 0, true, &other);
  ASSERT_TRUE(delta);
  EXPECT_EQ(entry_reason(delta.get(), cert.serial_hex), kKeyCompromise);
}

// ---- the index ----------------------------------------------------------------------------------

TEST_F(CrlPublisherTest, IndexFollowsManyChangesExactly) {
  const std::vector<std::string> serials = insert_certificates(2000);
  if (HasFatalFailure()) return;
  std::mt19937_64 rng(42);
  publish();

  std::map<std::string, int> model;  // serial -> reason listed in the complete CRL
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 1500; ++i) {
      const std::string& serial = serials[rng() % serials.size()];
      auto it = model.find(serial);
      if (it == model.end()) {
        if (rng() % 2) {
          change_status(serial, store::kStatusSuspended, kHold);
          model[serial] = kHold;
        } else {
          change_status(serial, store::kStatusRevoked, kKeyCompromise);
          model[serial] = kKeyCompromise;
        }
      } else if (it->second == kHold) {
        if (rng() % 2) {
          change_status(serial, store::kStatusValid, std::nullopt);
          model.erase(it);
        } else {
          change_status(serial, store::kStatusRevoked, kKeyCompromise);
          it->second = kKeyCompromise;
        }
      }
      if (HasFatalFailure()) return;
    }
    make_complete_due();
    publish();
    auto complete = fetch("issuing", 0, false);
    ASSERT_TRUE(complete);
    std::set<std::string> want;
    for (const auto& [serial, reason] : model) want.insert(serial);
    ASSERT_EQ(serials_of(complete.get()), want) << "round " << round;
    for (const auto& [serial, reason] : model) {
      ASSERT_EQ(entry_reason(complete.get(), serial), reason);
    }
    EXPECT_EQ(publisher_->stats().entries, model.size());
  }
  // A restart rebuilds the same index from the store.
  publisher_ = std::make_unique<CrlPublisher>(*authority_, *store_, clock_, policy_);
  publish();
  EXPECT_EQ(publisher_->stats().entries, model.size());
}

TEST_F(CrlPublisherTest, HoldReleaseChurnKeepsTheIndexExactThroughCompactions) {
  // 1000 entries of ~57 octets erased per round: the arena's garbage passes 64 KiB in the second
  // round and is compacted every ~1,150 erasures after that.
  const std::vector<std::string> serials = insert_certificates(1000);
  if (HasFatalFailure()) return;
  publish();
  const std::set<std::string> all(serials.begin(), serials.end());
  for (int round = 0; round < 4; ++round) {
    change_statuses(serials, store::kStatusSuspended, kHold);
    make_complete_due();
    publish();
    auto complete = fetch("issuing", 0, false);
    ASSERT_TRUE(complete);
    ASSERT_EQ(serials_of(complete.get()), all) << "round " << round;
    change_statuses(serials, store::kStatusValid, std::nullopt);
    make_complete_due();
    publish();
    complete = fetch("issuing", 0, false);
    ASSERT_TRUE(complete);
    ASSERT_TRUE(serials_of(complete.get()).empty()) << "round " << round;
    EXPECT_EQ(publisher_->stats().entries, 0u);
  }
}

// ---- partitions ---------------------------------------------------------------------------------

TEST_F(CrlPublisherTest, PartitionsHaveTheirOwnCdpIdpNumbersAndEntries) {
  constexpr int kPartitions = 4;
  auto set = store_->write([&](store::Transaction& tx) {
    return tx.set_ca_crl_partitions(ca_id("issuing"), kPartitions);
  });
  ASSERT_TRUE(set);
  // A fresh Authority reloads the tenant runtime (CDP templates per partition).
  publisher_.reset();
  auto authority = Authority::create({*store_, *vault_, crypto_, clock_}, {kBase});
  ASSERT_TRUE(authority);
  authority_ = std::move(*authority);
  publisher_ = std::make_unique<CrlPublisher>(*authority_, *store_, clock_, policy_);

  std::map<int, std::set<std::string>> by_partition;
  std::map<int, std::string> cdp_by_partition;
  for (int i = 0; i < 200 && (by_partition.size() < kPartitions || i < 24); ++i) {
    const auto cert = issue("p" + std::to_string(i));
    by_partition[cert.crl_partition].insert(cert.serial_hex);
    const std::string cdp = cdp_url(cert.der);
    auto [it, inserted] = cdp_by_partition.emplace(cert.crl_partition, cdp);
    EXPECT_EQ(it->second, cdp) << "one CDP per partition";
    revoke(cert.serial_hex);
  }
  ASSERT_EQ(by_partition.size(), static_cast<std::size_t>(kPartitions));
  publish();

  std::set<std::string> urls;
  for (int p = 0; p < kPartitions; ++p) {
    auto complete = fetch("issuing", p, false);
    auto delta = fetch("issuing", p, true);
    ASSERT_TRUE(complete && delta);
    EXPECT_EQ(serials_of(complete.get()), by_partition[p]) << "partition " << p;
    const Idp idp = idp_of(complete.get());
    EXPECT_EQ(idp.url, cdp_by_partition[p]) << "IDP = the CDP of the partition's certificates";
    EXPECT_EQ(idp.url, std::string(kBase) +
                           (p == 0 ? "/crl/default/issuing.crl"
                                   : "/crl/default/issuing.p" + std::to_string(p) + ".crl"));
    EXPECT_EQ(idp_der(delta.get()), idp_der(complete.get()));
    EXPECT_EQ(freshest_url(complete.get()),
              std::string(kBase) +
                  (p == 0 ? "/crl/default/issuing.delta.crl"
                          : "/crl/default/issuing.p" + std::to_string(p) + ".delta.crl"));
    urls.insert(idp.url);
    // Each scope has its own sequence: its first complete CRL is number 1.
    EXPECT_EQ(crl_number(complete.get()), 1);
  }
  EXPECT_EQ(urls.size(), static_cast<std::size_t>(kPartitions));
  EXPECT_EQ(publisher_->find("default", "issuing", kPartitions, false).error().code,
            Errc::NotFound);
}

// ---- the background thread ----------------------------------------------------------------------

TEST_F(CrlPublisherTest, BackgroundThreadPublishesADeltaSoonAfterAChange) {
  policy_.poll_interval = 200ms;
  policy_.debounce = 50ms;
  publisher_ = std::make_unique<CrlPublisher>(*authority_, *store_, clock_, policy_);
  const auto a = issue("a"), b = issue("b");
  ASSERT_TRUE(publisher_->start());
  ASSERT_GT(number("issuing", 0, true), 0) << "start() publishes before returning";
  // Bounded waits for the thread (woken by the status listener for `a`; by its poll of the status
  // change log for `b`, written as another process would, without a listener call).
  auto wait_for_delta_listing = [&](const std::string& serial) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto found = publisher_->find("default", "issuing", 0, true);
      if (found) {
        auto crl = parse_crl((*found)->der);
        if (crl && entry_reason(crl.get(), serial)) return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  revoke(a.serial_hex);
  EXPECT_TRUE(wait_for_delta_listing(a.serial_hex));
  change_status(b.serial_hex, store::kStatusRevoked, kKeyCompromise);
  EXPECT_TRUE(wait_for_delta_listing(b.serial_hex));
  publisher_->stop();
}

}  // namespace
}  // namespace fleetpki::authority
