#include "authority/issuance_policy.h"

#include <algorithm>

namespace fleetpki::authority {
namespace {

bool profile_grants_eku(const std::vector<std::string>& granted, const std::string& oid) {
  return std::find(granted.begin(), granted.end(), oid) != granted.end();
}

Status check_requested_extensions(const Profile& profile, const pki::RequestedExtensions& req) {
  const std::string who = "profile '" + profile.name + "'";
  if (req.basic_constraints_ca) {
    return fail(Errc::InvalidArgument, "the CSR asks for a CA certificate (basicConstraints cA TRUE); " + who + " issues end-entity certificates only");
  }
  if (req.key_cert_sign) {
    return fail(Errc::InvalidArgument, "the CSR asks for keyCertSign/cRLSign key usage, which is never granted to an end entity");
  }
  if (req.name_constraints) {
    return fail(Errc::InvalidArgument, "the CSR asks for nameConstraints, which only the CA sets");
  }
  if (req.crl_distribution_points) {
    return fail(Errc::InvalidArgument, "the CSR asks for CRL distribution points, which only the CA sets");
  }
  if (req.authority_info_access) {
    return fail(Errc::InvalidArgument, "the CSR asks for authorityInfoAccess URLs, which only the CA sets");
  }
  FLEETPKI_TRY(auto granted, profile.ext_key_usage_oids());
  for (const auto& oid : req.ext_key_usages) {
    if (!profile_grants_eku(granted, oid)) {
      return fail(Errc::InvalidArgument, "the CSR asks for extended key usage " + oid + ", which " + who + " does not grant");
    }
  }
  return ok();
}

Result<std::vector<pki::GeneralName>> decide_sans(const Profile& profile, const pki::Csr& csr) {
  const SanRules& rules = profile.san;
  std::vector<pki::GeneralName> sans;
  for (const auto& name : csr.requested_extensions().subject_alt_names) {
    bool allowed = false;
    const char* form = "this";
    switch (name.type) {
      case pki::GeneralNameType::Dns:
        allowed = rules.dns;
        form = "dNSName";
        if (allowed && !is_valid_dns_name(name.value)) {
          return fail(Errc::InvalidArgument, "SAN dNSName '" + name.value + "' is not a valid host name");
        }
        break;
      case pki::GeneralNameType::Ip: allowed = rules.ip; form = "iPAddress"; break;
      case pki::GeneralNameType::Uri: allowed = rules.uri; form = "URI"; break;
      case pki::GeneralNameType::Email: allowed = rules.email; form = "rfc822Name"; break;
      default: form = "this"; break;
    }
    if (!allowed) {
      return fail(Errc::InvalidArgument, std::string("profile '") + profile.name + "' does not allow " + form + " subject alternative names");
    }
    // Re-encode from the parsed value so that no byte of the CSR's encoding is carried over.
    switch (name.type) {
      case pki::GeneralNameType::Dns: sans.push_back(pki::dns_name(name.value)); break;
      case pki::GeneralNameType::Uri: sans.push_back(pki::uri_name(name.value)); break;
      case pki::GeneralNameType::Email: sans.push_back(pki::email_name(name.value)); break;
      case pki::GeneralNameType::Ip: {
        FLEETPKI_TRY(auto ip, pki::ip_name(name.value));
        sans.push_back(std::move(ip));
        break;
      }
      default: break;
    }
  }
  if (sans.empty() && rules.cn_as_dns) {
    for (const auto& attr : csr.subject()) {
      if (attr.short_name == "CN" && is_valid_dns_name(attr.value)) {
        sans.push_back(pki::dns_name(attr.value));
        break;
      }
    }
  }
  if (sans.empty() && rules.required) {
    return fail(Errc::InvalidArgument, "profile '" + profile.name + "' requires a subject alternative name (DNS name or IP address) in the CSR");
  }
  return sans;
}

}  // namespace

bool is_valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label_len = 0;
  char prev = '.';
  for (char c : name) {
    if (c == '.') {
      if (label_len == 0 || prev == '-') return false;
      label_len = 0;
    } else {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && c != '-') return false;
      if (c == '-' && label_len == 0) return false;
      if (++label_len > 63) return false;
    }
    prev = c;
  }
  return label_len > 0 && prev != '-';
}

Result<SubjectDecision> decide_subject(const Profile& profile, const pki::Csr& csr, const DeviceContext* device) {
  (void)device;  // issue #4 (profile slice): subject values taken from the device record
  FLEETPKI_RETURN_IF_ERROR(check_requested_extensions(profile, csr.requested_extensions()));

  for (const auto& required : profile.subject_required) {
    bool present = std::any_of(csr.subject().begin(), csr.subject().end(),
                               [&](const pki::NameAttribute& a) { return a.short_name == required; });
    if (!present) {
      return fail(Errc::InvalidArgument, "profile '" + profile.name + "' requires the subject attribute " + required + " in the CSR");
    }
  }
  // Subject: attributes the profile allows, in the profile's order; the rest is dropped.
  std::vector<std::pair<std::string, std::string>> attributes;
  for (const auto& allowed : profile.subject_allowed) {
    for (const auto& attr : csr.subject()) {
      if (attr.short_name != allowed) continue;
      if (attr.value.empty() || attr.value.size() > 64 || attr.value.find('\0') != std::string::npos) {
        return fail(Errc::InvalidArgument, "subject attribute " + allowed + " must be 1..64 characters without NUL");
      }
      attributes.emplace_back(allowed, attr.value);
    }
  }

  SubjectDecision decision;
  FLEETPKI_TRY(decision.subject_alt_names, decide_sans(profile, csr));
  if (attributes.empty() && decision.subject_alt_names.empty()) {
    return fail(Errc::InvalidArgument, "the certificate would have neither a subject nor a subject alternative name");
  }
  FLEETPKI_TRY(decision.subject_der, pki::encode_name(attributes));
  for (const auto& [k, v] : attributes) {
    if (!decision.subject_text.empty()) decision.subject_text += ",";
    decision.subject_text += k + "=" + v;
  }
  return decision;
}

}  // namespace fleetpki::authority
