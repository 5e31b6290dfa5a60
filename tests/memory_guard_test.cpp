// The memory guard pass (src/instrument/memory_guard.h), on every engine: the rewritten
// module validates and loads, every memory.grow asks the host first, and the grow's
// semantics are unchanged when the host grants.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "instrument/memory_guard.h"
#include "instrument/metering.h"
#include "test_support.h"
#include "wactor/engine.h"
#include "wasm_builder.h"

namespace wactor::engine {
namespace {

using test::call_i32;

constexpr ValType I32 = ValType::kI32;

class MemoryGuardTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto e = make_engine(GetParam());
    ASSERT_TRUE(e.ok());
    engine = std::move(e).value();
  }

  std::unique_ptr<Instance> instantiate(std::uint64_t max_pages) {
    auto guarded = instrument::add_memory_guard(test::guest_bytes("engine_basics.wasm"), "engine_basics.wasm");
    EXPECT_TRUE(guarded.ok()) << (guarded.ok() ? "" : guarded.error().to_string());
    LoadOptions o;
    o.max_memory_pages = max_pages;
    auto m = engine->load(*guarded, "engine_basics.wasm", o);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().to_string());
    module = std::move(m).value();
    std::vector<HostFunction> imports{
        {"test", "host", {{I32}, {I32}},
         [](CallerMemory&, const Val* a, Val* r) {
           r[0].i32 = a[0].i32 * 2;
           return HostOutcome::ok();
         }},
        {std::string(instrument::kInternalModule), std::string(instrument::kMemoryPermitImport), {{I32}, {I32}},
         [this](CallerMemory&, const Val* a, Val* r) {
           permits.push_back(a[0].i32);
           r[0].i32 = grant ? 1 : 0;
           return HostOutcome::ok();
         }},
        {std::string(instrument::kInternalModule), std::string(instrument::kMemoryRefundImport), {{I32}, {}},
         [this](CallerMemory&, const Val* a, Val*) {
           refunds.push_back(a[0].i32);
           return HostOutcome::ok();
         }}};
    auto inst = module->instantiate(imports);
    EXPECT_TRUE(inst.ok()) << (inst.ok() ? "" : inst.error().to_string());
    return std::move(inst).value();
  }

  std::unique_ptr<Engine> engine;
  std::shared_ptr<const Module> module;
  bool grant = true;
  std::vector<std::int32_t> permits, refunds;
};

TEST_P(MemoryGuardTest, GrowAsksTheHostFirstAndKeepsItsSemantics) {
  auto inst = instantiate(4);
  ASSERT_NE(inst, nullptr);
  EXPECT_EQ(*call_i32(*inst, "grow", {1}), 1);  // 1 -> 2 pages
  EXPECT_EQ(*call_i32(*inst, "grow", {5}), -1);  // past the module's own cap: the pages go back
  EXPECT_EQ(*call_i32(*inst, "grow", {0}), 2);
  EXPECT_EQ(permits, (std::vector<std::int32_t>{1, 5, 0}));
  EXPECT_EQ(refunds, (std::vector<std::int32_t>{5}));
  grant = false;  // the host refuses: -1, nothing grown, nothing to give back
  EXPECT_EQ(*call_i32(*inst, "grow", {1}), -1);
  EXPECT_EQ(inst->memory().size(), 2u * 65536u);
  EXPECT_EQ(refunds.size(), 1u);
  grant = true;
  EXPECT_EQ(*call_i32(*inst, "grow", {2}), 2);  // up to the cap exactly
  EXPECT_EQ(inst->memory().size(), 4u * 65536u);
  // Function indices moved for the two imports: calls, exports and the host import still meet.
  EXPECT_EQ(*call_i32(*inst, "add", {40, 2}), 42);
  EXPECT_EQ(*call_i32(*inst, "call_host", {21}), 42);
  auto deep = call_i32(*inst, "recurse", {0});
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, ErrorCode::kTrap);
}

TEST_P(MemoryGuardTest, AMeteredModuleIsGuardedToo) {
  auto metered = instrument::add_metering(test::guest_bytes("probe.wasm"), "probe.wasm");
  ASSERT_TRUE(metered.ok());
  auto guarded = instrument::add_memory_guard(*metered, "probe.wasm");
  ASSERT_TRUE(guarded.ok()) << guarded.error().to_string();
  auto m = engine->load(*guarded, "probe.wasm", {});
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  int permit = 0, refund = 0;
  for (const auto& i : (*m)->info().imports) {
    if (i.module != instrument::kInternalModule) continue;
    if (i.name == instrument::kMemoryPermitImport && i.sig.to_string() == "(i32) -> (i32)") ++permit;
    if (i.name == instrument::kMemoryRefundImport && i.sig.to_string() == "(i32) -> ()") ++refund;
  }
  EXPECT_EQ(permit, 1);
  EXPECT_EQ(refund, 1);
}

TEST(MemoryGuard, AModuleThatNeverGrowsIsLeftAlone) {
  test::WasmBuilder b;
  b.memory = true;
  const auto t = b.type({test::kI32}, {test::kI32});
  b.export_func("id", b.func(t, {0x20, 0x00}));
  const auto bytes = b.build();
  auto guarded = instrument::add_memory_guard(bytes, "id.wasm");
  ASSERT_TRUE(guarded.ok()) << guarded.error().to_string();
  EXPECT_EQ(*guarded, bytes);
}

INSTANTIATE_TEST_SUITE_P(Engines, MemoryGuardTest, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor::engine
