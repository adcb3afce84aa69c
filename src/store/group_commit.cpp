// GroupCommitter: one worker thread turns queued units of work into shared transactions.
#include "store/group_commit.h"

#include <exception>
#include <future>
#include <vector>

namespace fleetpki::store {

struct GroupCommitter::Pending {
  std::function<Status(Transaction&)> work;
  std::promise<Status> done;
  std::exception_ptr thrown;  // an exception from `work`, rethrown in the submitting thread
};

namespace {

/// Runs one unit; an exception is kept for its submitter and reported to the batch as an error.
template <class PendingT>
Status run_unit(PendingT& unit, Transaction& tx) {
  try {
    return unit.work(tx);
  } catch (...) {
    unit.thrown = std::current_exception();
    return fail(Errc::Internal, "unit of work threw an exception");
  }
}

template <class PendingT>
void deliver(PendingT& unit, Status status) {
  if (unit.thrown) {
    unit.done.set_exception(unit.thrown);
  } else {
    unit.done.set_value(std::move(status));
  }
}

}  // namespace

GroupCommitter::GroupCommitter(Store& store, std::size_t max_batch)
    : store_(store), max_batch_(max_batch == 0 ? 1 : max_batch), worker_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();  // the worker drains the queue before it exits
}

Status GroupCommitter::submit(std::function<Status(Transaction&)> work) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_ && queue_.empty() && !worker_busy_ && !inline_busy_) {
      inline_busy_ = true;
      lock.unlock();
      struct Release {  // resets the flag even if `work` throws, then lets the worker go on
        GroupCommitter& self;
        ~Release() {
          bool queued = false;
          {
            std::lock_guard relock(self.mutex_);
            self.inline_busy_ = false;
            queued = !self.queue_.empty();
          }
          if (queued) self.wake_.notify_one();
        }
      } release{*this};
      return store_.write(work);
    }
  }
  return submit_async(std::move(work)).get();
}

std::future<Status> GroupCommitter::submit_async(std::function<Status(Transaction&)> work) {
  auto pending = std::make_shared<Pending>();
  pending->work = std::move(work);
  std::future<Status> result = pending->done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      pending->done.set_value(fail(Errc::Unavailable, "the store is shutting down"));
      return result;
    }
    queue_.push_back(pending);
  }
  wake_.notify_one();
  return result;
}

void GroupCommitter::run() {
  std::vector<std::shared_ptr<Pending>> batch;
  while (true) {
    batch.clear();
    {
      std::unique_lock lock(mutex_);
      worker_busy_ = false;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping and drained
      }
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      worker_busy_ = true;
    }

    Status together = store_.write([&](Transaction& tx) -> Status {
      for (auto& unit : batch) {
        FLEETPKI_RETURN_IF_ERROR(run_unit(*unit, tx));
      }
      return ok();
    });
    if (together) {
      for (auto& unit : batch) {
        deliver(*unit, ok());
      }
      continue;
    }
    if (batch.size() == 1) {
      deliver(*batch.front(), std::move(together));
      continue;
    }
    // The whole batch was rolled back: re-run every unit alone, so the good ones commit and only
    // the bad one gets its error. Units must therefore be safe to run twice (database work only).
    for (auto& unit : batch) {
      unit->thrown = nullptr;
      Status alone = store_.write([&](Transaction& tx) { return run_unit(*unit, tx); });
      deliver(*unit, std::move(alone));
    }
  }
}

}  // namespace fleetpki::store
