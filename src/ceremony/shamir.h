// Shamir's secret sharing over GF(2^8) (AES polynomial x^8+x^4+x^3+x+1), byte by byte, m of n.
//
//   auto shares = split_secret(ctx, secret.view(), /*threshold=*/3, /*count=*/5).value();
//   SecureBytes again = combine_shares(ctx, {shares[0], shares[2], shares[4]}).value();
//
// Field arithmetic is constant time (a loop multiply, no table indexed by secret data). A share
// carries its format version, x (1..n), the threshold m, a random share-set id (shares of different
// splits are never mixed), the secret's length and a 4-byte digest of the secret, so a combination
// with a wrong or corrupted share is refused instead of producing a wrong key.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "pki/crypto_context.h"

namespace fleetpki::ceremony {

inline constexpr std::uint8_t kShareVersion = 1;
/// version, x, threshold, set id (4), secret length (2), digest (4).
inline constexpr std::size_t kShareHeaderBytes = 13;
inline constexpr std::size_t kMaxSecretBytes = 4096;

struct Share {
  std::uint8_t version = kShareVersion;
  std::uint8_t x = 0;                    // 1..255: the point the polynomial was evaluated at
  std::uint8_t threshold = 0;            // m: shares needed
  std::array<std::uint8_t, 4> set_id{};  // random, the same in every share of one split
  std::array<std::uint8_t, 4>
      digest{};   // SHA-256("fleetpki shamir v1" | set id | m | secret)[0..4)
  SecureBytes y;  // one byte per secret byte

  Share() = default;
  Share(Share&&) noexcept = default;
  Share& operator=(Share&&) noexcept = default;
  /// Copies explicitly (SecureBytes does not copy implicitly).
  Share clone() const;
};

/// GF(2^8) product, constant time (eight masked shift-and-add rounds).
std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b);
/// GF(2^8) inverse as a^254, constant time; gf_inv(0) = 0.
std::uint8_t gf_inv(std::uint8_t a);

/// Splits `secret` (1..4096 bytes) into `count` shares, any `threshold` of which recover it.
/// 2 <= threshold <= count <= 255, else InvalidArgument. Coefficients from RAND_priv_bytes.
Result<std::vector<Share>> split_secret(const pki::CryptoContext& ctx, ByteView secret,
                                        int threshold, int count);

/// Recombines shares of one split. InvalidArgument when fewer than the threshold are given, when
/// shares come from different splits (set id, threshold, length or version differ) or repeat an
/// x; DataLoss when the result does not match the shares' digest (a wrong or corrupted share).
Result<SecureBytes> combine_shares(const pki::CryptoContext& ctx, const std::vector<Share>& shares);

/// Lagrange interpolation at x = 0 of the points (xs[i], ys[i][k]) for every byte k: no checks
/// beyond distinct non-zero xs and equal lengths. Exposed for tests of the scheme itself.
Result<SecureBytes> interpolate_at_zero(const std::vector<std::uint8_t>& xs,
                                        const std::vector<ByteView>& ys);

/// version | x | threshold | set id | length (2, big endian) | digest | y.
SecureBytes encode_share(const Share& share);
/// The inverse of encode_share; InvalidArgument for a wrong version, x 0, threshold < 2, or a
/// length that does not match.
Result<Share> decode_share(ByteView bytes);

}  // namespace fleetpki::ceremony
