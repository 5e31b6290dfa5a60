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

// Two threads hand `n` messages of `size` bytes through a mutex-protected queue bounded
// like a mailbox (1024 by default): the producer waits while it is full.
double queue_handoff(std::size_t n, std::size_t size) {
  constexpr std::size_t kCapacity = 1024;
  std::mutex mu;
  std::condition_variable cv, not_full;
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
      not_full.notify_one();
      for (auto& m : batch) benchmark::DoNotOptimize(m.data());
      got += batch.size();
      batch.clear();
    }
  });
  const std::string payload(size, 'x');
  for (std::size_t i = 0; i < n; ++i) {
    bool was_empty;
    {
      std::unique_lock lock(mu);
      not_full.wait(lock, [&] { return q.size() < kCapacity; });
      was_empty = q.empty();
      q.push_back(payload);
    }
    if (was_empty) cv.notify_one();  // the consumer may be waiting only when it found none
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
    if (size != 16 && !s.wants("throughput") && !(size == 1024 && s.only.count("throughput1k") != 0)) continue;  // --only throughput16/1k: one size
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
