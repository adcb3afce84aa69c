#include "authority/access.h"

#include <gtest/gtest.h>

namespace fleetpki::authority {
namespace {

TEST(Access, PermissionTableDeniesByDefault) {
  EXPECT_TRUE(role_allows(Role::Admin, Permission::CertificateIssue));
  EXPECT_TRUE(role_allows(Role::Operator, Permission::CertificateIssue));
  EXPECT_FALSE(role_allows(Role::Auditor, Permission::CertificateIssue));
  EXPECT_FALSE(role_allows(Role::Enrollment, Permission::CertificateIssue));
  EXPECT_TRUE(role_allows(Role::Auditor, Permission::CertificateRead));
  EXPECT_FALSE(role_allows(Role::Enrollment, Permission::CertificateRead));
  EXPECT_FALSE(role_allows(Role::Operator, Permission::TokenCreate));
  EXPECT_TRUE(role_allows(Role::Auditor, Permission::AuditRead));
  EXPECT_FALSE(role_allows(Role::Operator, Permission::AuditRead));
}

TEST(Access, TokensStoreOnlyTheHashOfTheSecret) {
  auto t = make_token(5, Role::Operator, 100, std::nullopt);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token.size(), 4u + 16 + 1 + 64);
  auto parsed = parse_token(t->token);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, t->record.id);
  EXPECT_EQ(hash_token_secret(parsed->secret.view()), t->record.secret_hash);
  EXPECT_EQ(t->token.find(to_hex(t->record.secret_hash)), std::string::npos);
  auto other = make_token(5, Role::Operator, 100, std::nullopt);
  EXPECT_NE(other->token, t->token);
}

TEST(Access, ParseTokenRejectsMalformedInput) {
  for (const char* bad : {"", "fpk_", "Bearer x", "fpk_0123456789abcdef_zz", "xyz_0123456789abcdef_0000"}) {
    auto p = parse_token(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, Errc::Unauthenticated);
  }
}

TEST(Access, RolesParseByName) {
  EXPECT_EQ(*parse_role("auditor"), Role::Auditor);
  EXPECT_FALSE(parse_role("root"));
}

}  // namespace
}  // namespace fleetpki::authority
