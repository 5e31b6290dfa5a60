// Scheduler::help: a batch that queued work for a runnable waiting on its own worker runs that
// runnable's batches at once, nested, on the same thread; never one queued or running
// elsewhere, never from outside a batch, never two levels deep, never on a deep stack.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "actor/scheduler.h"
#include "scheduler_support.h"

namespace wactor::actor {
namespace {

using test::Fn;

// Calls `f` below `bytes` of native stack (alloca: never moved to a sanitizer's fake stack;
// the asm keeps it from being optimized away).
[[gnu::noinline]] bool below(std::size_t bytes, const std::function<bool()>& f) {
  volatile char* pad = static_cast<volatile char*>(__builtin_alloca(bytes));
  pad[0] = 1;
  asm volatile("" : : "r"(pad) : "memory");
  return f() && pad[0] == 1;
}

// claim() and, if it took the runnable, run_claimed(): what the runtime's send does.
bool help(Scheduler& s, Runnable* r, unsigned batches, bool look_elsewhere = false) {
  if (!s.claim(r, look_elsewhere)) return false;
  s.run_claimed(r, batches);
  return true;
}

TEST(SchedulerHelp, RunsTheConsumerWaitingInTheNextSlotNestedAndPutsItBackIfWorkIsLeft) {
  Scheduler s(1);  // one worker: nobody else can take the consumer from the next slot
  s.start();
  std::atomic<std::thread::id> consumer_thread;
  std::atomic<int> consumer_batches{0}, nested_batches{0};
  std::atomic<bool> in_producer{false};
  Fn consumer([&] {
    consumer_thread = std::this_thread::get_id();
    if (in_producer.load()) nested_batches.fetch_add(1);
    return consumer_batches.fetch_add(1) + 1 < 5;
  });
  std::promise<std::pair<bool, std::thread::id>> helped;
  Fn producer([&] {
    in_producer = true;
    s.schedule(&consumer);  // into this worker's next slot
    const bool h = help(s, &consumer, 3);
    in_producer = false;
    helped.set_value({h, std::this_thread::get_id()});
    return false;
  });
  s.schedule(&producer);
  auto [h, producer_thread] = helped.get_future().get();
  EXPECT_TRUE(h);
  EXPECT_EQ(consumer_thread.load(), producer_thread);
  // Three batches ran nested; with work left it was queued again, and its last two batches
  // ran after the producer's, on their own.
  for (int i = 0; i < 2000000 && consumer_batches.load() < 5; ++i) std::this_thread::yield();
  EXPECT_EQ(consumer_batches.load(), 5);
  EXPECT_EQ(nested_batches.load(), 3);
  const auto st = s.stats();
  EXPECT_EQ(st.helps, 1u);
  EXPECT_EQ(st.help_batches, 3u);
  s.stop();
}

TEST(SchedulerHelp, NeverFromOutsideABatchNorForARunnableNotQueuedOnThisWorker) {
  Scheduler s(2);
  s.start();
  std::atomic<int> ran{0};
  Fn other([&] {
    ran.fetch_add(1);
    return false;
  });
  // From a thread that is no worker: nothing.
  EXPECT_FALSE(help(s, &other, 4));
  EXPECT_EQ(ran.load(), 0);
  // From a batch, for a runnable that is not queued at all: nothing.
  std::promise<bool> not_queued;
  Fn a([&] {
    not_queued.set_value(help(s, &other, 4));
    return false;
  });
  s.schedule(&a);
  EXPECT_FALSE(not_queued.get_future().get());
  EXPECT_EQ(ran.load(), 0);
  // A runnable of another scheduler, queued on its workers: this scheduler's batch cannot take it.
  Scheduler t(1);
  std::promise<bool> elsewhere;
  Fn b([&] {
    t.schedule(&other);  // t is not started: it stays in t's injection queue
    elsewhere.set_value(help(t, &other, 4) || help(s, &other, 4));
    return false;
  });
  s.schedule(&b);
  EXPECT_FALSE(elsewhere.get_future().get());
  EXPECT_EQ(ran.load(), 0);
  t.start();
  for (int i = 0; i < 2000000 && ran.load() == 0; ++i) std::this_thread::yield();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(s.stats().helps, 0u);
  t.stop();
  s.stop();
}

TEST(SchedulerHelp, NoHelpWithinAHelpedBatchNorOnADeepStack) {
  Scheduler s(1);
  s.start();
  std::atomic<int> inner_ran{0};
  Fn inner([&] {
    inner_ran.fetch_add(1);
    return false;
  });
  std::promise<bool> nested_help;
  Fn middle([&] {
    s.schedule(&inner);
    nested_help.set_value(help(s, &inner, 1));  // inside a helped batch: refused
    return false;
  });
  std::promise<bool> outer_help, deep_help;
  Fn deep_one([] { return false; });
  Fn outer([&] {
    s.schedule(&middle);
    outer_help.set_value(help(s, &middle, 1));
    // 512 KiB of frames below the worker loop: past what help() allows.
    s.schedule(&deep_one);
    deep_help.set_value(!below(512u << 10, [&] { return !help(s, &deep_one, 1); }));
    return false;
  });
  s.schedule(&outer);
  EXPECT_TRUE(outer_help.get_future().get());
  EXPECT_FALSE(nested_help.get_future().get());
  EXPECT_FALSE(deep_help.get_future().get());
  for (int i = 0; i < 2000000 && inner_ran.load() == 0; ++i) std::this_thread::yield();
  EXPECT_EQ(inner_ran.load(), 1);  // it ran later, on its own
  EXPECT_EQ(s.stats().helps, 1u);
  s.stop();
}

}  // namespace
}  // namespace wactor
