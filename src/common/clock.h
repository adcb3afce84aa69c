// Time is passed in explicitly (Botan): production uses SystemClock, tests a FakeClock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace fleetpki {

using TimePoint = std::chrono::sys_seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : seconds_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(std::chrono::seconds(seconds_.load())); }
  void advance(std::chrono::seconds by) { seconds_ += by.count(); }

 private:
  std::atomic<std::int64_t> seconds_;
};

/// Seconds since the Unix epoch, the unit the store keeps.
inline std::int64_t to_unix(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_unix(std::int64_t s) { return TimePoint(std::chrono::seconds(s)); }

}  // namespace fleetpki
