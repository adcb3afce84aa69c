// Fuzz target for the RFC 7512 pkcs11: URI parser (key references come from the database and
// from operators' command lines): libFuzzer entry point, also driven by replay_main.cpp under g++
// (fuzz_smoke).
//
// Seed corpus (tests/fuzz/corpus/pkcs11_uri): references as Pkcs11KeyVault writes them, the
// RFC 7512 §3 examples, and URIs with a query (refused).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "keys/pkcs11/pkcs11_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fleetpki;
  using namespace fleetpki::keys;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto uri = parse_pkcs11_uri(input);
  if (!uri) {
    FLEETPKI_CHECK(uri.error().code == Errc::InvalidArgument, "URI errors are InvalidArgument");
    return 0;
  }
  FLEETPKI_CHECK(input.find('?') == std::string_view::npos, "no query is ever accepted");
  FLEETPKI_CHECK(!uri->token || (!uri->token->empty() && uri->token->size() <= 32),
                 "token labels have 1 to 32 bytes");
  FLEETPKI_CHECK(!uri->object || !uri->object->empty(), "no empty object label");
  FLEETPKI_CHECK(!uri->id || !uri->id->empty(), "no empty id");
  const std::string canonical = format_pkcs11_uri(*uri);
  auto again = parse_pkcs11_uri(canonical);
  FLEETPKI_CHECK(again && *again == *uri, "format then parse is the identity");
  FLEETPKI_CHECK(format_pkcs11_uri(*again) == canonical, "the canonical form is stable");
  return 0;
}
