// runtime::WorkCount, the runtime's idle count kept per worker: idle() is never true while
// work passes between workers (each hop adds the next before it is done), and wait_idle()
// wakes when the last work is done.
#include "runtime/work_count.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "scheduler_support.h"

namespace wactor::runtime {
namespace {

using namespace std::chrono_literals;

// A mailbox in miniature: tokens with hops left; each hop sends the token on (one or two
// copies) to the peer before it counts itself done, as a handler sends before its envelope
// is done.
class Box : public actor::Runnable {
 public:
  Box(actor::Scheduler& s, WorkCount& w, std::atomic<std::uint64_t>& hops) : s_(s), w_(w), hops_(hops) {}
  Box* peer = nullptr;

  void push(int left) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      q_.push_back(left);
      wake = !scheduled_;
      scheduled_ = true;
    }
    if (wake) s_.schedule(this);
  }
  bool run_batch() override {
    std::deque<int> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(q_);
    }
    for (int left : batch) {
      if (left > 0) {
        w_.add();
        peer->push(left - 1);
        if (left % 7 == 0) {  // a fan-out now and then: more in flight at once
          w_.add();
          push(0);
        }
      }
      hops_.fetch_add(1, std::memory_order_relaxed);
      w_.done();
    }
    std::lock_guard lock(mu_);
    if (q_.empty()) scheduled_ = false;
    return scheduled_;
  }

 private:
  actor::Scheduler& s_;
  WorkCount& w_;
  std::atomic<std::uint64_t>& hops_;
  std::mutex mu_;
  std::deque<int> q_;
  bool scheduled_ = false;
};

std::uint64_t hops_of(int left) {  // the hops a token with `left` makes, fan-outs included
  std::uint64_t n = 1;
  if (left > 0) n += hops_of(left - 1) + (left % 7 == 0 ? 1 : 0);
  return n;
}

TEST(WorkCount, NeverIdleWhileWorkPassesBetweenWorkersAndWaitIdleWakesAtTheEnd) {
  constexpr int kTokens = 64, kHops = 300;
  for (int round = 0; round < 10; ++round) {
    actor::Scheduler s(4);  // more workers than cores: reads and writes interleave more
    WorkCount w(&s, 4);
    std::atomic<std::uint64_t> hops{0};
    Box a(s, w, hops), b(s, w, hops);
    a.peer = &b;
    b.peer = &a;
    w.add(kTokens);  // from outside the pool: the shared count
    std::atomic<bool> seen_idle{false};
    std::atomic<std::uint64_t> hops_when_idle{0};
    std::jthread checker([&](std::stop_token st) {
      while (!st.stop_requested()) {
        if (w.idle()) {
          hops_when_idle.store(hops.load(std::memory_order_acquire));
          seen_idle.store(true);
          return;
        }
      }
    });
    s.start();
    for (int i = 0; i < kTokens; ++i) (i % 2 ? a : b).push(kHops);
    ASSERT_TRUE(w.wait_idle(60s));
    const std::uint64_t expected = kTokens * hops_of(kHops);
    EXPECT_EQ(hops.load(), expected);
    ASSERT_TRUE(actor::test::eventually([&] { return seen_idle.load(); }));
    EXPECT_EQ(hops_when_idle.load(), expected) << "idle() was true with work in flight";
    s.stop();
  }
}

TEST(WorkCount, AnyThreadMayAddAndFinishAndAWaiterWakes) {
  actor::Scheduler s(1);  // never started: every thread here uses the shared count
  WorkCount w(&s, 1);
  EXPECT_TRUE(w.idle());
  w.add(3);
  EXPECT_FALSE(w.idle());
  EXPECT_FALSE(w.wait_idle(1ms));
  std::jthread t([&] {
    for (int i = 0; i < 3; ++i) w.done();
  });
  EXPECT_TRUE(w.wait_idle(60s));
  EXPECT_TRUE(w.idle());
}

}  // namespace
}  // namespace wactor::runtime
