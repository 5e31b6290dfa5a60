// The peer columns: CAF (bench/peers/caf_bench.cpp) and Erlang/OTP (bench/peers/erlang_bench.erl)
// run on the message scenarios in the same run, as child processes writing JSON; each peer
// figure becomes a row with the ratio of wactor aot's figure (measured earlier in this run)
// to it. A peer that is not installed is skipped with a note (docs/BENCHMARKS.md "Peers").
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "bench/scenarios.h"

namespace wactor::bench {
namespace {

struct Peer {
  std::string name;     // "caf", "erlang"
  std::string missing;  // why it cannot run (empty: it can)
  std::string command;  // without the --json argument
};

std::string common_args(const Settings& s) {
  return " --reps " + std::to_string(s.reps) + (s.quick ? " --quick" : "");
}

Peer caf(const Settings& s) {
  const std::string exe = std::string(WACTOR_PEERS_DIR) + "/wactor-caf-bench";
  if (::access(exe.c_str(), X_OK) != 0) return {"caf", "skipped: " + exe + " missing (install libcaf-dev, rebuild)", ""};
  return {"caf", "", exe + common_args(s) + " --workers " + std::to_string(s.workers)};
}

Peer erlang(const Settings& s) {
  const std::string dir = WACTOR_PEERS_DIR;
  if (std::system("command -v erl >/dev/null 2>&1") != 0) return {"erlang", "skipped: erl not found (install erlang-base)", ""};
  if (::access((dir + "/erlang_bench.beam").c_str(), R_OK) != 0) {
    return {"erlang", "skipped: " + dir + "/erlang_bench.beam missing (install erlang-base, rebuild)", ""};
  }
  const std::string w = std::to_string(s.workers);
  return {"erlang", "",
          "erl +S " + w + ":" + w + " -noshell -pa " + dir + " -s erlang_bench main -extra" + common_args(s)};
}

// Which wactor row a peer row compares with, and whether higher is better.
struct Match {
  std::string scenario;
  bool higher_better;
};

Match match(const std::string& key, const Settings& s) {
  const std::size_t pending = s.quick ? s.pending / 10 : s.pending;
  auto starts = [&](const char* p) { return key.rfind(p, 0) == 0; };
  if (key == "ff_16_1") return {"fire-and-forget, 1 pair, 16 B", true};
  if (starts("ff_1k_1")) return {"fire-and-forget, 1 pair, 1024 B", true};
  if (key == "ff_16_pairs") {
    return {"fire-and-forget, " + std::to_string(2 * s.workers) + " pairs on " + std::to_string(s.workers) +
                " workers, 16 B",
            true};
  }
  if (starts("rtt") && key.ends_with("_p50")) return {"request -> callback round trip, p50", false};
  if (starts("rtt") && key.ends_with("_p99")) return {"request -> callback round trip, p99", false};
  if (key == "queued_bytes") return {"heap per queued 16 B message", false};
  if (key == "pending_bytes") {
    return {std::to_string(pending / 1000) + "k pending requests: heap per pending request", false};
  }
  return {"", true};
}

// Issue 15's targets against Erlang: throughput (16 B, the copying 1 KiB) at least Erlang's,
// round trips (plain receive) at most.
bool has_target(const std::string& peer, const std::string& key) {
  return peer == "erlang" && (key == "ff_16_1" || key == "ff_1k_1_copy" || key == "ff_16_pairs" ||
                              key == "rtt_plain_p50" || key == "rtt_plain_p99");
}

void run_peer(const Peer& p, const Settings& s, std::vector<Row>& rows) {
  if (!p.missing.empty()) {
    rows.push_back({"peer " + p.name, p.name, 0, "", "", 0, "", p.missing});
    return;
  }
  char path[] = "/tmp/wactor-peer-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("peers: cannot create a temporary file");
  ::close(fd);
  std::fprintf(stderr, "wactor-bench: peer %s...\n", p.name.c_str());
  // The peer's own printout goes to stderr: stdout is the table.
  const int status = std::system((p.command + " --json " + path + " 1>&2").c_str());
  nlohmann::json j;
  std::ifstream in(path);
  if (status == 0 && in) j = nlohmann::json::parse(in, nullptr, false);
  ::unlink(path);
  if (status != 0 || j.is_discarded() || !j.contains("rows")) {
    rows.push_back({"peer " + p.name, p.name, 0, "", "", 0, "",
                    "failed (exit status " + std::to_string(status) + "; its output is above)"});
    return;
  }
  const std::vector<Row> ours = rows;
  for (const auto& r : j["rows"]) {
    const std::string key = r.value("key", "");
    Row row{r.value("scenario", key), p.name, r.value("value", 0.0), r.value("unit", ""), "", 0, "", r.value("note", "")};
    const Match m = match(key, s);
    for (const auto& w : ours) {
      if (w.engine != "aot" || w.scenario != m.scenario || row.value <= 0) continue;
      row.baseline = "aot / this";
      row.ratio = w.value / row.value;
      if (has_target(p.name, key)) {
        const bool met = m.higher_better ? row.ratio >= 1.0 : row.ratio <= 1.0;
        row.target = std::string(m.higher_better ? "aot >= 1.0x" : "aot <= 1.0x") + (met ? ": met" : ": missed");
      }
    }
    rows.push_back(std::move(row));
  }
}

// A VM's speed drifts over tens of seconds (docs/BENCHMARKS.md): the medians above, all of
// wactor's repetitions and then all of each peer's, may compare a fast minute with a slow one.
// Here each round measures wactor aot once and Erlang once, back to back, on the scenarios
// with a target; the row is the median of the rounds' ratios (and their range).
void interleaved_rounds(const Settings& s, const Baselines& b, std::vector<Row>& rows) {
  const Peer erl = erlang(s);
  if (s.rounds < 2 || !erl.missing.empty()) return;
  // Only beside an aot run of this one (not with --engines interp, nor without the engine).
  const bool aot_ran = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.engine == "aot"; });
  if (!aot_ran) return;
  Settings one = s;
  one.reps = 1;
  one.only = {"throughput", "rtt"};
  std::map<std::string, std::vector<double>> ratios;  // by the Erlang row's scenario
  std::map<std::string, std::string> kind;            // "aot >= 1.0x" or "aot <= 1.0x"
  for (int r = 1; r <= s.rounds; ++r) {
    std::fprintf(stderr, "wactor-bench: interleaved round %d of %d (aot, then erlang)...\n", r, s.rounds);
    std::vector<Row> round;
    runtime_benchmarks("aot", one, b, round);
    run_peer(erlang(one), one, round);
    for (const auto& row : round) {
      if (row.engine != "erlang" || row.target.empty() || row.ratio <= 0) continue;
      ratios[row.scenario].push_back(row.ratio);
      kind[row.scenario] = row.target.substr(0, row.target.find(':'));
    }
  }
  std::size_t counted = 0;  // rounds whose Erlang run succeeded
  for (const auto& [scenario, v] : ratios) counted = std::max(counted, v.size());
  rows.push_back({"interleaved rounds: wactor aot and Erlang back to back, " + std::to_string(counted) + " of " +
                      std::to_string(s.rounds) + " rounds",
                  "", 0, "", "", 0, "", "ratio = median of the rounds' aot / erlang (min-max beside it)"});
  for (auto& [scenario, v] : ratios) {
    const double med = quantile(v, 0.5);  // sorts v: front and back are the range
    const bool higher = kind[scenario].find(">=") != std::string::npos;
    const bool met = higher ? med >= 1.0 : med <= 1.0;
    char range[64];
    std::snprintf(range, sizeof range, "rounds %.3f-%.3f", v.front(), v.back());
    rows.push_back({"interleaved: " + scenario, "erlang", med, "x", "aot / this", med,
                    kind[scenario] + (met ? ": met (" : ": missed (") + range + ")", range});
  }
}

}  // namespace

void peer_benchmarks(const Settings& s, const Baselines& b, std::vector<Row>& rows) {
  rows.push_back({"peers (bench/peers): ratio = wactor aot's figure / the peer's", "", 0, "", "", 0, "",
                  "throughput: > 1 is wactor faster; latency and memory: < 1 is wactor better"});
  run_peer(caf(s), s, rows);
  run_peer(erlang(s), s, rows);
  interleaved_rounds(s, b, rows);
}

}  // namespace wactor::bench
