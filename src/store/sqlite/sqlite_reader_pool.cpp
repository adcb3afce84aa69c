// SqliteReaderPool: lazily opened read-only connections handed out one thread at a time.
#include "store/sqlite/sqlite_reader_pool.h"

namespace fleetpki::store {

Result<SqliteReaderPool::Lease> SqliteReaderPool::acquire() {
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_count_ < max_size_; });
    if (!idle_.empty()) {
      std::unique_ptr<SqliteConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(conn));
    }
    ++open_count_;  // reserve the slot, then open without holding the lock
  }
  auto opened = SqliteConnection::open(path_, /*read_only=*/true, busy_timeout_ms_);
  if (!opened) {
    std::lock_guard lock(mutex_);
    --open_count_;
    available_.notify_one();
    return fail(std::move(opened).error());
  }
  return Lease(*this, std::move(*opened));
}

void SqliteReaderPool::release(std::unique_ptr<SqliteConnection> conn) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
  }
  available_.notify_one();
}

}  // namespace fleetpki::store
