// What every benchmark shares: timing, medians and percentiles, resident memory, the
// result rows, and reading the guests built into the build tree.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <malloc.h>
#include <unistd.h>

namespace wactor::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Value at quantile q (0..1) of the samples (sorted in place).
inline double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}
inline double median(std::vector<double> v) { return quantile(v, 0.5); }

// Runs `once` `reps` times and returns the median of what it returns.
inline double median_of(int reps, const std::function<double()>& once) {
  std::vector<double> v;
  for (int i = 0; i < reps; ++i) v.push_back(once());
  return median(std::move(v));
}

inline std::uint64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Bytes of heap in use (malloc'd and not freed), whatever the allocator kept from the OS.
inline std::uint64_t heap_bytes() {
  const struct mallinfo2 mi = ::mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// b - a, or 0 if it shrank.
inline double grown(std::uint64_t a, std::uint64_t b) { return b > a ? static_cast<double>(b - a) : 0.0; }

// One line of the report. `baseline` names what `ratio` compares against (empty: none).
struct Row {
  std::string scenario;
  std::string engine;  // "native" for baselines
  double value = 0;
  std::string unit;
  std::string baseline;
  double ratio = 0;  // value / baseline value; for "higher is better" units the inverse reads naturally
  std::string target;  // the goal, as text (empty: none)
  std::string note;
};

std::vector<std::uint8_t> read_guest(const std::string& name);

}  // namespace wactor::bench
