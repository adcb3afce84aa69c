// Fuzz target for the strict DER reader and the small decoders built on it (names, general names,
// SPKI, times, certificates, PEM).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "pki/asn1_time.h"
#include "pki/certificate.h"
#include "pki/der.h"
#include "pki/names.h"
#include "pki/pem.h"
#include "pki/public_key.h"

namespace {

using namespace fleetpki;

void walk(ByteView input, int depth) {
  if (depth > 64) {
    return;
  }
  pki::der::Reader r(input);
  while (!r.empty()) {
    auto e = r.next();
    if (!e) {
      return;
    }
    FLEETPKI_CHECK(e->encoded.data() >= input.data() &&
                       e->encoded.data() + e->encoded.size() <= input.data() + input.size(),
                   "an element lies inside its input");
    FLEETPKI_CHECK(e->content.data() + e->content.size() == e->encoded.data() + e->encoded.size(),
                   "content ends where the element ends");
    if ((e->tag & 0x20) != 0) {
      walk(e->content, depth + 1);
    } else if (e->tag == pki::der::tag::kOid) {
      auto dotted = pki::der::decode_oid(e->content);
      if (dotted) {
        auto again = pki::der::oid(*dotted);
        FLEETPKI_CHECK(again.has_value(), "a decoded OID re-encodes");
        auto reparsed = pki::der::parse_single(*again, pki::der::tag::kOid);
        FLEETPKI_CHECK(reparsed.has_value() &&
                           std::equal(reparsed->content.begin(), reparsed->content.end(),
                                      e->content.begin(), e->content.end()),
                       "an OID round trip keeps the octets");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const pki::CryptoContext ctx;
  const ByteView input(data, size);
  walk(input, 0);
  (void)pki::decode_name(input);
  (void)pki::decode_general_names(input);
  (void)pki::decode_time(input);
  (void)pki::parse_signature_algorithm(input);
  if (auto key = pki::parse_public_key(input); key) {
    (void)pki::make_verification_key(ctx, *key);
  }
  (void)pki::Certificate::from_der(ctx, input);
  (void)pki::pem_decode_all(as_chars(input), "CERTIFICATE");
  return 0;
}
