// End-to-end messaging through real wasm guests (guests/c/probe.c, guests/wat/echo.wat),
// run on every engine.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test_support.h"
#include "wactor/engine.h"
#include "wactor/runtime.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::Collector;
using test::field;

class Messaging : public test::EngineRuntimeTest {};

TEST_P(Messaging, FireAndForgetDeliversSenderAndPayload) {
  start({probe("alice"), probe("bob")});
  post("alice", "send bob hello, bob");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: send rc=0$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^bob: msg from=alice req=0 payload=hello, bob$").size(), 1u);
  EXPECT_EQ(runtime->stats("bob")->messages_handled, 1u);
}

// The graph's edges count every message: a component's own (one writer, its handlers) and
// the host's, posted from many threads at once (counted under a lock: Edges::count is a
// load and a store, for one writer at a time).
TEST_P(Messaging, EdgesCountEverySendAndEveryPostFromManyThreads) {
  start({probe("alice"), probe("bob")});
  constexpr int kThreads = 4, kPosts = 300;
  {
    std::vector<std::jthread> posters;
    for (int t = 0; t < kThreads; ++t) {
      posters.emplace_back([&] {
        for (int i = 0; i < kPosts; ++i) ASSERT_EQ(runtime->post("bob", "x"), 0);
      });
    }
  }
  post("alice", "send bob one");
  post("alice", "send bob two");
  ASSERT_TRUE(runtime->wait_idle(30s));
  std::uint64_t from_host = 0, from_alice = 0;
  for (const auto& e : runtime->edges()) {
    if (e.to != "bob") continue;
    if (e.from == "$host") from_host += e.messages;
    if (e.from == "alice") from_alice += e.messages;
  }
  EXPECT_EQ(from_host, static_cast<std::uint64_t>(kThreads * kPosts));
  EXPECT_EQ(from_alice, 2u);
}

TEST_P(Messaging, RequestResponseCallbackGetsSameIdAndPayload) {
  start({probe("alice"), probe("bob")});
  post("alice", "request bob 0 what time is it");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto req = collector.logs_matching("^alice: request id=");
  ASSERT_EQ(req.size(), 1u);
  const long long id = field(req[0], "id");
  ASSERT_GT(id, 0);
  EXPECT_EQ(collector.logs_matching("^bob: msg from=alice req=" + std::to_string(id) + " payload=what time is it$").size(), 1u);
  const auto cb = collector.logs_matching("^alice: callback ");
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_EQ(cb[0], "alice: callback id=" + std::to_string(id) + " status=0 payload=echo:what time is it");
  EXPECT_EQ(runtime->pending_requests(), 0u);
}

TEST_P(Messaging, ComponentsOnEveryEngineTalkInOneRuntime) {
  // The runtime's engine is the parameter; one more component per engine names its own.
  std::vector<ComponentSpec> specs{probe("alice")};
  for (const auto& e : test::engine_params()) {
    auto spec = probe("bob-" + e);
    spec.engine = e;
    specs.push_back(std::move(spec));
  }
  start(std::move(specs));
  for (const auto& e : test::engine_params()) post("alice", "request bob-" + e + " 0 hello " + e);
  ASSERT_TRUE(runtime->wait_idle(10s));
  for (const auto& e : test::engine_params()) {
    EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:hello " + e + "$").size(), 1u)
        << e;
  }
  auto bad = probe("carol");
  bad.engine = "jit";
  auto rt = Runtime::create(options(), {std::move(bad)});
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.error().message.rfind("component 'carol': unknown engine 'jit'", 0), 0u) << rt.error().message;
}

TEST_P(Messaging, WatGuestAnswersRequests) {
  auto echo = ComponentSpec{"echo", test::guest_bytes("echo.wasm"), test::guest_path("echo.wasm"), "", 0, {}, {}, {}, {}, {}, {}};
  start({probe("alice"), std::move(echo)});
  post("alice", "request echo 0 from wat");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^echo: from wat$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=from wat$").size(), 1u);
}

TEST_P(Messaging, DeferredResponseAfterHandlerReturned) {
  start({probe("alice"), probe("bob")});
  post("alice", "request bob 0 defer");
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=[0-9]+ payload=defer$").empty());
  const long long id = field(collector.wait_log("^alice: request id="), "id");
  ASSERT_GT(id, 0);
  // The handler has returned; the request stays open and the runtime is not idle.
  EXPECT_FALSE(runtime->wait_idle(100ms));
  EXPECT_EQ(runtime->pending_requests(), 1u);
  EXPECT_TRUE(collector.logs_matching("^alice: callback").empty());
  post("bob", "flush answered later");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^bob: flush id=" + std::to_string(id) + " rc=0$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: callback ").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: callback id=" + std::to_string(id) + " status=0 payload=answered later$").size(), 1u);
}

TEST_P(Messaging, HandlerErrorProducesErrorCallback) {
  start({probe("alice"), probe("bob")});
  post("alice", "request bob 0 fail");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto cb = collector.logs_matching("^alice: callback ");
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_EQ(field(cb[0], "status"), 1);
  EXPECT_NE(cb[0].find("handle-message returned 7"), std::string::npos) << cb[0];
  EXPECT_EQ(runtime->stats("bob")->handler_errors, 1u);
}

TEST_P(Messaging, UnknownTargetIsRefusedAtOnce) {
  start({probe("alice")});
  post("alice", "send nobody hi");
  post("alice", "request nobody 0 hi");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: send rc=-1$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: request id=-1$").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("^alice: callback").empty());
  EXPECT_EQ(runtime->post("nobody", "x"), -1);
}

TEST_P(Messaging, ThirdComponentReceivesNothing) {
  start({probe("alice"), probe("bob"), probe("carol")});
  post("alice", "send bob private");
  post("alice", "request bob 0 secret");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^bob: msg ").size(), 2u);
  EXPECT_TRUE(collector.logs_matching("^carol: (msg|callback)").empty());
  EXPECT_EQ(runtime->stats("carol")->messages_handled, 0u);
  EXPECT_EQ(runtime->stats("carol")->callbacks_handled, 0u);
}

TEST_P(Messaging, StatePersistsAcrossMessages) {
  start({probe("bob")});
  for (int i = 0; i < 3; ++i) post("bob", "count");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto counts = collector.logs_matching("^bob: count=");
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0], "bob: count=1");
  EXPECT_EQ(counts[1], "bob: count=2");
  EXPECT_EQ(counts[2], "bob: count=3");
}

TEST_P(Messaging, InitRunsBeforeAnyMessageWithItsConfig) {
  start({probe("bob", "hello config")});
  post("bob", "count");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto logs = collector.logs();
  ASSERT_GE(logs.size(), 3u);
  EXPECT_EQ(logs[0], "bob: init config=hello config");
}

TEST_P(Messaging, TrapFailsTheRequestAndOthersKeepServing) {
  start({probe("alice"), probe("bob"), probe("carol")});
  post("bob", "count");  // state of the old instance
  post("bob", "defer");  // plain message: nothing to defer
  post("alice", "request bob 0 defer");  // received and left unanswered by the old instance
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=[0-9]+ payload=defer$").empty());
  post("alice", "request bob 0 trap");
  post("alice", "request carol 0 still there");
  ASSERT_TRUE(runtime->wait_idle(10s));
  const auto cbs = collector.logs_matching("^alice: callback ");
  ASSERT_EQ(cbs.size(), 3u);
  // The trapping request gets an error reply; the deferred one ends with target down (4);
  // carol answers normally.
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=1 payload=trap: .*unreachable").size(), 1u)
      << testing::PrintToString(cbs);
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=4 payload=$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:still there$").size(), 1u);
  EXPECT_FALSE(collector.events_matching("^bob: trap: ").empty());
  EXPECT_FALSE(collector.events_matching("^bob: restarted: ").empty());
  // bob goes on with a fresh instance (init ran again, state is new).
  post("bob", "count");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^bob: count=1$").size(), 2u);
  EXPECT_EQ(collector.logs_matching("^bob: init config=$").size(), 2u);
  EXPECT_EQ(runtime->stats("bob")->traps, 1u);
  EXPECT_EQ(runtime->pending_requests(), 0u);
}

TEST_P(Messaging, BadGuestPointersGetInvalidArgument) {
  start({probe("alice")});
  post("alice", "badptr");
  post("alice", "count");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: badptr -4 -4 -4 -4 -4 -4$").size(), 1u)
      << testing::PrintToString(collector.logs());
  EXPECT_EQ(collector.events_matching("^alice: bad-log-call: ").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: count=2$").size(), 1u);  // no trap, same instance
}

TEST_P(Messaging, SelfIdReportsFullLengthAndTruncates) {
  start({probe("component-seven")});
  post("component-seven", "whoami");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^component-seven: self=component-seven len=15 prefix=comp$").size(), 1u);
}

TEST_P(Messaging, PayloadLargerThanLimitIsRefused) {
  auto o = options();
  o.max_payload_bytes = 32;
  // The config is not a message, so alice's init can try a 33-byte payload.
  start({probe("alice", "run:send bob " + std::string(33, 'x')), probe("bob")}, std::move(o));
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: send rc=-5$").size(), 1u);
  EXPECT_TRUE(collector.logs_matching("^bob: msg").empty());
  EXPECT_EQ(runtime->post("bob", std::string(33, 'y')), -5);
  EXPECT_EQ(runtime->post("bob", std::string(32, 'y')), 0);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^bob: msg from=\\$host req=0 payload=y{32}$").size(), 1u);
}

TEST_P(Messaging, FullMailboxRefusesWithQueueFull) {
  // alice's init fills bob's mailbox (capacity 5) before any worker runs.
  start({probe("alice", "run:burst 8 bob data"), probe("bob", "", 5)});
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: burst sent=5 refused=3$").size(), 1u)
      << testing::PrintToString(collector.logs());
  post("bob", "report");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^bob: received=5$").size(), 1u);
  EXPECT_EQ(runtime->stats("bob")->shed_queue_full, 3u);
  EXPECT_EQ(runtime->stats("bob")->mailbox_high_water, 5u);
}

TEST_P(Messaging, ConcurrentMessagingExactCounts) {
  constexpr int kComponents = 8;
  constexpr int kPerTarget = 150;
  std::vector<ComponentSpec> specs;
  for (int i = 0; i < kComponents; ++i) specs.push_back(probe("c" + std::to_string(i)));
  start(std::move(specs));
  for (int i = 0; i < kComponents; ++i) {
    for (int j = 0; j < kComponents; ++j) {
      if (i != j) post("c" + std::to_string(i), "burst " + std::to_string(kPerTarget) + " c" + std::to_string(j) + " data");
    }
    for (int k = 0; k < 20; ++k) {
      post("c" + std::to_string(i), "request c" + std::to_string((i + 1) % kComponents) + " 0 q" + std::to_string(k));
    }
  }
  ASSERT_TRUE(runtime->wait_idle(60s));
  for (int i = 0; i < kComponents; ++i) post("c" + std::to_string(i), "report");
  ASSERT_TRUE(runtime->wait_idle(10s));
  for (int i = 0; i < kComponents; ++i) {
    const std::string id = "c" + std::to_string(i);
    EXPECT_EQ(collector.logs_matching("^" + id + ": received=" + std::to_string((kComponents - 1) * kPerTarget) + "$").size(), 1u)
        << id;
    EXPECT_EQ(collector.logs_matching("^" + id + ": callback id=[0-9]+ status=0 payload=echo:q[0-9]+$").size(), 20u) << id;
    // bursts + requests received + report + the host's commands
    auto s = runtime->stats(id);
    EXPECT_EQ(s->messages_handled,
              static_cast<std::uint64_t>((kComponents - 1) * kPerTarget + 20 + (kComponents - 1) + 20 + 1));
    EXPECT_EQ(s->callbacks_handled, 20u);
  }
  EXPECT_EQ(runtime->pending_requests(), 0u);
}

TEST_P(Messaging, RequestTimesOutOnTheInjectedClock) {
  auto o = options();
  o.clock = &clock;
  start({probe("alice"), probe("bob")}, std::move(o));
  post("alice", "request bob 50 defer");
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice req=[0-9]+ payload=defer$").empty());
  const long long id = field(collector.wait_log("^alice: request id="), "id");
  clock.advance(49ms);
  runtime->expire_timers();
  EXPECT_FALSE(runtime->wait_idle(50ms));
  EXPECT_TRUE(collector.logs_matching("^alice: callback").empty());
  clock.advance(1ms);
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: callback id=" + std::to_string(id) + " status=2 payload=$").size(), 1u);
  // The late reply is refused and never delivered.
  post("bob", "flush too late");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^bob: flush id=" + std::to_string(id) + " rc=-1$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: callback ").size(), 1u);
}

TEST_P(Messaging, DefaultTimeoutAppliesWhenZeroIsGiven) {
  auto o = options();
  o.clock = &clock;
  o.default_timeout = 200ms;
  start({probe("alice"), probe("bob")}, std::move(o));
  post("alice", "request bob 0 defer");
  ASSERT_FALSE(collector.wait_log("^bob: msg from=alice").empty());
  clock.advance(199ms);
  runtime->expire_timers();
  EXPECT_FALSE(runtime->wait_idle(20ms));
  clock.advance(1ms);
  runtime->expire_timers();
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=2").size(), 1u);
}

TEST_P(Messaging, SystemClockTimerFiresTimeouts) {
  start({probe("alice"), probe("bob")});  // real clock and timer thread
  post("alice", "request bob 30 defer");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=2").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Messaging, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
