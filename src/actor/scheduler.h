// A fixed pool of owned worker threads shared by all actors, fed by one run queue.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace wactor::actor {

class Runnable {
 public:
  virtual ~Runnable() = default;
  // Runs a bounded batch of work; true if more work is waiting and it must be run again.
  virtual bool run_batch() = 0;
};

class Scheduler {
 public:
  explicit Scheduler(unsigned workers);
  ~Scheduler();  // stops and joins
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  // Stops taking work and joins the workers; queued runnables are left unrun.
  void stop();
  // Enqueues a runnable (it must not already be queued or running). @threadsafe
  void schedule(Runnable* r);
  unsigned workers() const { return workers_; }

 private:
  void work();
  static constexpr std::chrono::microseconds kSpinBeforeSleep{50};
  const unsigned workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Runnable*> queue_;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), readable without the lock
  unsigned sleeping_ = 0;               // workers waiting on cv_
  std::atomic<bool> stopping_{false};  // written under mu_; read while spinning without it
  std::vector<std::jthread> threads_;
};

}  // namespace wactor::actor
