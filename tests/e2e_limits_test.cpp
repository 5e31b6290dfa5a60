// A guest can only hurt itself: deadlines, fuel, stack and memory limits, on every engine.
#include <gtest/gtest.h>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::field;

class Limits : public test::EngineRuntimeTest {
 protected:
  ComponentSpec limited(const std::string& id, ComponentLimits limits) {
    auto spec = probe(id);
    spec.limits = limits;
    return spec;
  }
};

TEST_P(Limits, InfiniteLoopIsStoppedAtItsDeadlineAndOthersKeepServing) {
  start({probe("alice"), limited("looper", {0, 100ms, 0}), probe("carol")});
  post("alice", "request looper 0 loop");
  post("alice", "request carol 0 meanwhile");
  ASSERT_TRUE(runtime->wait_idle(30s));
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=1 payload=trap: .*deadline of 100 ms exceeded").size(), 1u)
      << testing::PrintToString(collector.logs());
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:meanwhile$").size(), 1u);
  EXPECT_EQ(stats("looper").traps, 1u);
  // The looper goes on with a fresh instance.
  post("looper", "count");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^looper: count=1$").size(), 1u);
  EXPECT_FALSE(collector.events_matching("^looper: deadline: ").empty());
}

TEST_P(Limits, DeadlineFollowsTheInjectedClock) {
  auto o = options();
  o.clock = &clock;
  start({probe("alice"), limited("looper", {0, 50ms, 0})}, std::move(o));
  post("alice", "request looper 0 loop");
  ASSERT_FALSE(collector.wait_log("^looper: msg from=alice req=[0-9]+ payload=loop$").empty());
  EXPECT_FALSE(runtime->wait_idle(100ms));  // loops while the clock stands still
  clock.advance(50ms);
  ASSERT_TRUE(runtime->wait_idle(30s));
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=1 payload=trap: .*deadline of 50 ms exceeded").size(), 1u);
}

// With the system clock the deadline runs on the stopwatch (the CPU's counter where usable):
// the loop is stopped no earlier than its deadline by steady_clock (a stopwatch running fast
// fails the upper bound: its handler_time, on the same stopwatch, would exceed the span
// measured around it all). A stopwatch running slow is Stopwatch.*'s to catch.
TEST_P(Limits, WithTheSystemClockALoopRunsItsWholeDeadlineAndNoMore) {
  start({probe("alice"), limited("looper", {0, 100ms, 0})});
  ASSERT_TRUE(runtime->wait_idle(30s));  // its init call is timed too: counted out below
  const std::uint64_t before_ns = stats("looper").handler_time.sum_ns;
  const auto before = std::chrono::steady_clock::now();
  post("alice", "request looper 0 loop");
  ASSERT_FALSE(collector.wait_log("^alice: callback id=[0-9]+ status=1 payload=trap: .*deadline of 100 ms exceeded").empty());
  ASSERT_TRUE(runtime->wait_idle(30s));  // the looper's batch (which records its handler_time) has ended
  const auto around = std::chrono::steady_clock::now() - before;
  // The loop's call, and the new instance's init after the trap.
  const std::uint64_t loop_ns = stats("looper").handler_time.sum_ns - before_ns;
  EXPECT_GE(loop_ns, static_cast<std::uint64_t>(std::chrono::nanoseconds(100ms).count()));
  EXPECT_LE(static_cast<double>(loop_ns), static_cast<double>(std::chrono::nanoseconds(around).count()) * 1.001);
  EXPECT_GE(around, 100ms);
}

TEST_P(Limits, FuelBudgetIsDeterministic) {
  start({probe("alice"), limited("worker", {200000, 0ms, 0})});
  post("alice", "request worker 0 spin 10000");  // fits the budget
  post("alice", "request worker 0 spin 5000000");  // does not, on every run and engine
  ASSERT_TRUE(runtime->wait_idle(60s));
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:spin 10000$").size(), 1u);
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=1 payload=trap: .*fuel budget of 200000 exhausted").size(), 1u)
      << testing::PrintToString(collector.logs());
  // The budget is per handler call: the same work fits again.
  post("alice", "request worker 0 spin 10000");
  ASSERT_TRUE(runtime->wait_idle(60s));
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:spin 10000$").size(), 2u);
}

TEST_P(Limits, StackOverflowIsContained) {
  start({probe("alice"), probe("deep")});
  post("alice", "request deep 0 recurse");
  ASSERT_TRUE(runtime->wait_idle(60s));
  const auto cb = collector.logs_matching("^alice: callback ");
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_EQ(field(cb[0], "status"), 1) << cb[0];
  EXPECT_EQ(stats("deep").traps, 1u);
  post("deep", "count");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^deep: count=1$").size(), 1u);
}

TEST_P(Limits, MemoryGrowPastTheLimitReturnsMinusOne) {
  start({limited("m", {0, 0ms, 4 * 65536})});  // probe starts with 2 pages
  post("m", "data");
  post("m", "data");
  post("m", "grow 1");
  post("m", "grow 2");
  post("m", "grow 1");
  post("m", "report");  // what the guest kept in memory survives growing it
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(collector.logs_matching("^m: received=2$").size(), 1u);
  const auto rcs = collector.logs_matching("^m: grow rc=");
  ASSERT_EQ(rcs.size(), 3u);
  EXPECT_EQ(rcs[0], "m: grow rc=2");
  EXPECT_EQ(rcs[1], "m: grow rc=-1");
  EXPECT_EQ(rcs[2], "m: grow rc=3");
}

TEST_P(Limits, InitialMemoryOverTheLimitIsRefusedAtLoad) {
  auto o = options();
  auto rt = Runtime::create(std::move(o), {limited("big", {0, 0ms, 65536})});
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(rt.error().message.find("initial memory of 2 pages exceeds the limit of 1 pages"), std::string::npos)
      << rt.error().message;
}

// Bulk operations are charged by size: a loop of 64 MiB memory.fill (or 32 MiB memory.copy)
// asks the host for fuel often enough that its deadline stops it, on every engine.
TEST_P(Limits, BulkMemoryLoopsAreStoppedAtTheirDeadline) {
  auto bulk = [&](const std::string& id) {
    auto spec = limited(id, {0, 100ms, 0});
    spec.wasm = test::guest_bytes("bulk.wasm");
    spec.origin = test::guest_path("bulk.wasm");
    return spec;
  };
  start({bulk("filler"), bulk("copier")});
  post("filler", "fill");
  post("copier", "copy");
  ASSERT_TRUE(runtime->wait_idle(60s));
  // Without the charge each ran its 1000 operations to the end (seconds to minutes).
  EXPECT_EQ(stats("filler").traps, 1u);
  EXPECT_EQ(stats("copier").traps, 1u);
  EXPECT_FALSE(collector.events_matching("^filler: deadline: .*deadline of 100 ms exceeded").empty())
      << testing::PrintToString(collector.logs());
  EXPECT_FALSE(collector.events_matching("^copier: deadline: .*deadline of 100 ms exceeded").empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, Limits, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
