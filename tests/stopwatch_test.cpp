// The stopwatch of guest calls' deadlines and handler_time (src/actor/stopwatch.h): the CPU's
// counter with the system clock where the kernel keeps time with it, the injected clock
// otherwise. Its spans must agree with steady_clock's: a deadline that came early would stop a
// guest before its time, one that came late would let it run longer.
#include "actor/stopwatch.h"

#include <gtest/gtest.h>

#include <thread>

namespace wactor::actor {
namespace {

using namespace std::chrono_literals;

TEST(Stopwatch, AnInjectedClockIsReadAsItIs) {
  ManualClock clock;
  const Stopwatch sw(clock, false);
  EXPECT_FALSE(sw.counter());
  const auto a = sw.now();
  EXPECT_EQ(sw.now(), a);  // the clock stands still: so does the stopwatch
  clock.advance(5ms);
  EXPECT_EQ(sw.now() - a, 5ms);
}

// Spans measured by the stopwatch and by steady_clock, one nested in the other both ways:
// whatever the scheduler does between the readings, the inner span can only be shorter, so
// each bound holds unless the stopwatch runs at a wrong rate (by more than 0.1 %).
TEST(Stopwatch, WithTheSystemClockItsSpansAgreeWithSteadyClock) {
  SystemClock clock;
  const Stopwatch sw(clock, true);
  std::printf("stopwatch: %s\n", sw.counter() ? "time-stamp counter" : "the system clock (no usable counter)");
  using steady = std::chrono::steady_clock;
  for (int i = 0; i < 3; ++i) {
    // The stopwatch's span inside steady_clock's: not longer.
    const auto s1 = steady::now();
    const auto w1 = sw.now();
    std::this_thread::sleep_for(20ms);
    const auto w2 = sw.now();
    const auto s2 = steady::now();
    EXPECT_LE((w2 - w1).count(), static_cast<double>((s2 - s1).count()) * 1.001 + 1000.0);
    EXPECT_GE(w2 - w1, 19ms);  // sleep_for slept at least 20 ms
    // steady_clock's span inside the stopwatch's: not shorter.
    const auto v1 = sw.now();
    const auto t1 = steady::now();
    std::this_thread::sleep_for(20ms);
    const auto t2 = steady::now();
    const auto v2 = sw.now();
    EXPECT_GE((v2 - v1).count(), static_cast<double>((t2 - t1).count()) * 0.999 - 1000.0);
  }
}

TEST(Stopwatch, ItNeverGoesBackOnOneThread) {
  SystemClock clock;
  const Stopwatch sw(clock, true);
  auto last = sw.now();
  for (int i = 0; i < 1'000'000; ++i) {
    const auto t = sw.now();
    ASSERT_GE(t, last);
    last = t;
  }
}

}  // namespace
}  // namespace wactor::actor
