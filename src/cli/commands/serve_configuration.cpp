// The configuration watcher of `serve`: picks up changes that another process (the CLI on the same
// data folder) made to tenants, CAs, profiles and EST endpoints, which the server caches.
//
// Changes made through this server's own API drop their caches at once; this poll is for the
// others. It reads one indexed query (Store::configuration_changes) every FLEETPKI_CONFIG_POLL_MS
// milliseconds (default 500), so a CLI change is in force within about that long.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "cli/commands/env_knob.h"
#include "cli/commands/serve_services.h"
#include "common/log.h"

namespace fleetpki::cli {
namespace {

constexpr int kDefaultPollMs = 500;
constexpr int kMaxPollMs = 60'000;

std::chrono::milliseconds poll_interval() {
  return std::chrono::milliseconds(env_integer_knob("FLEETPKI_CONFIG_POLL_MS", kDefaultPollMs, 10, kMaxPollMs));
}

class ConfigurationWatcher {
 public:
  ConfigurationWatcher(authority::Authority& authority, std::chrono::milliseconds every)
      : authority_(authority), every_(every) {
    thread_ = std::thread([this] { run(); });
  }
  ~ConfigurationWatcher() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  ConfigurationWatcher(const ConfigurationWatcher&) = delete;
  ConfigurationWatcher& operator=(const ConfigurationWatcher&) = delete;

 private:
  void run() {
    bool failing = false;
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, every_, [this] { return stopping_; })) {
      lock.unlock();
      auto reloaded = authority_.reload_changed_configuration();
      if (!reloaded && !failing) {
        // Logged once per outage: the caches keep their last state meanwhile.
        log::error("configuration watcher: " + reloaded.error().message);
      } else if (reloaded && failing) {
        log::info("configuration watcher: recovered");
      } else if (reloaded && *reloaded > 0) {
        log::info("configuration changed: reloading " + std::to_string(*reloaded) + " tenant(s)");
      }
      failing = !reloaded;
      lock.lock();
    }
  }

  authority::Authority& authority_;
  const std::chrono::milliseconds every_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

Result<ServiceHandle> start_configuration_service(Runtime& runtime) {
  // Everything cached before the watcher's first look is dropped at that look if it changed
  // since the database was created; from then on only what changes.
  FLEETPKI_TRY(auto first, runtime.authority->reload_changed_configuration());
  (void)first;
  return ServiceHandle(std::make_shared<ConfigurationWatcher>(*runtime.authority, poll_interval()));
}

}  // namespace fleetpki::cli
