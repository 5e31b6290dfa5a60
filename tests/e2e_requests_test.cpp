// Every request ends exactly once: timeouts, cancellation, target down, backpressure —
// through real wasm guests, on every engine, with the injected clock where time matters.
#include <gtest/gtest.h>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class Requests : public test::EngineRuntimeTest {
 protected:
  std::string callbacks_for(long long id) {
    auto cbs = collector.logs_matching("callback id=" + std::to_string(id) + " ");
    return cbs.size() == 1 ? cbs[0] : "expected exactly one callback, got " + testing::PrintToString(cbs);
  }
};

TEST_P(Requests, CancelByOwnerEndsWithCancelledAndLateReplyIsDropped) {
  start_manual({probe("alice"), probe("bob")});
  const long long id = request_id_after("alice", "request bob 0 defer", 0);
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=" + std::to_string(id)).empty());
  post("alice", "cancel " + std::to_string(id));
  ASSERT_FALSE(collector.wait_log("^alice: cancel rc=").empty());
  post("bob", "flush too late");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: cancel rc=").at(0), "alice: cancel rc=0");
  EXPECT_EQ(callbacks_for(id), "alice: callback id=" + std::to_string(id) + " status=3 payload=");
  EXPECT_EQ(collector.logs_matching("^bob: flush id=" + std::to_string(id) + " rc=-1$").size(), 1u);
  EXPECT_EQ(stats("alice").requests_cancelled, 1u);
  EXPECT_EQ(stats("bob").orphaned_replies, 1u);
}

TEST_P(Requests, CancelByNonOwnerIsDeniedAndTheRequestStillCompletes) {
  start_manual({probe("alice"), probe("bob"), probe("carol")});
  const long long id = request_id_after("alice", "request bob 0 defer", 0);
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=").empty());
  post("carol", "cancel " + std::to_string(id));
  post("bob", "cancel " + std::to_string(id));  // the target is not the owner either
  ASSERT_FALSE(collector.wait_log("^bob: cancel rc=").empty());
  ASSERT_FALSE(collector.wait_log("^carol: cancel rc=").empty());
  EXPECT_EQ(runtime->pending_requests(), 1u);
  post("bob", "flush the answer");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^carol: cancel rc=-2$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^bob: cancel rc=-2$").size(), 1u);
  EXPECT_EQ(callbacks_for(id), "alice: callback id=" + std::to_string(id) + " status=0 payload=the answer");
  EXPECT_EQ(stats("carol").refused_denied, 1u);
}

TEST_P(Requests, CancelAfterResponseAndDoubleCancelAreNotFound) {
  start_manual({probe("alice"), probe("bob")});
  const long long answered = request_id_after("alice", "request bob 0 quick", 0);
  ASSERT_TRUE(runtime->wait_idle(10s));
  post("alice", "cancel " + std::to_string(answered));
  ASSERT_TRUE(runtime->wait_idle(10s));
  const long long open = request_id_after("alice", "request bob 0 defer", 1);
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=" + std::to_string(open)).empty());
  post("alice", "cancel " + std::to_string(open));
  post("alice", "cancel " + std::to_string(open));
  post("alice", "cancel 987654");  // never existed
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto rcs = collector.logs_matching("^alice: cancel rc=");
  ASSERT_EQ(rcs.size(), 4u);
  EXPECT_EQ(rcs[0], "alice: cancel rc=-1");
  EXPECT_EQ(rcs[1], "alice: cancel rc=0");
  EXPECT_EQ(rcs[2], "alice: cancel rc=-1");
  EXPECT_EQ(rcs[3], "alice: cancel rc=-1");
  EXPECT_EQ(field(callbacks_for(answered), "status"), 0);
  EXPECT_EQ(field(callbacks_for(open), "status"), 3);
}

TEST_P(Requests, TimeoutAndCancellationCounters) {
  start_manual({probe("alice"), probe("bob")});
  const long long t1 = request_id_after("alice", "request bob 100 defer", 0);
  const long long t2 = request_id_after("alice", "request bob 300 defer", 1);
  const long long c1 = request_id_after("alice", "request bob 0 defer", 2);
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=" + std::to_string(c1)).empty());
  post("alice", "cancel " + std::to_string(c1));
  clock.advance(100ms);
  runtime->expire_timers();
  ASSERT_FALSE(collector.wait_log("callback id=" + std::to_string(t1) + " ").empty());
  EXPECT_TRUE(collector.logs_matching("callback id=" + std::to_string(t2) + " ").empty());
  clock.advance(200ms);
  runtime->expire_timers();
  post("bob", "flush late");  // all three already ended
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(field(callbacks_for(t1), "status"), 2);
  EXPECT_EQ(field(callbacks_for(t2), "status"), 2);
  EXPECT_EQ(field(callbacks_for(c1), "status"), 3);
  const auto a = stats("alice");
  EXPECT_EQ(a.requests_sent, 3u);
  EXPECT_EQ(a.requests_timed_out, 2u);
  EXPECT_EQ(a.requests_cancelled, 1u);
  EXPECT_EQ(a.replies_ok, 0u);
  EXPECT_EQ(stats("bob").orphaned_replies, 3u);
  EXPECT_EQ(runtime->metrics().total.requests_timed_out, 2u);
}

TEST_P(Requests, CrashEndsReceivedRequestsWithTargetDownAndServesQueuedOnes) {
  start_manual({probe("alice"), probe("bob")});
  const long long d1 = request_id_after("alice", "request bob 0 defer", 0);
  const long long d2 = request_id_after("alice", "request bob 0 defer", 1);
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=" + std::to_string(d2)).empty());
  // bob spins, so what follows is queued behind the trap.
  post("bob", test::spin_command(GetParam(), 2000000));
  const long long tr = request_id_after("alice", "request bob 0 trap", 2);
  const long long q1 = request_id_after("alice", "request bob 0 q1", 3);
  const long long q2 = request_id_after("alice", "request bob 0 q2", 4);
  ASSERT_TRUE(runtime->wait_idle(30s));
  EXPECT_EQ(field(callbacks_for(d1), "status"), 4);
  EXPECT_EQ(field(callbacks_for(d2), "status"), 4);
  EXPECT_EQ(field(callbacks_for(tr), "status"), 1);
  EXPECT_EQ(callbacks_for(q1), "alice: callback id=" + std::to_string(q1) + " status=0 payload=echo:q1");
  EXPECT_EQ(callbacks_for(q2), "alice: callback id=" + std::to_string(q2) + " status=0 payload=echo:q2");
  EXPECT_EQ(collector.logs_matching("^bob: init config=").size(), 2u);
  EXPECT_EQ(stats("alice").requests_target_down, 2u);
  EXPECT_EQ(stats("bob").restarts, 1u);
}

TEST_P(Requests, StoppedComponentEndsEverythingQueuedWithTargetDown) {
  start_manual({probe("alice"), probe("bob")});
  const long long received = request_id_after("alice", "request bob 0 defer", 0);
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=" + std::to_string(received)).empty());
  post("bob", test::spin_command(GetParam(), 3000000));
  ASSERT_FALSE(collector.wait_log("^bob: msg from=\\$host req=0 payload=spin").empty());
  std::vector<long long> queued;
  for (std::size_t i = 1; i <= 3; ++i) queued.push_back(request_id_after("alice", "request bob 0 x", i));
  ASSERT_TRUE(runtime->stop_component("bob").ok());
  post("alice", "request bob 0 after");
  post("alice", "send bob after");
  ASSERT_TRUE(runtime->wait_idle(60s));
  EXPECT_EQ(field(callbacks_for(received), "status"), 4);
  for (auto id : queued) EXPECT_EQ(field(callbacks_for(id), "status"), 4) << id;
  EXPECT_EQ(collector.logs_matching("^alice: request id=-1$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: send rc=-1$").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("^bob: msg from=alice req=[0-9]+ payload=x").empty());
  EXPECT_FALSE(collector.events_matching("^bob: stopped: ").empty());
  EXPECT_EQ(runtime->pending_requests(), 0u);
  EXPECT_EQ(runtime->post("bob", "x"), -1);
}

TEST_P(Requests, FullMailboxRefusesRequestsAndAnswersEveryAcceptedOne) {
  // alice's init queues requests before any worker runs: bob's mailbox (4) fills.
  start({probe("alice", "run:rburst 10 bob r"), probe("bob", "", 4)});
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: rburst ok=4 refused=6$").size(), 1u)
      << testing::PrintToString(collector.logs());
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:r$").size(), 4u);
  EXPECT_EQ(stats("alice").refused_queue_full, 6u);
  EXPECT_EQ(stats("bob").shed_queue_full, 6u);
  EXPECT_EQ(stats("alice").requests_sent, 4u);
}

TEST_P(Requests, DrainEndsEveryPendingRequestWithTargetDownAndRefusesNewWork) {
  start({probe("alice"), probe("bob")});
  std::vector<long long> ids;
  for (std::size_t i = 0; i < 3; ++i) ids.push_back(request_id_after("alice", "request bob 0 defer", i));
  ASSERT_EQ(collector.wait_logs_more_than("^bob: msg from=alice", 2).size(), 3u);
  EXPECT_TRUE(runtime->drain(10s));
  for (auto id : ids) EXPECT_EQ(callbacks_for(id), "alice: callback id=" + std::to_string(id) + " status=4 payload=");
  EXPECT_EQ(runtime->post("bob", "late"), -1);
  EXPECT_EQ(runtime->pending_requests(), 0u);
  EXPECT_EQ(stats("alice").requests_target_down, 3u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Requests, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
