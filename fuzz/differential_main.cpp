// wactor-difffuzz: differential fuzzing of the interp and aot engines (see differential.h).
//
//   wactor-difffuzz [--seconds T] [--seeds N] [--first-seed S] [--keep DIR] [--fuel N] [--keep-nans] [-v]
//                   [FILE|DIR...]
//
// FILE/DIR: modules to replay (.wat or .wasm; a directory: each such file in it), compared
// before any seed. Seeds: for each seed S, `wasm-opt --translate-to-fuzz` turns bytes drawn
// from S into a valid module, which both engines run. The module of a seed in progress is
// written to DIR/seed-S.wasm first and removed once the engines agree, so a crash or a
// difference leaves it there. Exit status 0 when every module agreed, 1 when one did not.
//
// A standalone driver rather than a libFuzzer harness: the engines' own code (libwabt, the
// generated C) carries no coverage instrumentation, so coverage guidance would see little
// but wactor's glue, while each module costs a C compile (0.1-1 s); and a seed reproduces
// one module exactly (for one binaryen version) without a corpus.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "differential.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using wactor::difffuzz::Report;
using wactor::difffuzz::Verdict;

// Features both engines accept (wasm2c 1.0.32 and libwabt's interpreter): MVP, sign
// extension, saturating float-to-int, bulk memory, mutable globals. --denan turns every NaN
// a function computes into 0, so results, host-call arguments and memory can be compared
// bit for bit (the spec lets engines differ in a NaN's sign and payload).
const std::vector<std::string> kWasmOptFlags = {
    "--translate-to-fuzz", "--mvp-features", "--enable-sign-ext", "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory", "--enable-mutable-globals"};

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::optional<std::vector<std::uint8_t>> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool write_file(const fs::path& p, std::span<const std::uint8_t> bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return out.good();
}

// Runs argv with stdout and stderr discarded; true when it exited with status 0.
bool run_quietly(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct Options {
  double seconds = 0;
  std::optional<std::uint64_t> seeds;
  std::optional<std::uint64_t> first_seed;
  std::optional<fs::path> keep;
  std::string wasm_opt = "wasm-opt";
  wactor::difffuzz::Config config;
  bool verbose = false;
  bool fuel_given = false;
  bool keep_nans = false;  // exploratory: NaN bits in memory may then differ as the spec allows
  std::vector<fs::path> replay;
};

struct Totals {
  std::size_t modules = 0, loaded = 0, steps = 0, traps = 0, inconclusive = 0, differ = 0, refused = 0;
};

class Driver {
 public:
  Driver(Options o, wactor::engine::Engine& a, wactor::engine::Engine& b) : o_(std::move(o)), a_(a), b_(b) {}

  // Compares one module; prints it when the engines differ (or always with -v).
  bool check(std::span<const std::uint8_t> wasm, const std::string& origin) { return check(wasm, origin, o_.config); }
  bool check(std::span<const std::uint8_t> wasm, const std::string& origin, const wactor::difffuzz::Config& config) {
    const Report r = wactor::difffuzz::compare(a_, b_, wasm, origin, config);
    ++t_.modules;
    t_.loaded += r.loaded;
    t_.refused += !r.loaded && r.verdict == Verdict::kAgree;
    t_.steps += r.steps;
    t_.traps += r.traps;
    if (r.verdict == Verdict::kInconclusive) ++t_.inconclusive;
    if (r.verdict == Verdict::kDiffer) ++t_.differ;
    if (r.verdict == Verdict::kDiffer || o_.verbose) {
      const char* v = r.verdict == Verdict::kDiffer ? "DIFFERENCE" : r.verdict == Verdict::kAgree ? "agree" : "inconclusive";
      std::printf("%s: %s (%zu steps, %zu traps)%s%s\n", origin.c_str(), v, r.steps, r.traps,
                  r.difference.empty() ? "" : "\n    ", r.difference.c_str());
      std::fflush(stdout);
    }
    return r.verdict != Verdict::kDiffer;
  }

  bool replay(const fs::path& p) {
    if (fs::is_directory(p)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.path().extension() == ".wat" || e.path().extension() == ".wasm") files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      bool ok = true;
      for (const auto& f : files) ok = replay(f) && ok;
      return ok;
    }
    auto bytes = read_file(p);
    if (!bytes) {
      std::fprintf(stderr, "wactor-difffuzz: cannot read %s\n", p.c_str());
      return false;
    }
    if (p.extension() == ".wat") {
      auto wasm = wactor::difffuzz::wat_to_wasm({reinterpret_cast<const char*>(bytes->data()), bytes->size()}, p.string());
      if (!wasm.ok()) {
        std::fprintf(stderr, "wactor-difffuzz: %s\n", wasm.error().message.c_str());
        return false;
      }
      return check(*wasm, p.string());
    }
    return check(*bytes, p.string());
  }

  // One seed: bytes -> wasm-opt -> both engines.
  bool seed(std::uint64_t s, const fs::path& tmp) {
    std::uint64_t state = s;
    std::vector<std::uint8_t> input(512 + splitmix64(state) % 16000);
    for (auto& byte : input) byte = static_cast<std::uint8_t>(splitmix64(state) >> 56);
    const fs::path in = tmp / "input.bin";
    const fs::path out = o_.keep ? *o_.keep / ("seed-" + std::to_string(s) + ".wasm") : tmp / "module.wasm";
    if (!write_file(in, input)) return harness_error("cannot write " + in.string());
    std::vector<std::string> argv{o_.wasm_opt, in.string(), "-o", out.string()};
    argv.insert(argv.end(), kWasmOptFlags.begin(), kWasmOptFlags.end());
    if (s % 2) argv.emplace_back("--fuzz-passes");  // odd seeds: also random optimisation passes
    if (!o_.keep_nans) argv.emplace_back("--denan");
    if (!run_quietly(argv)) return harness_error("wasm-opt failed on seed " + std::to_string(s));
    auto wasm = read_file(out);
    if (!wasm) return harness_error("wasm-opt wrote nothing for seed " + std::to_string(s));
    // Every third seed runs on a small budget, so that fuel also runs out inside loops and
    // deep calls (the metering must stop both engines at the same instruction).
    wactor::difffuzz::Config config = o_.config;
    if (s % 3 == 0 && !o_.fuel_given) config.fuel_per_step = 20 + static_cast<std::int64_t>(splitmix64(state) % 3000);
    // Every fifth seed near binaryen's usual 16 pages of memory, so that growth meets the cap.
    if (s % 5 == 1) config.max_memory_pages = 16 + splitmix64(state) % 3;
    const bool ok = check(*wasm, "seed " + std::to_string(s), config);
    if (ok) fs::remove(out);
    return ok;
  }

  void summary(double seconds) const {
    std::printf("wactor-difffuzz: %zu modules in %.0f s (%zu refused by both, %zu steps compared, %zu traps), "
                "%zu inconclusive (stack limits), %zu differences\n",
                t_.modules, seconds, t_.refused, t_.steps, t_.traps, t_.inconclusive, t_.differ);
  }

 private:
  bool harness_error(const std::string& what) {
    std::fprintf(stderr, "wactor-difffuzz: %s\n", what.c_str());
    harness_failed = true;
    return false;
  }

 public:
  bool harness_failed = false;

 private:
  Options o_;
  wactor::engine::Engine& a_;
  wactor::engine::Engine& b_;
  Totals t_;
};

int usage() {
  std::fprintf(stderr,
               "usage: wactor-difffuzz [--seconds T] [--seeds N] [--first-seed S] [--keep DIR] [--fuel N]\n"
               "                       [--wasm-opt PATH] [--keep-nans] [-v] [FILE.wat|FILE.wasm|DIR ...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (arg == "-v") {
      o.verbose = true;
    } else if (arg == "--keep-nans") {
      o.keep_nans = true;
    } else if (arg == "--seconds" && (v = value())) {
      o.seconds = std::stod(*v);
    } else if (arg == "--seeds" && (v = value())) {
      o.seeds = std::stoull(*v);
    } else if (arg == "--first-seed" && (v = value())) {
      o.first_seed = std::stoull(*v);
    } else if (arg == "--keep" && (v = value())) {
      o.keep = *v;
    } else if (arg == "--fuel" && (v = value())) {
      o.config.fuel_per_step = std::stoll(*v);
      o.fuel_given = true;
    } else if (arg == "--wasm-opt" && (v = value())) {
      o.wasm_opt = *v;
    } else if (!arg.empty() && arg[0] != '-') {
      o.replay.emplace_back(arg);
    } else {
      return usage();
    }
  }
  if (o.keep) fs::create_directories(*o.keep);

  // Compiled modules go to a scratch cache, never to the user's.
  char cache_template[] = "/tmp/wactor-difffuzz-XXXXXX";
  const char* scratch = ::mkdtemp(cache_template);
  if (!scratch) {
    std::perror("wactor-difffuzz: mkdtemp");
    return 2;
  }
  const fs::path tmp(scratch);
  ::setenv("WACTOR_CACHE_DIR", (tmp / "cache").c_str(), 1);

  auto interp = wactor::engine::make_engine("interp");
  auto aot = wactor::engine::make_engine("aot");
  if (!interp.ok() || !aot.ok()) {
    std::fprintf(stderr, "wactor-difffuzz: %s\n", (interp.ok() ? aot : interp).error().to_string().c_str());
    fs::remove_all(tmp);
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };

  const bool seeding = o.seeds.has_value() || o.seconds > 0 || o.replay.empty();
  const std::uint64_t first = o.first_seed.value_or(static_cast<std::uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count() / 1000 % 1'000'000'000));
  const std::optional<std::uint64_t> count = o.seeds;
  const double seconds = o.seconds;
  const std::vector<fs::path> replay = o.replay;
  Driver driver(std::move(o), **interp, **aot);

  bool ok = true;
  for (const auto& p : replay) ok = driver.replay(p) && ok;
  if (seeding) {
    std::printf("wactor-difffuzz: seeds from %llu%s\n", static_cast<unsigned long long>(first),
                seconds > 0 ? (" for " + std::to_string(static_cast<int>(seconds)) + " s").c_str() : "");
    std::fflush(stdout);
    for (std::uint64_t s = first; !count || s - first < *count; ++s) {
      if (seconds > 0 && elapsed() >= seconds) break;
      ok = driver.seed(s, tmp) && ok;
      if (driver.harness_failed) break;
    }
  }
  driver.summary(elapsed());
  fs::remove_all(tmp);
  if (driver.harness_failed) return 2;
  return ok ? 0 : 1;
}
