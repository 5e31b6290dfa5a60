// The control calls this host has out to other hosts (placement, the control API across
// hosts; src/runtime/placement.cpp): each waits for one kControlReply. Bounded: past
// kMaxOpen calls at once, open() refuses. @threadsafe
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace wactor::runtime {

class ControlCalls {
 public:
  static constexpr std::size_t kMaxOpen = 256;
  struct Answer {
    std::int32_t status = 0;
    std::string payload;
  };

  // A new call to `host`: its id, or nothing past kMaxOpen.
  std::optional<std::int64_t> open(std::string host) {
    std::lock_guard lock(mu_);
    if (open_.size() >= kMaxOpen) return std::nullopt;
    const std::int64_t id = ++next_;
    open_.emplace(id, Call{std::move(host), std::nullopt});
    return id;
  }
  // The answer to call `id` from `host`: false if no such call is open for that host.
  bool answer(std::int64_t id, const std::string& host, Answer a) {
    {
      std::lock_guard lock(mu_);
      auto it = open_.find(id);
      if (it == open_.end() || it->second.host != host || it->second.answer) return false;
      it->second.answer = std::move(a);
    }
    cv_.notify_all();
    return true;
  }
  // Waits for call `id`'s answer until `until`, or until `gone()` (checked every 50 ms)
  // says the host left; closes the call either way.
  template <class Gone>
  std::optional<Answer> wait(std::int64_t id, std::chrono::steady_clock::time_point until, Gone gone) {
    std::unique_lock lock(mu_);
    for (;;) {
      auto it = open_.find(id);
      if (it == open_.end()) return std::nullopt;
      if (it->second.answer) {
        Answer a = std::move(*it->second.answer);
        open_.erase(it);
        return a;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) break;
      lock.unlock();
      const bool left = gone();
      lock.lock();
      if (left) break;
      cv_.wait_until(lock, std::min(until, now + std::chrono::milliseconds(50)));
    }
    open_.erase(id);
    return std::nullopt;
  }
  void close(std::int64_t id) {
    std::lock_guard lock(mu_);
    open_.erase(id);
  }

 private:
  struct Call {
    std::string host;
    std::optional<Answer> answer;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::int64_t next_ = 0;
  std::unordered_map<std::int64_t, Call> open_;
};

}  // namespace wactor::runtime
