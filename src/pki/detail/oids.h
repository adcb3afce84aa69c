// Internal: content octets of the OBJECT IDENTIFIERs the hot paths compare against.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "common/bytes.h"

namespace fleetpki::pki::detail {

template <std::size_t N>
using OidBytes = std::array<std::uint8_t, N>;

// RFC 5480 §2.1.1 / §2.1.1.1
inline constexpr OidBytes<7> kIdEcPublicKey{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
inline constexpr OidBytes<8> kSecp256r1{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
inline constexpr OidBytes<5> kSecp384r1{0x2B, 0x81, 0x04, 0x00, 0x22};
// RFC 8410 §3
inline constexpr OidBytes<3> kIdEd25519{0x2B, 0x65, 0x70};
// RFC 8017 App. C
inline constexpr OidBytes<9> kRsaEncryption{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
inline constexpr OidBytes<9> kSha256WithRsa{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B};
// RFC 5758 §3.2
inline constexpr OidBytes<8> kEcdsaWithSha256{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
inline constexpr OidBytes<8> kEcdsaWithSha384{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03};
// PKCS#9 (RFC 2985 §5.4)
inline constexpr OidBytes<9> kExtensionRequest{0x2A, 0x86, 0x48, 0x86, 0xF7,
                                               0x0D, 0x01, 0x09, 0x0E};
inline constexpr OidBytes<9> kChallengePassword{0x2A, 0x86, 0x48, 0x86, 0xF7,
                                                0x0D, 0x01, 0x09, 0x07};
// RFC 5280 §4.2.1: id-ce arcs (2.5.29.x) and id-pe-authorityInfoAccess
inline constexpr OidBytes<3> kBasicConstraints{0x55, 0x1D, 0x13};
inline constexpr OidBytes<3> kKeyUsage{0x55, 0x1D, 0x0F};
inline constexpr OidBytes<3> kExtKeyUsage{0x55, 0x1D, 0x25};
inline constexpr OidBytes<3> kSubjectAltName{0x55, 0x1D, 0x11};
inline constexpr OidBytes<3> kNameConstraints{0x55, 0x1D, 0x1E};
inline constexpr OidBytes<3> kCrlDistributionPoints{0x55, 0x1D, 0x1F};
inline constexpr OidBytes<3> kSubjectKeyIdentifier{0x55, 0x1D, 0x0E};
inline constexpr OidBytes<8> kAuthorityInfoAccess{0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01};

template <std::size_t N>
bool oid_equals(ByteView content, const OidBytes<N>& oid) {
  return content.size() == N && std::equal(oid.begin(), oid.end(), content.begin());
}

}  // namespace fleetpki::pki::detail
