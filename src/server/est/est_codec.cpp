// EST wire encodings: RFC 8951 base64 bodies, media types, HTTP Basic credentials.
#include "server/est/est_codec.h"

#include <openssl/crypto.h>

#include <array>
#include <cstdint>

#include "pki/pkcs7_certs_only.h"

namespace fleetpki::server::est {
namespace {

/// RFC 8951 §3.2: "CR, LF, space and tab" may appear anywhere in a base64 body.
bool is_body_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
/// RFC 9110 §5.6.3 optional whitespace.
bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ows(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

/// RFC 4648 §4 alphabet value, -1 for anything else (including '=').
constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) {
    v = -1;
  }
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr auto kBase64 = make_base64_table();

/// Strict RFC 4648 §4 decoding of `text` with `skip` characters ignored: length a multiple of 4
/// after skipping, at most two '=' and only at the end. nullopt otherwise.
template <class Skip>
std::optional<Bytes> decode_base64(std::string_view text, Skip skip) {
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t quantum = 0;
  int have = 0;     // sextets in `quantum`
  int padding = 0;  // '=' seen
  for (char c : text) {
    if (skip(c)) {
      continue;
    }
    if (c == '=') {
      ++padding;
      if (padding > 2 || have < 2) {
        return std::nullopt;  // "A===" or "===="
      }
      continue;
    }
    if (padding > 0) {
      return std::nullopt;  // data after padding
    }
    const std::int8_t v = kBase64[static_cast<unsigned char>(c)];
    if (v < 0) {
      return std::nullopt;
    }
    quantum = (quantum << 6) | static_cast<std::uint32_t>(v);
    if (++have == 4) {
      out.push_back(static_cast<std::uint8_t>(quantum >> 16));
      out.push_back(static_cast<std::uint8_t>(quantum >> 8));
      out.push_back(static_cast<std::uint8_t>(quantum));
      quantum = 0;
      have = 0;
    }
  }
  if (padding == 0) {
    if (have != 0) {
      return std::nullopt;  // unpadded tail: RFC 4648 §4 requires the padding
    }
    return out;
  }
  // have + padding must complete a quantum: "xx==" (one octet) or "xxx=" (two octets).
  if (have + padding != 4) {
    return std::nullopt;
  }
  if (have == 2) {
    out.push_back(static_cast<std::uint8_t>(quantum >> 4));
  } else {
    out.push_back(static_cast<std::uint8_t>(quantum >> 10));
    out.push_back(static_cast<std::uint8_t>(quantum >> 2));
  }
  return out;
}

}  // namespace

Result<Bytes> decode_base64_body(std::string_view body) {
  std::size_t first = 0;
  while (first < body.size() && is_body_space(body[first])) {
    ++first;
  }
  if (first == body.size()) {
    return fail(Errc::InvalidArgument,
                "empty body: EST wants the base64 of a DER PKCS#10 (RFC 8951)");
  }
  if (body.find("-----BEGIN", first) != std::string_view::npos ||
      body.find("-----END", first) != std::string_view::npos) {
    return fail(Errc::InvalidArgument,
                "the body is PEM: EST wants the base64 of the DER without the BEGIN/END lines "
                "(RFC 7030 §4.2.1, RFC 8951 §3.2)");
  }
  if (static_cast<unsigned char>(body[first]) == 0x30) {
    return fail(Errc::InvalidArgument,
                "the body looks like binary DER: EST wants it base64-encoded (RFC 8951 §3.2)");
  }
  auto der = decode_base64(body.substr(first), is_body_space);
  if (!der) {
    return fail(Errc::InvalidArgument,
                "the body is not base64 (RFC 4648 §4, standard alphabet with padding; line breaks, "
                "spaces and tabs are allowed)");
  }
  if (der->empty()) {
    return fail(Errc::InvalidArgument,
                "empty body: EST wants the base64 of a DER PKCS#10 (RFC 8951)");
  }
  return std::move(*der);
}

std::string encode_base64_body(ByteView der) {
  return pki::base64_lines(der);
}

bool is_media_type(const std::optional<std::string>& content_type, std::string_view type) {
  if (!content_type) {
    return false;
  }
  std::string_view value = *content_type;
  value = trim_ows(value.substr(0, value.find(';')));
  return !value.empty() && iequals(value, type);
}

bool accepts_media_type(const std::optional<std::string>& accept, std::string_view type) {
  if (!accept) {
    return false;
  }
  std::string_view rest = *accept;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view element = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);

    std::size_t semicolon = element.find(';');
    if (!iequals(trim_ows(element.substr(0, semicolon)), type)) {
      continue;
    }
    // RFC 9110 §12.4.2: "q=0" (with up to three zero decimals) means "not acceptable".
    bool refused = false;
    while (semicolon != std::string_view::npos) {
      element.remove_prefix(semicolon + 1);
      semicolon = element.find(';');
      const std::string_view param = trim_ows(element.substr(0, semicolon));
      if (param.size() >= 2 && lower(param[0]) == 'q' && param[1] == '=') {
        const std::string_view q = param.substr(2);
        refused = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
      }
    }
    if (!refused) {
      return true;
    }
  }
  return false;
}

Result<std::optional<BasicCredentials>> parse_basic_authorization(std::string_view authorization) {
  authorization = trim_ows(authorization);
  constexpr std::string_view kScheme = "basic";
  if (authorization.size() < kScheme.size() ||
      !iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      (authorization.size() > kScheme.size() && !is_ows(authorization[kScheme.size()]))) {
    return std::optional<BasicCredentials>{};  // another scheme (Bearer, Digest, …)
  }
  const std::string_view token68 = trim_ows(authorization.substr(kScheme.size()));
  auto raw = decode_base64(token68, [](char) { return false; });
  if (token68.empty() || !raw) {
    return fail(Errc::InvalidArgument, "malformed HTTP Basic credentials (RFC 7617)");
  }
  const SecureBytes decoded{ByteView(*raw)};  // holds the password: wiped on every path
  ::OPENSSL_cleanse(raw->data(), raw->size());
  const std::string_view user_pass = as_chars(decoded.view());
  const std::size_t colon = user_pass.find(':');
  if (colon == std::string_view::npos) {
    return fail(Errc::InvalidArgument, "malformed HTTP Basic credentials: no ':' (RFC 7617 §2)");
  }
  for (char c : user_pass) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return fail(Errc::InvalidArgument,
                  "malformed HTTP Basic credentials: control character (RFC 7617 §2)");
    }
  }
  BasicCredentials credentials;
  credentials.user = std::string(user_pass.substr(0, colon));
  credentials.password = std::string(user_pass.substr(colon + 1));
  return std::optional<BasicCredentials>(std::move(credentials));
}

}  // namespace fleetpki::server::est
