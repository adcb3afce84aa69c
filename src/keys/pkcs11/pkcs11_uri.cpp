// RFC 7512 pkcs11: URIs: a strict parser and a canonical formatter.
#include "keys/pkcs11/pkcs11_uri.h"

#include <array>
#include <cctype>

namespace fleetpki::keys {
namespace {

constexpr std::size_t kMaxUriLength = 4096;
constexpr std::size_t kMaxTokenLabel = 32;  // CK_TOKEN_INFO.label is 32 bytes, blank padded

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

/// RFC 7512 §2.3: p11-pchar = unreserved / p11-res-avail / pct-encoded, plus "&" in path values.
bool is_path_char(unsigned char c) {
  if (is_unreserved(c)) return true;
  switch (c) {
    case ':':
    case '[':
    case ']':
    case '@':
    case '!':
    case '$':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case '=':
    case '&':
      return true;
    default:
      return false;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Bytes> percent_decode(std::string_view name, std::string_view value) {
  Bytes out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '%') {
      if (i + 2 >= value.size()) {
        return fail(Errc::InvalidArgument,
                    "pkcs11 URI: truncated %-escape in '" + std::string(name) + "'");
      }
      const int hi = hex_value(value[i + 1]);
      const int lo = hex_value(value[i + 2]);
      if (hi < 0 || lo < 0) {
        return fail(Errc::InvalidArgument,
                    "pkcs11 URI: bad %-escape in '" + std::string(name) + "'");
      }
      out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
      i += 2;
    } else if (is_path_char(c)) {
      out.push_back(c);
    } else {
      return fail(Errc::InvalidArgument,
                  "pkcs11 URI: character not allowed unencoded in '" + std::string(name) + "'");
    }
  }
  return out;
}

void percent_encode(std::string& out, ByteView value, bool keep_unreserved) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::uint8_t b : value) {
    if (keep_unreserved && is_unreserved(b)) {
      out.push_back(static_cast<char>(b));
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
    }
  }
}

constexpr std::array<std::string_view, 5> kTypes = {"public", "private", "cert", "secret-key",
                                                    "data"};

}  // namespace

Result<Pkcs11Uri> parse_pkcs11_uri(std::string_view text) {
  if (text.size() > kMaxUriLength) {
    return fail(Errc::InvalidArgument, "pkcs11 URI longer than 4096 characters");
  }
  constexpr std::string_view kScheme = "pkcs11:";
  if (text.size() < kScheme.size()) {
    return fail(Errc::InvalidArgument, "not a pkcs11: URI");
  }
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != kScheme[i]) {
      return fail(Errc::InvalidArgument, "not a pkcs11: URI");
    }
  }
  std::string_view path = text.substr(kScheme.size());
  if (path.find('?') != std::string_view::npos) {
    return fail(Errc::InvalidArgument,
                "pkcs11 URI query attributes (pin-value, module-path…) are not accepted; the PIN "
                "comes from FLEETPKI_PKCS11_PIN or a PIN file");
  }
  if (path.find('#') != std::string_view::npos) {
    return fail(Errc::InvalidArgument, "pkcs11 URI with a fragment");
  }
  Pkcs11Uri uri;
  if (path.empty()) return uri;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = path.find(';', start);
    const std::string_view attribute =
        path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const std::size_t eq = attribute.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fail(Errc::InvalidArgument, "pkcs11 URI: path attribute without name=value");
    }
    const std::string_view name = attribute.substr(0, eq);
    const std::string_view raw = attribute.substr(eq + 1);
    if (raw.empty()) {
      return fail(Errc::InvalidArgument, "pkcs11 URI: empty value for '" + std::string(name) + "'");
    }
    FLEETPKI_TRY(Bytes value, percent_decode(name, raw));
    if (value.empty()) {
      return fail(Errc::InvalidArgument, "pkcs11 URI: empty value for '" + std::string(name) + "'");
    }
    auto duplicate = [&] {
      return fail(Errc::InvalidArgument, "pkcs11 URI: '" + std::string(name) + "' given twice");
    };
    if (name == "token") {
      if (uri.token) return duplicate();
      if (value.size() > kMaxTokenLabel) {
        return fail(Errc::InvalidArgument, "pkcs11 URI: token label longer than 32 bytes");
      }
      uri.token = std::string(value.begin(), value.end());
    } else if (name == "object") {
      if (uri.object) return duplicate();
      uri.object = std::string(value.begin(), value.end());
    } else if (name == "id") {
      if (uri.id) return duplicate();
      uri.id = std::move(value);
    } else if (name == "type") {
      if (uri.type) return duplicate();
      std::string type(value.begin(), value.end());
      bool known = false;
      for (std::string_view t : kTypes) known = known || t == type;
      if (!known) {
        return fail(Errc::InvalidArgument, "pkcs11 URI: unknown object type");
      }
      uri.type = std::move(type);
    } else {
      return fail(Errc::InvalidArgument,
                  "pkcs11 URI: unsupported attribute (use token, object, id and type)");
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (start == path.size()) {
      return fail(Errc::InvalidArgument, "pkcs11 URI ends with ';'");
    }
  }
  return uri;
}

std::string format_pkcs11_uri(const Pkcs11Uri& uri) {
  std::string out = "pkcs11:";
  bool first = true;
  auto add = [&](std::string_view name, ByteView value, bool keep_unreserved) {
    if (!first) out.push_back(';');
    first = false;
    out.append(name);
    out.push_back('=');
    percent_encode(out, value, keep_unreserved);
  };
  if (uri.token) add("token", as_bytes(*uri.token), true);
  if (uri.object) add("object", as_bytes(*uri.object), true);
  if (uri.id) add("id", *uri.id, false);
  if (uri.type) add("type", as_bytes(*uri.type), true);
  return out;
}

}  // namespace fleetpki::keys
