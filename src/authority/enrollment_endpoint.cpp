// EST enrollment endpoint policy as data (issue #5): JSON parsing with refusal of unknown fields,
// deterministic serialization, label syntax.
#include "authority/enrollment_endpoint.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <set>

#include "authority/device_registry.h"
#include "authority/slug.h"
#include "pki/certificate.h"
#include "pki/crypto_context.h"
#include "pki/pem.h"

namespace fleetpki::authority {
namespace {

using nlohmann::json;

constexpr int kMaxRetryAfter = 86400;
constexpr std::size_t kMaxNameChars = 64;

constexpr std::array kAuthModes = {EstAuthMode::Idevid, EstAuthMode::Ldevid, EstAuthMode::Otp};
constexpr std::array kLinkings = {EstLinking::Off, EstLinking::Optional, EstLinking::Required};
constexpr std::array kApprovals = {EstApproval::Automatic, EstApproval::Manual};
constexpr std::array kUnknownDevices = {EstUnknownDevices::Reject, EstUnknownDevices::Manual};
constexpr std::array kOutsideCrls = {EstOutsideCrl::Optional, EstOutsideCrl::Required};

// RFC 7030 §3.2.2: the operation path segments; a label equal to one would be ambiguous.
constexpr std::array<std::string_view, 6> kOperationNames = {"cacerts",   "simpleenroll", "simplereenroll",
                                                             "csrattrs",  "serverkeygen", "fullcmc"};

tl::unexpected<Error> bad(std::string_view field, const std::string& why) {
  return fail(Errc::InvalidArgument, "enrollment endpoint field '" + std::string(field) + "' " + why);
}

std::string clip(std::string_view s) { return std::string(s.substr(0, kMaxNameChars)); }

/// Parses one of the enumerated string values of `field` (its names given by `name_of`).
template <class Enum, std::size_t N, class NameOf>
Result<Enum> parse_enum(const json& v, std::string_view field, const std::array<Enum, N>& values, NameOf name_of) {
  std::string choices;
  for (Enum e : values) choices += (choices.empty() ? "" : ", ") + std::string(name_of(e));
  if (v.is_string()) {
    for (Enum e : values) {
      if (name_of(e) == v.get_ref<const std::string&>()) return e;
    }
  }
  return bad(field, "must be one of " + choices);
}

Result<std::vector<EstAuthMode>> parse_auth(const json& v) {
  if (!v.is_array() || v.empty() || v.size() > kAuthModes.size()) {
    return bad("auth", "must be a non-empty array of idevid, ldevid, otp");
  }
  std::vector<EstAuthMode> modes;
  for (const json& item : v) {
    FLEETPKI_TRY(EstAuthMode mode, parse_enum(item, "auth", kAuthModes, est_auth_mode_name));
    if (std::find(modes.begin(), modes.end(), mode) != modes.end()) {
      return bad("auth", "names '" + std::string(est_auth_mode_name(mode)) + "' twice");
    }
    modes.push_back(mode);
  }
  return modes;
}

Result<std::vector<std::string>> parse_trusted_cas(const json& v) {
  if (!v.is_array() || v.size() > kMaxEndpointTrustedCas) {
    return bad("trusted_cas", "must be an array of at most " + std::to_string(kMaxEndpointTrustedCas) + " CA names");
  }
  std::vector<std::string> names;
  for (const json& item : v) {
    if (!item.is_string() || !is_valid_slug(item.get_ref<const std::string&>())) {
      return bad("trusted_cas", "must hold CA names (1..63 characters of a-z, 0-9 and '-')");
    }
    const auto& name = item.get_ref<const std::string&>();
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return bad("trusted_cas", "names '" + name + "' twice");
    }
    names.push_back(name);
  }
  return names;
}

/// Every block must be a CERTIFICATE of a CA; returns the blocks re-encoded (canonical PEM).
Result<std::string> parse_trust_anchors(const json& v) {
  if (!v.is_string()) return bad("trust_anchors_pem", "must be a string of PEM certificates");
  const auto& text = v.get_ref<const std::string&>();
  if (text.empty()) return std::string();
  if (text.size() > kMaxEndpointTrustAnchorsPem) {
    return bad("trust_anchors_pem", "exceeds " + std::to_string(kMaxEndpointTrustAnchorsPem) + " bytes");
  }
  auto blocks = pki::pem_decode_all(text, "CERTIFICATE");
  if (!blocks) return bad("trust_anchors_pem", "is not PEM: " + blocks.error().message);
  // pem_decode_all skips blocks of other labels: a private key pasted by mistake must not be
  // stored (even dropped silently it would hide the mistake).
  std::size_t begins = 0;
  for (std::size_t pos = text.find("-----BEGIN "); pos != std::string::npos; pos = text.find("-----BEGIN ", pos + 1)) {
    ++begins;
  }
  if (begins != blocks->size()) return bad("trust_anchors_pem", "may hold only CERTIFICATE blocks");
  if (blocks->size() > kMaxEndpointTrustAnchors) {
    return bad("trust_anchors_pem", "holds more than " + std::to_string(kMaxEndpointTrustAnchors) + " certificates");
  }
  // Certificate::from_der needs no crypto (the context is kept for a later API change); one
  // context on the default library context serves every parse.
  static const pki::CryptoContext crypto;
  std::string canonical;
  std::set<Bytes> seen;
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    const Bytes& der = (*blocks)[i];
    const std::string which = "certificate " + std::to_string(i + 1);
    auto cert = pki::Certificate::from_der(crypto, der);
    if (!cert) return bad("trust_anchors_pem", which + " does not parse: " + cert.error().message);
    if (!cert->is_ca()) {
      return bad("trust_anchors_pem", which + " (" + cert->subject_string() + ") is not a CA certificate "
                                      "(basicConstraints cA TRUE)");
    }
    if (!seen.insert(der).second) return bad("trust_anchors_pem", which + " is a duplicate");
    canonical += pki::pem_encode(der, "CERTIFICATE");
  }
  return canonical;
}

Status only_known(const json& j) {
  static constexpr std::array<std::string_view, 11> kKnown = {
      "profile",         "trusted_cas", "trust_anchors_pem", "device_type",   "auth",
      "approval",        "unknown_devices", "linking",       "server_keygen", "retry_after",
      "outside_crl"};
  for (const auto& [key, value] : j.items()) {
    (void)value;
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      return fail(Errc::InvalidArgument, "unknown enrollment endpoint field '" + clip(key) + "'");
    }
  }
  return ok();
}

}  // namespace

Result<EndpointSpec> EndpointSpec::from_json(std::string_view text) {
  if (text.size() > kMaxEndpointJson) {
    return fail(Errc::InvalidArgument, "an enrollment endpoint definition is at most " +
                                           std::to_string(kMaxEndpointJson) + " bytes");
  }
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(Errc::InvalidArgument, "an enrollment endpoint definition must be a JSON object");
  }
  FLEETPKI_RETURN_IF_ERROR(only_known(j));
  EndpointSpec spec;
  if (j.contains("profile")) {
    const json& v = j["profile"];
    if (!v.is_string() || !is_valid_slug(v.get_ref<const std::string&>())) {
      return bad("profile", "must name a profile of the tenant (1..63 characters of a-z, 0-9 and '-')");
    }
    spec.profile = v.get<std::string>();
  }
  if (j.contains("trusted_cas")) {
    FLEETPKI_TRY(spec.trusted_cas, parse_trusted_cas(j["trusted_cas"]));
  }
  if (j.contains("trust_anchors_pem")) {
    FLEETPKI_TRY(spec.trust_anchors_pem, parse_trust_anchors(j["trust_anchors_pem"]));
  }
  if (j.contains("device_type") && !j["device_type"].is_null()) {
    const json& v = j["device_type"];
    if (!v.is_string() || !is_valid_device_serial(v.get_ref<const std::string&>())) {
      return bad("device_type", "must name a device type (1..64 characters of A-Z a-z 0-9 - . _ : + =)");
    }
    spec.device_type = v.get<std::string>();
  }
  if (j.contains("auth")) {
    FLEETPKI_TRY(spec.auth, parse_auth(j["auth"]));
  }
  if (j.contains("approval")) {
    FLEETPKI_TRY(spec.approval, parse_enum(j["approval"], "approval", kApprovals, est_approval_name));
  }
  if (j.contains("unknown_devices")) {
    FLEETPKI_TRY(spec.unknown_devices,
                 parse_enum(j["unknown_devices"], "unknown_devices", kUnknownDevices, est_unknown_devices_name));
  }
  if (j.contains("linking")) {
    FLEETPKI_TRY(spec.linking, parse_enum(j["linking"], "linking", kLinkings, est_linking_name));
  }
  if (j.contains("outside_crl")) {
    FLEETPKI_TRY(spec.outside_crl, parse_enum(j["outside_crl"], "outside_crl", kOutsideCrls, est_outside_crl_name));
  }
  if (j.contains("server_keygen")) {
    if (!j["server_keygen"].is_boolean()) return bad("server_keygen", "must be true or false");
    spec.server_keygen = j["server_keygen"].get<bool>();
  }
  if (j.contains("retry_after")) {
    const json& v = j["retry_after"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > kMaxRetryAfter) {
      return bad("retry_after", "must be an integer number of seconds 1.." + std::to_string(kMaxRetryAfter));
    }
    spec.retry_after_seconds = static_cast<int>(v.get<std::int64_t>());
  }
  // Cross-field rule: an IDevID is only accepted when it chains to something trusted.
  if (spec.allows(EstAuthMode::Idevid) && spec.trusted_cas.empty() && spec.trust_anchors_pem.empty()) {
    return bad("trusted_cas", "must name a CA (or trust_anchors_pem hold one) when auth includes idevid");
  }
  if (spec.outside_crl == EstOutsideCrl::Required && spec.trust_anchors_pem.empty()) {
    return bad("outside_crl", "\"required\" applies to the IDevIDs of trust_anchors_pem, and there is none");
  }
  return spec;
}

std::string EndpointSpec::to_json() const {
  // nlohmann::json objects are std::map based: keys come out sorted.
  json j;
  j["profile"] = profile;
  j["trusted_cas"] = trusted_cas;
  if (!trust_anchors_pem.empty()) j["trust_anchors_pem"] = trust_anchors_pem;
  if (device_type) j["device_type"] = *device_type;
  json modes = json::array();
  for (EstAuthMode m : auth) modes.push_back(est_auth_mode_name(m));
  j["auth"] = std::move(modes);
  j["approval"] = est_approval_name(approval);
  j["unknown_devices"] = est_unknown_devices_name(unknown_devices);
  j["linking"] = est_linking_name(linking);
  j["server_keygen"] = server_keygen;
  j["retry_after"] = retry_after_seconds;
  if (outside_crl != EstOutsideCrl::Optional) j["outside_crl"] = est_outside_crl_name(outside_crl);
  return j.dump();
}

bool EndpointSpec::allows(EstAuthMode mode) const {
  return std::find(auth.begin(), auth.end(), mode) != auth.end();
}

bool is_valid_enrollment_label(std::string_view label) {
  if (!is_valid_slug(label)) return false;
  return std::find(kOperationNames.begin(), kOperationNames.end(), label) == kOperationNames.end();
}

std::string_view est_auth_mode_name(EstAuthMode mode) {
  switch (mode) {
    case EstAuthMode::Idevid: return "idevid";
    case EstAuthMode::Ldevid: return "ldevid";
    case EstAuthMode::Otp: return "otp";
  }
  return "unknown";
}

std::string_view est_linking_name(EstLinking linking) {
  switch (linking) {
    case EstLinking::Off: return "off";
    case EstLinking::Optional: return "optional";
    case EstLinking::Required: return "required";
  }
  return "unknown";
}

std::string_view est_approval_name(EstApproval approval) {
  switch (approval) {
    case EstApproval::Automatic: return "automatic";
    case EstApproval::Manual: return "manual";
  }
  return "unknown";
}

std::string_view est_unknown_devices_name(EstUnknownDevices policy) {
  switch (policy) {
    case EstUnknownDevices::Reject: return "reject";
    case EstUnknownDevices::Manual: return "manual";
  }
  return "unknown";
}

std::string_view est_outside_crl_name(EstOutsideCrl policy) {
  switch (policy) {
    case EstOutsideCrl::Optional: return "optional";
    case EstOutsideCrl::Required: return "required";
  }
  return "unknown";
}

}  // namespace fleetpki::authority
