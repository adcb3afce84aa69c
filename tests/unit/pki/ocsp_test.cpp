// OCSP: requests made by OpenSSL (OCSP_cert_to_id, OCSP_request_add1_nonce) and the STANDARDS.md
// vector are parsed; responses are read back and verified by OpenSSL (OCSP_basic_verify,
// OCSP_resp_find_status, OCSP_check_nonce); hostile requests are refused, each case on its own.
#include "pki/ocsp.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "pki/der.h"
#include "pki/extensions.h"
#include "pki/pem.h"
#include "pki/public_key.h"
#include "pki/serial_number.h"
#include "pki/tbs_template.h"
#include "test_util.h"

namespace fleetpki::pki {
namespace {

using namespace std::chrono;

template <class T, void (*Fn)(T*)>
struct FreeWith {
  void operator()(T* p) const { Fn(p); }
};
using CertIdPtr = std::unique_ptr<OCSP_CERTID, FreeWith<OCSP_CERTID, ::OCSP_CERTID_free>>;
using BasicPtr = std::unique_ptr<OCSP_BASICRESP, FreeWith<OCSP_BASICRESP, ::OCSP_BASICRESP_free>>;
using ObjectPtr = std::unique_ptr<ASN1_OBJECT, FreeWith<ASN1_OBJECT, ::ASN1_OBJECT_free>>;

constexpr const char* kNonceOid = "1.3.6.1.5.5.7.48.1.2";

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

Bytes octets(const ASN1_STRING* s) {
  return Bytes(::ASN1_STRING_get0_data(s), ::ASN1_STRING_get0_data(s) + ::ASN1_STRING_length(s));
}

ossl::Ptr<X509> parse_x509(const Bytes& der) {
  const unsigned char* p = der.data();
  return ossl::Ptr<X509>(::d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

ossl::Ptr<OCSP_RESPONSE> parse_response(const Bytes& der) {
  const unsigned char* p = der.data();
  ossl::Ptr<OCSP_RESPONSE> r(::d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (r && p != der.data() + der.size()) {
    return nullptr;
  }
  return r;
}

ossl::Ptr<OCSP_REQUEST> parse_openssl_request(const Bytes& der) {
  const unsigned char* p = der.data();
  return ossl::Ptr<OCSP_REQUEST>(::d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(der.size())));
}

template <class T, int (*I2d)(const T*, unsigned char**)>
Bytes i2d(const T* object) {
  unsigned char* out = nullptr;
  int len = I2d(object, &out);
  Bytes b(out, out + (len > 0 ? len : 0));
  ::OPENSSL_free(out);
  return b;
}

// ---- hand-made requests (for what OpenSSL will not produce) --------------------------------

Bytes seq(std::initializer_list<ByteView> parts) {
  Bytes content;
  for (ByteView p : parts) {
    content.insert(content.end(), p.begin(), p.end());
  }
  return der::tlv(der::tag::kSequence, content);
}

Bytes oid(const char* dotted) {
  return *der::oid(dotted);
}

const Bytes kNull = {0x05, 0x00};

// CertID with the given hash OID, parameters (empty = absent), hash lengths and INTEGER content.
Bytes cert_id(const char* hash_oid, const Bytes& params, std::size_t name_len, std::size_t key_len,
              const Bytes& serial_content) {
  return seq({seq({oid(hash_oid), params}), der::tlv(der::tag::kOctetString, Bytes(name_len, 0xA1)),
              der::tlv(der::tag::kOctetString, Bytes(key_len, 0xB2)),
              der::tlv(der::tag::kInteger, serial_content)});
}

Bytes sha1_id(const Bytes& serial_content = {0x12, 0x34}) {
  return cert_id("1.3.14.3.2.26", kNull, 20, 20, serial_content);
}

Bytes single_request(const Bytes& id, const Bytes& single_extensions = {}) {
  if (single_extensions.empty()) {
    return seq({id});
  }
  return seq({id, der::tlv(der::tag::context(0, true), single_extensions)});
}

struct RequestParts {
  Bytes version;    // [0] content; empty = absent
  Bytes requestor;  // [1] content; empty = absent
  std::vector<Bytes> requests = {single_request(sha1_id())};
  Bytes extensions;  // [2] content (the Extensions SEQUENCE); empty = absent
  Bytes signature;   // [0] content of optionalSignature; empty = absent
};

Bytes build(const RequestParts& p) {
  Bytes tbs;
  if (!p.version.empty()) {
    der::append_tlv(tbs, der::tag::context(0, true), p.version);
  }
  if (!p.requestor.empty()) {
    der::append_tlv(tbs, der::tag::context(1, true), p.requestor);
  }
  Bytes list;
  for (const auto& r : p.requests) {
    list.insert(list.end(), r.begin(), r.end());
  }
  der::append_tlv(tbs, der::tag::kSequence, list);
  if (!p.extensions.empty()) {
    der::append_tlv(tbs, der::tag::context(2, true), p.extensions);
  }
  Bytes top = der::tlv(der::tag::kSequence, tbs);
  if (!p.signature.empty()) {
    der::append_tlv(top, der::tag::context(0, true), p.signature);
  }
  return der::tlv(der::tag::kSequence, top);
}

Bytes nonce_extension(const Bytes& nonce, bool critical = false) {
  return encode_extension(kNonceOid, critical, der::tlv(der::tag::kOctetString, nonce));
}

Bytes extensions(std::initializer_list<ByteView> list) {
  return seq(list);
}

bool refused(const Bytes& der, const OcspRequestLimits& limits = {}) {
  auto r = parse_ocsp_request(der, limits);
  if (r) {
    return false;
  }
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().message.rfind("malformed OCSP request: ", 0), 0u) << r.error().message;
  return true;
}

// ---- a CA, a delegated responder and device certificates, made by TbsTemplate -------------

struct Issued {
  Bytes der;
  Bytes serial;
  ossl::Ptr<X509> x509;
};

class OcspTest : public ::testing::Test {
 protected:
  void SetUp() override { make_ca("P-256", SignatureAlgorithm::EcdsaSha256); }

  void make_ca(const char* kind, SignatureAlgorithm alg) {
    alg_ = alg;
    ca_key_ = test::make_key(kind);
    ASSERT_TRUE(ca_key_);
    auto info = parse_public_key(test::spki_of(ca_key_.get()));
    ASSERT_TRUE(info);
    ca_spki_ = info->spki_der;
    ca_ski_ = key_identifier(ctx_, *info);
    ca_subject_ = *encode_name({{"O", "Acme"}, {"CN", "Acme OCSP Test Root"}});
    now_ = time_point_cast<seconds>(system_clock::now());
    TbsFixedParts root;
    root.signature_algorithm = alg_;
    root.basic_constraints_ca = true;
    root.key_usage = kKeyCertSign | kCrlSign;
    ca_ = sign_cert(root, ca_subject_, *info, nullptr);
    ASSERT_TRUE(ca_.x509);
  }

  Issued sign_cert(const TbsFixedParts& fixed, const Bytes& subject, const PublicKeyInfo& key,
                   const Bytes* ski) {
    auto tpl = TbsTemplate::create(fixed);
    EXPECT_TRUE(tpl);
    Issued out;
    out.serial = *generate_serial();
    TbsVariableParts v;
    v.serial = out.serial;
    v.not_before = now_ - hours(1);
    v.not_after = now_ + days(30);
    v.subject_name_der = subject;
    v.spki_der = key.spki_der;
    Bytes own_ski = key_identifier(ctx_, key);
    v.subject_key_id = ski != nullptr ? *ski : own_ski;
    Bytes tbs = *tpl->encode(v);
    out.der = assemble_certificate(tbs, alg_, test::sign(ca_key_.get(), digest_name(alg_), tbs));
    out.x509 = parse_x509(out.der);
    return out;
  }

  TbsFixedParts issued_by_ca() const {
    TbsFixedParts f;
    f.signature_algorithm = alg_;
    f.issuer_name_der = ca_subject_;
    f.authority_key_id = ca_ski_;
    f.key_usage = kDigitalSignature;
    return f;
  }

  Issued device(const std::string& cn) {
    TbsFixedParts f = issued_by_ca();
    f.ext_key_usages = {oid::kClientAuth};
    auto key = test::make_key("P-256");
    auto info = parse_public_key(test::spki_of(key.get()));
    return sign_cert(f, *encode_name({{"CN", cn}}), *info, nullptr);
  }

  // A delegated responder: EKU id-kp-OCSPSigning and id-pkix-ocsp-nocheck (STANDARDS.md §5.4).
  void make_responder() {
    TbsFixedParts f = issued_by_ca();
    f.ext_key_usages = {oid::kOcspSigning};
    f.ocsp_no_check = true;
    responder_key_ = test::make_key("P-256");
    auto info = parse_public_key(test::spki_of(responder_key_.get()));
    responder_spki_ = info->spki_der;
    responder_ = sign_cert(f, *encode_name({{"CN", "Acme OCSP Responder"}}), *info, nullptr);
    ASSERT_TRUE(responder_.x509);
  }

  ossl::Ptr<EVP_MD> md(const char* name) const {
    return ossl::Ptr<EVP_MD>(::EVP_MD_fetch(nullptr, name, nullptr));
  }

  CertIdPtr openssl_id(const char* digest, X509* subject) const {
    auto m = md(digest);
    return CertIdPtr(::OCSP_cert_to_id(m.get(), subject, ca_.x509.get()));
  }

  // An OCSPRequest made by OpenSSL for `subjects` (digest per entry) with an optional nonce.
  Bytes openssl_request(const std::vector<std::pair<X509*, const char*>>& subjects,
                        const std::optional<Bytes>& nonce) const {
    ossl::Ptr<OCSP_REQUEST> req(::OCSP_REQUEST_new());
    for (const auto& [subject, digest] : subjects) {
      CertIdPtr id = openssl_id(digest, subject);
      EXPECT_TRUE(id);
      EXPECT_NE(::OCSP_request_add0_id(req.get(), id.get()), nullptr);
      (void)id.release();  // owned by the request now
    }
    if (nonce) {
      Bytes copy = *nonce;
      EXPECT_EQ(::OCSP_request_add1_nonce(req.get(), copy.data(), static_cast<int>(copy.size())),
                1);
    }
    return i2d<OCSP_REQUEST, ::i2d_OCSP_REQUEST>(req.get());
  }

  // Signs `parts` with `key` and wraps it; `certs` go into BasicOCSPResponse.certs.
  Bytes respond(const OcspResponseParts& parts, EVP_PKEY* key, SignatureAlgorithm alg,
                const std::vector<ByteView>& certs) const {
    auto data = encode_response_data(parts);
    EXPECT_TRUE(data) << data.error().message;
    if (!data) {
      return {};
    }
    return assemble_ocsp_response(*data, alg, test::sign(key, digest_name(alg), *data), certs);
  }

  OcspSingleResponse single(ByteView cert_id, OcspCertStatus status) const {
    OcspSingleResponse s;
    s.cert_id_der = cert_id;
    s.status = status;
    s.this_update = now_ - minutes(1);
    s.next_update = now_ + hours(4);
    return s;
  }

  // OCSP_basic_verify with the CA as the only trust anchor.
  int basic_verify(OCSP_BASICRESP* bs, X509* untrusted_signer) const {
    ossl::Ptr<X509_STORE> store(::X509_STORE_new());
    EXPECT_EQ(::X509_STORE_add_cert(store.get(), ca_.x509.get()), 1);
    ossl::Ptr<STACK_OF(X509)> certs(sk_X509_new_null());
    if (untrusted_signer != nullptr) {
      EXPECT_EQ(::X509_up_ref(untrusted_signer), 1);
      EXPECT_GT(sk_X509_push(certs.get(), untrusted_signer), 0);
    }
    return ::OCSP_basic_verify(bs, certs.get(), store.get(), 0);
  }

  CryptoContext ctx_;
  SignatureAlgorithm alg_ = SignatureAlgorithm::EcdsaSha256;
  ossl::Ptr<EVP_PKEY> ca_key_, responder_key_;
  Bytes ca_spki_, ca_ski_, ca_subject_, responder_spki_;
  Issued ca_, responder_;
  TimePoint now_;
};

// ---- issuer hashes and CertID ----------------------------------------------------------------

TEST_F(OcspTest, IssuerHashesMatchOpenSslCertIds) {
  auto hashes = issuer_hashes(ca_subject_, ca_spki_);
  ASSERT_TRUE(hashes) << hashes.error().message;
  EXPECT_EQ(hashes->key_sha1, ca_ski_);  // RFC 5280 method-1 SKI (STANDARDS.md §5.1)
  Issued dev = device("dev-1");
  for (const char* digest : {"SHA1", "SHA256"}) {
    CertIdPtr id = openssl_id(digest, dev.x509.get());
    ASSERT_TRUE(id);
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    ASN1_INTEGER* serial = nullptr;
    ASSERT_EQ(::OCSP_id_get0_info(&name_hash, nullptr, &key_hash, &serial, id.get()), 1);
    const bool sha1 = std::string(digest) == "SHA1";
    EXPECT_EQ(octets(name_hash), sha1 ? hashes->name_sha1 : hashes->name_sha256);
    EXPECT_EQ(octets(key_hash), sha1 ? hashes->key_sha1 : hashes->key_sha256);
    EXPECT_EQ(octets(serial), dev.serial);
    // encode_cert_id writes what OpenSSL writes (NULL parameters).
    const Bytes ours = encode_cert_id(sha1 ? OcspHashAlgorithm::Sha1 : OcspHashAlgorithm::Sha256,
                                      sha1 ? hashes->name_sha1 : hashes->name_sha256,
                                      sha1 ? hashes->key_sha1 : hashes->key_sha256, dev.serial);
    EXPECT_EQ(ours, (i2d<OCSP_CERTID, ::i2d_OCSP_CERTID>(id.get())));
  }
}

TEST_F(OcspTest, IssuerHashesAndResponderKeyHashRefuseNonDer) {
  EXPECT_FALSE(issuer_hashes(Bytes{0x31, 0x00}, ca_spki_));
  EXPECT_FALSE(issuer_hashes(ca_subject_, Bytes{0x30, 0x00}));
  EXPECT_FALSE(issuer_hashes(ca_subject_, ca_subject_));
  EXPECT_FALSE(responder_key_hash(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}));
  EXPECT_FALSE(responder_key_hash(Bytes{}));
  auto h = responder_key_hash(ca_spki_);
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, ca_ski_);
}

TEST_F(OcspTest, EncodeCertIdAddsASignOctetToHighSerials) {
  const Bytes id = encode_cert_id(OcspHashAlgorithm::Sha1, Bytes(20, 1), Bytes(20, 2), Bytes{0x80});
  auto parsed = parse_ocsp_request(build({.requests = {single_request(id)}}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->cert_ids[0].serial, (Bytes{0x80}));
  EXPECT_EQ(parsed->cert_ids[0].encoded, id);
  EXPECT_TRUE(std::equal(id.end() - 4, id.end(), Bytes{0x02, 0x02, 0x00, 0x80}.begin()));
}

// ---- requests made by OpenSSL and the STANDARDS.md vector ---------------------------------

TEST_F(OcspTest, ParsesOpenSslRequestWithSeveralEntriesAndNonce) {
  Issued a = device("a"), b = device("b"), c = device("c");
  const Bytes nonce = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                       0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10};
  Bytes der = openssl_request(
      {{a.x509.get(), "SHA1"}, {b.x509.get(), "SHA256"}, {c.x509.get(), "SHA256"}}, nonce);
  auto request = parse_ocsp_request(der);
  ASSERT_TRUE(request) << request.error().message;
  ASSERT_EQ(request->cert_ids.size(), 3u);
  ASSERT_TRUE(request->nonce);
  EXPECT_EQ(*request->nonce, nonce);
  auto hashes = issuer_hashes(ca_subject_, ca_spki_);
  ASSERT_TRUE(hashes);
  const Issued* subjects[] = {&a, &b, &c};
  for (std::size_t i = 0; i < 3; ++i) {
    const OcspCertId& id = request->cert_ids[i];
    const bool sha1 = i == 0;
    EXPECT_EQ(id.hash, sha1 ? OcspHashAlgorithm::Sha1 : OcspHashAlgorithm::Sha256);
    EXPECT_EQ(id.issuer_name_hash, sha1 ? hashes->name_sha1 : hashes->name_sha256);
    EXPECT_EQ(id.issuer_key_hash, sha1 ? hashes->key_sha1 : hashes->key_sha256);
    EXPECT_EQ(id.serial, subjects[i]->serial);
    EXPECT_EQ(serial_to_hex(id.serial), serial_to_hex(subjects[i]->serial));
    EXPECT_EQ(id.encoded,
              encode_cert_id(id.hash, id.issuer_name_hash, id.issuer_key_hash, id.serial));
  }
}

TEST_F(OcspTest, ParsesOpenSslRequestWithoutNonce) {
  Issued a = device("a");
  for (const char* digest : {"SHA1", "SHA256"}) {
    auto request = parse_ocsp_request(openssl_request({{a.x509.get(), digest}}, std::nullopt));
    ASSERT_TRUE(request) << request.error().message;
    ASSERT_EQ(request->cert_ids.size(), 1u);
    EXPECT_FALSE(request->nonce);
    EXPECT_EQ(request->cert_ids[0].serial, a.serial);
  }
}

TEST_F(OcspTest, ParsesOpenSslDefaultRandomNonce) {
  Issued a = device("a");
  ossl::Ptr<OCSP_REQUEST> req(::OCSP_REQUEST_new());
  ASSERT_NE(::OCSP_request_add0_id(req.get(), openssl_id("SHA256", a.x509.get()).release()),
            nullptr);
  ASSERT_EQ(::OCSP_request_add1_nonce(req.get(), nullptr, -1), 1);
  auto request = parse_ocsp_request(i2d<OCSP_REQUEST, ::i2d_OCSP_REQUEST>(req.get()));
  ASSERT_TRUE(request) << request.error().message;
  ASSERT_TRUE(request->nonce);
  EXPECT_EQ(request->nonce->size(), 16u);  // OCSP_DEFAULT_NONCE_LENGTH
}

TEST(Ocsp, ParsesTheStandardsTestVector) {
  // STANDARDS.md §5.5: `openssl ocsp -issuer ca.pem -serial 0x1234 -no_nonce -reqout req.der`,
  // carried as the GET path segment (URL-decoded: %2F is '/').
  std::string segment =
      "MEMwQTA%2FMD0wOzAJBgUrDgMCGgUABBS1ERuTwlEShd1lu16mYbG%2F6eFKEwQUjvlquFyGD4wU2FUJwUsBl5AHxcYC"
      "AhI0";
  for (std::size_t pos = segment.find("%2F"); pos != std::string::npos; pos = segment.find("%2F")) {
    segment.replace(pos, 3, "/");
  }
  auto der =
      pem_decode("-----BEGIN OCSP REQUEST-----\n" + segment + "\n-----END OCSP REQUEST-----\n",
                 {"OCSP REQUEST"});
  ASSERT_TRUE(der) << der.error().message;
  ASSERT_EQ(der->size(), 69u);
  auto request = parse_ocsp_request(*der);
  ASSERT_TRUE(request) << request.error().message;
  ASSERT_EQ(request->cert_ids.size(), 1u);
  const OcspCertId& id = request->cert_ids[0];
  EXPECT_EQ(id.hash, OcspHashAlgorithm::Sha1);
  EXPECT_EQ(id.serial, (Bytes{0x12, 0x34}));
  EXPECT_EQ(to_hex(id.issuer_name_hash), "b5111b93c2511285dd65bb5ea661b1bfe9e14a13");
  EXPECT_EQ(to_hex(id.issuer_key_hash), "8ef96ab85c860f8c14d85509c14b01979007c5c6");
  EXPECT_FALSE(request->nonce);
  EXPECT_EQ(id.encoded, Bytes(der->begin() + 8, der->end()));
  EXPECT_EQ(id.encoded,
            encode_cert_id(id.hash, id.issuer_name_hash, id.issuer_key_hash, id.serial));
}

// ---- responses read back by OpenSSL --------------------------------------------------------

TEST_F(OcspTest, CaSignedResponseVerifiesAndReportsEveryStatus) {
  for (auto [kind, alg] : {std::pair{"P-256", SignatureAlgorithm::EcdsaSha256},
                           std::pair{"P-384", SignatureAlgorithm::EcdsaSha384},
                           std::pair{"ED25519", SignatureAlgorithm::Ed25519},
                           std::pair{"RSA-2048", SignatureAlgorithm::RsaPkcs1Sha256}}) {
    SCOPED_TRACE(kind);
    make_ca(kind, alg);
    Issued good = device("good"), revoked = device("revoked"), unknown = device("unknown");
    const Bytes nonce(32, 0x5A);
    const Bytes request_der = openssl_request(
        {{good.x509.get(), "SHA256"}, {revoked.x509.get(), "SHA1"}, {unknown.x509.get(), "SHA256"}},
        nonce);
    auto request = parse_ocsp_request(request_der);
    ASSERT_TRUE(request) << request.error().message;

    OcspResponseParts parts;
    parts.responder_key_hash = *responder_key_hash(ca_spki_);
    parts.produced_at = now_;
    parts.nonce = request->nonce;
    parts.responses.push_back(single(request->cert_ids[0].encoded, OcspCertStatus::Good));
    OcspSingleResponse r = single(request->cert_ids[1].encoded, OcspCertStatus::Revoked);
    r.revocation_time = now_ - hours(2);
    r.revocation_reason = CrlReason::KeyCompromise;
    parts.responses.push_back(r);
    parts.responses.push_back(single(request->cert_ids[2].encoded, OcspCertStatus::Unknown));
    const Bytes der = respond(parts, ca_key_.get(), alg, {});

    auto response = parse_response(der);
    ASSERT_TRUE(response) << "d2i_OCSP_RESPONSE refused the response";
    EXPECT_EQ((i2d<OCSP_RESPONSE, ::i2d_OCSP_RESPONSE>(response.get())), der);  // canonical DER
    EXPECT_EQ(::OCSP_response_status(response.get()), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    BasicPtr bs(::OCSP_response_get1_basic(response.get()));
    ASSERT_TRUE(bs);
    EXPECT_EQ(basic_verify(bs.get(), ca_.x509.get()), 1);
    EXPECT_EQ(::OCSP_resp_get0_certs(bs.get()), nullptr);  // certs omitted
    EXPECT_EQ(::OCSP_resp_count(bs.get()), 3);

    const ASN1_OCTET_STRING* key_id = nullptr;
    const X509_NAME* by_name = nullptr;
    ASSERT_EQ(::OCSP_resp_get0_id(bs.get(), &key_id, &by_name), 1);
    EXPECT_EQ(by_name, nullptr);
    ASSERT_NE(key_id, nullptr);
    EXPECT_EQ(octets(key_id), ca_ski_);
    EXPECT_EQ(::ASN1_STRING_type(::OCSP_resp_get0_produced_at(bs.get())), V_ASN1_GENERALIZEDTIME);
    EXPECT_EQ(::ASN1_TIME_cmp_time_t(::OCSP_resp_get0_produced_at(bs.get()), to_unix(now_)), 0);

    auto req = parse_openssl_request(request_der);
    ASSERT_TRUE(req);
    EXPECT_EQ(::OCSP_check_nonce(req.get(), bs.get()), 1);  // echoed

    struct Want {
      X509* subject;
      const char* digest;
      int status;
      int reason;
    };
    const Want wants[] = {
        {good.x509.get(), "SHA256", V_OCSP_CERTSTATUS_GOOD, -1},
        {revoked.x509.get(), "SHA1", V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_KEYCOMPROMISE},
        {unknown.x509.get(), "SHA256", V_OCSP_CERTSTATUS_UNKNOWN, -1}};
    for (const Want& w : wants) {
      CertIdPtr id = openssl_id(w.digest, w.subject);
      int status = -1, reason = -1;
      ASN1_GENERALIZEDTIME *revtime = nullptr, *thisupd = nullptr, *nextupd = nullptr;
      ASSERT_EQ(::OCSP_resp_find_status(bs.get(), id.get(), &status, &reason, &revtime, &thisupd,
                                        &nextupd),
                1);
      EXPECT_EQ(status, w.status);
      EXPECT_EQ(reason, w.reason);
      ASSERT_NE(thisupd, nullptr);
      ASSERT_NE(nextupd, nullptr);  // always present (RFC 9919)
      EXPECT_EQ(::ASN1_STRING_type(thisupd), V_ASN1_GENERALIZEDTIME);
      EXPECT_EQ(::ASN1_STRING_type(nextupd), V_ASN1_GENERALIZEDTIME);
      EXPECT_EQ(::OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
      if (w.status == V_OCSP_CERTSTATUS_REVOKED) {
        ASSERT_NE(revtime, nullptr);
        EXPECT_EQ(::ASN1_STRING_type(revtime), V_ASN1_GENERALIZEDTIME);
        EXPECT_EQ(::ASN1_TIME_cmp_time_t(revtime, to_unix(now_ - hours(2))), 0);
      }
    }
  }
}

TEST_F(OcspTest, DelegatedResponderResponseVerifies) {
  make_responder();
  Issued dev = device("dev");
  auto request = parse_ocsp_request(openssl_request({{dev.x509.get(), "SHA256"}}, std::nullopt));
  ASSERT_TRUE(request);
  OcspResponseParts parts;
  parts.responder_key_hash = *responder_key_hash(responder_spki_);
  parts.produced_at = now_;
  parts.responses.push_back(single(request->cert_ids[0].encoded, OcspCertStatus::Good));
  const Bytes der = respond(parts, responder_key_.get(), SignatureAlgorithm::EcdsaSha256,
                            {ByteView(responder_.der)});
  auto response = parse_response(der);
  ASSERT_TRUE(response);
  EXPECT_EQ((i2d<OCSP_RESPONSE, ::i2d_OCSP_RESPONSE>(response.get())), der);
  BasicPtr bs(::OCSP_response_get1_basic(response.get()));
  ASSERT_TRUE(bs);
  ASSERT_EQ(sk_X509_num(::OCSP_resp_get0_certs(bs.get())), 1);
  // The signer is found by key hash among the response's certs and chains to the CA.
  EXPECT_EQ(basic_verify(bs.get(), nullptr), 1);
  ossl::Ptr<OCSP_REQUEST> no_nonce(::OCSP_REQUEST_new());
  EXPECT_EQ(::OCSP_check_nonce(no_nonce.get(), bs.get()), 2);  // absent in both
  CertIdPtr id = openssl_id("SHA256", dev.x509.get());
  int status = -1;
  ASSERT_EQ(
      ::OCSP_resp_find_status(bs.get(), id.get(), &status, nullptr, nullptr, nullptr, nullptr), 1);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(OcspTest, TamperedResponseFailsVerification) {
  make_responder();
  Issued dev = device("dev");
  auto request = parse_ocsp_request(openssl_request({{dev.x509.get(), "SHA1"}}, std::nullopt));
  ASSERT_TRUE(request);
  OcspResponseParts parts;
  parts.responder_key_hash = *responder_key_hash(responder_spki_);
  parts.produced_at = now_;
  parts.responses.push_back(single(request->cert_ids[0].encoded, OcspCertStatus::Good));
  // Signed by the CA key but naming the responder: OpenSSL must refuse.
  Bytes der =
      respond(parts, ca_key_.get(), SignatureAlgorithm::EcdsaSha256, {ByteView(responder_.der)});
  auto response = parse_response(der);
  ASSERT_TRUE(response);
  BasicPtr bs(::OCSP_response_get1_basic(response.get()));
  ASSERT_TRUE(bs);
  EXPECT_LE(basic_verify(bs.get(), nullptr), 0);
  ::ERR_clear_error();
}

TEST_F(OcspTest, RevokedReasonsAsOpenSslReadsThem) {
  Issued dev = device("dev");
  auto request = parse_ocsp_request(openssl_request({{dev.x509.get(), "SHA256"}}, std::nullopt));
  ASSERT_TRUE(request);
  CertIdPtr id = openssl_id("SHA256", dev.x509.get());
  for (int value : {0, 1, 2, 3, 4, 5, 6, 9, 10}) {
    OcspResponseParts parts;
    parts.responder_key_hash = ca_ski_;
    parts.produced_at = now_;
    OcspSingleResponse r = single(request->cert_ids[0].encoded, OcspCertStatus::Revoked);
    r.revocation_time = now_ - hours(1);
    r.revocation_reason = static_cast<CrlReason>(value);
    parts.responses.push_back(r);
    auto response = parse_response(respond(parts, ca_key_.get(), alg_, {}));
    ASSERT_TRUE(response);
    BasicPtr bs(::OCSP_response_get1_basic(response.get()));
    ASSERT_TRUE(bs);
    EXPECT_EQ(basic_verify(bs.get(), ca_.x509.get()), 1);
    int status = -1, reason = -2;
    ASSERT_EQ(
        ::OCSP_resp_find_status(bs.get(), id.get(), &status, &reason, nullptr, nullptr, nullptr),
        1);
    EXPECT_EQ(status, V_OCSP_CERTSTATUS_REVOKED);
    // unspecified is omitted, as in CRL entries: OpenSSL then reports "no reason" (-1).
    EXPECT_EQ(reason, value == 0 ? OCSP_REVOKED_STATUS_NOSTATUS : value) << value;
  }
  // Without a reason at all.
  OcspResponseParts parts;
  parts.responder_key_hash = ca_ski_;
  parts.produced_at = now_;
  OcspSingleResponse r = single(request->cert_ids[0].encoded, OcspCertStatus::Revoked);
  parts.responses.push_back(r);
  auto response = parse_response(respond(parts, ca_key_.get(), alg_, {}));
  ASSERT_TRUE(response);
  BasicPtr bs(::OCSP_response_get1_basic(response.get()));
  int status = -1, reason = -2;
  ASSERT_EQ(
      ::OCSP_resp_find_status(bs.get(), id.get(), &status, &reason, nullptr, nullptr, nullptr), 1);
  EXPECT_EQ(reason, OCSP_REVOKED_STATUS_NOSTATUS);
}

TEST_F(OcspTest, ExtendedRevokeForNeverIssuedSerials) {
  // RFC 6960 §2.2: revoked, 1970-01-01T00:00:00Z, certificateHold, with the extension.
  const Bytes id =
      encode_cert_id(OcspHashAlgorithm::Sha1, issuer_hashes(ca_subject_, ca_spki_)->name_sha1,
                     ca_ski_, Bytes{0x77, 0x77});
  OcspResponseParts parts;
  parts.responder_key_hash = ca_ski_;
  parts.produced_at = now_;
  parts.extended_revoke = true;
  OcspSingleResponse r = single(id, OcspCertStatus::Revoked);
  r.revocation_time = from_unix(0);
  r.revocation_reason = CrlReason::CertificateHold;
  parts.responses.push_back(r);
  auto response = parse_response(respond(parts, ca_key_.get(), alg_, {}));
  ASSERT_TRUE(response);
  BasicPtr bs(::OCSP_response_get1_basic(response.get()));
  ASSERT_TRUE(bs);
  EXPECT_EQ(basic_verify(bs.get(), ca_.x509.get()), 1);
  ObjectPtr ext_oid(::OBJ_txt2obj("1.3.6.1.5.5.7.48.1.9", 1));
  int idx = ::OCSP_BASICRESP_get_ext_by_OBJ(bs.get(), ext_oid.get(), -1);
  ASSERT_GE(idx, 0);
  X509_EXTENSION* ext = ::OCSP_BASICRESP_get_ext(bs.get(), idx);
  EXPECT_EQ(::X509_EXTENSION_get_critical(ext), 0);
  EXPECT_EQ(octets(::X509_EXTENSION_get_data(ext)), kNull);
  EXPECT_EQ(::OCSP_BASICRESP_get_ext_by_NID(bs.get(), NID_id_pkix_OCSP_Nonce, -1), -1);

  OCSP_SINGLERESP* single_response = ::OCSP_resp_get0(bs.get(), 0);
  int reason = -2;
  ASN1_GENERALIZEDTIME* revtime = nullptr;
  EXPECT_EQ(::OCSP_single_get0_status(single_response, &reason, &revtime, nullptr, nullptr),
            V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
  ASSERT_NE(revtime, nullptr);
  EXPECT_EQ(octets(revtime), bytes_of("19700101000000Z"));
}

TEST(Ocsp, UnsuccessfulResponsesCarryOnlyTheStatus) {
  for (auto status : {OcspResponseStatus::MalformedRequest, OcspResponseStatus::InternalError,
                      OcspResponseStatus::TryLater, OcspResponseStatus::SigRequired,
                      OcspResponseStatus::Unauthorized}) {
    const Bytes der = encode_ocsp_error(status);
    EXPECT_EQ(der, (Bytes{0x30, 0x03, 0x0A, 0x01, static_cast<std::uint8_t>(status)}));
    auto response = parse_response(der);
    ASSERT_TRUE(response);
    EXPECT_EQ(::OCSP_response_status(response.get()), static_cast<int>(status));
    BasicPtr bs(::OCSP_response_get1_basic(response.get()));
    EXPECT_FALSE(bs);
    ::ERR_clear_error();
  }
}

TEST(Ocsp, EncodeResponseDataRefusesInvalidParts) {
  const Bytes id =
      encode_cert_id(OcspHashAlgorithm::Sha256, Bytes(32, 1), Bytes(32, 2), Bytes{0x01});
  OcspResponseParts parts;
  parts.responder_key_hash = Bytes(20, 0x11);
  parts.produced_at = from_unix(1800000000);
  OcspSingleResponse s;
  s.cert_id_der = id;
  s.this_update = from_unix(1800000000);
  s.next_update = from_unix(1800003600);
  parts.responses = {s};
  ASSERT_TRUE(encode_response_data(parts));

  OcspResponseParts p = parts;
  p.responder_key_hash.resize(19);
  EXPECT_FALSE(encode_response_data(p));
  p = parts;
  p.responses.clear();
  EXPECT_FALSE(encode_response_data(p));
  p = parts;
  p.nonce = Bytes{};
  EXPECT_FALSE(encode_response_data(p));
  p.nonce = Bytes(33, 1);
  EXPECT_FALSE(encode_response_data(p));
  p.nonce = Bytes(32, 1);
  EXPECT_TRUE(encode_response_data(p));
  p = parts;
  p.responses[0].next_update = p.responses[0].this_update;
  EXPECT_FALSE(encode_response_data(p));
  p = parts;
  const Bytes not_der = {0x30, 0x05, 0x00};
  p.responses[0].cert_id_der = not_der;
  EXPECT_FALSE(encode_response_data(p));
  p = parts;
  p.responses[0].status = OcspCertStatus::Revoked;
  p.responses[0].revocation_reason = CrlReason::RemoveFromCrl;
  EXPECT_FALSE(encode_response_data(p));
  p.responses[0].revocation_reason = static_cast<CrlReason>(7);
  EXPECT_FALSE(encode_response_data(p));
  p.responses[0].revocation_reason = CrlReason::Superseded;
  EXPECT_TRUE(encode_response_data(p));
  p.responses[0].revocation_time = from_unix(-800000000);  // 1944: outside 1950..9999
  EXPECT_FALSE(encode_response_data(p));
  p = parts;
  p.produced_at = from_unix(-800000000);
  EXPECT_FALSE(encode_response_data(p));
}

// ---- hostile requests, one case each --------------------------------------------------------

TEST(OcspRequestParser, AcceptsTheMinimalHandMadeRequest) {
  auto r = parse_ocsp_request(build({}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->cert_ids.size(), 1u);
}

TEST(OcspRequestParser, RefusesGarbage) {
  EXPECT_TRUE(refused({}));
  EXPECT_TRUE(refused(bytes_of("GET / HTTP/1.1\r\n")));
  EXPECT_TRUE(refused({0x30, 0x00}));
  EXPECT_TRUE(refused({0x30, 0x02, 0x30, 0x00}));
  EXPECT_TRUE(refused({0x04, 0x03, 0x01, 0x02, 0x03}));
  EXPECT_TRUE(refused({0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_TRUE(refused({0x3F, 0x81, 0x01, 0x00}));  // high tag number form
  std::uint64_t s = 0x243F6A8885A308D3ull;
  for (int i = 0; i < 200; ++i) {
    Bytes noise(1 + static_cast<std::size_t>(i), 0);
    for (auto& b : noise) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      b = static_cast<std::uint8_t>(s);
    }
    noise[0] = 0x30;  // at least start like a SEQUENCE
    EXPECT_TRUE(refused(noise));
  }
}

TEST_F(OcspTest, RefusesEveryTruncation) {
  Issued a = device("a"), b = device("b");
  const Bytes der =
      openssl_request({{a.x509.get(), "SHA256"}, {b.x509.get(), "SHA1"}}, Bytes(32, 7));
  ASSERT_TRUE(parse_ocsp_request(der));
  for (std::size_t n = 0; n < der.size(); ++n) {
    EXPECT_TRUE(refused(Bytes(der.begin(), der.begin() + static_cast<long>(n)))) << n;
  }
}

TEST(OcspRequestParser, RefusesTrailingBytes) {
  Bytes der = build({});
  der.push_back(0x00);
  EXPECT_TRUE(refused(der));
  der.back() = 0x05;
  der.push_back(0x00);  // a whole NULL element after the request
  EXPECT_TRUE(refused(der));
  // Trailing bytes inside: after the CertID in a Request, and after the TBSRequest fields.
  EXPECT_TRUE(refused(build({.requests = {seq({sha1_id(), kNull})}})));
  EXPECT_TRUE(
      refused(build({.requests = {single_request(seq(
                         {seq({oid("1.3.14.3.2.26"), kNull}), der::tlv(0x04, Bytes(20, 1)),
                          der::tlv(0x04, Bytes(20, 1)), der::tlv(0x02, Bytes{0x01}), kNull}))}})));
}

TEST(OcspRequestParser, RefusesTooManyEntries) {
  RequestParts p;
  p.requests.assign(8, single_request(sha1_id()));
  EXPECT_TRUE(parse_ocsp_request(build(p)));  // 8 = the default limit
  p.requests.push_back(single_request(sha1_id()));
  EXPECT_TRUE(refused(build(p)));
  p.requests.resize(2);
  EXPECT_TRUE(refused(build(p), {.max_entries = 1}));
  EXPECT_TRUE(parse_ocsp_request(build(p), {.max_entries = 2}));
  // A huge list is refused without parsing it all.
  p.requests.assign(10000, single_request(sha1_id()));
  EXPECT_TRUE(refused(build(p)));
}

TEST(OcspRequestParser, RefusesZeroEntries) {
  EXPECT_TRUE(refused(build({.requests = {}})));
  EXPECT_TRUE(
      refused(build({.requests = {}, .extensions = extensions({nonce_extension(Bytes(16, 1))})})));
}

TEST(OcspRequestParser, RefusesMd5AndOtherHashAlgorithms) {
  // MD5 (RFC 1321) 1.2.840.113549.2.5 with 16-octet hashes, and with SHA-1 lengths.
  EXPECT_TRUE(refused(
      build({.requests = {single_request(cert_id("1.2.840.113549.2.5", kNull, 16, 16, {0x01}))}})));
  EXPECT_TRUE(refused(
      build({.requests = {single_request(cert_id("1.2.840.113549.2.5", kNull, 20, 20, {0x01}))}})));
  // SHA-384 and SHA-512 are not answered either.
  EXPECT_TRUE(refused(build(
      {.requests = {single_request(cert_id("2.16.840.1.101.3.4.2.2", kNull, 48, 48, {0x01}))}})));
  EXPECT_TRUE(refused(build(
      {.requests = {single_request(cert_id("2.16.840.1.101.3.4.2.3", kNull, 64, 64, {0x01}))}})));
}

TEST(OcspRequestParser, HashParametersMustBeAbsentOrNull) {
  EXPECT_TRUE(parse_ocsp_request(
      build({.requests = {single_request(cert_id("1.3.14.3.2.26", {}, 20, 20, {0x01}))}})));
  EXPECT_TRUE(parse_ocsp_request(build(
      {.requests = {single_request(cert_id("2.16.840.1.101.3.4.2.1", {}, 32, 32, {0x01}))}})));
  EXPECT_TRUE(refused(build({.requests = {single_request(
                                 cert_id("1.3.14.3.2.26", {0x02, 0x01, 0x00}, 20, 20, {0x01}))}})));
  EXPECT_TRUE(refused(build({.requests = {single_request(
                                 cert_id("1.3.14.3.2.26", {0x05, 0x01, 0x00}, 20, 20, {0x01}))}})));
  const Bytes two_nulls = {0x05, 0x00, 0x05, 0x00};
  EXPECT_TRUE(refused(
      build({.requests = {single_request(cert_id("1.3.14.3.2.26", two_nulls, 20, 20, {0x01}))}})));
}

TEST(OcspRequestParser, RefusesWrongHashLengths) {
  EXPECT_TRUE(refused(
      build({.requests = {single_request(cert_id("1.3.14.3.2.26", kNull, 32, 32, {0x01}))}})));
  EXPECT_TRUE(refused(build(
      {.requests = {single_request(cert_id("2.16.840.1.101.3.4.2.1", kNull, 20, 20, {0x01}))}})));
  EXPECT_TRUE(refused(
      build({.requests = {single_request(cert_id("1.3.14.3.2.26", kNull, 20, 19, {0x01}))}})));
  EXPECT_TRUE(refused(build(
      {.requests = {single_request(cert_id("2.16.840.1.101.3.4.2.1", kNull, 32, 0, {0x01}))}})));
}

TEST(OcspRequestParser, NonceMustBeOneTo32Octets) {
  for (std::size_t n : {1u, 16u, 32u}) {
    auto r =
        parse_ocsp_request(build({.extensions = extensions({nonce_extension(Bytes(n, 0x42))})}));
    ASSERT_TRUE(r) << n;
    EXPECT_EQ(r->nonce, Bytes(n, 0x42));
  }
  EXPECT_TRUE(refused(build({.extensions = extensions({nonce_extension(Bytes{})})})));
  EXPECT_TRUE(refused(build({.extensions = extensions({nonce_extension(Bytes(33, 0x42))})})));
}

TEST(OcspRequestParser, RefusesNonceNotDoubleWrapped) {
  // extnValue holding the raw 16 octets instead of an OCTET STRING.
  EXPECT_TRUE(refused(
      build({.extensions = extensions({encode_extension(kNonceOid, false, Bytes(16, 0x42))})})));
  // An OCTET STRING followed by trailing bytes.
  Bytes value = der::tlv(der::tag::kOctetString, Bytes(16, 0x42));
  value.push_back(0x00);
  EXPECT_TRUE(
      refused(build({.extensions = extensions({encode_extension(kNonceOid, false, value)})})));
}

TEST(OcspRequestParser, RefusesDuplicateNonce) {
  EXPECT_TRUE(refused(build(
      {.extensions = extensions({nonce_extension(Bytes(8, 1)), nonce_extension(Bytes(8, 2))})})));
}

TEST(OcspRequestParser, AcceptsACriticalNonce) {
  auto r =
      parse_ocsp_request(build({.extensions = extensions({nonce_extension(Bytes(8, 1), true)})}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->nonce, Bytes(8, 1));
}

TEST(OcspRequestParser, RefusesUnknownCriticalExtension) {
  const Bytes unknown = encode_extension("1.3.6.1.4.1.99999.1", true, kNull);
  EXPECT_TRUE(refused(build({.extensions = extensions({unknown})})));
  EXPECT_TRUE(refused(build({.extensions = extensions({nonce_extension(Bytes(8, 1)), unknown})})));
  // id-pkix-ocsp-response (acceptable responses), known to RFC 6960 but not acted upon: critical
  // refused.
  EXPECT_TRUE(
      refused(build({.extensions = extensions({encode_extension(
                         "1.3.6.1.5.5.7.48.1.4", true, seq({oid("1.3.6.1.5.5.7.48.1.1")}))})})));
}

TEST(OcspRequestParser, IgnoresUnknownNonCriticalExtensions) {
  const Bytes unknown = encode_extension("1.3.6.1.4.1.99999.1", false, kNull);
  const Bytes acceptable =
      encode_extension("1.3.6.1.5.5.7.48.1.4", false, seq({oid("1.3.6.1.5.5.7.48.1.1")}));
  auto r = parse_ocsp_request(
      build({.extensions = extensions({unknown, nonce_extension(Bytes(4, 9)), acceptable})}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->nonce, Bytes(4, 9));
}

TEST(OcspRequestParser, SingleRequestExtensions) {
  // RFC 6960 §4.4.6 service locator (non-critical): ignored. Unknown critical: refused.
  const Bytes locator = encode_extension("1.3.6.1.5.5.7.48.1.7", false, seq({seq({})}));
  auto r =
      parse_ocsp_request(build({.requests = {single_request(sha1_id(), extensions({locator}))}}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->nonce);  // a nonce is a requestExtension, not a single one
  EXPECT_TRUE(parse_ocsp_request(build(
      {.requests = {single_request(sha1_id(), extensions({nonce_extension(Bytes(2, 2))}))}})));
  EXPECT_TRUE(refused(build(
      {.requests = {single_request(
           sha1_id(), extensions({encode_extension("1.3.6.1.4.1.99999.2", true, kNull)}))}})));
  EXPECT_TRUE(
      refused(build({.requests = {single_request(sha1_id(), seq({}))}})));  // empty Extensions
}

TEST(OcspRequestParser, RefusesMalformedExtensions) {
  // Extensions SEQUENCE SIZE (1..MAX): empty refused.
  EXPECT_TRUE(refused(build({.extensions = seq({})})));
  // critical FALSE encoded: not DER (X.690 §11.5).
  const Bytes critical_false = seq({oid("1.3.6.1.4.1.99999.1"), Bytes{0x01, 0x01, 0x00},
                                    der::tlv(der::tag::kOctetString, kNull)});
  EXPECT_TRUE(refused(build({.extensions = extensions({critical_false})})));
  // BOOLEAN that is neither 00 nor FF.
  const Bytes bad_boolean = seq({oid("1.3.6.1.4.1.99999.1"), Bytes{0x01, 0x01, 0x01},
                                 der::tlv(der::tag::kOctetString, kNull)});
  EXPECT_TRUE(refused(build({.extensions = extensions({bad_boolean})})));
  // Missing extnValue, malformed OID, two Extensions SEQUENCEs in [2].
  EXPECT_TRUE(refused(build({.extensions = extensions({seq({oid("1.3.6.1.4.1.99999.1")})})})));
  EXPECT_TRUE(refused(
      build({.extensions = extensions(
                 {seq({Bytes{0x06, 0x01, 0x80}, der::tlv(der::tag::kOctetString, kNull)})})})));
  Bytes two = extensions({nonce_extension(Bytes(4, 1))});
  const Bytes again = extensions({nonce_extension(Bytes(4, 2))});
  two.insert(two.end(), again.begin(), again.end());
  EXPECT_TRUE(refused(build({.extensions = two})));
  // More than 16 extensions in one list.
  std::vector<Bytes> many;
  for (int i = 0; i < 17; ++i) {
    many.push_back(
        encode_extension(("1.3.6.1.4.1.99999." + std::to_string(i + 1)).c_str(), false, kNull));
  }
  Bytes list;
  for (const auto& e : many) {
    list.insert(list.end(), e.begin(), e.end());
  }
  EXPECT_TRUE(refused(build({.extensions = der::tlv(der::tag::kSequence, list)})));
}

TEST(OcspRequestParser, RefusesNegativeAndZeroSerials) {
  EXPECT_TRUE(refused(build({.requests = {single_request(sha1_id({0x00}))}})));
  EXPECT_TRUE(refused(build({.requests = {single_request(sha1_id({0xFF}))}})));
  EXPECT_TRUE(refused(build({.requests = {single_request(sha1_id({0x80, 0x01}))}})));
  EXPECT_TRUE(refused(build({.requests = {single_request(sha1_id({}))}})));
  EXPECT_TRUE(
      refused(build({.requests = {single_request(sha1_id({0x00, 0x01}))}})));  // non-minimal
  // 20 magnitude octets (21 content octets with the sign octet) are fine; 21 are not.
  Bytes twenty(21, 0xFF);
  twenty[0] = 0x00;
  auto r = parse_ocsp_request(build({.requests = {single_request(sha1_id(twenty))}}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->cert_ids[0].serial, Bytes(20, 0xFF));
  EXPECT_TRUE(refused(build({.requests = {single_request(sha1_id(Bytes(21, 0x11)))}})));
}

TEST(OcspRequestParser, RefusesIndefiniteLength) {
  // The same request with the outer SEQUENCE in BER indefinite form (30 80 … 00 00).
  const Bytes der = build({});
  Bytes ber = {0x30, 0x80};
  ber.insert(ber.end(), der.begin() + 2, der.end());
  ber.insert(ber.end(), {0x00, 0x00});
  ASSERT_EQ(der[1], der.size() - 2);  // short form, so the cut above is exact
  auto outer = parse_ocsp_request(ber);
  ASSERT_FALSE(outer);
  EXPECT_NE(outer.error().message.find("indefinite"), std::string::npos) << outer.error().message;
  // And an inner one: the requestList inside definite-length TBSRequest and OCSPRequest.
  Bytes ber_list = {0x30, 0x80};
  const Bytes request = single_request(sha1_id());
  ber_list.insert(ber_list.end(), request.begin(), request.end());
  ber_list.insert(ber_list.end(), {0x00, 0x00});
  auto inner = parse_ocsp_request(seq({seq({ber_list})}));
  ASSERT_FALSE(inner);
  EXPECT_NE(inner.error().message.find("indefinite"), std::string::npos) << inner.error().message;
}

TEST(OcspRequestParser, RefusesNonMinimalLength) {
  const Bytes der = build({});
  Bytes long_form = {0x30, 0x81, der[1]};
  long_form.insert(long_form.end(), der.begin() + 2, der.end());
  EXPECT_TRUE(refused(long_form));
}

TEST(OcspRequestParser, VersionMustBeV1) {
  EXPECT_TRUE(parse_ocsp_request(build({.version = {0x02, 0x01, 0x00}})));
  EXPECT_TRUE(refused(build({.version = {0x02, 0x01, 0x01}})));
  EXPECT_TRUE(refused(build({.version = {0x02, 0x02, 0x00, 0x00}})));
  EXPECT_TRUE(refused(build({.version = {0x04, 0x01, 0x00}})));
  EXPECT_TRUE(refused(build({.version = {0x02, 0x01, 0x00, 0x05, 0x00}})));
}

TEST(OcspRequestParser, AcceptsAndIgnoresRequestorNameAndSignature) {
  // requestorName [1] EXPLICIT GeneralName: a dNSName [2].
  const Bytes requestor = der::tlv(der::tag::context(2, false), as_bytes("client.example"));
  // optionalSignature [0] EXPLICIT Signature { algorithm, BIT STRING, certs [0] … }
  const Bytes signature = seq({seq({oid("1.2.840.10045.4.3.2")}), Bytes{0x03, 0x02, 0x00, 0x00}});
  auto r = parse_ocsp_request(build({.requestor = requestor, .signature = signature}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->cert_ids.size(), 1u);
  // …but they must be well-formed: two GeneralNames, a Signature that is not a SEQUENCE.
  Bytes two_names = requestor;
  two_names.insert(two_names.end(), requestor.begin(), requestor.end());
  EXPECT_TRUE(refused(build({.requestor = two_names})));
  EXPECT_TRUE(refused(build({.signature = kNull})));
}

TEST(OcspRequestParser, RefusesFieldsOutOfOrder) {
  // requestExtensions before requestList, and version after requestorName.
  Bytes tbs = der::tlv(der::tag::context(2, true), extensions({nonce_extension(Bytes(4, 1))}));
  const Bytes list = seq({single_request(sha1_id())});
  tbs.insert(tbs.end(), list.begin(), list.end());
  EXPECT_TRUE(refused(seq({seq({tbs})})));
  Bytes tbs2 = der::tlv(der::tag::context(1, true), der::tlv(0x82, as_bytes("x")));
  der::append_tlv(tbs2, der::tag::context(0, true), Bytes{0x02, 0x01, 0x00});
  tbs2.insert(tbs2.end(), list.begin(), list.end());
  EXPECT_TRUE(refused(seq({seq({tbs2})})));
}

}  // namespace
}  // namespace fleetpki::pki
