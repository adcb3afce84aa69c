// Drains the whole OpenSSL error queue into Error::detail (never just the first code).
#include "pki/ossl/error.h"

#include <openssl/err.h>

#include <string>

namespace fleetpki::pki::ossl {

Error last_error(std::string_view where, Errc code, std::string_view message) {
  std::string detail(where);
  const char* file = nullptr;
  const char* func = nullptr;
  const char* data = nullptr;
  int line = 0;
  int flags = 0;
  bool any = false;
  for (unsigned long e = ::ERR_get_error_all(&file, &line, &func, &data, &flags); e != 0;
       e = ::ERR_get_error_all(&file, &line, &func, &data, &flags)) {
    char buf[256];
    ::ERR_error_string_n(e, buf, sizeof buf);
    detail += any ? "; " : ": ";
    detail += buf;
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && data[0] != '\0') {
      detail += " (";
      detail += data;
      detail += ")";
    }
    any = true;
  }
  if (!any) {
    detail += ": no OpenSSL error queued";
  }
  return make_error(code, std::string(message), std::move(detail));
}

void clear_errors() { ::ERR_clear_error(); }

}  // namespace fleetpki::pki::ossl
