// X.509 Time encoding: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
#pragma once

#include <optional>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"

namespace fleetpki::pki {

/// notAfter of "no well-defined expiration": GeneralizedTime 99991231235959Z (RFC 5280 §4.1.2.5).
inline constexpr std::int64_t kNoExpiryUnix = 253402300799;

/// Encodes `t` as a DER Time: UTCTime YYMMDDHHMMSSZ up to 2049, GeneralizedTime after.
/// Times before 1950 are InvalidArgument.
Result<Bytes> encode_time(TimePoint t);

/// Decodes a DER UTCTime or GeneralizedTime element (tag included).
Result<TimePoint> decode_time(ByteView element);

}  // namespace fleetpki::pki
