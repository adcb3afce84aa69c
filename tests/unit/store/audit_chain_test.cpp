// Unit tests of the audit hash chain: canonical text, hashing and verification.
#include "store/audit_chain.h"

#include <gtest/gtest.h>

#include <vector>

namespace fleetpki::store {
namespace {

AuditEvent make_event(std::string action) {
  AuditEvent e;
  e.tenant_id = 7;
  e.actor = "cli";
  e.action = std::move(action);
  e.object = "01ab";
  e.request_id = "req-1";
  e.details_json = "{}";
  e.at = 1'700'000'000;
  return e;
}

TEST(AuditChain, CanonicalTextLengthPrefixesEveryField) {
  AuditEvent e = make_event("tenant.create");
  EXPECT_EQ(audit_canonical_text(e),
            "1:7\n3:cli\n13:tenant.create\n4:01ab\n5:req-1\n2:{}\n10:1700000000\n");
  e.tenant_id.reset();
  EXPECT_EQ(audit_canonical_text(e).substr(0, 2), "0:");
}

TEST(AuditChain, FieldBoundariesCannotBeShifted) {
  AuditEvent a = make_event("x");
  AuditEvent b = a;
  a.actor = "ab";
  a.action = "c";
  b.actor = "a";
  b.action = "bc";
  auto hasher = AuditHasher::create();
  ASSERT_TRUE(hasher);
  EXPECT_NE(*hasher->hash(kAuditGenesisHash, a), *hasher->hash(kAuditGenesisHash, b));
}

TEST(AuditChain, HashIsSha256OfPrevHashNewlineAndCanonicalText) {
  auto hasher = AuditHasher::create();
  ASSERT_TRUE(hasher);
  AuditEvent e = make_event("tenant.create");
  auto hash = hasher->hash(kAuditGenesisHash, e);
  ASSERT_TRUE(hash);
  EXPECT_EQ(hash->size(), 64u);
  // Independent computation over the documented input.
  std::string input = std::string(kAuditGenesisHash) + "\n" + audit_canonical_text(e);
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  ASSERT_NE(md, nullptr);
  ASSERT_EQ(EVP_Digest(input.data(), input.size(), digest, &len, md, nullptr), 1);
  EVP_MD_free(md);
  EXPECT_EQ(*hash, to_hex(ByteView(digest, len)));
}

TEST(AuditChain, VerifyDetectsAnEditedEvent) {
  auto hasher = AuditHasher::create();
  ASSERT_TRUE(hasher);
  std::vector<AuditEvent> events;
  std::string prev(kAuditGenesisHash);
  for (int i = 0; i < 3; ++i) {
    AuditEvent e = make_event("a" + std::to_string(i));
    e.id = i + 1;
    e.prev_hash = prev;
    e.hash = *hasher->hash(prev, e);
    prev = e.hash;
    events.push_back(e);
  }
  EXPECT_TRUE(hasher->verify(events));
  events[1].object = "tampered";
  auto verdict = hasher->verify(events);
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error().code, Errc::DataLoss);
  EXPECT_NE(verdict.error().message.find("event 2"), std::string::npos);
}

}  // namespace
}  // namespace fleetpki::store
