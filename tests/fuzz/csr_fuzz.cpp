// Fuzz target for the CSR parser (DER and PEM paths): libFuzzer entry point, also driven by
// replay_main.cpp under g++ for the fuzz_smoke ctest case.
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "pki/csr.h"
#include "pki/pem.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fleetpki;
  static const pki::CryptoContext ctx;
  const ByteView input(data, size);

  auto from_der = pki::Csr::from_der(ctx, input);
  if (from_der) {
    FLEETPKI_CHECK(from_der->der().size() == size, "an accepted CSR keeps its exact encoding");
    FLEETPKI_CHECK(pki::Csr::from_der(ctx, from_der->der()).has_value(),
                   "re-parsing an accepted CSR succeeds");
  }
  // The PEM path over arbitrary text, and over the input wrapped as a well-formed PEM block.
  auto from_text = pki::Csr::from_pem(ctx, as_chars(input));
  (void)from_text;
  if (size <= pki::kMaxCsrBytes) {
    auto wrapped = pki::Csr::from_pem(ctx, pki::pem_encode(input, "CERTIFICATE REQUEST"));
    FLEETPKI_CHECK(wrapped.has_value() == from_der.has_value(),
                   "PEM wrapping does not change the verdict");
  }
  return 0;
}
