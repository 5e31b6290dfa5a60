#include "actor/stopwatch.h"

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace wactor::actor {
namespace {

#if defined(__x86_64__)
struct Pair {
  std::uint64_t ticks;
  std::int64_t ns;
};

// Wider than this (in counter ticks: ~1-4 µs at 1-4 GHz), a bracket is not used.
constexpr std::uint64_t kMaxBracket = 4000;

// A steady_clock reading and the counter at the same moment: the reading is bracketed by two
// counter reads, and the tightest bracket of a few tries is kept (a preemption in between
// would otherwise skew the rate). ticks 0: no bracket was tight enough.
Pair paired_reading() {
  Pair best{0, 0};
  std::uint64_t best_gap = kMaxBracket;
  for (int i = 0; i < 32; ++i) {
    const std::uint64_t a = __rdtsc();
    const std::int64_t ns = std::chrono::steady_clock::now().time_since_epoch().count();
    const std::uint64_t b = __rdtsc();
    if (b > a && b - a < best_gap) {
      best_gap = b - a;
      best = {a + (b - a) / 2, ns};
    }
  }
  return best;
}

bool kernel_uses_tsc() {
  std::ifstream f("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string source;
  return static_cast<bool>(f >> source) && source == "tsc";
}

// The counter runs at a constant rate, and on in deep sleep states (an invariant TSC).
bool invariant_tsc() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (!line.starts_with("flags")) continue;  // the first CPU's flags line
    std::istringstream words(line);
    bool constant = false, nonstop = false;
    for (std::string w; words >> w;) {
      constant = constant || w == "constant_tsc";
      nonstop = nonstop || w == "nonstop_tsc";
    }
    return constant && nonstop;
  }
  return false;
}

std::uint64_t calibrate() {
  if (!kernel_uses_tsc() || !invariant_tsc()) return 0;
  const Pair p0 = paired_reading();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const Pair p1 = paired_reading();
  if (p0.ticks == 0 || p1.ticks == 0) return 0;  // no tight bracket: preempted throughout
  if (p1.ticks <= p0.ticks || p1.ns <= p0.ns) return 0;
  const double ns_per_tick =
      static_cast<double>(p1.ns - p0.ns) / static_cast<double>(p1.ticks - p0.ticks);
  // 100 MHz to 20 GHz: anything else is a broken counter or a broken reading.
  if (!(ns_per_tick > 0.05 && ns_per_tick < 10.0)) return 0;
  return static_cast<std::uint64_t>(ns_per_tick * 4294967296.0);
}
#endif

}  // namespace

std::uint64_t Stopwatch::counter_scale() {
#if defined(__x86_64__)
  static const std::uint64_t scale = calibrate();
  return scale;
#else
  return 0;
#endif
}

Stopwatch::Stopwatch(const Clock& clock, bool allow_counter) : clock_(&clock) {
#if defined(__x86_64__)
  if (allow_counter) {
    mult_ = counter_scale();
    base_ = __rdtsc();
  }
#else
  (void)allow_counter;
#endif
}

}  // namespace wactor::actor
