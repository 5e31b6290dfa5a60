// Every input the fuzzers ever found a problem with, replayed through the public paths.
#include <gtest/gtest.h>

#include <filesystem>

#include "differential.h"
#include "test_support.h"
#include "wactor/manifest.h"

namespace wactor {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_all(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(std::string(WACTOR_SOURCE_DIR) + "/fuzz/regressions/" + dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

TEST(FuzzRegressions, ModulesAreRefusedWithAnError) {
  auto inputs = read_all("module_load");
  ASSERT_FALSE(inputs.empty());
  for (const auto& bytes : inputs) {
    RuntimeOptions o;
    o.workers = 1;
    auto rt = Runtime::create(std::move(o), {ComponentSpec{"x", {bytes.begin(), bytes.end()}, "regression.wasm", "", 0, {}, {}, {}, {}, {}, {}}});
    ASSERT_FALSE(rt.ok());
    EXPECT_EQ(rt.error().code, ErrorCode::kInvalidModule) << rt.error().message;
  }
}

TEST(FuzzRegressions, ManifestsAreRefusedWithAnError) {
  auto inputs = read_all("manifest");
  ASSERT_FALSE(inputs.empty());
  for (const auto& text : inputs) {
    auto m = parse_manifest(text, "regression.toml");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().message.rfind("regression.toml:", 0), 0u) << m.error().message;
  }
}

// Modules on which the engines once differed: both engines must now agree on each.
TEST(FuzzRegressions, DifferentialModulesAgreeOnBothEngines) {
  auto interp = engine::make_engine("interp");
  auto aot = engine::make_engine("aot");
  ASSERT_TRUE(interp.ok() && aot.ok());
  std::size_t seen = 0;
  for (const auto& e : fs::directory_iterator(std::string(WACTOR_SOURCE_DIR) + "/fuzz/regressions/differential")) {
    if (e.path().extension() != ".wat") continue;
    ++seen;
    std::ifstream in(e.path());
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto wasm = difffuzz::wat_to_wasm(text, e.path().string());
    ASSERT_TRUE(wasm.ok()) << wasm.error().message;
    const auto r = difffuzz::compare(**interp, **aot, *wasm, e.path().string(), difffuzz::Config{});
    EXPECT_NE(r.verdict, difffuzz::Verdict::kDiffer) << e.path() << ": " << r.difference;
  }
  EXPECT_GT(seen, 0u);
}

}  // namespace
}  // namespace wactor
