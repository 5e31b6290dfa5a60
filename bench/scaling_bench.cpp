// How the message path scales with workers (issue 15 part 4): the same scenarios on 1 and 2
// workers (the cores here) and on many more workers than cores (16, 64), with many pairs,
// so that every shared structure on the path (run queues, correlation table, directory) is
// contended. `wactor-bench --only scaling` (docs/BENCHMARKS.md "Scaling").
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/runtime_harness.h"
#include "bench/scenarios.h"

namespace wactor::bench {
namespace {

// `pairs` senders blast `per_pair` messages of 16 B at their own sink, all at once: msg/s.
double blast(const std::string& engine, Settings s, unsigned workers, const std::vector<std::uint8_t>& wasm,
             std::size_t pairs, std::size_t per_pair) {
  s.workers = workers;
  std::vector<ComponentSpec> specs;
  for (std::size_t i = 0; i < pairs; ++i) {
    specs.push_back(spec("s" + std::to_string(i), wasm, "bench.wasm"));
    specs.push_back(spec("k" + std::to_string(i), wasm, "bench.wasm"));
  }
  auto rt = start(options(engine, s), std::move(specs));
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < pairs; ++i) {
    post(*rt, "s" + std::to_string(i), "blast " + std::to_string(per_pair) + " 16 k" + std::to_string(i));
  }
  wait_idle(*rt);
  const double secs = seconds_since(t0);
  if (rt->metrics().total.messages_handled != pairs * (per_pair + 1)) throw std::runtime_error("scaling: messages lost");
  return static_cast<double>(pairs * per_pair) / secs;
}

// `pairs` pingers each make `per_pair` sequential requests to their own responder: round trips/s.
double requests(const std::string& engine, Settings s, unsigned workers, const std::vector<std::uint8_t>& wasm,
                std::size_t pairs, std::size_t per_pair) {
  s.workers = workers;
  std::vector<ComponentSpec> specs;
  for (std::size_t i = 0; i < pairs; ++i) {
    specs.push_back(spec("p" + std::to_string(i), wasm, "bench.wasm"));
    specs.push_back(spec("r" + std::to_string(i), wasm, "bench.wasm"));
  }
  auto rt = start(options(engine, s), std::move(specs));
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < pairs; ++i) {
    post(*rt, "p" + std::to_string(i), "ping " + std::to_string(per_pair) + " r" + std::to_string(i));
  }
  wait_idle(*rt);
  const double secs = seconds_since(t0);
  if (rt->metrics().total.callbacks_handled < pairs * per_pair) throw std::runtime_error("scaling: callbacks missing");
  return static_cast<double>(pairs * per_pair) / secs;
}

}  // namespace

void scaling_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows) {
  const auto bench = read_guest("bench.wasm");
  const std::size_t total = s.quick ? 100'000 : 1'000'000;
  const std::size_t round_trips = s.quick ? 20'000 : 200'000;
  for (unsigned workers : {1u, 2u, 16u, 64u}) {
    for (std::size_t pairs : {std::size_t{1}, std::size_t{2} * workers, std::size_t{256}}) {
      if (pairs == 256 && workers < 16) continue;  // the contention stress: many more threads than cores
      if (workers >= 16 && pairs == 1) continue;
      const std::string where = std::to_string(pairs) + (pairs == 1 ? " pair" : " pairs") + " on " +
                                std::to_string(workers) + (workers == 1 ? " worker" : " workers");
      const double rate = median_of(s.reps, [&] { return blast(engine, s, workers, bench, pairs, total / pairs); });
      rows.push_back({"scaling: fire-and-forget 16 B, " + where, engine, rate / 1e6, "M msg/s", "", 0, "", ""});
      const double rtts =
          median_of(s.reps, [&] { return requests(engine, s, workers, bench, pairs, round_trips / pairs); });
      rows.push_back({"scaling: request round trips, " + where, engine, rtts / 1e6, "M req/s", "", 0, "", ""});
      std::fprintf(stderr, "wactor-bench: scaling %s: %.2f M msg/s, %.3f M req/s\n", where.c_str(), rate / 1e6,
                   rtts / 1e6);
    }
  }
}

}  // namespace wactor::bench
