// Runtime-level figures through real wasm components: fire-and-forget throughput, request
// round trips, spawn time and memory per idle component, 100k pending requests.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "bench/runtime_harness.h"
#include "bench/scenarios.h"
#include "wactor/runtime.h"

namespace wactor::bench {
namespace {

using namespace std::chrono_literals;

// `pairs` senders each send `n` messages of `size` bytes to their own sink; messages per second.
// chunk > 0: each sender sends them in handlers of `chunk` sends (bench.c's blastc), so that
// the sinks on its worker run in between.
double throughput(const std::string& engine, const Settings& s, const std::vector<std::uint8_t>& wasm,
                  std::size_t pairs, std::size_t n, std::size_t size, std::size_t chunk = 0) {
  std::vector<ComponentSpec> specs;
  for (std::size_t i = 0; i < pairs; ++i) {
    specs.push_back(spec("s" + std::to_string(i), wasm, "bench.wasm"));
    specs.push_back(spec("k" + std::to_string(i), wasm, "bench.wasm"));
  }
  auto rt = start(options(engine, s), std::move(specs));
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < pairs; ++i) {
    const std::string k = " k" + std::to_string(i);
    post(*rt, "s" + std::to_string(i),
         chunk == 0 ? "blast " + std::to_string(n) + " " + std::to_string(size) + k
                    : "blastc " + std::to_string(n) + " " + std::to_string(size) + k + " " + std::to_string(chunk));
  }
  wait_idle(*rt);
  const double secs = seconds_since(t0);
  const auto m = rt->metrics();
  const std::size_t continuations = chunk == 0 ? 0 : (n + chunk - 1) / chunk - 1;  // "more" to itself
  if (m.total.messages_handled != pairs * (n + 1 + continuations) || m.total.handler_errors != 0) {
    throw std::runtime_error("throughput: messages lost or refused");
  }
  if (std::getenv("WACTOR_BENCH_DEBUG")) {
    for (const auto& [id, c] : m.components) {
      std::fprintf(stderr, "throughput %zu B: %s handler %.1f ms, high water %zu\n", size, id.c_str(),
                   static_cast<double>(c.handler_ns) / 1e6, static_cast<std::size_t>(c.mailbox_high_water));
    }
    std::fprintf(stderr, "throughput %zu B: %.1f ms in all\n", size, secs * 1e3);
    // One line, `name value` pairs, for bench/collapse.sh.
    std::fprintf(stderr, "throughput %zu B: scheduler", size);
#define WACTOR_FIELD(name, doc) std::fprintf(stderr, " " #name " %llu", static_cast<unsigned long long>(m.scheduler.name));
    WACTOR_SCHEDULER_COUNTERS(WACTOR_FIELD)
#undef WACTOR_FIELD
    std::fprintf(stderr, "\n");
  }
  return static_cast<double>(pairs * n) / secs;
}

}  // namespace

void runtime_benchmarks(const std::string& engine, const Settings& s, const Baselines& b, std::vector<Row>& rows) {
  const auto bench = read_guest("bench.wasm");
  const auto idle = read_guest("idle.wasm");
  const bool aot = engine != "interp";

  // Fire-and-forget throughput, one pair, by payload size.
  for (std::size_t size : {16u, 1024u, 65536u}) {
    const bool alone = (size == 16 && s.only.count("throughput16") != 0) || (size == 1024 && s.only.count("throughput1k") != 0);
    if (!s.wants("throughput") && !alone) continue;
    const std::size_t n = messages_for(s, size);
    const double rate = median_of(s.reps, [&] { return throughput(engine, s, bench, 1, n, size); });
    std::string target;
    if (size == 16) target = aot ? ">= 5 M msg/s" : ">= 1 M msg/s";
    rows.push_back({"fire-and-forget, 1 pair, " + std::to_string(size) + " B", engine, rate / 1e6, "M msg/s",
                    "native thread handoff", rate / b.handoff_msgs_per_s.at(size), target, ""});
  }
  // Across pairs on all workers (alone: --only pairs).
  if (s.wants("throughput") || s.only.count("pairs") != 0) {
    const std::size_t pairs = 2 * s.workers;
    const std::size_t n = messages_for(s, 16) / pairs;
    const double rate = median_of(s.reps, [&] { return throughput(engine, s, bench, pairs, n, 16); });
    rows.push_back({"fire-and-forget, " + std::to_string(pairs) + " pairs on " + std::to_string(s.workers) +
                        " workers, 16 B",
                    engine, rate / 1e6, "M msg/s", "native thread handoff", rate / b.handoff_msgs_per_s.at(16), "",
                    ""});
    // The same with senders that return to the scheduler every 1000 sends (a wactor handler is
    // not preempted: one blast of n sends keeps its sink waiting if both share a worker).
    constexpr std::size_t kChunk = 1000;
    const double chunked = median_of(s.reps, [&] { return throughput(engine, s, bench, pairs, n, 16, kChunk); });
    rows.push_back({"fire-and-forget, " + std::to_string(pairs) + " pairs on " + std::to_string(s.workers) +
                        " workers, 16 B, senders yield every 1000",
                    engine, chunked / 1e6, "M msg/s", "native thread handoff", chunked / b.handoff_msgs_per_s.at(16),
                    "", ""});
  }

  // Request -> callback round trip: sequential requests, timestamped at each callback.
  if (s.wants("rtt")) {
    const std::size_t n = s.quick ? 5'000 : 50'000;
    std::vector<double> p50s, p99s;
    for (int r = 0; r < s.reps; ++r) {
      Marks marks;
      marks.reserve(n + 1);
      auto rt = start(options(engine, s, &marks), {spec("p", bench, "bench.wasm"), spec("r", bench, "bench.wasm")});
      post(*rt, "p", "ping " + std::to_string(n) + " r");
      wait_idle(*rt);
      auto& t = marks.by_level[1];
      if (t.size() != n) throw std::runtime_error("round trip: callbacks missing");
      std::vector<double> d;
      for (std::size_t i = 1; i < t.size(); ++i) d.push_back(std::chrono::duration<double, std::micro>(t[i] - t[i - 1]).count());
      p50s.push_back(quantile(d, 0.5));
      p99s.push_back(quantile(d, 0.99));
    }
    rows.push_back({"request -> callback round trip, p50", engine, median(p50s), "us", "", 0, aot ? "<= 2 us" : "", ""});
    rows.push_back({"request -> callback round trip, p99", engine, median(p99s), "us", "", 0, "", ""});
  }

  // Spawn time and memory per idle component (one module shared by all).
  double heap_per_component = 0;  // from the previous count: to skip what would not fit
  for (std::size_t count : s.spawn_counts) {
    if (!s.wants("spawn")) break;
    if (s.quick) count /= 10;
    const double projected = heap_per_component * static_cast<double>(count);
    const double ram = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
    if (projected > ram / 4) {
      char note[96];
      std::snprintf(note, sizeof note, "skipped: would need ~%.1f GiB (a quarter of RAM is the cap)", projected / (1 << 30));
      rows.push_back({"spawn and memory, " + std::to_string(count / 1000) + "k components", engine, 0, "", "", 0, "",
                      note});
      continue;
    }
    std::vector<ComponentSpec> specs;
    specs.reserve(count);
    for (std::size_t i = 0; i < count; ++i) specs.push_back(spec("c" + std::to_string(i), idle, "idle.wasm"));
    const auto rss0 = rss_bytes();
    const auto heap0 = heap_bytes();
    auto created = Runtime::create(options(engine, s), std::move(specs));
    if (!created.ok()) throw std::runtime_error(created.error().to_string());
    const auto t0 = Clock::now();
    if (auto st = (*created)->start(); !st.ok()) throw std::runtime_error(st.error().to_string());
    const double spawn_us = seconds_since(t0) * 1e6 / static_cast<double>(count);
    const double per_kib = grown(rss0, rss_bytes()) / static_cast<double>(count) / 1024.0;
    const double heap_kib = grown(heap0, heap_bytes()) / static_cast<double>(count) / 1024.0;
    heap_per_component = std::max(heap_kib * 1024.0, per_kib * 1024.0);
    (*created)->stop();
    const std::string n = std::to_string(count / 1000) + "k";
    rows.push_back({"spawn (instantiate + ready), " + n + " components", engine, spawn_us, "us", "", 0,
                    aot ? "<= 20 us" : "", ""});
    rows.push_back({"memory per idle component, " + n + " alive (RSS)", engine, per_kib, "KiB", "", 0,
                    aot ? "<= 8 KiB" : "", ""});
    rows.push_back({"memory per idle component, " + n + " alive (heap in use)", engine, heap_kib, "KiB", "", 0, "",
                    ""});
  }

  // Bytes per queued message: with one worker, the sender's handler queues n messages of 16 B
  // to the sink, which cannot run before the handler ends; the heap is read in the handler's
  // last host call (a log line), with all n in the sink's mailbox.
  if (s.wants("queued")) {
    const std::size_t n = s.quick ? 10'000 : 100'000;
    auto o = options(engine, s);
    o.workers = 1;
    o.helping = false;  // else the sender runs the sink whenever its backlog passes 512
    std::atomic<std::uint64_t> heap_full{0};
    o.log = [&heap_full](std::string_view, std::int32_t level, std::string_view) {
      if (level == 2) heap_full.store(heap_bytes());
    };
    auto rt = start(std::move(o), {spec("s", bench, "bench.wasm"), spec("k", bench, "bench.wasm")});
    const auto heap0 = heap_bytes();
    post(*rt, "s", "fill " + std::to_string(n) + " 16 k");
    wait_idle(*rt);
    std::uint64_t high_water = 0;
    for (const auto& [id, c] : rt->metrics().components) {
      if (id == "k") high_water = c.mailbox_high_water;
    }
    if (heap_full.load() == 0 || high_water < n) {
      throw std::runtime_error("queued: the messages were not all queued at once");
    }
    rows.push_back({"heap per queued 16 B message", engine,
                    grown(heap0, heap_full.load()) / static_cast<double>(n), "B", "", 0, "", ""});
  }

  // Pending requests with timeouts: memory, and how late their timeouts fire.
  if (s.wants("pending")) {
    const std::size_t n = s.quick ? s.pending / 10 : s.pending;
    constexpr int kTimeoutMs = 3000;
    Marks marks;
    marks.reserve(n);
    auto rt = start(options(engine, s, &marks), {spec("p", bench, "bench.wasm"), spec("h", bench, "bench.wasm")});
    const auto heap0 = heap_bytes();
    post(*rt, "p", "pend " + std::to_string(n) + " " + std::to_string(kTimeoutMs) + " h");
    while (rt->stats("h")->messages_handled < n) std::this_thread::sleep_for(1ms);
    const double per_request = grown(heap0, heap_bytes()) / static_cast<double>(n);
    wait_idle(*rt);
    auto& issued = marks.by_level[0];
    auto& fired = marks.by_level[1];
    if (issued.size() != n || fired.size() != n || rt->stats("p")->requests_timed_out != n) {
      throw std::runtime_error("pending: requests missing");
    }
    std::vector<double> late;
    for (std::size_t i = 0; i < n; ++i) {
      late.push_back(std::chrono::duration<double, std::milli>(fired[i] - issued[i]).count() - kTimeoutMs);
    }
    if (std::getenv("WACTOR_BENCH_DEBUG")) {
      auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
      std::fprintf(stderr, "pending: issue span %.3f ms, fire span %.3f ms, late first %.3f last %.3f\n",
                   ms(issued.back() - issued.front()), ms(fired.back() - fired.front()), late.front(), late.back());
    }
    const std::string label = std::to_string(n / 1000) + "k pending requests";
    rows.push_back({label + ": heap per pending request", engine, per_request, "B", "", 0, "", ""});
    rows.push_back({label + ": timeout fired late by, p50", engine, quantile(late, 0.5), "ms", "", 0, "", ""});
    rows.push_back({label + ": timeout fired late by, p99", engine, quantile(late, 0.99), "ms", "", 0, "", ""});
    rows.push_back({label + ": timeout fired late by, max", engine, quantile(late, 1.0), "ms", "", 0, "", ""});
  }
}

}  // namespace wactor::bench
