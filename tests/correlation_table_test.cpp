#include "messaging/correlation_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace wactor::messaging {
namespace {

using namespace std::chrono_literals;
using Outcome = CorrelationTable::Outcome;

TEST(CorrelationTable, IdsArePositiveAndUnique) {
  CorrelationTable t;
  auto a = t.add(0, 1, 10ms);
  auto b = t.add(0, 1, 20ms);
  EXPECT_GT(a.id, 0);
  EXPECT_NE(a.id, b.id);
  EXPECT_TRUE(a.earliest);
  EXPECT_FALSE(b.earliest);
  EXPECT_TRUE(t.add(0, 1, 5ms).earliest);
}

TEST(CorrelationTable, OnlyTheTargetMayAnswerAndOnlyOnce) {
  CorrelationTable t;
  auto a = t.add(/*requester=*/3, /*target=*/4, 10ms);
  EXPECT_EQ(t.take_as_target(a.id, 3).outcome, Outcome::kDenied);
  EXPECT_EQ(t.size(), 1u);
  auto taken = t.take_as_target(a.id, 4);
  EXPECT_EQ(taken.outcome, Outcome::kOk);
  EXPECT_EQ(taken.request.requester, 3u);
  EXPECT_EQ(t.take_as_target(a.id, 4).outcome, Outcome::kNotFound);
  EXPECT_EQ(t.take_as_requester(a.id, 3).outcome, Outcome::kNotFound);
}

TEST(CorrelationTable, OnlyTheRequesterMayCancel) {
  CorrelationTable t;
  auto a = t.add(3, 4, 10ms);
  EXPECT_EQ(t.take_as_requester(a.id, 4).outcome, Outcome::kDenied);
  EXPECT_EQ(t.take_as_requester(a.id, 3).outcome, Outcome::kOk);
}

TEST(CorrelationTable, ExpiresInDeadlineOrderAndSkipsFinished) {
  CorrelationTable t;
  auto a = t.add(0, 1, 30ms);
  auto b = t.add(0, 1, 10ms);
  auto c = t.add(0, 1, 20ms);
  ASSERT_TRUE(t.take(c.id));
  EXPECT_EQ(*t.next_deadline(), 10ms);
  EXPECT_TRUE(t.take_expired(9ms).empty());
  auto e = t.take_expired(25ms);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].id, b.id);
  EXPECT_EQ(*t.next_deadline(), 30ms);
  e = t.take_expired(100ms);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].id, a.id);
  EXPECT_FALSE(t.next_deadline());
}

TEST(CorrelationTable, ReceivedRequestsAreTakenOnInstanceLoss) {
  CorrelationTable t;
  auto queued = t.add(0, 1, 10ms);
  auto received = t.add(0, 1, 10ms);
  auto other = t.add(0, 2, 10ms);
  t.mark_received(received.id);
  t.mark_received(other.id);
  auto lost = t.take_received_by(1);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].id, received.id);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.take(queued.id));
}

TEST(CorrelationTable, FinishedRequestsLeaveNoDeadlineBehind) {
  CorrelationTable t;
  for (int i = 0; i < 100000; ++i) {
    auto a = t.add(0, 1, std::chrono::hours(1));
    ASSERT_TRUE(t.take(a.id));
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.next_deadline());
}

}  // namespace
}  // namespace wactor::messaging

namespace wactor::messaging {
namespace {

using namespace std::chrono_literals;

TEST(CorrelationTableShards, IdsOfManyRequestersAreUniqueAndEachIsFoundAgain) {
  CorrelationTable t;
  std::vector<std::int64_t> ids;
  for (ComponentIndex requester = 0; requester < 500; ++requester) {
    for (int i = 0; i < 4; ++i) ids.push_back(t.add(requester, requester + 1, 1s).id);
  }
  std::vector<std::int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  EXPECT_GT(sorted.front(), 0);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const ComponentIndex requester = i / 4;
    EXPECT_EQ(t.target_of(ids[i]), requester + 1);
    EXPECT_EQ(t.take_as_requester(ids[i], requester + 1).outcome, CorrelationTable::Outcome::kDenied);
    EXPECT_EQ(t.take_as_target(ids[i], requester + 1).request.requester, requester);
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.take(12345));  // an id nobody made
  EXPECT_FALSE(t.take(-7));
}

TEST(CorrelationTableShards, DeadlinesAreOrderedAcrossRequesters) {
  CorrelationTable t;
  // Requesters land in different shards; the table still answers for all of them.
  for (ComponentIndex requester = 0; requester < 64; ++requester) {
    t.add(requester, 1, std::chrono::milliseconds(1000 - static_cast<int>(requester)));
  }
  EXPECT_EQ(*t.next_deadline(), 937ms);
  EXPECT_TRUE(t.add(99, 1, 900ms).earliest);  // earlier than all: must wake the timer
  auto e = t.take_expired(950ms);
  ASSERT_EQ(e.size(), 15u);
  EXPECT_TRUE(std::is_sorted(e.begin(), e.end(), [](const auto& a, const auto& b) { return a.deadline < b.deadline; }));
  EXPECT_EQ(e.front().deadline, 900ms);
  EXPECT_EQ(*t.next_deadline(), 951ms);
  EXPECT_EQ(t.take_all().size(), 50u);
  EXPECT_FALSE(t.next_deadline());
}

TEST(CorrelationTableShards, ConcurrentRequestersEachTakeTheirOwn) {
  CorrelationTable t;
  std::atomic<int> ok{0};
  {
    std::vector<std::jthread> threads;
    for (ComponentIndex requester = 1; requester <= 8; ++requester) {
      threads.emplace_back([&, requester] {
        for (int i = 0; i < 5000; ++i) {
          auto a = t.add(requester, 100, 1h);
          t.mark_received(a.id);
          if (t.take_as_target(a.id, 100).outcome == CorrelationTable::Outcome::kOk) ok.fetch_add(1);
        }
      });
    }
  }
  EXPECT_EQ(ok.load(), 8 * 5000);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.next_deadline());
}

}  // namespace
}  // namespace wactor::messaging
