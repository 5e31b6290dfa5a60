// A host-wide count that many threads take from and give back to: the host's side of a
// budget (bytes queued in all mailboxes, requests pending in all components). @threadsafe
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>

namespace wactor::sandbox {

class Allowance {
 public:
  // 0: no limit.
  explicit Allowance(std::uint64_t limit) : limit_(limit ? limit : std::numeric_limits<std::uint64_t>::max()) {}

  // Takes `n` if that stays within the limit; false (and nothing taken) otherwise.
  bool take(std::uint64_t n) {
    const std::uint64_t before = used_.fetch_add(n, std::memory_order_relaxed);
    if (before + n > limit_ || before + n < before) {
      used_.fetch_sub(n, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  // Takes `n` whatever the limit (what was already accepted must be counted too).
  void force(std::uint64_t n) { used_.fetch_add(n, std::memory_order_relaxed); }
  void give(std::uint64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  std::uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  std::uint64_t limit() const { return limit_; }

 private:
  const std::uint64_t limit_;
  std::atomic<std::uint64_t> used_{0};
};

}  // namespace wactor::sandbox
