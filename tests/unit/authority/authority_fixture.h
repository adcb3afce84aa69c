// Fixture: a real SQLite store and software vault in a temp folder, tenant "default" created.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "authority/authority.h"
#include "keys/software/software_key_vault.h"
#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

namespace fleetpki::authority {

class AuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::open_sqlite_store(dir_.path() / "test.db", {.durable = false});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    Bytes secret(32, 7);
    auto vault = keys::SoftwareKeyVault::open(crypto_, dir_.path() / "keys", SecureBytes(secret));
    ASSERT_TRUE(vault) << vault.error().message;
    vault_ = std::move(*vault);
    auto authority = Authority::create({*store_, *vault_, crypto_, clock_}, {"http://pki.example:8080/"});
    ASSERT_TRUE(authority);
    authority_ = std::move(*authority);
    auto created = authority_->create_tenant(platform_admin_, "default", {"setup"});
    ASSERT_TRUE(created) << created.error().message;
  }

  std::size_t stored_certificates(const std::string& tenant = "default") {
    auto page = authority_->list_certificates(platform_admin_, tenant, {.limit = 1000});
    return page ? page->items.size() : 0;
  }

  testing::TempDir dir_;
  pki::CryptoContext crypto_;
  FakeClock clock_{from_unix(1'800'000'000)};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<keys::SoftwareKeyVault> vault_;
  std::unique_ptr<Authority> authority_;
  Principal platform_admin_{"test-admin", std::nullopt, Role::Admin};
};

}  // namespace fleetpki::authority
