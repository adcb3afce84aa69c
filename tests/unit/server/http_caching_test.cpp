#include "server/http_caching.h"

#include <gtest/gtest.h>

namespace fleetpki::server {
namespace {

TEST(HttpCaching, FormatsImfFixdate) {
  EXPECT_EQ(http_date(from_unix(784111777)), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(http_date(from_unix(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date(from_unix(253402300799)), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(HttpCaching, IfNoneMatchComparesWeaklyAndAcceptsListsAndStar) {
  const std::string etag = "\"abc\"";
  EXPECT_TRUE(etag_matches("\"abc\"", etag));
  EXPECT_TRUE(etag_matches("W/\"abc\"", etag));
  EXPECT_TRUE(etag_matches("\"x\", \"abc\"", etag));
  EXPECT_TRUE(etag_matches(" \"x\" ,\t\"abc\" ", etag));
  EXPECT_TRUE(etag_matches("*", etag));
  EXPECT_FALSE(etag_matches("\"abcd\"", etag));
  EXPECT_FALSE(etag_matches("abc", etag));
  EXPECT_FALSE(etag_matches("", etag));
  EXPECT_FALSE(etag_matches(",,", etag));
}

}  // namespace
}  // namespace fleetpki::server
