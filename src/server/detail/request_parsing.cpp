// Percent-decoding, query parsing and request ids for the HTTP session (no Beast here).
#include "server/detail/request_parsing.h"

#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "common/bytes.h"
#include "common/log.h"
#include "pki/ossl/error.h"

namespace fleetpki::server::detail {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return std::nullopt;
      }
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      const int value = hi * 16 + lo;
      if (value == 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(value));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>(std::string())
                                              : percent_decode(pair.substr(eq + 1), true);
    if (!key || !value) {
      return std::nullopt;
    }
    out[std::move(*key)] = std::move(*value);
  }
  return out;
}

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string new_request_id() {
  // Request ids only correlate log lines: they must be unique, not unpredictable. A random
  // per-process prefix and a counter cost one atomic increment instead of a DRBG call per request.
  static const std::uint32_t prefix = [] {
    std::array<std::uint8_t, 4> raw{};
    if (::RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
      log::warn(pki::ossl::last_error("RAND_bytes failed; request ids start from a fixed prefix").detail);
    }
    return std::uint32_t{raw[0]} << 24 | std::uint32_t{raw[1]} << 16 | std::uint32_t{raw[2]} << 8 | raw[3];
  }();
  static std::atomic<std::uint32_t> counter{0};
  const std::uint64_t id = std::uint64_t{prefix} << 32 | counter.fetch_add(1, std::memory_order_relaxed);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 0; i < 16; ++i) text[static_cast<std::size_t>(i)] = kHex[(id >> (60 - 4 * i)) & 0xF];
  return text;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace fleetpki::server::detail
