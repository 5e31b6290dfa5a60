// A host-wide count that many threads take from and give back to: the host's side of a
// budget (bytes queued in all mailboxes, requests pending in all components). @threadsafe
//
// With local slots (one per worker thread of a pool), a worker takes from the shared count a
// chunk at a time and keeps the rest as its own credit: most takes and gives on a worker are
// a load and a store on its own cache line instead of a locked add on a line every worker
// writes. Credit is counted as used, so at most 2 chunks per slot of the limit can sit
// unused in other workers' credit: the chunk is at most limit / (1024 slots), and 0 (every
// take exact) for a limit too small for chunks of 4 KiB.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>

namespace wactor::sandbox {

class Allowance {
 public:
  static constexpr std::uint64_t kMaxChunk = 64 * 1024, kMinChunk = 4 * 1024;

  // 0: no limit. `pool` names the worker pool whose threads may use `slots` local slots.
  explicit Allowance(std::uint64_t limit, const void* pool = nullptr, unsigned slots = 0)
      : limit_(limit ? limit : std::numeric_limits<std::uint64_t>::max()),
        pool_(pool),
        slots_(slots),
        chunk_(chunk_for(limit_, slots)),
        local_(chunk_ ? std::make_unique<Local[]>(slots) : nullptr) {}
  Allowance(const Allowance&) = delete;
  Allowance& operator=(const Allowance&) = delete;

  // The local slot of worker `index` of `pool`, or -1 (use the shared count only).
  int slot(const void* pool, unsigned index) const {
    return local_ && pool == pool_ && pool != nullptr && index < slots_ ? static_cast<int>(index) : -1;
  }

  // Takes `n` if that stays within the limit; false (and nothing taken) otherwise. A slot is
  // used only by its own thread.
  bool take(std::uint64_t n, int slot = -1) {
    if (slot < 0) return take_shared(n);
    std::atomic<std::uint64_t>& credit = local_[slot].credit;
    const std::uint64_t c = credit.load(std::memory_order_relaxed);
    if (c >= n) {
      credit.store(c - n, std::memory_order_relaxed);
      return true;
    }
    if (take_shared(n - c + chunk_)) {  // what is missing and a chunk in hand
      credit.store(chunk_, std::memory_order_relaxed);
      return true;
    }
    if (take_shared(n - c)) {  // near the limit: just what is missing
      credit.store(0, std::memory_order_relaxed);
      return true;
    }
    return false;
  }
  // Takes `n` whatever the limit (what was already accepted must be counted too).
  void force(std::uint64_t n, int slot = -1) {
    if (slot >= 0) {
      std::atomic<std::uint64_t>& credit = local_[slot].credit;
      const std::uint64_t c = credit.load(std::memory_order_relaxed);
      if (c >= n) {
        credit.store(c - n, std::memory_order_relaxed);
        return;
      }
    }
    used_.fetch_add(n, std::memory_order_relaxed);
  }
  void give(std::uint64_t n, int slot = -1) {
    if (slot < 0) {
      used_.fetch_sub(n, std::memory_order_relaxed);
      return;
    }
    std::atomic<std::uint64_t>& credit = local_[slot].credit;
    const std::uint64_t c = credit.load(std::memory_order_relaxed) + n;
    if (c <= 2 * chunk_) {
      credit.store(c, std::memory_order_relaxed);
      return;
    }
    credit.store(chunk_, std::memory_order_relaxed);
    used_.fetch_sub(c - chunk_, std::memory_order_relaxed);
  }
  // What is taken and not given back (credit in the slots not counted).
  std::uint64_t used() const {
    std::uint64_t u = used_.load(std::memory_order_relaxed), credit = 0;
    for (unsigned i = 0; local_ && i < slots_; ++i) credit += local_[i].credit.load(std::memory_order_relaxed);
    return u > credit ? u - credit : 0;
  }
  std::uint64_t limit() const { return limit_; }
  std::uint64_t chunk() const { return chunk_; }

 private:
  static std::uint64_t chunk_for(std::uint64_t limit, unsigned slots) {
    if (slots == 0) return 0;
    const std::uint64_t c = std::min(kMaxChunk, limit / 1024 / slots);
    return c >= kMinChunk ? c : 0;
  }
  bool take_shared(std::uint64_t n) {
    const std::uint64_t before = used_.fetch_add(n, std::memory_order_relaxed);
    if (before + n > limit_ || before + n < before) {
      used_.fetch_sub(n, std::memory_order_relaxed);
      return false;
    }
    return true;
  }

  struct alignas(64) Local {
    std::atomic<std::uint64_t> credit{0};
  };
  const std::uint64_t limit_;
  const void* const pool_;
  const unsigned slots_;
  const std::uint64_t chunk_;
  std::unique_ptr<Local[]> local_;
  alignas(64) std::atomic<std::uint64_t> used_{0};
};

}  // namespace wactor::sandbox
