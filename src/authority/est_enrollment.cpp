// EST enrollment (RFC 7030 as corrected by RFC 8951, issue #5): endpoint resolution and its
// cached runtime, device authentication (IDevID chain, one-time password, current LDevID), CSR
// linking to the TLS session, the endpoint's device policy, held enrollments and issuance through
// the Authority. ADR 0013 records the design.
#include "authority/est_enrollment.h"

#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>

#include "authority/audit_event.h"
#include "authority/device_registry.h"
#include "authority/enrollment_endpoint.h"
#include "authority/idevid_verifier.h"
#include "authority/issuance_policy.h"
#include "common/check.h"
#include "pki/asn1_time.h"
#include "pki/certificate.h"
#include "pki/csr_attributes.h"
#include "pki/der.h"
#include "pki/names.h"
#include "pki/ossl/error.h"
#include "pki/ossl/ptr.h"
#include "pki/pem.h"
#include "pki/pkcs7_certs_only.h"
#include "pki/public_key.h"
#include "pki/serial_number.h"

namespace fleetpki::authority {
namespace {

namespace ossl = pki::ossl;

// ---- OIDs of /csrattrs (RFC 7030 §4.5.2; RFC 2985; RFC 5480; RFC 5758; RFC 8410) ---------------
constexpr const char* kChallengePasswordOid = "1.2.840.113549.1.9.7";
constexpr const char* kExtensionRequestOid = "1.2.840.113549.1.9.14";
constexpr const char* kSubjectAltNameOid = "2.5.29.17";
constexpr const char* kEcPublicKeyOid = "1.2.840.10045.2.1";
constexpr const char* kP256Oid = "1.2.840.10045.3.1.7";
constexpr const char* kP384Oid = "1.3.132.0.34";
constexpr const char* kEcdsaSha256Oid = "1.2.840.10045.4.3.2";
constexpr const char* kEcdsaSha384Oid = "1.2.840.10045.4.3.3";
constexpr const char* kEd25519Oid = "1.3.101.112";
constexpr const char* kRsaEncryptionOid = "1.2.840.113549.1.1.1";
constexpr const char* kSha256WithRsaOid = "1.2.840.113549.1.1.11";

// The subject attribute names a profile may use (profile.cpp) and their X.520 OIDs.
std::optional<std::string> attribute_oid(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kNames{{
      {"CN", "2.5.4.3"},
      {"serialNumber", "2.5.4.5"},
      {"C", "2.5.4.6"},
      {"L", "2.5.4.7"},
      {"ST", "2.5.4.8"},
      {"O", "2.5.4.10"},
      {"OU", "2.5.4.11"},
  }};
  for (const auto& [short_name, oid] : kNames) {
    if (short_name == name) return std::string(oid);
  }
  if (!name.empty() && name.front() >= '0' && name.front() <= '2')
    return std::string(name);  // dotted
  return std::nullopt;
}

Bytes sha256(const pki::CryptoContext& ctx, std::initializer_list<ByteView> parts) {
  ossl::Ptr<EVP_MD_CTX> md(::EVP_MD_CTX_new());
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  bool good = md && ::EVP_DigestInit_ex2(md.get(), ctx.sha256(), nullptr) == 1;
  for (ByteView part : parts)
    good = good && ::EVP_DigestUpdate(md.get(), part.data(), part.size()) == 1;
  good = good && ::EVP_DigestFinal_ex(md.get(), out.data(), &len) == 1;
  FLEETPKI_CHECK(good && len == 32, "SHA-256 is always available");
  out.resize(len);
  return out;
}

std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                  static_cast<int>(data.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

tl::unexpected<Error> label_not_found(std::string_view label) {
  return fail(Errc::NotFound, "EST label '" + std::string(label.substr(0, 63)) + "' not found");
}

bool equal_bytes(ByteView a, ByteView b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

/// Same name: the same DER, or the same attributes (type and value) in the same order, whatever
/// the string types (a client rebuilding the subject may pick UTF8String where we wrote another).
bool same_subject(const pki::Csr& csr, const pki::Certificate& cert) {
  if (equal_bytes(csr.subject_der(), cert.subject_der())) return true;
  auto theirs = pki::decode_name(cert.subject_der());
  if (!theirs || theirs->size() != csr.subject().size()) return false;
  for (std::size_t i = 0; i < theirs->size(); ++i) {
    if ((*theirs)[i].oid != csr.subject()[i].oid || (*theirs)[i].value != csr.subject()[i].value)
      return false;
  }
  return true;
}

bool same_names(const std::vector<pki::GeneralName>& a, const std::vector<pki::GeneralName>& b) {
  if (a.size() != b.size()) return false;
  std::vector<Bytes> x, y;
  for (const auto& n : a) x.push_back(n.der);
  for (const auto& n : b) y.push_back(n.der);
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  return x == y;
}

/// The key serverkeygen makes for a profile key type ("ec-p256", "rsa-3072", …).
Result<ossl::Ptr<EVP_PKEY>> generate_key(const pki::CryptoContext& ctx, std::string_view type) {
  EVP_PKEY* key = nullptr;
  if (type == "ec-p256") {
    key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "EC", "P-256");
  } else if (type == "ec-p384") {
    key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "EC", "P-384");
  } else if (type == "ed25519") {
    key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "ED25519");
  } else if (type == "rsa-2048" || type == "rsa-3072" || type == "rsa-4096") {
    const std::size_t bits = type == "rsa-2048" ? 2048 : type == "rsa-3072" ? 3072 : 4096;
    key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), "RSA", bits);
  } else {
    return fail(Errc::FailedPrecondition,
                "server key generation does not support key type '" + std::string(type) + "'");
  }
  if (key == nullptr) return fail(ossl::last_error("EVP_PKEY_Q_keygen"));
  return ossl::Ptr<EVP_PKEY>(key);
}

/// RFC 7030 §4.4.2: the private key as PKCS#8 PrivateKeyInfo (RFC 5958), DER.
Result<SecureBytes> private_key_info(const pki::CryptoContext& ctx, EVP_PKEY* key) {
  ossl::Ptr<OSSL_ENCODER_CTX> enc(
      ::OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", ctx.propq()));
  if (!enc || ::OSSL_ENCODER_CTX_get_num_encoders(enc.get()) == 0) {
    return fail(ossl::last_error("OSSL_ENCODER_CTX_new_for_pkey"));
  }
  unsigned char* data = nullptr;
  std::size_t len = 0;
  if (::OSSL_ENCODER_to_data(enc.get(), &data, &len) != 1)
    return fail(ossl::last_error("OSSL_ENCODER_to_data"));
  SecureBytes out(ByteView(data, len));
  ::OPENSSL_clear_free(data, len);
  return out;
}

Result<Bytes> public_key_info(EVP_PKEY* key) {
  unsigned char* data = nullptr;
  const int len = ::i2d_PUBKEY(key, &data);
  if (len <= 0) return fail(ossl::last_error("i2d_PUBKEY"));
  Bytes out(data, data + len);
  ::OPENSSL_free(data);
  return out;
}

}  // namespace

// ---- the cached runtime of one endpoint ---------------------------------------------------------

struct EndpointRuntime {
  store::EnrollmentEndpointRecord record;
  EndpointSpec spec;
  std::shared_ptr<const TenantRuntime> tenant;
  std::shared_ptr<const ProfileRuntime> profile;  // the endpoint's profile in force (maybe retired)
  std::shared_ptr<const IdevidVerifier> verifier;
  /// The tenant CAs under a trusted CA (or trusted themselves), each with its path of CAs up to
  /// the trusted one: their certificates are recognized by the store (see recognize_own).
  struct OwnCa {
    std::shared_ptr<const CaRuntime> ca;
    std::vector<std::shared_ptr<const CaRuntime>> path;  // ca, then its parents, up to the anchor
    std::shared_ptr<EVP_PKEY> key;  // the CA's verification key (read-only, shared by threads)
  };
  std::vector<OwnCa> own_cas;
  Bytes cacerts;   // certs-only PKCS#7 of the profile CA's chain
  Bytes csrattrs;  // CsrAttrs DER
  // Allowed manufacturing CAs per device type, read on first use: device types are never changed
  // after creation (DeviceRegistry has no update), and invalidate() drops the whole runtime.
  mutable std::mutex types_mutex;
  mutable std::map<std::string, std::vector<std::string>, std::less<>> allowed_cas_by_type;

  const std::string& tenant_name() const { return tenant->tenant.name; }
  std::int64_t tenant_id() const { return tenant->tenant.id; }
};

namespace {

/// Who authenticated, and how.
struct DeviceAuth {
  EstAuthMode mode = EstAuthMode::Idevid;
  std::string serial;    // the device serial the credential names
  std::string identity;  // idevid: hex SHA-256 of the IDevID; otp: the serial
  std::optional<std::int64_t> otp_id;
  std::shared_ptr<const CaRuntime> idevid_issuer;  // the tenant CA that signed the IDevID, if any
};

enum class Decision { Issue, Hold };

Principal device_principal(const EndpointRuntime& rt, std::string_view serial) {
  return Principal{"device:" + std::string(serial), rt.tenant_id(), Role::Enrollment};
}

CallContext with_details(const CallContext& call, const EndpointRuntime& rt, EstAuthMode mode,
                         const std::string* idevid_hash) {
  CallContext out = call;
  out.audit_details.emplace_back("est_endpoint", rt.record.label);
  out.audit_details.emplace_back("est_auth", std::string(est_auth_mode_name(mode)));
  if (idevid_hash != nullptr) out.audit_details.emplace_back("idevid", *idevid_hash);
  return out;
}

/// RFC 7030 §3.5 (tls-unique, RFC 5929) and RFC 9266 (tls-exporter on TLS 1.3): the CSR's
/// challengePassword carries base64 of the connection's channel binding.
Status check_linking(EstLinking linking, const EstClient& client, const pki::Csr& csr) {
  if (linking == EstLinking::Off) return ok();
  if (linking == EstLinking::Required && client.channel_binding.empty()) {
    return fail(Errc::InvalidArgument,
                "this endpoint requires CSRs linked to the TLS session, and this "
                "connection has no channel binding");
  }
  const auto& password = csr.challenge_password();
  if (!password) {
    if (linking == EstLinking::Optional) return ok();
    return fail(Errc::InvalidArgument,
                "the CSR must carry the TLS channel binding (base64 of tls-unique on "
                "TLS 1.2, tls-exporter on TLS 1.3) in challengePassword");
  }
  const std::string expected = base64(client.channel_binding);
  if (client.channel_binding.empty() ||
      !constant_time_equal(as_bytes(expected), as_bytes(*password))) {
    return fail(Errc::InvalidArgument, "CSR not linked to this TLS session");
  }
  return ok();
}

Result<Bytes> build_csrattrs(const Profile& profile, EstLinking linking) {
  std::vector<pki::CsrAttrOrOid> items;
  if (linking != EstLinking::Off) items.push_back(pki::CsrAttrOrOid::bare(kChallengePasswordOid));
  std::optional<std::string> signature_oid;
  if (!profile.key_types.empty()) {
    const std::string& type = profile.key_types.front();
    if (type == "ec-p256" || type == "ec-p384") {
      FLEETPKI_TRY(auto attr, pki::csr_attribute_of_oids(
                                  kEcPublicKeyOid, {type == "ec-p256" ? kP256Oid : kP384Oid}));
      items.push_back(std::move(attr));
      signature_oid = type == "ec-p256" ? kEcdsaSha256Oid : kEcdsaSha384Oid;
    } else if (type == "ed25519") {
      items.push_back(pki::CsrAttrOrOid::bare(kEd25519Oid));
    } else if (type.rfind("rsa-", 0) == 0) {
      items.push_back(pki::CsrAttrOrOid::bare(kRsaEncryptionOid));
      signature_oid = kSha256WithRsaOid;
    }
  }
  for (const SubjectAttributeRule& rule : profile.subject) {
    if (rule.source != SubjectSource::Csr || !rule.required) continue;
    if (auto oid = attribute_oid(rule.attribute)) items.push_back(pki::CsrAttrOrOid::bare(*oid));
  }
  if (profile.san.required) {
    FLEETPKI_TRY(auto attr, pki::csr_attribute_of_oids(kExtensionRequestOid, {kSubjectAltNameOid}));
    items.push_back(std::move(attr));
  }
  if (signature_oid) items.push_back(pki::CsrAttrOrOid::bare(*signature_oid));
  return pki::encode_csr_attrs(items);
}

/// IEEE 802.1AR: the device serial of a birth certificate, as IdevidVerifier reads it: the
/// subject's single serialNumber (2.5.4.5), else the hwSerialNum of a hardwareModuleName otherName
/// SAN (RFC 4108 §5). Two serialNumber attributes name no device ("").
std::optional<std::string> device_serial_of(const pki::Certificate& cert) {
  auto subject = pki::decode_name(cert.subject_der());
  if (!subject) return std::nullopt;
  std::optional<std::string> serial;
  for (const auto& attr : *subject) {
    if (attr.oid != "2.5.4.5") continue;
    if (serial) return std::string();
    serial = attr.value;
  }
  if (serial) return serial;
  for (const auto& name : cert.subject_alt_names()) {
    if (name.type != pki::GeneralNameType::OtherName || name.value != pki::kHardwareModuleNameOid)
      continue;
    // [0] { type-id OID, [0] EXPLICIT HardwareModuleName { hwType OID, hwSerialNum OCTET STRING } }
    auto other = pki::der::parse_single(name.der, pki::der::tag::context(0, true));
    if (!other) continue;
    pki::der::Reader r(other->content);
    auto type_id = r.expect(pki::der::tag::kOid);
    auto value = r.expect(pki::der::tag::context(0, true));
    if (!type_id || !value || !r.empty()) continue;
    auto module = pki::der::parse_single(value->content, pki::der::tag::kSequence);
    if (!module) continue;
    pki::der::Reader m(module->content);
    auto hw_type = m.expect(pki::der::tag::kOid);
    auto hw_serial = m.expect(pki::der::tag::kOctetString);
    if (!hw_type || !hw_serial || !m.empty()) continue;
    return std::string(as_chars(hw_serial->content));
  }
  return std::nullopt;
}

}  // namespace

struct EstEnrollment::Impl {
  explicit Impl(Authority& a) : authority(a) {}

  Authority& authority;
  std::shared_mutex mutex;
  std::map<std::string, std::shared_ptr<const EndpointRuntime>, std::less<>> endpoints;
  std::uint64_t generation = 0;  // bumped by invalidate (under `mutex`)

  store::Store& store() { return authority.store(); }
  const pki::CryptoContext& crypto() const { return authority.crypto(); }
  std::int64_t now() const { return to_unix(authority.clock().now()); }

  // ---- endpoint resolution ----------------------------------------------------------------------

  Result<std::shared_ptr<const EndpointRuntime>> resolve(std::string_view label_in) {
    const std::string_view label =
        label_in.empty() ? std::string_view(kDefaultEnrollmentLabel) : label_in;
    std::shared_ptr<const EndpointRuntime> cached;
    std::uint64_t generation_seen = 0;
    {
      std::shared_lock lock(mutex);
      generation_seen = generation;
      if (auto it = endpoints.find(label); it != endpoints.end()) cached = it->second;
    }
    if (cached) {
      // The tenant's runtime (CAs, profiles) is cached by the Authority, which replaces it when
      // they change: a different pointer means our trust store and profile may be stale.
      auto tenant = authority.tenant_runtime(cached->tenant_name());
      if (!tenant) {
        if (tenant.error().code == Errc::NotFound) return label_not_found(label);
        return fail(tenant.error());
      }
      if (tenant->get() == cached->tenant.get()) return cached;
    }
    FLEETPKI_TRY(auto built, build(label));
    std::unique_lock lock(mutex);
    // An invalidation while building means the build may have read old data: use it for this call
    // only.
    if (generation == generation_seen) endpoints[std::string(label)] = built;
    return built;
  }

  Result<std::shared_ptr<const EndpointRuntime>> build(std::string_view label) {
    FLEETPKI_TRY(auto record, store().find_enrollment_endpoint(label));
    if (!record || record->disabled) return label_not_found(label);
    FLEETPKI_TRY(auto tenant_record, store().find_tenant_by_id(record->tenant_id));
    if (!tenant_record || tenant_record->disabled) return label_not_found(label);
    auto tenant = authority.tenant_runtime(tenant_record->name);
    if (!tenant) {
      if (tenant.error().code == Errc::NotFound) return label_not_found(label);
      return fail(tenant.error());
    }
    auto spec = EndpointSpec::from_json(record->definition_json);
    if (!spec) {
      return fail(Errc::Internal,
                  "EST endpoint '" + std::string(label) + "' has an unreadable definition",
                  spec.error().message);
    }
    auto rt = std::make_shared<EndpointRuntime>();
    rt->record = std::move(*record);
    rt->spec = std::move(*spec);
    rt->tenant = *tenant;
    auto profile = rt->tenant->profiles.find(rt->spec.profile);
    if (profile == rt->tenant->profiles.end()) {
      return fail(Errc::FailedPrecondition, "EST endpoint '" + std::string(label) +
                                                "' names the missing profile '" + rt->spec.profile +
                                                "'");
    }
    rt->profile = profile->second;

    DeviceTrust trust;
    for (const std::string& name : rt->spec.trusted_cas) {
      if (auto ca = rt->tenant->cas.find(name); ca != rt->tenant->cas.end()) {
        trust.anchors.push_back(ca->second->certificate->der());
      }
    }
    if (!rt->spec.trust_anchors_pem.empty()) {
      auto anchors = pki::pem_decode_all(rt->spec.trust_anchors_pem, "CERTIFICATE");
      if (!anchors) {
        return fail(Errc::Internal,
                    "EST endpoint '" + std::string(label) + "' has unreadable trust anchors",
                    anchors.error().message);
      }
      trust.anchors.insert(trust.anchors.end(), anchors->begin(), anchors->end());
    }
    for (const auto& [name, ca] : rt->tenant->cas) {
      trust.tenant_cas.push_back(ca);
      if (ca->record.external_chain_pem) {
        if (auto chain = pki::pem_decode_all(*ca->record.external_chain_pem, "CERTIFICATE")) {
          trust.intermediates.insert(trust.intermediates.end(), chain->begin(), chain->end());
        }
      }
    }
    if (!rt->spec.trust_anchors_pem.empty()) {
      FLEETPKI_TRY(auto crls, store().list_endpoint_crls(rt->record.tenant_id, rt->record.id));
      for (auto& crl : crls) trust.outside_crls.push_back(std::move(crl.crl_der));
      trust.outside_crl_required = rt->spec.outside_crl == EstOutsideCrl::Required;
    }
    FLEETPKI_TRY(rt->verifier, IdevidVerifier::create(crypto(), trust));
    std::map<std::int64_t, std::shared_ptr<const CaRuntime>> by_id;
    for (const auto& [name, ca] : rt->tenant->cas) by_id[ca->record.id] = ca;
    for (const auto& [name, ca] : rt->tenant->cas) {
      auto key = pki::make_verification_key(crypto(), ca->certificate->public_key());
      if (!key)
        continue;  // a CA key type we do not verify with: its certificates take the full path
      EndpointRuntime::OwnCa own{
          ca, {}, std::shared_ptr<EVP_PKEY>(key->release(), ::EVP_PKEY_free)};
      for (auto cur = ca; cur && own.path.size() < 8;) {
        own.path.push_back(cur);
        const auto& trusted = rt->spec.trusted_cas;
        if (std::find(trusted.begin(), trusted.end(), cur->record.name) != trusted.end()) {
          rt->own_cas.push_back(std::move(own));
          break;
        }
        auto parent = cur->record.parent_id ? by_id.find(*cur->record.parent_id) : by_id.end();
        cur = parent == by_id.end() ? nullptr : parent->second;
      }
    }

    if (rt->profile->ca) {
      FLEETPKI_TRY(auto chain, pki::pem_decode_all(rt->profile->ca->chain_pem, "CERTIFICATE"));
      rt->cacerts = pki::encode_certs_only(chain);
    }
    FLEETPKI_TRY(rt->csrattrs, build_csrattrs(rt->profile->profile, rt->spec.linking));
    return std::shared_ptr<const EndpointRuntime>(std::move(rt));
  }

  // ---- authentication ---------------------------------------------------------------------------

  /// simpleenroll / serverkeygen: the IDevID as TLS client certificate, else HTTP Basic with an
  /// OTP.
  Result<DeviceAuth> authenticate_enroll(const EndpointRuntime& rt, const EstClient& client) {
    if (!client.certificate_chain.empty() && rt.spec.allows(EstAuthMode::Idevid)) {
      return authenticate_idevid(rt, client);
    }
    if (client.basic_user && rt.spec.allows(EstAuthMode::Otp)) return authenticate_otp(rt, client);
    std::string accepted;
    if (rt.spec.allows(EstAuthMode::Idevid))
      accepted = "a birth certificate (TLS client certificate)";
    if (rt.spec.allows(EstAuthMode::Otp)) {
      accepted += std::string(accepted.empty() ? "" : " or ") +
                  "HTTP Basic with the device serial and a one-time password";
    }
    if (accepted.empty())
      return fail(Errc::Unauthenticated, "this endpoint accepts no enrollment credential");
    return fail(Errc::Unauthenticated, "authenticate with " + accepted);
  }

  /// A birth certificate this platform issued, as the store knows it.
  struct OwnIdevid {
    store::CertificateRecord record;
    std::shared_ptr<const CaRuntime> ca;
    std::optional<std::string> device_serial;
  };

  /// The hot path of zero-touch onboarding: a birth certificate of one of our CAs, checked with
  /// our own parser instead of OpenSSL's (d2i_X509 builds the key's EC group: ~0.5 ms per P-256
  /// certificate in 3.0, more than the rest of the check). Accepted only when the store holds
  /// exactly this DER under a CA the endpoint trusts (or one under a trusted CA), the CA's
  /// signature verifies, the leaf is no CA, and the leaf and every CA up to the anchor are within
  /// their validity at `at`: what path validation checks for a path of our own CA certificates
  /// (their CA flags, key usages and name constraints are ours by construction). nullopt (not an
  /// error) for anything else: the caller then runs the full X509_verify_cert path, whose verdict
  /// and messages stay the reference.
  Result<std::optional<OwnIdevid>> recognize_own(const EndpointRuntime& rt, const Bytes& der,
                                                 TimePoint at) {
    if (rt.own_cas.empty()) return std::optional<OwnIdevid>();
    auto leaf = pki::Certificate::from_der(crypto(), der);
    if (!leaf || leaf->is_ca()) return std::optional<OwnIdevid>();
    const std::string serial_hex = pki::serial_to_hex(leaf->serial());
    for (const auto& own : rt.own_cas) {
      if (!equal_bytes(own.ca->certificate->subject_der(), leaf->issuer_der())) continue;
      FLEETPKI_TRY(auto record, store().find_certificate_by_ca(own.ca->record.id, serial_hex));
      if (!record || !equal_bytes(record->der, der)) continue;
      // The CA's signature, so that a row written into the store without the CA key is no
      // birth certificate.
      auto envelope = pki::der::parse_signed_envelope(der, "Certificate");
      if (!envelope) return std::optional<OwnIdevid>();
      auto algorithm = pki::parse_signature_algorithm(envelope->algorithm.encoded);
      auto signature = pki::der::bit_string_octets(envelope->signature.content);
      if (!algorithm || !signature) return std::optional<OwnIdevid>();
      auto good = pki::verify_signature(crypto(), own.key.get(), *algorithm,
                                        envelope->to_be_signed.encoded, *signature);
      if (!good || !*good) return std::optional<OwnIdevid>();
      auto valid_at = [at](const pki::Certificate& c) {
        return c.not_before() <= at && at <= c.not_after();
      };
      if (!valid_at(*leaf)) return std::optional<OwnIdevid>();
      for (const auto& ca : own.path) {
        if (!valid_at(*ca->certificate)) return std::optional<OwnIdevid>();
      }
      return std::optional<OwnIdevid>(
          OwnIdevid{std::move(*record), own.ca, device_serial_of(*leaf)});
    }
    return std::optional<OwnIdevid>();
  }

  Result<DeviceAuth> authenticate_idevid(const EndpointRuntime& rt, const EstClient& client) {
    if (client.certificate_chain.size() > IdevidVerifier::kMaxChain) {
      return fail(Errc::Unauthenticated, "the client certificate chain is too long");
    }
    const TimePoint at = authority.clock().now();
    const Bytes& leaf_der = client.certificate_chain.front();
    std::optional<std::string> device_serial;
    std::shared_ptr<const CaRuntime> issuer;
    std::optional<store::CertificateRecord> record;
    FLEETPKI_TRY(auto own, recognize_own(rt, leaf_der, at));
    if (own) {
      device_serial = std::move(own->device_serial);
      issuer = std::move(own->ca);
      record = std::move(own->record);
    } else {
      FLEETPKI_TRY(auto verified, rt.verifier->verify(client.certificate_chain, at));
      device_serial = std::move(verified.device_serial);
      issuer = std::move(verified.issuing_ca);
      if (issuer) {
        FLEETPKI_TRY(record,
                     store().find_certificate_by_ca(issuer->record.id, verified.serial_hex));
        if (!record || !equal_bytes(record->der, verified.der)) {
          return fail(Errc::Unauthenticated,
                      "the birth certificate is not one this platform issued");
        }
      }
    }
    if (!device_serial || !is_valid_device_serial(*device_serial)) {
      return fail(Errc::Unauthenticated,
                  "the client certificate names no device serial (subject serialNumber or "
                  "hardwareModuleName)");
    }
    if (record) {
      // Our own IDevIDs are checked live against the store: revocation and suspension apply on the
      // next request, without waiting for a CRL.
      if (record->status != store::kStatusValid) {
        return fail(Errc::PermissionDenied, "the birth certificate is " + record->status);
      }
      // An endpoint trusting a CA above its own issuing CA (e.g. the root) would otherwise take
      // its operational certificates for birth certificates, and let a device enroll afresh at
      // any time instead of re-enrolling under the renewal window and identity rules.
      if (record->profile == rt.spec.profile) {
        return fail(Errc::PermissionDenied,
                    "an operational certificate re-enrolls (simplereenroll); it is no "
                    "birth certificate");
      }
    }
    DeviceAuth auth;
    auth.mode = EstAuthMode::Idevid;
    auth.serial = std::move(*device_serial);
    auth.identity = to_hex(sha256(crypto(), {leaf_der}));
    auth.idevid_issuer = std::move(issuer);
    return auth;
  }

  Result<DeviceAuth> authenticate_otp(const EndpointRuntime& rt, const EstClient& client) {
    const std::string& user = *client.basic_user;
    const std::string password = client.basic_password.value_or("");
    const Bytes presented = sha256(crypto(), {as_bytes(password)});
    std::vector<store::EnrollmentOtpRecord> candidates;
    if (is_valid_device_serial(user)) {
      const std::int64_t at = now();
      FLEETPKI_RETURN_IF_ERROR(store().write([&](store::Transaction& tx) -> Status {
        FLEETPKI_TRY(candidates, tx.find_usable_enrollment_otps(rt.tenant_id(), user, at));
        return ok();
      }));
    }
    // Compare with every candidate (and a dummy when there is none) in constant time, so that the
    // time taken tells nothing about which or how many OTPs exist.
    static const Bytes kNoHash(32, 0);
    std::optional<std::int64_t> match;
    const std::size_t rounds = std::max<std::size_t>(candidates.size(), 1);
    for (std::size_t i = 0; i < rounds; ++i) {
      const Bytes& stored = i < candidates.size() ? candidates[i].secret_hash : kNoHash;
      const bool equal = stored.size() == presented.size() &&
                         ::CRYPTO_memcmp(stored.data(), presented.data(), presented.size()) == 0;
      if (equal && i < candidates.size() && !match) match = candidates[i].id;
    }
    if (!match) return fail(Errc::Unauthenticated, "invalid device serial or one-time password");
    DeviceAuth auth;
    auth.mode = EstAuthMode::Otp;
    auth.serial = user;
    auth.identity = user;
    auth.otp_id = match;
    return auth;
  }

  // ---- device policy ----------------------------------------------------------------------------

  Result<std::vector<std::string>> allowed_manufacturing_cas(const EndpointRuntime& rt,
                                                             const std::string& type) {
    {
      std::lock_guard lock(rt.types_mutex);
      if (auto it = rt.allowed_cas_by_type.find(type); it != rt.allowed_cas_by_type.end())
        return it->second;
    }
    FLEETPKI_TRY(auto record, store().find_device_type(rt.tenant_id(), type));
    std::vector<std::string> allowed;
    if (record) {
      auto json = nlohmann::json::parse(record->allowed_manufacturing_cas_json, nullptr, false);
      if (!json.is_array())
        return fail(Errc::DataLoss, "device type '" + type + "' has unreadable manufacturing CAs");
      for (const auto& name : json) {
        if (name.is_string()) allowed.push_back(name.get<std::string>());
      }
    }
    std::lock_guard lock(rt.types_mutex);
    rt.allowed_cas_by_type.emplace(type, allowed);
    return allowed;
  }

  /// The endpoint's policy for the authenticated device: issue now, hold for an operator, or
  /// refuse.
  Result<Decision> decide(const EndpointRuntime& rt, const DeviceAuth& auth,
                          std::optional<store::DeviceRecord>& device) {
    FLEETPKI_TRY(device, store().find_device(rt.tenant_id(), auth.serial));
    if (!device) {
      if (rt.spec.unknown_devices == EstUnknownDevices::Reject) {
        return fail(Errc::PermissionDenied, "device " + auth.serial + " is not registered");
      }
      return Decision::Hold;
    }
    const std::string& state = device->state;
    if (state != store::kDeviceRegistered && state != store::kDeviceProvisioned &&
        state != store::kDeviceActive) {
      return fail(Errc::PermissionDenied, "device " + auth.serial + " is " + state);
    }
    if (rt.spec.device_type && device->type != *rt.spec.device_type) {
      return fail(Errc::PermissionDenied, "device " + auth.serial + " is of type '" + device->type +
                                              "'; this endpoint enrolls '" + *rt.spec.device_type +
                                              "' devices");
    }
    if (auth.mode == EstAuthMode::Idevid) {
      FLEETPKI_TRY(auto allowed, allowed_manufacturing_cas(rt, device->type));
      if (!allowed.empty() &&
          (!auth.idevid_issuer || std::find(allowed.begin(), allowed.end(),
                                            auth.idevid_issuer->record.name) == allowed.end())) {
        return fail(Errc::PermissionDenied,
                    "device type '" + device->type +
                        "' does not accept birth certificates of this manufacturing CA");
      }
    }
    return rt.spec.approval == EstApproval::Manual ? Decision::Hold : Decision::Issue;
  }

  /// What issuance would refuse, checked before a request is held or an OTP is spent.
  Status precheck(const EndpointRuntime& rt, const pki::Csr& csr, const pki::PublicKeyInfo& key,
                  const std::string& serial, const std::optional<store::DeviceRecord>& device) {
    const ProfileRuntime& profile = *rt.profile;
    if (profile.retired) {
      return fail(Errc::FailedPrecondition, "profile '" + profile.profile.name +
                                                "' is retired: it issues no new certificates");
    }
    FLEETPKI_RETURN_IF_ERROR(profile.profile.check_key_type(key.type, key.bits));
    for (const auto& attr : csr.subject()) {
      if (attr.short_name == "serialNumber" && attr.value != serial) {
        return fail(Errc::InvalidArgument,
                    "the CSR's subject serialNumber differs from the device serial " + serial);
      }
    }
    const DeviceContext context{
        serial, device ? device->type : rt.spec.device_type.value_or(kDefaultDeviceType)};
    FLEETPKI_RETURN_IF_ERROR(decide_subject(profile.profile, csr, &context));
    return ok();
  }

  // ---- held enrollments -------------------------------------------------------------------------

  std::string request_key(const EndpointRuntime& rt, const DeviceAuth& auth, ByteView csr_der) {
    // Length-prefixed fields, so that no two different tuples hash the same input.
    const std::string endpoint = std::to_string(rt.record.id);
    const std::string_view mode = est_auth_mode_name(auth.mode);
    std::string prefix;
    auto field = [&](ByteView value) {
      const std::uint64_t n = value.size();
      for (int shift = 56; shift >= 0; shift -= 8)
        prefix.push_back(static_cast<char>((n >> shift) & 0xFF));
      prefix.append(as_chars(value));
    };
    field(as_bytes(endpoint));
    field(as_bytes(mode));
    field(as_bytes(auth.identity));
    const std::uint64_t n = csr_der.size();
    for (int shift = 56; shift >= 0; shift -= 8)
      prefix.push_back(static_cast<char>((n >> shift) & 0xFF));
    return to_hex(sha256(crypto(), {as_bytes(prefix), csr_der}));
  }

  /// A held request seen again: still pending, issued (its certificate), or rejected.
  Result<EstResult> resume(const EndpointRuntime& rt, const DeviceAuth& auth,
                           const store::EnrollmentRequestRecord& request) {
    if (request.tenant_id != rt.tenant_id())
      return fail(Errc::Internal, "enrollment request of another tenant");
    if (request.state == store::kEnrollmentPending) {
      EstResult pending;
      pending.pending = true;
      pending.retry_after_seconds = rt.spec.retry_after_seconds;
      return pending;
    }
    if (request.state == store::kEnrollmentRejected) {
      return fail(Errc::PermissionDenied,
                  "the enrollment was rejected" + (request.reason && !request.reason->empty()
                                                       ? ": " + *request.reason
                                                       : std::string()));
    }
    if (request.state != store::kEnrollmentIssued || !request.certificate_serial) {
      return fail(Errc::Internal, "enrollment request " + std::to_string(request.id) +
                                      " is in state " + request.state);
    }
    FLEETPKI_TRY(auto cert, store().find_certificate(rt.tenant_id(), *request.certificate_serial));
    if (!cert)
      return fail(Errc::Internal, "the certificate of enrollment request " +
                                      std::to_string(request.id) + " is missing");
    if (cert->status != store::kStatusValid) {
      return fail(Errc::PermissionDenied,
                  "the certificate issued for this enrollment is " + cert->status);
    }
    if (auth.otp_id) {
      FLEETPKI_RETURN_IF_ERROR(spend_otp(rt, *auth.otp_id, /*already_ok=*/true));
    }
    EstResult out;
    out.certificate_der = cert->der;
    out.serial_hex = cert->serial_hex;
    return out;
  }

  Result<EstResult> hold(const EndpointRuntime& rt, const DeviceAuth& auth, const pki::Csr& csr,
                         const CallContext& call) {
    const std::string key = request_key(rt, auth, csr.der());
    FLEETPKI_TRY(auto existing, store().find_enrollment_request_by_key(key));
    if (existing) return resume(rt, auth, *existing);

    store::EnrollmentRequestRecord request;
    request.tenant_id = rt.tenant_id();
    request.endpoint_id = rt.record.id;
    request.request_key = key;
    request.device_serial = auth.serial;
    request.auth_mode = std::string(est_auth_mode_name(auth.mode));
    request.identity = auth.identity;
    request.csr_der = csr.der();
    request.state = store::kEnrollmentPending;
    request.created_at = now();
    const Principal who = device_principal(rt, auth.serial);
    Status stored = store().write([&](store::Transaction& tx) -> Status {
      FLEETPKI_TRY(request.id, tx.insert_enrollment_request(request));
      return tx.append_audit(
          make_audit_event(who, rt.tenant_id(), "enrollment.hold", auth.serial, call,
                           {{"request", request.id}, {"device", auth.serial}}, request.created_at));
    });
    if (!stored && stored.error().code == Errc::AlreadyExists) {
      // The identical request raced us: answer as for a retry.
      FLEETPKI_TRY(auto raced, store().find_enrollment_request_by_key(key));
      if (raced) return resume(rt, auth, *raced);
    }
    if (!stored) return fail(stored.error());
    return resume(rt, auth, request);
  }

  // ---- OTP consumption --------------------------------------------------------------------------

  /// Marks the OTP used; a concurrent use of the same OTP loses (Unauthenticated) unless
  /// `already_ok` (the identical retry of a held request that another retry completed).
  Status spend_otp(const EndpointRuntime& rt, std::int64_t otp_id, bool already_ok) {
    const std::int64_t at = now();
    Status spent = store().write([&](store::Transaction& tx) -> Status {
      return tx.mark_enrollment_otp_used(rt.tenant_id(), otp_id, at);
    });
    if (!spent && spent.error().code == Errc::Aborted) {
      if (already_ok) return ok();
      return fail(Errc::Unauthenticated, "invalid device serial or one-time password");
    }
    return spent;
  }

  // ---- enroll (simpleenroll and serverkeygen) ---------------------------------------------------

  Result<EstResult> enroll(std::string_view label, const EstClient& client, ByteView csr_der,
                           const CallContext& call, bool server_keygen) {
    FLEETPKI_TRY(auto rt, resolve(label));
    if (server_keygen && !rt->spec.server_keygen) {
      return fail(Errc::PermissionDenied, "server key generation is not enabled on this endpoint");
    }
    FLEETPKI_TRY(DeviceAuth auth, authenticate_enroll(*rt, client));
    FLEETPKI_TRY(auto csr, pki::Csr::from_der(crypto(), csr_der));
    FLEETPKI_RETURN_IF_ERROR(check_linking(rt->spec.linking, client, csr));
    std::optional<store::DeviceRecord> device;
    FLEETPKI_TRY(Decision decision, decide(*rt, auth, device));
    const CallContext details = with_details(
        call, *rt, auth.mode, auth.mode == EstAuthMode::Idevid ? &auth.identity : nullptr);

    if (decision == Decision::Hold) {
      if (server_keygen)
        return fail(Errc::PermissionDenied, "server key generation needs automatic approval");
      FLEETPKI_RETURN_IF_ERROR(precheck(*rt, csr, csr.public_key(), auth.serial, device));
      return hold(*rt, auth, csr, details);
    }

    ossl::Ptr<EVP_PKEY> generated;
    std::optional<pki::PublicKeyInfo> generated_info;
    if (server_keygen) {
      const std::string type = rt->profile->profile.key_types.empty()
                                   ? "ec-p256"
                                   : rt->profile->profile.key_types.front();
      FLEETPKI_TRY(generated, generate_key(crypto(), type));
      FLEETPKI_TRY(Bytes spki, public_key_info(generated.get()));
      FLEETPKI_TRY(generated_info, pki::parse_public_key(spki));
    }
    const pki::PublicKeyInfo& key = generated_info ? *generated_info : csr.public_key();
    CallContext issuing = details;
    if (auth.otp_id) {
      // One OTP, one certificate: spent in the transaction that stores the certificate, so two
      // racing enrollments with one OTP store one certificate, and an issuance that fails (token
      // down, device suspended meanwhile) leaves the OTP usable. Checked first so that a CSR that
      // issuance refuses costs no signature.
      FLEETPKI_RETURN_IF_ERROR(precheck(*rt, csr, key, auth.serial, device));
      issuing.in_commit = [tenant_id = rt->tenant_id(), otp_id = *auth.otp_id,
                           at = now()](store::Transaction& tx) -> Status {
        Status spent = tx.mark_enrollment_otp_used(tenant_id, otp_id, at);
        if (!spent && spent.error().code == Errc::Aborted) {
          return fail(Errc::Unauthenticated, "invalid device serial or one-time password");
        }
        return spent;
      };
    }
    FLEETPKI_TRY(auto issued, authority.issue_parsed(
                                  device_principal(*rt, auth.serial), Permission::DeviceEnroll,
                                  rt->tenant_name(), rt->spec.profile, csr, auth.serial,
                                  generated_info ? &*generated_info : nullptr, issuing));
    EstResult out;
    out.certificate_der = std::move(issued.record.der);
    out.serial_hex = std::move(issued.record.serial_hex);
    if (generated) {
      FLEETPKI_TRY(out.private_key_pkcs8, private_key_info(crypto(), generated.get()));
    }
    return out;
  }

  // ---- re-enroll --------------------------------------------------------------------------------

  Result<EstResult> reenroll(std::string_view label, const EstClient& client, ByteView csr_der,
                             const CallContext& call) {
    FLEETPKI_TRY(auto rt, resolve(label));
    if (!rt->spec.allows(EstAuthMode::Ldevid)) {
      return fail(Errc::PermissionDenied, "re-enrollment is not enabled on this endpoint");
    }
    if (client.certificate_chain.empty()) {
      return fail(Errc::Unauthenticated,
                  "re-enroll with the current certificate as TLS client certificate");
    }
    // The TLS handshake proved possession of the leaf's key; that the leaf is ours is proved by
    // finding the same DER in our store (no chain verification needed).
    auto leaf = pki::Certificate::from_der(crypto(), client.certificate_chain.front());
    if (!leaf) return fail(Errc::Unauthenticated, "the client certificate cannot be read");
    const std::string serial_hex = pki::serial_to_hex(leaf->serial());
    std::optional<store::CertificateRecord> current;
    for (const auto& [name, ca] : rt->tenant->cas) {
      if (!equal_bytes(ca->certificate->subject_der(), leaf->issuer_der())) continue;
      FLEETPKI_TRY(auto found, store().find_certificate_by_ca(ca->record.id, serial_hex));
      if (found && equal_bytes(found->der, leaf->der())) {
        current = std::move(found);
        break;
      }
    }
    if (!current)
      return fail(Errc::Unauthenticated, "the client certificate is not one this endpoint issued");
    if (current->status != store::kStatusValid) {
      return fail(Errc::PermissionDenied, "the certificate is " + current->status);
    }
    const std::int64_t at = now();
    if (current->not_after != pki::kNoExpiryUnix && current->not_after <= at) {
      return fail(Errc::Unauthenticated,
                  "the certificate has expired: enroll again with the IDevID");
    }
    if (current->profile != rt->spec.profile) {
      return fail(Errc::PermissionDenied, "a certificate of profile '" + current->profile +
                                              "' cannot re-enroll here (this endpoint issues '" +
                                              rt->spec.profile + "')");
    }
    if (!current->device_serial)
      return fail(Errc::PermissionDenied, "the certificate belongs to no registered device");
    const std::string& serial = *current->device_serial;
    FLEETPKI_TRY(auto device, store().find_device(rt->tenant_id(), serial));
    if (!device) return fail(Errc::PermissionDenied, "device " + serial + " is not registered");
    if (device->state != store::kDeviceActive) {
      return fail(Errc::PermissionDenied, "device " + serial + " is " + device->state);
    }

    FLEETPKI_TRY(auto csr, pki::Csr::from_der(crypto(), csr_der));
    FLEETPKI_RETURN_IF_ERROR(check_linking(rt->spec.linking, client, csr));
    // RFC 7030 §4.2.2: the Subject and SubjectAltName of the CSR are those of the certificate.
    if (!same_subject(csr, *leaf)) {
      return fail(
          Errc::InvalidArgument,
          "the CSR's subject differs from the certificate's (re-enroll keeps the identity)");
    }
    if (!same_names(csr.requested_extensions().subject_alt_names, leaf->subject_alt_names())) {
      return fail(Errc::InvalidArgument, "the CSR's subjectAltName differs from the certificate's");
    }
    const bool rekey = !equal_bytes(csr.public_key().spki_der, leaf->public_key().spki_der);

    const Profile& profile = rt->profile->profile;
    CallContext details = with_details(call, *rt, EstAuthMode::Ldevid, nullptr);
    if (profile.renewal_window_days && current->not_after != pki::kNoExpiryUnix) {
      const std::int64_t opens =
          current->not_after - std::int64_t{*profile.renewal_window_days} * 86400;
      if (at < opens) {
        const std::string refused = "outside the renewal window (it opens " +
                                    std::to_string(*profile.renewal_window_days) +
                                    " days before the certificate expires)";
        // An operator's grant allows one early renewal. Checked before signing (a refusal costs
        // no signature), taken in the renewal's own transaction (a renewal that fails keeps it;
        // two racing renewals cannot both use one grant).
        FLEETPKI_TRY(bool granted, store().has_usable_renewal_grant(rt->tenant_id(), serial, at));
        if (!granted) return fail(Errc::PermissionDenied, refused);
        details.in_commit = [tenant_id = rt->tenant_id(), serial, at,
                             refused](store::Transaction& tx) -> Status {
          FLEETPKI_TRY(bool taken, tx.consume_renewal_grant(tenant_id, serial, at));
          return taken ? ok() : fail(Errc::PermissionDenied, refused);
        };
      }
    }
    FLEETPKI_TRY(auto issued,
                 authority.renew_or_rekey_as(device_principal(*rt, serial),
                                             Permission::DeviceEnroll, rt->tenant_name(),
                                             current->serial_hex, rekey ? &csr : nullptr, details));
    EstResult out;
    out.certificate_der = std::move(issued.record.der);
    out.serial_hex = std::move(issued.record.serial_hex);
    return out;
  }
};

EstEnrollment::EstEnrollment(Authority& authority) : impl_(std::make_unique<Impl>(authority)) {}
EstEnrollment::~EstEnrollment() = default;

Result<Bytes> EstEnrollment::cacerts(std::string_view label) {
  FLEETPKI_TRY(auto rt, impl_->resolve(label));
  if (rt->cacerts.empty()) {
    return fail(Errc::FailedPrecondition,
                "the profile '" + rt->spec.profile + "' of this endpoint is retired");
  }
  return rt->cacerts;
}

Result<Bytes> EstEnrollment::csrattrs(std::string_view label) {
  FLEETPKI_TRY(auto rt, impl_->resolve(label));
  return rt->csrattrs;
}

Result<EstResult> EstEnrollment::simpleenroll(std::string_view label, const EstClient& client,
                                              ByteView csr_der, const CallContext& call) {
  return impl_->enroll(label, client, csr_der, call, /*server_keygen=*/false);
}

Result<EstResult> EstEnrollment::simplereenroll(std::string_view label, const EstClient& client,
                                                ByteView csr_der, const CallContext& call) {
  return impl_->reenroll(label, client, csr_der, call);
}

Result<EstResult> EstEnrollment::serverkeygen(std::string_view label, const EstClient& client,
                                              ByteView csr_der, const CallContext& call) {
  return impl_->enroll(label, client, csr_der, call, /*server_keygen=*/true);
}

void EstEnrollment::invalidate(std::string_view label) {
  std::unique_lock lock(impl_->mutex);
  ++impl_->generation;
  if (label.empty()) {
    impl_->endpoints.clear();
  } else if (auto it = impl_->endpoints.find(label); it != impl_->endpoints.end()) {
    impl_->endpoints.erase(it);
  }
}

}  // namespace fleetpki::authority
