// The aot engine's fuel counter in a register (r15, gcc on x86-64; src/engine/wasm2c/README.md
// "Fuel and the C compiler"): fuel stays exact on every exit of a guest call (return, trap,
// host trap, fuel stop), with nested entries and with many instances on the same threads, and
// the caller's r15 survives. Each test runs on the interpreter, on aot as configured for this
// machine (the register when the compiler is gcc) and on aot forced to the in-memory counter.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>

#include "differential.h"
#include "engine/wasm2c/aot_engine.h"
#include "engine/wasm2c/object_cache.h"
#include "instrument/metering.h"
#include "fuel_support.h"
#include "test_support.h"
#include "wactor/engine.h"

#if defined(__x86_64__)
// wactor_test_r15_after_call(c, canary): puts `canary` in r15, calls c->call(c->box,
// c->trampoline, c->args, c->results, c->stack_limit), stores its result in c->trap and returns
// r15 as the call left it (in assembly: no compiled frame in between saves and restores r15).
extern "C" std::uint64_t wactor_test_r15_after_call(wactor::engine::aot::RawCall* c, std::uint64_t canary);
asm(R"(
  .text
  .globl wactor_test_r15_after_call
  .type wactor_test_r15_after_call, @function
wactor_test_r15_after_call:
  push %r15
  push %rbx
  sub $8, %rsp
  mov %rdi, %rbx
  mov %rsi, %r15
  mov 8(%rbx), %rdi
  mov 16(%rbx), %rsi
  mov 24(%rbx), %rdx
  mov 32(%rbx), %rcx
  mov 40(%rbx), %r8
  call *(%rbx)
  mov %eax, 48(%rbx)
  mov %r15, %rax
  add $8, %rsp
  pop %rbx
  pop %r15
  ret
  .size wactor_test_r15_after_call, .-wactor_test_r15_after_call
)");
static_assert(offsetof(wactor::engine::aot::RawCall, box) == 8 &&
              offsetof(wactor::engine::aot::RawCall, trampoline) == 16 &&
              offsetof(wactor::engine::aot::RawCall, args) == 24 &&
              offsetof(wactor::engine::aot::RawCall, results) == 32 &&
              offsetof(wactor::engine::aot::RawCall, stack_limit) == 40 &&
              offsetof(wactor::engine::aot::RawCall, trap) == 48);
#endif

namespace wactor::engine {
namespace {

// down(n, kind) recurses n levels, spins 10 loop iterations at the bottom and then, by kind:
// 0 returns, 1 unreachable, 2 an out-of-bounds load, 3 calls a host function that traps,
// 4 divides by zero, 5 calls a host function that may re-enter the guest.
constexpr std::string_view kGuest = R"((module
  (import "host" "fail" (func $fail (param i32) (result i32)))
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $down (export "down") (param $n i32) (param $kind i32) (result i32) (local $i i32)
    (if (local.get $n)
      (then (return (i32.add (i32.const 1)
                             (call $down (i32.sub (local.get $n) (i32.const 1)) (local.get $kind))))))
    (local.set $i (i32.const 10))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $l (local.get $i)))
    (if (i32.eq (local.get $kind) (i32.const 1)) (then unreachable))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then (return (i32.load (i32.const 70000)))))
    (if (i32.eq (local.get $kind) (i32.const 3)) (then (return (call $fail (i32.const 1)))))
    (if (i32.eq (local.get $kind) (i32.const 4)) (then (return (i32.div_s (i32.const 1) (local.get $i)))))
    (if (i32.eq (local.get $kind) (i32.const 5)) (then (return (call $reenter (i32.const 7)))))
    (i32.const 0)))
)";

// fib(n) costs 2 fib(n+1) - 1 units (one per call).
std::int64_t fib_cost(int n) {
  std::int64_t a = 0, b = 1;
  for (int i = 0; i < n + 1; ++i) {
    const std::int64_t c = a + b;
    a = b;
    b = c;
  }
  return 2 * a - 1;
}

Result<std::unique_ptr<Engine>> engine_for(const std::string& config) {
  if (config == "aot") return make_aot_engine(aot::EngineOptions{});
  if (config == "aot_memory") return make_aot_engine(aot::EngineOptions{.fuel_in_register = false});
  return make_engine(config);
}

std::vector<std::string> configs() {
  std::vector<std::string> out{"interp"};
  if (aot_available()) out.insert(out.end(), {"aot", "aot_memory"});
  return out;
}

// gcc is the compiler with global register variables, x86-64 the architecture with r15.
bool register_expected() {
#if defined(__x86_64__)
  auto tools = aot::find_toolchain();
  return tools.ok() && !tools->clang;
#else
  return false;
#endif
}

// One metered instance of kGuest with its own fuel: slices of `slice` units, at most
// `max_slices` of them per call.
struct Guest : test::FuelSlices {
  std::shared_ptr<const Module> module;
  std::unique_ptr<Instance> instance;
  std::int64_t fuel_seen_by_host = -1;  // the counter as host function "reenter" read it
  std::function<Status()> on_reenter;    // what "reenter" does besides reading the counter
  ExportIndex fuel = 0;

  Status load(Engine& engine) {
    auto wasm = difffuzz::wat_to_wasm(kGuest, "fuel_register.wat");
    if (!wasm.ok()) return std::move(wasm).take_error();
    auto metered = instrument::add_metering(*wasm, "fuel_register.wasm");
    if (!metered.ok()) return std::move(metered).take_error();
    auto m = engine.load(*metered, "fuel_register.wasm", {});
    if (!m.ok()) return std::move(m).take_error();
    module = std::move(m).value();
    const std::vector<HostFunction> imports = {
        {"host", "fail", {{ValType::kI32}, {ValType::kI32}},
         [](CallerMemory&, const Val*, Val*) { return HostOutcome::trapped("host says no"); }},
        {"host", "reenter", {{ValType::kI32}, {ValType::kI32}},
         [this](CallerMemory&, const Val* a, Val* r) {
           auto left = instance->get_global(instrument::kFuelGlobal);
           fuel_seen_by_host = left.ok() ? left->val.i64 : -2;
           if (on_reenter) {
             if (Status s = on_reenter(); !s.ok()) return HostOutcome::trapped(s.error().message);
           }
           r[0].i32 = a[0].i32;
           return HostOutcome::ok();
         }},
        refill_import(),
    };
    auto inst = module->instantiate(imports);
    if (!inst.ok()) return std::move(inst).take_error();
    instance = std::move(inst).value();
    auto g = instance->find_i64_global(instrument::kFuelGlobal);
    if (!g.ok()) return std::move(g).take_error();
    fuel = *g;
    return {};
  }

  // Calls `name(args)` with `start` units in the counter (and no slice granted yet).
  Result<std::int32_t> run(const std::string& name, std::vector<std::int32_t> args, std::int64_t start = 0) {
    granted = 0;
    refills = 0;
    WACTOR_TRY(instance->set_i64_global(fuel, start));
    return test::call_i32(*instance, name, std::move(args));
  }

  std::int64_t left() {
    auto g = instance->get_global(instrument::kFuelGlobal);
    EXPECT_TRUE(g.ok());
    return g.ok() ? g->val.i64 : -1;
  }
  // Units used by the last run that started with `start`.
  std::int64_t used(std::int64_t start = 0) { return start + granted * slice - left(); }
};

TEST(FuelToRegister, EveryAccessButTheGettersAddressGoesToTheRegister) {
  const std::string generated =
      "static void init_globals(Z_m_instance_t* instance) {\n  instance->w2c_e2 = 0ull;\n  instance->w2c_e21 = 1;\n}\n"
      "static u32 w2c_e1(Z_m_instance_t* instance, u32 w2c_p0) {\n  w2c_j0 = instance->w2c_e2;\n"
      "  instance->w2c_e2 = w2c_j0;\n  x = myinstance->w2c_e2;\n}\n"
      "/* export: 'e2' */\nu64* Z_mZ_e2(Z_m_instance_t* instance) {\n  return &instance->w2c_e2;\n}\n";
  auto out = aot::fuel_to_register(generated, "Z_mZ_e2");
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(*out,
            "static void init_globals(Z_m_instance_t* instance) {\n  wactor_fuel = 0ull;\n  instance->w2c_e21 = 1;\n}\n"
            "static u32 w2c_e1(Z_m_instance_t* instance, u32 w2c_p0) {\n  w2c_j0 = wactor_fuel;\n"
            "  wactor_fuel = w2c_j0;\n  x = myinstance->w2c_e2;\n}\n"
            "/* export: 'e2' */\nu64* Z_mZ_e2(Z_m_instance_t* instance) {\n  return &instance->w2c_e2;\n}\n");
}

TEST(FuelToRegister, NoGetterNoRewrite) {
  const std::string generated = "u64* Z_mZ_e3(Z_m_instance_t* instance) {\n  return &instance->w2c_e3;\n}\n";
  EXPECT_EQ(aot::fuel_to_register(generated, "Z_mZ_e2").error().code, ErrorCode::kInternal);
  EXPECT_EQ(aot::fuel_to_register(generated, "").error().code, ErrorCode::kInternal);
  EXPECT_TRUE(aot::fuel_to_register(generated, "Z_mZ_e3").ok());
}

class FuelRegister : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto e = engine_for(GetParam());
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    engine = std::move(e).value();
    auto i = make_engine("interp");
    ASSERT_TRUE(i.ok());
    interp = std::move(i).value();
  }
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Engine> interp;  // the reference
};

TEST_P(FuelRegister, TheCounterIsInARegisterExactlyWhereItCanBe) {
  Guest g;
  ASSERT_TRUE(g.load(*engine).ok());
  const auto report = aot::object_report(*g.module);
  if (GetParam() == "interp") {
    EXPECT_FALSE(report.has_value());
    return;
  }
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->fuel_in_register, GetParam() == "aot" && register_expected());
}

TEST_P(FuelRegister, FuelLeftAfterATrapIsWhatTheInterpreterReports) {
  Guest mine, ref;
  ASSERT_TRUE(mine.load(*engine).ok());
  ASSERT_TRUE(ref.load(*interp).ok());
  // A slice of 97 units: the trap comes mid-slice, after a few refills.
  for (Guest* g : {&mine, &ref}) g->slice = 97;
  const char* messages[] = {"", "unreachable", "out of bounds", "host says no", "divide by zero"};
  for (int kind = 1; kind <= 4; ++kind) {
    SCOPED_TRACE("kind " + std::to_string(kind));
    for (std::int64_t start : {0, 5, 1000}) {
      auto a = mine.run("down", {300, kind}, start);
      auto b = ref.run("down", {300, kind}, start);
      ASSERT_FALSE(a.ok());
      ASSERT_FALSE(b.ok());
      EXPECT_EQ(a.error().code, ErrorCode::kTrap);
      EXPECT_NE(a.error().message.find(messages[kind]), std::string::npos) << a.error().message;
      EXPECT_EQ(mine.left(), ref.left()) << "start " << start;
      EXPECT_EQ(mine.refills, ref.refills);
      // 301 entries of down, 10 iterations: all charged before the trap.
      EXPECT_EQ(mine.used(start), 311);
    }
  }
  // And after a normal return.
  auto a = mine.run("down", {300, 0}, 50);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 300);
  EXPECT_EQ(mine.refills, 3);  // 50 + 3 x 97 >= 311
  EXPECT_EQ(mine.left(), 50 + 3 * 97 - 311);
}

TEST_P(FuelRegister, AFuelStopInADeepRecursionIsExactAndTheInstanceStaysUsable) {
  Guest g;
  ASSERT_TRUE(g.load(*engine).ok());
  // Stopped at depth 10,000 of 1,000,000 (the interpreter's call-depth guard allows ~1,300:
  // depth 1,000 there).
  const bool interp_engine = GetParam() == "interp";
  const std::int64_t depth = interp_engine ? 1000 : 10'000;
  g.slice = depth / 5;
  g.max_slices = 5;
  auto r = g.run("down", {1'000'000, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("fuel exhausted"), std::string::npos) << r.error().message;
  EXPECT_EQ(g.refills, 6);
  EXPECT_EQ(g.left(), 0);
  g.max_slices = 1'000'000;
  auto again = g.run("down", {500, 0}, 7);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, 500);
  EXPECT_EQ(g.used(7), 511);
  auto fib = g.run("fib", {20}, 21891);  // exactly enough: no refill
  ASSERT_TRUE(fib.ok());
  EXPECT_EQ(*fib, 6765);
  EXPECT_EQ(g.refills, 0);
  EXPECT_EQ(g.left(), 0);
}

TEST_P(FuelRegister, AHostFunctionSeesTheCounterAndNestedCallsShareIt) {
  Guest mine, other, ref, ref_other;
  ASSERT_TRUE(mine.load(*engine).ok());
  ASSERT_TRUE(other.load(*engine).ok());
  ASSERT_TRUE(ref.load(*interp).ok());
  ASSERT_TRUE(ref_other.load(*interp).ok());
  // "reenter" calls fib(10) of another instance (its own counter) and, on aot, fib(5) of the
  // calling instance itself (the caller's counter, as it is at that moment; the interpreter
  // cannot re-enter an instance that is running).
  const bool reentry = GetParam() != "interp";
  auto nest = [](Guest& self, Guest& another, bool self_too) {
    return [&self, &another, self_too]() -> Status {
      WACTOR_TRY(another.instance->set_i64_global(another.fuel, 500));
      auto x = test::call_i32(*another.instance, "fib", {10});
      if (!x.ok()) return std::move(x).take_error();
      if (!self_too) return {};
      auto y = test::call_i32(*self.instance, "fib", {5});
      if (!y.ok()) return std::move(y).take_error();
      return {};
    };
  };
  mine.on_reenter = nest(mine, other, reentry);
  ref.on_reenter = nest(ref, ref_other, false);
  auto a = mine.run("down", {50, 5}, 1000);
  auto b = ref.run("down", {50, 5}, 1000);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(*a, 57);
  EXPECT_EQ(*b, 57);
  // Before the host call: 51 entries and 10 iterations.
  EXPECT_EQ(mine.fuel_seen_by_host, 1000 - 61);
  EXPECT_EQ(ref.fuel_seen_by_host, 1000 - 61);
  EXPECT_EQ(mine.left(), 1000 - 61 - (reentry ? fib_cost(5) : 0));
  EXPECT_EQ(ref.left(), 1000 - 61);
  EXPECT_EQ(other.left(), 500 - fib_cost(10));
  EXPECT_EQ(ref_other.left(), 500 - fib_cost(10));
}

TEST_P(FuelRegister, InstancesWithTheirOwnBudgetsAlternateOnTheSameThreads) {
  // Four instances (two per module) with different budgets, called in turn from two threads;
  // no refill: each call gets its budget in the counter, and either fits in it or stops.
  constexpr int kInstances = 4;
  Guest guests[kInstances];
  std::mutex mu[kInstances];
  const std::int64_t budget[kInstances] = {fib_cost(12), fib_cost(15) + 3, 100, fib_cost(18) - 1};
  const int n[kInstances] = {12, 15, 11, 18};  // the third and fourth run out
  for (auto& g : guests) {
    ASSERT_TRUE(g.load(*engine).ok());
    g.max_slices = 0;
  }
  std::atomic<int> failures{0};
  auto worker = [&](int t) {
    for (int round = 0; round < 60; ++round) {
      const int i = (round + t) % kInstances;
      std::lock_guard lock(mu[i]);
      Guest& g = guests[i];
      auto r = g.run("fib", {n[i]}, budget[i]);
      const bool fits = fib_cost(n[i]) <= budget[i];
      const bool ok = fits ? (r.ok() && g.left() == budget[i] - fib_cost(n[i]) && g.refills == 0)
                           : (!r.ok() && g.refills == 1 && g.left() == 0);
      if (!ok) failures.fetch_add(1);
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

#if defined(__x86_64__)
TEST_P(FuelRegister, TheCallersR15SurvivesAGuestCall) {
  if (GetParam() == "interp") GTEST_SKIP() << "r15 is the aot engine's";
  Guest g;
  ASSERT_TRUE(g.load(*engine).ok());
  const Signature one{{ValType::kI32}, {ValType::kI32}};
  const Signature two{{ValType::kI32, ValType::kI32}, {ValType::kI32}};
  auto fib = g.instance->find_function("fib", one);
  auto down = g.instance->find_function("down", two);
  ASSERT_TRUE(fib.ok() && down.ok());
  struct Case {
    const char* what;
    ExportIndex fn;
    std::int32_t a, b;
    std::int64_t max_slices;
    bool traps;
    std::int64_t left;  // the counter afterwards
  };
  const Case cases[] = {
      {"return, after a refill", *fib, 15, 0, 10, false, 2000 - fib_cost(15)},
      {"unreachable", *down, 100, 1, 10, true, 1000 - 111},
      {"out of bounds", *down, 100, 2, 10, true, 1000 - 111},
      {"host trap", *down, 100, 3, 10, true, 1000 - 111},
      {"fuel stop", *fib, 20, 0, 0, true, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    g.max_slices = c.max_slices;
    g.granted = 0;
    ASSERT_TRUE(g.instance->set_i64_global(g.fuel, 1000).ok());
    auto raw = aot::raw_call(*g.instance, c.fn);
    ASSERT_TRUE(raw.has_value());
    Val args[2];
    args[0].i32 = c.a;
    args[1].i32 = c.b;
    Val result{};
    raw->args = args;
    raw->results = &result;
    const std::uint64_t canary = 0x5eed'1234'abcd'0f15;
    EXPECT_EQ(wactor_test_r15_after_call(&*raw, canary), canary);
    EXPECT_EQ(raw->trap != 0, c.traps);
    EXPECT_EQ(g.left(), c.left);
  }
}
#endif

INSTANTIATE_TEST_SUITE_P(Engines, FuelRegister, ::testing::ValuesIn(configs()),
                         [](const auto& info) { return info.param; });

// The same through the runtime: components with different fuel budgets take turns on one
// worker thread, each stopped by its own budget and no other.
class FuelRegisterRuntime : public test::EngineRuntimeTest {};

TEST_P(FuelRegisterRuntime, ComponentsWithDifferentBudgetsAlternateOnOneWorker) {
  using namespace std::chrono_literals;
  auto o = options();
  o.workers = 1;
  auto small = probe("small");
  small.limits = {200'000, 0ms, 0};
  auto big = probe("big");
  big.limits = {50'000'000, 0ms, 0};
  start({probe("alice"), small, big}, std::move(o));
  for (int i = 0; i < 4; ++i) {
    post("alice", "request small 0 spin 1000000");  // ~1 M units: over small's budget
    post("alice", "request big 0 spin 1000000");    // within big's
    post("alice", "request small 0 spin 10000");    // within small's
  }
  ASSERT_TRUE(runtime->wait_idle(120s));
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=1 payload=trap: .*fuel budget of 200000 exhausted")
                .size(),
            4u)
      << testing::PrintToString(collector.logs());
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:spin 1000000$").size(), 4u);
  EXPECT_EQ(collector.logs_matching("^alice: callback id=[0-9]+ status=0 payload=echo:spin 10000$").size(), 4u);
  EXPECT_EQ(stats("small").traps, 4u);
  EXPECT_EQ(stats("big").traps, 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, FuelRegisterRuntime, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor::engine
