// How much work the runtime has: envelopes queued or being handled, requests and timers
// pending, outputs held. Zero is idle (wait_idle, --until-idle, drain). @threadsafe
//
// Counted per worker, so a send is a load and a store on the sending worker's own cache
// line instead of a locked add on one line every worker writes (docs/BENCHMARKS.md, "Per-send
// costs, session 11"). Each slot holds two monotonic counts, work added and work done, each
// written only by its worker; other threads use a shared slot with locked adds. The total is
// read by a double collect: two passes over every slot that read the same values saw them
// all at once (counts only grow), and a done count seen in the first pass makes the add of
// any work it caused visible in the second (the add precedes it in its worker's order or
// through the mailbox lock), so a pass that misses such an add never matches.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "actor/own_counter.h"
#include "actor/scheduler.h"

namespace wactor::runtime {

class WorkCount {
 public:
  WorkCount(const void* pool, unsigned slots) : pool_(pool), slots_(slots), local_(std::make_unique<Slot[]>(slots)) {}

  void add(std::uint64_t n = 1) {
    Slot* s = mine();
    if (s) {
      actor::own_add(s->added, n, std::memory_order_release);
    } else {
      shared_.added.fetch_add(n, std::memory_order_acq_rel);
    }
  }
  // Wakes wait_idle() when this may have been the last work.
  void done(std::uint64_t n = 1) {
    if (n == 0) return;
    Slot* s = mine();
    if (s) {
      actor::own_add(s->done, n, std::memory_order_release);
    } else {
      shared_.done.fetch_add(n, std::memory_order_acq_rel);
    }
    // Orders the store above before the read of waiters_ (a waiter that registered after
    // this read sees the store in its own check).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_relaxed) > 0 && idle()) {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    }
  }

  // True if, at one moment during the call, all work added was done. A count that changed
  // between the two passes is work in progress: false (whoever changed it checks again).
  bool idle() const {
    std::uint64_t a1 = 0, d1 = 0, a2 = 0, d2 = 0;
    if (!collect(a1, d1) || a1 != d1) return false;  // busy: no second pass
    return collect(a2, d2) && a1 == a2 && d1 == d2;
  }

  bool wait_idle(std::chrono::milliseconds timeout) {
    waiters_.fetch_add(1, std::memory_order_seq_cst);
    // Pairs with done()'s fence: either done() sees this waiter or the check below sees its
    // count.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    std::unique_lock lock(mu_);
    const bool ok = cv_.wait_for(lock, timeout, [&] { return idle(); });
    waiters_.fetch_sub(1, std::memory_order_relaxed);
    return ok;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> added{0};
    std::atomic<std::uint64_t> done{0};
  };
  Slot* mine() const {
    const auto id = actor::Scheduler::current_worker();
    return id.pool == pool_ && id.index < slots_ ? &local_[id.index] : nullptr;
  }
  // Sums (done first: any add it depends on is then visible in `added`); false if the sums
  // could mix two moments (a slot's added below its done).
  bool collect(std::uint64_t& added, std::uint64_t& done) const {
    std::uint64_t d = shared_.done.load(std::memory_order_acquire);
    std::uint64_t a = shared_.added.load(std::memory_order_acquire);
    for (unsigned i = 0; i < slots_; ++i) {
      d += local_[i].done.load(std::memory_order_acquire);
      a += local_[i].added.load(std::memory_order_acquire);
    }
    added = a;
    done = d;
    return a >= d;
  }

  const void* const pool_;
  const unsigned slots_;
  std::unique_ptr<Slot[]> local_;
  Slot shared_;
  std::atomic<int> waiters_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace wactor::runtime
