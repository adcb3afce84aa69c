#include "authority/idevid_verifier.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <iterator>

#include "authority/outside_crl.h"
#include "pki/der.h"
#include "pki/names.h"
#include "pki/ossl/error.h"
#include "pki/ossl/ptr.h"
#include "pki/serial_number.h"

namespace fleetpki::authority {
namespace {

namespace ossl = pki::ossl;

// Only this file frees these (no general deleter in pki/ossl/ptr.h).
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const { ::GENERAL_NAMES_free(names); }
};
// A stack borrowing its certificates (owned elsewhere): frees the stack only.
struct BorrowedStackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};

constexpr int kMaxDepth = 8;

Result<ossl::Ptr<X509>> parse_x509(const pki::CryptoContext& ctx, ByteView der) {
  ossl::Ptr<X509> cert(::X509_new_ex(ctx.libctx(), ctx.propq()));
  if (!cert) return fail(ossl::last_error("X509_new_ex"));
  const unsigned char* p = der.data();
  X509* raw = cert.get();
  if (::d2i_X509(&raw, &p, static_cast<long>(der.size())) == nullptr ||
      p != der.data() + der.size()) {
    ossl::clear_errors();
    return fail(Errc::Unauthenticated, "the client certificate is not a DER X.509 certificate");
  }
  return cert;
}

std::optional<std::string> utf8_of(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  const int len = ::ASN1_STRING_to_UTF8(&out, s);
  if (len < 0) {
    ossl::clear_errors();
    return std::nullopt;
  }
  std::string value(reinterpret_cast<const char*>(out), static_cast<std::size_t>(len));
  ::OPENSSL_free(out);
  return value;
}

// IEEE 802.1AR §8.6: the subject serialNumber attribute carries the device serial.
std::optional<std::string> subject_serial_number(X509* cert) {
  const X509_NAME* subject = ::X509_get_subject_name(cert);
  const int index = ::X509_NAME_get_index_by_NID(subject, NID_serialNumber, -1);
  if (index < 0) return std::nullopt;
  // Two serial numbers name no one device.
  if (::X509_NAME_get_index_by_NID(subject, NID_serialNumber, index) >= 0) return std::string();
  return utf8_of(::X509_NAME_ENTRY_get_data(::X509_NAME_get_entry(subject, index)));
}

// RFC 4108 §5: otherName id-on-hardwareModuleName,
// HardwareModuleName ::= SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING }.
std::optional<std::string> hardware_module_serial(X509* cert) {
  std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> names(static_cast<GENERAL_NAMES*>(
      ::X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  ossl::clear_errors();  // absent or malformed: no serial from here
  if (!names) return std::nullopt;
  // Content octets of 1.3.6.1.5.5.7.8.4 (pki::kHardwareModuleNameOid).
  static constexpr std::uint8_t kHwModuleName[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x04};
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_OTHERNAME) continue;
    const ASN1_OBJECT* type_id = name->d.otherName->type_id;
    const ByteView id(::OBJ_get0_data(type_id), ::OBJ_length(type_id));
    if (!std::equal(id.begin(), id.end(), std::begin(kHwModuleName), std::end(kHwModuleName)))
      continue;
    const ASN1_TYPE* value = name->d.otherName->value;
    if (value == nullptr || value->type != V_ASN1_SEQUENCE) continue;
    const ASN1_STRING* seq = value->value.sequence;
    auto element = pki::der::parse_single(
        ByteView(::ASN1_STRING_get0_data(seq), static_cast<std::size_t>(::ASN1_STRING_length(seq))),
        pki::der::tag::kSequence);
    if (!element) continue;
    pki::der::Reader r(element->content);
    auto hw_type = r.expect(pki::der::tag::kOid);
    auto hw_serial = r.expect(pki::der::tag::kOctetString);
    if (!hw_type || !hw_serial || !r.empty()) continue;
    return std::string(as_chars(hw_serial->content));
  }
  return std::nullopt;
}

}  // namespace

struct IdevidVerifier::State {
  ossl::Ptr<X509_STORE> store;
  std::vector<ossl::Ptr<X509>>
      intermediates;  // tenant CAs first (same order as tenant_cas), then others
  std::vector<std::shared_ptr<const CaRuntime>> tenant_cas;
  const pki::CryptoContext* ctx = nullptr;
  std::size_t anchors = 0;
  struct AnchorCrl {
    ossl::Ptr<X509> anchor;
    OutsideCrl crl;
  };
  std::vector<AnchorCrl> crls;
  bool outside_crl_required = false;
};

IdevidVerifier::IdevidVerifier(std::unique_ptr<State> state) : state_(std::move(state)) {}
IdevidVerifier::~IdevidVerifier() = default;

bool IdevidVerifier::has_anchors() const {
  return state_->anchors > 0;
}

Result<std::shared_ptr<const IdevidVerifier>> IdevidVerifier::create(const pki::CryptoContext& ctx,
                                                                     const DeviceTrust& trust) {
  auto state = std::make_unique<State>();
  state->ctx = &ctx;
  state->store.reset(::X509_STORE_new());
  if (!state->store) return fail(ossl::last_error("X509_STORE_new"));
  for (const Bytes& der : trust.anchors) {
    auto cert = parse_x509(ctx, der);
    if (!cert)
      return fail(Errc::InvalidArgument, "a trust anchor of the endpoint is not a certificate");
    if (::X509_STORE_add_cert(state->store.get(), cert->get()) != 1) {
      // The same anchor listed twice is harmless.
      ossl::clear_errors();
      continue;
    }
    ++state->anchors;
  }
  for (const auto& ca : trust.tenant_cas) {
    auto cert = parse_x509(ctx, ca->certificate->der());
    if (!cert)
      return fail(Errc::InvalidArgument,
                  "CA '" + ca->record.name + "' has an unreadable certificate");
    // Compute the cached extension data and hash now, not under the first concurrent requests.
    ::X509_check_purpose(cert->get(), -1, 0);
    state->intermediates.push_back(std::move(*cert));
    state->tenant_cas.push_back(ca);
  }
  for (const Bytes& der : trust.intermediates) {
    auto cert = parse_x509(ctx, der);
    if (!cert)
      return fail(Errc::InvalidArgument,
                  "an intermediate certificate of the endpoint is unreadable");
    ::X509_check_purpose(cert->get(), -1, 0);
    state->intermediates.push_back(std::move(*cert));
  }
  for (const Bytes& der : trust.outside_crls) {
    auto crl = parse_outside_crl(ctx, der, trust.anchors);
    if (!crl) continue;  // its anchor is no longer trusted here: nothing to check it for
    FLEETPKI_TRY(auto anchor, parse_x509(ctx, trust.anchors[crl->anchor_index]));
    state->crls.push_back(State::AnchorCrl{std::move(anchor), std::move(*crl)});
  }
  state->outside_crl_required = trust.outside_crl_required;
  return std::shared_ptr<const IdevidVerifier>(new IdevidVerifier(std::move(state)));
}

// Our own IDevIDs are checked against the store by the caller; an outside manufacturer's only
// against the CRLs uploaded for its CA.
Status IdevidVerifier::check_outside_revocation(X509* leaf, X509* issuer, TimePoint at) const {
  const State::AnchorCrl* match = nullptr;
  if (issuer != nullptr) {
    for (const auto& entry : state_->crls) {
      if (::X509_cmp(issuer, entry.anchor.get()) == 0) {
        match = &entry;
        break;
      }
    }
  }
  if (match != nullptr && outside_crl_revokes(match->crl, leaf)) {
    return fail(Errc::PermissionDenied, "the birth certificate is revoked (CRL of " + match->crl.issuer_subject + ")");
  }
  if (!state_->outside_crl_required) return ok();
  if (match == nullptr) {
    const std::string issuer_name =
        issuer != nullptr ? rfc2253_name(::X509_get_subject_name(issuer)) : std::string("unknown");
    return fail(Errc::PermissionDenied, "no CRL of the birth certificate's issuer (" + issuer_name +
                                            ") is uploaded, and this endpoint requires one");
  }
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  if (match->crl.next_update && *match->crl.next_update <= now) {
    return fail(Errc::PermissionDenied, "the CRL of " + match->crl.issuer_subject +
                                            " is past its nextUpdate; this endpoint requires a current one");
  }
  return ok();
}

Result<VerifiedDeviceCertificate> IdevidVerifier::verify(const std::vector<Bytes>& chain,
                                                         TimePoint at) const {
  if (chain.empty()) return fail(Errc::Unauthenticated, "no client certificate");
  if (chain.size() > kMaxChain)
    return fail(Errc::Unauthenticated, "the client certificate chain is too long");
  if (state_->anchors == 0)
    return fail(Errc::Unauthenticated, "this endpoint trusts no birth certificate issuer");
  std::vector<ossl::Ptr<X509>> parsed;
  std::vector<X509*> sent;
  for (const Bytes& der : chain) {
    FLEETPKI_TRY(auto cert, parse_x509(*state_->ctx, der));
    if (!parsed.empty()) sent.push_back(cert.get());
    parsed.push_back(std::move(cert));
  }
  FLEETPKI_TRY(auto verified, verify(parsed.front().get(), sent, at));
  verified.der.assign(chain.front().begin(), chain.front().end());  // as sent, byte for byte
  return verified;
}

Result<VerifiedDeviceCertificate> IdevidVerifier::verify(X509* leaf, const std::vector<X509*>& sent,
                                                         TimePoint at) const {
  if (leaf == nullptr) return fail(Errc::Unauthenticated, "no client certificate");
  if (sent.size() + 1 > kMaxChain)
    return fail(Errc::Unauthenticated, "the client certificate chain is too long");
  if (state_->anchors == 0)
    return fail(Errc::Unauthenticated, "this endpoint trusts no birth certificate issuer");
  const pki::CryptoContext& ctx = *state_->ctx;

  // The client's certificates and the tenant's CA certificates, borrowed for this call.
  std::unique_ptr<STACK_OF(X509), BorrowedStackDeleter> untrusted(sk_X509_new_reserve(
      nullptr, static_cast<int>(sent.size() + state_->intermediates.size() + 1)));
  if (!untrusted) return fail(ossl::last_error("sk_X509_new_reserve"));
  for (X509* cert : sent) sk_X509_push(untrusted.get(), cert);
  for (const auto& cert : state_->intermediates) sk_X509_push(untrusted.get(), cert.get());

  ossl::Ptr<X509_STORE_CTX> vctx(::X509_STORE_CTX_new_ex(ctx.libctx(), ctx.propq()));
  if (!vctx || ::X509_STORE_CTX_init(vctx.get(), state_->store.get(), leaf, untrusted.get()) != 1) {
    return fail(ossl::last_error("X509_STORE_CTX_init"));
  }
  X509_VERIFY_PARAM* param = ::X509_STORE_CTX_get0_param(vctx.get());
  // Partial chains: an anchor may be an intermediate (the tenant's manufacturing CA) without the
  // root above it being trusted for device certificates.
  ::X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  ::X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(at));
  ::X509_VERIFY_PARAM_set_depth(param, kMaxDepth);
  ::X509_STORE_CTX_set_purpose(vctx.get(), X509_PURPOSE_ANY);
  if (::X509_verify_cert(vctx.get()) != 1) {
    const int err = ::X509_STORE_CTX_get_error(vctx.get());
    ossl::clear_errors();
    return fail(Errc::Unauthenticated, std::string("the client certificate does not verify: ") +
                                           ::X509_verify_cert_error_string(err));
  }
  if ((::X509_get_extension_flags(leaf) & EXFLAG_CA) != 0) {
    return fail(Errc::Unauthenticated, "the client certificate is a CA certificate");
  }

  VerifiedDeviceCertificate out;
  unsigned char* der = nullptr;
  const int der_len = ::i2d_X509(leaf, &der);  // the decoded encoding, kept by OpenSSL: a copy
  if (der_len <= 0) return fail(ossl::last_error("i2d_X509"));
  out.der.assign(der, der + der_len);
  ::OPENSSL_free(der);
  const ASN1_INTEGER* serial = ::X509_get0_serialNumber(leaf);
  if (::ASN1_STRING_type(serial) == V_ASN1_INTEGER) {
    const ByteView magnitude(::ASN1_STRING_get0_data(serial),
                             static_cast<std::size_t>(::ASN1_STRING_length(serial)));
    out.serial_hex = pki::serial_to_hex(pki::der::unsigned_integer_content(magnitude));
  }
  out.device_serial = subject_serial_number(leaf);
  if (!out.device_serial) out.device_serial = hardware_module_serial(leaf);

  STACK_OF(X509)* path = ::X509_STORE_CTX_get0_chain(vctx.get());
  X509* issuer = path != nullptr && sk_X509_num(path) >= 2 ? sk_X509_value(path, 1) : nullptr;
  if (issuer != nullptr) {
    for (std::size_t i = 0; i < state_->tenant_cas.size(); ++i) {
      if (::X509_cmp(issuer, state_->intermediates[i].get()) == 0) {
        out.issuing_ca = state_->tenant_cas[i];
        break;
      }
    }
  }
  if (!out.issuing_ca) FLEETPKI_RETURN_IF_ERROR(check_outside_revocation(leaf, issuer, at));
  return out;
}

}  // namespace fleetpki::authority
