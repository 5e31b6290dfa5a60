// Baselines measured in the same run: native C++ doing the same work without wasm or the
// runtime.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>

#include "bench/scenarios.h"

namespace wactor::bench {
namespace {

// Two threads hand `n` messages of `size` bytes through a mutex-protected queue.
double queue_handoff(std::size_t n, std::size_t size) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> q;
  const auto t0 = Clock::now();
  std::thread consumer([&] {
    std::size_t got = 0;
    std::deque<std::string> batch;
    while (got < n) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !q.empty(); });
        batch.swap(q);
      }
      for (auto& m : batch) benchmark::DoNotOptimize(m.data());
      got += batch.size();
      batch.clear();
    }
  });
  const std::string payload(size, 'x');
  for (std::size_t i = 0; i < n; ++i) {
    {
      std::lock_guard lock(mu);
      q.push_back(payload);
    }
    cv.notify_one();
  }
  consumer.join();
  return static_cast<double>(n) / seconds_since(t0);
}

__attribute__((noinline)) int empty_function(int x) {
  benchmark::ClobberMemory();
  return x;
}

}  // namespace

__attribute__((noinline)) int native_fib(int n) { return n < 2 ? n : native_fib(n - 1) + native_fib(n - 2); }

Baselines measure_baselines(const Settings& s) {
  Baselines b;
  for (std::size_t size : {16u, 1024u, 65536u}) {
    const std::size_t n = messages_for(s, size);
    b.handoff_msgs_per_s[size] = median_of(s.reps, [&] { return queue_handoff(n, size); });
  }
  constexpr int kCalls = 10'000'000;
  b.direct_call_ns = median_of(s.reps, [&] {
    const auto t0 = Clock::now();
    int acc = 0;
    for (int i = 0; i < kCalls; ++i) acc += empty_function(i);
    benchmark::DoNotOptimize(acc);
    return seconds_since(t0) * 1e9 / kCalls;
  });
  b.fib_ms = median_of(s.reps, [&] {
    const auto t0 = Clock::now();
    benchmark::DoNotOptimize(native_fib(s.fib_n));
    return seconds_since(t0) * 1e3;
  });
  return b;
}

}  // namespace wactor::bench
