#include "pki/pem.h"

#include <gtest/gtest.h>

namespace fleetpki::pki {
namespace {

TEST(Pem, EncodesIn64ColumnLinesAndRoundTrips) {
  for (std::size_t n : {1u, 2u, 3u, 47u, 48u, 49u, 100u, 1000u}) {
    Bytes der(n);
    for (std::size_t i = 0; i < n; ++i) {
      der[i] = static_cast<std::uint8_t>(i * 7 + 3);
    }
    std::string pem = pem_encode(der, "CERTIFICATE");
    EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
    EXPECT_NE(pem.find("\n-----END CERTIFICATE-----\n"), std::string::npos);
    std::size_t start = pem.find('\n') + 1;
    std::size_t eol = pem.find('\n', start);
    EXPECT_LE(eol - start, 64u);
    auto back = pem_decode(pem, {"CERTIFICATE"});
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, der) << "length " << n;
  }
}

TEST(Pem, AcceptsWhitespaceAroundAndCrlf) {
  Bytes der = {1, 2, 3, 4, 5};
  std::string pem = pem_encode(der, "X");
  std::string crlf;
  for (char c : pem) {
    if (c == '\n') {
      crlf += "\r\n";
    } else {
      crlf += c;
    }
  }
  auto a = pem_decode("  \n\t" + pem + "\n\n  ", {"X"});
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, der);
  auto b = pem_decode(crlf, {"X"});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*b, der);
}

TEST(Pem, RefusesGarbageOutsideTheBlock) {
  std::string pem = pem_encode(Bytes{1, 2, 3}, "X");
  EXPECT_FALSE(pem_decode("hello\n" + pem, {"X"}));
  EXPECT_FALSE(pem_decode(pem + "trailing", {"X"}));
}

TEST(Pem, RefusesWrongLabel) {
  std::string pem = pem_encode(Bytes{1, 2, 3}, "PRIVATE KEY");
  auto r = pem_decode(pem, {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("PRIVATE KEY"), std::string::npos);
}

TEST(Pem, RefusesMismatchedEndLabel) {
  EXPECT_FALSE(pem_decode("-----BEGIN X-----\nAQID\n-----END Y-----\n", {"X"}));
}

TEST(Pem, RefusesBadBase64) {
  EXPECT_FALSE(pem_decode("-----BEGIN X-----\nAQI*\n-----END X-----\n", {"X"}));
  EXPECT_FALSE(pem_decode("-----BEGIN X-----\nAQI\n-----END X-----\n", {"X"}));
  EXPECT_FALSE(pem_decode("-----BEGIN X-----\nA=ID\n-----END X-----\n", {"X"}));
  EXPECT_FALSE(pem_decode("-----BEGIN X-----\n\n-----END X-----\n", {"X"}));
  EXPECT_FALSE(pem_decode("-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nAQID\n-----END X-----\n", {"X"}));
}

TEST(Pem, PaddingGivesExactLength) {
  auto one = pem_decode("-----BEGIN X-----\nAQ==\n-----END X-----\n", {"X"});
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, Bytes{1});
  auto two = pem_decode("-----BEGIN X-----\nAQI=\n-----END X-----\n", {"X"});
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, (Bytes{1, 2}));
}

TEST(Pem, DecodeRefusesTwoBlocks) {
  std::string pem = pem_encode(Bytes{1}, "X") + pem_encode(Bytes{2}, "X");
  EXPECT_FALSE(pem_decode(pem, {"X"}));
}

TEST(Pem, DecodeAllReturnsBlocksInOrder) {
  std::string pem = pem_encode(Bytes{1}, "CERTIFICATE") + "\n" + pem_encode(Bytes{9}, "OTHER") +
                    pem_encode(Bytes{2, 3}, "CERTIFICATE");
  auto all = pem_decode_all(pem, "CERTIFICATE");
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], Bytes{1});
  EXPECT_EQ((*all)[1], (Bytes{2, 3}));
  EXPECT_FALSE(pem_decode_all(pem + "junk", "CERTIFICATE"));
  EXPECT_FALSE(pem_decode_all(pem_encode(Bytes{1}, "OTHER"), "CERTIFICATE"));
}

}  // namespace
}  // namespace fleetpki::pki
