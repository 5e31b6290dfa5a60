// Runnables and a bounded wait for the scheduler's own tests.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <utility>

#include "actor/scheduler.h"

namespace wactor::actor::test {

// Polls `pred` (yielding) until it holds or `limit` passed: a bounded wait, not a sleep.
template <class P>
bool eventually(P pred, std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

// Runs `batches` batches, counting each.
class Counted : public Runnable {
 public:
  explicit Counted(int batches, std::atomic<int>* total) : left_(batches), total_(total) {}
  bool run_batch() override {
    total_->fetch_add(1);
    return --left_ > 0;
  }

 private:
  int left_;
  std::atomic<int>* total_;
};

// Runs `body` as its batch (its result: run again).
class Fn : public Runnable {
 public:
  explicit Fn(std::function<bool()> body) : body_(std::move(body)) {}
  bool run_batch() override { return body_(); }

 private:
  std::function<bool()> body_;
};

}  // namespace wactor::actor::test
