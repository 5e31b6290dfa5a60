// Supervision through real wasm guests, on every engine: restart strategies, restart
// intensity and escalation, backoff with queued messages kept, health polls, and the
// shutdown deadline.
#include <gtest/gtest.h>

#include "actor/restart_window.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

class Supervision : public test::EngineRuntimeTest {
 protected:
  static GroupSpec group(RestartStrategy strategy, std::vector<std::string> members, std::uint32_t max_restarts = 5) {
    SupervisionPolicy p;
    p.strategy = strategy;
    p.max_restarts = max_restarts;
    p.within = 60s;
    p.backoff = p.backoff_max = 0ms;
    return GroupSpec{"g", p, std::move(members)};
  }
  std::size_t inits(const std::string& id) { return collector.logs_matching("^" + id + ": init config=").size(); }
  std::size_t shutdowns(const std::string& id) { return collector.logs_matching("^" + id + ": shutdown seen=").size(); }
  void trap(const std::string& id) {
    post(id, "trap");
    ASSERT_TRUE(runtime->wait_idle(10s));
  }
};

TEST_P(Supervision, OneForOneRestartsOnlyTheFailingMember) {
  start({probe("a"), probe("b")}, options(), {group(RestartStrategy::kOneForOne, {"a", "b"})});
  post("b", "data");
  trap("a");
  post("b", "report");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(stats("a").restarts, 1u);
  EXPECT_EQ(stats("b").restarts, 0u);
  EXPECT_EQ(inits("a"), 2u);
  EXPECT_EQ(inits("b"), 1u);
  EXPECT_EQ(collector.logs_matching("^b: received=1$").size(), 1u);  // b kept its state
  EXPECT_EQ(collector.events_matching("^a: trap: ").size(), 1u);
  EXPECT_EQ(collector.events_matching("^a: restarted: ").size(), 1u);
}

TEST_P(Supervision, OneForAllRestartsTheWholeGroupAndNoOneElse) {
  start({probe("a"), probe("b"), probe("c")}, options(), {group(RestartStrategy::kOneForAll, {"a", "b"})});
  post("b", "data");
  post("c", "data");
  // b's restart goes ahead of what it has not taken yet: let the old instance see its data.
  ASSERT_TRUE(runtime->wait_idle(10s));
  trap("a");
  post("b", "report");
  post("c", "report");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(stats("a").restarts, 1u);
  EXPECT_EQ(stats("b").restarts, 1u);
  EXPECT_EQ(stats("c").restarts, 0u);
  EXPECT_EQ(inits("b"), 2u);
  EXPECT_EQ(shutdowns("b"), 1u);  // the healthy sibling is shut down properly
  EXPECT_EQ(shutdowns("a"), 0u);  // the failed instance is not called again
  EXPECT_EQ(collector.logs_matching("^b: received=0$").size(), 1u);  // fresh state
  EXPECT_EQ(collector.logs_matching("^c: received=1$").size(), 1u);  // outside the group: untouched
}

TEST_P(Supervision, RestForOneRestartsTheFailingMemberAndThoseAfterIt) {
  start({probe("a"), probe("b"), probe("c")}, options(), {group(RestartStrategy::kRestForOne, {"a", "b", "c"})});
  trap("b");
  EXPECT_EQ(stats("a").restarts, 0u);
  EXPECT_EQ(stats("b").restarts, 1u);
  EXPECT_EQ(stats("c").restarts, 1u);
  EXPECT_EQ(inits("a"), 1u);
  EXPECT_EQ(inits("c"), 2u);
}

TEST_P(Supervision, SiblingRestartEndsItsUnansweredRequestsWithTargetDown) {
  start({probe("a"), probe("b"), probe("r")}, options(), {group(RestartStrategy::kOneForAll, {"a", "b"})});
  const long long id = request_id_after("r", "request b 0 defer", 0);
  ASSERT_FALSE(collector.wait_log("^b: msg from=r req=" + std::to_string(id)).empty());
  trap("a");
  EXPECT_EQ(collector.logs_matching("^r: callback id=" + std::to_string(id) + " status=4 ").size(), 1u);
}

TEST_P(Supervision, ExceedingTheIntensityStopsTheGroupAndEscalates) {
  start({probe("a"), probe("b"), probe("r")}, options(), {group(RestartStrategy::kOneForAll, {"a", "b"}, 2)});
  trap("a");
  trap("a");
  EXPECT_TRUE(runtime->escalated_groups().empty());
  const long long id = request_id_after("r", "request b 0 defer", 0);
  ASSERT_FALSE(collector.wait_log("^b: msg from=r req=" + std::to_string(id)).empty());
  trap("a");  // the third failure within the window: more than 2 restarts
  EXPECT_EQ(runtime->escalated_groups(), std::vector<std::string>{"g"});
  const auto escalated = collector.events_matching("^a: escalated: ");
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_NE(escalated[0].find("group 'g' (one-for-all) exceeded 2 restarts in 60000 ms; stopped a b"),
            std::string::npos)
      << escalated[0];
  EXPECT_EQ(stats("a").escalations, 1u);
  EXPECT_EQ(stats("a").restarts, 2u);
  EXPECT_EQ(runtime->post("a", "data"), -1);  // both stopped for good
  EXPECT_EQ(runtime->post("b", "data"), -1);
  EXPECT_EQ(runtime->post("r", "report"), 0);  // the rest of the host is unaffected
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^r: callback id=" + std::to_string(id) + " status=4 ").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^r: received=0$").size(), 1u);
}

TEST_P(Supervision, BackoffDelaysTheRestartAndQueuedMessagesSurviveIt) {
  auto o = options();
  o.clock = &clock;
  o.supervision.max_restarts = 10;
  o.supervision.within = 60s;
  o.supervision.backoff = 100ms;
  o.supervision.backoff_max = 1s;
  start({probe("a"), probe("r")}, std::move(o));
  trap("a");  // the first restart in the window is immediate
  EXPECT_EQ(stats("a").restarts, 1u);
  // The second failure is a request: its requester gets the error, and the restart waits 100 ms.
  const long long id = request_id_after("r", "request a 0 trap", 0);
  ASSERT_FALSE(collector.wait_log("^r: callback id=" + std::to_string(id) + " status=1 ").empty());
  post("a", "data");
  post("a", "data");
  post("a", "report");
  EXPECT_FALSE(runtime->wait_idle(300ms));  // held until the restart
  EXPECT_TRUE(collector.logs_matching("^a: received=").empty());
  clock.advance(99ms);
  runtime->expire_timers();
  EXPECT_FALSE(runtime->wait_idle(100ms));
  clock.advance(1ms);
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(stats("a").restarts, 2u);
  EXPECT_EQ(inits("a"), 3u);
  EXPECT_EQ(collector.logs_matching("^a: received=2$").size(), 1u);  // handled by the fresh instance
}

// Regression: a restart rescheduled earlier than the one it replaced (the window slid
// between failures) must not leave the component waiting for a start that never comes.
TEST_P(Supervision, ARescheduledEarlierRestartStillHappens) {
  auto o = options();
  o.clock = &clock;
  SupervisionPolicy p;
  p.strategy = RestartStrategy::kRestForOne;
  p.max_restarts = 10;
  p.within = 1000ms;
  p.backoff = 500ms;
  p.backoff_max = 10s;
  start({probe("m"), probe("s")}, std::move(o), {GroupSpec{"g", p, {"m", "s"}}});
  // Each scheduled restart is an event: the clock moves only once it was scheduled.
  auto scheduled = [&](const std::string& id, std::size_t n) {
    ASSERT_EQ(collector.wait_events_more_than("^" + id + ": restart-scheduled: ", n - 1).size(), n);
  };
  trap("s");  // t=0: restarted at once
  clock.advance(100ms);
  post("s", "trap");  // t=100: the 2nd restart waits 500 ms
  scheduled("s", 1);
  clock.advance(500ms);
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(10s));  // t=600: restarted
  clock.advance(100ms);
  post("s", "trap");  // t=700: the 3rd waits 1000 ms, until t=1700
  scheduled("s", 2);
  clock.advance(450ms);
  post("m", "trap");  // t=1150: the window lost t=0 and t=100, so m (and s) restart at t=1650
  scheduled("m", 1);
  scheduled("s", 3);
  post("s", "report");
  clock.advance(650ms);  // t=1800: both starts (1650, and the outdated 1700) are due at once
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^s: received=0$").size(), 1u);
  EXPECT_EQ(stats("s").restarts, 3u);
  EXPECT_EQ(stats("m").restarts, 1u);
}

TEST_P(Supervision, AStoppedComponentThatFailsIsNotRestarted) {
  auto o = options();
  o.clock = &clock;  // deadlines never pass: the loop below ends when its fuel runs out
  o.supervision.backoff = 1s;
  o.limits.fuel = GetParam() == "aot" ? 400'000'000 : 4'000'000;  // some 100 ms of looping
  start({probe("a")}, std::move(o));
  trap("a");  // the first restart is immediate; the next would wait 1 s
  post("a", "loop");
  ASSERT_FALSE(collector.wait_log("^a: msg from=\\$host req=0 payload=loop").empty());
  ASSERT_TRUE(runtime->stop_component("a").ok());  // while it loops: the loop is interrupted
  ASSERT_TRUE(runtime->wait_idle(10s));              // no restart waits for the clock
  EXPECT_EQ(stats("a").restarts, 1u);
  EXPECT_EQ(stats("a").interrupted, 1u);
  EXPECT_EQ(collector.events_matching("^a: interrupted: .*wactor: interrupted").size(), 1u);
  EXPECT_EQ(collector.events_matching("^a: stopped: ").size(), 1u);
  EXPECT_EQ(collector.events_matching("^a: restarted: ").size(), 1u);
}

TEST_P(Supervision, AnUnhealthyAnswerCountsAsAFailure) {
  auto o = options();
  o.clock = &clock;
  o.health_interval = 50ms;
  start({probe("a"), probe("b")}, std::move(o));
  post("a", "sick");
  ASSERT_TRUE(runtime->wait_idle(10s));
  clock.advance(50ms);
  runtime->expire_timers();
  ASSERT_FALSE(collector.wait_event("^a: unhealthy: health returned 3").empty());
  ASSERT_FALSE(collector.wait_event("^a: restarted: ").empty());
  ASSERT_TRUE(runtime->wait_idle(10s));
  clock.advance(50ms);  // the fresh instance answers healthy
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(stats("a").health_checks, 2u);
  EXPECT_EQ(stats("a").unhealthy, 1u);
  EXPECT_EQ(stats("a").restarts, 1u);
  EXPECT_EQ(stats("b").unhealthy, 0u);
  EXPECT_GE(stats("b").health_checks, 1u);
}

TEST_P(Supervision, ShutdownIsStoppedAtItsOwnDeadline) {
  auto o = options();
  o.limits.shutdown_deadline = 100ms;
  start({probe("a"), probe("b")}, std::move(o));
  post("a", "hang-on-shutdown");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto t0 = std::chrono::steady_clock::now();
  runtime->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(collector.events_matching("^a: shutdown-failed: .*deadline of 100 ms exceeded").size(), 1u);
  EXPECT_EQ(shutdowns("b"), 1u);  // the others still get their shutdown
}

INSTANTIATE_TEST_SUITE_P(Engines, Supervision, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

TEST(RestartWindow, FirstRestartIsImmediateThenTheDelayDoublesUpToTheCap) {
  SupervisionPolicy p;
  p.max_restarts = 6;
  p.within = 10s;
  p.backoff = 10ms;
  p.backoff_max = 35ms;
  actor::RestartWindow w(p);
  std::vector<long long> delays;
  for (int i = 0; i < 6; ++i) {
    auto d = w.admit(std::chrono::milliseconds(i));
    ASSERT_TRUE(d.has_value());
    delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*d).count());
  }
  EXPECT_EQ(delays, (std::vector<long long>{0, 10, 20, 35, 35, 35}));
  EXPECT_FALSE(w.admit(6ms).has_value());  // a 7th within 10 s
}

TEST(RestartWindow, OldRestartsLeaveTheWindow) {
  SupervisionPolicy p;
  p.max_restarts = 2;
  p.within = 1s;
  p.backoff = 10ms;
  actor::RestartWindow w(p);
  EXPECT_TRUE(w.admit(0ms).has_value());
  EXPECT_TRUE(w.admit(500ms).has_value());
  EXPECT_FALSE(w.admit(900ms).has_value());
  auto d = w.admit(1600ms);  // the first two are older than 1 s
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, 0ns);
}

TEST(RestartWindow, ZeroRestartsMeansNeverRestart) {
  SupervisionPolicy p;
  p.max_restarts = 0;
  actor::RestartWindow w(p);
  EXPECT_FALSE(w.admit(0ms).has_value());
}

}  // namespace
}  // namespace wactor
