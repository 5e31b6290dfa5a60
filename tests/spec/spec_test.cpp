// The WebAssembly core spec suite on every engine: one test per engine and .wast file, so
// that ctest runs each in its own process (an engine crash fails one file, not the suite).
// `wactor_spec_tests --summary` prints each engine's totals over the files' result files.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runner.h"
#include "script.h"
#include "tally.h"
#include "wactor/engine.h"

namespace wactor::spec {
namespace {

// From CMake: the engines and the .wast files (their base names), generated/spec_config.inc.
const std::vector<std::string> kEngines = {
#include "spec_engines.inc"
};
const std::vector<std::string> kFiles = {
#include "spec_files.inc"
};

struct Param {
  std::string engine;
  std::string file;
};
void PrintTo(const Param& p, std::ostream* os) { *os << p.engine << " " << p.file << ".wast"; }

std::vector<Param> params() {
  std::vector<Param> out;
  for (const auto& e : kEngines) {
    for (const auto& f : kFiles) out.push_back({e, f});
  }
  return out;
}

std::string test_name(const ::testing::TestParamInfo<Param>& info) {
  std::string name = info.param.engine + "_" + info.param.file;
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
}

// Totals of the files run by this process, printed when it ends.
std::map<std::string, Tally>& totals() {
  static std::map<std::string, Tally> t;
  return t;
}

class TotalsPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& [engine, tally] : totals()) {
      if (tally.files > 1) tally.print(std::cout, "spec suite on " + engine);
    }
  }
};

class SpecTest : public ::testing::TestWithParam<Param> {};

TEST_P(SpecTest, Wast) {
  const Param& p = GetParam();
  auto engine = engine::make_engine(p.engine);
  ASSERT_TRUE(engine.ok()) << engine.error().to_string();
  auto known = KnownFailures::load(WACTOR_SPEC_KNOWN_FAILURES);
  ASSERT_TRUE(known.ok()) << known.error().to_string();
  const std::string dir = std::string(WACTOR_SPEC_JSON_DIR) + "/" + p.file;
  auto script = read_script(dir + "/" + p.file + ".json");
  ASSERT_TRUE(script.ok()) << script.error().to_string();

  const auto start = std::chrono::steady_clock::now();
  ScriptRunner runner(**engine, p.file + ".wast", dir, *known);
  Tally tally = runner.run(*script);
  tally.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  tally.files = 1;

  for (const auto& f : tally.failures) ADD_FAILURE() << f;
  tally.print(std::cout, p.engine + " " + p.file + ".wast");
  Status written = write_tally(std::string(WACTOR_SPEC_RESULTS_DIR) + "/" + p.engine + "/" + p.file + ".txt", tally);
  EXPECT_TRUE(written.ok()) << written.error().to_string();
  totals()[p.engine].add(tally);
}

INSTANTIATE_TEST_SUITE_P(Spec, SpecTest, ::testing::ValuesIn(params()), test_name);

}  // namespace
}  // namespace wactor::spec

int main(int argc, char** argv) {
  using namespace wactor::spec;
  if (argc == 2 && std::string_view(argv[1]) == "--summary") {
    wactor::Status s = print_summary(WACTOR_SPEC_RESULTS_DIR, kEngines, kFiles, std::cout);
    if (!s.ok()) std::cerr << "wactor_spec_tests: " << s.error().message << "\n";
    return s.ok() ? 0 : 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new TotalsPrinter);  // gtest owns it
  return RUN_ALL_TESTS();
}
