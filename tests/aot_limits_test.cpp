// Hostile modules against the compile budget and the native stack (issue 9, items 3 and 7),
// and the LoadOptions checks every engine makes before compiling.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "engine/wasm2c/aot_engine.h"
#include "test_support.h"
#include "wactor/engine.h"

namespace wactor::engine {
namespace {

const bool kCacheDirSet = [] { return ::setenv("WACTOR_CACHE_DIR", WACTOR_TEST_CACHE_DIR, /*overwrite=*/0) == 0; }();

void leb(std::vector<std::uint8_t>& out, std::uint64_t v) {
  do {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(static_cast<std::uint8_t>(b | (v ? 0x80 : 0)));
  } while (v);
}

void section(std::vector<std::uint8_t>& out, std::uint8_t id, const std::vector<std::uint8_t>& body) {
  out.push_back(id);
  leb(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

// (func $f (export "f") (param i32) (result i64)): 0 if the argument is 0, else `live` i64
// loads kept live across the recursive call f(arg - 1), then summed: a native frame of
// about 8 * live bytes. `salt` goes into a passive data segment (a fresh cache key).
std::vector<std::uint8_t> live_values_module(std::size_t live, const std::string& salt) {
  std::vector<std::uint8_t> m{0, 'a', 's', 'm', 1, 0, 0, 0};
  section(m, 1, {1, 0x60, 1, 0x7f, 1, 0x7e});
  section(m, 3, {1, 0});
  section(m, 5, {1, 0, 1});
  section(m, 7, {1, 1, 'f', 0, 0});
  std::vector<std::uint8_t> body{0, 0x20, 0, 0x45, 0x04, 0x40, 0x42, 0, 0x0f, 0x0b};
  for (std::size_t i = 0; i < live; ++i) {
    body.insert(body.end(), {0x41, 0, 0x29, 0x03});
    leb(body, (i * 8) % 60000);
  }
  body.insert(body.end(), {0x20, 0, 0x41, 1, 0x6b, 0x10, 0});
  body.insert(body.end(), live, 0x7c);
  body.push_back(0x0b);
  std::vector<std::uint8_t> code{1};
  leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  section(m, 10, code);
  std::vector<std::uint8_t> data{1, 1};
  leb(data, salt.size());
  data.insert(data.end(), salt.begin(), salt.end());
  section(m, 11, data);
  return m;
}

std::string fresh() {
  static int n = 0;
  return std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

class AotLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kCacheDirSet);
    if (!aot_available()) GTEST_SKIP() << "no C compiler or wasm2c here";
    auto e = make_engine("aot");
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    engine = std::move(e).value();
  }
  std::unique_ptr<Engine> engine;
};

// Item 3: a frame larger than the limit is refused at load with a clear error; with the
// default limit the same function recurses until "call stack exhausted", on a worker thread.
TEST_F(AotLimitsTest, FrameOverTheLimitIsRefusedAndRecursionTrapsBelowIt) {
  LoadOptions small;
  small.max_frame_bytes = 1024;
  auto refused = engine->load(live_values_module(300, fresh()), "frame.wasm", small);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.error().message.find("native stack frame of"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("max_frame_bytes"), std::string::npos) << refused.error().message;

  auto m = engine->load(live_values_module(300, fresh()), "frame.wasm", {});
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  std::string message;
  std::jthread worker([&] {
    auto inst = (*m)->instantiate({});
    if (!inst.ok()) return;
    Val arg{}, result{};
    arg.i32 = 1 << 30;
    auto fn = (*inst)->find_function("f", {{ValType::kI32}, {ValType::kI64}});
    if (!fn.ok()) return;
    auto r = (*inst)->call(*fn, std::span<const Val>(&arg, 1), std::span<Val>(&result, 1));
    message = r.ok() ? "no trap" : r.error().message;
  });
  worker.join();
  EXPECT_EQ(message, "call stack exhausted");
}

// Item 7: the compiler is stopped at the time limit, and the error names it.
TEST_F(AotLimitsTest, CompileTimeLimitStopsTheCompiler) {
  LoadOptions quick;
  quick.compile_timeout_ms = 100;
  const auto start = std::chrono::steady_clock::now();
  auto m = engine->load(live_values_module(4000, fresh()), "slow.wasm", quick);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(m.error().message.find("compile_timeout_ms"), std::string::npos) << m.error().message;
  EXPECT_LT(took, std::chrono::seconds(30));
}

TEST_F(AotLimitsTest, CompileMemoryLimitStopsTheCompiler) {
  LoadOptions tight;
  tight.compile_memory_bytes = 48u << 20;
  auto m = engine->load(live_values_module(2000, fresh()), "big.wasm", tight);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("compile_memory_bytes"), std::string::npos) << m.error().message;
  EXPECT_EQ(m.error().code, ErrorCode::kResourceExhausted) << m.error().to_string();
  std::printf("%s\n", m.error().to_string().c_str());
}

TEST_F(AotLimitsTest, LargeFunctionIsRefusedBeforeCompiling) {
  LoadOptions options;
  options.max_function_bytes = 1000;
  const auto before = aot::cache_counters();
  auto m = engine->load(live_values_module(300, fresh()), "large.wasm", options);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(m.error().message.find("max_function_bytes"), std::string::npos) << m.error().message;
  EXPECT_EQ(aot::cache_counters().compiled, before.compiled);
}

// Both engines: the size limit and the caller's check come before anything is compiled.
class LoadChecksTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LoadChecksTest, ModuleSizeAndCheckComeFirst) {
  auto e = make_engine(GetParam());
  ASSERT_TRUE(e.ok());
  const auto bytes = live_values_module(10, fresh());
  LoadOptions small;
  small.max_module_bytes = bytes.size() - 1;
  auto too_big = (*e)->load(bytes, "m.wasm", small);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(too_big.error().message.find("max_module_bytes"), std::string::npos);

  const auto before = aot::cache_counters();
  LoadOptions checked;
  std::size_t exports_seen = 0;
  checked.check = [&](const ModuleInfo& info) -> Status {
    exports_seen = info.exports.size();
    return make_error(ErrorCode::kAbiViolation, "not an ABI guest");
  };
  auto refused = (*e)->load(bytes, "m.wasm", checked);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kAbiViolation);
  EXPECT_EQ(exports_seen, 1u);
  EXPECT_EQ(aot::cache_counters().compiled, before.compiled);
}

INSTANTIATE_TEST_SUITE_P(Engines, LoadChecksTest, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor::engine
