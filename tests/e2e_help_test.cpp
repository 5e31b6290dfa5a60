// Helping (Scheduler::help, docs/BENCHMARKS.md "Many pairs"): a handler that sends far ahead of
// a consumer waiting for its own worker runs the consumer's batches at once, nested, so the
// backlog stays small; the time it spends there is not charged to the sender's deadline, so a
// slow consumer cannot make its sender miss it.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "actor/scheduler.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

// Moves 1 ms every time it is read: every guest call, refill and batch takes clock time, the
// same on every engine and on any machine.
class TickingClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::nanoseconds now() const override {
    return std::chrono::milliseconds(ms_.fetch_add(1, std::memory_order_acq_rel));
  }

 private:
  mutable std::atomic<std::int64_t> ms_{0};
};

class Help : public test::EngineRuntimeTest {};

TEST_P(Help, ASenderRunsTheSinkWaitingForItsWorkerAndTheBacklogStaysSmall) {
  auto o = options();
  o.workers = 1;  // the sink can run only when the sender's worker runs it
  start({probe("s"), probe("k")}, std::move(o));
  post("s", "burst 5000 k data");
  ASSERT_TRUE(runtime->wait_idle(120s));
  ASSERT_EQ(collector.logs_matching("^s: burst sent=5000 refused=0$").size(), 1u);
  const auto k = stats("k");
  EXPECT_EQ(k.messages_handled, 5000u);
  // Without helping the whole burst is queued before k first runs.
  EXPECT_LE(k.mailbox_high_water, 2 * actor::Scheduler::kHelpBacklog);
  const auto sched = runtime->metrics().scheduler;
  EXPECT_GE(sched.helps, 5000u / (2 * actor::Scheduler::kHelpBacklog));
  EXPECT_GE(sched.help_batches, sched.helps);
  EXPECT_EQ(sched.throttled, 0u);
}

TEST_P(Help, TurnedOffTheWholeBurstIsQueuedFirst) {
  auto o = options();
  o.workers = 1;
  o.helping = false;  // [runtime] helping = false
  start({probe("s"), probe("k")}, std::move(o));
  post("s", "burst 2000 k data");
  ASSERT_TRUE(runtime->wait_idle(120s));
  EXPECT_EQ(stats("k").messages_handled, 2000u);
  EXPECT_EQ(stats("k").mailbox_high_water, 2000u);
  EXPECT_EQ(runtime->metrics().scheduler.helps, 0u);
}

TEST_P(Help, TheTimeASenderSpendsHelpingIsNotChargedToItsDeadline) {
  // Every clock read is 1 ms: the sink's 30000 handler calls, run nested in the sender's one
  // call, take well over 30 s of clock, while the sender's own reads (its arm, its fuel
  // refills, two per help) stay under its 500 ms. Charged with the sink's time, the sender
  // traps at its first fuel refill after a help (checked: it does without exclude()).
  TickingClock ticking;
  auto o = options();
  o.workers = 1;
  o.clock = &ticking;
  o.limits.deadline = 500ms;
  start({probe("s"), probe("k")}, std::move(o));
  post("s", "burst 30000 k data");
  ASSERT_TRUE(runtime->wait_idle(120s));
  EXPECT_EQ(collector.logs_matching("^s: burst sent=30000 refused=0$").size(), 1u);
  EXPECT_EQ(stats("s").traps, 0u);
  EXPECT_EQ(stats("k").messages_handled, 30000u);
  EXPECT_GT(runtime->metrics().scheduler.help_batches, 30000u / 64 / 2);
  runtime->stop();
  runtime.reset();  // before `ticking`
}

TEST_P(Help, ASlowSinkIsNotRunInsideItsSendersCall) {
  // A sink whose messages each burn more than a fuel slice (heavy_sink: 12,000 units) is
  // helped once, is then known as slow, and from there runs on its own: a slow consumer
  // would hold its sender's call and worker for long.
  auto o = options();
  o.workers = 1;
  start({probe("s"),
         ComponentSpec{"k", test::guest_bytes("heavy_sink.wasm"), test::guest_path("heavy_sink.wasm"), {}, 0, {},
                       Capabilities::all(), {}, {}, {}, {}}},
        std::move(o));
  post("s", "burst 800 k data");
  ASSERT_TRUE(runtime->wait_idle(120s));
  ASSERT_EQ(collector.logs_matching("^s: burst sent=800 refused=0$").size(), 1u);
  EXPECT_EQ(stats("k").messages_handled, 800u);
  const auto sched = runtime->metrics().scheduler;
  EXPECT_EQ(sched.helps, 1u);
  // And that one help stopped after k's first message (it refilled its fuel): only one of the
  // 800 was handled before the burst ended, not a batch of 64 (a sender's call waits while
  // nested handlers run, so no more after one that took long).
  EXPECT_EQ(stats("k").mailbox_high_water, 799u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Help, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
