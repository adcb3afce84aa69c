// The audit checkpoint service of `serve` and the pinned audit key of the data folder.
//
// A checkpoint is signed every kDefaultEvents events or kDefaultSeconds seconds (whichever comes
// first; nothing when no event was added) and at clean shutdown. Knobs:
// FLEETPKI_AUDIT_CHECKPOINT_EVENTS and FLEETPKI_AUDIT_CHECKPOINT_SECONDS.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "authority/audit_log.h"
#include "cli/commands/env_knob.h"
#include "cli/commands/serve_services.h"
#include "common/log.h"
#include "pki/pem.h"

namespace fleetpki::cli {
namespace {

constexpr std::int64_t kDefaultEvents = 1000;
constexpr std::int64_t kDefaultSeconds = 60;
constexpr std::size_t kMaxPinBytes = 16 * 1024;

/// Creates `path` with `content`; never replaces an existing file (O_EXCL).
Status write_new_file(const std::filesystem::path& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::Unavailable, "cannot create " + path.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return fail(Errc::Unavailable, "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fail(Errc::Unavailable, "cannot sync " + path.string());
  return ok();
}

class AuditCheckpointer {
 public:
  AuditCheckpointer(authority::AuditLog& audit, std::int64_t every_events, std::chrono::seconds every)
      : audit_(audit), every_events_(every_events), every_(every) {
    thread_ = std::thread([this] { run(); });
  }
  ~AuditCheckpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    checkpoint_if_changed();  // clean shutdown: sign whatever was added since the last one
  }
  AuditCheckpointer(const AuditCheckpointer&) = delete;
  AuditCheckpointer& operator=(const AuditCheckpointer&) = delete;

 private:
  void checkpoint_if_changed() {
    auto made = audit_.checkpoint();
    if (!made) {
      log::warn("audit checkpoint: " + made.error().message);
    } else if (*made) {
      log::debug("audit checkpoint " + std::to_string((*made)->id) + " at event " +
                 std::to_string((*made)->last_event_id));
    }
  }

  void run() {
    // Poll cheaply (two primary-key reads) so that a burst reaches a checkpoint within seconds.
    const auto poll = std::min<std::chrono::seconds>(every_, std::chrono::seconds(5));
    auto last = std::chrono::steady_clock::now();
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (cv_.wait_for(lock, poll, [this] { return stopping_; })) return;
      }
      auto pending = audit_.events_since_checkpoint();
      if (!pending) {
        log::warn("audit checkpoint: " + pending.error().message);
        continue;
      }
      const bool due = std::chrono::steady_clock::now() - last >= every_;
      if (*pending >= every_events_ || (*pending > 0 && due)) {
        checkpoint_if_changed();
        last = std::chrono::steady_clock::now();
      }
    }
  }

  authority::AuditLog& audit_;
  const std::int64_t every_events_;
  const std::chrono::seconds every_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

Result<Bytes> read_pinned_audit_key(const Runtime& runtime) {
  const auto path = runtime.dir / kAuditKeyPin;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Bytes();
  FLEETPKI_TRY(std::string pem, read_file(path, kMaxPinBytes));
  auto der = pki::pem_decode(pem, {"PUBLIC KEY"});
  if (!der || der->empty()) return fail(Errc::DataLoss, path.string() + " is not a PEM public key");
  return std::move(*der);
}

Result<Bytes> ensure_pinned_audit_key(Runtime& runtime) {
  const auto path = runtime.dir / kAuditKeyPin;
  FLEETPKI_TRY(Bytes pinned, read_pinned_audit_key(runtime));
  FLEETPKI_TRY(Bytes stored, runtime.authority->audit().public_key());
  if (!pinned.empty()) {
    if (stored != pinned) {
      return fail(Errc::FailedPrecondition, "the audit key in the database is not the one pinned in " +
                                                path.string() + " (database replaced or edited?)");
    }
    return pinned;
  }
  if (!stored.empty()) {
    return fail(Errc::FailedPrecondition, path.string() +
                                              " is missing although an audit key exists: restore it from a backup");
  }
  FLEETPKI_TRY(Bytes created, runtime.authority->audit().ensure_key(local_operator(), {"audit-key"}));
  FLEETPKI_RETURN_IF_ERROR(write_new_file(path, pki::pem_encode(created, "PUBLIC KEY")));
  return created;
}

Result<ServiceHandle> start_audit_service(Runtime& runtime) {
  if (auto pinned = ensure_pinned_audit_key(runtime); !pinned) {
    // Serving goes on (the chain is still written); verification will report the problem.
    log::error("audit checkpoints disabled: " + pinned.error().message);
    return ServiceHandle();
  }
  const auto events = env_integer_knob("FLEETPKI_AUDIT_CHECKPOINT_EVENTS", kDefaultEvents);
  const auto seconds = env_integer_knob("FLEETPKI_AUDIT_CHECKPOINT_SECONDS", kDefaultSeconds);
  return ServiceHandle(std::make_shared<AuditCheckpointer>(runtime.authority->audit(), events,
                                                           std::chrono::seconds(seconds)));
}

}  // namespace fleetpki::cli
