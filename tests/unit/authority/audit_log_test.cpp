// AuditLog: signed checkpoints, verification that names the first broken event, listing with
// tenant isolation and filters, export without secrets. Tampering is done with raw SQL on the
// real database file, as an attacker with write access to it would.
#include "authority/audit_log.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "authority_fixture.h"
#include "pki/ossl/ptr.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using fleetpki::testing::make_csr_pem;

class AuditLogTest : public AuthorityTest {
 protected:
  AuditLog& audit() { return authority_->audit(); }

  /// Appends `n` platform-wide events directly (one transaction), like any service would.
  void append_events(int n, const std::string& action = "test.event") {
    auto written = store_->write([&](store::Transaction& tx) -> Status {
      for (int i = 0; i < n; ++i) {
        store::AuditEvent e;
        e.actor = "tester";
        e.action = action;
        e.object = "obj-" + std::to_string(i);
        e.request_id = "req-" + std::to_string(i);
        e.details_json = R"({"i":)" + std::to_string(i) + "}";
        e.at = 1'800'000'000 + i;
        FLEETPKI_RETURN_IF_ERROR(tx.append_audit(e));
      }
      return ok();
    });
    ASSERT_TRUE(written) << written.error().message;
  }

  Bytes ensure_key() {
    auto key = audit().ensure_key(platform_admin_, {"test"});
    EXPECT_TRUE(key) << key.error().message;
    return key ? *key : Bytes{};
  }

  std::int64_t make_checkpoint() {
    auto cp = audit().checkpoint();
    EXPECT_TRUE(cp) << cp.error().message;
    EXPECT_TRUE(cp && *cp);
    return cp && *cp ? (*cp)->id : 0;
  }

  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "test.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err);
    std::string message = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message << " in " << statement;
  }

  std::int64_t sql_int(const std::string& query) {
    sqlite3* db = nullptr;
    sqlite3_open((dir_.path() / "test.db").c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr);
    std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  /// The verdict's message; "" when intact.
  std::string broken(const Bytes& pinned) {
    auto verdict = audit().verify(ByteView(pinned));
    if (verdict) return "";
    EXPECT_EQ(verdict.error().code, Errc::DataLoss) << verdict.error().message;
    return verdict.error().message;
  }
};

// ---- checkpoints and verification -----------------------------------------------------------

TEST_F(AuditLogTest, IntactLogVerifiesAcrossPagesAndCheckpoints) {
  Bytes pinned = ensure_key();
  append_events(1500);
  make_checkpoint();
  append_events(700);
  make_checkpoint();
  auto report = audit().verify(ByteView(pinned));
  ASSERT_TRUE(report) << report.error().message;
  const std::int64_t total = sql_int("SELECT COUNT(*) FROM audit_events");
  EXPECT_GT(total, 2200);
  EXPECT_EQ(report->events, total);
  EXPECT_EQ(report->checkpoints, 2);
  EXPECT_EQ(report->last_checkpoint_event, total);
}

TEST_F(AuditLogTest, CheckpointOnlyWhenEventsWereAdded) {
  ensure_key();
  EXPECT_EQ(make_checkpoint(), 1);
  auto again = audit().checkpoint();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(*audit().events_since_checkpoint(), 0);
  append_events(3);
  EXPECT_EQ(*audit().events_since_checkpoint(), 3);
  EXPECT_EQ(make_checkpoint(), 2);
  EXPECT_EQ(sql_int("SELECT event_count FROM audit_checkpoints WHERE id = 2"),
            sql_int("SELECT COUNT(*) FROM audit_events"));
}

TEST_F(AuditLogTest, CheckpointWithoutKeyIsFailedPrecondition) {
  auto cp = audit().checkpoint();
  ASSERT_FALSE(cp);
  EXPECT_EQ(cp.error().code, Errc::FailedPrecondition);
}

TEST_F(AuditLogTest, EnsureKeyIsIdempotentAuditedAndPlatformAdminOnly) {
  Bytes first = ensure_key();
  Bytes second = ensure_key();
  EXPECT_EQ(first, second);
  EXPECT_EQ(sql_int("SELECT COUNT(*) FROM audit_events WHERE action = 'audit.key.create'"), 1);
  auto refused = audit().ensure_key(Principal{"t", 1, Role::Admin}, {"x"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::PermissionDenied);
}

TEST_F(AuditLogTest, CheckpointSignatureVerifiesWithOpenSslOverTheDocumentedText) {
  Bytes pinned = ensure_key();
  append_events(2);
  auto cp = audit().checkpoint();
  ASSERT_TRUE(cp && *cp);
  const std::string text = store::audit_checkpoint_text(**cp);
  EXPECT_EQ(text.rfind("fleetpki-audit-checkpoint-v1\nid=1\nlast_event_id=", 0), 0u);
  const unsigned char* p = pinned.data();
  pki::ossl::Ptr<EVP_PKEY> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(pinned.size())));
  ASSERT_TRUE(key);
  pki::ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx.get(), (*cp)->signature.data(), (*cp)->signature.size(),
                             reinterpret_cast<const unsigned char*>(text.data()), text.size()),
            1);
  EXPECT_EQ((*cp)->key_id, AuditLog::key_id(pinned));
}

class AuditTamperTest : public AuditLogTest {
 protected:
  void SetUp() override {
    AuditLogTest::SetUp();
    pinned_ = ensure_key();
    append_events(6);
    make_checkpoint();
    last_ = sql_int("SELECT MAX(id) FROM audit_events");
    ASSERT_EQ(broken(pinned_), "");
  }
  Bytes pinned_;
  std::int64_t last_ = 0;
};

TEST_F(AuditTamperTest, AnEditedFieldInAnyColumnNamesTheEvent) {
  const std::vector<std::string> edits = {
      "tenant_id = 99", "actor = 'mallory'", "action = 'x.y'", "object = 'other'",
      "request_id = 'r'", "details_json = '{}'", "at = at + 1", "prev_hash = hash",
      "hash = prev_hash"};
  for (const auto& edit : edits) {
    SCOPED_TRACE(edit);
    // Each edit on the untouched log: back up, edit, check, restore.
    sql("CREATE TABLE backup AS SELECT * FROM audit_events");
    sql("UPDATE audit_events SET " + edit + " WHERE id = 3");
    EXPECT_EQ(broken(pinned_), "event 3: hash does not match its content (edited?)");
    sql("DELETE FROM audit_events; INSERT INTO audit_events SELECT * FROM backup; DROP TABLE backup");
    ASSERT_EQ(broken(pinned_), "");
  }
}

TEST_F(AuditTamperTest, ADeletedEventInTheMiddleIsNamed) {
  sql("DELETE FROM audit_events WHERE id = 4");
  EXPECT_EQ(broken(pinned_), "event 4 missing (deleted?)");
}

TEST_F(AuditTamperTest, TheFirstEventDeletedIsNamed) {
  sql("DELETE FROM audit_events WHERE id = 1");
  EXPECT_EQ(broken(pinned_), "event 1 missing (deleted?)");
}

TEST_F(AuditTamperTest, TheFirstEventDeletedAndIdsRenumberedIsCaught) {
  sql("DELETE FROM audit_events WHERE id = 1; UPDATE audit_events SET id = id - 1");
  EXPECT_NE(broken(pinned_).find("event 1: prev_hash is not the genesis value"), std::string::npos);
}

TEST_F(AuditTamperTest, TwoSwappedEventsAreNamed) {
  const std::string cols = "tenant_id, actor, action, object, request_id, details_json, at, prev_hash, hash";
  sql("CREATE TABLE tmp AS SELECT * FROM audit_events WHERE id IN (3, 4);"
      "UPDATE audit_events SET (" + cols + ") = (SELECT " + cols + " FROM tmp WHERE tmp.id = 4) WHERE id = 3;"
      "UPDATE audit_events SET (" + cols + ") = (SELECT " + cols + " FROM tmp WHERE tmp.id = 3) WHERE id = 4;"
      "DROP TABLE tmp");
  EXPECT_EQ(broken(pinned_).rfind("event 3: does not follow event 2 (reordered", 0), 0u) << broken(pinned_);
}

TEST_F(AuditTamperTest, AnEventEditedAndTheChainReHashedIsCaughtByTheCheckpoint) {
  // The attacker recomputes every hash after the edit: the chain alone looks intact.
  sql("UPDATE audit_events SET object = 'forged' WHERE id = 3");
  auto hasher = store::AuditHasher::create();
  ASSERT_TRUE(hasher);
  auto events = store_->list_audit(std::nullopt, 0, 1000);
  ASSERT_TRUE(events);
  std::string prev(store::kAuditGenesisHash);
  for (auto& e : *events) {
    e.prev_hash = prev;
    e.hash = *hasher->hash(prev, e);
    prev = e.hash;
    sql("UPDATE audit_events SET prev_hash = '" + e.prev_hash + "', hash = '" + e.hash +
        "' WHERE id = " + std::to_string(e.id));
  }
  EXPECT_EQ(broken(pinned_), "event " + std::to_string(last_) +
                                 ": hash differs from the one checkpoint 1 signed (edited and re-hashed?)");
}

TEST_F(AuditTamperTest, ATruncatedTailCoveredByACheckpointIsNamed) {
  sql("DELETE FROM audit_events WHERE id >= " + std::to_string(last_ - 1));
  EXPECT_EQ(broken(pinned_), "event " + std::to_string(last_ - 1) +
                                 " missing (log truncated: checkpoint 1 covers events up to " +
                                 std::to_string(last_) + ")");
}

TEST_F(AuditTamperTest, ATruncatedTailAfterTheLastCheckpointIsNotDetectable) {
  // Documented limit (docs/operations.md "Audit log"): the checkpoint interval bounds it.
  append_events(3);
  sql("DELETE FROM audit_events WHERE id > " + std::to_string(last_));
  EXPECT_EQ(broken(pinned_), "");
}

TEST_F(AuditTamperTest, AForgedCheckpointIsRejected) {
  append_events(2);
  sql("INSERT INTO audit_checkpoints SELECT 2, (SELECT MAX(id) FROM audit_events), "
      "(SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1), 99, 0, key_id, signature "
      "FROM audit_checkpoints WHERE id = 1");
  EXPECT_EQ(broken(pinned_), "checkpoint 2: signature invalid");
}

TEST_F(AuditTamperTest, AnEditedCheckpointIsRejected) {
  sql("UPDATE audit_checkpoints SET event_count = event_count - 1 WHERE id = 1");
  EXPECT_EQ(broken(pinned_), "checkpoint 1: signature invalid");
}

TEST_F(AuditTamperTest, ADeletedCheckpointIsNamed) {
  append_events(1);
  make_checkpoint();
  sql("DELETE FROM audit_checkpoints WHERE id = 1");
  EXPECT_EQ(broken(pinned_), "checkpoint 1 missing (deleted?)");
}

TEST_F(AuditTamperTest, ACheckpointSignedByAnotherKeyIsRejected) {
  // Someone who can edit the database swaps in a key of their own and re-signs: verification
  // trusts only the pinned key.
  auto other_ref = vault_->generate(keys::KeyAlgorithm::EcP256, "mallory");
  ASSERT_TRUE(other_ref);
  sql("UPDATE settings SET value = '" + *other_ref + "' WHERE key = 'audit_key_ref'");
  auto fresh = Authority::create({*store_, *vault_, crypto_, clock_}, {"http://pki.example:8080/"});
  ASSERT_TRUE(fresh);
  append_events(1);
  auto cp = (*fresh)->audit().checkpoint();
  ASSERT_TRUE(cp && *cp);
  EXPECT_EQ(broken(pinned_), "checkpoint 2: signed by a key other than the pinned audit key");
  // And with the attacker's key pinned instead, the signatures of checkpoint 1 fail.
  auto theirs = (*fresh)->audit().public_key();
  ASSERT_TRUE(theirs && !theirs->empty());
  EXPECT_EQ(broken(*theirs), "checkpoint 1: signed by a key other than the pinned audit key");
}

TEST_F(AuditTamperTest, CheckpointsWithoutAPinnedKeyAreAnError) {
  auto verdict = audit().verify(std::nullopt);
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error().code, Errc::FailedPrecondition);
}

// ---- listing --------------------------------------------------------------------------------

class AuditListTest : public AuditLogTest {
 protected:
  void SetUp() override {
    AuditLogTest::SetUp();
    ASSERT_TRUE(authority_->create_tenant(platform_admin_, "other", {"setup-other"}));
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(authority_->create_token(platform_admin_, std::string("default"), Role::Operator, {"tok"}));
    }
    ASSERT_TRUE(authority_->create_token(platform_admin_, std::string("other"), Role::Operator, {"tok-other"}));
    auto default_tenant = store_->find_tenant("default");
    auto other_tenant = store_->find_tenant("other");
    default_id_ = (*default_tenant)->id;
    other_id_ = (*other_tenant)->id;
  }
  std::int64_t default_id_ = 0;
  std::int64_t other_id_ = 0;
};

TEST_F(AuditListTest, TenantListingShowsOnlyThatTenantsEvents) {
  auto page = audit().list(platform_admin_, "default", {.limit = 1000});
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_FALSE(page->items.empty());
  for (const auto& e : page->items) EXPECT_EQ(e.tenant_id, default_id_);
  EXPECT_FALSE(page->next_after_id);
  auto other = audit().list(platform_admin_, "other", {.limit = 1000});
  ASSERT_TRUE(other);
  for (const auto& e : other->items) EXPECT_EQ(e.tenant_id, other_id_);
}

TEST_F(AuditListTest, TenantFilterInTheRequestCannotWidenTheScope) {
  store::AuditFilter filter;
  filter.tenant_id = other_id_;  // ignored: the tenant comes from the path
  auto page = audit().list(platform_admin_, "default", filter);
  ASSERT_TRUE(page);
  for (const auto& e : page->items) EXPECT_EQ(e.tenant_id, default_id_);
}

TEST_F(AuditListTest, RolesAndTenantsAreEnforced) {
  const Principal auditor{"a", default_id_, Role::Auditor};
  const Principal admin{"b", default_id_, Role::Admin};
  const Principal operator_{"c", default_id_, Role::Operator};
  const Principal enrollment{"d", default_id_, Role::Enrollment};
  EXPECT_TRUE(audit().list(auditor, "default", {}));
  EXPECT_TRUE(audit().list(admin, "default", {}));
  EXPECT_EQ(audit().list(operator_, "default", {}).error().code, Errc::PermissionDenied);
  EXPECT_EQ(audit().list(enrollment, "default", {}).error().code, Errc::PermissionDenied);
  EXPECT_EQ(audit().list(auditor, "other", {}).error().code, Errc::NotFound);
  EXPECT_EQ(audit().list(auditor, "nope", {}).error().code, Errc::NotFound);
  // The platform log and checkpoints: platform admins only, tenant admins included in the refusal.
  EXPECT_EQ(audit().list_platform(admin, std::nullopt, {}).error().code, Errc::PermissionDenied);
  EXPECT_EQ(audit().checkpoints(admin, 0, 10).error().code, Errc::PermissionDenied);
  EXPECT_EQ(audit().list_platform(Principal{"x", std::nullopt, Role::Auditor}, std::nullopt, {}).error().code,
            Errc::PermissionDenied);
  EXPECT_TRUE(audit().list_platform(platform_admin_, std::nullopt, {}));
  EXPECT_TRUE(audit().checkpoints(platform_admin_, 0, 10));
}

TEST_F(AuditListTest, CursorPaginationWalksEveryEventOnce) {
  auto all = audit().list(platform_admin_, "default", {.limit = 1000});
  ASSERT_TRUE(all);
  std::vector<std::int64_t> seen;
  store::AuditFilter filter{.limit = 2};
  for (int guard = 0; guard < 100; ++guard) {
    auto page = audit().list(platform_admin_, "default", filter);
    ASSERT_TRUE(page);
    EXPECT_LE(page->items.size(), 2u);
    for (const auto& e : page->items) seen.push_back(e.id);
    if (!page->next_after_id) break;
    EXPECT_EQ(*page->next_after_id, page->items.back().id);
    filter.after_id = *page->next_after_id;
  }
  ASSERT_EQ(seen.size(), all->items.size());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], all->items[i].id);
}

TEST_F(AuditListTest, FiltersSelectByActionActorObjectAndTime) {
  auto tokens = audit().list(platform_admin_, "default", {.action = "token.create", .limit = 1000});
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->items.size(), 5u);
  for (const auto& e : tokens->items) EXPECT_EQ(e.action, "token.create");
  const auto& one = tokens->items.front();
  auto by_object = audit().list(platform_admin_, "default", {.object = one.object});
  ASSERT_TRUE(by_object);
  ASSERT_EQ(by_object->items.size(), 1u);
  EXPECT_EQ(by_object->items[0].id, one.id);
  auto by_actor = audit().list(platform_admin_, "default", {.actor = "nobody"});
  ASSERT_TRUE(by_actor);
  EXPECT_TRUE(by_actor->items.empty());
  auto later = audit().list(platform_admin_, "default", {.since = one.at + 1});
  auto earlier = audit().list(platform_admin_, "default", {.until = one.at + 1, .limit = 1000});
  ASSERT_TRUE(later && earlier);
  EXPECT_TRUE(later->items.empty());  // the fake clock stands still
  EXPECT_FALSE(earlier->items.empty());
}

TEST_F(AuditListTest, PlatformListingIncludesPlatformEventsAndFiltersByTenant) {
  ensure_key();  // a platform-wide event (tenant null)
  auto all = audit().list_platform(platform_admin_, std::nullopt, {.limit = 1000});
  ASSERT_TRUE(all);
  bool platform_event = false, other_event = false;
  for (const auto& e : all->items) {
    platform_event |= !e.tenant_id.has_value();
    other_event |= e.tenant_id == other_id_;
  }
  EXPECT_TRUE(platform_event);
  EXPECT_TRUE(other_event);
  auto other = audit().list_platform(platform_admin_, std::string("other"), {.limit = 1000});
  ASSERT_TRUE(other);
  for (const auto& e : other->items) EXPECT_EQ(e.tenant_id, other_id_);
  EXPECT_EQ(audit().list_platform(platform_admin_, std::string("nope"), {}).error().code, Errc::NotFound);
}

TEST_F(AuditListTest, EventJsonHasTheDocumentedShape) {
  auto page = audit().list(platform_admin_, "other", {.action = "token.create"});
  ASSERT_TRUE(page && !page->items.empty());
  auto json = audit().event_json(page->items[0]);
  ASSERT_TRUE(json);
  EXPECT_EQ((*json)["tenant"], "other");
  EXPECT_EQ((*json)["action"], "token.create");
  EXPECT_EQ((*json)["request_id"], "tok-other");
  EXPECT_TRUE((*json)["details"].is_object());
  EXPECT_EQ((*json)["details"]["role"], "operator");
  EXPECT_EQ((*json)["at"], "2027-01-15T08:00:00Z");
  EXPECT_EQ((*json)["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ((*json)["prev_hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(json->size(), 10u);
}

// ---- secrets never appear -------------------------------------------------------------------

std::string base64(const Bytes& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

TEST_F(AuditLogTest, ExportContainsNoSecrets) {
  ensure_key();
  std::vector<std::string> tokens;
  for (Role role : {Role::Admin, Role::Operator, Role::Auditor, Role::Enrollment}) {
    auto t = authority_->create_token(platform_admin_, std::string("default"), role, {"s"});
    ASSERT_TRUE(t);
    tokens.push_back(*t);
  }
  auto platform = authority_->create_token(platform_admin_, std::nullopt, Role::Admin, {"s"});
  ASSERT_TRUE(platform);
  tokens.push_back(*platform);
  auto issued = authority_->issue(platform_admin_, {"default", "tls-client", make_csr_pem({.subject = {{"CN", "d1"}}})},
                                  {"s"});
  ASSERT_TRUE(issued) << issued.error().message;
  ASSERT_TRUE(authority_->revoke(platform_admin_, "default", issued->record.serial_hex, pki::CrlReason::KeyCompromise,
                                 std::nullopt, {"s"}));
  make_checkpoint();

  std::string exported;
  ASSERT_TRUE(audit().export_lines(platform_admin_, std::nullopt, {}, [&](const std::string& line) -> Status {
    exported += line + "\n";
    return ok();
  }));
  ASSERT_NE(exported.find("token.create"), std::string::npos);
  ASSERT_NE(exported.find("certificate.issue"), std::string::npos);
  for (const auto& token : tokens) {
    const std::string secret = token.substr(token.rfind('_') + 1);
    ASSERT_EQ(secret.size(), 64u);
    Bytes raw;
    ASSERT_TRUE(from_hex(secret, raw));
    std::string upper = secret;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const std::string& needle : {token, secret, upper, base64(raw), to_hex(hash_token_secret(raw))}) {
      EXPECT_EQ(exported.find(needle), std::string::npos) << needle;
    }
  }
  EXPECT_EQ(exported.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(exported.find("BEGIN"), std::string::npos);
}

}  // namespace
}  // namespace fleetpki::authority
