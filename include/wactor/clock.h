// Time is injected: the runtime reads a Clock; tests use ManualClock and advance it.
#pragma once

#include <atomic>
#include <chrono>

namespace wactor {

// A monotonic clock. @threadsafe
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time since an arbitrary fixed epoch.
  [[nodiscard]] virtual std::chrono::nanoseconds now() const = 0;
};

// std::chrono::steady_clock.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::nanoseconds now() const override {
    return std::chrono::steady_clock::now().time_since_epoch();
  }
};

// A clock that only moves when told to. @threadsafe
class ManualClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::nanoseconds now() const override {
    return std::chrono::nanoseconds(ns_.load(std::memory_order_acquire));
  }
  void advance(std::chrono::nanoseconds d) { ns_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<std::int64_t> ns_{0};
};

}  // namespace wactor
