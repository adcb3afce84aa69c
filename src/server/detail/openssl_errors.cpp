// Drains the OpenSSL error queue (every entry, never just the first) for logs and Error::detail.
#include "server/detail/openssl_errors.h"

#include <openssl/err.h>

#include <array>

namespace fleetpki::server::detail {

std::string drain_openssl_errors() {
  std::string out;
  const char* file = nullptr;
  int line = 0;
  const char* data = nullptr;
  int flags = 0;
  for (unsigned long code = ::ERR_get_error_all(&file, &line, nullptr, &data, &flags); code != 0;
       code = ::ERR_get_error_all(&file, &line, nullptr, &data, &flags)) {
    std::array<char, 256> text{};
    ::ERR_error_string_n(code, text.data(), text.size());
    if (!out.empty()) {
      out += "; ";
    }
    out += text.data();
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
      out += " (";
      out += data;
      out += ")";
    }
  }
  return out.empty() ? std::string("no OpenSSL error queued") : out;
}

Error openssl_error(std::string_view where, Errc code, std::string message) {
  std::string detail(where);
  detail += ": ";
  detail += drain_openssl_errors();
  return make_error(code, std::move(message), std::move(detail));
}

}  // namespace fleetpki::server::detail
