#include "authority/issuance_policy.h"

#include <algorithm>
#include <optional>

namespace fleetpki::authority {
namespace {

bool profile_grants_eku(const std::vector<std::string>& granted, const std::string& oid) {
  return std::find(granted.begin(), granted.end(), oid) != granted.end();
}

Status check_requested_extensions(const Profile& profile, const pki::RequestedExtensions& req) {
  const std::string who = "profile '" + profile.name + "'";
  // A CA profile issues CA certificates: the CA bits it grants come from the profile, not the CSR.
  if (req.basic_constraints_ca && !profile.ca_certificate) {
    return fail(Errc::InvalidArgument, "the CSR asks for a CA certificate (basicConstraints cA TRUE); " + who + " issues end-entity certificates only");
  }
  if (req.key_cert_sign && !profile.ca_certificate) {
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

std::optional<std::string> csr_value(const pki::Csr& csr, const std::string& attribute) {
  for (const auto& attr : csr.subject()) {
    if (attr.short_name == attribute || attr.oid == attribute) return attr.value;
  }
  return std::nullopt;
}

Status check_value(const Profile& profile, const SubjectAttributeRule& rule, const std::string& value) {
  if (value.empty() || value.size() > 64 || value.find('\0') != std::string::npos) {
    return fail(Errc::InvalidArgument, "subject attribute " + rule.attribute + " must be 1..64 characters without NUL");
  }
  if ((rule.attribute == kMatterVidOid || rule.attribute == kMatterPidOid) && !is_matter_id(value)) {
    return fail(Errc::InvalidArgument, std::string("profile '") + profile.name + "': Matter " +
                                           (rule.attribute == kMatterVidOid ? "Vendor ID" : "Product ID") + " '" +
                                           value + "' must be exactly 4 uppercase hex digits");
  }
  return ok();
}

// Subject: the profile's attributes in the profile's order; CSR attributes it does not name are
// dropped. Device-sourced values come from the registry, never from the CSR.
Result<std::vector<std::pair<std::string, std::string>>> decide_attributes(const Profile& profile, const pki::Csr& csr,
                                                                           const DeviceContext* device) {
  std::vector<std::pair<std::string, std::string>> attributes;
  for (const auto& rule : profile.subject) {
    std::optional<std::string> value;
    const std::optional<std::string> from_csr = csr_value(csr, rule.attribute);
    switch (rule.source) {
      case SubjectSource::Csr: value = from_csr; break;
      case SubjectSource::Fixed: value = rule.value; break;
      case SubjectSource::DeviceSerial:
      case SubjectSource::DeviceType:
        if (device) {
          value = rule.source == SubjectSource::DeviceSerial ? device->serial : device->type;
          if (from_csr && *from_csr != *value) {
            return fail(Errc::InvalidArgument, "the CSR's " + rule.attribute + " '" + *from_csr +
                                                   "' differs from the device record's '" + *value + "'");
          }
        } else if (rule.csr_fallback) {
          value = from_csr;
        } else if (rule.required) {
          return fail(Errc::InvalidArgument, "profile '" + profile.name + "' takes " + rule.attribute +
                                                 " from the device record: name a registered device");
        }
        break;
    }
    if (!value) {
      if (rule.required) {
        return fail(Errc::InvalidArgument, "profile '" + profile.name + "' requires the subject attribute " + rule.attribute + " in the CSR");
      }
      continue;
    }
    FLEETPKI_RETURN_IF_ERROR(check_value(profile, rule, *value));
    attributes.emplace_back(rule.attribute, *value);
  }
  return attributes;
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
  FLEETPKI_RETURN_IF_ERROR(check_requested_extensions(profile, csr.requested_extensions()));
  FLEETPKI_TRY(auto attributes, decide_attributes(profile, csr, device));

  SubjectDecision decision;
  FLEETPKI_TRY(decision.subject_alt_names, decide_sans(profile, csr));
  if (profile.san.hardware_module_type) {
    std::optional<std::string> hw_serial;
    if (device) {
      hw_serial = device->serial;
    } else {
      // Without a device: the serialNumber the profile itself took over from the CSR (csr_fallback).
      for (const auto& [k, v] : attributes) {
        if (k == "serialNumber") hw_serial = v;
      }
    }
    if (!hw_serial) {
      return fail(Errc::InvalidArgument, "profile '" + profile.name + "' adds a hardwareModuleName SAN from the device record: name a registered device");
    }
    FLEETPKI_TRY(auto hmn, pki::hardware_module_name(*profile.san.hardware_module_type, *hw_serial));
    decision.subject_alt_names.push_back(std::move(hmn));
  }
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
