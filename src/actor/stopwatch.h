// The clock of each guest call's deadline and handler_time: read once per call, so it is on
// the hot path of every message. With the system clock, and where the kernel itself keeps
// time with the CPU's time-stamp counter, it reads that counter (~10 ns here, against ~24 ns
// for steady_clock::now()); otherwise, and always with an injected clock (tests), it reads
// the runtime's Clock. Its time points are a type of their own: they only measure spans
// (a call's start to its deadline check, a call's length) and never mix with the Clock's.
#pragma once

#include <chrono>
#include <cstdint>

#include "wactor/clock.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace wactor::actor {

class Stopwatch {
 public:
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<Stopwatch>;
  static constexpr bool is_steady = true;

  // `allow_counter`: the runtime's clock is the system clock (an injected one is always read).
  Stopwatch(const Clock& clock, bool allow_counter);

  [[nodiscard]] time_point now() const {
#if defined(__x86_64__)
    if (mult_ != 0) {
      // Signed: a core whose counter is a little behind the one that read base_ gives 0,
      // not 2^64 ticks.
      const auto d = static_cast<std::int64_t>(__rdtsc() - base_);
      const auto ticks = static_cast<unsigned __int128>(d > 0 ? d : 0);
      return time_point(duration(static_cast<rep>((ticks * mult_) >> 32)));
    }
#endif
    return time_point(clock_->now());
  }
  // True when now() reads the time-stamp counter.
  [[nodiscard]] bool counter() const { return mult_ != 0; }

  // The process-wide calibration (once, on first use: two paired readings of the counter and
  // steady_clock 2 ms apart). Nanoseconds per tick times 2^32, or 0 when the counter is not
  // to be used (not x86-64, the kernel's clocksource is not "tsc", or an implausible rate).
  static std::uint64_t counter_scale();

 private:
  const Clock* clock_;
  std::uint64_t mult_ = 0;
  std::uint64_t base_ = 0;
};

}  // namespace wactor::actor
