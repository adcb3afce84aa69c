// Group commit: concurrent writers' units of work share one transaction (and one fsync).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace fleetpki::store {

/// Batches units of work submitted from many threads into one Store::write. submit() returns only
/// after the unit's transaction has committed (or failed). When a batch fails, its units are
/// retried one by one so that one bad unit never fails the others.
///
/// A lone submit() (nothing queued, no commit running) commits inline on the caller's thread:
/// handing it to the worker would only add two thread wake-ups to the same single fsync.
class GroupCommitter final {
 public:
  explicit GroupCommitter(Store& store, std::size_t max_batch = 256);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  /// Queues `work` and waits until its transaction has committed (or failed).
  Status submit(std::function<Status(Transaction&)> work);

  /// Queues `work` and returns at once; the future becomes ready when its transaction has
  /// committed. Lets one thread prepare the next units while earlier ones commit (pipelining).
  /// `work` must own everything it uses.
  std::future<Status> submit_async(std::function<Status(Transaction&)> work);

 private:
  struct Pending;
  void run();

  Store& store_;
  std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool stopping_ = false;
  bool worker_busy_ = false;   // the worker is running a batch
  bool inline_busy_ = false;   // a submit() is committing on its own thread
  std::thread worker_;
};

}  // namespace fleetpki::store
