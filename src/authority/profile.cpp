#include "authority/profile.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "authority/slug.h"
#include "pki/der.h"
#include "pki/extensions.h"

namespace fleetpki::authority {
namespace {

using nlohmann::json;

constexpr int kMaxValidityDays = 36500;
constexpr std::size_t kMaxSubjectRules = 16;
constexpr std::size_t kMaxExtraExtensions = 8;
constexpr std::size_t kMaxExtraExtensionBytes = 4096;
constexpr std::size_t kMaxValueChars = 64;

tl::unexpected<Error> bad(const std::string& field, const std::string& why) {
  return fail(Errc::InvalidArgument, "profile field '" + field + "' " + why);
}

const std::map<std::string, std::uint16_t>& key_usage_names() {
  static const std::map<std::string, std::uint16_t> names = {
      {"digitalSignature", pki::kDigitalSignature}, {"nonRepudiation", pki::kNonRepudiation},
      {"keyEncipherment", pki::kKeyEncipherment},   {"dataEncipherment", pki::kDataEncipherment},
      {"keyAgreement", pki::kKeyAgreement},         {"keyCertSign", pki::kKeyCertSign},
      {"cRLSign", pki::kCrlSign},
  };
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

const std::vector<std::string>& key_type_labels() {
  static const std::vector<std::string> labels = {"ec-p256",  "ec-p384",  "ed25519",
                                                  "rsa-2048", "rsa-3072", "rsa-4096"};
  return labels;
}

// Subject attributes a profile may name by short name; anything else must be a dotted OID.
const std::vector<std::string>& subject_attribute_names() {
  static const std::vector<std::string> names = {"CN", "O", "OU", "C", "ST", "L", "serialNumber"};
  return names;
}

// Extensions whose content the CA decides (RFC 5280 §4.2); a profile's extra_extensions may not
// carry them. ocsp-nocheck has its own field.
const std::set<std::string>& ca_controlled_extensions() {
  static const std::set<std::string> oids = {
      "2.5.29.14", "2.5.29.35", "2.5.29.31", "1.3.6.1.5.5.7.1.1", "2.5.29.19", "2.5.29.15",
      "2.5.29.37", "2.5.29.17", "2.5.29.30", "2.5.29.46", "1.3.6.1.5.5.7.48.1.5"};
  return oids;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_dotted_oid(const std::string& s) { return !s.empty() && s[0] >= '0' && s[0] <= '2' && pki::der::oid(s).has_value(); }

Result<std::vector<std::string>> string_list(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  const json& v = j.at(key);
  if (!v.is_array() || v.size() > 32) return bad(key, "must be an array of at most 32 strings");
  for (const json& item : v) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty() ||
        item.get_ref<const std::string&>().size() > 128) {
      return bad(key, "must be an array of non-empty strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<bool> flag(const json& j, const char* key, bool fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  if (!j.at(key).is_boolean()) return bad(where + key, "must be true or false");
  return j.at(key).get<bool>();
}

Result<std::optional<int>> small_int(const json& j, const char* key, int lo, int hi, const std::string& where) {
  if (!j.contains(key) || j.at(key).is_null()) return std::optional<int>{};
  const json& v = j.at(key);
  if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi) {
    return bad(where + key, "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return std::optional<int>(static_cast<int>(v.get<std::int64_t>()));
}

Status only_known(const json& j, std::initializer_list<const char*> known, const std::string& where) {
  for (const auto& [key, value] : j.items()) {
    (void)value;
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      return fail(Errc::InvalidArgument, "unknown profile field '" + where + key + "'");
    }
  }
  return ok();
}

Result<Bytes> base64_decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > kMaxExtraExtensionBytes * 4 / 3 + 4) {
    return fail(Errc::InvalidArgument, "not base64 of 1..4096 bytes");
  }
  for (char c : text) {
    bool ok_char = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                   c == '/' || c == '=';
    if (!ok_char) return fail(Errc::InvalidArgument, "not base64");
  }
  Bytes out(text.size() / 4 * 3);
  int n = ::EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
  if (n < 0) return fail(Errc::InvalidArgument, "not base64");
  std::size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string base64_encode(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string_view source_name(SubjectSource s) {
  switch (s) {
    case SubjectSource::Csr: return "csr";
    case SubjectSource::DeviceSerial: return "device.serial";
    case SubjectSource::DeviceType: return "device.type";
    case SubjectSource::Fixed: return "fixed";
  }
  return "csr";
}

Result<std::string> attribute_name(const std::string& raw, const std::string& where) {
  if (raw == "matter-vid") return std::string(kMatterVidOid);
  if (raw == "matter-pid") return std::string(kMatterPidOid);
  if (contains(subject_attribute_names(), raw) || is_dotted_oid(raw)) return raw;
  return bad(where, "names an unknown subject attribute '" + raw + "' (use CN, O, OU, C, ST, L, serialNumber, "
                    "matter-vid, matter-pid or a dotted OID)");
}

bool is_matter_attribute(const std::string& attribute) {
  return attribute == kMatterVidOid || attribute == kMatterPidOid;
}

Result<SubjectAttributeRule> parse_subject_rule(const json& j, std::size_t index) {
  const std::string where = "subject[" + std::to_string(index) + "].";
  if (!j.is_object()) return bad("subject[" + std::to_string(index) + "]", "must be an object");
  FLEETPKI_RETURN_IF_ERROR(only_known(j, {"attribute", "source", "value", "required", "csr_fallback"}, where));
  SubjectAttributeRule rule;
  if (!j.contains("attribute") || !j["attribute"].is_string()) return bad(where + "attribute", "must be a string");
  FLEETPKI_TRY(rule.attribute, attribute_name(j["attribute"].get<std::string>(), where + "attribute"));
  std::string source = "csr";
  if (j.contains("source")) {
    if (!j["source"].is_string()) return bad(where + "source", "must be a string");
    source = j["source"].get<std::string>();
  }
  if (source == "csr") {
    rule.source = SubjectSource::Csr;
  } else if (source == "device.serial") {
    rule.source = SubjectSource::DeviceSerial;
  } else if (source == "device.type") {
    rule.source = SubjectSource::DeviceType;
  } else if (source == "fixed") {
    rule.source = SubjectSource::Fixed;
  } else {
    return bad(where + "source", "must be csr, device.serial, device.type or fixed");
  }
  if (rule.source == SubjectSource::Fixed) {
    if (!j.contains("value") || !j["value"].is_string()) return bad(where + "value", "is required for a fixed attribute");
    rule.value = j["value"].get<std::string>();
    if (rule.value.empty() || rule.value.size() > kMaxValueChars || rule.value.find('\0') != std::string::npos) {
      return bad(where + "value", "must be 1..64 characters without NUL");
    }
    if (is_matter_attribute(rule.attribute) && !is_matter_id(rule.value)) {
      return bad(where + "value", "must be exactly 4 uppercase hex digits (Matter VID/PID)");
    }
  } else if (j.contains("value")) {
    return bad(where + "value", "is only allowed with source fixed");
  }
  FLEETPKI_TRY(rule.required, flag(j, "required", rule.source == SubjectSource::Fixed, where));
  FLEETPKI_TRY(rule.csr_fallback, flag(j, "csr_fallback", false, where));
  if (rule.csr_fallback && rule.source != SubjectSource::DeviceSerial && rule.source != SubjectSource::DeviceType) {
    return bad(where + "csr_fallback", "is only allowed with source device.serial or device.type");
  }
  return rule;
}

Result<ExtraExtension> parse_extra_extension(const json& j, std::size_t index) {
  const std::string where = "extra_extensions[" + std::to_string(index) + "].";
  if (!j.is_object()) return bad("extra_extensions[" + std::to_string(index) + "]", "must be an object");
  FLEETPKI_RETURN_IF_ERROR(only_known(j, {"oid", "critical", "value"}, where));
  ExtraExtension ext;
  if (!j.contains("oid") || !j["oid"].is_string() || !is_dotted_oid(j["oid"].get<std::string>())) {
    return bad(where + "oid", "must be a dotted object identifier");
  }
  ext.oid = j["oid"].get<std::string>();
  if (ca_controlled_extensions().count(ext.oid) != 0) {
    return bad(where + "oid", "names " + ext.oid + ", an extension only the CA controls");
  }
  FLEETPKI_TRY(ext.critical, flag(j, "critical", false, where));
  if (!j.contains("value") || !j["value"].is_string()) return bad(where + "value", "must be base64 DER");
  auto value = base64_decode(j["value"].get<std::string>());
  if (!value) return bad(where + "value", "must be base64 of one DER element (" + value.error().message + ")");
  pki::der::Reader reader(*value);
  auto element = reader.next();
  if (!element || !reader.expect_end("value")) return bad(where + "value", "must be exactly one DER element");
  ext.value = std::move(*value);
  return ext;
}

Status parse_san(const json& s, SanRules& san) {
  if (!s.is_object()) return bad("san", "must be an object");
  FLEETPKI_RETURN_IF_ERROR(
      only_known(s, {"dns", "ip", "uri", "email", "required", "cn_as_dns", "hardware_module_name"}, "san."));
  FLEETPKI_TRY(san.dns, flag(s, "dns", false, "san."));
  FLEETPKI_TRY(san.ip, flag(s, "ip", false, "san."));
  FLEETPKI_TRY(san.uri, flag(s, "uri", false, "san."));
  FLEETPKI_TRY(san.email, flag(s, "email", false, "san."));
  FLEETPKI_TRY(san.required, flag(s, "required", false, "san."));
  FLEETPKI_TRY(san.cn_as_dns, flag(s, "cn_as_dns", false, "san."));
  if (s.contains("hardware_module_name") && !s["hardware_module_name"].is_null()) {
    const json& h = s["hardware_module_name"];
    if (!h.is_object()) return bad("san.hardware_module_name", "must be an object {\"hw_type\": OID}");
    FLEETPKI_RETURN_IF_ERROR(only_known(h, {"hw_type"}, "san.hardware_module_name."));
    if (!h.contains("hw_type") || !h["hw_type"].is_string() || !is_dotted_oid(h["hw_type"].get<std::string>())) {
      return bad("san.hardware_module_name.hw_type", "must be a dotted object identifier");
    }
    san.hardware_module_type = h["hw_type"].get<std::string>();
  }
  return ok();
}

Status parse_validity(const json& j, Profile& p) {
  if (j.contains("validity") && j.contains("validity_days")) {
    return bad("validity", "and 'validity_days' must not both be given");
  }
  p.validity_days = 365;
  if (j.contains("validity")) {
    const json& v = j["validity"];
    if (v.is_string() && v.get<std::string>() == "none") {
      p.validity_days = std::nullopt;
      return ok();
    }
    FLEETPKI_TRY(auto days, small_int(j, "validity", 1, kMaxValidityDays, ""));
    if (!days) return bad("validity", "must be a number of days 1..36500 or \"none\"");
    p.validity_days = *days;
  } else if (j.contains("validity_days")) {  // legacy form: null = no expiry
    if (j["validity_days"].is_null()) {
      p.validity_days = std::nullopt;
      return ok();
    }
    FLEETPKI_TRY(auto days, small_int(j, "validity_days", 1, kMaxValidityDays, ""));
    p.validity_days = *days;
  }
  return ok();
}

Status parse_subject(const json& j, Profile& p) {
  const bool legacy = j.contains("subject_allowed") || j.contains("subject_required");
  if (j.contains("subject") && legacy) {
    return bad("subject", "and 'subject_allowed'/'subject_required' must not both be given");
  }
  if (j.contains("subject")) {
    const json& s = j["subject"];
    if (!s.is_array() || s.size() > kMaxSubjectRules) return bad("subject", "must be an array of at most 16 rules");
    for (std::size_t i = 0; i < s.size(); ++i) {
      FLEETPKI_TRY(auto rule, parse_subject_rule(s[i], i));
      p.subject.push_back(std::move(rule));
    }
  } else {
    FLEETPKI_TRY(auto allowed, string_list(j, "subject_allowed"));
    FLEETPKI_TRY(auto required, string_list(j, "subject_required"));
    for (const auto& r : required) {
      if (!contains(allowed, r)) return bad("subject_required", "names '" + r + "', which must also be allowed");
    }
    for (const auto& a : allowed) {
      SubjectAttributeRule rule;
      FLEETPKI_TRY(rule.attribute, attribute_name(a, "subject_allowed"));
      rule.required = contains(required, a);
      p.subject.push_back(std::move(rule));
    }
  }
  std::set<std::string> seen;
  for (const auto& rule : p.subject) {
    if (!seen.insert(rule.attribute).second) {
      return bad("subject", "names the attribute '" + rule.attribute + "' twice");
    }
  }
  return ok();
}

}  // namespace

bool is_matter_id(std::string_view value) {
  return value.size() == 4 && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
         });
}

bool is_valid_profile_name(std::string_view name) { return is_valid_slug(name); }

std::string key_type_label(pki::KeyType type, int bits) {
  switch (type) {
    case pki::KeyType::EcP256: return "ec-p256";
    case pki::KeyType::EcP384: return "ec-p384";
    case pki::KeyType::Ed25519: return "ed25519";
    case pki::KeyType::Rsa: return "rsa-" + std::to_string(bits);
  }
  return "unknown";
}

Result<Profile> Profile::from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::InvalidArgument, "profile must be a JSON object");
  FLEETPKI_RETURN_IF_ERROR(only_known(
      j,
      {"name", "version", "ca", "key_types", "validity", "validity_days", "key_usage", "rsa_key_encipherment",
       "ext_key_usage", "basic_constraints", "subject_key_id", "ocsp_no_check", "subject", "subject_allowed",
       "subject_required", "san", "extra_extensions", "renewal_window_days"},
      ""));
  Profile p;
  if (!j.contains("name") || !j["name"].is_string() || !is_valid_profile_name(j["name"].get<std::string>())) {
    return bad("name", "must be 1..63 characters of a-z, 0-9 and '-'");
  }
  p.name = j["name"].get<std::string>();
  if (!j.contains("ca") || !j["ca"].is_string() || !is_valid_profile_name(j["ca"].get<std::string>())) {
    return bad("ca", "must name a CA of the tenant (1..63 characters of a-z, 0-9 and '-')");
  }
  p.ca = j["ca"].get<std::string>();
  FLEETPKI_TRY(auto version, small_int(j, "version", 1, 1000000, ""));
  if (version) p.version = *version;
  FLEETPKI_TRY(p.key_types, string_list(j, "key_types"));
  if (j.contains("key_types") && p.key_types.empty()) return bad("key_types", "must list at least one key type");
  for (const auto& kt : p.key_types) {
    if (!contains(key_type_labels(), kt)) {
      return bad("key_types", "has the unknown key type '" + kt + "' (ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096)");
    }
  }
  FLEETPKI_RETURN_IF_ERROR(parse_validity(j, p));
  FLEETPKI_TRY(p.key_usage, string_list(j, "key_usage"));
  FLEETPKI_TRY(p.ext_key_usage, string_list(j, "ext_key_usage"));
  FLEETPKI_TRY(p.rsa_key_encipherment, flag(j, "rsa_key_encipherment", false, ""));
  FLEETPKI_TRY(p.subject_key_id, flag(j, "subject_key_id", true, ""));
  FLEETPKI_TRY(p.ocsp_no_check, flag(j, "ocsp_no_check", false, ""));
  if (j.contains("basic_constraints")) {
    const json& bc = j["basic_constraints"];
    if (!bc.is_object()) return bad("basic_constraints", "must be an object {\"ca\": bool, \"path_len\": int}");
    FLEETPKI_RETURN_IF_ERROR(only_known(bc, {"ca", "path_len"}, "basic_constraints."));
    FLEETPKI_TRY(p.ca_certificate, flag(bc, "ca", false, "basic_constraints."));
    FLEETPKI_TRY(p.path_len, small_int(bc, "path_len", 0, 10, "basic_constraints."));
    if (p.path_len && !p.ca_certificate) return bad("basic_constraints.path_len", "requires ca true");
  }
  FLEETPKI_RETURN_IF_ERROR(parse_subject(j, p));
  if (j.contains("san")) FLEETPKI_RETURN_IF_ERROR(parse_san(j["san"], p.san));
  if (j.contains("extra_extensions")) {
    const json& e = j["extra_extensions"];
    if (!e.is_array() || e.size() > kMaxExtraExtensions) return bad("extra_extensions", "must be an array of at most 8 objects");
    std::set<std::string> oids;
    for (std::size_t i = 0; i < e.size(); ++i) {
      FLEETPKI_TRY(auto ext, parse_extra_extension(e[i], i));
      if (!oids.insert(ext.oid).second) return bad("extra_extensions", "names " + ext.oid + " twice");
      p.extra_extensions.push_back(std::move(ext));
    }
  }
  FLEETPKI_TRY(p.renewal_window_days, small_int(j, "renewal_window_days", 1, 3650, ""));

  // Cross-field rules: names resolve now so that issuance never meets an unknown one.
  FLEETPKI_TRY(std::uint16_t bits, p.key_usage_bits(false));
  const bool ca_bits = (bits & (pki::kKeyCertSign | pki::kCrlSign)) != 0;
  if (ca_bits && !p.ca_certificate) {
    return bad("key_usage", "may name keyCertSign/cRLSign only for a CA profile (basic_constraints.ca true)");
  }
  if (p.ca_certificate && (bits & pki::kKeyCertSign) == 0) {
    return bad("key_usage", "of a CA profile must include keyCertSign");
  }
  FLEETPKI_RETURN_IF_ERROR(p.ext_key_usage_oids());
  if (!p.validity_days && (!p.ext_key_usage.empty() || p.ocsp_no_check)) {
    return bad("validity", "may be \"none\" (99991231235959Z) only for device identity profiles without "
                           "extended key usage");
  }
  if (p.ocsp_no_check && !contains(p.ext_key_usage, "ocspSigning")) {
    return bad("ocsp_no_check", "requires ext_key_usage ocspSigning");
  }
  return p;
}

std::string Profile::to_json() const {
  json j;
  j["name"] = name;
  j["version"] = version;
  j["ca"] = ca;
  if (!key_types.empty()) j["key_types"] = key_types;
  j["validity"] = validity_days ? json(*validity_days) : json("none");
  j["key_usage"] = key_usage;
  j["rsa_key_encipherment"] = rsa_key_encipherment;
  j["ext_key_usage"] = ext_key_usage;
  json bc = {{"ca", ca_certificate}};
  if (path_len) bc["path_len"] = *path_len;
  j["basic_constraints"] = bc;
  j["subject_key_id"] = subject_key_id;
  j["ocsp_no_check"] = ocsp_no_check;
  json subj = json::array();
  for (const auto& r : subject) {
    json rule = {{"attribute", r.attribute}, {"source", source_name(r.source)}, {"required", r.required}};
    if (r.source == SubjectSource::Fixed) rule["value"] = r.value;
    if (r.csr_fallback) rule["csr_fallback"] = true;
    subj.push_back(std::move(rule));
  }
  j["subject"] = std::move(subj);
  j["san"] = {{"dns", san.dns},       {"ip", san.ip},             {"uri", san.uri},
              {"email", san.email},   {"required", san.required}, {"cn_as_dns", san.cn_as_dns}};
  if (san.hardware_module_type) j["san"]["hardware_module_name"] = {{"hw_type", *san.hardware_module_type}};
  json extra = json::array();
  for (const auto& e : extra_extensions) {
    extra.push_back({{"oid", e.oid}, {"critical", e.critical}, {"value", base64_encode(e.value)}});
  }
  j["extra_extensions"] = std::move(extra);
  if (renewal_window_days) j["renewal_window_days"] = *renewal_window_days;
  return j.dump();
}

Result<std::uint16_t> Profile::key_usage_bits(bool subject_is_rsa) const {
  std::uint16_t bits = 0;
  for (const auto& usage : key_usage) {
    auto it = key_usage_names().find(usage);
    if (it == key_usage_names().end()) return bad("key_usage", "has the unknown key usage '" + usage + "'");
    bits = static_cast<std::uint16_t>(bits | it->second);
  }
  if (subject_is_rsa && rsa_key_encipherment) bits = static_cast<std::uint16_t>(bits | pki::kKeyEncipherment);
  return bits;
}

Result<std::vector<std::string>> Profile::ext_key_usage_oids() const {
  std::vector<std::string> oids;
  for (const auto& usage : ext_key_usage) {
    auto it = eku_names().find(usage);
    if (it != eku_names().end()) {
      oids.push_back(it->second);
    } else if (is_dotted_oid(usage) && usage != "2.5.29.37.0") {  // never anyExtendedKeyUsage
      oids.push_back(usage);
    } else {
      return bad("ext_key_usage", "has the unknown extended key usage '" + usage + "'");
    }
  }
  return oids;
}

Status Profile::check_key_type(pki::KeyType type, int bits) const {
  if (key_types.empty()) return ok();
  const std::string label = key_type_label(type, bits);
  if (contains(key_types, label)) return ok();
  std::string allowed;
  for (const auto& k : key_types) allowed += (allowed.empty() ? "" : ", ") + k;
  return fail(Errc::InvalidArgument,
              "profile '" + name + "' does not allow " + label + " keys (allowed: " + allowed + ")");
}

}  // namespace fleetpki::authority
