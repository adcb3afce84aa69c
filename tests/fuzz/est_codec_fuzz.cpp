// Fuzz target for the EST wire codec (internet-facing: every EST POST body and Authorization
// header goes through it): libFuzzer entry point, also driven by replay_main.cpp under g++
// (fuzz_smoke).
//
// Seed corpus (tests/fuzz/corpus/est): base64 bodies as EST clients send them, made with the
// openssl CLI from tests/fuzz/corpus/csr/csr_p256.der (one command a line):
//   base64 -w 64 csr_p256.der > csr_b64_lines.txt          (LF lines, like curl --data-binary)
//   base64 -w 76 csr_p256.der | sed 's/$/\r/' > csr_b64_crlf.txt   (CRLF, like MIME encoders)
//   base64 -w 0 csr_p256.der > csr_b64_one_line.txt        (no line breaks, like libest)
//   openssl req -inform DER -in csr_p256.der -out csr_pem.txt   (a PEM body: refused)
// plus basic_auth.txt ("Basic ZGV2LTAwMDE6b3Rw"), content_type.txt and accept.txt.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "server/est/est_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fleetpki;
  using namespace fleetpki::server::est;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto der = decode_base64_body(input);
  if (der) {
    FLEETPKI_CHECK(!der->empty(), "an accepted body is never empty");
    FLEETPKI_CHECK(der->size() <= size / 4 * 3, "base64 never decodes to more than 3/4");
    const std::string again = encode_base64_body(*der);
    auto round = decode_base64_body(again);
    FLEETPKI_CHECK(round && *round == *der, "encode then decode is the identity");
    FLEETPKI_CHECK(input.find("-----BEGIN") == std::string_view::npos, "PEM is never accepted");
  } else {
    FLEETPKI_CHECK(der.error().code == Errc::InvalidArgument, "body errors are InvalidArgument");
  }

  auto basic = parse_basic_authorization(input);
  if (basic && *basic) {
    for (char c : (*basic)->user + (*basic)->password) {
      const auto u = static_cast<unsigned char>(c);
      FLEETPKI_CHECK(u >= 0x20 && u != 0x7F, "no control characters in credentials");
    }
    FLEETPKI_CHECK((*basic)->user.find(':') == std::string::npos, "the user never holds ':'");
  } else if (!basic) {
    FLEETPKI_CHECK(basic.error().code == Errc::InvalidArgument,
                   "header errors are InvalidArgument");
  }

  const std::optional<std::string> header{std::string(input)};
  const bool pkcs10 = is_media_type(header, "application/pkcs10");
  FLEETPKI_CHECK(!pkcs10 || input.size() >= 18, "a match holds the type");
  (void)accepts_media_type(header, "application/problem+json");
  return 0;
}
