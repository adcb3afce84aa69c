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

namespace fleetpki::store {
namespace {

/// A chain of `n` events with ids 1..n and checkpoints after the given event ids.
struct Chain {
  std::vector<AuditEvent> events;
  std::vector<AuditCheckpoint> checkpoints;
};

Chain make_chain(const AuditHasher& hasher, int n, std::vector<std::int64_t> checkpoint_at) {
  Chain c;
  std::string prev(kAuditGenesisHash);
  for (int i = 1; i <= n; ++i) {
    AuditEvent e = make_event("a" + std::to_string(i));
    e.id = i;
    e.prev_hash = prev;
    e.hash = *hasher.hash(prev, e);
    prev = e.hash;
    c.events.push_back(e);
  }
  std::int64_t id = 0;
  for (std::int64_t at : checkpoint_at) {
    c.checkpoints.push_back({++id, at, c.events[static_cast<std::size_t>(at - 1)].hash, at, 0, "k", {}});
  }
  return c;
}

std::string run(const AuditHasher& hasher, const Chain& c) {
  AuditChainVerifier v(hasher, c.checkpoints);
  for (const auto& e : c.events) {
    if (auto s = v.add(e); !s) return s.error().message;
  }
  if (auto s = v.finish(); !s) return s.error().message;
  return "";
}

TEST(AuditChainVerifier, IntactChainWithCheckpointsPasses) {
  auto hasher = AuditHasher::create();
  ASSERT_TRUE(hasher);
  Chain c = make_chain(*hasher, 10, {4, 10});
  EXPECT_EQ(run(*hasher, c), "");
  AuditChainVerifier v(*hasher, c.checkpoints);
  for (const auto& e : c.events) ASSERT_TRUE(v.add(e));
  EXPECT_EQ(v.events(), 10);
  EXPECT_EQ(v.last_event_id(), 10);
}

TEST(AuditChainVerifier, NamesTheFirstBrokenEvent) {
  auto hasher = AuditHasher::create();
  ASSERT_TRUE(hasher);
  Chain edited = make_chain(*hasher, 6, {});
  edited.events[2].actor = "mallory";
  EXPECT_EQ(run(*hasher, edited), "event 3: hash does not match its content (edited?)");

  Chain deleted = make_chain(*hasher, 6, {});
  deleted.events.erase(deleted.events.begin() + 3);
  EXPECT_EQ(run(*hasher, deleted), "event 4 missing (deleted?)");

  Chain swapped = make_chain(*hasher, 6, {});
  std::swap(swapped.events[1], swapped.events[2]);
  std::swap(swapped.events[1].id, swapped.events[2].id);  // contents swapped, ids kept
  EXPECT_EQ(run(*hasher, swapped).rfind("event 2: does not follow event 1 (reordered", 0), 0u);
}

TEST(AuditChainVerifier, CheckpointsCatchTruncationAndReHashing) {
  auto hasher = AuditHasher::create();
  ASSERT_TRUE(hasher);
  Chain truncated = make_chain(*hasher, 6, {6});
  truncated.events.resize(4);
  EXPECT_EQ(run(*hasher, truncated), "event 5 missing (log truncated: checkpoint 1 covers events up to 6)");

  Chain rehashed = make_chain(*hasher, 6, {3});
  rehashed.checkpoints[0].last_event_hash = std::string(64, 'f');
  EXPECT_EQ(run(*hasher, rehashed), "event 3: hash differs from the one checkpoint 1 signed (edited and re-hashed?)");

  Chain miscounted = make_chain(*hasher, 6, {3});
  miscounted.checkpoints[0].event_count = 4;
  EXPECT_EQ(run(*hasher, miscounted), "event 3: 3 events up to here, checkpoint 1 signed 4 (events deleted?)");

  Chain missing_cp = make_chain(*hasher, 6, {2, 4});
  missing_cp.checkpoints.erase(missing_cp.checkpoints.begin());
  EXPECT_EQ(run(*hasher, missing_cp), "checkpoint 1 missing (deleted?)");

  Chain backwards = make_chain(*hasher, 6, {4, 2});
  EXPECT_EQ(run(*hasher, backwards), "checkpoint 2: covers fewer events than checkpoint 1 (reordered?)");
}

TEST(AuditChainVerifier, CheckpointTextIsTheDocumentedLines) {
  AuditCheckpoint cp{3, 120, "ab", 120, 1'700'000'000, "kid", {}};
  EXPECT_EQ(audit_checkpoint_text(cp),
            "fleetpki-audit-checkpoint-v1\nid=3\nlast_event_id=120\nlast_event_hash=ab\nevent_count=120\n"
            "created_at=1700000000\nkey_id=kid\n");
}

}  // namespace
}  // namespace fleetpki::store
