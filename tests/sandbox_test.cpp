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
                         {{}, {ValType::kI64}}, [](CallerMemory&, const Val*, Val* r) {
                           r[0].i64 = 10000;
                           return HostOutcome::ok();
                         }});
    }
    return module->instantiate(imports);
  }

  std::unique_ptr<Engine> engine;
  std::shared_ptr<const Module> module;
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
