// A small pool of read-only connections: each lease gives one thread exclusive use of one.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "common/result.h"
#include "store/sqlite/sqlite_connection.h"

namespace fleetpki::store {

/// In WAL mode readers see the last committed snapshot and never wait for the writer. Connections
/// are opened on demand up to `max_size`; beyond that, acquire() waits for a lease to end.
class SqliteReaderPool final {
 public:
  class Lease final {
   public:
    Lease(SqliteReaderPool& pool, std::unique_ptr<SqliteConnection> conn)
        : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (conn_) {
        pool_->release(std::move(conn_));
      }
    }
    SqliteConnection& operator*() const { return *conn_; }
    SqliteConnection* operator->() const { return conn_.get(); }

   private:
    SqliteReaderPool* pool_;
    std::unique_ptr<SqliteConnection> conn_;
  };

  SqliteReaderPool(std::filesystem::path path, int busy_timeout_ms, std::size_t max_size)
      : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms), max_size_(max_size) {}

  Result<Lease> acquire();

 private:
  void release(std::unique_ptr<SqliteConnection> conn);

  const std::filesystem::path path_;
  const int busy_timeout_ms_;
  const std::size_t max_size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_;
  std::size_t open_count_ = 0;
};

}  // namespace fleetpki::store
