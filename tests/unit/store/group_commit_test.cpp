// Unit tests of GroupCommitter over a real SQLite store.
#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store_test_support.h"

namespace fleetpki::store {
namespace {

using testing::add_tenant_with_ca;
using testing::make_certificate;
using testing::TempDir;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_store(dir_.path() / "fleetpki.db");
    ASSERT_TRUE(opened) << opened.error().detail;
    store_ = std::move(*opened);
    std::tie(tenant_, ca_) = add_tenant_with_ca(*store_, "acme");
  }

  std::size_t count_certificates() {
    std::size_t n = 0;
    CertificateFilter filter;
    filter.limit = 1000;
    while (true) {
      auto page = store_->list_certificates(tenant_, filter);
      EXPECT_TRUE(page);
      if (!page) {
        return n;
      }
      n += page->items.size();
      if (!page->next_after_id) {
        return n;
      }
      filter.after_id = page->next_after_id;
    }
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::int64_t tenant_ = 0, ca_ = 0;
};

TEST_F(GroupCommitTest, ConcurrentWritersFromEightThreadsAllCommit) {
  constexpr int kThreads = 8, kPerThread = 50;
  std::atomic<int> failures{0};
  {
    GroupCommitter committer(*store_, 16);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          auto cert = make_certificate(tenant_, ca_, std::to_string(t) + "-" + std::to_string(i));
          Status s = committer.submit([&](Transaction& tx) -> Status {
            return tx.insert_certificate(cert).transform([](auto) {});
          });
          if (!s) {
            ++failures;
          }
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count_certificates(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_F(GroupCommitTest, FailingUnitInsideABatchDoesNotFailTheOthers) {
  constexpr int kThreads = 8, kPerThread = 20;
  std::atomic<int> ok_count{0}, duplicate_count{0}, other_errors{0};
  {
    GroupCommitter committer(*store_, 64);
    // Pre-insert the serial every "bad" unit collides with.
    ASSERT_TRUE(committer.submit([&](Transaction& tx) -> Status {
      return tx.insert_certificate(make_certificate(tenant_, ca_, "taken")).transform([](auto) {});
    }));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          bool bad = i % 5 == 0;
          auto cert = make_certificate(tenant_, ca_,
                                       bad ? "taken" : std::to_string(t) + "/" + std::to_string(i));
          Status s = committer.submit([&](Transaction& tx) -> Status {
            return tx.insert_certificate(cert).transform([](auto) {});
          });
          if (s) {
            ++ok_count;
          } else if (s.error().code == Errc::AlreadyExists && bad) {
            ++duplicate_count;
          } else {
            ++other_errors;
          }
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
  }
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_EQ(duplicate_count.load(), kThreads * kPerThread / 5);
  EXPECT_EQ(ok_count.load(), kThreads * kPerThread * 4 / 5);
  EXPECT_EQ(count_certificates(), static_cast<std::size_t>(ok_count.load() + 1));
}

TEST_F(GroupCommitTest, UnitErrorReachesItsSubmitter) {
  GroupCommitter committer(*store_);
  Status s = committer.submit([](Transaction&) -> Status {
    return fail(Errc::PermissionDenied, "no");
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::PermissionDenied);
}

TEST_F(GroupCommitTest, ThrowingUnitRethrowsInItsSubmitterOnly) {
  GroupCommitter committer(*store_);
  EXPECT_THROW((void)committer.submit([](Transaction&) -> Status { throw std::logic_error("x"); }),
               std::logic_error);
  EXPECT_TRUE(committer.submit([](Transaction& tx) { return tx.put_setting("a", "b"); }));
}

TEST_F(GroupCommitTest, DestructorDrainsQueuedWork) {
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  {
    GroupCommitter committer(*store_, 4);
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        if (committer.submit([t](Transaction& tx) {
              return tx.put_setting("k" + std::to_string(t), "v");
            })) {
          ++done;
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
  }
  EXPECT_EQ(done.load(), 8);
}

}  // namespace
}  // namespace fleetpki::store
