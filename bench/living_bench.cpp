// Actors that come and go: spawn from a guest until the child is ready, spawn+stop churn,
// a million pending send-after timers, and the pause a hot upgrade causes.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "bench/runtime_harness.h"
#include "bench/scenarios.h"

namespace wactor::bench {
namespace {

ModuleSpec life_module(const std::vector<std::uint8_t>& wasm) {
  ModuleSpec m;
  m.name = "life";
  m.settings = spec("", wasm, "life.wasm");
  return m;
}

RuntimeOptions living_options(const std::string& engine, const Settings& s, Marks* marks) {
  RuntimeOptions o = options(engine, s, marks);
  o.health_interval = std::chrono::milliseconds(0);
  o.budget.max_timers = 2'000'000;
  o.host_budget.max_timers = 2'000'000;
  o.budget.max_children = 2'000'000;
  o.events = [](const RuntimeEvent& e) {
    if (e.kind != "stopped" && e.kind != "upgraded") std::fprintf(stderr, "wactor-bench: %.*s: %.*s: %.*s\n", int(e.component.size()),
                                          e.component.data(), int(e.kind.size()), e.kind.data(),
                                          int(e.detail.size()), e.detail.data());
  };
  return o;
}

}  // namespace

void living_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows) {
  const auto life = read_guest("life.wasm");
  const bool aot = engine != "interp";

  // Spawn from a guest until the child's init has run (one at a time; each stopped once up).
  if (s.wants("living")) {
    const std::size_t n = s.quick ? 2'000 : 20'000;
    std::vector<double> p50s, p99s;
    for (int r = 0; r < s.reps; ++r) {
      Marks marks;
      marks.reserve(n + 1);
      auto rt = start(living_options(engine, s, &marks), {spec("spawner", life, "life.wasm")}, {life_module(life)});
      post(*rt, "spawner", "spawnloop " + std::to_string(n) + " life");
      wait_idle(*rt);
      auto& before = marks.by_level[0];
      auto& ready = marks.by_level[1];
      if (before.size() != n || ready.size() != n) throw std::runtime_error("spawn: children missing");
      std::vector<double> d;
      for (std::size_t i = 0; i < n; ++i) d.push_back(std::chrono::duration<double, std::micro>(ready[i] - before[i]).count());
      p50s.push_back(quantile(d, 0.5));
      p99s.push_back(quantile(d, 0.99));
    }
    rows.push_back({"spawn from a guest until the child is ready, p50", engine, median(p50s), "us", "", 0,
                    aot ? "<= 5 us" : "", ""});
    rows.push_back({"spawn from a guest until the child is ready, p99", engine, median(p99s), "us", "", 0, "", ""});
  }

  // Churn: spawn "w", stop it once up, spawn it again once its $down arrived.
  if (s.wants("living")) {
    const std::size_t n = s.quick ? 2'000 : 20'000;
    const double rate = median_of(s.reps, [&] {
      auto rt = start(living_options(engine, s, nullptr), {spec("spawner", life, "life.wasm")}, {life_module(life)});
      const auto t0 = Clock::now();
      post(*rt, "spawner", "churn " + std::to_string(n) + " life");
      wait_idle(*rt);
      const double secs = seconds_since(t0);
      const auto m = rt->metrics();
      if (m.total.spawned != n) throw std::runtime_error("churn: spawns missing");
      return static_cast<double>(n) / secs;
    });
    rows.push_back({"spawn + stop churn (same id, each after the last one's $down)", engine, rate / 1e3, "k/s", "", 0,
                    "", ""});
  }

  // A million pending send-after timers: memory per timer and how late they fire.
  if (s.wants("timers")) {
    const std::size_t n = s.quick ? 100'000 : 1'000'000;
    constexpr std::int64_t kDelayMs = 3000;
    constexpr std::int64_t kSpreadMs = 2000;  // due over 2 s: firing is measured, not one sink's backlog
    Marks marks;
    marks.reserve(n);
    auto rt = start(living_options(engine, s, &marks), {spec("t", life, "life.wasm"), spec("sink", life, "life.wasm")});
    const auto heap0 = heap_bytes();
    post(*rt, "t", "timers " + std::to_string(n) + " " + std::to_string(kDelayMs) + " " + std::to_string(kSpreadMs) +
                       " sink");
    while (rt->metrics().pending_timers < n && rt->stats("t")->timers_set < n) std::this_thread::sleep_for(1ms);
    const double per_timer = grown(heap0, heap_bytes()) / static_cast<double>(n);
    wait_idle(*rt);
    auto& issued = marks.by_level[0];
    auto& fired = marks.by_level[1];
    if (issued.size() != n || fired.size() != n) throw std::runtime_error("timers: timers missing");
    std::vector<double> late;
    for (std::size_t i = 0; i < n; ++i) {
      const auto delay = kDelayMs + static_cast<std::int64_t>(i) * kSpreadMs / static_cast<std::int64_t>(n);
      late.push_back(std::chrono::duration<double, std::milli>(fired[i] - issued[i]).count() - static_cast<double>(delay));
    }
    if (std::getenv("WACTOR_BENCH_DEBUG")) {
      auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
      std::fprintf(stderr, "timers: issue span %.3f ms, fire span %.3f ms, late first %.3f last %.3f\n",
                   ms(issued.back() - issued.front()), ms(fired.back() - fired.front()), late.front(), late.back());
    }
    const std::string label = std::to_string(n / 1000) + "k pending timers";
    rows.push_back({label + ": heap per timer", engine, per_timer, "B", "", 0, "", ""});
    rows.push_back({label + ": fired late by, p50", engine, quantile(late, 0.5), "ms", "", 0, "", ""});
    rows.push_back({label + ": fired late by, p99", engine, quantile(late, 0.99), "ms", "", 0, "<= 2 ms", ""});
  }

  // The pause of a hot upgrade carrying 1 MiB of state (the module is loaded already).
  if (s.wants("living")) {
    auto rt = start(living_options(engine, s, nullptr), {spec("u", life, "life.wasm")});
    post(*rt, "u", "state " + std::to_string(1 << 20));
    wait_idle(*rt);
    std::vector<double> d;
    for (int i = 0; i < (s.quick ? 10 : 50); ++i) {
      const auto t0 = Clock::now();
      if (auto st = rt->upgrade("u", life, "life.wasm"); !st.ok()) throw std::runtime_error(st.error().to_string());
      d.push_back(seconds_since(t0) * 1e6);
    }
    if (rt->stats("u")->upgrades != d.size()) throw std::runtime_error("upgrade: upgrades missing");
    rows.push_back({"hot upgrade with 1 MiB of state, pause p50", engine, quantile(d, 0.5), "us", "", 0, "", ""});
  }
}

}  // namespace wactor::bench
