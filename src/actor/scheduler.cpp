#include "actor/scheduler.h"

#include <chrono>

#include "actor/spin_lock.h"

namespace wactor::actor {

Scheduler::Scheduler(unsigned workers) : workers_(workers == 0 ? 1 : workers) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty()) return;
  stopping_.store(false);
  for (unsigned i = 0; i < workers_; ++i) threads_.emplace_back([this] { work(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_.store(true);  // under the lock: a worker about to wait sees it
  }
  cv_.notify_all();
  threads_.clear();  // jthread joins
}

void Scheduler::schedule(Runnable* r) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(r);
    queued_.store(queue_.size(), std::memory_order_release);
    wake = sleeping_ > 0;
  }
  if (wake) cv_.notify_one();  // a spinning worker needs no wake-up (and no system call)
}

void Scheduler::work() {
  for (;;) {
    Runnable* r = nullptr;
    // Out of work: watch the queue for a moment before sleeping, so that a busy runtime
    // hands work between threads without a futex wake per message.
    if (queued_.load(std::memory_order_acquire) == 0) {
      const auto until = std::chrono::steady_clock::now() + kSpinBeforeSleep;
      while (queued_.load(std::memory_order_acquire) == 0 && !stopping_.load(std::memory_order_relaxed) &&
             std::chrono::steady_clock::now() < until) {
        for (int i = 0; i < 16; ++i) cpu_relax();
      }
    }
    {
      std::unique_lock lock(mu_);
      ++sleeping_;
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --sleeping_;
      if (stopping_) return;
      r = queue_.front();
      queue_.pop_front();
      queued_.store(queue_.size(), std::memory_order_release);
    }
    if (r->run_batch()) schedule(r);
  }
}

}  // namespace wactor::actor
