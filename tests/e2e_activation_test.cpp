// On-demand activation (virtual actors) through real wasm guests on every engine: a
// message to an id a module activates makes the component, an idle one passivates with
// its snapshot kept, and the next message brings it back with its state. The clock is a
// ManualClock: passivation happens only when the test moves it.
#include <gtest/gtest.h>

#include "spawn_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

class Activation : public test::SpawnRuntimeTest {
 protected:
  ModuleSpec sessions(std::chrono::milliseconds passivate_after = 0ms) {
    ModuleSpec m = module("sess", "session-config");
    m.activate = "sess.*";
    m.passivate_after = passivate_after;
    return m;
  }
  RuntimeOptions manual() {
    auto o = options();
    o.clock = &clock;
    return o;
  }
  // Moves the clock and fires what is due.
  void advance(std::chrono::milliseconds d) {
    clock.advance(d);
    runtime->expire_timers();
  }
  bool live(const std::string& id) {
    for (const auto& c : runtime->component_ids()) {
      if (c == id) return true;
    }
    return false;
  }
};

TEST_P(Activation, AMessageToAMatchingIdMakesTheComponent) {
  run({probe("p")}, {sessions()});
  EXPECT_FALSE(live("sess.42"));
  ASSERT_EQ(runtime->post("sess.42", "whoami"), 0);
  ASSERT_FALSE(collector.wait_log("^sess.42: self=sess.42 len=7 ").empty());
  const auto lines = collector.logs_matching("^sess\\.42: ");
  EXPECT_EQ(lines[0], "sess.42: init config=session-config");  // the module's config
  EXPECT_TRUE(live("sess.42"));
  // From a guest, by send and by request.
  EXPECT_EQ(call("p", "send sess.7 count", "send rc"), 0);
  ASSERT_FALSE(collector.wait_log("^sess\\.7: count=1$").empty());
  const long long id = request_id_after("p", "request sess.9 0 hello", 0);
  ASSERT_FALSE(collector.wait_log("^p: callback id=" + std::to_string(id) + " status=0 payload=echo:hello$").empty());
  // Ids it does not match are unknown as before.
  EXPECT_EQ(runtime->post("sess", "count"), -1);
  EXPECT_EQ(runtime->post("sess.1.2", "count"), -1);
  EXPECT_EQ(runtime->post("other.1", "count"), -1);
  EXPECT_EQ(call("p", "send other.1 count", "send rc"), -1);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(runtime->metrics().live_components, 4u);
  // Once live, messages go to the same instance.
  EXPECT_EQ(call("sess.42", "count", "count"), 2);
  EXPECT_EQ(collector.logs_matching("^sess\\.42: init ").size(), 1u);
}

TEST_P(Activation, AnActivatedComponentIsOwnedByTheHost) {
  run({probe("p")}, {sessions()});
  ASSERT_EQ(runtime->post("sess.1", "count"), 0);
  ASSERT_FALSE(collector.wait_log("^sess\\.1: count=1$").empty());
  EXPECT_EQ(call("p", "stop sess.1", "stop rc"), -2);
  EXPECT_EQ(call("p", "monitor sess.1", "monitor rc"), 0);
  ASSERT_TRUE(runtime->stop_component("sess.1").ok());
  ASSERT_EQ(wait_downs("p", "sess.1", "stopped").size(), 1u);
  ASSERT_TRUE(runtime->wait_idle(10s));
  // Its id matches still: the next message makes it anew (no passivation: no state kept).
  ASSERT_EQ(runtime->post("sess.1", "count"), 0);
  ASSERT_EQ(collector.wait_logs_more_than("^sess\\.1: count=1$", 1).size(), 2u);
  EXPECT_EQ(collector.logs_matching("^sess\\.1: init ").size(), 2u);
  EXPECT_TRUE(collector.logs_matching("^sess\\.1: restored").empty());
}

TEST_P(Activation, AnIdleComponentPassivatesAndComesBackWithItsState) {
  run({probe("w")}, {sessions(100ms)}, manual());
  ASSERT_EQ(runtime->post("sess.1", "data"), 0);
  ASSERT_EQ(runtime->post("sess.1", "data"), 0);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(call("w", "monitor sess.1", "monitor rc"), 0);
  advance(99ms);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_TRUE(live("sess.1"));  // not idle long enough
  advance(1ms);
  ASSERT_FALSE(collector.wait_event("^sess\\.1: passivated: ").empty());
  ASSERT_EQ(wait_downs("w", "sess.1", "stopped").size(), 1u);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_FALSE(live("sess.1"));
  EXPECT_EQ(runtime->metrics().live_components, 1u);
  // No shutdown call: the snapshot is the hand-over (docs/MANIFEST.md).
  EXPECT_TRUE(collector.logs_matching("^sess\\.1: shutdown").empty());
  // The next message activates it again, restoring the snapshot ("seen=2 received=2").
  EXPECT_EQ(call("sess.1", "report", "received"), 2);
  const auto lines = collector.logs_matching("^sess\\.1: ");
  const auto second_init = std::find(lines.begin() + 1, lines.end(), "sess.1: init config=session-config");
  ASSERT_NE(second_init, lines.end());
  ASSERT_LT(second_init + 1, lines.end());
  EXPECT_EQ(*(second_init + 1), "sess.1: restored seen=2 received=2");
  EXPECT_EQ(call("sess.1", "count", "count"), 4);
  EXPECT_EQ(collector.logs_matching("^sess\\.1: restored ").size(), 1u);
}

TEST_P(Activation, ActivityPostponesPassivation) {
  auto o = manual();
  o.health_interval = 0ms;  // no polls racing the idle checks
  run({probe("w")}, {sessions(100ms)}, o);
  ASSERT_EQ(runtime->post("sess.1", "data"), 0);
  ASSERT_TRUE(runtime->wait_idle(10s));
  for (int i = 0; i < 5; ++i) {  // a message every 60 ms: never idle for 100 ms
    advance(60ms);
    ASSERT_EQ(runtime->post("sess.1", "data"), 0);
    ASSERT_TRUE(runtime->wait_idle(10s));
  }
  EXPECT_TRUE(live("sess.1"));
  EXPECT_TRUE(collector.events_matching("passivated").empty());
  advance(1000ms);
  ASSERT_FALSE(collector.wait_event("^sess\\.1: passivated: ").empty());
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_FALSE(live("sess.1"));
}

// Regression: the host's own health polls made a component look busy, so one exporting
// `health` polled more often than passivate_after never passivated.
TEST_P(Activation, HealthPollsAreNotActivity) {
  auto o = manual();
  o.health_interval = 30ms;  // polls at 30, 60, 90, 120...; the idle check at 100
  run({probe("w")}, {sessions(100ms)}, o);
  ASSERT_EQ(runtime->post("sess.1", "data"), 0);
  ASSERT_TRUE(runtime->wait_idle(10s));
  for (int i = 0; i < 60 && live("sess.1"); ++i) {
    advance(10ms);
    ASSERT_TRUE(runtime->wait_idle(10s));
  }
  EXPECT_FALSE(live("sess.1"));
  EXPECT_GE(stats("sess.1").health_checks, 1u);
  EXPECT_EQ(collector.events_matching("^sess\\.1: passivated: idle for 100 ms$").size(), 1u);
}

// A message arriving while the component passivates is never lost: either the old instance
// handles it (and stays), or it activates a new one that carries the state on.
TEST_P(Activation, AMessageRacingPassivationIsNeverLost) {
  run({probe("w")}, {sessions(100ms)}, manual());
  int accepted = 0;
  for (int i = 0; i < 200; ++i) {
    if (runtime->post("sess.1", "data") == 0) ++accepted;
    ASSERT_TRUE(runtime->wait_idle(10s));
    advance(200ms);  // queues the passivation...
    if (i % 4 == 0) ASSERT_TRUE(runtime->wait_idle(10s));  // (now and then: passivated for sure)
    if (runtime->post("sess.1", "data") == 0) ++accepted;  // ...and this races it
    ASSERT_TRUE(runtime->wait_idle(10s));
  }
  EXPECT_EQ(accepted, 400);
  EXPECT_EQ(call("sess.1", "report", "received"), accepted);
  EXPECT_TRUE(collector.events_matching("dropped").empty());
  EXPECT_GE(collector.events_matching("^sess\\.1: passivated: ").size(), 50u);
}

// A request racing passivation is answered by whichever instance gets it: one that was
// activated for it answers as its target.
TEST_P(Activation, ARequestRacingPassivationIsAnswered) {
  run({probe("w")}, {sessions(100ms)}, manual());
  ASSERT_EQ(runtime->post("sess.1", "data"), 0);
  constexpr int kRounds = 100;  // 100 x 200 ms: within the default 30 s request timeout
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(runtime->wait_idle(10s));
    advance(200ms);
    if (i % 4 == 0) ASSERT_TRUE(runtime->wait_idle(10s));
    post("w", "request sess.1 0 data");
  }
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^w: request id=[1-9]").size(), static_cast<std::size_t>(kRounds));
  EXPECT_EQ(collector.logs_matching("^w: callback id=[0-9]+ status=0 payload=echo:data$").size(),
            static_cast<std::size_t>(kRounds));
  EXPECT_EQ(call("sess.1", "report", "received"), kRounds + 1);
  EXPECT_TRUE(collector.events_matching("dropped|denied|orphaned").empty());
  EXPECT_GE(collector.events_matching("^sess\\.1: passivated: ").size(), 25u);
}

TEST_P(Activation, ASpawnOfAnActivatableIdIsAnOrdinarySpawn) {
  run({probe("p")}, {sessions(), module("probe")});
  EXPECT_EQ(call("p", "spawn sess sess.5 own", "spawn rc"), 0);
  EXPECT_EQ(call("p", "send sess.5 count", "send rc"), 0);
  ASSERT_FALSE(collector.wait_log("^sess\\.5: count=1$").empty());
  EXPECT_EQ(collector.logs_matching("^sess\\.5: ")[0], "sess.5: init config=own");
  EXPECT_EQ(call("p", "stop sess.5", "stop rc"), 0);  // p owns it
  ASSERT_EQ(wait_downs("p", "sess.5", "stopped").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Activation, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
