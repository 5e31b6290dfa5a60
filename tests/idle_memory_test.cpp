// What an idle component costs the host: the heap of 2,000 idle components of the smallest
// module (guests/wat/idle.wat), as wactor-bench's spawn group measures it (docs/BENCHMARKS.md).
#include <gtest/gtest.h>
#include <malloc.h>

#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WACTOR_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WACTOR_SANITIZED 1
#endif
#endif

[[maybe_unused]] std::uint64_t heap_in_use() {
  const struct mallinfo2 mi = ::mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// aot only: an interp instance (libwabt's store and frames) is ~200 KiB by itself.
TEST(IdleMemory, AnIdleAotComponentTakesUnder6KiBOfHeap) {
#ifdef WACTOR_SANITIZED
  GTEST_SKIP() << "the sanitizer's allocator is not malloc's (mallinfo2)";
#else
  constexpr std::size_t kCount = 2000;
  const auto wasm = test::guest_bytes("idle.wasm");
  std::vector<ComponentSpec> specs;
  specs.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    specs.push_back(ComponentSpec{"c" + std::to_string(i), wasm, test::guest_path("idle.wasm"), {}, 0, {}, {}, {}, {},
                                  {}, {}});
  }
  RuntimeOptions o;
  o.engine = "aot";
  o.workers = 1;
  const auto before = heap_in_use();
  auto rt = Runtime::create(std::move(o), std::move(specs));
  ASSERT_TRUE(rt.ok()) << rt.error().to_string();
  ASSERT_TRUE((*rt)->start().ok());
  ASSERT_TRUE((*rt)->wait_idle(60s));
  const auto after = heap_in_use();
  const double per_component = after > before ? static_cast<double>(after - before) / kCount : 0.0;
  // 9.4 KiB when every component held its ~30 host imports; 3.2 KiB without them.
  EXPECT_LT(per_component, 6.0 * 1024) << per_component << " bytes per idle component";
  (*rt)->stop();
#endif
}

}  // namespace
}  // namespace wactor
