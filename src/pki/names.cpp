// Distinguished names (RFC 5280 §4.1.2.4, App. A) and GeneralNames (RFC 5280 §4.2.1.6).
#include "pki/names.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "pki/der.h"
#include "pki/detail/strings.h"

namespace fleetpki::pki {
namespace {

enum class StringKind { Utf8, Printable, Ia5 };

struct AttributeType {
  std::string_view short_name;
  std::string_view oid;
  StringKind kind;
};

// RFC 5280 App. A: X520countryName and serialNumber are PrintableString; domainComponent and
// emailAddress are IA5String; DirectoryString attributes are written as UTF8String (§4.1.2.4).
constexpr std::array<AttributeType, 17> kAttributeTypes{{
    {"CN", "2.5.4.3", StringKind::Utf8},
    {"SN", "2.5.4.4", StringKind::Utf8},
    {"serialNumber", "2.5.4.5", StringKind::Printable},
    {"C", "2.5.4.6", StringKind::Printable},
    {"L", "2.5.4.7", StringKind::Utf8},
    {"ST", "2.5.4.8", StringKind::Utf8},
    {"street", "2.5.4.9", StringKind::Utf8},
    {"O", "2.5.4.10", StringKind::Utf8},
    {"OU", "2.5.4.11", StringKind::Utf8},
    {"title", "2.5.4.12", StringKind::Utf8},
    {"GN", "2.5.4.42", StringKind::Utf8},
    {"dnQualifier", "2.5.4.46", StringKind::Printable},
    {"pseudonym", "2.5.4.65", StringKind::Utf8},
    {"organizationIdentifier", "2.5.4.97", StringKind::Utf8},
    {"UID", "0.9.2342.19200300.100.1.1", StringKind::Utf8},
    {"DC", "0.9.2342.19200300.100.1.25", StringKind::Ia5},
    {"emailAddress", "1.2.840.113549.1.9.1", StringKind::Ia5},
}};

const AttributeType* find_by_short_name(std::string_view name) {
  for (const auto& a : kAttributeTypes) {
    if (a.short_name == name) {
      return &a;
    }
  }
  return nullptr;
}

const AttributeType* find_by_oid(std::string_view oid) {
  for (const auto& a : kAttributeTypes) {
    if (a.oid == oid) {
      return &a;
    }
  }
  return nullptr;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

tl::unexpected<Error> bad_name(std::string why) {
  return fail(Errc::InvalidArgument, "invalid name: " + why);
}

GeneralName make_general_name(GeneralNameType type, std::uint8_t tag, std::string_view text) {
  GeneralName gn;
  gn.type = type;
  gn.value = std::string(text);
  gn.der = der::tlv(tag, as_bytes(text));
  return gn;
}

}  // namespace

namespace detail {

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<std::uint8_t>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<std::uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool is_printable_string(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              std::strchr(" '()+,-./:=?", c) != nullptr;
    if (!ok || c == '\0') {
      return false;
    }
  }
  return true;
}

bool is_ia5_string(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

Result<std::string> decode_string(const der::Element& e) {
  std::string_view raw = as_chars(e.content);
  switch (e.tag) {
    case der::tag::kUtf8String:
      if (!is_valid_utf8(raw)) {
        return bad_name("UTF8String is not valid UTF-8");
      }
      return std::string(raw);
    case der::tag::kPrintableString:
    case der::tag::kIa5String:
      if (!is_ia5_string(raw)) {
        return bad_name("non-ASCII octet in a PrintableString or IA5String");
      }
      return std::string(raw);
    case kT61StringTag: {  // best effort: read as Latin-1
      std::string out;
      for (std::uint8_t b : e.content) {
        append_utf8(out, b);
      }
      return out;
    }
    case kBmpStringTag: {
      if (e.content.size() % 2 != 0) {
        return bad_name("BMPString of odd length");
      }
      std::string out;
      for (std::size_t i = 0; i < e.content.size(); i += 2) {
        std::uint32_t cp = (std::uint32_t{e.content[i]} << 8) | e.content[i + 1];
        if (cp >= 0xD800 && cp <= 0xDFFF) {
          return bad_name("surrogate in BMPString");
        }
        append_utf8(out, cp);
      }
      return out;
    }
    case kUniversalStringTag: {
      if (e.content.size() % 4 != 0) {
        return bad_name("UniversalString length not a multiple of 4");
      }
      std::string out;
      for (std::size_t i = 0; i < e.content.size(); i += 4) {
        std::uint32_t cp = (std::uint32_t{e.content[i]} << 24) |
                           (std::uint32_t{e.content[i + 1]} << 16) |
                           (std::uint32_t{e.content[i + 2]} << 8) | e.content[i + 3];
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return bad_name("invalid code point in UniversalString");
        }
        append_utf8(out, cp);
      }
      return out;
    }
    default:
      return bad_name("unsupported string type");
  }
}

}  // namespace detail

Result<Bytes> encode_name(
    const std::vector<std::pair<std::string, std::string>>& short_name_values) {
  Bytes rdns;
  for (const auto& [name, value] : short_name_values) {
    const AttributeType* type = find_by_short_name(name);
    std::string dotted;
    StringKind kind = StringKind::Utf8;
    if (type != nullptr) {
      dotted = std::string(type->oid);
      kind = type->kind;
    } else if (!name.empty() && name[0] >= '0' && name[0] <= '2') {
      dotted = name;  // a dotted OID, e.g. a Matter attribute: written as UTF8String
      if (const AttributeType* by_oid = find_by_oid(dotted); by_oid != nullptr) {
        kind = by_oid->kind;
      }
    } else {
      return bad_name("unknown attribute type \"" + name + "\"");
    }
    if (value.empty()) {
      return bad_name("empty value for " + name);
    }
    std::uint8_t string_tag = der::tag::kUtf8String;
    switch (kind) {
      case StringKind::Utf8:
        if (!detail::is_valid_utf8(value)) {
          return bad_name("value of " + name + " is not valid UTF-8");
        }
        break;
      case StringKind::Printable:
        if (!detail::is_printable_string(value)) {
          return bad_name("value of " + name + " has characters outside PrintableString");
        }
        if (dotted == "2.5.4.6" && value.size() != 2) {
          return bad_name("C must be a two-letter country code");
        }
        string_tag = der::tag::kPrintableString;
        break;
      case StringKind::Ia5:
        if (!detail::is_ia5_string(value)) {
          return bad_name("value of " + name + " is not ASCII");
        }
        string_tag = der::tag::kIa5String;
        break;
    }
    auto oid = der::oid(dotted);
    if (!oid) {
      return tl::unexpected(std::move(oid).error());
    }
    Bytes atv = *oid;
    der::append_tlv(atv, string_tag, as_bytes(value));
    Bytes set = der::tlv(der::tag::kSequence, atv);
    der::append_tlv(rdns, der::tag::kSet, set);
  }
  return der::tlv(der::tag::kSequence, rdns);
}

Result<std::vector<NameAttribute>> decode_name(ByteView name_der) {
  FLEETPKI_TRY(der::Element name, der::parse_single(name_der, der::tag::kSequence));
  std::vector<NameAttribute> out;
  der::Reader rdns(name.content);
  while (!rdns.empty()) {
    FLEETPKI_TRY(der::Element rdn, rdns.expect(der::tag::kSet));
    if (rdn.content.empty()) {
      return bad_name("empty RelativeDistinguishedName");
    }
    der::Reader atvs(rdn.content);
    while (!atvs.empty()) {
      FLEETPKI_TRY(der::Element atv, atvs.expect(der::tag::kSequence));
      der::Reader fields(atv.content);
      FLEETPKI_TRY(der::Element type, fields.expect(der::tag::kOid));
      FLEETPKI_TRY(der::Element value, fields.next());
      FLEETPKI_RETURN_IF_ERROR(fields.expect_end("AttributeTypeAndValue"));
      NameAttribute attr;
      FLEETPKI_TRY(attr.oid, der::decode_oid(type.content));
      const AttributeType* known = find_by_oid(attr.oid);
      attr.short_name = known != nullptr ? std::string(known->short_name) : attr.oid;
      auto text = detail::decode_string(value);
      if (text) {
        attr.value = std::move(*text);
      } else if (value.tag == der::tag::kUtf8String || value.tag == detail::kBmpStringTag ||
                 value.tag == detail::kUniversalStringTag ||
                 value.tag == der::tag::kPrintableString || value.tag == der::tag::kIa5String) {
        return tl::unexpected(std::move(text).error());
      } else {
        // RFC 4514 §2.4: a value that is not a string is rendered as '#' + hex of its encoding.
        attr.value = "#" + to_hex(value.encoded);
      }
      attr.der.assign(atv.encoded.begin(), atv.encoded.end());
      out.push_back(std::move(attr));
    }
  }
  return out;
}

std::string name_to_string(const std::vector<NameAttribute>& attributes) {
  // RFC 4514 §2.1: the last RDN of the sequence (most specific) is written first.
  std::string out;
  for (auto it = attributes.rbegin(); it != attributes.rend(); ++it) {
    if (!out.empty()) {
      out += ',';
    }
    out += it->short_name;
    out += '=';
    const std::string& v = it->value;
    if (!v.empty() && v[0] == '#' && it->short_name != it->oid) {
      out += '\\';
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      char c = v[i];
      bool edge_space = c == ' ' && (i == 0 || i + 1 == v.size());
      if (std::strchr(",+\"\\<>;", c) != nullptr && c != '\0') {
        out += '\\';
        out += c;
      } else if (edge_space) {
        out += "\\ ";
      } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        static constexpr char kDigits[] = "0123456789ABCDEF";
        out += '\\';
        out += kDigits[static_cast<unsigned char>(c) >> 4];
        out += kDigits[static_cast<unsigned char>(c) & 0x0F];
      } else {
        out += c;
      }
    }
  }
  return out;
}

GeneralName dns_name(std::string_view name) {
  return make_general_name(GeneralNameType::Dns, der::tag::context(2, false), name);
}

GeneralName uri_name(std::string_view uri) {
  return make_general_name(GeneralNameType::Uri, der::tag::context(6, false), uri);
}

GeneralName email_name(std::string_view email) {
  return make_general_name(GeneralNameType::Email, der::tag::context(1, false), email);
}

Result<GeneralName> ip_name(std::string_view ip_text) {
  std::string text(ip_text);
  std::uint8_t buf[16];
  std::size_t len = 0;
  if (::inet_pton(AF_INET, text.c_str(), buf) == 1) {
    len = 4;
  } else if (::inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    len = 16;
  } else {
    return fail(Errc::InvalidArgument, "not an IP address: \"" + text + "\"");
  }
  GeneralName gn;
  gn.type = GeneralNameType::Ip;
  char canon[INET6_ADDRSTRLEN];
  ::inet_ntop(len == 4 ? AF_INET : AF_INET6, buf, canon, sizeof canon);
  gn.value = canon;
  gn.der = der::tlv(der::tag::context(7, false), ByteView(buf, len));
  return gn;
}

Result<GeneralName> hardware_module_name(std::string_view hw_type_oid, std::string_view hw_serial) {
  if (hw_serial.empty() || hw_serial.size() > 64) {
    return bad_name("hwSerialNum must be 1..64 octets");
  }
  FLEETPKI_TRY(Bytes hw_type, der::oid(hw_type_oid));
  Bytes hmn = std::move(hw_type);
  der::append_tlv(hmn, der::tag::kOctetString, as_bytes(hw_serial));
  FLEETPKI_TRY(Bytes type_id, der::oid(kHardwareModuleNameOid));
  Bytes other = std::move(type_id);
  // OtherName ::= SEQUENCE { type-id, value [0] EXPLICIT ANY }; as a GeneralName, [0] IMPLICIT.
  der::append_tlv(other, der::tag::context(0, true), der::tlv(der::tag::kSequence, hmn));
  GeneralName gn;
  gn.type = GeneralNameType::OtherName;
  gn.value = kHardwareModuleNameOid;
  gn.der = der::tlv(der::tag::context(0, true), other);
  return gn;
}

Result<std::vector<GeneralName>> decode_general_names(ByteView seq_der) {
  FLEETPKI_TRY(der::Element seq, der::parse_single(seq_der, der::tag::kSequence));
  if (seq.content.empty()) {
    return bad_name("empty GeneralNames");
  }
  std::vector<GeneralName> out;
  der::Reader r(seq.content);
  while (!r.empty()) {
    FLEETPKI_TRY(der::Element e, r.next());
    GeneralName gn;
    gn.der.assign(e.encoded.begin(), e.encoded.end());
    switch (e.tag) {
      case der::tag::context(0, true): {  // otherName: type-id OID, [0] EXPLICIT value
        der::Reader fields(e.content);
        FLEETPKI_TRY(der::Element type_id, fields.expect(der::tag::kOid));
        FLEETPKI_TRY(der::Element value, fields.expect(der::tag::context(0, true)));
        (void)value;
        FLEETPKI_RETURN_IF_ERROR(fields.expect_end("otherName"));
        gn.type = GeneralNameType::OtherName;
        FLEETPKI_TRY(gn.value, der::decode_oid(type_id.content));
        break;
      }
      case der::tag::context(1, false):
      case der::tag::context(2, false):
      case der::tag::context(6, false): {
        std::string_view text = as_chars(e.content);
        if (!detail::is_ia5_string(text)) {
          return bad_name("non-ASCII octet in an IA5String general name");
        }
        gn.type = e.tag == der::tag::context(1, false)   ? GeneralNameType::Email
                  : e.tag == der::tag::context(2, false) ? GeneralNameType::Dns
                                                         : GeneralNameType::Uri;
        gn.value = std::string(text);
        break;
      }
      case der::tag::context(7, false): {
        if (e.content.size() != 4 && e.content.size() != 16) {
          return bad_name("iPAddress must be 4 or 16 octets");
        }
        char text[INET6_ADDRSTRLEN];
        if (::inet_ntop(e.content.size() == 4 ? AF_INET : AF_INET6, e.content.data(), text,
                        sizeof text) == nullptr) {
          return bad_name("unprintable iPAddress");
        }
        gn.type = GeneralNameType::Ip;
        gn.value = text;
        break;
      }
      case der::tag::context(4, true): {  // directoryName: [4] EXPLICIT Name
        FLEETPKI_TRY(auto attrs, decode_name(e.content));
        gn.type = GeneralNameType::DirectoryName;
        gn.value = name_to_string(attrs);
        break;
      }
      default:
        gn.type = GeneralNameType::Other;
        break;
    }
    out.push_back(std::move(gn));
  }
  return out;
}

}  // namespace fleetpki::pki
