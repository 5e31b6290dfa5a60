// The runtime's timer service on its own: ids, due order, exactly one outcome per timer
// (fired or cancelled) under races, what a component leaves behind, bounded memory.
#include "runtime/timers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

namespace wactor::runtime {
namespace {

using namespace std::chrono_literals;

Timer send_after(messaging::ComponentIndex owner, std::chrono::nanoseconds at, std::string payload = {}) {
  Timer t;
  t.kind = Timer::Kind::kSendAfter;
  t.owner = owner;
  t.at = at;
  t.target = "x";
  t.payload = std::move(payload);
  return t;
}

TEST(TimerService, IdsArePositiveAndUnique) {
  TimerService s;
  std::set<std::int64_t> ids;
  for (int i = 0; i < 1000; ++i) {
    const auto added = s.add(send_after(1 + i % 3, std::chrono::milliseconds(i % 7)));
    EXPECT_GT(added.id, 0);
    EXPECT_TRUE(ids.insert(added.id).second) << added.id;
  }
  // Ids are never used again, not even after their timers are gone.
  (void)s.take_due(1h);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(ids.insert(s.add(send_after(1, 0ms)).id).second);
}

TEST(TimerService, EarliestTellsWhenTheTimerThreadMustWake) {
  TimerService s;
  EXPECT_TRUE(s.add(send_after(1, 10ms)).earliest);
  EXPECT_FALSE(s.add(send_after(1, 20ms)).earliest);
  EXPECT_FALSE(s.add(send_after(1, 10ms)).earliest);  // same time: the thread wakes for it anyway
  EXPECT_TRUE(s.add(send_after(1, 5ms)).earliest);
  EXPECT_EQ(s.next_due(), std::chrono::nanoseconds(5ms));
}

TEST(TimerService, TakeDueReturnsDueTimersByTimeThenId) {
  TimerService s;
  const auto c = s.add(send_after(1, 30ms, "c")).id;
  const auto a = s.add(send_after(2, 10ms, "a")).id;
  const auto b1 = s.add(send_after(1, 20ms, "b1")).id;
  const auto b2 = s.add(send_after(3, 20ms, "b2")).id;  // same time as b1: after it (higher id)
  const auto late = s.add(send_after(1, 40ms, "late")).id;
  EXPECT_TRUE(s.take_due(9ms).empty());
  auto due = s.take_due(30ms);
  ASSERT_EQ(due.size(), 4u);
  EXPECT_EQ(due[0].id, a);
  EXPECT_EQ(due[1].id, b1);
  EXPECT_EQ(due[2].id, b2);
  EXPECT_EQ(due[3].id, c);
  EXPECT_EQ(due[0].payload, "a");
  EXPECT_EQ(due[3].payload, "c");
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.next_due(), std::chrono::nanoseconds(40ms));
  EXPECT_TRUE(s.take_due(30ms).empty());  // taken once only
  due = s.take_due(40ms);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, late);
  EXPECT_FALSE(s.next_due().has_value());
}

TEST(TimerService, TakeDueStopsAtMaxAndKeepsTheRestInOrder) {
  TimerService s;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(s.add(send_after(1, std::chrono::milliseconds(10 - i))).id);
  std::vector<std::int64_t> order;
  for (;;) {
    auto due = s.take_due(1h, 3);
    EXPECT_LE(due.size(), 3u);
    for (auto& t : due) order.push_back(t.id);
    if (due.size() < 3) break;
  }
  std::reverse(ids.begin(), ids.end());  // the last added is due first
  EXPECT_EQ(order, ids);
}

TEST(TimerService, CancelRemovesOnceAndOnlyForItsOwner) {
  TimerService s;
  const auto id = s.add(send_after(7, 10ms)).id;
  EXPECT_EQ(s.cancel(id, 8), TimerService::Cancel::kDenied);
  EXPECT_EQ(s.pending_for(7), 1u);
  EXPECT_EQ(s.cancel(id, 7), TimerService::Cancel::kOk);
  EXPECT_EQ(s.cancel(id, 7), TimerService::Cancel::kNotFound);
  EXPECT_EQ(s.cancel(id, 8), TimerService::Cancel::kNotFound);
  EXPECT_EQ(s.cancel(12345, 7), TimerService::Cancel::kNotFound);
  EXPECT_EQ(s.pending_for(7), 0u);
  EXPECT_TRUE(s.take_due(1h).empty());  // a cancelled timer never fires
  EXPECT_FALSE(s.next_due().has_value());
  // A fired timer cannot be cancelled.
  const auto fired = s.add(send_after(7, 10ms)).id;
  ASSERT_EQ(s.take_due(10ms).size(), 1u);
  EXPECT_EQ(s.cancel(fired, 7), TimerService::Cancel::kNotFound);
}

TEST(TimerService, OnlySendAfterTimersCanBeCancelled) {
  TimerService s;
  Timer health;
  health.kind = Timer::Kind::kHealth;
  health.owner = 7;
  health.at = 10ms;
  const auto id = s.add(std::move(health)).id;
  EXPECT_EQ(s.cancel(id, 7), TimerService::Cancel::kNotFound);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.pending_for(7), 0u);  // send-after timers only
  EXPECT_EQ(s.take_due(10ms).size(), 1u);
}

TEST(TimerService, TakeOwnedByTakesEveryTimerOfOneOwnerAndNoOther) {
  TimerService s;
  std::set<std::int64_t> mine;
  for (int i = 0; i < 50; ++i) mine.insert(s.add(send_after(1, std::chrono::milliseconds(i))).id);
  Timer start;
  start.kind = Timer::Kind::kStart;
  start.owner = 1;
  start.at = 5ms;
  mine.insert(s.add(std::move(start)).id);
  const auto other = s.add(send_after(2, 1ms)).id;
  // Some of them leave first, by both ways.
  for (int i = 0; i < 10; ++i) {
    const auto id = *mine.begin();
    EXPECT_EQ(s.cancel(id, 1), TimerService::Cancel::kOk);
    mine.erase(id);
  }
  EXPECT_EQ(s.pending_for(1), 40u);
  auto owned = s.take_owned_by(1);
  std::set<std::int64_t> taken;
  for (auto& t : owned) {
    EXPECT_EQ(t.owner, 1u);
    taken.insert(t.id);
  }
  EXPECT_EQ(taken, mine);
  EXPECT_EQ(s.pending_for(1), 0u);
  EXPECT_TRUE(s.take_owned_by(1).empty());
  EXPECT_EQ(s.size(), 1u);
  auto due = s.take_due(1h);  // only the other owner's timer is left to fire
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, other);
}

// A timer leaves exactly once: a cancel racing take_due either removes it (kOk) or finds it
// fired (kNotFound), never both and never neither.
TEST(TimerService, CancelRacingTakeDueGivesEachTimerExactlyOneOutcome) {
  constexpr int kRounds = 200, kTimers = 500;
  for (int round = 0; round < kRounds; ++round) {
    TimerService s;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < kTimers; ++i) ids.push_back(s.add(send_after(1 + i % 4, std::chrono::microseconds(i))).id);
    std::atomic<bool> go{false};
    std::vector<std::int64_t> fired;
    std::vector<std::int64_t> cancelled;
    std::thread firing([&] {
      while (!go.load(std::memory_order_acquire)) {
      }
      // Time moves on in small steps, so that both sides meet in the middle.
      for (int us = 0; us <= kTimers; us += 7) {
        for (auto& t : s.take_due(std::chrono::microseconds(us), 16)) fired.push_back(t.id);
      }
      for (auto& t : s.take_due(1h)) fired.push_back(t.id);
    });
    std::thread cancelling([&] {
      while (!go.load(std::memory_order_acquire)) {
      }
      for (int i = kTimers - 1; i >= 0; --i) {  // from the last due, towards the firing side
        const auto r = s.cancel(ids[static_cast<std::size_t>(i)], 1 + i % 4);
        ASSERT_NE(r, TimerService::Cancel::kDenied);
        if (r == TimerService::Cancel::kOk) cancelled.push_back(ids[static_cast<std::size_t>(i)]);
      }
    });
    go.store(true, std::memory_order_release);
    firing.join();
    cancelling.join();
    std::set<std::int64_t> all(fired.begin(), fired.end());
    EXPECT_EQ(all.size(), fired.size()) << "a timer fired twice";
    for (auto id : cancelled) EXPECT_TRUE(all.insert(id).second) << "timer " << id << " fired and cancelled";
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kTimers)) << "a timer neither fired nor cancelled";
    EXPECT_EQ(s.size(), 0u);
    for (messaging::ComponentIndex o = 1; o <= 4; ++o) EXPECT_EQ(s.pending_for(o), 0u);
  }
}

// Owners come and go by the thousand: nothing stays behind once their timers left, by any way.
TEST(TimerService, MemoryStaysBoundedOverManyAddAndLeaveCycles) {
  TimerService s;
  for (int cycle = 0; cycle < 2000; ++cycle) {
    const messaging::ComponentIndex owner = 1000 + static_cast<messaging::ComponentIndex>(cycle);
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 20; ++i) ids.push_back(s.add(send_after(owner, std::chrono::milliseconds(cycle))).id);
    EXPECT_EQ(s.pending_for(owner), 20u);
    switch (cycle % 3) {
      case 0:  // all fire
        EXPECT_EQ(s.take_due(std::chrono::milliseconds(cycle)).size(), 20u);
        break;
      case 1:  // all cancelled
        for (auto id : ids) EXPECT_EQ(s.cancel(id, owner), TimerService::Cancel::kOk);
        break;
      case 2:  // some cancelled, the owner goes with the rest
        for (std::size_t i = 0; i < ids.size(); i += 2) EXPECT_EQ(s.cancel(ids[i], owner), TimerService::Cancel::kOk);
        EXPECT_EQ(s.take_owned_by(owner).size(), 10u);
        break;
    }
    ASSERT_EQ(s.size(), 0u) << cycle;
    ASSERT_EQ(s.pending_for(owner), 0u) << cycle;
  }
  EXPECT_FALSE(s.next_due().has_value());
  // One long-lived owner whose timers keep leaving (cancelled out of order) while new ones
  // come: its pending count stays exact.
  std::vector<std::int64_t> live;
  for (int i = 0; i < 20000; ++i) {
    live.push_back(s.add(send_after(9, 1h)).id);
    if (live.size() > 8) {
      EXPECT_EQ(s.cancel(live[live.size() / 2], 9), TimerService::Cancel::kOk);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(live.size() / 2));
    }
  }
  EXPECT_EQ(s.pending_for(9), live.size());
  EXPECT_EQ(s.size(), live.size());
  EXPECT_EQ(s.take_owned_by(9).size(), live.size());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.next_due().has_value());
}

}  // namespace
}  // namespace wactor::runtime
