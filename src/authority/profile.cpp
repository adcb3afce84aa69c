#include "authority/profile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "pki/extensions.h"

namespace fleetpki::authority {
namespace {

using nlohmann::json;

const std::map<std::string, std::uint16_t>& key_usage_names() {
  static const std::map<std::string, std::uint16_t> names = {
      {"digitalSignature", pki::kDigitalSignature}, {"nonRepudiation", pki::kNonRepudiation},
      {"keyEncipherment", pki::kKeyEncipherment},   {"dataEncipherment", pki::kDataEncipherment},
      {"keyAgreement", pki::kKeyAgreement},
  };  // keyCertSign and cRLSign are never available to end-entity profiles
  return names;
}

const std::map<std::string, std::string>& eku_names() {
  static const std::map<std::string, std::string> names = {
      {"serverAuth", pki::oid::kServerAuth},       {"clientAuth", pki::oid::kClientAuth},
      {"codeSigning", pki::oid::kCodeSigning},     {"emailProtection", pki::oid::kEmailProtection},
      {"timeStamping", pki::oid::kTimeStamping},   {"ocspSigning", pki::oid::kOcspSigning},
  };
  return names;
}

const std::vector<std::string>& subject_attribute_names() {
  static const std::vector<std::string> names = {"CN", "O", "OU", "C", "ST", "L", "serialNumber"};
  return names;
}

Result<std::vector<std::string>> string_list(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  const json& v = j.at(key);
  if (!v.is_array()) return fail(Errc::InvalidArgument, std::string("profile field '") + key + "' must be an array of strings");
  for (const json& item : v) {
    if (!item.is_string()) return fail(Errc::InvalidArgument, std::string("profile field '") + key + "' must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

bool flag(const json& j, const char* key, bool fallback) {
  return j.contains(key) && j.at(key).is_boolean() ? j.at(key).get<bool>() : fallback;
}

}  // namespace

Result<Profile> Profile::from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::InvalidArgument, "profile must be a JSON object");
  Profile p;
  if (!j.contains("name") || !j["name"].is_string()) return fail(Errc::InvalidArgument, "profile needs a string 'name'");
  p.name = j["name"].get<std::string>();
  if (!j.contains("ca") || !j["ca"].is_string()) return fail(Errc::InvalidArgument, "profile needs a string 'ca'");
  p.ca = j["ca"].get<std::string>();
  if (j.contains("version")) {
    if (!j["version"].is_number_integer() || j["version"].get<int>() < 1) return fail(Errc::InvalidArgument, "profile 'version' must be a positive integer");
    p.version = j["version"].get<int>();
  }
  if (j.contains("validity_days") && !j["validity_days"].is_null()) {
    if (!j["validity_days"].is_number_integer()) return fail(Errc::InvalidArgument, "profile 'validity_days' must be an integer or null");
    int days = j["validity_days"].get<int>();
    if (days < 1 || days > 36500) return fail(Errc::InvalidArgument, "profile 'validity_days' must be 1..36500, or null for no expiry");
    p.validity_days = days;
  }
  FLEETPKI_TRY(p.key_usage, string_list(j, "key_usage"));
  FLEETPKI_TRY(p.ext_key_usage, string_list(j, "ext_key_usage"));
  FLEETPKI_TRY(p.subject_allowed, string_list(j, "subject_allowed"));
  FLEETPKI_TRY(p.subject_required, string_list(j, "subject_required"));
  p.rsa_key_encipherment = flag(j, "rsa_key_encipherment", false);
  p.subject_key_id = flag(j, "subject_key_id", true);
  if (j.contains("san")) {
    const json& s = j["san"];
    if (!s.is_object()) return fail(Errc::InvalidArgument, "profile 'san' must be an object");
    p.san.dns = flag(s, "dns", false);
    p.san.ip = flag(s, "ip", false);
    p.san.uri = flag(s, "uri", false);
    p.san.email = flag(s, "email", false);
    p.san.required = flag(s, "required", false);
    p.san.cn_as_dns = flag(s, "cn_as_dns", false);
  }
  // Validate names now so that issuance never meets an unknown one.
  FLEETPKI_RETURN_IF_ERROR(p.key_usage_bits(false));
  FLEETPKI_RETURN_IF_ERROR(p.ext_key_usage_oids());
  const auto& known = subject_attribute_names();
  for (const auto& list : {p.subject_allowed, p.subject_required}) {
    for (const auto& a : list) {
      if (std::find(known.begin(), known.end(), a) == known.end()) {
        return fail(Errc::InvalidArgument, "profile names an unknown subject attribute '" + a + "'");
      }
    }
  }
  for (const auto& r : p.subject_required) {
    if (std::find(p.subject_allowed.begin(), p.subject_allowed.end(), r) == p.subject_allowed.end()) {
      return fail(Errc::InvalidArgument, "required subject attribute '" + r + "' must also be allowed");
    }
  }
  return p;
}

std::string Profile::to_json() const {
  json j;
  j["name"] = name;
  j["version"] = version;
  j["ca"] = ca;
  j["validity_days"] = validity_days ? json(*validity_days) : json(nullptr);
  j["key_usage"] = key_usage;
  j["rsa_key_encipherment"] = rsa_key_encipherment;
  j["ext_key_usage"] = ext_key_usage;
  j["subject_key_id"] = subject_key_id;
  j["subject_allowed"] = subject_allowed;
  j["subject_required"] = subject_required;
  j["san"] = {{"dns", san.dns},       {"ip", san.ip},           {"uri", san.uri},
              {"email", san.email},   {"required", san.required}, {"cn_as_dns", san.cn_as_dns}};
  return j.dump();
}

Result<std::uint16_t> Profile::key_usage_bits(bool subject_is_rsa) const {
  std::uint16_t bits = 0;
  for (const auto& usage : key_usage) {
    auto it = key_usage_names().find(usage);
    if (it == key_usage_names().end()) return fail(Errc::InvalidArgument, "unknown or forbidden key usage '" + usage + "'");
    bits = static_cast<std::uint16_t>(bits | it->second);
  }
  if (subject_is_rsa && rsa_key_encipherment) bits = static_cast<std::uint16_t>(bits | pki::kKeyEncipherment);
  return bits;
}

Result<std::vector<std::string>> Profile::ext_key_usage_oids() const {
  std::vector<std::string> oids;
  for (const auto& usage : ext_key_usage) {
    auto it = eku_names().find(usage);
    if (it == eku_names().end()) return fail(Errc::InvalidArgument, "unknown extended key usage '" + usage + "'");
    oids.push_back(it->second);
  }
  return oids;
}

}  // namespace fleetpki::authority
