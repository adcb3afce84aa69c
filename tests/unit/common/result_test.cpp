#include "common/result.h"

#include <gtest/gtest.h>

namespace fleetpki {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(Errc::InvalidArgument, "not positive");
  return v;
}

Result<int> doubled(int v) {
  FLEETPKI_TRY(int x, parse_positive(v));
  return 2 * x;
}

TEST(Result, TryPropagatesValueAndError) {
  EXPECT_EQ(*doubled(4), 8);
  auto r = doubled(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().message, "not positive");
}

TEST(Error, WithContextPrefixesMessage) {
  Error e = make_error(Errc::NotFound, "no such profile");
  Error c = std::move(e).with_context("issuing");
  EXPECT_EQ(c.message, "issuing: no such profile");
  EXPECT_EQ(errc_name(c.code), "not_found");
}

}  // namespace
}  // namespace fleetpki
