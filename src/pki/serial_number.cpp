// Serial numbers per RFC 5280 §4.1.2.2 and CA/B Forum BR §7.1 (>= 64 bits of CSPRNG output).
#include "pki/serial_number.h"

#include <openssl/rand.h>

#include "pki/ossl/error.h"

namespace fleetpki::pki {

Result<Bytes> generate_serial() {
  Bytes b(16);
  if (::RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    return tl::unexpected(ossl::last_error("RAND_bytes"));
  }
  // Positive (bit 7 clear) and minimal (byte 0 non-zero): exactly 16 content octets.
  b[0] = static_cast<std::uint8_t>((b[0] & 0x7F) | 0x40);
  return b;
}

std::string serial_to_hex(ByteView serial) { return to_hex(serial); }

Result<Bytes> serial_from_hex(std::string_view hex) {
  Bytes out;
  if (hex.empty() || !from_hex(hex, out) || out.empty() || out.size() > 20) {
    return fail(Errc::InvalidArgument, "serial must be 1 to 20 octets of hex");
  }
  return out;
}

}  // namespace fleetpki::pki
