// OcspResponder: every answer checked with OpenSSL's own OCSP client code (an independent
// implementation): d2i_OCSP_RESPONSE, OCSP_basic_verify against the CA chain, OCSP_resp_find_status,
// OCSP_check_nonce, OCSP_check_validity.
#include "authority/ocsp_responder.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "authority_fixture.h"
#include "pki/serial_number.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using pki::ossl::Ptr;
using testing::make_csr_pem;

template <class T, void (*Free)(T*)>
struct FreeWith {
  void operator()(T* p) const { Free(p); }
};
using BasicPtr = std::unique_ptr<OCSP_BASICRESP, FreeWith<OCSP_BASICRESP, OCSP_BASICRESP_free>>;
using CertIdPtr = std::unique_ptr<OCSP_CERTID, FreeWith<OCSP_CERTID, OCSP_CERTID_free>>;

Ptr<X509> x509_from_der(ByteView der) {
  const unsigned char* p = der.data();
  return Ptr<X509>(::d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::int64_t unix_of(const ASN1_GENERALIZEDTIME* t) {
  std::tm tm{};
  if (t == nullptr || ::ASN1_TIME_to_tm(t, &tm) != 1) {
    return -1;
  }
  return static_cast<std::int64_t>(::timegm(&tm));
}

/// A store that forwards to another one, with lookups that can be made to fail (tryLater).
class FlakyStore final : public store::Store {
 public:
  explicit FlakyStore(store::Store& inner) : inner_(inner) {}
  bool fail_lookups = false;

  Status write(const std::function<Status(store::Transaction&)>& body) override { return inner_.write(body); }
  Result<std::optional<store::TenantRecord>> find_tenant(std::string_view name) override { return inner_.find_tenant(name); }
  Result<std::vector<store::TenantRecord>> list_tenants() override { return inner_.list_tenants(); }
  Result<std::vector<store::CaRecord>> list_cas(std::int64_t tenant_id) override { return inner_.list_cas(tenant_id); }
  Result<std::vector<store::ProfileRecord>> list_profiles(std::int64_t tenant_id) override {
    return inner_.list_profiles(tenant_id);
  }
  Result<std::optional<store::CertificateRecord>> find_certificate(std::int64_t tenant_id,
                                                                   std::string_view serial_hex) override {
    return inner_.find_certificate(tenant_id, serial_hex);
  }
  Result<store::CertificatePage> list_certificates(std::int64_t tenant_id, const store::CertificateFilter& filter) override {
    return inner_.list_certificates(tenant_id, filter);
  }
  Result<std::optional<store::TokenRecord>> find_token(std::string_view id) override { return inner_.find_token(id); }
  Result<std::vector<store::AuditEvent>> list_audit(std::optional<std::int64_t> tenant_id, std::int64_t after_id,
                                                    int limit) override {
    return inner_.list_audit(tenant_id, after_id, limit);
  }
  Result<std::optional<std::string>> get_setting(std::string_view key) override { return inner_.get_setting(key); }
  Result<std::vector<store::CaRecord>> list_all_cas() override { return inner_.list_all_cas(); }
  Result<std::optional<store::CertificateRecord>> find_certificate_by_ca(std::int64_t ca_id,
                                                                         std::string_view serial_hex) override {
    if (fail_lookups) return fail(Errc::Unavailable, "database is locked");
    return inner_.find_certificate_by_ca(ca_id, serial_hex);
  }
  Result<std::vector<store::StatusChange>> list_status_changes(std::int64_t after_id, int limit) override {
    if (fail_lookups) return fail(Errc::Unavailable, "database is locked");
    return inner_.list_status_changes(after_id, limit);
  }
  Result<std::int64_t> last_status_change_id() override { return inner_.last_status_change_id(); }
  Status for_each_revoked(std::int64_t ca_id, int partition, std::int64_t not_after_from,
                          const std::function<Status(const store::RevokedEntry&)>& callback) override {
    return inner_.for_each_revoked(ca_id, partition, not_after_from, callback);
  }
  Result<std::optional<store::CrlRecord>> latest_crl(std::int64_t ca_id, int partition, bool delta) override {
    return inner_.latest_crl(ca_id, partition, delta);
  }
  Result<std::optional<store::OcspResponderRecord>> find_ocsp_responder(std::int64_t ca_id) override {
    return inner_.find_ocsp_responder(ca_id);
  }
  Result<std::optional<store::BulkJobRecord>> find_bulk_job(std::int64_t tenant_id, std::int64_t id) override {
    return inner_.find_bulk_job(tenant_id, id);
  }
  Result<std::vector<store::BulkJobRecord>> list_running_bulk_jobs() override { return inner_.list_running_bulk_jobs(); }
  Result<std::vector<store::StatusCount>> count_certificates_by_status() override {
    return inner_.count_certificates_by_status();
  }

 private:
  store::Store& inner_;
};

/// What OpenSSL's client code makes of one answer.
struct Outcome {
  int response_status = -1;  // OCSP_RESPONSE_STATUS_*
  bool verified = false;     // OCSP_basic_verify against the root, issuing CA as untrusted
  bool found = false;        // OCSP_resp_find_status found the CertID
  int cert_status = -1;      // V_OCSP_CERTSTATUS_*
  int reason = -1;           // OCSP_REVOKED_STATUS_* (-1 = none)
  std::int64_t revoked_at = -1, this_update = -1, next_update = -1, produced_at = -1;
  bool validity_ok = false;  // OCSP_check_validity (tolerance: the fake clock's lead)
  int nonce_check = -99;     // OCSP_check_nonce
  bool extended_revoke = false;
  int single_responses = 0;
  Bytes responder_cert;      // certs[0]
  std::string der;
};

class OcspResponderTest : public AuthorityTest {
 protected:
  void SetUp() override {
    AuthorityTest::SetUp();
    if (HasFatalFailure()) return;
    auto cas = authority_->all_cas();
    ASSERT_TRUE(cas) << cas.error().message;
    for (const auto& ca : *cas) {
      if (ca->tenant_name != "default") continue;
      if (ca->record.name == "root") root_ = ca;
      if (ca->record.name == "issuing") issuing_ = ca;
      if (ca->record.name == "manufacturing") manufacturing_ = ca;
    }
    ASSERT_TRUE(root_ && issuing_ && manufacturing_);
    root_x509_ = x509_from_der(root_->certificate->der());
    issuing_x509_ = x509_from_der(issuing_->certificate->der());
    make_responder({});
  }

  void make_responder(OcspPolicy policy, store::Store* store = nullptr) {
    responder_.reset();
    responder_ = std::make_unique<OcspResponder>(*authority_, store ? *store : *store_, *vault_, crypto_, clock_, policy);
    auto refreshed = responder_->refresh();
    ASSERT_TRUE(refreshed) << refreshed.error().message << " " << refreshed.error().detail;
  }

  IssuedCertificate issue(const std::string& cn, const std::string& profile = "tls-client",
                          const std::string& tenant = "default") {
    testing::CsrSpec spec{.subject = {{"CN", cn}}};
    if (profile == "idevid") spec.subject.insert(spec.subject.begin(), {"serialNumber", "SN-" + cn});
    auto issued = authority_->issue(platform_admin_, {tenant, profile, make_csr_pem(spec)}, {"t"});
    EXPECT_TRUE(issued) << issued.error().message;
    return issued ? std::move(*issued) : IssuedCertificate{};
  }

  /// A request for `ids` (owned by the request); `nonce` adds a nonce of that many random octets.
  static Bytes encode_request(const std::vector<OCSP_CERTID*>& ids, int nonce = 0) {
    Ptr<OCSP_REQUEST> req(::OCSP_REQUEST_new());
    for (OCSP_CERTID* id : ids) {
      EXPECT_NE(::OCSP_request_add0_id(req.get(), id), nullptr);
    }
    if (nonce > 0) {
      EXPECT_EQ(::OCSP_request_add1_nonce(req.get(), nullptr, nonce), 1);
    }
    unsigned char* out = nullptr;
    const int len = ::i2d_OCSP_REQUEST(req.get(), &out);
    Bytes der(out, out + std::max(len, 0));
    ::OPENSSL_free(out);
    return der;
  }

  CertIdPtr id_of(const IssuedCertificate& issued, const EVP_MD* md = nullptr, X509* issuer = nullptr) {
    auto leaf = x509_from_der(issued.record.der);
    return CertIdPtr(::OCSP_cert_to_id(md, leaf.get(), issuer ? issuer : issuing_x509_.get()));
  }

  /// CertID for an arbitrary serial under `issuer` (default: the issuing CA).
  CertIdPtr id_of_serial(const Bytes& serial, const EVP_MD* md = nullptr, X509* issuer = nullptr) {
    if (issuer == nullptr) issuer = issuing_x509_.get();
    Ptr<ASN1_INTEGER> integer(::ASN1_INTEGER_new());
    Ptr<BIGNUM> bn(::BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
    ::BN_to_ASN1_INTEGER(bn.get(), integer.get());
    return CertIdPtr(::OCSP_cert_id_new(md ? md : crypto_.sha1(), ::X509_get_subject_name(issuer),
                                        ::X509_get0_pubkey_bitstr(issuer), integer.get()));
  }

  Bytes request_for(const CertIdPtr& id, int nonce = 0) { return encode_request({::OCSP_CERTID_dup(id.get())}, nonce); }

  Outcome ask(const Bytes& request_der, const CertIdPtr& id) {
    return examine(responder_->respond(request_der), request_der, id.get());
  }

  Outcome examine(const OcspAnswer& answer, const Bytes& request_der, OCSP_CERTID* id) {
    Outcome out;
    out.der = answer.response->der;
    const auto* p = reinterpret_cast<const unsigned char*>(out.der.data());
    Ptr<OCSP_RESPONSE> resp(::d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(out.der.size())));
    EXPECT_TRUE(resp) << "not a DER OCSPResponse";
    if (!resp) return out;
    EXPECT_EQ(p, reinterpret_cast<const unsigned char*>(out.der.data() + out.der.size())) << "trailing bytes";
    out.response_status = ::OCSP_response_status(resp.get());
    EXPECT_EQ(out.response_status, static_cast<int>(answer.status));
    BasicPtr basic(::OCSP_response_get1_basic(resp.get()));
    if (out.response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
      EXPECT_FALSE(basic) << "an unsuccessful answer carries responseBytes";
      return out;
    }
    EXPECT_TRUE(basic);
    if (!basic) return out;

    Ptr<X509_STORE> trust(::X509_STORE_new());
    ::X509_STORE_add_cert(trust.get(), root_x509_.get());
    ::X509_VERIFY_PARAM_set_time(::X509_STORE_get0_param(trust.get()), static_cast<time_t>(to_unix(clock_.now())));
    Ptr<STACK_OF(X509)> untrusted(sk_X509_new_null());
    sk_X509_push(untrusted.get(), ::X509_dup(issuing_x509_.get()));
    if (extra_untrusted_) sk_X509_push(untrusted.get(), ::X509_dup(extra_untrusted_));
    out.verified = ::OCSP_basic_verify(basic.get(), untrusted.get(), trust.get(), 0) == 1;
    ::ERR_clear_error();

    out.single_responses = ::OCSP_resp_count(basic.get());
    const STACK_OF(X509)* certs = ::OCSP_resp_get0_certs(basic.get());
    if (certs != nullptr && sk_X509_num(certs) > 0) {
      unsigned char* der = nullptr;
      int len = ::i2d_X509(sk_X509_value(certs, 0), &der);
      out.responder_cert.assign(der, der + std::max(len, 0));
      ::OPENSSL_free(der);
    }
    out.produced_at = unix_of(::OCSP_resp_get0_produced_at(basic.get()));

    int status = -1, reason = -1;
    ASN1_GENERALIZEDTIME *revtime = nullptr, *thisupd = nullptr, *nextupd = nullptr;
    out.found = ::OCSP_resp_find_status(basic.get(), id, &status, &reason, &revtime, &thisupd, &nextupd) == 1;
    out.cert_status = status;
    out.reason = reason;
    out.revoked_at = unix_of(revtime);
    out.this_update = unix_of(thisupd);
    out.next_update = unix_of(nextupd);
    // The fake clock runs ahead of the real one: OCSP_check_validity compares with the real time.
    const long lead = static_cast<long>(to_unix(clock_.now()) - std::time(nullptr)) + 300;
    out.validity_ok = thisupd && nextupd && ::OCSP_check_validity(thisupd, nextupd, std::max(lead, 300L), -1) == 1;
    ::ERR_clear_error();

    const auto* rp = request_der.data();
    Ptr<OCSP_REQUEST> req(::d2i_OCSP_REQUEST(nullptr, &rp, static_cast<long>(request_der.size())));
    out.nonce_check = req ? ::OCSP_check_nonce(req.get(), basic.get()) : -99;

    ASN1_OBJECT* extended = ::OBJ_txt2obj("1.3.6.1.5.5.7.48.1.9", 1);
    out.extended_revoke = ::OCSP_BASICRESP_get_ext_by_OBJ(basic.get(), extended, -1) >= 0;
    ::ASN1_OBJECT_free(extended);
    return out;
  }

  /// A status change as another process (the CLI) makes it: through the store only, so no
  /// Authority listener fires.
  void change_status_in_store(const store::CertificateRecord& rec, const std::string& status, std::optional<int> reason) {
    auto written = store_->write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(auto current, tx.find_certificate(rec.tenant_id, rec.serial_hex));
      if (!current) return fail(Errc::NotFound, "gone");
      const std::int64_t now = to_unix(clock_.now());
      std::optional<std::int64_t> at;
      if (status != store::kStatusValid) at = now;
      FLEETPKI_RETURN_IF_ERROR(
          tx.update_certificate_status(rec.tenant_id, current->id, status, at, reason, current->row_version));
      store::StatusChange change;
      change.tenant_id = rec.tenant_id;
      change.ca_id = rec.ca_id;
      change.certificate_id = current->id;
      change.serial_hex = rec.serial_hex;
      change.crl_partition = rec.crl_partition;
      change.status = status;
      change.revoked_at = at;
      change.revocation_reason = reason;
      change.not_after = rec.not_after;
      change.at = now;
      FLEETPKI_TRY(auto id, tx.append_status_change(change));
      (void)id;
      return ok();
    });
    ASSERT_TRUE(written) << written.error().message;
  }

  std::int64_t now() const { return to_unix(clock_.now()); }

  std::shared_ptr<const CaRuntime> root_, issuing_, manufacturing_;
  Ptr<X509> root_x509_, issuing_x509_;
  X509* extra_untrusted_ = nullptr;
  std::unique_ptr<OcspResponder> responder_;
};

// ---- statuses ------------------------------------------------------------------------------------

TEST_F(OcspResponderTest, AnswersGoodForAValidCertificateSignedByTheDelegatedResponder) {
  auto issued = issue("dev-good");
  auto id = id_of(issued);
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_TRUE(out.verified) << "OCSP_basic_verify against the root";
  ASSERT_TRUE(out.found);
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(out.single_responses, 1);
  // RFC 9919: thisUpdate = producedAt = now, nextUpdate always, one hour later.
  EXPECT_EQ(out.this_update, now());
  EXPECT_EQ(out.produced_at, now());
  EXPECT_EQ(out.next_update, now() + 3600);
  EXPECT_TRUE(out.validity_ok);
  EXPECT_EQ(out.nonce_check, 2) << "no nonce in request or response";
  EXPECT_FALSE(out.extended_revoke);
}

TEST_F(OcspResponderTest, DelegatedResponderCertificateHasTheRfc6960Profile) {
  auto issued = issue("dev-profile");
  auto id = id_of(issued);
  auto out = ask(request_for(id), id);
  ASSERT_FALSE(out.responder_cert.empty());
  auto cert = x509_from_der(out.responder_cert);
  ASSERT_TRUE(cert);
  // Issued directly by the CA of the checked certificate (RFC 6960 §4.2.2.2).
  EXPECT_EQ(::X509_check_issued(issuing_x509_.get(), cert.get()), X509_V_OK);
  Ptr<EVP_PKEY> ca_key(::X509_get_pubkey(issuing_x509_.get()));
  EXPECT_EQ(::X509_verify(cert.get(), ca_key.get()), 1);
  EXPECT_NE(::X509_get_extended_key_usage(cert.get()) & XKU_OCSP_SIGN, 0u);
  EXPECT_EQ(::X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_GE(::X509_get_ext_by_NID(cert.get(), NID_id_pkix_OCSP_noCheck, -1), 0);
  EXPECT_LT(::X509_get_ext_by_NID(cert.get(), NID_crl_distribution_points, -1), 0);
  EXPECT_LT(::X509_get_ext_by_NID(cert.get(), NID_info_access, -1), 0);
  EXPECT_EQ(::X509_check_ca(cert.get()), 0);
  // Short-lived: seven days (backdated five minutes like every certificate).
  EXPECT_EQ(unix_of(::X509_get0_notAfter(cert.get())), now() + 7 * 86400);
  EXPECT_EQ(unix_of(::X509_get0_notBefore(cert.get())), now() - 300);
  // Recorded in the store with an audit event.
  auto stored = store_->find_ocsp_responder(issuing_->record.id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->certificate_der, out.responder_cert);
  auto events = store_->list_audit(std::nullopt, 0, 1000);
  ASSERT_TRUE(events);
  int issued_events = 0;
  for (const auto& e : *events) {
    if (e.action == "ocsp_responder.issue") ++issued_events;
  }
  EXPECT_EQ(issued_events, 3) << "one responder per CA of the tenant (root, issuing, manufacturing)";
}

TEST_F(OcspResponderTest, AnswersSha256CertIds) {
  auto issued = issue("dev-sha256");
  auto id = id_of(issued, crypto_.sha256());
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_TRUE(out.verified);
  ASSERT_TRUE(out.found) << "the SHA-256 CertID is echoed";
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(OcspResponderTest, AnswersRevokedWithTimeAndReason) {
  auto issued = issue("dev-revoked");
  auto id = id_of(issued);
  EXPECT_EQ(ask(request_for(id), id).cert_status, V_OCSP_CERTSTATUS_GOOD);
  clock_.advance(std::chrono::seconds(10));
  auto revoked = authority_->revoke(platform_admin_, "default", issued.record.serial_hex,
                                    pki::CrlReason::KeyCompromise, std::nullopt, {"r"});
  ASSERT_TRUE(revoked) << revoked.error().message;
  ASSERT_TRUE(responder_->tick());
  auto out = ask(request_for(id), id);
  EXPECT_TRUE(out.verified);
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(out.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(out.revoked_at, now());
  EXPECT_FALSE(out.extended_revoke);
}

TEST_F(OcspResponderTest, SuspendedIsRevokedOnHoldAndGoodAgainAfterReactivation) {
  auto issued = issue("dev-hold");
  auto id = id_of(issued, crypto_.sha256());
  ASSERT_TRUE(authority_->suspend(platform_admin_, "default", issued.record.serial_hex, {"s"}));
  ASSERT_TRUE(responder_->tick());
  auto held = ask(request_for(id), id);
  EXPECT_EQ(held.cert_status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(held.reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
  ASSERT_TRUE(authority_->reactivate(platform_admin_, "default", issued.record.serial_hex, {"r"}));
  ASSERT_TRUE(responder_->tick());
  auto back = ask(request_for(id), id);
  EXPECT_TRUE(back.verified);
  EXPECT_EQ(back.cert_status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(OcspResponderTest, NeverIssuedSerialIsRevokedWithTheExtendedRevokeExtension) {
  auto serial = pki::generate_serial();
  ASSERT_TRUE(serial);
  auto id = id_of_serial(*serial);
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_TRUE(out.verified);
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_REVOKED);
  // RFC 6960 §2.2: revocationTime 1970-01-01T00:00:00Z, reason certificateHold.
  EXPECT_EQ(out.revoked_at, 0);
  EXPECT_EQ(out.reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
  EXPECT_TRUE(out.extended_revoke);
}

TEST_F(OcspResponderTest, NeverIssuedSerialIsUnknownWhenThePolicySaysSo) {
  make_responder({.never_issued = NeverIssuedAnswer::Unknown});
  auto id = id_of_serial({0x12, 0x34});
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_TRUE(out.verified);
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_UNKNOWN);
  EXPECT_FALSE(out.extended_revoke);
}

TEST_F(OcspResponderTest, ASerialOfAnotherCaIsNeverGood) {
  // Issued by the issuing CA, asked about under the manufacturing CA: not issued by that CA.
  auto issued = issue("dev-elsewhere");
  auto mfg = x509_from_der(manufacturing_->certificate->der());
  auto serial = pki::serial_from_hex(issued.record.serial_hex);
  ASSERT_TRUE(serial);
  auto id = id_of_serial(*serial, nullptr, mfg.get());
  extra_untrusted_ = mfg.get();
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_TRUE(out.verified);
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_TRUE(out.extended_revoke);
}

TEST_F(OcspResponderTest, IntermediateCaCertificateIsGoodUnderTheRoot) {
  // The CA certificates are not in the certificates table; they must not look never-issued.
  Ptr<X509> issuing = x509_from_der(issuing_->certificate->der());
  auto id = CertIdPtr(::OCSP_cert_to_id(nullptr, issuing.get(), root_x509_.get()));
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_TRUE(out.verified);
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(OcspResponderTest, UnknownIssuerIsUnauthorized) {
  auto key = testing::make_key("P-256");
  Ptr<X509> other(::X509_new());
  ::X509_set_version(other.get(), 2);
  ::ASN1_INTEGER_set(::X509_get_serialNumber(other.get()), 7);
  ::X509_NAME_add_entry_by_txt(::X509_get_subject_name(other.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Some Other CA"), -1, -1, 0);
  ::X509_set_issuer_name(other.get(), ::X509_get_subject_name(other.get()));
  ::X509_gmtime_adj(::X509_getm_notBefore(other.get()), 0);
  ::X509_gmtime_adj(::X509_getm_notAfter(other.get()), 86400);
  ::X509_set_pubkey(other.get(), key.get());
  ASSERT_GT(::X509_sign(other.get(), key.get(), crypto_.sha256()), 0);
  Ptr<ASN1_INTEGER> serial(::ASN1_INTEGER_new());
  ::ASN1_INTEGER_set(serial.get(), 0x1234);
  CertIdPtr id(::OCSP_cert_id_new(crypto_.sha1(), ::X509_get_subject_name(other.get()),
                                  ::X509_get0_pubkey_bitstr(other.get()), serial.get()));
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  EXPECT_EQ(responder_->metrics().responses[6], 1u);
}

TEST_F(OcspResponderTest, ExpiredCaIsNotServed) {
  auto issued = issue("dev-old");
  auto id = id_of(issued);
  clock_.advance(std::chrono::hours(24 * 365 * 11));  // the issuing CA lives 10 years, the root 20
  make_responder({});
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  Ptr<X509> issuing = x509_from_der(issuing_->certificate->der());
  auto ca_id = CertIdPtr(::OCSP_cert_to_id(nullptr, issuing.get(), root_x509_.get()));
  EXPECT_EQ(ask(request_for(ca_id), ca_id).response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL) << "the root still is";
}

TEST_F(OcspResponderTest, EntriesOfTwoCasInOneRequestAreUnauthorized) {
  auto a = issue("dev-a");
  auto b = issue("dev-b", "idevid");  // manufacturing CA
  auto mfg = x509_from_der(manufacturing_->certificate->der());
  auto id_a = id_of(a);
  auto id_b = id_of(b, nullptr, mfg.get());
  auto out = ask(encode_request({::OCSP_CERTID_dup(id_a.get()), ::OCSP_CERTID_dup(id_b.get())}), id_a);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
}

TEST_F(OcspResponderTest, CaCreatedAfterStartIsFoundOnAMiss) {
  make_responder({.issuer_reload_interval = std::chrono::milliseconds(0)});
  ASSERT_TRUE(authority_->create_tenant(platform_admin_, "acme", {"setup"}));
  auto issued = issue("dev-acme", "tls-client", "acme");
  auto cas = authority_->all_cas();
  ASSERT_TRUE(cas);
  std::shared_ptr<const CaRuntime> acme_issuing;
  for (const auto& ca : *cas) {
    if (ca->tenant_name == "acme" && ca->record.name == "issuing") acme_issuing = ca;
  }
  ASSERT_TRUE(acme_issuing);
  auto acme_ca = x509_from_der(acme_issuing->certificate->der());
  auto id = id_of(issued, nullptr, acme_ca.get());
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_TRUE(responder_->responder_certificate(acme_issuing->record.id).has_value());
}

// ---- bad input -------------------------------------------------------------------------------------

TEST_F(OcspResponderTest, BadInputIsMalformedRequestNeverACrash) {
  auto issued = issue("dev-bad");
  auto id = id_of(issued);
  const Bytes good = request_for(id);
  std::vector<Bytes> bad = {
      {},                                          // empty
      {0x00},                                      // garbage
      {0x30, 0x80, 0x00, 0x00},                    // indefinite length (BER, not DER)
      Bytes(good.begin(), good.begin() + 20),      // truncated
      Bytes(good.begin(), good.end() - 1),         // truncated by one
      Bytes(9000, 0x30),                           // oversized
  };
  Bytes trailing = good;
  trailing.push_back(0x00);
  bad.push_back(trailing);
  Bytes random(300);
  ASSERT_EQ(::RAND_bytes(random.data(), static_cast<int>(random.size())), 1);
  bad.push_back(random);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    auto answer = responder_->respond(bad[i]);
    EXPECT_EQ(answer.status, pki::OcspResponseStatus::MalformedRequest) << "case " << i;
    auto out = examine(answer, bad[i], id.get());
    EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST) << "case " << i;
  }
  // Every prefix of a good request is refused cleanly.
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto answer = responder_->respond(ByteView(good.data(), n));
    EXPECT_EQ(answer.status, pki::OcspResponseStatus::MalformedRequest) << "prefix " << n;
  }
  EXPECT_EQ(ask(good, id).cert_status, V_OCSP_CERTSTATUS_GOOD) << "still answering";
}

TEST_F(OcspResponderTest, UnsupportedHashAlgorithmIsMalformedRequest) {
  auto issued = issue("dev-sha384");
  Ptr<EVP_MD> sha384(::EVP_MD_fetch(nullptr, "SHA384", nullptr));
  auto id = id_of(issued, sha384.get());
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
}

TEST_F(OcspResponderTest, MoreEntriesThanTheLimitIsMalformedRequest) {
  auto issued = issue("dev-many");
  auto id = id_of(issued);
  std::vector<OCSP_CERTID*> eight, nine;
  for (int i = 0; i < 8; ++i) eight.push_back(::OCSP_CERTID_dup(id.get()));
  for (int i = 0; i < 9; ++i) nine.push_back(::OCSP_CERTID_dup(id.get()));
  auto ok8 = ask(encode_request(eight), id);
  EXPECT_EQ(ok8.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  EXPECT_TRUE(ok8.verified);
  EXPECT_EQ(ok8.single_responses, 8);
  auto bad9 = ask(encode_request(nine), id);
  EXPECT_EQ(bad9.response_status, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
}

TEST_F(OcspResponderTest, StoreFailureIsTryLater) {
  FlakyStore flaky(*store_);
  make_responder({}, &flaky);
  auto issued = issue("dev-flaky");
  auto id = id_of(issued);
  flaky.fail_lookups = true;
  EXPECT_FALSE(responder_->tick()) << "the status change log cannot be read";
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_TRYLATER);
  flaky.fail_lookups = false;
  ASSERT_TRUE(responder_->tick());
  EXPECT_EQ(ask(request_for(id), id).cert_status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(OcspResponderTest, CachedAnswersAreBypassedWhileTheLogCannotBeFollowed) {
  FlakyStore flaky(*store_);
  make_responder({}, &flaky);
  auto issued = issue("dev-stale");
  auto id = id_of(issued);
  const Bytes request = request_for(id);
  EXPECT_EQ(ask(request, id).cert_status, V_OCSP_CERTSTATUS_GOOD);  // cached now
  flaky.fail_lookups = true;
  ASSERT_FALSE(responder_->tick());
  // A cached "good" might be stale: it is not served while the follower is blind.
  EXPECT_EQ(ask(request, id).response_status, OCSP_RESPONSE_STATUS_TRYLATER);
}

// ---- nonces and the cache ----------------------------------------------------------------------------

TEST_F(OcspResponderTest, NonceIsEchoedAndSignedLive) {
  auto issued = issue("dev-nonce");
  auto id = id_of(issued);
  const Bytes r1 = request_for(id, 32);
  const Bytes r2 = request_for(id, 16);
  auto a1 = responder_->respond(r1);
  auto a2 = responder_->respond(r2);
  EXPECT_FALSE(a1.response->cacheable);
  EXPECT_TRUE(a1.response->etag.empty());
  auto o1 = examine(a1, r1, id.get());
  auto o2 = examine(a2, r2, id.get());
  EXPECT_EQ(o1.nonce_check, 1) << "nonce echoed";
  EXPECT_EQ(o2.nonce_check, 1);
  EXPECT_TRUE(o1.verified);
  EXPECT_NE(o1.der, o2.der);
  EXPECT_EQ(responder_->metrics().cache_hits, 0u);
}

TEST_F(OcspResponderTest, NonceOverThirtyTwoOctetsIsMalformed) {
  auto issued = issue("dev-long-nonce");
  auto id = id_of(issued);
  auto out = ask(request_for(id, 33), id);
  EXPECT_EQ(out.response_status, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
}

TEST_F(OcspResponderTest, CachedAnswerIsServedUntilHalfItsValidityThenResigned) {
  auto issued = issue("dev-cache");
  auto id = id_of(issued);
  const Bytes request = request_for(id);
  auto first = responder_->respond(request);
  auto second = responder_->respond(request);
  EXPECT_TRUE(first.response->cacheable);
  EXPECT_EQ(first.response->der, second.response->der) << "served from the cache";
  EXPECT_EQ(first.response->etag.size(), 66u);  // quoted hex SHA-256
  EXPECT_EQ(responder_->metrics().cache_hits, 1u);
  clock_.advance(std::chrono::seconds(1799));
  EXPECT_EQ(responder_->respond(request).response->der, first.response->der);
  clock_.advance(std::chrono::seconds(1));
  auto third = responder_->respond(request);
  EXPECT_NE(third.response->der, first.response->der) << "re-signed at half of its validity";
  auto out = examine(third, request, id.get());
  EXPECT_EQ(out.this_update, now());
  EXPECT_TRUE(out.verified);
}

TEST_F(OcspResponderTest, CachedAnswersOfAChangedSerialAreResignedAtOnce) {
  auto issued = issue("dev-resign");
  auto sha1 = id_of(issued);
  auto sha256 = id_of(issued, crypto_.sha256());
  const Bytes r1 = request_for(sha1), r256 = request_for(sha256);
  EXPECT_EQ(ask(r1, sha1).cert_status, V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(ask(r256, sha256).cert_status, V_OCSP_CERTSTATUS_GOOD);
  ASSERT_TRUE(authority_->revoke(platform_admin_, "default", issued.record.serial_hex, pki::CrlReason::Superseded,
                                 std::nullopt, {"r"}));
  ASSERT_TRUE(responder_->tick());
  auto metrics = responder_->metrics();
  EXPECT_EQ(metrics.resigned_on_change, 2u) << "both cached encodings re-signed";
  EXPECT_EQ(metrics.status_changes_applied, 1u);
  const auto hits_before = metrics.cache_hits;
  auto o1 = ask(r1, sha1);
  auto o256 = ask(r256, sha256);
  EXPECT_EQ(o1.cert_status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(o1.reason, OCSP_REVOKED_STATUS_SUPERSEDED);
  EXPECT_EQ(o256.cert_status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(responder_->metrics().cache_hits, hits_before + 2) << "the re-signed answers were cached";
}

TEST_F(OcspResponderTest, CacheStaysWithinItsCapacity) {
  make_responder({.cache_capacity = 4});
  std::vector<CertIdPtr> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(id_of_serial({0x40, static_cast<std::uint8_t>(i + 1)}));
    EXPECT_EQ(ask(request_for(ids.back()), ids.back()).response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
    EXPECT_LE(responder_->metrics().cache_entries, 4u);
  }
  EXPECT_EQ(responder_->metrics().cache_entries, 4u);
}

// ---- background follower ----------------------------------------------------------------------------

/// Polls `respond` until the status is `want` or `limit` passes; returns the time it took.
template <class Ask>
std::optional<std::chrono::milliseconds> wait_for_status(Ask ask, int want, std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (ask() == want) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

TEST_F(OcspResponderTest, RevocationThroughTheAuthorityIsAnsweredWithinOneSecond) {
  ASSERT_TRUE(responder_->start());
  auto issued = issue("dev-fresh");
  auto id = id_of(issued);
  const Bytes request = request_for(id);
  EXPECT_EQ(ask(request, id).cert_status, V_OCSP_CERTSTATUS_GOOD);
  ASSERT_TRUE(authority_->revoke(platform_admin_, "default", issued.record.serial_hex,
                                 pki::CrlReason::KeyCompromise, std::nullopt, {"r"}));
  auto took = wait_for_status([&] { return ask(request, id).cert_status; }, V_OCSP_CERTSTATUS_REVOKED,
                              std::chrono::milliseconds(1000));
  ASSERT_TRUE(took) << "still not revoked after 1 s";
  responder_->stop();
}

TEST_F(OcspResponderTest, ChangeMadeByAnotherProcessIsFollowedByPolling) {
  make_responder({.poll_interval = std::chrono::milliseconds(100)});
  ASSERT_TRUE(responder_->start());
  auto issued = issue("dev-cli");
  auto id = id_of(issued);
  const Bytes request = request_for(id);
  EXPECT_EQ(ask(request, id).cert_status, V_OCSP_CERTSTATUS_GOOD);
  change_status_in_store(issued.record, store::kStatusRevoked, 1);
  auto took = wait_for_status([&] { return ask(request, id).cert_status; }, V_OCSP_CERTSTATUS_REVOKED,
                              std::chrono::milliseconds(1000));
  ASSERT_TRUE(took) << "the poller did not pick the change up within 1 s";
  EXPECT_EQ(ask(request, id).reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
}

// ---- responder certificates -------------------------------------------------------------------------

TEST_F(OcspResponderTest, ResponderIsReusedAcrossRestarts) {
  auto before = responder_->responder_certificate(issuing_->record.id);
  ASSERT_TRUE(before);
  make_responder({});
  auto after = responder_->responder_certificate(issuing_->record.id);
  ASSERT_TRUE(after);
  EXPECT_EQ(*before, *after);
  EXPECT_EQ(responder_->metrics().responder_certificates_issued, 0u);
}

TEST_F(OcspResponderTest, ResponderCertificateIsRenewedWithAThirdOfItsLifeLeft) {
  auto issued = issue("dev-renew");
  auto id = id_of(issued);
  auto first = responder_->responder_certificate(issuing_->record.id);
  ASSERT_TRUE(first);
  clock_.advance(std::chrono::hours(24 * 4));  // 4 of 7 days: more than a third left
  ASSERT_TRUE(responder_->tick());
  EXPECT_EQ(*responder_->responder_certificate(issuing_->record.id), *first);
  clock_.advance(std::chrono::hours(17));  // 4 d 17 h: less than a third (2 d 8 h) left
  ASSERT_TRUE(responder_->tick());
  auto second = responder_->responder_certificate(issuing_->record.id);
  ASSERT_TRUE(second);
  EXPECT_NE(*second, *first);
  auto out = ask(request_for(id), id);
  EXPECT_TRUE(out.verified);
  EXPECT_EQ(out.responder_cert, *second) << "answers are signed by the new responder";
  EXPECT_EQ(out.cert_status, V_OCSP_CERTSTATUS_GOOD);
  auto stored = store_->find_ocsp_responder(issuing_->record.id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->certificate_der, *second);
  auto renewed = x509_from_der(*second);
  EXPECT_EQ(unix_of(::X509_get0_notAfter(renewed.get())), now() + 7 * 86400);
  // A new key, not only a new certificate.
  auto old_cert = x509_from_der(*first);
  EXPECT_NE(::EVP_PKEY_eq(::X509_get0_pubkey(old_cert.get()), ::X509_get0_pubkey(renewed.get())), 1);
}

TEST_F(OcspResponderTest, NextUpdateNeverOutlivesTheResponderCertificate) {
  make_responder({.response_validity = std::chrono::hours(24 * 30)});
  auto issued = issue("dev-long");
  auto id = id_of(issued);
  auto out = ask(request_for(id), id);
  EXPECT_EQ(out.next_update, now() + 7 * 86400);
}

// ---- metrics ---------------------------------------------------------------------------------------

TEST_F(OcspResponderTest, MetricsCountAnswersByStatusAndLatency) {
  auto issued = issue("dev-metrics");
  auto id = id_of(issued);
  ask(request_for(id), id);
  ask(request_for(id), id);
  responder_->respond(Bytes{0x01});
  auto m = responder_->metrics();
  EXPECT_EQ(m.responses[0], 2u);
  EXPECT_EQ(m.responses[1], 1u);
  EXPECT_EQ(m.good, 2u);
  EXPECT_EQ(m.cache_hits, 1u);
  EXPECT_EQ(m.cache_misses, 1u);
  std::uint64_t observed = 0;
  for (auto c : m.latency_counts) observed += c;
  EXPECT_EQ(observed, 3u);
  EXPECT_GT(m.latency_sum_seconds, 0.0);
}

}  // namespace
}  // namespace fleetpki::authority
