// Certificate serial numbers: 16 CSPRNG bytes, positive, minimal DER (RFC 5280 §4.1.2.2).
#pragma once

#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::pki {

/// 16 content octets from RAND_bytes with byte 0 = (b & 0x7F) | 0x40: always positive, never a
/// leading zero octet, 126 random bits. Internal error only if the CSPRNG fails.
Result<Bytes> generate_serial();

/// Canonical text form used in URLs and the store: lower-case hex of the content octets.
std::string serial_to_hex(ByteView serial);

/// Parses the canonical hex (either case); InvalidArgument when not 1..20 octets of hex.
Result<Bytes> serial_from_hex(std::string_view hex);

}  // namespace fleetpki::pki
