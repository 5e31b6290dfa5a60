// Per guest language: the same bench guest (guests/c/bench.c, guests/cpp/bench.cpp,
// guests/as/bench.ts) measured the same way — fire-and-forget throughput and request round
// trip — and the size of each language's guest binaries (docs/BENCHMARKS.md, "Guest languages").
#include <filesystem>
#include <stdexcept>

#include "bench/runtime_harness.h"
#include "bench/scenarios.h"

namespace wactor::bench {
namespace {

// The bench guest of each language, relative to the guests directory (absent ones are skipped).
struct Language {
  const char* name;
  const char* bench;
};
constexpr Language kLanguages[] = {{"c", "bench.wasm"}, {"cpp", "cpp/bench.wasm"}, {"as", "as/bench.wasm"}};

std::string guest_file(const std::string& rel) { return std::string(WACTOR_GUEST_DIR) + "/" + rel; }

double blast(const std::string& engine, const Settings& s, const std::vector<std::uint8_t>& wasm, std::size_t n) {
  auto rt = start(options(engine, s), {spec("s", wasm, "bench.wasm"), spec("k", wasm, "bench.wasm")});
  const auto t0 = Clock::now();
  post(*rt, "s", "blast " + std::to_string(n) + " 16 k");
  wait_idle(*rt);
  const double secs = seconds_since(t0);
  const auto m = rt->metrics();
  if (m.total.messages_handled != n + 1 || m.total.handler_errors != 0) {
    throw std::runtime_error("languages: messages lost or refused");
  }
  return static_cast<double>(n) / secs;
}

double round_trip_p50(const std::string& engine, const Settings& s, const std::vector<std::uint8_t>& wasm,
                      std::size_t n) {
  Marks marks;
  marks.reserve(n + 1);
  auto rt = start(options(engine, s, &marks), {spec("p", wasm, "bench.wasm"), spec("r", wasm, "bench.wasm")});
  post(*rt, "p", "ping " + std::to_string(n) + " r");
  wait_idle(*rt);
  auto& t = marks.by_level[1];
  if (t.size() != n) throw std::runtime_error("languages: callbacks missing");
  std::vector<double> d;
  for (std::size_t i = 1; i < t.size(); ++i) d.push_back(std::chrono::duration<double, std::micro>(t[i] - t[i - 1]).count());
  return quantile(d, 0.5);
}

}  // namespace

void language_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows) {
  if (!s.wants("languages")) return;
  for (const auto& l : kLanguages) {
    if (!std::filesystem::exists(guest_file(l.bench))) continue;
    const auto wasm = read_guest(l.bench);
    const std::string lang = l.name;
    const std::size_t n = messages_for(s, 16);
    const double rate = median_of(s.reps, [&] { return blast(engine, s, wasm, n); });
    rows.push_back({"guest " + lang + ": fire-and-forget, 1 pair, 16 B", engine, rate / 1e6, "M msg/s", "", 0, "", ""});
    const std::size_t pings = s.quick ? 5'000 : 50'000;
    std::vector<double> p50s;
    for (int r = 0; r < s.reps; ++r) p50s.push_back(round_trip_p50(engine, s, wasm, pings));
    rows.push_back({"guest " + lang + ": request -> callback round trip, p50", engine, median(p50s), "us", "", 0, "",
                    ""});
  }
}

void language_sizes(const Settings& s, std::vector<Row>& rows) {
  if (!s.wants("languages")) return;
  const std::string examples = std::string(WACTOR_GUEST_DIR) + "/../examples/";
  const std::pair<std::string, std::string> files[] = {
      {"c bench", guest_file("bench.wasm")},
      {"cpp bench", guest_file("cpp/bench.wasm")},
      {"as bench", guest_file("as/bench.wasm")},
      {"c ping (example)", examples + "pingpong/ping.wasm"},
      {"cpp ping (example)", examples + "cpp/pingpong/ping.wasm"},
      {"as ping (example)", examples + "as/pingpong/ping.wasm"},
  };
  for (const auto& [what, path] : files) {
    if (!std::filesystem::exists(path)) continue;
    rows.push_back({"guest binary size, " + what, "any", static_cast<double>(std::filesystem::file_size(path)) / 1024.0,
                    "KiB", "", 0, "", ""});
  }
}

}  // namespace wactor::bench
