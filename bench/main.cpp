// wactor-bench: every benchmark scenario on every engine, with native baselines measured in
// the same run. Prints a table (medians, ratios, targets) and writes the same as JSON.
// docs/BENCHMARKS.md explains each figure.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/scenarios.h"
#include "wactor/engine.h"

namespace wactor::bench {

std::vector<std::uint8_t> read_guest(const std::string& name) {
  const char* env = std::getenv("WACTOR_GUEST_DIR");
  const std::string path = std::string(env ? env : WACTOR_GUEST_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (build the guests first)");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

namespace {

constexpr const char* kUsage =
    "usage: wactor-bench [--quick] [--reps N] [--engines a,b] [--spawn N,M] [--only groups] [--no-peers] [--workers N]\n"
    "                    [--rounds N] [--json FILE]\n"
    "  --quick      smaller counts (a smoke run, figures are rougher)\n"
    "  --reps N     repetitions per figure, medians reported (default 5)\n"
    "  --engines    engines to measure (default: every available engine)\n"
    "  --spawn      component counts for spawn time and memory (default 10000,100000)\n"
    "  --only       comma-separated groups: calls,compute,throughput,rtt,spawn,pending,queued,living,timers,storage,cluster,\n"
    "               languages (the bench guest per guest language, and binary sizes),\n"
    "               throughput16 (only the 16 B one-pair run: bench/collapse.sh), throughput1k (only the 1 KiB one),\n"
    "               pairs (only the many-pairs runs),\n"
    "               scaling (1, 2, 16, 64 workers, many pairs; only when named),\n"
    "               peers (CAF and Erlang beside aot on throughput,rtt,pending,queued; engines default to aot)\n"
    "  --workers N  worker threads of each runtime, and of the peers (default 2)\n"
    "  --no-peers   do not run CAF and Erlang (they run by default, or with --only peers)\n"
    "  --rounds N   after the peers, N rounds of wactor aot and Erlang back to back on the targets' scenarios;\n"
    "               the median of the rounds' ratios (default 5; --quick: none; 0 or 1: none)\n"
    "  --json FILE  also write the rows as JSON\n";

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) {
    if (!x.empty()) out.push_back(x);
  }
  return out;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3f", v);
  return buf;
}

void print_table(const std::vector<Row>& rows) {
  std::printf("%-58s %-7s %10s %-8s %9s  %-22s %s\n", "scenario", "engine", "value", "unit", "ratio", "vs", "target");
  for (const auto& r : rows) {
    if (!r.note.empty() && r.unit.empty()) {
      std::printf("%-58s %-7s %s\n", r.scenario.c_str(), r.engine.c_str(), r.note.c_str());
      continue;
    }
    std::printf("%-58s %-7s %10s %-8s %9s  %-22s %s\n", r.scenario.c_str(), r.engine.c_str(), fmt(r.value).c_str(),
                r.unit.c_str(), r.baseline.empty() ? "" : (fmt(r.ratio) + "x").c_str(), r.baseline.c_str(),
                r.target.c_str());
  }
}

void write_json(const std::vector<Row>& rows, const Settings& s, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  out << "{\n  \"reps\": " << s.reps << ",\n  \"quick\": " << (s.quick ? "true" : "false") << ",\n  \"rows\": [\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    out << "    {\"scenario\": \"" << json_escape(r.scenario) << "\", \"engine\": \"" << r.engine
        << "\", \"value\": " << r.value << ", \"unit\": \"" << r.unit << "\", \"baseline\": \""
        << json_escape(r.baseline) << "\", \"ratio\": " << r.ratio << ", \"target\": \"" << json_escape(r.target)
        << "\", \"note\": \"" << json_escape(r.note) << "\"}" << (i + 1 < rows.size() ? "," : "") << "\n";
  }
  out << "  ]\n}\n";
  if (!out.good()) throw std::runtime_error(path + ": cannot write");
}

int run(int argc, char** argv) {
  Settings s;
  std::vector<std::string> engines;
  std::string json;
  bool no_peers = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick") s.quick = true;
    else if (a == "--reps") s.reps = std::max(1, std::atoi(value().c_str()));
    else if (a == "--engines") engines = split(value());
    else if (a == "--json") json = value();
    else if (a == "--no-peers") no_peers = true;
    else if (a == "--workers") s.workers = static_cast<unsigned>(std::max(1, std::atoi(value().c_str())));
    else if (a == "--rounds") s.rounds = std::max(0, std::atoi(value().c_str()));
    else if (a == "--only") {
      for (const auto& g : split(value())) s.only.insert(g);
    }
    else if (a == "--spawn") {
      s.spawn_counts.clear();
      for (const auto& n : split(value())) s.spawn_counts.push_back(std::strtoull(n.c_str(), nullptr, 10));
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "wactor-bench: unknown argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (s.quick) {
    s.reps = std::min(s.reps, 3);
    s.rounds = std::min(s.rounds, 1);
  }
  if (s.only.count("peers") != 0) {  // the peers compare with these aot figures
    s.only.insert({"throughput", "rtt", "pending", "queued"});
    if (engines.empty()) engines.emplace_back("aot");
  }
  if (no_peers) {
    if (s.only.empty()) s.only = {"calls", "compute", "throughput", "rtt", "spawn", "pending", "queued", "living", "timers"};
    s.only.erase("peers");
  }
  if (engines.empty()) {
    for (auto e : engine::engine_names()) engines.emplace_back(e);
  }
  std::vector<Row> rows;
  std::fprintf(stderr, "wactor-bench: baselines...\n");
  const Baselines b = measure_baselines(s);
  for (std::size_t size : {16u, 1024u, 65536u}) {
    if (b.handoff_msgs_per_s.count(size) == 0) continue;
    rows.push_back({"native thread handoff, " + std::to_string(size) + " B", "native",
                    b.handoff_msgs_per_s.at(size) / 1e6, "M msg/s", "", 0, "", ""});
  }
  rows.push_back({"direct C++ call (noinline)", "native", b.direct_call_ns, "ns", "", 0, "", ""});
  rows.push_back({"compute: fib(" + std::to_string(s.fib_n) + ")", "native", b.fib_ms, "ms", "", 0, "", ""});
  for (const auto& e : engines) {
    std::fprintf(stderr, "wactor-bench: engine %s...\n", e.c_str());
    engine_benchmarks(e, s, b, rows);
    runtime_benchmarks(e, s, b, rows);
    living_benchmarks(e, s, rows);
    if (s.wants("languages")) language_benchmarks(e, s, rows);
    storage_benchmarks(e, s, rows);
    storage_jetstream_benchmarks(e, s, rows);
    cluster_benchmarks(e, s, rows);
    if (s.only.count("scaling") != 0) scaling_benchmarks(e, s, rows);
  }
  if (s.wants("languages")) language_sizes(rows);
  if (s.wants("peers")) peer_benchmarks(s, b, rows);
  print_table(rows);
  if (!json.empty()) write_json(rows, s, json);
  return 0;
}

}  // namespace
}  // namespace wactor::bench

int main(int argc, char** argv) {
  try {
    return wactor::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "wactor-bench: " << e.what() << "\n";
    return 1;
  }
}
