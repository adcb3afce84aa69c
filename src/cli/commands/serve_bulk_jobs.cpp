// The bulk job runner of `serve`: resumes running revoke-by-query jobs at start and runs new ones
// as soon as they are created.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cli/commands/serve_services.h"
#include "common/log.h"

namespace fleetpki::cli {
namespace {

class BulkJobRunner {
 public:
  explicit BulkJobRunner(authority::Authority& authority) : authority_(authority) {
    authority_.add_bulk_job_listener([this] { wake(); });
    thread_ = std::thread([this] { run(); });
  }
  ~BulkJobRunner() {
    stop_requested_ = true;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  BulkJobRunner(const BulkJobRunner&) = delete;
  BulkJobRunner& operator=(const BulkJobRunner&) = delete;

 private:
  void wake() {
    {
      std::lock_guard lock(mutex_);
      pending_ = true;
    }
    cv_.notify_all();
  }

  void run() {
    // A job interrupted by a stop resumes here at the next start, from its committed cursor.
    for (;;) {
      if (Status done = authority_.run_bulk_jobs(&stop_requested_); !done) {
        log::warn("bulk jobs: " + done.error().message);
      }
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(5), [this] { return pending_ || stopping_; });
      if (stopping_) return;
      pending_ = false;
    }
  }

  authority::Authority& authority_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};  // read by the job between chunks
  std::thread thread_;
};

}  // namespace

Result<ServiceHandle> start_bulk_job_service(Runtime& runtime) {
  return ServiceHandle(std::make_shared<BulkJobRunner>(*runtime.authority));
}

}  // namespace fleetpki::cli
