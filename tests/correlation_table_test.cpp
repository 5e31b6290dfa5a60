#include "messaging/correlation_table.h"

#include <gtest/gtest.h>

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
