// Hostile module shapes, on every engine: deep nesting, huge counts, big tables, runaway
// recursion. The modules are generated here (tests/wasm_builder.h), never committed.
#include <gtest/gtest.h>

#include "instrument/metering.h"
#include "sandbox/module_shape.h"
#include "test_support.h"
#include "wasm_builder.h"
#include "wactor/engine.h"

namespace wactor::engine {
namespace {

using test::Bytes;
using test::WasmBuilder;

class Sandbox : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto e = make_engine(GetParam());
    ASSERT_TRUE(e.ok());
    engine = std::move(e).value();
  }

  // Loads (optionally metered, with a refill that always grants a slice) and instantiates.
  Result<std::unique_ptr<Instance>> instantiate(const Bytes& wasm, bool metered, const LoadOptions& o = {}) {
    Bytes bytes = wasm;
    if (metered) {
      auto m = instrument::add_metering(wasm, "hostile.wasm");
      if (!m.ok()) return std::move(m).take_error();
      bytes = std::move(m).value();
    }
    auto mod = engine->load(bytes, "hostile.wasm", o);
    if (!mod.ok()) return std::move(mod).take_error();
    module = std::move(mod).value();
    std::vector<HostFunction> imports;
    if (metered) {
      imports.push_back({std::string(instrument::kInternalModule), std::string(instrument::kRefillImport),
                         {{}, {ValType::kI64}}, [this](CallerMemory&, const Val*, Val* r) {
                           if (slices_left-- <= 0) return HostOutcome::trapped("fuel exhausted");
                           r[0].i64 = 10000;
                           return HostOutcome::ok();
                         }});
    }
    return module->instantiate(imports);
  }

  std::unique_ptr<Engine> engine;
  std::shared_ptr<const Module> module;
  std::int64_t slices_left = 1000;  // of the metered instance's refill: 10M units
};

TEST_P(Sandbox, DeepNestingIsRefusedBeforeAnythingRecursesOnIt) {
  const Bytes deep = test::nested_blocks_module(100'000);
  auto m = engine->load(deep, "deep.wasm", {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(m.error().message.find("deep.wasm: control nesting depth"), std::string::npos) << m.error().message;
  auto metered = instrument::add_metering(deep, "deep.wasm");
  ASSERT_FALSE(metered.ok());
  EXPECT_EQ(metered.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(metered.error().message.find("exceeds the limit of 1024"), std::string::npos) << metered.error().message;
}

TEST_P(Sandbox, NestingWithinTheLimitRunsMeteredAndNot) {
  for (bool metered : {false, true}) {
    auto inst = instantiate(test::nested_blocks_module(200), metered);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    EXPECT_EQ(*test::call_i32(**inst, "f", {}), 7);
  }
  // Exactly at the limit passes metering (which nests one level deeper) and the engine.
  auto inst = instantiate(test::nested_blocks_module(sandbox::ShapeLimits{}.nesting_depth), true);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(*test::call_i32(**inst, "f", {}), 7);
}

TEST_P(Sandbox, TooManyLocalsOrFunctionsAreRefused) {
  WasmBuilder many_locals;
  const auto t = many_locals.type({}, {});
  Bytes locals;
  test::leb_u(locals, 1);
  test::leb_u(locals, 0x40000000);  // a billion i64 locals
  locals.push_back(test::kI64);
  many_locals.func(t, {}, locals);
  auto m = engine->load(many_locals.build(), "locals.wasm", {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(m.error().message.find("local count"), std::string::npos) << m.error().message;

  WasmBuilder many_funcs;
  const auto t2 = many_funcs.type({}, {});
  for (std::uint32_t i = 0; i <= sandbox::ShapeLimits{}.functions; ++i) many_funcs.func(t2, {});
  auto f = engine->load(many_funcs.build(), "funcs.wasm", {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(f.error().message.find("function count 100001 exceeds the limit of 100000"), std::string::npos)
      << f.error().message;
}

// The shapes of call_indirect.wast's `runaway` and `mutual-runaway` (with and without a
// result), deep direct recursion with a big frame, and a function to check the instance after.
Bytes runaway_module() {
  WasmBuilder b;
  const auto proc = b.type({}, {});
  const auto ret = b.type({}, {test::kI32});
  const auto runaway = b.func(proc, {0x41, 0x00, 0x11, static_cast<std::uint8_t>(proc), 0x00});     // table[0]
  const auto m1 = b.func(proc, {0x41, 0x02, 0x11, static_cast<std::uint8_t>(proc), 0x00});          // -> table[2]
  const auto m2 = b.func(proc, {0x41, 0x01, 0x11, static_cast<std::uint8_t>(proc), 0x00});          // -> table[1]
  const auto r = b.func(ret, {0x41, 0x01, 0x41, 0x03, 0x11, static_cast<std::uint8_t>(ret), 0x00, 0x6a});  // 1 + table[3]()
  // (func (param i32) (result i32) (local i64 x 1000) local.get 0 i32.const 1 i32.add call self)
  const auto deep_t = b.type({test::kI32}, {test::kI32});
  Bytes locals{1};
  test::leb_u(locals, 1000);
  locals.push_back(test::kI64);
  const auto deep = static_cast<std::uint32_t>(b.funcs.size());
  Bytes deep_code{0x20, 0x00, 0x41, 0x01, 0x6a, 0x10};
  test::leb_u(deep_code, deep);
  b.func(deep_t, deep_code, locals);
  const auto ok = b.func(ret, {0x41, 0x05});
  b.tables.push_back({4, true, 4});
  b.elem_section = {1, 0x00, 0x41, 0x00, 0x0b, 4, static_cast<std::uint8_t>(runaway), static_cast<std::uint8_t>(m1),
                    static_cast<std::uint8_t>(m2), static_cast<std::uint8_t>(r)};
  b.export_func("runaway", runaway);
  b.export_func("mutual-runaway", m1);
  b.export_func("runaway-result", r);
  b.export_func("deep", deep);
  b.export_func("ok", ok);
  return b.build();
}

TEST_P(Sandbox, RunawayRecursionTrapsCleanlyAndTheInstanceStaysUsable) {
  for (bool metered : {false, true}) {
    // aot compiles a metered module with sibling-call optimisation: `runaway` becomes a loop
    // that its fuel stops (object_cache.cpp), not a stack overflow.
    const bool any_trap = metered && GetParam() == "aot";
    auto inst = instantiate(runaway_module(), metered);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    for (int round = 0; round < 3; ++round) {
      for (const char* name : {"runaway", "mutual-runaway"}) {
        auto fn = (*inst)->find_function(name, {});
        ASSERT_TRUE(fn.ok());
        slices_left = 1000;
        auto st = (*inst)->call(*fn, {}, {});
        ASSERT_FALSE(st.ok()) << name << " metered=" << metered;
        EXPECT_EQ(st.error().code, ErrorCode::kTrap);
        if (!any_trap) EXPECT_NE(st.error().message.find("call stack exhausted"), std::string::npos) << st.error().message;
      }
      for (auto [name, args] : {std::pair<const char*, std::vector<std::int32_t>>{"runaway-result", {}}, {"deep", {0}}}) {
        slices_left = 1000;
        auto r = test::call_i32(**inst, name, args);
        ASSERT_FALSE(r.ok()) << name << " metered=" << metered;
        EXPECT_EQ(r.error().code, ErrorCode::kTrap);
        if (!any_trap) EXPECT_NE(r.error().message.find("call stack exhausted"), std::string::npos) << r.error().message;
      }
      slices_left = 1000;
      EXPECT_EQ(*test::call_i32(**inst, "ok", {}), 5);
    }
  }
}

// Every way out of a function gives its stack budget back: `return`, a branch to the
// function's label, falling off the end, with several results.
TEST_P(Sandbox, EveryExitRestoresTheStackBudget) {
  WasmBuilder b;
  const auto pair_t = b.type({test::kI32}, {test::kI32, test::kI32});
  const auto sum_t = b.type({test::kI32}, {test::kI32});
  const auto pair = b.func(pair_t, {0x20, 0x00, 0x04, 0x40, 0x41, 0x01, 0x41, 0x02, 0x0f, 0x0b,  // if x: return 1, 2
                                    0x41, 0x03, 0x41, 0x04, 0x0c, 0x00});                         // br 0 with 3, 4
  const auto sum = b.func(sum_t, {0x20, 0x00, 0x10, static_cast<std::uint8_t>(pair), 0x6a});
  const auto plain = b.func(sum_t, {0x20, 0x00});
  b.export_func("sum", sum);
  b.export_func("plain", plain);
  for (bool metered : {false, true}) {
    auto inst = instantiate(b.build(), metered);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    for (int i = 0; i < 2000; ++i) {  // a leak of one frame per call would exhaust the budget
      slices_left = 1000;
      ASSERT_EQ(*test::call_i32(**inst, "sum", {i % 2}), i % 2 ? 3 : 7) << i;
      ASSERT_EQ(*test::call_i32(**inst, "plain", {i}), i);
    }
  }
}

// (table 1 funcref) [(table 200000 funcref)], exports grow(n) = table.grow(ref.null, n) and size.
Bytes table_module(std::uint32_t initial) {
  WasmBuilder b;
  const auto grow_t = b.type({test::kI32}, {test::kI32});
  const auto size_t_ = b.type({}, {test::kI32});
  b.export_func("grow", b.func(grow_t, {0xd0, 0x70, 0x20, 0x00, 0xfc, 0x0f, 0x00}));
  b.export_func("size", b.func(size_t_, {0xfc, 0x10, 0x00}));
  b.tables.push_back({initial, false, 0});
  return b.build();
}

TEST_P(Sandbox, TablesAreClampedLikeMemory) {
  for (bool metered : {false, true}) {
    LoadOptions o;
    o.max_table_elements = 1000;
    auto inst = instantiate(table_module(1), metered, o);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    slices_left = 1000;
    EXPECT_EQ(*test::call_i32(**inst, "grow", {static_cast<std::int32_t>(0xFFFFFFF0u)}), -1);
    EXPECT_EQ(*test::call_i32(**inst, "grow", {999}), 1);
    EXPECT_EQ(*test::call_i32(**inst, "grow", {1}), -1);  // past the limit
    EXPECT_EQ(*test::call_i32(**inst, "size", {}), 1000);
  }
  // The default limit applies without options.
  auto inst = instantiate(table_module(1), false);
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(*test::call_i32(**inst, "grow", {static_cast<std::int32_t>(LoadOptions{}.max_table_elements)}), -1);
  EXPECT_EQ(*test::call_i32(**inst, "grow", {static_cast<std::int32_t>(LoadOptions{}.max_table_elements) - 1}), 1);

  auto big = engine->load(table_module(200'000), "big.wasm", {});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(big.error().message.find("initial table size of 200000 elements exceeds the limit of 100000"),
            std::string::npos)
      << big.error().message;
}

TEST(ModuleShape, EveryLimitIsNamedAndMalformedBytesAreLeftToTheValidator) {
  sandbox::ShapeLimits small;
  small.nesting_depth = 3;
  EXPECT_TRUE(sandbox::check_module_shape(test::nested_blocks_module(3), "m", small).ok());
  auto r = sandbox::check_module_shape(test::nested_blocks_module(4), "m", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "m: control nesting depth 4 exceeds the limit of 3 (in function body 0)");
  small.module_bytes = 10;
  EXPECT_NE(sandbox::check_module_shape(test::nested_blocks_module(1), "m", small).error().message.find("module size"),
            std::string::npos);
  const Bytes garbage(100, 0xAB);
  EXPECT_TRUE(sandbox::check_module_shape(garbage, "m").ok());
}

INSTANTIATE_TEST_SUITE_P(Engines, Sandbox, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor::engine
