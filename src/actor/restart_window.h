// Restart intensity and backoff of one supervision group: at most N restarts within T, the
// first in a window at once, then a doubling delay. Pure logic on the runtime clock.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "wactor/runtime.h"

namespace wactor::actor {

class RestartWindow {
 public:
  explicit RestartWindow(const SupervisionPolicy& policy) : policy_(policy) {}

  // A restart is wanted at `now`: how long to wait before it, or nothing if it would
  // exceed the intensity (the group must stop).
  [[nodiscard]] std::optional<std::chrono::nanoseconds> admit(std::chrono::nanoseconds now) {
    while (!times_.empty() && now - times_.front() >= policy_.within) times_.pop_front();
    if (times_.size() >= policy_.max_restarts) return std::nullopt;
    times_.push_back(now);
    const std::size_t k = times_.size();  // this restart's rank in the window, from 1
    if (k == 1) return std::chrono::nanoseconds(0);
    std::chrono::nanoseconds delay = policy_.backoff;
    for (std::size_t i = 2; i < k && delay.count() > 0 && delay < policy_.backoff_max; ++i) delay *= 2;
    return std::min<std::chrono::nanoseconds>(delay, policy_.backoff_max);
  }

  [[nodiscard]] const SupervisionPolicy& policy() const { return policy_; }

 private:
  SupervisionPolicy policy_;
  std::deque<std::chrono::nanoseconds> times_;
};

// A supervision group: a [[group]] of the manifest, or one component on its own (every
// component in no group, spawned ones included). Guarded by the runtime's supervision lock.
struct SupervisionGroup {
  SupervisionGroup(std::string n, const SupervisionPolicy& p) : name(std::move(n)), window(p) {}
  std::string name;
  std::vector<std::uint64_t> members;  // component handles, in order (rest-for-one uses it)
  RestartWindow window;
  bool stopped = false;
};

}  // namespace wactor::actor
