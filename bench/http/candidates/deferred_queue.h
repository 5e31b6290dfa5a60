// The deferred-reply pattern shared by the candidates' "deferred" variants: the loop thread hands
// a request to a worker thread (mutex + condition variable), the worker hands it back through a
// completion queue and wakes the loop once per batch (the library-specific wake: event_active,
// asio::post, ...), and the loop thread sends the reply. No work is done in between: the figures
// measure the hand-off cost, which is what wactor pays when a guest's worker answers a request.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

template <typename T>
class DeferredQueue {
 public:
  // Loop thread: hand a request to the worker.
  void submit(T item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      todo_.push_back(item);
    }
    cv_.notify_one();
  }

  // Starts the worker; wake() is called from the worker when the completion queue becomes
  // non-empty; the loop thread then calls take_done().
  template <typename Wake>
  void start(Wake wake) {
    std::thread([this, wake] {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        cv_.wait(lock, [this] { return !todo_.empty(); });
        bool was_empty = done_.empty();
        while (!todo_.empty()) {
          done_.push_back(todo_.front());
          todo_.pop_front();
        }
        if (was_empty) {
          lock.unlock();
          wake();
          lock.lock();
        }
      }
    }).detach();  // a benchmark server: it runs until killed, never joins
  }

  // Loop thread: the requests whose replies are ready.
  std::vector<T> take_done() {
    std::vector<T> out;
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(done_);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> todo_;
  std::vector<T> done_;
};
