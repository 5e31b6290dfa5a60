#include "actor/scheduler.h"

namespace wactor::actor {

Scheduler::Scheduler(unsigned workers) : workers_(workers == 0 ? 1 : workers) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty()) return;
  stopping_ = false;
  for (unsigned i = 0; i < workers_; ++i) threads_.emplace_back([this] { work(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  threads_.clear();  // jthread joins
}

void Scheduler::schedule(Runnable* r) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(r);
  }
  cv_.notify_one();
}

void Scheduler::work() {
  for (;;) {
    Runnable* r = nullptr;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      r = queue_.front();
      queue_.pop_front();
    }
    if (r->run_batch()) schedule(r);
  }
}

}  // namespace wactor::actor
