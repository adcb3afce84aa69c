// Shamir's scheme over GF(2^8): field laws, split/combine for many (m, n), every m-subset for
// small n, fewer than m shares, mixed sets, corrupted shares, and the scheme's secrecy.
#include "ceremony/shamir.h"

#include <gtest/gtest.h>
#include <openssl/rand.h>

#include <set>

namespace fleetpki::ceremony {
namespace {

SecureBytes random_secret(std::size_t size) {
  SecureBytes secret(size);
  EXPECT_EQ(::RAND_bytes(secret.data(), static_cast<int>(size)), 1);
  return secret;
}

std::vector<Share> pick(const std::vector<Share>& shares, const std::vector<std::size_t>& which) {
  std::vector<Share> out;
  for (std::size_t i : which) out.push_back(shares[i].clone());
  return out;
}

bool same(const SecureBytes& a, const SecureBytes& b) {
  return a.size() == b.size() && std::equal(a.data(), a.data() + a.size(), b.data());
}

/// Slow reference multiply (Russian peasant with a branch): only for checking gf_mul.
std::uint8_t reference_mul(std::uint8_t a, std::uint8_t b) {
  unsigned result = 0, x = a;
  for (unsigned y = b; y != 0; y >>= 1) {
    if (y & 1) result ^= x;
    x <<= 1;
    if (x & 0x100) x ^= 0x11b;
  }
  return static_cast<std::uint8_t>(result);
}

TEST(Gf256, MultiplyMatchesReferenceAndInverseIsInverse) {
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      ASSERT_EQ(gf_mul(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)),
                reference_mul(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)));
    }
    if (a != 0) {
      EXPECT_EQ(gf_mul(static_cast<std::uint8_t>(a), gf_inv(static_cast<std::uint8_t>(a))), 1u);
    }
  }
  EXPECT_EQ(gf_inv(0), 0u);
  EXPECT_EQ(gf_mul(0x57, 0x83), 0xc1);  // FIPS 197 §4.2 example
}

struct Case {
  int m;
  int n;
  std::size_t size;
};

TEST(Shamir, AnyThresholdSubsetRecoversTheSecretForManyMofN) {
  const pki::CryptoContext ctx;
  const Case cases[] = {{2, 2, 32}, {2, 3, 32}, {3, 5, 48},    {5, 5, 32},    {4, 7, 33},
                        {2, 10, 1}, {7, 9, 64}, {10, 255, 16}, {255, 255, 4}, {3, 5, 4096}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.m) + " of " + std::to_string(c.n));
    SecureBytes secret = random_secret(c.size);
    auto shares = split_secret(ctx, secret.view(), c.m, c.n);
    ASSERT_TRUE(shares) << shares.error().message;
    ASSERT_EQ(shares->size(), static_cast<std::size_t>(c.n));
    // First m, last m, every other one (when there are enough), and all n.
    std::vector<std::vector<std::size_t>> subsets(3);
    for (int i = 0; i < c.m; ++i) subsets[0].push_back(static_cast<std::size_t>(i));
    for (int i = c.n - c.m; i < c.n; ++i) subsets[1].push_back(static_cast<std::size_t>(i));
    for (int i = 0; i < c.n; ++i) subsets[2].push_back(static_cast<std::size_t>(i));
    if (2 * c.m - 1 <= c.n) {
      subsets.emplace_back();
      for (int i = 0; i < c.m; ++i) subsets.back().push_back(static_cast<std::size_t>(2 * i));
    }
    for (const auto& subset : subsets) {
      auto again = combine_shares(ctx, pick(*shares, subset));
      ASSERT_TRUE(again) << again.error().message;
      EXPECT_TRUE(same(*again, secret));
    }
  }
}

TEST(Shamir, EveryMSubsetOfSmallNRecoversAndEveryFewerIsRefused) {
  const pki::CryptoContext ctx;
  for (int n = 2; n <= 6; ++n) {
    for (int m = 2; m <= n; ++m) {
      SecureBytes secret = random_secret(32);
      auto shares = split_secret(ctx, secret.view(), m, n);
      ASSERT_TRUE(shares);
      for (unsigned mask = 1; mask < (1u << n); ++mask) {
        std::vector<std::size_t> subset;
        for (int i = 0; i < n; ++i) {
          if (mask & (1u << i)) subset.push_back(static_cast<std::size_t>(i));
        }
        auto again = combine_shares(ctx, pick(*shares, subset));
        if (static_cast<int>(subset.size()) >= m) {
          ASSERT_TRUE(again) << m << " of " << n << " mask " << mask;
          EXPECT_TRUE(same(*again, secret));
        } else {
          ASSERT_FALSE(again);
          EXPECT_EQ(again.error().code, Errc::InvalidArgument);
          EXPECT_NE(again.error().message.find("not enough shares"), std::string::npos);
        }
      }
    }
  }
}

TEST(Shamir, FewerThanMSharesLeaveEverySecretByteEquallyPossible) {
  // With m-1 shares fixed, each possible value of the missing m-th share gives a different secret:
  // the 256 values of the missing share's first byte map onto all 256 values of the secret's first
  // byte, so m-1 shares rule out no candidate (perfect secrecy of the y-values).
  const pki::CryptoContext ctx;
  for (int m : {2, 3, 5}) {
    SecureBytes secret = random_secret(16);
    auto shares = split_secret(ctx, secret.view(), m, m + 2);
    ASSERT_TRUE(shares);
    std::vector<std::uint8_t> xs;
    std::vector<Bytes> ys;
    for (int i = 0; i < m - 1; ++i) {
      xs.push_back((*shares)[static_cast<std::size_t>(i)].x);
      ys.emplace_back((*shares)[static_cast<std::size_t>(i)].y.data(),
                      (*shares)[static_cast<std::size_t>(i)].y.data() + 16);
    }
    const Share& missing = (*shares)[static_cast<std::size_t>(m - 1)];
    xs.push_back(missing.x);
    ys.emplace_back(missing.y.data(), missing.y.data() + 16);
    std::set<std::uint8_t> first_bytes;
    for (unsigned guess = 0; guess < 256; ++guess) {
      ys.back()[0] = static_cast<std::uint8_t>(guess);
      std::vector<ByteView> views(ys.begin(), ys.end());
      auto candidate = interpolate_at_zero(xs, views);
      ASSERT_TRUE(candidate);
      first_bytes.insert(candidate->data()[0]);
    }
    EXPECT_EQ(first_bytes.size(), 256u) << "m = " << m;
  }
}

TEST(Shamir, SharesOfDifferentSplitsAreRefused) {
  const pki::CryptoContext ctx;
  SecureBytes secret = random_secret(32);
  auto a = split_secret(ctx, secret.view(), 2, 3);
  auto b = split_secret(ctx, secret.view(), 2, 3);  // same secret, another split
  ASSERT_TRUE(a && b);
  std::vector<Share> mixed;
  mixed.push_back((*a)[0].clone());
  mixed.push_back((*b)[1].clone());
  auto result = combine_shares(ctx, mixed);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::InvalidArgument);
  EXPECT_NE(result.error().message.find("different splits"), std::string::npos);
}

TEST(Shamir, RepeatedShareIsRefused) {
  const pki::CryptoContext ctx;
  SecureBytes secret = random_secret(8);
  auto shares = split_secret(ctx, secret.view(), 2, 3);
  ASSERT_TRUE(shares);
  auto result = combine_shares(ctx, pick(*shares, {1, 1}));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("given twice"), std::string::npos);
}

TEST(Shamir, CorruptedShareIsDetectedByTheDigest) {
  const pki::CryptoContext ctx;
  SecureBytes secret = random_secret(32);
  auto shares = split_secret(ctx, secret.view(), 3, 5);
  ASSERT_TRUE(shares);
  for (std::size_t byte : {std::size_t{0}, std::size_t{17}, std::size_t{31}}) {
    auto subset = pick(*shares, {0, 2, 4});
    subset[1].y.data()[byte] ^= 0x40;
    auto result = combine_shares(ctx, subset);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::DataLoss);
  }
}

TEST(Shamir, RefusesBadParameters) {
  const pki::CryptoContext ctx;
  SecureBytes secret = random_secret(8);
  EXPECT_FALSE(split_secret(ctx, secret.view(), 1, 3));
  EXPECT_FALSE(split_secret(ctx, secret.view(), 4, 3));
  EXPECT_FALSE(split_secret(ctx, secret.view(), 2, 256));
  EXPECT_FALSE(split_secret(ctx, ByteView(), 2, 3));
}

TEST(Shamir, EncodeDecodeRoundTripsAndChecksTheHeader) {
  const pki::CryptoContext ctx;
  SecureBytes secret = random_secret(20);
  auto shares = split_secret(ctx, secret.view(), 2, 4);
  ASSERT_TRUE(shares);
  SecureBytes encoded = encode_share((*shares)[3]);
  EXPECT_EQ(encoded.size(), kShareHeaderBytes + 20);
  auto decoded = decode_share(encoded.view());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->x, 4);
  EXPECT_EQ(decoded->threshold, 2);
  EXPECT_EQ(decoded->set_id, (*shares)[3].set_id);
  EXPECT_TRUE(same(decoded->y, (*shares)[3].y));
  Bytes truncated(encoded.data(), encoded.data() + encoded.size() - 1);
  EXPECT_FALSE(decode_share(truncated));
  Bytes wrong_version(encoded.data(), encoded.data() + encoded.size());
  wrong_version[0] = 9;
  EXPECT_FALSE(decode_share(wrong_version));
}

}  // namespace
}  // namespace fleetpki::ceremony
