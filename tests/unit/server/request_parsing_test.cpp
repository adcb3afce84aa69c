// Session helpers: percent-decoding, query parsing, request ids.
#include "server/detail/request_parsing.h"

#include <gtest/gtest.h>

namespace fleetpki::server::detail {
namespace {

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(percent_decode("/a%20b/%2f%2F", false), "/a b///");
}

TEST(PercentDecode, PlusIsSpaceOnlyInQueries) {
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
}

TEST(PercentDecode, RejectsMalformedEscapesAndNul) {
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%2", false));
  EXPECT_FALSE(percent_decode("%zz", false));
  EXPECT_FALSE(percent_decode("a%00b", false));
}

TEST(ParseQuery, DecodesKeysAndValuesLastWins) {
  auto q = parse_query("status=active&limit=10&x=a%26b&flag&limit=20&&k+1=v+1");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->at("status"), "active");
  EXPECT_EQ(q->at("limit"), "20");
  EXPECT_EQ(q->at("x"), "a&b");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_EQ(q->at("k 1"), "v 1");
  EXPECT_EQ(q->size(), 5u);
}

TEST(ParseQuery, RejectsMalformedEscape) { EXPECT_FALSE(parse_query("a=%G1")); }

TEST(RequestId, ValidatesClientIds) {
  EXPECT_TRUE(is_valid_request_id("abc-DEF_123"));
  EXPECT_TRUE(is_valid_request_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_request_id(""));
  EXPECT_FALSE(is_valid_request_id(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_request_id("a b"));
  EXPECT_FALSE(is_valid_request_id("a\r\nb"));
}

TEST(RequestId, NewIdsAre16HexAndDiffer) {
  const auto a = new_request_id();
  const auto b = new_request_id();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace fleetpki::server::detail
