// The scenarios of the benchmark command (docs/BENCHMARKS.md).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/measure.h"

namespace wactor::bench {

struct Settings {
  int reps = 5;                      // repetitions; figures are medians
  bool quick = false;                // smaller counts (a smoke run)
  std::vector<std::size_t> spawn_counts{10'000, 100'000};
  std::size_t pending = 100'000;
  int fib_n = 30;
  unsigned workers = 2;
  int rounds = 5;                    // peers: interleaved rounds of aot and Erlang (0 or 1: none)
  std::set<std::string> only;  // scenario groups to run (empty: all): calls compute throughput rtt spawn pending queued living timers storage cluster languages peers scaling
  [[nodiscard]] bool wants(const std::string& group) const { return only.empty() || only.count(group) != 0; }
};

// How many messages a throughput run sends for this payload size.
inline std::size_t messages_for(const Settings& s, std::size_t size) {
  const std::size_t n = size <= 16 ? 1'000'000 : size <= 1024 ? 200'000 : 10'000;
  return s.quick ? n / 20 : n;
}

struct Baselines {
  std::map<std::size_t, double> handoff_msgs_per_s;  // by payload size
  double direct_call_ns = 0;
  double fib_ms = 0;
};

Baselines measure_baselines(const Settings& s);
int native_fib(int n);

// Engine-level: export call, host call, compute. Appends rows.
void engine_benchmarks(const std::string& engine, const Settings& s, const Baselines& b, std::vector<Row>& rows);
// Runtime-level: throughput, round trip, spawn and memory, pending requests. Appends rows.
void runtime_benchmarks(const std::string& engine, const Settings& s, const Baselines& b, std::vector<Row>& rows);
// CAF and Erlang on the message scenarios (bench/peers), in child processes; their rows carry
// the ratio of the aot rows already in `rows` to them. Then (s.rounds > 1) interleaved rounds
// of wactor aot and Erlang on issue 15's targets, each round back to back: the median of the
// rounds' ratios.
void peer_benchmarks(const Settings& s, const Baselines& b, std::vector<Row>& rows);
// Key-value storage: committed kv-set handlers, kv-get, raw SQLite beside them.
void storage_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows);
void storage_jetstream_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows);
// Actors that come and go: spawn from a guest, churn, pending timers, upgrade pause.
void living_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows);
// Per guest language (bench/guest_languages.h): throughput and round trip, and binary sizes.
void language_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows);
void language_sizes(std::vector<Row>& rows);
// Throughput and request rates on 1, 2, 16 and 64 workers (only with --only scaling).
void scaling_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows);
// Across hosts over a nats-server it starts, beside raw nats.c (docs/CLUSTER.md).
void cluster_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows);

}  // namespace wactor::bench
