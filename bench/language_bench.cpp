// Per guest language: fire-and-forget throughput and round-trip latency of the same bench
// guest written in each SDK's language, and the guests' binary sizes (bench/guest_languages.h).
#include <filesystem>
#include <stdexcept>

#include "bench/guest_languages.h"
#include "bench/runtime_harness.h"
#include "bench/scenarios.h"

namespace wactor::bench {
namespace {

std::string guest_file(std::string_view file) {
  const char* env = std::getenv("WACTOR_GUEST_DIR");
  return std::string(env ? env : WACTOR_GUEST_DIR) + "/" + std::string(file);
}

// One pair, `n` messages of 16 B from s to k: messages per second.
double throughput(const std::string& engine, const Settings& s, const std::vector<std::uint8_t>& wasm,
                  const std::string& file, std::size_t n) {
  auto rt = start(options(engine, s), {spec("s", wasm, file), spec("k", wasm, file)});
  const auto t0 = Clock::now();
  post(*rt, "s", "blast " + std::to_string(n) + " 16 k");
  wait_idle(*rt);
  const double secs = seconds_since(t0);
  const auto m = rt->metrics();
  if (m.total.messages_handled != n + 1 || m.total.handler_errors != 0) {
    throw std::runtime_error(file + ": throughput: messages lost or refused");
  }
  return static_cast<double>(n) / secs;
}

// `n` sequential requests from p to r: round trip p50 and p99 in microseconds.
std::pair<double, double> round_trip(const std::string& engine, const Settings& s,
                                     const std::vector<std::uint8_t>& wasm, const std::string& file, std::size_t n) {
  Marks marks;
  marks.reserve(n + 1);
  auto rt = start(options(engine, s, &marks), {spec("p", wasm, file), spec("r", wasm, file)});
  post(*rt, "p", "ping " + std::to_string(n) + " r");
  wait_idle(*rt);
  auto& t = marks.by_level[1];
  if (t.size() != n) throw std::runtime_error(file + ": round trip: callbacks missing");
  std::vector<double> d;
  for (std::size_t i = 1; i < t.size(); ++i) d.push_back(std::chrono::duration<double, std::micro>(t[i] - t[i - 1]).count());
  return {quantile(d, 0.5), quantile(d, 0.99)};
}

}  // namespace

void language_sizes(std::vector<Row>& rows) {
  for (const auto& g : kGuestLanguages) {
    const std::string label = "guest binary size: bench guest, " + std::string(g.language);
    std::error_code ec;
    const auto size = std::filesystem::file_size(guest_file(g.file), ec);
    if (ec) {
      rows.push_back({label, "-", 0, "", "", 0, "", "not built (" + std::string(g.file) + ")"});
      continue;
    }
    rows.push_back({label, "-", static_cast<double>(size) / 1024.0, "KiB", "", 0, "", std::string(g.file)});
  }
}

void language_benchmarks(const std::string& engine, const Settings& s, std::vector<Row>& rows) {
  for (const auto& g : kGuestLanguages) {
    const std::string file(g.file);
    const std::string lang(g.language);
    std::error_code ec;
    if (!std::filesystem::exists(guest_file(file), ec)) {
      rows.push_back({"guest language " + lang, engine, 0, "", "", 0, "", "not built (" + file + ")"});
      continue;
    }
    const auto wasm = read_guest(file);
    const std::size_t n = messages_for(s, 16);
    const double rate = median_of(s.reps, [&] { return throughput(engine, s, wasm, file, n); });
    rows.push_back({"guest " + lang + ": fire-and-forget, 1 pair, 16 B", engine, rate / 1e6, "M msg/s", "", 0, "", ""});
    const std::size_t pings = s.quick ? 5'000 : 50'000;
    std::vector<double> p50s, p99s;
    for (int r = 0; r < s.reps; ++r) {
      const auto [p50, p99] = round_trip(engine, s, wasm, file, pings);
      p50s.push_back(p50);
      p99s.push_back(p99);
    }
    rows.push_back({"guest " + lang + ": request -> callback round trip, p50", engine, median(p50s), "us", "", 0, "", ""});
    rows.push_back({"guest " + lang + ": request -> callback round trip, p99", engine, median(p99s), "us", "", 0, "", ""});
  }
}

}  // namespace wactor::bench
