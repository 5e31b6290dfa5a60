// The differential harness (fuzz/differential.h) itself: it must see agreement where the
// engines agree, and every kind of difference where they do not.
#include <gtest/gtest.h>

#include <string>

#include "differential.h"
#include "wactor/engine.h"

namespace wactor::difffuzz {
namespace {

using engine::Val;

// Host calls, traps of several kinds, a guest that loops forever, memory writes.
constexpr std::string_view kModule = R"((module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (import "fuzzing-support" "log-f64" (func $logf (param f64)))
  (memory (export "memory") 1 2)
  (global $n (mut i32) (i32.const 0))
  (func (export "add") (result i32)
    (call $log (i32.const 7))
    (call $logf (f64.div (f64.const 0) (f64.const 0)))
    (i32.store (i32.const 16) (i32.const 0x01020304))
    (i32.const 42))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "div0") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "oob") (result i32) (i32.load (i32.const 0x7fffffff)))
  (func (export "unreachable") (unreachable))
  (func (export "spin") (loop $l
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (i32.store (i32.const 0) (global.get $n))
      (br $l)))
  (func (export "count") (result i32) (global.get $n))
  (func (export "grow") (result i32) (memory.grow (i32.const 5))))
)";

// An engine that behaves like the interpreter except where told to go wrong.
enum class Skew { kNone, kResult, kMemory, kHostCall, kTrap };

class SkewedInstance final : public engine::Instance {
 public:
  SkewedInstance(std::unique_ptr<engine::Instance> inner, Skew skew) : inner_(std::move(inner)), skew_(skew) {}
  Result<engine::ExportIndex> find_function(std::string_view name, const engine::Signature& sig) override {
    return inner_->find_function(name, sig);
  }
  Status call(engine::ExportIndex fn, std::span<const Val> args, std::span<Val> results) override {
    auto s = inner_->call(fn, args, results);
    if (skew_ == Skew::kResult && s.ok() && !results.empty()) results[0].i32 += 1;
    if (skew_ == Skew::kMemory && !inner_->memory().empty()) inner_->memory()[100] ^= 1;
    if (skew_ == Skew::kTrap && s.ok() && !results.empty()) return make_error(ErrorCode::kTrap, "unreachable executed");
    return s;
  }
  Result<engine::ExportIndex> find_i64_global(std::string_view name) override { return inner_->find_i64_global(name); }
  Status set_i64_global(engine::ExportIndex g, std::int64_t v) override { return inner_->set_i64_global(g, v); }
  std::span<std::uint8_t> memory() override { return inner_->memory(); }
  Result<engine::TypedVal> get_global(std::string_view name) override { return inner_->get_global(name); }

 private:
  std::unique_ptr<engine::Instance> inner_;
  Skew skew_;
};

class SkewedModule final : public engine::Module {
 public:
  SkewedModule(std::shared_ptr<const engine::Module> inner, Skew skew) : inner_(std::move(inner)), skew_(skew) {}
  const engine::ModuleInfo& info() const override { return inner_->info(); }
  Result<std::unique_ptr<engine::Instance>> instantiate(std::span<const engine::HostFunction> imports) const override {
    std::vector<engine::HostFunction> hs(imports.begin(), imports.end());
    if (skew_ == Skew::kHostCall) {
      for (auto& h : hs) {
        if (h.name != "log-i32") continue;
        h.fn = [inner = h.fn](engine::CallerMemory& m, const Val* a, Val* r) {
          Val changed = a[0];
          changed.i32 += 1;
          return inner(m, &changed, r);
        };
      }
    }
    auto inst = inner_->instantiate(hs);
    if (!inst.ok()) return std::move(inst).take_error();
    return std::unique_ptr<engine::Instance>(std::make_unique<SkewedInstance>(std::move(inst).value(), skew_));
  }

 private:
  std::shared_ptr<const engine::Module> inner_;
  Skew skew_;
};

class SkewedEngine final : public engine::Engine {
 public:
  explicit SkewedEngine(Skew skew) : inner_(std::move(engine::make_engine("interp")).value()), skew_(skew) {}
  std::string_view name() const override { return "skewed"; }
  Result<std::shared_ptr<const engine::Module>> load(std::span<const std::uint8_t> bytes, std::string_view origin,
                                                     const engine::LoadOptions& options) override {
    auto m = inner_->load(bytes, origin, options);
    if (!m.ok()) return std::move(m).take_error();
    return std::shared_ptr<const engine::Module>(std::make_shared<SkewedModule>(std::move(m).value(), skew_));
  }

 private:
  std::unique_ptr<engine::Engine> inner_;
  Skew skew_;
};

std::vector<std::uint8_t> module_bytes() {
  auto wasm = wat_to_wasm(kModule, "differential_test.wat");
  EXPECT_TRUE(wasm.ok()) << wasm.error().message;
  return wasm.ok() ? *wasm : std::vector<std::uint8_t>{};
}

Report compare_with(Skew skew, std::string_view other = "interp") {
  auto a = engine::make_engine(other);
  EXPECT_TRUE(a.ok());
  SkewedEngine b(skew);
  Config config;
  config.fuel_per_step = 10'000;
  return compare(**a, b, module_bytes(), "differential_test.wat", config);
}

TEST(Differential, EnginesAgreeOnHostCallsTrapsFuelAndMemory) {
  for (std::string_view e : engine::engine_names()) {
    auto a = engine::make_engine(e);
    auto b = engine::make_engine("interp");
    ASSERT_TRUE(a.ok() && b.ok());
    Config config;
    config.fuel_per_step = 10'000;
    const Report r = compare(**a, **b, module_bytes(), "differential_test.wat", config);
    EXPECT_EQ(r.verdict, Verdict::kAgree) << e << ": " << r.difference;
    EXPECT_TRUE(r.loaded);
    EXPECT_EQ(r.steps, 9u) << e;  // instantiation and eight exports
    EXPECT_EQ(r.traps, 4u) << e;  // div0, oob, unreachable, spin (on fuel)
  }
}

TEST(Differential, SeesADifferentResult) {
  const Report r = compare_with(Skew::kResult);
  ASSERT_EQ(r.verdict, Verdict::kDiffer);
  EXPECT_NE(r.difference.find("call add:function() -> (i32): interp ok i32:42 (), skewed ok i32:43"), std::string::npos)
      << r.difference;
}

TEST(Differential, SeesADifferentMemoryByte) {
  const Report r = compare_with(Skew::kMemory);
  ASSERT_EQ(r.verdict, Verdict::kDiffer);
  EXPECT_NE(r.difference.find("memory differs from byte 100"), std::string::npos) << r.difference;
}

TEST(Differential, SeesADifferentHostCallArgument) {
  const Report r = compare_with(Skew::kHostCall);
  ASSERT_EQ(r.verdict, Verdict::kDiffer);
  EXPECT_NE(r.difference.find("host calls differ"), std::string::npos) << r.difference;
  EXPECT_NE(r.difference.find("fuzzing-support.log-i32(i32:8)"), std::string::npos) << r.difference;
  // NaNs compare equal whatever their bits: the f64 log of 0/0 is no difference.
  EXPECT_NE(r.difference.find("fuzzing-support.log-f64(f64:nan)"), std::string::npos) << r.difference;
}

TEST(Differential, SeesATrapWhereTheOtherReturns) {
  const Report r = compare_with(Skew::kTrap);
  ASSERT_EQ(r.verdict, Verdict::kDiffer);
  EXPECT_NE(r.difference.find("call add:function() -> (i32): interp ok i32:42 (), skewed trap unreachable (unreachable executed)"), std::string::npos)
      << r.difference;
}

TEST(Differential, BothRefusingAModuleIsAgreement) {
  auto a = engine::make_engine("interp");
  SkewedEngine b(Skew::kNone);
  const std::vector<std::uint8_t> junk{0, 'a', 's', 'm', 9, 9};
  const Report r = compare(**a, b, junk, "junk.wasm", Config{});
  EXPECT_EQ(r.verdict, Verdict::kAgree);
  EXPECT_FALSE(r.loaded);
}

TEST(Differential, TrapKindsOfBothEnginesMatch) {
  EXPECT_EQ(trap_kind("out of bounds memory access: access at 4294967295+4 >= max value 65536"), "oob");
  EXPECT_EQ(trap_kind("out of bounds memory access"), "oob");
  EXPECT_EQ(trap_kind("undefined table index"), "indirect");
  EXPECT_EQ(trap_kind("uninitialized table element"), "indirect");
  EXPECT_EQ(trap_kind("indirect call signature mismatch"), "indirect");
  EXPECT_EQ(trap_kind("indirect call to a null or mistyped table element"), "indirect");
  EXPECT_EQ(trap_kind("call stack exhausted"), "stack");
  EXPECT_EQ(trap_kind("fuel: the step's budget is used up"), "fuel");
  EXPECT_EQ(trap_kind("integer divide by zero"), "div0");
  EXPECT_EQ(trap_kind("something new"), "other");
}

}  // namespace
}  // namespace wactor::difffuzz
