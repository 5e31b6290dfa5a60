// Helping (Scheduler::claim and run_claimed): a batch that queued work for a runnable waiting
// on its own worker runs that runnable's batches at once, nested, on the same thread; one
// queued on another worker only when asked to look there; never one running elsewhere, never
// from outside a batch, never two levels deep, never on a deep stack.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "actor/scheduler.h"
#include "scheduler_support.h"

namespace wactor::actor {
namespace {

using test::Counted;
using test::eventually;
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

// One help of at most 3 batches: how many ran nested (the rest ran later, on their own).
// Fewer than 3 only if the help ran past kHelpMaxTime (200 µs): a thread preempted on a loaded
// machine, so the test below tries a few times.
int nested_help_once() {
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
  // With work left it was queued again, and its other batches ran after the producer's.
  EXPECT_TRUE(eventually([&] { return consumer_batches.load() == 5; }));
  const int nested = nested_batches.load();
  EXPECT_GE(nested, 1);
  EXPECT_LE(nested, 3);
  const auto st = s.stats();
  EXPECT_EQ(st.helps, 1u);
  EXPECT_EQ(st.help_batches, static_cast<std::uint64_t>(nested));
  s.stop();
  return nested;
}

TEST(SchedulerHelp, RunsTheConsumerWaitingInTheNextSlotNestedAndPutsItBackIfWorkIsLeft) {
  int nested = 0;
  for (int attempt = 0; attempt < 20 && nested != 3 && !HasFailure(); ++attempt) nested = nested_help_once();
  EXPECT_EQ(nested, 3);  // three batches ran nested, as asked
}

TEST(SchedulerHelp, NeverFromOutsideABatchNorForARunnableNotQueuedOnThisWorker) {
  Scheduler s(2);
  s.start();
  std::atomic<int> ran{0};
  Counted other(1, &ran);
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
  EXPECT_TRUE(eventually([&] { return ran.load() == 1; }));
  EXPECT_EQ(s.stats().helps, 0u);
  t.stop();
  s.stop();
}

TEST(SchedulerHelp, NoHelpWithinAHelpedBatchNorOnADeepStack) {
  Scheduler s(1);
  s.start();
  std::atomic<int> inner_ran{0};
  Counted inner(1, &inner_ran);
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
  EXPECT_TRUE(eventually([&] { return inner_ran.load() == 1; }));  // it ran later, on its own
  EXPECT_EQ(s.stats().helps, 1u);
  s.stop();
}

TEST(SchedulerHelp, TakesAConsumerQueuedBehindAnotherWorkersLongBatchOnlyWhenAsked) {
  Scheduler s(2);
  s.start();
  std::atomic<bool> z_running{false}, c_queued{false}, done{false};
  std::atomic<std::thread::id> c_thread;
  std::atomic<int> c_runs{0};
  Fn c([&] {
    c_thread = std::this_thread::get_id();
    c_runs.fetch_add(1);
    return false;
  });
  Fn d([] { return false; });
  // x: once z runs on the other worker, queues c behind its own next runnable d, then holds
  // its worker until z is done. (Queued before z runs, c could be stolen by the other worker
  // while it still looks for work: it then runs c itself, and z finds nothing to help.)
  Fn x([&] {
    while (!z_running.load()) std::this_thread::yield();
    s.schedule(&c);
    s.schedule(&d);  // d takes the next slot, c goes to the run queue
    c_queued = true;
    while (!done.load()) std::this_thread::yield();
    return false;
  });
  // z: on the other worker (both workers are busy, so nobody steals c meanwhile).
  std::promise<std::pair<bool, bool>> results;
  std::promise<std::thread::id> z_thread;
  Fn z([&] {
    z_running = true;
    while (!c_queued.load()) std::this_thread::yield();
    const bool own_only = help(s, &c, 1, false);
    const bool elsewhere = help(s, &c, 1, true);
    z_thread.set_value(std::this_thread::get_id());
    results.set_value({own_only, elsewhere});
    done = true;
    return false;
  });
  s.schedule(&x);
  s.schedule(&z);
  const auto [own_only, elsewhere] = results.get_future().get();
  EXPECT_FALSE(own_only);
  EXPECT_TRUE(elsewhere);
  EXPECT_EQ(c_thread.load(), z_thread.get_future().get());
  s.stop();
  EXPECT_EQ(c_runs.load(), 1);
  EXPECT_EQ(s.stats().helps, 1u);
}

}  // namespace
}  // namespace wactor::actor
