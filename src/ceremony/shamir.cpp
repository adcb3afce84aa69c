// Shamir's secret sharing over GF(2^8): split (Horner evaluation) and combine (Lagrange at 0).
#include "ceremony/shamir.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <string_view>

#include "pki/ossl/error.h"

namespace fleetpki::ceremony {
namespace {

constexpr std::string_view kDigestLabel = "fleetpki shamir v1";

Result<std::array<std::uint8_t, 4>> secret_digest(const pki::CryptoContext& ctx,
                                                  const std::array<std::uint8_t, 4>& set_id,
                                                  std::uint8_t threshold, ByteView secret) {
  pki::ossl::Ptr<EVP_MD_CTX> md(::EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!md || ::EVP_DigestInit_ex2(md.get(), ctx.sha256(), nullptr) != 1 ||
      ::EVP_DigestUpdate(md.get(), kDigestLabel.data(), kDigestLabel.size()) != 1 ||
      ::EVP_DigestUpdate(md.get(), set_id.data(), set_id.size()) != 1 ||
      ::EVP_DigestUpdate(md.get(), &threshold, 1) != 1 ||
      ::EVP_DigestUpdate(md.get(), secret.data(), secret.size()) != 1 ||
      ::EVP_DigestFinal_ex(md.get(), out, &length) != 1 || length < 4) {
    return fail(pki::ossl::last_error("SHA-256 of the secret"));
  }
  return std::array<std::uint8_t, 4>{out[0], out[1], out[2], out[3]};
}

}  // namespace

Share Share::clone() const {
  Share copy;
  copy.version = version;
  copy.x = x;
  copy.threshold = threshold;
  copy.set_id = set_id;
  copy.digest = digest;
  copy.y = SecureBytes(y.view());
  return copy;
}

std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t product = 0;
  for (int i = 0; i < 8; ++i) {
    // Add a when the low bit of b is set, through a mask rather than a branch.
    product ^= static_cast<std::uint8_t>(-(b & 1u)) & a;
    // a *= x, reducing by 0x11b when the top bit falls out (again by mask).
    std::uint8_t carry = static_cast<std::uint8_t>(-(a >> 7));
    a = static_cast<std::uint8_t>((a << 1) ^ (carry & 0x1bu));
    b = static_cast<std::uint8_t>(b >> 1);
  }
  return product;
}

std::uint8_t gf_inv(std::uint8_t a) {
  // a^254 = a^-1 in GF(2^8)*: a fixed square-and-multiply chain (254 = 0b11111110).
  std::uint8_t result = 1;
  std::uint8_t power = a;  // a^(2^i)
  for (int i = 0; i < 8; ++i) {
    if (i != 0) {  // the exponent's bits 1..7 are set, bit 0 is not: no data-dependent branch
      result = gf_mul(result, power);
    }
    power = gf_mul(power, power);
  }
  return result;
}

Result<std::vector<Share>> split_secret(const pki::CryptoContext& ctx, ByteView secret,
                                        int threshold, int count) {
  if (threshold < 2 || count < threshold || count > 255) {
    return fail(Errc::InvalidArgument, "shares: need 2 <= threshold (m) <= count (n) <= 255, got " +
                                           std::to_string(threshold) + " of " +
                                           std::to_string(count));
  }
  if (secret.empty() || secret.size() > kMaxSecretBytes) {
    return fail(Errc::InvalidArgument, "the secret to share must be 1 to 4096 bytes");
  }
  std::array<std::uint8_t, 4> set_id{};
  if (::RAND_bytes(set_id.data(), static_cast<int>(set_id.size())) != 1) {
    return fail(pki::ossl::last_error("RAND_bytes"));
  }
  const auto m = static_cast<std::uint8_t>(threshold);
  FLEETPKI_TRY(auto digest, secret_digest(ctx, set_id, m, secret));

  std::vector<Share> shares(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    Share& share = shares[static_cast<std::size_t>(i)];
    share.x = static_cast<std::uint8_t>(i + 1);
    share.threshold = m;
    share.set_id = set_id;
    share.digest = digest;
    share.y = SecureBytes(secret.size());
  }
  // One random polynomial of degree m-1 per secret byte: a_0 = the byte, a_1..a_{m-1} random.
  SecureBytes coefficients(static_cast<std::size_t>(threshold - 1));
  for (std::size_t k = 0; k < secret.size(); ++k) {
    if (::RAND_priv_bytes(coefficients.data(), static_cast<int>(coefficients.size())) != 1) {
      return fail(pki::ossl::last_error("RAND_priv_bytes"));
    }
    for (Share& share : shares) {
      // Horner: ((a_{m-1} x + a_{m-2}) x + …) x + a_0.
      std::uint8_t value = 0;
      for (std::size_t j = coefficients.size(); j-- > 0;) {
        value = static_cast<std::uint8_t>(gf_mul(value, share.x) ^ coefficients.data()[j]);
      }
      value = static_cast<std::uint8_t>(gf_mul(value, share.x) ^ secret[k]);
      share.y.data()[k] = value;
    }
  }
  return shares;
}

Result<SecureBytes> interpolate_at_zero(const std::vector<std::uint8_t>& xs,
                                        const std::vector<ByteView>& ys) {
  if (xs.empty() || xs.size() != ys.size()) {
    return fail(Errc::InvalidArgument, "no shares to combine");
  }
  const std::size_t length = ys.front().size();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (xs[i] == 0) {
      return fail(Errc::InvalidArgument, "a share has x = 0");
    }
    if (ys[i].size() != length) {
      return fail(Errc::InvalidArgument, "shares of different lengths cannot be combined");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (xs[i] == xs[j]) {
        return fail(Errc::InvalidArgument, "share " + std::to_string(xs[i]) + " was given twice");
      }
    }
  }
  // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is XOR. The xs are
  // public (printed on every share), so only the y multiplications handle secret data.
  std::vector<std::uint8_t> basis(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    std::uint8_t numerator = 1, denominator = 1;
    for (std::size_t j = 0; j < xs.size(); ++j) {
      if (j == i) continue;
      numerator = gf_mul(numerator, xs[j]);
      denominator = gf_mul(denominator, static_cast<std::uint8_t>(xs[j] ^ xs[i]));
    }
    basis[i] = gf_mul(numerator, gf_inv(denominator));
  }
  SecureBytes secret(length);
  for (std::size_t k = 0; k < length; ++k) {
    std::uint8_t value = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      value ^= gf_mul(basis[i], ys[i][k]);
    }
    secret.data()[k] = value;
  }
  return secret;
}

Result<SecureBytes> combine_shares(const pki::CryptoContext& ctx,
                                   const std::vector<Share>& shares) {
  if (shares.empty()) {
    return fail(Errc::InvalidArgument, "no shares given");
  }
  const Share& first = shares.front();
  for (const Share& share : shares) {
    if (share.version != kShareVersion) {
      return fail(Errc::InvalidArgument,
                  "share format version " + std::to_string(share.version) + " is not supported");
    }
    if (share.set_id != first.set_id || share.threshold != first.threshold ||
        share.digest != first.digest || share.y.size() != first.y.size()) {
      return fail(Errc::InvalidArgument,
                  "the shares come from different splits (share set ids differ): use shares "
                  "of one split only");
    }
  }
  if (first.threshold < 2 || shares.size() < first.threshold) {
    return fail(Errc::InvalidArgument, "not enough shares: " + std::to_string(shares.size()) +
                                           " given, " + std::to_string(first.threshold) +
                                           " needed");
  }
  std::vector<std::uint8_t> xs;
  std::vector<ByteView> ys;
  for (const Share& share : shares) {
    xs.push_back(share.x);
    ys.push_back(share.y.view());
  }
  FLEETPKI_TRY(SecureBytes secret, interpolate_at_zero(xs, ys));
  FLEETPKI_TRY(auto digest, secret_digest(ctx, first.set_id, first.threshold, secret.view()));
  if (!constant_time_equal(ByteView(digest), ByteView(first.digest))) {
    return fail(Errc::DataLoss,
                "the shares do not recombine to the shared secret: one of them is wrong or "
                "was mistyped");
  }
  return secret;
}

SecureBytes encode_share(const Share& share) {
  std::array<std::uint8_t, kShareHeaderBytes> header{};
  header[0] = share.version;
  header[1] = share.x;
  header[2] = share.threshold;
  std::copy(share.set_id.begin(), share.set_id.end(), header.begin() + 3);
  header[7] = static_cast<std::uint8_t>(share.y.size() >> 8);
  header[8] = static_cast<std::uint8_t>(share.y.size() & 0xFF);
  std::copy(share.digest.begin(), share.digest.end(), header.begin() + 9);
  SecureBytes out(kShareHeaderBytes + share.y.size());
  std::uint8_t* p = out.data();
  if (p == nullptr) {
    return out;
  }
  std::copy(header.begin(), header.end(), p);
  std::copy(share.y.data(), share.y.data() + share.y.size(), p + kShareHeaderBytes);
  return out;
}

Result<Share> decode_share(ByteView bytes) {
  if (bytes.size() < kShareHeaderBytes + 1) {
    return fail(Errc::InvalidArgument, "the share is too short");
  }
  Share share;
  share.version = bytes[0];
  if (share.version != kShareVersion) {
    return fail(Errc::InvalidArgument,
                "share format version " + std::to_string(share.version) + " is not supported");
  }
  share.x = bytes[1];
  share.threshold = bytes[2];
  if (share.x == 0 || share.threshold < 2) {
    return fail(Errc::InvalidArgument, "the share header is invalid");
  }
  std::copy(bytes.begin() + 3, bytes.begin() + 7, share.set_id.begin());
  std::size_t length = (static_cast<std::size_t>(bytes[7]) << 8) | bytes[8];
  std::copy(bytes.begin() + 9, bytes.begin() + 13, share.digest.begin());
  if (length == 0 || bytes.size() != kShareHeaderBytes + length) {
    return fail(Errc::InvalidArgument, "the share's length does not match its header");
  }
  share.y = SecureBytes(bytes.subspan(kShareHeaderBytes));
  return share;
}

}  // namespace fleetpki::ceremony
