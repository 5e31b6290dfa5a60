// The aot engine beyond the shared engine suite: its object cache, instance memory freed,
// traps contained on several threads, deep recursion on a worker thread, a missing toolchain.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/wasm2c/aot_engine.h"
#include "test_support.h"
#include "wactor/engine.h"

namespace wactor::engine {
namespace {

// A test binary run by hand must not write to $HOME either.
const bool kCacheDirSet = [] { return ::setenv("WACTOR_CACHE_DIR", WACTOR_TEST_CACHE_DIR, /*overwrite=*/0) == 0; }();

constexpr ValType I32 = ValType::kI32;

// Appends a passive data segment holding `tag`: the same code under a content hash never
// seen before (custom sections would not do: the aot engine drops them before compiling).
// `wasm` must have no data section.
std::vector<std::uint8_t> with_unique_data(std::vector<std::uint8_t> wasm, const std::string& tag) {
  const std::size_t size = 3 + tag.size();  // count, passive flag, length, bytes
  EXPECT_LT(size, 128u);
  wasm.push_back(11);
  wasm.push_back(static_cast<std::uint8_t>(size));
  wasm.push_back(1);
  wasm.push_back(1);
  wasm.push_back(static_cast<std::uint8_t>(tag.size()));
  wasm.insert(wasm.end(), tag.begin(), tag.end());
  return wasm;
}

std::string unique_tag() {
  return std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

class AotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kCacheDirSet);
    if (!aot_available()) GTEST_SKIP() << "no C compiler or wasm2c here";
    auto e = make_engine("aot");
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    engine = std::move(e).value();
  }

  std::shared_ptr<const Module> load(const std::vector<std::uint8_t>& bytes, const LoadOptions& options = {}) {
    auto m = engine->load(bytes, "test.wasm", options);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().to_string());
    return m.ok() ? std::move(m).value() : nullptr;
  }

  std::vector<HostFunction> imports() {
    return {{"test", "host", {{I32}, {I32}}, [](CallerMemory&, const Val* a, Val* r) {
               if (a[0].i32 < 0) return HostOutcome::trapped("negative argument " + std::to_string(a[0].i32));
               r[0].i32 = a[0].i32 * 2;
               return HostOutcome::ok();
             }}};
  }

  std::unique_ptr<Engine> engine;
};

using test::call_i32;

TEST_F(AotTest, SecondLoadIsACacheHitWhateverTheMemoryLimit) {
  const auto bytes = with_unique_data(test::guest_bytes("engine_basics.wasm"), unique_tag());
  const auto before = aot::cache_counters();
  auto first = load(bytes);
  ASSERT_TRUE(first);
  auto report = aot::object_report(*first);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->from_cache);
  EXPECT_EQ(aot::cache_counters().compiled, before.compiled + 1);
  EXPECT_EQ(report->path.rfind(std::string(WACTOR_TEST_CACHE_DIR) + "/aot/", 0), 0u) << report->path;

  LoadOptions capped;
  capped.max_memory_pages = 2;
  auto second = load(bytes, capped);
  ASSERT_TRUE(second);
  EXPECT_TRUE(aot::object_report(*second)->from_cache);
  EXPECT_EQ(aot::object_report(*second)->path, report->path);
  EXPECT_EQ(aot::cache_counters().compiled, before.compiled + 1);
  EXPECT_EQ(aot::cache_counters().hits, before.hits + 1);
  // The limit is enforced by the instance, not baked into the object.
  auto inst = second->instantiate(imports());
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(*call_i32(**inst, "grow", {1}), 1);
  EXPECT_EQ(*call_i32(**inst, "grow", {1}), -1);
  auto uncapped = first->instantiate(imports());
  ASSERT_TRUE(uncapped.ok());
  EXPECT_EQ(*call_i32(**uncapped, "grow", {5}), 1);
}

TEST_F(AotTest, InstanceMemoryIsFreed) {
  auto module = load(test::guest_bytes("engine_basics.wasm"));
  ASSERT_TRUE(module);
  auto cycle = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto inst = module->instantiate(imports());
      ASSERT_TRUE(inst.ok()) << inst.error().to_string();
      if (i % 1000 == 0) ASSERT_EQ(*call_i32(**inst, "grow", {3}), 1);  // some grow too
    }
  };
  cycle(1000);  // warm up the allocator
  const std::size_t before = rss_bytes();
  const auto start = std::chrono::steady_clock::now();
  cycle(20000);
  const auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::printf("aot: instantiate+destroy %.2f us each\n", us / 20000);
  // Each instance holds 64 KiB: 20k leaked instances would be 1.3 GB. (ASan keeps freed
  // blocks in quarantine, so only LeakSanitizer can tell there.)
#if defined(__SANITIZE_ADDRESS__) || (defined(__has_feature) && __has_feature(address_sanitizer))
  return;
#endif
  EXPECT_LT(rss_bytes(), before + (16u << 20)) << "rss grew from " << before << " to " << rss_bytes();
}

TEST_F(AotTest, ManyInstancesAliveAtOnce) {
  auto module = load(test::guest_bytes("engine_basics.wasm"));
  ASSERT_TRUE(module);
  std::vector<std::unique_ptr<Instance>> live;
  for (int i = 0; i < 2000; ++i) {
    auto inst = module->instantiate(imports());
    ASSERT_TRUE(inst.ok());
    live.push_back(std::move(inst).value());
  }
  EXPECT_EQ(*call_i32(*live.back(), "add", {2, 3}), 5);
}

TEST_F(AotTest, ConcurrentTrapsAreContained) {
  auto module = load(test::guest_bytes("engine_basics.wasm"));
  ASSERT_TRUE(module);
  std::atomic<int> failures{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        auto inst = module->instantiate(imports());
        if (!inst.ok()) {
          ++failures;
          return;
        }
        for (int i = 0; i < 3000; ++i) {
          Result<std::int32_t> r = 0;
          std::string expected;
          switch ((i + t) % 5) {
            case 0: r = call_i32(**inst, "div", {1, 0}); expected = "integer divide by zero"; break;
            case 1: r = call_i32(**inst, "load", {70000}); expected = "out of bounds memory access"; break;
            case 2: r = call_i32(**inst, "call_host", {-i - 1}); expected = "negative argument " + std::to_string(-i - 1); break;
            case 3: r = call_i32(**inst, "recurse", {0}); expected = "call stack exhausted"; break;
            default: r = call_i32(**inst, "add", {i, t}); break;
          }
          if (expected.empty()) {
            if (!r.ok() || *r != i + t) ++failures;
          } else if (r.ok() || r.error().code != ErrorCode::kTrap || r.error().message != expected) {
            ++failures;
          }
        }
      });
    }
  }
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(AotTest, InfiniteRecursionTrapsOnAWorkerThread) {
  auto module = load(test::guest_bytes("engine_basics.wasm"));
  ASSERT_TRUE(module);
  std::string message;
  std::int32_t after = 0;
  std::jthread worker([&] {
    auto inst = module->instantiate(imports());
    if (!inst.ok()) return;
    auto r = call_i32(**inst, "recurse", {0});
    message = r.ok() ? "no trap" : r.error().message;
    after = call_i32(**inst, "add", {20, 22}).ok() ? *call_i32(**inst, "add", {20, 22}) : -1;
  });
  worker.join();
  EXPECT_EQ(message, "call stack exhausted");
  EXPECT_EQ(after, 42);
}

TEST_F(AotTest, MissingCompilerIsNamed) {
  const char* old = std::getenv("WACTOR_CC");
  const std::string saved = old ? old : "";
  ::setenv("WACTOR_CC", "/nonexistent/cc", 1);
  auto e = make_engine("aot");
  const auto names = engine_names();
  if (old) ::setenv("WACTOR_CC", saved.c_str(), 1); else ::unsetenv("WACTOR_CC");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(e.error().message.find("C compiler"), std::string::npos) << e.error().message;
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "interp");
}

// Not a benchmark harness: prints rough numbers for the record (see the design notes).
TEST_F(AotTest, SpeedAgainstTheInterpreter) {
  auto bytes = test::guest_bytes("fib.wasm");
  auto interp = make_engine("interp");
  ASSERT_TRUE(interp.ok());
  for (auto* e : {engine.get(), interp->get()}) {
    auto m = e->load(bytes, "fib.wasm", {});
    ASSERT_TRUE(m.ok());
    auto inst = (*m)->instantiate({});
    ASSERT_TRUE(inst.ok());
    auto nop = (*inst)->find_function("nop", {});
    ASSERT_TRUE(nop.ok());
    constexpr int kCalls = 200000;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) ASSERT_TRUE((*inst)->call(*nop, {}, {}).ok());
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kCalls;
    t0 = std::chrono::steady_clock::now();
    auto fib = call_i32(**inst, "fib", {27});
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(fib.ok());
    EXPECT_EQ(*fib, 196418);
    std::printf("%s: empty call %.1f ns, fib(27) %.2f ms\n", std::string(e->name()).c_str(), ns, ms);
  }
}

}  // namespace
}  // namespace wactor::engine
