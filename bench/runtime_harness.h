// What the runtime-level benchmarks share: options with large (still checked) budgets,
// specs, starting a runtime, and the timestamps of guest log lines.
#pragma once

#include <chrono>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/measure.h"
#include "bench/scenarios.h"
#include "wactor/runtime.h"

namespace wactor::bench {

using namespace std::chrono_literals;

// Timestamps of guest log lines, by level (the bench guest logs empty lines as markers).
struct Marks {
  std::mutex mu;
  std::vector<Clock::time_point> by_level[5];
  void reserve(std::size_t n) {
    for (auto& v : by_level) v.reserve(n);
  }
};

inline RuntimeOptions options(const std::string& engine, const Settings& s, Marks* marks = nullptr) {
  RuntimeOptions o;
  o.engine = engine;
  o.workers = s.workers;
  o.mailbox_capacity = 2'000'000;
  o.limits.deadline = std::chrono::milliseconds(120'000);
  // A sender blasts faster than its receiver drains: budgets large enough for every scenario,
  // and still checked on every message (never 0, which would skip the checks).
  o.budget.max_mailbox_bytes = 1ull << 40;
  o.budget.max_pending_requests = std::numeric_limits<std::uint32_t>::max();
  o.host_budget.max_mailbox_bytes = 1ull << 40;
  o.host_budget.max_pending_requests = 1ull << 40;
  o.log = [marks](std::string_view, std::int32_t level, std::string_view) {
    if (marks == nullptr || level < 0 || level > 4) return;
    const auto now = Clock::now();
    std::lock_guard lock(marks->mu);
    marks->by_level[level].push_back(now);
  };
  return o;
}

inline ComponentSpec spec(const std::string& id, const std::vector<std::uint8_t>& wasm, const std::string& file) {
  return ComponentSpec{id, wasm, file, "", 0, {}, Capabilities::all(), std::chrono::milliseconds(0), {}, {}, {}};
}

inline std::unique_ptr<Runtime> start(RuntimeOptions o, std::vector<ComponentSpec> specs,
                                      std::vector<ModuleSpec> modules) {
  auto rt = Runtime::create(std::move(o), std::move(specs), {}, std::move(modules));
  if (!rt.ok()) throw std::runtime_error(rt.error().to_string());
  auto st = (*rt)->start();
  if (!st.ok()) throw std::runtime_error(st.error().to_string());
  return std::move(rt).value();
}

inline std::unique_ptr<Runtime> start(RuntimeOptions o, std::vector<ComponentSpec> specs) {
  return start(std::move(o), std::move(specs), {});
}

inline void post(Runtime& rt, const std::string& to, const std::string& payload) {
  if (rt.post(to, payload) != 0) throw std::runtime_error("post to " + to + " refused");
}

inline void wait_idle(Runtime& rt) {
  if (!rt.wait_idle(600s)) throw std::runtime_error("runtime not idle after 600 s");
}

}  // namespace wactor::bench
