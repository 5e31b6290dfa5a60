// The scheduler on its own: everything scheduled runs, from any thread; a woken runnable runs
// on its waker's worker unless that worker's batch runs long; nothing starves; idle workers
// park; many more workers than cores still finish.
#include "actor/scheduler.h"
#include "scheduler_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace wactor::actor {
namespace {

using namespace std::chrono_literals;

using test::Counted;
using test::eventually;
using test::Fn;

TEST(Scheduler, RunsEverythingScheduledFromOtherThreads) {
  Scheduler s(4);
  s.start();
  std::atomic<int> total{0};
  std::vector<std::unique_ptr<Counted>> rs;
  for (int i = 0; i < 2000; ++i) rs.push_back(std::make_unique<Counted>(1 + i % 5, &total));
  int expected = 0;
  for (int i = 0; i < 2000; ++i) expected += 1 + i % 5;
  std::vector<std::jthread> feeders;
  for (int t = 0; t < 4; ++t) {
    feeders.emplace_back([&, t] {
      for (int i = t; i < 2000; i += 4) s.schedule(rs[static_cast<std::size_t>(i)].get());
    });
  }
  feeders.clear();
  EXPECT_TRUE(eventually([&] { return total.load() == expected; }));
  s.stop();
  EXPECT_EQ(total.load(), expected);
}

TEST(Scheduler, IdleWorkersParkAndWakeForNewWork) {
  Scheduler s(4);
  s.start();
  std::atomic<int> total{0};
  Counted a(3, &total);
  s.schedule(&a);
  // Parked: waiting on the condition variable, not spinning.
  EXPECT_TRUE(eventually([&] { return total.load() == 3 && s.parked() == 4; }));
  Counted b(2, &total);
  s.schedule(&b);  // from outside: one parked worker must wake for it
  EXPECT_TRUE(eventually([&] { return total.load() == 5; }));
  EXPECT_TRUE(eventually([&] { return s.parked() == 4; }));
}

// How long a searcher spins is the scheduler's to be told (RuntimeOptions::worker_spin): with
// an hour, the one worker allowed to spin (one in two) is still searching long after the other
// parked; with none, both park. (Not timed: an hour cannot pass here, and parking is waited for.)
TEST(Scheduler, AnIdleWorkerSpinsAsLongAsItIsToldBeforeItParks) {
  {
    Scheduler s(2, std::chrono::hours(1));
    s.start();
    std::atomic<int> total{0};
    Counted a(2, &total);
    s.schedule(&a);
    ASSERT_TRUE(eventually([&] { return total.load() == 2 && s.parked() == 1; }));
    const auto until = std::chrono::steady_clock::now() + 100ms;  // 300 µs, the default, many times over
    while (std::chrono::steady_clock::now() < until) {
      ASSERT_EQ(s.parked(), 1u);
      std::this_thread::yield();
    }
    s.stop();  // a spinning worker stops too
  }
  Scheduler s(2, 0us);
  s.start();
  std::atomic<int> total{0};
  Counted a(2, &total);
  s.schedule(&a);
  EXPECT_TRUE(eventually([&] { return total.load() == 2 && s.parked() == 2; }));
  s.stop();
}

// Idle workers park and stay parked: counted, not timed. Each parked worker is one park in
// the counters; with nothing to run, no worker wakes or searches again.
TEST(Scheduler, IdleWorkersStayParkedAndTheCountersSayWhy) {
  Scheduler s(2);
  s.start();
  std::atomic<int> total{0};
  Counted a(4, &total);
  s.schedule(&a);  // from outside: the injection queue, one wake
  // parked() counts a worker from just before it parks, its `parks` count just after: both.
  ASSERT_TRUE(eventually([&] { return total.load() == 4 && s.parked() == 2 && s.stats().parks >= 2; }));
  const SchedulerStats idle = s.stats();
  EXPECT_EQ(idle.injected, 1u);
  EXPECT_EQ(idle.batches, 4u);
  EXPECT_EQ(idle.drained, 1u);
  EXPECT_GE(idle.parks, 2u);
  // Many looks later, still parked and nothing counted: no worker woke to search.
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(s.parked(), 2u);
    std::this_thread::yield();
  }
  const SchedulerStats later = s.stats();
  EXPECT_EQ(later.parks, idle.parks);
  EXPECT_EQ(later.spin_found, idle.spin_found);
  EXPECT_EQ(later.wakes, idle.wakes);
  s.stop();
}

TEST(Scheduler, WokenRunnableRunsOnItsWakersWorker) {
  Scheduler s(2);
  s.start();
  constexpr int kRounds = 20000;
  std::atomic<int> rounds{0};
  std::atomic<int> same{0};
  std::atomic<std::thread::id> last{};
  std::atomic<bool> done{false};
  std::unique_ptr<Fn> a, b;
  auto hop = [&](Runnable* other) {
    const auto me = std::this_thread::get_id();
    if (last.exchange(me) == me) same.fetch_add(1);
    if (rounds.fetch_add(1) + 1 >= kRounds) {
      done.store(true);
    } else {
      s.schedule(other);  // the last thing this batch does
    }
    return false;
  };
  a = std::make_unique<Fn>([&] { return hop(b.get()); });
  b = std::make_unique<Fn>([&] { return hop(a.get()); });
  s.schedule(a.get());
  ASSERT_TRUE(eventually([&] { return done.load(); }));
  // With one shared queue the other (spinning) worker took most hand-offs; now a woken
  // runnable stays on its waker's thread except when that thread is preempted mid-batch.
  EXPECT_GT(same.load(), kRounds / 2) << same.load() << " of " << kRounds << " on the same thread";
}

TEST(Scheduler, ALongBatchGivesUpTheRunnableItWoke) {
  Scheduler s(2);
  s.start();
  std::atomic<bool> b_ran{false};
  std::atomic<bool> a_saw{false};
  Fn b([&] {
    b_ran.store(true);
    return false;
  });
  Fn a([&] {
    s.schedule(&b);  // into this worker's next slot...
    // ...which only an idle worker can run while this batch goes on.
    a_saw.store(eventually([&] { return b_ran.load(); }, 10s));
    return false;
  });
  s.schedule(&a);
  EXPECT_TRUE(eventually([&] { return b_ran.load() && a_saw.load(); }));
}

TEST(Scheduler, ABusyRunnableDoesNotStarveOthers) {
  Scheduler s(1);
  s.start();
  std::atomic<bool> stop_hog{false};
  std::atomic<int> total{0};
  Counted woken(1, &total), injected(1, &total), queued(1, &total);
  std::atomic<bool> first{true};
  Fn hog([&] {
    if (first.exchange(false)) {
      s.schedule(&woken);  // next slot: runs after this batch
      s.schedule(&queued);  // displaces it into the run queue
    }
    return !stop_hog.load();  // always more work: re-queued after each batch
  });
  s.schedule(&hog);
  ASSERT_TRUE(eventually([&] { return !first; }));
  s.schedule(&injected);  // from outside, while the hog keeps the only worker busy
  EXPECT_TRUE(eventually([&] { return total.load() == 3; }));
  stop_hog.store(true);
  s.stop();
}

TEST(Scheduler, TwoRunnablesWakingEachOtherDoNotStarveTheQueue) {
  Scheduler s(1);
  s.start();
  std::atomic<bool> stop{false};
  std::atomic<int> total{0};
  Counted queued(1, &total), injected(1, &total);
  std::unique_ptr<Fn> a, b;
  std::atomic<bool> first{true};
  a = std::make_unique<Fn>([&] {
    if (first.exchange(false)) {
      s.schedule(&queued);  // into the next slot, then displaced into the run queue by b
    }
    if (!stop.load()) s.schedule(b.get());
    return false;
  });
  b = std::make_unique<Fn>([&] {
    if (!stop.load()) s.schedule(a.get());
    return false;
  });
  s.schedule(a.get());
  ASSERT_TRUE(eventually([&] { return !first; }));
  s.schedule(&injected);
  EXPECT_TRUE(eventually([&] { return total.load() == 2; }));
  stop.store(true);
  s.stop();
}

TEST(Scheduler, ARunnableOfAnotherSchedulerRunsOnItsOwnWorkers) {
  Scheduler s1(1), s2(1);
  s1.start();
  s2.start();
  std::atomic<std::thread::id> a_thread{}, b_thread{};
  std::atomic<bool> b_ran{false};
  Fn b([&] {
    b_thread.store(std::this_thread::get_id());
    b_ran.store(true);
    return false;
  });
  Fn a([&] {
    a_thread.store(std::this_thread::get_id());
    s2.schedule(&b);  // a worker of s1 schedules on s2: s2's injection queue
    return false;
  });
  s1.schedule(&a);
  ASSERT_TRUE(eventually([&] { return b_ran.load(); }));
  EXPECT_NE(a_thread.load(), b_thread.load());
  s1.stop();  // a's worker may still be inside s2.schedule() (its wake) when b ran (TSan)
}

TEST(Scheduler, ManyMoreWorkersThanCoresPassTokensAround) {
  Scheduler s(64);
  s.start();
  constexpr int kRings = 32, kPerRing = 8, kHops = 2000;
  std::atomic<int> hops{0};
  std::atomic<int> finished{0};
  std::vector<std::unique_ptr<Fn>> rs(kRings * kPerRing);
  std::vector<int> left(kRings, kHops);  // each ring's token is in one runnable at a time
  for (int r = 0; r < kRings; ++r) {
    for (int i = 0; i < kPerRing; ++i) {
      const auto me = static_cast<std::size_t>(r * kPerRing + i);
      const auto next = static_cast<std::size_t>(r * kPerRing + (i + 1) % kPerRing);
      rs[me] = std::make_unique<Fn>([&, r, next] {
        hops.fetch_add(1);
        if (--left[static_cast<std::size_t>(r)] == 0) {
          finished.fetch_add(1);
        } else {
          s.schedule(rs[next].get());
        }
        return false;
      });
    }
  }
  for (int r = 0; r < kRings; ++r) s.schedule(rs[static_cast<std::size_t>(r * kPerRing)].get());
  EXPECT_TRUE(eventually([&] { return finished.load() == kRings; }, 60s));
  EXPECT_EQ(hops.load(), kRings * kHops);
}

// Back-pressure: a batch that outran a consumer running on another worker waits for it.
TEST(Scheduler, ThrottleWaitsWhileTheConsumerRunsOnAnotherWorker) {
  Scheduler s(2);
  s.start();
  std::atomic<int> backlog{200};
  std::atomic<bool> consumer_in{false}, go{false};
  Fn consumer([&] {
    consumer_in.store(true);
    EXPECT_TRUE(eventually([&] { return go.load(); }));
    while (backlog.load() > 0) {
      backlog.fetch_sub(1);
      for (int i = 0; i < 10; ++i) cpu_relax();
    }
    return false;
  });
  std::atomic<int> waited{-1}, left{-1};
  Fn producer([&] {
    // The consumer starts draining once the producer looked (it is waiting from then on).
    waited.store(s.throttle(&consumer, [&] {
      go.store(true);
      return backlog.load() <= 100;
    }));
    left.store(backlog.load());
    return false;
  });
  s.schedule(&consumer);
  ASSERT_TRUE(eventually([&] { return consumer_in.load(); }));
  s.schedule(&producer);  // the other worker: the first is in the consumer's batch
  ASSERT_TRUE(eventually([&] { return left.load() >= 0; }));
  EXPECT_EQ(waited.load(), 1);
  const SchedulerStats st = s.stats();
  EXPECT_EQ(st.throttled, 1u);
  // Caught up, unless the consumer's thread lost its core for the longest wait (1 ms).
  EXPECT_TRUE(left.load() <= 100 || st.throttle_timeouts == 1) << left.load();
  s.stop();  // joins the workers before the runnables go (the consumer may still drain)
}

TEST(Scheduler, ThrottleReturnsAtOnceUnlessTheConsumerRunsElsewhere) {
  auto never = [] { return false; };
  {
    Scheduler s(2);
    s.start();
    Fn idle([] { return false; });
    EXPECT_FALSE(s.throttle(&idle, never));  // not a worker
    std::atomic<int> waited{-1};
    Fn producer([&] {
      waited.store(s.throttle(&idle, never));  // the consumer is not running
      return false;
    });
    s.schedule(&producer);
    ASSERT_TRUE(eventually([&] { return waited.load() >= 0; }));
    EXPECT_EQ(waited.load(), 0);
    EXPECT_EQ(s.stats().throttled, 0u);
    s.stop();
  }
  {
    Scheduler s(1);  // one worker: a consumer can never run beside its sender
    s.start();
    std::atomic<int> waited{-1};
    std::unique_ptr<Fn> producer;
    producer = std::make_unique<Fn>([&] {
      waited.store(s.throttle(producer.get(), never));  // itself: running, but here
      return false;
    });
    s.schedule(producer.get());
    ASSERT_TRUE(eventually([&] { return waited.load() >= 0; }));
    EXPECT_EQ(waited.load(), 0);
    s.stop();
  }
}

// Two batches sending to each other must not wait for each other: the second to look sees
// the first waiting and goes on, and the first stops waiting when the second's batch ends.
TEST(Scheduler, TwoWorkersDoNotThrottleOnEachOther) {
  Scheduler s(2);
  s.start();
  auto never = [] { return false; };
  std::atomic<bool> a_in{false}, b_in{false};
  std::atomic<int> a_waited{-1}, b_waited{-1};
  std::unique_ptr<Fn> a, b;
  a = std::make_unique<Fn>([&] {
    a_in.store(true);
    EXPECT_TRUE(eventually([&] { return b_in.load(); }));
    a_waited.store(s.throttle(b.get(), never));  // until b's batch ends
    return false;
  });
  b = std::make_unique<Fn>([&] {
    b_in.store(true);
    EXPECT_TRUE(eventually([&] { return s.stats().throttled == 1; }));  // a waits for b now
    b_waited.store(s.throttle(a.get(), never));
    return false;
  });
  s.schedule(a.get());
  ASSERT_TRUE(eventually([&] { return a_in.load(); }));
  s.schedule(b.get());
  ASSERT_TRUE(eventually([&] { return a_waited.load() >= 0 && b_waited.load() >= 0; }));
  EXPECT_EQ(a_waited.load(), 1);
  EXPECT_EQ(b_waited.load(), 0);
  EXPECT_EQ(s.stats().throttled, 1u);
  s.stop();
}

// Scheduler::coalesce: after a batch that left a little work, on a worker with nothing else
// to run, the worker waits a few microseconds for more before the next batch; a runnable that
// left a full batch's worth runs again at once.
class Streamed : public Runnable {
 public:
  Streamed(std::size_t backlog, int batches) : backlog_(backlog), left_(batches) {}
  bool run_batch() override {
    runs_.fetch_add(1);
    return --left_ > 0;
  }
  std::size_t backlog() const override { return backlog_; }
  std::atomic<int> runs_{0};

 private:
  const std::size_t backlog_;
  int left_;
};

TEST(Scheduler, ASmallBacklogOnAnIdleWorkerWaitsForMoreAFullOneDoesNot) {
  Scheduler s(1);
  s.start();
  Streamed small(1, 3);  // its backlog never grows (a burst's tail): each wait ends soon
  s.schedule(&small);
  ASSERT_TRUE(eventually([&] { return small.runs_.load() == 3; }));
  EXPECT_EQ(s.stats().coalesced, 2u);  // after each batch that said "more"
  Streamed full(Scheduler::kCoalesceBacklog, 3);
  s.schedule(&full);
  ASSERT_TRUE(eventually([&] { return full.runs_.load() == 3; }));
  EXPECT_EQ(s.stats().coalesced, 2u);
  s.stop();
}

// A stream that keeps arriving (each look at the depth finds one more): the worker looks at
// the depth twice per wait, now and after kCoalesceGap, and then waits for as long as that
// rate needs to fill a batch without looking again. Each look takes the line the sender
// writes at every push; looking once per µs was the collapse's slow mode (docs/BENCHMARKS.md).
class Arriving : public Runnable {
 public:
  explicit Arriving(int batches) : left_(batches) {}
  bool run_batch() override {
    runs_.fetch_add(1);
    return --left_ > 0;
  }
  std::size_t backlog() const override { return 1 + looks_.fetch_add(1); }
  std::atomic<int> runs_{0};
  mutable std::atomic<std::size_t> looks_{0};

 private:
  int left_;
};

TEST(Scheduler, AWaitForMoreLooksAtTheDepthTwiceNotOncePerGap) {
  Scheduler s(1);
  s.start();
  Arriving a(4);
  s.schedule(&a);
  ASSERT_TRUE(eventually([&] { return a.runs_.load() == 4; }));
  s.stop();
  EXPECT_EQ(s.stats().coalesced, 3u);
  EXPECT_EQ(a.looks_.load(), 6u);  // once per µs for 10 µs: ~30
}

}  // namespace
}  // namespace wactor::actor
