// EST enrollment (issue #5): every rule of EstEnrollment, each shown passing and failing. Real
// SQLite store, software vault, fake clock; the transport's values (client chain, HTTP Basic,
// channel binding) are passed directly.
#include "authority/est_enrollment.h"

#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sqlite3.h>
#include <thread>

#include "authority/default_profiles.h"
#include "authority/device_registry.h"
#include "authority/enrollment_admin.h"
#include "authority/enrollment_endpoint.h"
#include "authority/idevid_verifier.h"
#include "authority/profile_catalog.h"
#include "authority_fixture.h"
#include "pki/certificate.h"
#include "pki/csr_attributes.h"
#include "pki/der.h"
#include "pki/pem.h"
#include "pki/serial_number.h"
#include "pki/tbs_template.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using pki::ossl::Ptr;
using testing::make_key;

using Subject = std::vector<std::pair<std::string, std::string>>;

struct Pkcs7Deleter {
  void operator()(PKCS7* p) const { ::PKCS7_free(p); }
};

Bytes sha256(ByteView data) {
  Bytes out(32);
  std::size_t len = 0;
  EXPECT_EQ(::EVP_Q_digest(nullptr, "SHA256", nullptr, data.data(), data.size(), out.data(), &len),
            1);
  return out;
}

std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                  static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  EXPECT_EQ(::RAND_bytes(b.data(), static_cast<int>(n)), 1);
  return b;
}

Bytes spki_of(EVP_PKEY* key) {
  unsigned char* out = nullptr;
  const int len = ::i2d_PUBKEY(key, &out);
  Bytes b(out, out + (len > 0 ? len : 0));
  ::OPENSSL_free(out);
  return b;
}

void add_names(X509_NAME* name, const Subject& subject) {
  for (const auto& [k, v] : subject) {
    ASSERT_EQ(
        ::X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0),
        1)
        << k;
  }
}

/// A DER CSR made with OpenSSL's X509_REQ API (an independent encoder), optionally with a
/// challengePassword (EST linking) and SANs ("DNS:x").
Bytes make_csr(EVP_PKEY* key, const Subject& subject,
               const std::optional<std::string>& challenge = std::nullopt,
               const std::vector<std::string>& sans = {}) {
  Ptr<X509_REQ> req(::X509_REQ_new());
  ::X509_REQ_set_version(req.get(), 0);
  add_names(::X509_REQ_get_subject_name(req.get()), subject);
  ::X509_REQ_set_pubkey(req.get(), key);
  if (challenge) {
    EXPECT_EQ(::X509_REQ_add1_attr_by_NID(req.get(), NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(challenge->data()),
                                          static_cast<int>(challenge->size())),
              1);
  }
  if (!sans.empty()) {
    std::string joined;
    for (const auto& s : sans) joined += (joined.empty() ? "" : ",") + s;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, nullptr, nullptr, req.get(), nullptr, 0);
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(
        exts, ::X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, joined.c_str()));
    ::X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, ::X509_EXTENSION_free);
  }
  Ptr<EVP_MD> md(::EVP_MD_fetch(nullptr, "SHA256", nullptr));
  EXPECT_GT(::X509_REQ_sign(req.get(), key, md.get()), 0);
  unsigned char* out = nullptr;
  const int len = ::i2d_X509_REQ(req.get(), &out);
  Bytes der(out, out + len);
  ::OPENSSL_free(out);
  return der;
}

/// A certification authority outside the platform (a contract manufacturer's PKI).
class OutsideCa {
 public:
  explicit OutsideCa(const std::string& cn, const OutsideCa* parent = nullptr)
      : key_(make_key("P-256")) {
    cert_ = make(key_.get(), parent ? parent->key_.get() : key_.get(),
                 parent ? parent->cert_.get() : nullptr, {{"CN", cn}}, /*ca=*/true, {});
  }
  /// A device certificate; `san_der` is the whole subjectAltName extnValue when given.
  Bytes issue(EVP_PKEY* device_key, const Subject& subject, const Bytes& san_der = {}) const {
    Ptr<X509> leaf = make(device_key, key_.get(), cert_.get(), subject, false, san_der);
    return der_of(leaf.get());
  }
  Bytes der() const { return der_of(cert_.get()); }
  std::string pem() const { return pki::pem_encode(der(), "CERTIFICATE"); }

  /// A CRL of this CA listing the `revoked` certificates (DER), signed with `signer` (default: the
  /// CA's own key), with a cRLNumber unless `number` < 0.
  Bytes crl(const std::vector<Bytes>& revoked, std::int64_t this_update, std::int64_t next_update, long number,
            EVP_PKEY* signer = nullptr) const {
    Ptr<X509_CRL> c(::X509_CRL_new());
    ::X509_CRL_set_version(c.get(), 1);
    ::X509_CRL_set_issuer_name(c.get(), ::X509_get_subject_name(cert_.get()));
    Ptr<ASN1_TIME> last(::ASN1_TIME_set(nullptr, static_cast<time_t>(this_update)));
    Ptr<ASN1_TIME> next(::ASN1_TIME_set(nullptr, static_cast<time_t>(next_update)));
    ::X509_CRL_set1_lastUpdate(c.get(), last.get());
    ::X509_CRL_set1_nextUpdate(c.get(), next.get());
    for (const Bytes& der : revoked) {
      const unsigned char* p = der.data();
      Ptr<X509> cert(::d2i_X509(nullptr, &p, static_cast<long>(der.size())));
      X509_REVOKED* entry = ::X509_REVOKED_new();
      ::X509_REVOKED_set_serialNumber(entry, ::X509_get_serialNumber(cert.get()));
      ::X509_REVOKED_set_revocationDate(entry, last.get());
      ::X509_CRL_add0_revoked(c.get(), entry);
    }
    if (number >= 0) {
      Ptr<ASN1_INTEGER> n(::ASN1_INTEGER_new());
      ::ASN1_INTEGER_set(n.get(), number);
      ::X509_CRL_add1_ext_i2d(c.get(), NID_crl_number, n.get(), 0, 0);
    }
    ::X509_CRL_sort(c.get());
    Ptr<EVP_MD> md(::EVP_MD_fetch(nullptr, "SHA256", nullptr));
    EXPECT_GT(::X509_CRL_sign(c.get(), signer != nullptr ? signer : key_.get(), md.get()), 0);
    unsigned char* out = nullptr;
    const int len = ::i2d_X509_CRL(c.get(), &out);
    Bytes bytes(out, out + len);
    ::OPENSSL_free(out);
    return bytes;
  }
  EVP_PKEY* key() const { return key_.get(); }

  // (public: the forging test signs a certificate under our CA's name with another key)
  static Bytes der_of(X509* x) {
    unsigned char* out = nullptr;
    const int len = ::i2d_X509(x, &out);
    Bytes der(out, out + len);
    ::OPENSSL_free(out);
    return der;
  }
  static Ptr<X509> make(EVP_PKEY* subject_key, EVP_PKEY* issuer_key, X509* issuer,
                        const Subject& subject, bool ca, const Bytes& san_der) {
    Ptr<X509> x(::X509_new());
    ::X509_set_version(x.get(), 2);
    Bytes serial = random_bytes(12);
    serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7F) | 0x40);
    Ptr<BIGNUM> bn(::BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
    ::BN_to_ASN1_INTEGER(bn.get(), ::X509_get_serialNumber(x.get()));
    add_names(::X509_get_subject_name(x.get()), subject);
    ::X509_set_issuer_name(
        x.get(), issuer ? ::X509_get_subject_name(issuer) : ::X509_get_subject_name(x.get()));
    ::X509_gmtime_adj(::X509_getm_notBefore(x.get()),
                      -86400L * 365 * 10);  // the fake clock is in 2027
    ::X509_gmtime_adj(::X509_getm_notAfter(x.get()), 86400L * 365 * 30);
    ::X509_set_pubkey(x.get(), subject_key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
    auto add = [&](int nid, const char* value) {
      X509_EXTENSION* ext = ::X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      ASSERT_NE(ext, nullptr);
      ::X509_add_ext(x.get(), ext, -1);
      ::X509_EXTENSION_free(ext);
    };
    add(NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add(NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add(NID_subject_key_identifier, "hash");
    if (issuer) add(NID_authority_key_identifier, "keyid");
    if (!san_der.empty()) {
      Ptr<ASN1_STRING> value(::ASN1_OCTET_STRING_new());
      ::ASN1_OCTET_STRING_set(value.get(), san_der.data(), static_cast<int>(san_der.size()));
      X509_EXTENSION* ext =
          ::X509_EXTENSION_create_by_NID(nullptr, NID_subject_alt_name, 0, value.get());
      ::X509_add_ext(x.get(), ext, -1);
      ::X509_EXTENSION_free(ext);
    }
    Ptr<EVP_MD> md(::EVP_MD_fetch(nullptr, "SHA256", nullptr));
    EXPECT_GT(::X509_sign(x.get(), issuer_key, md.get()), 0);
    return x;
  }

 private:
  Ptr<EVP_PKEY> key_;
  Ptr<X509> cert_;
};

class EstTest : public AuthorityTest {
 protected:
  EstEnrollment& est() { return authority_->est(); }
  DeviceRegistry& devices() { return authority_->devices(); }

  std::int64_t tenant_id(const std::string& name = "default") {
    return (*store_->find_tenant(name))->id;
  }

  void create_endpoint(const std::string& label, const EndpointSpec& spec, bool disabled = false,
                       const std::string& tenant = "default") {
    store::EnrollmentEndpointRecord rec;
    rec.tenant_id = tenant_id(tenant);
    rec.label = label;
    rec.definition_json = spec.to_json();
    rec.disabled = disabled;
    rec.created_at = rec.updated_at = to_unix(clock_.now());
    ASSERT_TRUE(EndpointSpec::from_json(rec.definition_json)) << rec.definition_json;
    auto stored = store_->write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(auto id, tx.insert_enrollment_endpoint(rec));
      (void)id;
      return ok();
    });
    ASSERT_TRUE(stored) << stored.error().message;
  }

  /// The zero-touch endpoint most tests use: IDevIDs of the manufacturing CA, automatic approval.
  static EndpointSpec factory_spec() {
    EndpointSpec spec;
    spec.auth = {EstAuthMode::Idevid, EstAuthMode::Ldevid};
    spec.linking = EstLinking::Optional;
    return spec;
  }

  void register_device(const std::string& serial, std::optional<std::string> type = std::nullopt) {
    auto d =
        devices().register_device(platform_admin_, "default", serial, std::move(type), {"reg"});
    ASSERT_TRUE(d) << d.error().message;
  }

  std::string device_state(const std::string& serial) {
    auto d = store_->find_device(tenant_id(), serial);
    return d && *d ? (*d)->state : "";
  }

  /// The factory's birth certificate for a device: the idevid profile of the manufacturing CA.
  store::CertificateRecord issue_idevid(const std::string& serial, EVP_PKEY* key,
                                        bool registered = true) {
    const std::string csr =
        pki::pem_encode(make_csr(key, {{"CN", "widget " + serial}, {"serialNumber", serial}}),
                        "CERTIFICATE REQUEST");
    auto issued = authority_->issue(
        platform_admin_,
        {"default", "idevid", csr, registered ? std::optional<std::string>(serial) : std::nullopt},
        {"factory"});
    EXPECT_TRUE(issued) << issued.error().message;
    return issued ? issued->record : store::CertificateRecord{};
  }

  static EstClient tls_client(std::vector<Bytes> chain, int version = 0x0304) {
    EstClient client;
    client.certificate_chain = std::move(chain);
    client.tls_version = version;
    client.channel_binding = random_bytes(version == 0x0303 ? 12 : 32);
    return client;
  }

  static EstClient basic_client(const std::string& user, const std::string& password) {
    EstClient client;
    client.basic_user = user;
    client.basic_password = password;
    client.tls_version = 0x0304;
    client.channel_binding = random_bytes(32);
    return client;
  }

  /// A device with its IDevID, onboarded on `label`: returns the LDevID (DER) and keeps its key.
  struct Onboarded {
    Ptr<EVP_PKEY> idevid_key;
    store::CertificateRecord idevid;
    Ptr<EVP_PKEY> key;
    Bytes ldevid;
    std::string serial_hex;
  };
  Onboarded onboard(const std::string& serial, const std::string& label = "factory") {
    Onboarded o;
    o.idevid_key = make_key("P-256");
    register_device(serial);
    o.idevid = issue_idevid(serial, o.idevid_key.get());
    o.key = make_key("P-256");
    auto r = est().simpleenroll(label, tls_client({o.idevid.der}),
                                make_csr(o.key.get(), {{"CN", serial}}), {"enroll"});
    EXPECT_TRUE(r) << r.error().message;
    if (r) {
      o.ldevid = r->certificate_der;
      o.serial_hex = r->serial_hex;
    }
    return o;
  }

  store::CertificateRecord certificate(const std::string& serial_hex) {
    auto rec = store_->find_certificate(tenant_id(), serial_hex);
    EXPECT_TRUE(rec && *rec);
    return rec && *rec ? **rec : store::CertificateRecord{};
  }

  std::vector<store::AuditEvent> audit_events() {
    std::vector<store::AuditEvent> all;
    for (std::int64_t after = 0;;) {
      auto events = store_->list_audit(std::nullopt, after, 1000);
      EXPECT_TRUE(events);
      if (!events || events->empty()) return all;
      all.insert(all.end(), events->begin(), events->end());
      after = events->back().id;
    }
  }

  std::vector<store::EnrollmentRequestRecord> requests() {
    auto page = store_->list_enrollment_requests(tenant_id(), std::nullopt, 0, 100);
    EXPECT_TRUE(page) << page.error().message;
    return page ? page->items : std::vector<store::EnrollmentRequestRecord>{};
  }

  /// What an operator's approval does (issue for the device, record the serial on the request).
  std::string approve(store::EnrollmentRequestRecord request) {
    const std::string pem = pki::pem_encode(request.csr_der, "CERTIFICATE REQUEST");
    auto issued = authority_->issue(platform_admin_,
                                    {"default", "ldevid", pem, request.device_serial}, {"approve"});
    EXPECT_TRUE(issued) << issued.error().message;
    if (!issued) return {};
    request.state = store::kEnrollmentIssued;
    request.certificate_serial = issued->record.serial_hex;
    request.decided_by = "op";
    request.decided_at = to_unix(clock_.now());
    EXPECT_TRUE(store_->write(
        [&](store::Transaction& tx) { return tx.update_enrollment_request(request); }));
    return issued->record.serial_hex;
  }

  void reject(store::EnrollmentRequestRecord request, const std::string& reason) {
    request.state = store::kEnrollmentRejected;
    request.reason = reason;
    request.decided_by = "op";
    request.decided_at = to_unix(clock_.now());
    EXPECT_TRUE(store_->write(
        [&](store::Transaction& tx) { return tx.update_enrollment_request(request); }));
  }

  /// A trigger on the real database (through another connection, as a second process would) that
  /// makes every certificate insert for `serial` fail: an issuance failing in its commit.
  void fail_certificate_inserts_for(const std::string& serial) {
    exec_sql("CREATE TRIGGER \"fail_" + serial + "\" BEFORE INSERT ON certificates WHEN NEW.device_serial = '" +
             serial + "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
  }
  void allow_certificate_inserts_for(const std::string& serial) {
    exec_sql("DROP TRIGGER \"fail_" + serial + "\";");
  }
  void exec_sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "test.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  void add_otp(const std::string& serial, const std::string& secret, std::int64_t ttl_seconds) {
    store::EnrollmentOtpRecord otp;
    otp.tenant_id = tenant_id();
    otp.device_serial = serial;
    otp.secret_hash = sha256(as_bytes(secret));
    otp.created_at = to_unix(clock_.now());
    otp.expires_at = otp.created_at + ttl_seconds;
    otp.created_by = "op";
    auto stored = store_->write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(auto id, tx.insert_enrollment_otp(otp));
      (void)id;
      return ok();
    });
    ASSERT_TRUE(stored) << stored.error().message;
  }

  void SetUp() override {
    AuthorityTest::SetUp();
    if (HasFatalFailure()) return;
    create_endpoint("factory", factory_spec());
  }
};

Errc code_of(const Result<EstResult>& r) {
  return r ? Errc::Internal : r.error().code;
}

// ---- zero-touch onboarding ----------------------------------------------------------------------

TEST_F(EstTest, ZeroTouchEnrollIssuesTheLdevidWithTheRegistryIdentityAndActivatesTheDevice) {
  register_device("SN-100");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-100", idevid_key.get());
  EXPECT_EQ(device_state("SN-100"), "provisioned");

  auto key = make_key("P-256");
  // The profile takes CN and serialNumber from the registry; a CSR naming another device is
  // refused.
  auto other = est().simpleenroll("factory", tls_client({idevid.der}),
                                  make_csr(key.get(), {{"CN", "SN-999"}}), {});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::InvalidArgument);
  auto r = est().simpleenroll("factory", tls_client({idevid.der}),
                              make_csr(key.get(), {{"O", "Acme"}}), {"req-1"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->pending);
  EXPECT_TRUE(r->private_key_pkcs8.empty());
  auto cert = pki::Certificate::from_der(crypto_, r->certificate_der);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->subject_string(), "serialNumber=SN-100,O=Acme,CN=SN-100");
  EXPECT_EQ(cert->public_key().spki_der, spki_of(key.get()));
  const auto rec = certificate(r->serial_hex);
  EXPECT_EQ(rec.profile, "ldevid");
  EXPECT_EQ(rec.device_serial.value_or(""), "SN-100");
  EXPECT_EQ(device_state("SN-100"), "active");

  // The audit log tells the story: the issuance and the device's activation carry the endpoint,
  // the authentication mode and the birth certificate's fingerprint, under the device principal.
  const std::string idevid_hash = to_hex(sha256(idevid.der));
  int told = 0;
  for (const auto& e : audit_events()) {
    if (e.request_id != "req-1") continue;
    auto details = nlohmann::json::parse(e.details_json);
    EXPECT_EQ(e.actor, "device:SN-100") << e.action;
    EXPECT_EQ(details.value("est_endpoint", ""), "factory") << e.action;
    EXPECT_EQ(details.value("est_auth", ""), "idevid") << e.action;
    EXPECT_EQ(details.value("idevid", ""), idevid_hash) << e.action;
    ++told;
  }
  EXPECT_GE(told, 2);  // certificate.issue and the device's transition to active
}

TEST_F(EstTest, AnActiveDeviceMayOnboardAgainWithItsIdevid) {
  auto o = onboard("SN-101");
  ASSERT_FALSE(o.ldevid.empty());
  auto key = make_key("P-256");
  auto again = est().simpleenroll("factory", tls_client({o.idevid.der}),
                                  make_csr(key.get(), {{"CN", "SN-101"}}), {});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_NE(again->serial_hex, o.serial_hex);
}

TEST_F(EstTest, IdevidFromTheHardwareModuleNameWhenTheSubjectHasNoSerialNumber) {
  // RFC 4108 §5 otherName hardwareModuleName { hwType 1.3.6.1.4.1.99999.1, hwSerialNum "WX-000123"
  // } (STANDARDS.md §3 vector).
  const Bytes san{0x30, 0x26, 0xA0, 0x24, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05,
                  0x05, 0x07, 0x08, 0x04, 0xA0, 0x18, 0x30, 0x16, 0x06, 0x09,
                  0x2B, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8D, 0x1F, 0x01, 0x04,
                  0x09, 0x57, 0x58, 0x2D, 0x30, 0x30, 0x30, 0x31, 0x32, 0x33};
  OutsideCa maker("Contract Manufacturer CA");
  EndpointSpec spec = factory_spec();
  spec.trusted_cas = {};
  spec.trust_anchors_pem = maker.pem();
  create_endpoint("contract", spec);
  register_device("WX-000123");
  auto device_key = make_key("P-256");
  const Bytes idevid = maker.issue(device_key.get(), {{"CN", "widget"}}, san);
  auto key = make_key("P-256");
  auto r = est().simpleenroll("contract", tls_client({idevid}),
                              make_csr(key.get(), {{"CN", "WX-000123"}}), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(certificate(r->serial_hex).device_serial.value_or(""), "WX-000123");

  // Two serialNumber attributes name no one device (even with a hardwareModuleName).
  const Bytes ambiguous =
      maker.issue(device_key.get(),
                  {{"CN", "widget"}, {"serialNumber", "WX-000123"}, {"serialNumber", "WX-1"}}, san);
  EXPECT_EQ(code_of(est().simpleenroll("contract", tls_client({ambiguous}),
                                       make_csr(key.get(), {{"CN", "WX-000123"}}), {})),
            Errc::Unauthenticated);
  // Neither serialNumber nor hardwareModuleName: no identity.
  const Bytes anonymous = maker.issue(device_key.get(), {{"CN", "widget"}});
  EXPECT_EQ(code_of(est().simpleenroll("contract", tls_client({anonymous}),
                                       make_csr(key.get(), {{"CN", "WX-000123"}}), {})),
            Errc::Unauthenticated);
}

TEST_F(EstTest, OurOwnHardwareModuleNameIdevidNamesTheDevice) {
  // A birth certificate profile without serialNumber: the device is named by the
  // hardwareModuleName SAN only (IEEE 802.1AR §8.10.4).
  Profile hmn = *builtin_template("idevid");
  hmn.name = "idevid-hmn";
  hmn.subject = {{.attribute = "CN",
                  .source = SubjectSource::Csr,
                  .value = {},
                  .required = false,
                  .csr_fallback = false}};
  hmn.san.hardware_module_type = "1.3.6.1.4.1.99999.1";
  ASSERT_TRUE(authority_->profiles().create(platform_admin_, "default", hmn.to_json(), {}));
  register_device("HM-1");
  auto idevid_key = make_key("P-256");
  auto issued = authority_->issue(
      platform_admin_,
      {"default", "idevid-hmn",
       pki::pem_encode(make_csr(idevid_key.get(), {{"CN", "widget"}}), "CERTIFICATE REQUEST"),
       "HM-1"},
      {});
  ASSERT_TRUE(issued) << issued.error().message;
  ASSERT_EQ(issued->record.subject, "CN=widget");

  // Both readers agree: the store-recognized path of the service and the OpenSSL verifier.
  auto runtime = authority_->tenant_runtime("default");
  ASSERT_TRUE(runtime);
  DeviceTrust trust;
  trust.anchors.push_back((*runtime)->cas.at("manufacturing")->certificate->der());
  auto verifier = IdevidVerifier::create(crypto_, trust);
  ASSERT_TRUE(verifier);
  auto verified = (*verifier)->verify({issued->record.der}, clock_.now());
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->device_serial.value_or(""), "HM-1");

  auto key = make_key("P-256");
  auto r = est().simpleenroll("factory", tls_client({issued->record.der}),
                              make_csr(key.get(), {{"CN", "HM-1"}}), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(certificate(r->serial_hex).device_serial.value_or(""), "HM-1");
}

TEST_F(EstTest, IdevidVerifierCompletesAChainFromTheTenantCas) {
  register_device("SN-105");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-105", idevid_key.get());
  auto runtime = authority_->tenant_runtime("default");
  ASSERT_TRUE(runtime);
  DeviceTrust trust;
  trust.anchors.push_back((*runtime)->cas.at("root")->certificate->der());
  // Without the tenant's CAs the manufacturing CA between leaf and root is missing.
  auto bare = IdevidVerifier::create(crypto_, trust);
  ASSERT_TRUE(bare);
  auto missing = (*bare)->verify({idevid.der}, clock_.now());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::Unauthenticated);
  for (const auto& [name, ca] : (*runtime)->cas) trust.tenant_cas.push_back(ca);
  auto completing = IdevidVerifier::create(crypto_, trust);
  ASSERT_TRUE(completing);
  auto verified = (*completing)->verify({idevid.der}, clock_.now());
  ASSERT_TRUE(verified) << verified.error().message;
  ASSERT_TRUE(verified->issuing_ca);
  EXPECT_EQ(verified->issuing_ca->record.name, "manufacturing");
  EXPECT_EQ(verified->serial_hex, idevid.serial_hex);
  EXPECT_EQ(verified->device_serial.value_or(""), "SN-105");
  EXPECT_EQ(verified->der, idevid.der);
  // A CA certificate is no device certificate; a chain longer than kMaxChain is refused unread.
  EXPECT_FALSE(
      (*completing)
          ->verify({(*runtime)->cas.at("manufacturing")->certificate->der()}, clock_.now()));
  EXPECT_FALSE(
      (*completing)
          ->verify(std::vector<Bytes>(IdevidVerifier::kMaxChain + 1, idevid.der), clock_.now()));
}

// ---- chains and trust
// -----------------------------------------------------------------------------

TEST_F(EstTest, ChainWithoutIntermediateIsCompletedFromTheTenantCas) {
  // Trusting only the tenant's root: the manufacturing CA between it and the IDevID is not sent
  // by the device and comes from the server's store.
  EndpointSpec spec = factory_spec();
  spec.trusted_cas = {"root"};
  create_endpoint("via-root", spec);
  register_device("SN-110");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-110", idevid_key.get());
  auto key = make_key("P-256");
  auto r = est().simpleenroll("via-root", tls_client({idevid.der}),
                              make_csr(key.get(), {{"CN", "SN-110"}}), {});
  ASSERT_TRUE(r) << r.error().message;
  // The root also anchors the LDevID just issued: it is still no birth certificate (a device
  // would otherwise skip the re-enroll rules).
  auto ldevid_as_idevid = est().simpleenroll("via-root", tls_client({r->certificate_der}),
                                             make_csr(key.get(), {{"CN", "SN-110"}}), {});
  ASSERT_FALSE(ldevid_as_idevid);
  EXPECT_EQ(ldevid_as_idevid.error().code, Errc::PermissionDenied);

  // An outside manufacturer's chain: the device must send its intermediate (the server has none).
  OutsideCa root("CM Root");
  OutsideCa intermediate("CM Intermediate", &root);
  EndpointSpec outside = factory_spec();
  outside.trusted_cas = {};
  outside.trust_anchors_pem = root.pem();
  create_endpoint("cm", outside);
  register_device("SN-111");
  auto device_key = make_key("P-256");
  const Bytes leaf =
      intermediate.issue(device_key.get(), {{"CN", "w"}, {"serialNumber", "SN-111"}});
  auto missing =
      est().simpleenroll("cm", tls_client({leaf}), make_csr(key.get(), {{"CN", "SN-111"}}), {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::Unauthenticated);
  auto full = est().simpleenroll("cm", tls_client({leaf, intermediate.der()}),
                                 make_csr(key.get(), {{"CN", "SN-111"}}), {});
  EXPECT_TRUE(full) << full.error().message;
}

TEST_F(EstTest, IdevidFromAnUntrustedCaIsRefusedAndNothingIsIssued) {
  register_device("SN-120");
  OutsideCa rogue("Rogue CA");
  auto device_key = make_key("P-256");
  const Bytes forged = rogue.issue(device_key.get(), {{"CN", "w"}, {"serialNumber", "SN-120"}});
  const std::size_t before = stored_certificates();
  auto key = make_key("P-256");
  auto r = est().simpleenroll("factory", tls_client({forged, rogue.der()}),
                              make_csr(key.get(), {{"CN", "SN-120"}}), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unauthenticated);
  EXPECT_NE(r.error().message.find("does not verify"), std::string::npos) << r.error().message;

  // A certificate of the tenant's issuing CA (an LDevID) is no birth certificate here.
  auto o = onboard("SN-121");
  auto as_idevid = est().simpleenroll("factory", tls_client({o.ldevid}),
                                      make_csr(key.get(), {{"CN", "SN-121"}}), {});
  ASSERT_FALSE(as_idevid);
  EXPECT_EQ(as_idevid.error().code, Errc::Unauthenticated);

  // Garbage instead of a certificate.
  EXPECT_EQ(code_of(est().simpleenroll("factory", tls_client({Bytes{0x30, 0x03, 0x02, 0x01, 0x01}}),
                                       make_csr(key.get(), {{"CN", "SN-120"}}), {})),
            Errc::Unauthenticated);
  EXPECT_EQ(stored_certificates(), before + 2);  // only SN-121's IDevID and LDevID
}

TEST_F(EstTest, RevokedOrSuspendedIdevidIsRefusedLive) {
  register_device("SN-130");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-130", idevid_key.get());
  auto key = make_key("P-256");
  const Bytes csr = make_csr(key.get(), {{"CN", "SN-130"}});
  ASSERT_TRUE(
      est().simpleenroll("factory", tls_client({idevid.der}), csr, {}));  // cached runtime warm

  ASSERT_TRUE(authority_->suspend(platform_admin_, "default", idevid.serial_hex, {}));
  auto suspended = est().simpleenroll("factory", tls_client({idevid.der}), csr, {});
  ASSERT_FALSE(suspended);
  EXPECT_EQ(suspended.error().code, Errc::PermissionDenied);
  EXPECT_NE(suspended.error().message.find("suspended"), std::string::npos);

  ASSERT_TRUE(authority_->reactivate(platform_admin_, "default", idevid.serial_hex, {}));
  EXPECT_TRUE(est().simpleenroll("factory", tls_client({idevid.der}), csr, {}));

  ASSERT_TRUE(authority_->revoke(platform_admin_, "default", idevid.serial_hex,
                                 pki::CrlReason::KeyCompromise, std::nullopt, {}));
  auto revoked = est().simpleenroll("factory", tls_client({idevid.der}), csr, {});
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, Errc::PermissionDenied);
  EXPECT_NE(revoked.error().message.find("revoked"), std::string::npos);
}

TEST_F(EstTest, AnIdevidSignedByOurCaButAbsentFromOurStoreIsRefused) {
  // What a restored database or a CA key used outside the platform would produce: a certificate
  // our manufacturing CA signed that the store does not know. Made here by changing the serial of
  // a real IDevID and signing it again with the CA's key.
  register_device("SN-135");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-135", idevid_key.get());
  auto cas = store_->list_cas(tenant_id());
  ASSERT_TRUE(cas);
  auto mfg = std::find_if(cas->begin(), cas->end(),
                          [](const auto& ca) { return ca.name == "manufacturing"; });
  ASSERT_NE(mfg, cas->end());
  auto signer = vault_->open_signer(mfg->key_ref);
  ASSERT_TRUE(signer);
  auto envelope = pki::der::parse_signed_envelope(idevid.der, "Certificate");
  ASSERT_TRUE(envelope);
  Bytes tbs(envelope->to_be_signed.encoded.begin(), envelope->to_be_signed.encoded.end());
  // tbs: 30 len [A0 03 02 01 02] 02 len serial…: flip the serial's last octet.
  pki::der::Reader fields(envelope->to_be_signed.content);
  ASSERT_TRUE(fields.next());  // version
  auto serial = fields.expect(pki::der::tag::kInteger);
  ASSERT_TRUE(serial);
  const std::size_t at =
      static_cast<std::size_t>(serial->content.data() - envelope->to_be_signed.encoded.data()) +
      serial->content.size() - 1;
  tbs[at] ^= 0x01;
  auto signature = (*signer)->sign(tbs);
  ASSERT_TRUE(signature);
  const Bytes forged = pki::assemble_certificate(tbs, (*signer)->algorithm(), *signature);
  ASSERT_NE(forged, idevid.der);

  auto key = make_key("P-256");
  const std::size_t before = stored_certificates();
  auto r = est().simpleenroll("factory", tls_client({forged}),
                              make_csr(key.get(), {{"CN", "SN-135"}}), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unauthenticated);
  EXPECT_NE(r.error().message.find("not one this platform issued"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(stored_certificates(), before);
  EXPECT_TRUE(est().simpleenroll("factory", tls_client({idevid.der}),
                                 make_csr(key.get(), {{"CN", "SN-135"}}), {}));
}

TEST_F(EstTest, AStoreRowWithoutTheCaSignatureIsNoBirthCertificate) {
  // Someone able to write the certificates table but without the CA key records a certificate
  // under our manufacturing CA's name signed with another key: refused, nothing issued.
  register_device("SN-137");
  auto cas = store_->list_cas(tenant_id());
  ASSERT_TRUE(cas);
  auto mfg = std::find_if(cas->begin(), cas->end(),
                          [](const auto& ca) { return ca.name == "manufacturing"; });
  ASSERT_NE(mfg, cas->end());
  const unsigned char* p = mfg->certificate_der.data();
  Ptr<X509> mfg_cert(::d2i_X509(nullptr, &p, static_cast<long>(mfg->certificate_der.size())));
  ASSERT_TRUE(mfg_cert);
  auto rogue_key = make_key("P-256");
  auto device_key = make_key("P-256");
  Ptr<X509> forged_x509 = OutsideCa::make(device_key.get(), rogue_key.get(), mfg_cert.get(),
                                          {{"CN", "w"}, {"serialNumber", "SN-137"}}, false, {});
  const Bytes forged = OutsideCa::der_of(forged_x509.get());
  auto parsed = pki::Certificate::from_der(crypto_, forged);
  ASSERT_TRUE(parsed);
  store::CertificateRecord row;
  row.tenant_id = tenant_id();
  row.ca_id = mfg->id;
  row.profile = "idevid";
  row.serial_hex = pki::serial_to_hex(parsed->serial());
  row.subject = parsed->subject_string();
  row.not_before = to_unix(parsed->not_before());
  row.not_after = to_unix(parsed->not_after());
  row.der = forged;
  row.created_at = to_unix(clock_.now());
  ASSERT_TRUE(store_->write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto id, tx.insert_certificate(row));
    (void)id;
    return ok();
  }));
  const std::size_t before = stored_certificates();
  auto key = make_key("P-256");
  auto r = est().simpleenroll("factory", tls_client({forged}),
                              make_csr(key.get(), {{"CN", "SN-137"}}), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unauthenticated);
  EXPECT_EQ(stored_certificates(), before);
}

TEST_F(EstTest, AnotherTenantsBirthCertificateIsNotTrusted) {
  ASSERT_TRUE(authority_->create_tenant(platform_admin_, "other", {}));
  auto other_key = make_key("P-256");
  const std::string csr = pki::pem_encode(
      make_csr(other_key.get(), {{"CN", "w"}, {"serialNumber", "SN-136"}}), "CERTIFICATE REQUEST");
  auto foreign = authority_->issue(platform_admin_, {"other", "idevid", csr, std::nullopt}, {});
  ASSERT_TRUE(foreign) << foreign.error().message;
  register_device("SN-136");
  auto key = make_key("P-256");
  auto r = est().simpleenroll("factory", tls_client({foreign->record.der}),
                              make_csr(key.get(), {{"CN", "SN-136"}}), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unauthenticated);
}

// ---- device policy ------------------------------------------------------------------------------

TEST_F(EstTest, UnregisteredSerialIsRejectedOrHeldPerEndpoint) {
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-140", idevid_key.get(), /*registered=*/false);
  auto key = make_key("P-256");
  const Bytes csr = make_csr(key.get(), {{"CN", "SN-140"}});
  auto rejected = est().simpleenroll("factory", tls_client({idevid.der}), csr, {});
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, Errc::PermissionDenied);
  EXPECT_NE(rejected.error().message.find("not registered"), std::string::npos);
  EXPECT_TRUE(requests().empty());

  EndpointSpec spec = factory_spec();
  spec.unknown_devices = EstUnknownDevices::Manual;
  spec.retry_after_seconds = 300;
  create_endpoint("open", spec);
  auto held = est().simpleenroll("open", tls_client({idevid.der}), csr, {});
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_TRUE(held->pending);
  EXPECT_EQ(held->retry_after_seconds, 300);
  EXPECT_TRUE(held->certificate_der.empty());
  auto held_requests = requests();
  ASSERT_EQ(held_requests.size(), 1u);
  EXPECT_EQ(held_requests[0].device_serial, "SN-140");
  EXPECT_EQ(held_requests[0].auth_mode, "idevid");
  EXPECT_EQ(held_requests[0].identity, to_hex(sha256(idevid.der)));
  EXPECT_EQ(held_requests[0].csr_der, csr);
  EXPECT_EQ(held_requests[0].state, store::kEnrollmentPending);
}

TEST_F(EstTest, SuspendedOrDecommissionedDeviceIsRefused) {
  // Outside anchors: the IDevID itself is not in our store, the registry is what stops the device.
  OutsideCa maker("CM");
  EndpointSpec spec = factory_spec();
  spec.trusted_cas = {};
  spec.trust_anchors_pem = maker.pem();
  create_endpoint("cm", spec);
  auto key = make_key("P-256");
  for (const auto& [serial, actions] :
       std::vector<std::pair<std::string, std::vector<DeviceAction>>>{
           {"SN-150", {DeviceAction::Provision, DeviceAction::Activate, DeviceAction::Suspend}},
           {"SN-151", {DeviceAction::Decommission}}}) {
    register_device(serial);
    for (DeviceAction action : actions)
      ASSERT_TRUE(devices().transition(platform_admin_, "default", serial, action, {}));
    const Bytes idevid = maker.issue(key.get(), {{"CN", "w"}, {"serialNumber", serial}});
    auto r =
        est().simpleenroll("cm", tls_client({idevid}), make_csr(key.get(), {{"CN", serial}}), {});
    ASSERT_FALSE(r) << serial;
    EXPECT_EQ(r.error().code, Errc::PermissionDenied) << serial;
    EXPECT_NE(r.error().message.find(device_state(serial)), std::string::npos) << r.error().message;
  }
}

TEST_F(EstTest, DeviceTypeMustMatchTheEndpointAndItsManufacturingCas) {
  ASSERT_TRUE(devices().create_type(platform_admin_, "default", {.name = "meter"}, {}));
  ASSERT_TRUE(devices().create_type(
      platform_admin_, "default",
      {.name = "gateway", .default_profiles = {}, .allowed_manufacturing_cas = {"issuing"}}, {}));
  ASSERT_TRUE(devices().create_type(
      platform_admin_, "default",
      {.name = "sensor", .default_profiles = {}, .allowed_manufacturing_cas = {"manufacturing"}},
      {}));
  EndpointSpec spec = factory_spec();
  spec.device_type = "meter";
  create_endpoint("meters", spec);
  auto key = make_key("P-256");

  register_device("SN-160");  // default type
  auto k1 = make_key("P-256");
  auto plain = issue_idevid("SN-160", k1.get());
  auto wrong_type = est().simpleenroll("meters", tls_client({plain.der}),
                                       make_csr(key.get(), {{"CN", "SN-160"}}), {});
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code, Errc::PermissionDenied);
  EXPECT_NE(wrong_type.error().message.find("type"), std::string::npos);

  register_device("SN-161", "meter");
  auto k2 = make_key("P-256");
  auto meter = issue_idevid("SN-161", k2.get());
  EXPECT_TRUE(est().simpleenroll("meters", tls_client({meter.der}),
                                 make_csr(key.get(), {{"CN", "SN-161"}}), {}));

  // Gateways accept only birth certificates of the "issuing" CA: ours come from "manufacturing".
  register_device("SN-162", "gateway");
  auto k3 = make_key("P-256");
  auto gateway = issue_idevid("SN-162", k3.get());
  auto wrong_maker = est().simpleenroll("factory", tls_client({gateway.der}),
                                        make_csr(key.get(), {{"CN", "SN-162"}}), {});
  ASSERT_FALSE(wrong_maker);
  EXPECT_EQ(wrong_maker.error().code, Errc::PermissionDenied);

  register_device("SN-163", "sensor");
  auto k4 = make_key("P-256");
  auto sensor = issue_idevid("SN-163", k4.get());
  EXPECT_TRUE(est().simpleenroll("factory", tls_client({sensor.der}),
                                 make_csr(key.get(), {{"CN", "SN-163"}}), {}));
}

// ---- CSR checks and linking
// ----------------------------------------------------------------------

TEST_F(EstTest, CsrWithABadSignatureOrAnotherSerialIsRefused) {
  register_device("SN-170");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-170", idevid_key.get());
  const std::size_t before = stored_certificates();
  auto key = make_key("P-256");
  Bytes csr = make_csr(key.get(), {{"CN", "SN-170"}});
  csr[csr.size() - 5] ^= 0x01;  // inside the signature
  auto bad = est().simpleenroll("factory", tls_client({idevid.der}), csr, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
  EXPECT_EQ(code_of(est().simpleenroll("factory", tls_client({idevid.der}), Bytes{0x30, 0x00}, {})),
            Errc::InvalidArgument);
  // The identity is the registry's: a CSR naming another serial is refused.
  auto other =
      est().simpleenroll("factory", tls_client({idevid.der}),
                         make_csr(key.get(), {{"CN", "SN-170"}, {"serialNumber", "SN-999"}}), {});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::InvalidArgument);
  EXPECT_EQ(stored_certificates(), before);
}

TEST_F(EstTest, LinkingOffOptionalRequiredOnTls12AndTls13) {
  for (EstLinking mode : {EstLinking::Off, EstLinking::Optional, EstLinking::Required}) {
    EndpointSpec spec = factory_spec();
    spec.linking = mode;
    create_endpoint("link-" + std::string(est_linking_name(mode)), spec);
  }
  register_device("SN-180");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-180", idevid_key.get());
  auto key = make_key("P-256");

  enum class Value { Matching, Mismatching, Missing };
  struct Case {
    EstLinking mode;
    Value value;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {EstLinking::Off, Value::Matching, true},
      {EstLinking::Off, Value::Mismatching, true},
      {EstLinking::Off, Value::Missing, true},
      {EstLinking::Optional, Value::Matching, true},
      {EstLinking::Optional, Value::Mismatching, false},
      {EstLinking::Optional, Value::Missing, true},
      {EstLinking::Required, Value::Matching, true},
      {EstLinking::Required, Value::Mismatching, false},
      {EstLinking::Required, Value::Missing, false},
  };
  for (int version : {0x0303, 0x0304}) {
    for (const Case& c : cases) {
      const std::string label = "link-" + std::string(est_linking_name(c.mode));
      EstClient client = tls_client({idevid.der}, version);
      // A CSR made on another TLS session carries that session's binding (a replay).
      const Bytes other_session = random_bytes(client.channel_binding.size());
      std::optional<std::string> challenge;
      if (c.value == Value::Matching) challenge = base64(client.channel_binding);
      if (c.value == Value::Mismatching) challenge = base64(other_session);
      auto r =
          est().simpleenroll(label, client, make_csr(key.get(), {{"CN", "SN-180"}}, challenge), {});
      const std::string what = label + " value " + std::to_string(static_cast<int>(c.value)) +
                               " TLS " + std::to_string(version);
      EXPECT_EQ(static_cast<bool>(r), c.accepted) << what << (r ? "" : ": " + r.error().message);
      if (!r) {
        EXPECT_EQ(r.error().code, Errc::InvalidArgument) << what;
      }
    }
  }
  // Required, but the connection offers no channel binding (the transport could not compute it).
  EstClient unbound = tls_client({idevid.der});
  unbound.channel_binding.clear();
  EXPECT_EQ(code_of(est().simpleenroll("link-required", unbound,
                                       make_csr(key.get(), {{"CN", "SN-180"}}, "x"), {})),
            Errc::InvalidArgument);
  // Optional with a challengePassword but no binding: not linked.
  EXPECT_EQ(code_of(est().simpleenroll("link-optional", unbound,
                                       make_csr(key.get(), {{"CN", "SN-180"}}, "x"), {})),
            Errc::InvalidArgument);
}

// ---- held enrollments ---------------------------------------------------------------------------

TEST_F(EstTest, HeldRequestIsPendingUntilApprovedThenTheIdenticalRetryReturnsTheSameCertificate) {
  EndpointSpec spec = factory_spec();
  spec.approval = EstApproval::Manual;
  spec.retry_after_seconds = 120;
  spec.server_keygen = true;
  create_endpoint("manual", spec);
  register_device("SN-190");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-190", idevid_key.get());
  const std::size_t before = stored_certificates();
  auto key = make_key("P-256");
  const Bytes csr = make_csr(key.get(), {{"CN", "SN-190"}});

  auto first = est().simpleenroll("manual", tls_client({idevid.der}), csr, {"r1"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->pending);
  EXPECT_EQ(first->retry_after_seconds, 120);
  auto again = est().simpleenroll("manual", tls_client({idevid.der}), csr, {"r2"});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->pending);
  ASSERT_EQ(requests().size(), 1u);
  EXPECT_EQ(stored_certificates(), before);
  bool hold_audited = false;
  for (const auto& e : audit_events()) {
    if (e.action != "enrollment.hold") continue;
    hold_audited = true;
    EXPECT_EQ(e.request_id, "r1");
    EXPECT_EQ(nlohmann::json::parse(e.details_json).value("est_endpoint", ""), "manual");
  }
  EXPECT_TRUE(hold_audited);

  const std::string serial = approve(requests()[0]);
  auto issued = est().simpleenroll("manual", tls_client({idevid.der}), csr, {"r3"});
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_FALSE(issued->pending);
  EXPECT_EQ(issued->serial_hex, serial);
  EXPECT_EQ(issued->certificate_der, certificate(serial).der);
  auto once_more = est().simpleenroll("manual", tls_client({idevid.der}), csr, {"r4"});
  ASSERT_TRUE(once_more);
  EXPECT_EQ(once_more->serial_hex, serial);  // the same certificate, not a new one
  EXPECT_EQ(stored_certificates(), before + 1);
  // Revoked meanwhile: the retry gets no revoked certificate.
  ASSERT_TRUE(authority_->revoke(platform_admin_, "default", serial, pki::CrlReason::Superseded,
                                 std::nullopt, {}));
  EXPECT_EQ(code_of(est().simpleenroll("manual", tls_client({idevid.der}), csr, {})),
            Errc::PermissionDenied);

  // Another CSR is another request; rejected, its retries are refused with the reason.
  auto key2 = make_key("P-256");
  const Bytes csr2 = make_csr(key2.get(), {{"CN", "SN-190"}});
  auto second = est().simpleenroll("manual", tls_client({idevid.der}), csr2, {});
  ASSERT_TRUE(second && second->pending);
  auto all = requests();
  ASSERT_EQ(all.size(), 2u);
  reject(all[1], "not in the rollout plan");
  auto refused = est().simpleenroll("manual", tls_client({idevid.der}), csr2, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::PermissionDenied);
  EXPECT_NE(refused.error().message.find("not in the rollout plan"), std::string::npos);

  // Server key generation is never held (the key would have to be stored).
  auto keygen = est().serverkeygen("manual", tls_client({idevid.der}), csr, {});
  ASSERT_FALSE(keygen);
  EXPECT_EQ(keygen.error().code, Errc::PermissionDenied);
  EXPECT_NE(keygen.error().message.find("automatic approval"), std::string::npos);
}

TEST_F(EstTest, HeldRequestOfACsrThatIssuanceWouldRefuseIsNotStored) {
  EndpointSpec spec = factory_spec();
  spec.approval = EstApproval::Manual;
  create_endpoint("manual", spec);
  register_device("SN-191");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-191", idevid_key.get());
  auto key = make_key("P-256");
  auto r = est().simpleenroll("manual", tls_client({idevid.der}),
                              make_csr(key.get(), {{"CN", "x"}, {"serialNumber", "SN-000"}}), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_TRUE(requests().empty());
}

// ---- one-time passwords -------------------------------------------------------------------------

TEST_F(EstTest, OtpAuthenticatesOnceAndExpires) {
  EndpointSpec spec = factory_spec();
  spec.auth = {EstAuthMode::Otp};
  spec.trusted_cas = {};
  create_endpoint("otp", spec);
  register_device("SN-200");
  add_otp("SN-200", "correct horse", 3600);
  auto key = make_key("P-256");
  const Bytes csr = make_csr(key.get(), {{"CN", "SN-200"}});
  const std::size_t before = stored_certificates();

  EXPECT_EQ(code_of(est().simpleenroll("otp", basic_client("SN-200", "wrong horse"), csr, {})),
            Errc::Unauthenticated);
  EXPECT_EQ(code_of(est().simpleenroll("otp", basic_client("SN-201", "correct horse"), csr, {})),
            Errc::Unauthenticated);
  EXPECT_EQ(code_of(est().simpleenroll("otp", EstClient{}, csr, {})), Errc::Unauthenticated);
  // A client certificate is no credential on an OTP-only endpoint.
  EXPECT_EQ(code_of(est().simpleenroll("otp", tls_client({Bytes{0x30, 0x00}}), csr, {})),
            Errc::Unauthenticated);
  EXPECT_EQ(stored_certificates(), before);

  auto good = est().simpleenroll("otp", basic_client("SN-200", "correct horse"), csr, {"otp-1"});
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(device_state("SN-200"), "active");
  for (const auto& e : audit_events()) {
    if (e.request_id == "otp-1") {
      EXPECT_EQ(nlohmann::json::parse(e.details_json).value("est_auth", ""), "otp");
    }
  }
  auto reused = est().simpleenroll("otp", basic_client("SN-200", "correct horse"), csr, {});
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().code, Errc::Unauthenticated);

  add_otp("SN-200", "short lived", 60);
  clock_.advance(std::chrono::seconds(61));
  EXPECT_EQ(code_of(est().simpleenroll("otp", basic_client("SN-200", "short lived"), csr, {})),
            Errc::Unauthenticated);
  EXPECT_EQ(stored_certificates(), before + 1);
}

TEST_F(EstTest, OtpOfAHeldRequestStaysUsableUntilTheCertificateIsDelivered) {
  EndpointSpec spec = factory_spec();
  spec.auth = {EstAuthMode::Otp};
  spec.trusted_cas = {};
  spec.approval = EstApproval::Manual;
  create_endpoint("otp-manual", spec);
  register_device("SN-210");
  add_otp("SN-210", "s3cret", 3600);
  auto key = make_key("P-256");
  const Bytes csr = make_csr(key.get(), {{"CN", "SN-210"}});
  auto held = est().simpleenroll("otp-manual", basic_client("SN-210", "s3cret"), csr, {});
  ASSERT_TRUE(held && held->pending) << (held ? "" : held.error().message);
  auto retry = est().simpleenroll("otp-manual", basic_client("SN-210", "s3cret"), csr, {});
  ASSERT_TRUE(retry && retry->pending) << (retry ? "" : retry.error().message);
  ASSERT_EQ(requests().size(), 1u);
  EXPECT_EQ(requests()[0].auth_mode, "otp");
  const std::string serial = approve(requests()[0]);
  auto delivered = est().simpleenroll("otp-manual", basic_client("SN-210", "s3cret"), csr, {});
  ASSERT_TRUE(delivered) << delivered.error().message;
  EXPECT_EQ(delivered->serial_hex, serial);
  // Delivered: the OTP is spent.
  EXPECT_EQ(code_of(est().simpleenroll("otp-manual", basic_client("SN-210", "s3cret"), csr, {})),
            Errc::Unauthenticated);
}

TEST_F(EstTest, OtpIsNotSpentByACsrThatIssuanceRefuses) {
  EndpointSpec spec = factory_spec();
  spec.auth = {EstAuthMode::Otp};
  spec.trusted_cas = {};
  create_endpoint("otp", spec);
  register_device("SN-215");
  add_otp("SN-215", "pw", 3600);
  auto key = make_key("P-256");
  EXPECT_EQ(code_of(est().simpleenroll(
                "otp", basic_client("SN-215", "pw"),
                make_csr(key.get(), {{"CN", "SN-215"}, {"serialNumber", "SN-1"}}), {})),
            Errc::InvalidArgument);
  EXPECT_TRUE(est().simpleenroll("otp", basic_client("SN-215", "pw"),
                                 make_csr(key.get(), {{"CN", "SN-215"}}), {}));
}

TEST_F(EstTest, OtpSurvivesAnIssuanceThatFailsInItsCommit) {
  EndpointSpec spec = factory_spec();
  spec.auth = {EstAuthMode::Otp};
  spec.trusted_cas = {};
  create_endpoint("otp", spec);
  register_device("SN-217");
  add_otp("SN-217", "pw", 3600);
  // Make the certificate's insert fail after authentication, the checks and the signature.
  fail_certificate_inserts_for("SN-217");
  const std::size_t before = stored_certificates();
  auto key = make_key("P-256");
  const Bytes csr = make_csr(key.get(), {{"CN", "SN-217"}});
  auto failed = est().simpleenroll("otp", basic_client("SN-217", "pw"), csr, {});
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().code, Errc::Unauthenticated) << failed.error().message;
  EXPECT_EQ(stored_certificates(), before);

  allow_certificate_inserts_for("SN-217");
  // The OTP was not spent by the failed attempt: the device retries with it and gets its
  // certificate; then the OTP is used up.
  auto retried = est().simpleenroll("otp", basic_client("SN-217", "pw"), csr, {});
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(stored_certificates(), before + 1);
  EXPECT_EQ(code_of(est().simpleenroll("otp", basic_client("SN-217", "pw"), csr, {})),
            Errc::Unauthenticated);
}

TEST_F(EstTest, RacingEnrollmentsWithOneOtpGetOneCertificate) {
  EndpointSpec spec = factory_spec();
  spec.auth = {EstAuthMode::Otp};
  spec.trusted_cas = {};
  create_endpoint("otp", spec);
  register_device("SN-220");
  add_otp("SN-220", "once", 3600);
  const std::size_t before = stored_certificates();
  constexpr int kRacers = 6;
  std::vector<Bytes> csrs;
  for (int i = 0; i < kRacers; ++i) {
    auto key = make_key("P-256");
    csrs.push_back(make_csr(key.get(), {{"CN", "SN-220"}}));
  }
  std::atomic<int> issued{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      auto r = est().simpleenroll("otp", basic_client("SN-220", "once"),
                                  csrs[static_cast<std::size_t>(i)], {});
      (r ? issued : refused).fetch_add(1);
      if (!r) {
        EXPECT_EQ(r.error().code, Errc::Unauthenticated) << r.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(issued.load(), 1);
  EXPECT_EQ(refused.load(), kRacers - 1);
  EXPECT_EQ(stored_certificates(), before + 1);
}

TEST_F(EstTest, RacingIdenticalHeldRequestsAreOneRequest) {
  EndpointSpec spec = factory_spec();
  spec.approval = EstApproval::Manual;
  create_endpoint("manual", spec);
  register_device("SN-225");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-225", idevid_key.get());
  auto key = make_key("P-256");
  const Bytes csr = make_csr(key.get(), {{"CN", "SN-225"}});
  std::vector<std::thread> threads;
  std::atomic<int> pending{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto r = est().simpleenroll("manual", tls_client({idevid.der}), csr, {});
      EXPECT_TRUE(r) << (r ? "" : r.error().message);
      if (r && r->pending) pending.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(pending.load(), 4);
  EXPECT_EQ(requests().size(), 1u);
}

// ---- re-enroll ----------------------------------------------------------------------------------

TEST_F(EstTest, ReenrollWithTheSameKeyRenewsAndWithANewKeyRekeys) {
  auto o = onboard("SN-300");
  ASSERT_FALSE(o.ldevid.empty());
  const Subject subject = {{"CN", "SN-300"}, {"serialNumber", "SN-300"}};
  const auto old = certificate(o.serial_hex);

  auto renewed = est().simplereenroll("factory", tls_client({o.ldevid}),
                                      make_csr(o.key.get(), subject), {"renew"});
  ASSERT_TRUE(renewed) << renewed.error().message;
  const auto renewal = certificate(renewed->serial_hex);
  EXPECT_EQ(renewal.renewal_of.value_or(0), old.id);
  EXPECT_EQ(renewal.device_serial.value_or(""), "SN-300");
  auto renewed_cert = pki::Certificate::from_der(crypto_, renewed->certificate_der);
  ASSERT_TRUE(renewed_cert);
  EXPECT_EQ(renewed_cert->public_key().spki_der, spki_of(o.key.get()));
  bool renew_audited = false;
  for (const auto& e : audit_events()) {
    if (e.request_id != "renew" || e.action != "certificate.renew") continue;
    renew_audited = true;
    auto details = nlohmann::json::parse(e.details_json);
    EXPECT_EQ(details.value("est_auth", ""), "ldevid");
    EXPECT_EQ(details.value("est_endpoint", ""), "factory");
    EXPECT_EQ(e.actor, "device:SN-300");
  }
  EXPECT_TRUE(renew_audited);

  auto new_key = make_key("P-256");
  auto rekeyed = est().simplereenroll("factory", tls_client({renewed->certificate_der}),
                                      make_csr(new_key.get(), subject), {"rekey"});
  ASSERT_TRUE(rekeyed) << rekeyed.error().message;
  auto rekeyed_cert = pki::Certificate::from_der(crypto_, rekeyed->certificate_der);
  ASSERT_TRUE(rekeyed_cert);
  EXPECT_EQ(rekeyed_cert->public_key().spki_der, spki_of(new_key.get()));
  EXPECT_EQ(rekeyed_cert->subject_der(), renewed_cert->subject_der());
  EXPECT_EQ(certificate(rekeyed->serial_hex).renewal_of.value_or(0), renewal.id);
}

TEST_F(EstTest, ReenrollRefusesAnotherSubjectOrSan) {
  auto o = onboard("SN-310");
  const std::size_t before = stored_certificates();
  auto subject = est().simplereenroll(
      "factory", tls_client({o.ldevid}),
      make_csr(o.key.get(), {{"CN", "SN-311"}, {"serialNumber", "SN-310"}}), {});
  ASSERT_FALSE(subject);
  EXPECT_EQ(subject.error().code, Errc::InvalidArgument);
  auto san =
      est().simplereenroll("factory", tls_client({o.ldevid}),
                           make_csr(o.key.get(), {{"CN", "SN-310"}, {"serialNumber", "SN-310"}},
                                    std::nullopt, {"DNS:sn-310.example"}),
                           {});
  ASSERT_FALSE(san);
  EXPECT_EQ(san.error().code, Errc::InvalidArgument);
  EXPECT_EQ(stored_certificates(), before);
}

TEST_F(EstTest, ReenrollRefusesRevokedSuspendedExpiredAndForeignCertificates) {
  auto a = onboard("SN-320");
  auto b = onboard("SN-321");
  auto c = onboard("SN-322");
  const Subject sa = {{"CN", "SN-320"}, {"serialNumber", "SN-320"}};
  const Subject sb = {{"CN", "SN-321"}, {"serialNumber", "SN-321"}};
  const Subject sc = {{"CN", "SN-322"}, {"serialNumber", "SN-322"}};

  ASSERT_TRUE(authority_->revoke(platform_admin_, "default", a.serial_hex,
                                 pki::CrlReason::KeyCompromise, std::nullopt, {}));
  auto revoked =
      est().simplereenroll("factory", tls_client({a.ldevid}), make_csr(a.key.get(), sa), {});
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, Errc::PermissionDenied);

  ASSERT_TRUE(authority_->suspend(platform_admin_, "default", b.serial_hex, {}));
  auto suspended =
      est().simplereenroll("factory", tls_client({b.ldevid}), make_csr(b.key.get(), sb), {});
  ASSERT_FALSE(suspended);
  EXPECT_EQ(suspended.error().code, Errc::PermissionDenied);

  // A birth certificate does not re-enroll (IDevIDs authorize enrollment only).
  auto idevid = est().simplereenroll("factory", tls_client({c.idevid.der}),
                                     make_csr(c.idevid_key.get(), sc), {});
  ASSERT_FALSE(idevid);
  EXPECT_EQ(idevid.error().code, Errc::PermissionDenied);

  // Not ours, and nothing at all.
  OutsideCa rogue("Rogue");
  const Bytes foreign = rogue.issue(c.key.get(), sc);
  EXPECT_EQ(code_of(est().simplereenroll("factory", tls_client({foreign}),
                                         make_csr(c.key.get(), sc), {})),
            Errc::Unauthenticated);
  EXPECT_EQ(code_of(est().simplereenroll("factory", EstClient{}, make_csr(c.key.get(), sc), {})),
            Errc::Unauthenticated);

  // Expired: enroll again with the IDevID, which still works.
  clock_.advance(std::chrono::hours(24 * 366));
  auto expired =
      est().simplereenroll("factory", tls_client({c.ldevid}), make_csr(c.key.get(), sc), {});
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, Errc::Unauthenticated);
  EXPECT_NE(expired.error().message.find("IDevID"), std::string::npos);
  EXPECT_TRUE(est().simpleenroll("factory", tls_client({c.idevid.der}),
                                 make_csr(c.key.get(), {{"CN", "SN-322"}}), {}));
}

TEST_F(EstTest, ReenrollRefusesADeviceThatIsNoLongerActive) {
  auto o = onboard("SN-330");
  ASSERT_TRUE(
      devices().transition(platform_admin_, "default", "SN-330", DeviceAction::Decommission, {}));
  auto r = est().simplereenroll(
      "factory", tls_client({o.ldevid}),
      make_csr(o.key.get(), {{"CN", "SN-330"}, {"serialNumber", "SN-330"}}), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::PermissionDenied);
}

TEST_F(EstTest, ReenrollOutsideTheRenewalWindowNeedsAnOperatorGrant) {
  auto o = onboard("SN-340");
  // A new version of the profile with a 30-day renewal window; the endpoint picks it up because
  // the tenant's runtime changed.
  Profile ldevid = *builtin_template("ldevid");
  ldevid.renewal_window_days = 30;
  ASSERT_TRUE(authority_->profiles().add_version(platform_admin_, "default", "ldevid",
                                                 ldevid.to_json(), {}));
  const Subject subject = {{"CN", "SN-340"}, {"serialNumber", "SN-340"}};

  auto early =
      est().simplereenroll("factory", tls_client({o.ldevid}), make_csr(o.key.get(), subject), {});
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, Errc::PermissionDenied);
  EXPECT_NE(early.error().message.find("outside the renewal window"), std::string::npos);

  store::RenewalGrantRecord grant;
  grant.tenant_id = tenant_id();
  grant.device_serial = "SN-340";
  grant.created_at = to_unix(clock_.now());
  grant.expires_at = grant.created_at + 3600;
  grant.created_by = "op";
  ASSERT_TRUE(store_->write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto id, tx.insert_renewal_grant(grant));
    (void)id;
    return ok();
  }));
  // A renewal that fails in its commit does not use the grant up.
  fail_certificate_inserts_for("SN-340");
  auto failed =
      est().simplereenroll("factory", tls_client({o.ldevid}), make_csr(o.key.get(), subject), {});
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().code, Errc::PermissionDenied) << failed.error().message;
  allow_certificate_inserts_for("SN-340");
  auto granted =
      est().simplereenroll("factory", tls_client({o.ldevid}), make_csr(o.key.get(), subject), {});
  ASSERT_TRUE(granted) << granted.error().message;
  // The grant was for one renewal.
  auto again = est().simplereenroll("factory", tls_client({granted->certificate_der}),
                                    make_csr(o.key.get(), subject), {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::PermissionDenied);

  // Inside the window no grant is needed.
  clock_.advance(std::chrono::hours(24 * 340));
  auto in_window = est().simplereenroll("factory", tls_client({granted->certificate_der}),
                                        make_csr(o.key.get(), subject), {});
  EXPECT_TRUE(in_window) << in_window.error().message;
}

TEST_F(EstTest, ReenrollNeedsTheLdevidModeAndLinkingApplies) {
  EndpointSpec spec = factory_spec();
  spec.auth = {EstAuthMode::Idevid};
  create_endpoint("enroll-only", spec);
  EndpointSpec linked = factory_spec();
  linked.linking = EstLinking::Required;
  create_endpoint("linked", linked);
  auto o = onboard("SN-350");
  const Subject subject = {{"CN", "SN-350"}, {"serialNumber", "SN-350"}};
  EXPECT_EQ(code_of(est().simplereenroll("enroll-only", tls_client({o.ldevid}),
                                         make_csr(o.key.get(), subject), {})),
            Errc::PermissionDenied);
  EstClient client = tls_client({o.ldevid}, 0x0303);
  EXPECT_EQ(code_of(est().simplereenroll("linked", client, make_csr(o.key.get(), subject), {})),
            Errc::InvalidArgument);
  auto ok_linked = est().simplereenroll(
      "linked", client, make_csr(o.key.get(), subject, base64(client.channel_binding)), {});
  EXPECT_TRUE(ok_linked) << ok_linked.error().message;
}

// ---- server key generation ----------------------------------------------------------------------

TEST_F(EstTest, ServerkeygenReturnsAKeyWhosePublicPartIsInTheCertificate) {
  EndpointSpec spec = factory_spec();
  spec.server_keygen = true;
  create_endpoint("keygen", spec);
  register_device("SN-400");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-400", idevid_key.get());
  auto throwaway = make_key("P-256");
  const Bytes csr = make_csr(throwaway.get(), {{"CN", "SN-400"}});

  auto refused = est().serverkeygen("factory", tls_client({idevid.der}), csr, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::PermissionDenied);

  auto r = est().serverkeygen("keygen", tls_client({idevid.der}), csr, {});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(r->private_key_pkcs8.empty());
  const unsigned char* p = r->private_key_pkcs8.data();
  Ptr<EVP_PKEY> key(
      ::d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(r->private_key_pkcs8.size())));
  ASSERT_TRUE(key);
  EXPECT_EQ(::EVP_PKEY_is_a(key.get(), "EC"), 1);
  auto cert = pki::Certificate::from_der(crypto_, r->certificate_der);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->public_key().spki_der, spki_of(key.get()));
  EXPECT_NE(cert->public_key().spki_der, spki_of(throwaway.get()));
  EXPECT_EQ(device_state("SN-400"), "active");
}

TEST_F(EstTest, ServerkeygenMakesTheProfileKeyType) {
  Profile p384 = *builtin_template("ldevid");
  p384.name = "ldevid-p384";
  p384.key_types = {"ec-p384"};
  ASSERT_TRUE(authority_->profiles().create(platform_admin_, "default", p384.to_json(), {}));
  EndpointSpec spec = factory_spec();
  spec.server_keygen = true;
  spec.profile = "ldevid-p384";
  create_endpoint("keygen-p384", spec);
  register_device("SN-410");
  auto idevid_key = make_key("P-256");
  const auto idevid = issue_idevid("SN-410", idevid_key.get());
  auto throwaway = make_key("P-256");
  auto r = est().serverkeygen("keygen-p384", tls_client({idevid.der}),
                              make_csr(throwaway.get(), {{"CN", "SN-410"}}), {});
  ASSERT_TRUE(r) << r.error().message;
  auto cert = pki::Certificate::from_der(crypto_, r->certificate_der);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->public_key().type, pki::KeyType::EcP384);

  Profile ed = *builtin_template("ldevid");
  ed.name = "ldevid-ed25519";
  ed.key_types = {"ed25519"};
  ASSERT_TRUE(authority_->profiles().create(platform_admin_, "default", ed.to_json(), {}));
  spec.profile = "ldevid-ed25519";
  spec.linking = EstLinking::Off;
  create_endpoint("keygen-ed25519", spec);
  auto ed_result = est().serverkeygen("keygen-ed25519", tls_client({idevid.der}),
                                      make_csr(throwaway.get(), {{"CN", "SN-410"}}), {});
  ASSERT_TRUE(ed_result) << ed_result.error().message;
  const unsigned char* p = ed_result->private_key_pkcs8.data();
  Ptr<EVP_PKEY> key(
      ::d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(ed_result->private_key_pkcs8.size())));
  ASSERT_TRUE(key);
  EXPECT_EQ(::EVP_PKEY_is_a(key.get(), "ED25519"), 1);
  auto ed_cert = pki::Certificate::from_der(crypto_, ed_result->certificate_der);
  ASSERT_TRUE(ed_cert);
  EXPECT_EQ(ed_cert->public_key().spki_der, spki_of(key.get()));
  // csrattrs names the key type (Ed25519 signs with its own OID: no separate signature OID).
  auto attrs = est().csrattrs("keygen-ed25519");
  ASSERT_TRUE(attrs);
  EXPECT_EQ(*attrs, (Bytes{0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70}));
}

// ---- cacerts, csrattrs, labels ------------------------------------------------------------------

TEST_F(EstTest, CacertsIsTheCertsOnlyChainOfTheProfileCa) {
  auto der = est().cacerts("factory");
  ASSERT_TRUE(der) << der.error().message;
  const unsigned char* p = der->data();
  std::unique_ptr<PKCS7, Pkcs7Deleter> p7(::d2i_PKCS7(nullptr, &p, static_cast<long>(der->size())));
  ASSERT_TRUE(p7);
  ASSERT_EQ(::OBJ_obj2nid(p7->type), NID_pkcs7_signed);
  STACK_OF(X509)* certs = p7->d.sign->cert;
  std::set<Bytes> got;
  for (int i = 0; i < sk_X509_num(certs); ++i) {
    unsigned char* out = nullptr;
    const int len = ::i2d_X509(sk_X509_value(certs, i), &out);
    got.insert(Bytes(out, out + len));
    ::OPENSSL_free(out);
  }
  auto cas = store_->list_cas(tenant_id());
  ASSERT_TRUE(cas);
  std::set<Bytes> want;  // the issuing CA of the ldevid profile, and the root above it
  for (const auto& ca : *cas) {
    if (ca.name == "issuing" || ca.name == "root") want.insert(ca.certificate_der);
  }
  EXPECT_EQ(got, want);
}

TEST_F(EstTest, CsrattrsSaysWhatTheProfileNeeds) {
  // ldevid (any key, nothing required from the CSR) with linking optional: challengePassword only,
  // which is libest's "PoP required" vector.
  auto pop = est().csrattrs("factory");
  ASSERT_TRUE(pop);
  EXPECT_EQ(*pop,
            (Bytes{0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x07}));
  EndpointSpec off = factory_spec();
  off.linking = EstLinking::Off;
  create_endpoint("no-link", off);
  auto none = est().csrattrs("no-link");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, (Bytes{0x30, 0x00}));

  Profile strict = *builtin_template("tls-client");
  strict.name = "strict";
  strict.key_types = {"ec-p384", "ec-p256"};
  strict.san.required = true;
  ASSERT_TRUE(authority_->profiles().create(platform_admin_, "default", strict.to_json(), {}));
  EndpointSpec spec = factory_spec();
  spec.profile = "strict";
  spec.linking = EstLinking::Required;
  create_endpoint("strict", spec);
  auto attrs = est().csrattrs("strict");
  ASSERT_TRUE(attrs) << attrs.error().message;
  // challengePassword; ecPublicKey{secp384r1}; CN (required from the CSR); extensionRequest{SAN};
  // ecdsa-with-SHA384 — the shape of RFC 8951's example.
  auto ec = pki::csr_attribute_of_oids("1.2.840.10045.2.1", {"1.3.132.0.34"});
  auto ext = pki::csr_attribute_of_oids("1.2.840.113549.1.9.14", {"2.5.29.17"});
  auto want = pki::encode_csr_attrs({pki::CsrAttrOrOid::bare("1.2.840.113549.1.9.7"), *ec,
                                     pki::CsrAttrOrOid::bare("2.5.4.3"), *ext,
                                     pki::CsrAttrOrOid::bare("1.2.840.10045.4.3.3")});
  ASSERT_TRUE(want);
  EXPECT_EQ(*attrs, *want);
}

TEST_F(EstTest, UnknownOrDisabledLabelsAreNotFound) {
  auto key = make_key("P-256");
  const Bytes csr = make_csr(key.get(), {{"CN", "x"}});
  EXPECT_EQ(est().cacerts("nope").error().code, Errc::NotFound);
  EXPECT_EQ(est().csrattrs("nope").error().code, Errc::NotFound);
  EXPECT_EQ(code_of(est().simpleenroll("nope", EstClient{}, csr, {})), Errc::NotFound);
  EXPECT_EQ(code_of(est().simplereenroll("nope", EstClient{}, csr, {})), Errc::NotFound);
  EXPECT_EQ(code_of(est().serverkeygen("nope", EstClient{}, csr, {})), Errc::NotFound);

  create_endpoint("off", factory_spec(), /*disabled=*/true);
  EXPECT_EQ(est().cacerts("off").error().code, Errc::NotFound);

  // Disabled after use: the cached runtime is dropped by invalidate().
  ASSERT_TRUE(est().cacerts("factory"));
  auto rec = store_->find_enrollment_endpoint("factory");
  ASSERT_TRUE(rec && *rec);
  store::EnrollmentEndpointRecord changed = **rec;
  changed.disabled = true;
  ASSERT_TRUE(store_->write(
      [&](store::Transaction& tx) { return tx.update_enrollment_endpoint(changed); }));
  est().invalidate("factory");
  EXPECT_EQ(est().cacerts("factory").error().code, Errc::NotFound);

  // A disabled tenant's endpoints are gone too.
  ASSERT_TRUE(authority_->create_tenant(platform_admin_, "acme", {}));
  create_endpoint("acme", factory_spec(), false, "acme");
  ASSERT_TRUE(est().cacerts("acme"));
  ASSERT_TRUE(store_->write(
      [&](store::Transaction& tx) { return tx.set_tenant_disabled(tenant_id("acme"), true); }));
  authority_->invalidate_tenant("acme");
  EXPECT_EQ(est().cacerts("acme").error().code, Errc::NotFound);
}

TEST_F(EstTest, TheLabelLessPathIsTheDefaultEndpoint) {
  auto existing = store_->find_enrollment_endpoint(kDefaultEnrollmentLabel);
  ASSERT_TRUE(existing);
  if (!*existing) create_endpoint(kDefaultEnrollmentLabel, factory_spec());
  auto by_default = est().cacerts("");
  ASSERT_TRUE(by_default) << by_default.error().message;
  EXPECT_EQ(*by_default, *est().cacerts(kDefaultEnrollmentLabel));
}

// ---- CRLs of outside trust anchors (ADR 0017) -------------------------------------------------------

class OutsideCrlTest : public EstTest {
 protected:
  EnrollmentAdmin& admin() { return authority_->enrollment_admin(); }
  std::int64_t now() { return to_unix(clock_.now()); }
  Result<EndpointCrlView> upload(const std::string& label, ByteView crl, const Principal* who = nullptr) {
    return admin().put_endpoint_crl(who != nullptr ? *who : platform_admin_, "default", label, crl, {"crl"});
  }
  Result<EstResult> enroll(const std::string& label, const Bytes& idevid, EVP_PKEY* key, const std::string& serial) {
    return est().simpleenroll(label, tls_client({idevid}), make_csr(key, {{"CN", serial}}), {});
  }
  template <class T>
  static Errc error_code(const Result<T>& r) {
    return r ? Errc::Internal : r.error().code;  // Internal stands for "no error" here
  }
  OutsideCa maker_{"Contract Manufacturer CA"};
};

TEST_F(OutsideCrlTest, AnOutsideIdevidOnItsIssuersUploadedCrlIsRefused) {
  EndpointSpec spec = factory_spec();
  spec.trusted_cas = {};
  spec.trust_anchors_pem = maker_.pem();
  create_endpoint("cm", spec);
  auto key = make_key("P-256");
  register_device("SN-160");
  register_device("SN-161");
  const Bytes stolen = maker_.issue(key.get(), {{"CN", "w"}, {"serialNumber", "SN-160"}});
  const Bytes good = maker_.issue(key.get(), {{"CN", "w"}, {"serialNumber", "SN-161"}});

  auto stored = upload("cm", maker_.crl({stolen}, now() - 60, now() + 86400, 7));
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_TRUE(stored->changed);
  EXPECT_EQ(stored->record.revoked_count, 1);
  EXPECT_EQ(stored->record.crl_number.value_or(""), "07");
  EXPECT_EQ(stored->issuer_subject, "CN=Contract Manufacturer CA");

  auto refused = enroll("cm", stolen, key.get(), "SN-160");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::PermissionDenied);
  EXPECT_NE(refused.error().message.find("revoked"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(enroll("cm", good, key.get(), "SN-161"));

  // The upload is audited with what the CRL says, never its bytes.
  std::size_t uploads = 0;
  for (const auto& e : audit_events()) {
    if (e.action != "enrollment_endpoint.crl_upload") continue;
    ++uploads;
    EXPECT_EQ(e.object, "cm");
    EXPECT_NE(e.details_json.find("\"revoked_count\":1"), std::string::npos) << e.details_json;
  }
  EXPECT_EQ(uploads, 1u);
}

TEST_F(OutsideCrlTest, RequiredPolicyNeedsACurrentCrlOfTheIssuer) {
  EndpointSpec spec = factory_spec();
  spec.trusted_cas = {};
  spec.trust_anchors_pem = maker_.pem();
  spec.outside_crl = EstOutsideCrl::Required;
  create_endpoint("strict", spec);
  auto key = make_key("P-256");
  register_device("SN-170");
  const Bytes idevid = maker_.issue(key.get(), {{"CN", "w"}, {"serialNumber", "SN-170"}});

  auto none = enroll("strict", idevid, key.get(), "SN-170");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::PermissionDenied);
  EXPECT_NE(none.error().message.find("no CRL"), std::string::npos) << none.error().message;

  ASSERT_TRUE(upload("strict", maker_.crl({}, now() - 60, now() + 3600, 1)));
  auto fresh = enroll("strict", idevid, key.get(), "SN-170");
  ASSERT_TRUE(fresh) << fresh.error().message;

  clock_.advance(std::chrono::hours(2));  // past nextUpdate: the CRL no longer vouches
  auto stale = enroll("strict", idevid, key.get(), "SN-170");
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::PermissionDenied);
  EXPECT_NE(stale.error().message.find("nextUpdate"), std::string::npos) << stale.error().message;
}

TEST_F(OutsideCrlTest, UploadsAreCheckedAndNeverRollBack) {
  EndpointSpec spec = factory_spec();
  spec.trusted_cas = {};
  spec.trust_anchors_pem = maker_.pem();
  create_endpoint("cm", spec);
  create_endpoint("own", factory_spec());  // our manufacturing CA only: no outside anchor
  auto key = make_key("P-256");
  const Bytes device = maker_.issue(key.get(), {{"CN", "w"}, {"serialNumber", "SN-180"}});
  OutsideCa rogue("Contract Manufacturer CA");  // same name, another key

  EXPECT_EQ(error_code(upload("cm", Bytes{0x30, 0x03, 0x02, 0x01, 0x01})), Errc::InvalidArgument);
  EXPECT_EQ(error_code(upload("cm", rogue.crl({}, now(), now() + 3600, 1))), Errc::InvalidArgument);
  EXPECT_EQ(error_code(upload("cm", maker_.crl({}, now() + 3600, now() + 7200, 1))), Errc::InvalidArgument);
  EXPECT_EQ(error_code(upload("own", maker_.crl({}, now(), now() + 3600, 1))), Errc::FailedPrecondition);
  EXPECT_EQ(error_code(upload("nope", maker_.crl({}, now(), now() + 3600, 1))), Errc::NotFound);
  Principal auditor{"aud", tenant_id(), Role::Auditor};
  EXPECT_EQ(error_code(upload("cm", maker_.crl({}, now(), now() + 3600, 1), &auditor)), Errc::PermissionDenied);

  const Bytes v5 = maker_.crl({device}, now() - 100, now() + 3600, 5);
  ASSERT_TRUE(upload("cm", v5));
  auto again = upload("cm", v5);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);  // the same CRL: nothing written
  // An older cRLNumber (or the same number with other content) would un-revoke the device.
  EXPECT_EQ(error_code(upload("cm", maker_.crl({}, now(), now() + 3600, 4))), Errc::FailedPrecondition);
  EXPECT_EQ(error_code(upload("cm", maker_.crl({}, now(), now() + 3600, 5))), Errc::FailedPrecondition);
  // PEM works too; a higher number replaces it.
  const std::string pem = pki::pem_encode(maker_.crl({}, now(), now() + 3600, 6), "X509 CRL");
  auto v6 = upload("cm", as_bytes(pem));
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->record.revoked_count, 0);

  auto listed = admin().list_endpoint_crls(auditor, "default", "cm");
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].record.crl_number.value_or(""), "06");
  EXPECT_TRUE((*listed)[0].in_use);
  std::size_t uploads = 0;
  for (const auto& e : audit_events()) uploads += e.action == "enrollment_endpoint.crl_upload";
  EXPECT_EQ(uploads, 2u);  // v5 and v6; the refused and the repeated ones wrote nothing
}

TEST(EndpointSpecOutsideCrl, ParsesAndNeedsOutsideAnchors) {
  auto spec = EndpointSpec::from_json(R"({"auth":["otp"],"trusted_cas":[],"outside_crl":"required"})");
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("outside_crl"), std::string::npos);
  EXPECT_FALSE(EndpointSpec::from_json(R"({"outside_crl":"sometimes"})"));
  auto optional = EndpointSpec::from_json(R"({"outside_crl":"optional"})");
  ASSERT_TRUE(optional);
  EXPECT_EQ(optional->outside_crl, EstOutsideCrl::Optional);
  EXPECT_EQ(optional->to_json().find("outside_crl"), std::string::npos);  // the default is implied
}

}  // namespace
}  // namespace fleetpki::authority
