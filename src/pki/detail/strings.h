// Internal: ASN.1 character string helpers shared by names.cpp and csr.cpp.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "pki/der.h"

namespace fleetpki::pki::detail {

inline constexpr std::uint8_t kT61StringTag = 0x14;
inline constexpr std::uint8_t kUniversalStringTag = 0x1C;
inline constexpr std::uint8_t kBmpStringTag = 0x1E;

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view s);
/// True when every character is in the PrintableString set (X.680 §41.4).
bool is_printable_string(std::string_view s);
/// True when every character is 7-bit ASCII (IA5String).
bool is_ia5_string(std::string_view s);

/// Decodes a DirectoryString-like element (UTF8String, PrintableString, IA5String, T61String read
/// as Latin-1, BMPString, UniversalString) to UTF-8. nullopt-like error for other tags.
Result<std::string> decode_string(const der::Element& element);

}  // namespace fleetpki::pki::detail
