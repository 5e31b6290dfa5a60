// Fuel is exact on every engine, whatever the C compiler does to the aot engine's code
// (-O3 inlines recursive calls, loops become jumps): one unit per function entry and per
// loop iteration, a refill asked for exactly when the counter is empty, and a guest stopped
// by its refill whether it loops without calls or recurses without loops.
// Guest: guests/wat/bench_calls.wat (fib: calls only, no loop; spin: a loop, no calls).
#include <gtest/gtest.h>

#include "instrument/metering.h"
#include "fuel_support.h"
#include "test_support.h"
#include "wactor/engine.h"

namespace wactor::engine {
namespace {

class FuelCount : public ::testing::TestWithParam<std::string>, public test::FuelSlices {
 protected:
  void SetUp() override {
    auto e = make_engine(GetParam());
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    engine = std::move(e).value();
    auto metered = instrument::add_metering(test::guest_bytes("bench_calls.wasm"), "bench_calls.wasm");
    ASSERT_TRUE(metered.ok()) << metered.error().to_string();
    auto mod = engine->load(*metered, "bench_calls.wasm", {});
    ASSERT_TRUE(mod.ok()) << mod.error().to_string();
    module = std::move(mod).value();
    const std::vector<HostFunction> imports = {
        {"bench", "nop", {}, [](CallerMemory&, const Val*, Val*) { return HostOutcome::ok(); }},
        refill_import(),
    };
    auto inst = module->instantiate(imports);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    instance = std::move(inst).value();
  }

  // Calls `name(arg)` with an empty counter (the first check asks for a slice).
  Status run(const std::string& name, std::int32_t arg, bool returns) {
    auto fuel = instance->find_i64_global(instrument::kFuelGlobal);
    if (!fuel.ok()) return std::move(fuel).take_error();
    WACTOR_TRY(instance->set_i64_global(*fuel, 0));
    if (returns) {
      auto r = test::call_i32(*instance, name, {arg});
      if (!r.ok()) return std::move(r).take_error();
      result = *r;
      return {};
    }
    auto fn = instance->find_function(name, {{ValType::kI32}, {}});
    if (!fn.ok()) return std::move(fn).take_error();
    Val a{};
    a.i32 = arg;
    return instance->call(*fn, std::span<const Val>(&a, 1), {});
  }

  // Units used by the last run: what was granted minus what is left in the counter.
  std::int64_t used() {
    auto left = instance->get_global(instrument::kFuelGlobal);
    EXPECT_TRUE(left.ok());
    return granted * slice - (left.ok() ? left->val.i64 : 0);
  }

  std::unique_ptr<Engine> engine;
  std::shared_ptr<const Module> module;
  std::unique_ptr<Instance> instance;
  std::int32_t result = 0;
};

TEST_P(FuelCount, RecursionIsChargedOncePerCall) {
  // fib(20) makes 2 * fib(21) - 1 = 21,891 calls and no loop iteration.
  ASSERT_TRUE(run("fib", 20, true).ok());
  EXPECT_EQ(result, 6765);
  EXPECT_EQ(used(), 21891);
  EXPECT_EQ(refills, 22);  // ceil(21891 / 1000): asked for exactly when empty
}

TEST_P(FuelCount, RecursionWithoutLoopsIsStoppedByItsFuel) {
  max_slices = 5;
  const Status s = run("fib", 25, true);  // 242,785 calls: far more than 5,000 units
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kTrap);
  EXPECT_NE(s.error().message.find("fuel exhausted"), std::string::npos) << s.error().message;
  EXPECT_EQ(refills, 6);  // 5 slices used up, the 6th request stops it
  // The instance stays usable.
  max_slices = 1'000'000;
  granted = 0;
  ASSERT_TRUE(run("fib", 10, true).ok());
  EXPECT_EQ(result, 55);
  EXPECT_EQ(used(), 177);
}

TEST_P(FuelCount, ALoopWithoutCallsIsStoppedExactlyAtItsBudget) {
  // spin(n): one unit for the entry, one per iteration.
  max_slices = 3;
  ASSERT_TRUE(run("spin", 2999, false).ok());  // 3,000 units: exactly the 3 slices
  EXPECT_EQ(refills, 3);
  EXPECT_EQ(used(), 3000);
  refills = 0;
  granted = 0;
  const Status s = run("spin", 3000, false);  // 3,001 units: one too many
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kTrap);
  EXPECT_EQ(refills, 4);
  refills = 0;
  granted = 0;
  const Status endless = run("spin", 0, false);  // 0 - 1 wraps: 2^32 iterations
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(refills, 4);
}

INSTANTIATE_TEST_SUITE_P(Engines, FuelCount, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor::engine
