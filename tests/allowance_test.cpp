// sandbox::Allowance, the host's side of a budget, with per-worker credit: never more than
// the limit taken, used() without the credit, small limits exact.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "sandbox/allowance.h"

namespace wactor::sandbox {
namespace {

const int kPool = 0;  // any address names the pool

TEST(Allowance, WithoutSlotsOrWithASmallLimitEveryTakeIsExact) {
  Allowance plain(100);
  EXPECT_EQ(plain.slot(&kPool, 0), -1);
  Allowance small(1 << 20, &kPool, 2);  // 1 MiB / 1024 / 2 = 512 B: under the 4 KiB chunk minimum
  EXPECT_EQ(small.chunk(), 0u);
  EXPECT_EQ(small.slot(&kPool, 0), -1);
  EXPECT_TRUE(small.take((1 << 20) - 1, small.slot(&kPool, 0)));
  EXPECT_TRUE(small.take(1, small.slot(&kPool, 0)));
  EXPECT_FALSE(small.take(1, small.slot(&kPool, 1)));
  EXPECT_EQ(small.used(), 1u << 20);
}

TEST(Allowance, AWorkerTakesAChunkAtATimeAndUsedCountsOnlyWhatItGaveOut) {
  Allowance a(64ull << 20, &kPool, 2);  // 64 MiB / 2048 = 32 KiB chunks
  ASSERT_EQ(a.chunk(), 32u * 1024);
  const int s0 = a.slot(&kPool, 0), s1 = a.slot(&kPool, 1);
  EXPECT_EQ(s0, 0);
  EXPECT_EQ(s1, 1);
  EXPECT_EQ(a.slot(&kPool, 2), -1);  // no such worker
  const int other = 0;
  EXPECT_EQ(a.slot(&other, 0), -1);  // another pool's worker 0
  EXPECT_EQ(a.slot(nullptr, 0), -1);  // not a worker
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(a.take(100, s0));
  EXPECT_EQ(a.used(), 100'000u);
  for (int i = 0; i < 1000; ++i) a.give(100, s1);  // the receiver's worker gives back
  EXPECT_EQ(a.used(), 0u);
  a.force(10, s0);
  a.give(10, -1);
  EXPECT_EQ(a.used(), 0u);
}

TEST(Allowance, NearTheLimitAWorkerTakesJustWhatIsMissingAndNeverMore) {
  const std::uint64_t limit = 8ull << 20;  // 4 KiB chunks with 2 slots
  Allowance a(limit, &kPool, 2);
  ASSERT_EQ(a.chunk(), 4096u);
  const int s0 = a.slot(&kPool, 0);
  std::uint64_t taken = 0;
  while (a.take(1000, s0)) taken += 1000;
  EXPECT_LE(taken, limit);
  EXPECT_GT(taken, limit - 1000);  // refused only when less than 1000 was left
  EXPECT_EQ(a.used(), taken);
  EXPECT_FALSE(a.take(1000, -1));
  a.give(taken, s0);  // most of it goes back to the shared count at once
  EXPECT_EQ(a.used(), 0u);
  EXPECT_TRUE(a.take(limit - 2 * a.chunk(), -1));  // all but what one slot may keep is free again
}

TEST(Allowance, WorkersTakingAndGivingAtOnceNeverExceedTheLimitAndEndAtZero) {
  const std::uint64_t limit = 16ull << 20;
  constexpr unsigned kThreads = 4;
  Allowance a(limit, &kPool, kThreads);
  std::atomic<std::uint64_t> held{0}, max_held{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const int slot = a.slot(&kPool, t);
      std::vector<std::uint64_t> mine;
      for (int i = 0; i < 200'000; ++i) {
        const std::uint64_t n = 1 + (static_cast<std::uint64_t>(i) * 2654435761u + t) % 20'000;
        if (i % 3 != 2 && a.take(n, slot)) {
          mine.push_back(n);
          const auto h = held.fetch_add(n) + n;
          for (auto m = max_held.load(); h > m && !max_held.compare_exchange_weak(m, h);) {
          }
        } else if (!mine.empty()) {
          held.fetch_sub(mine.back());
          a.give(mine.back(), slot);
          mine.pop_back();
        }
      }
      for (auto n : mine) {
        held.fetch_sub(n);
        a.give(n, -1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(max_held.load(), limit);
  EXPECT_GT(max_held.load(), limit / 2);  // the limit was reached: refusals were exercised
  EXPECT_EQ(a.used(), 0u);
}

}  // namespace
}  // namespace wactor::sandbox
