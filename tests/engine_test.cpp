// The engine interface, on every engine: loading, calls, host imports, traps contained,
// memory limits.
#include <gtest/gtest.h>

#include <array>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"
#include "wactor/engine.h"

namespace wactor::engine {
namespace {

using test::call_i32;

constexpr ValType I32 = ValType::kI32;
constexpr ValType I64 = ValType::kI64;

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto e = make_engine(GetParam());
    ASSERT_TRUE(e.ok());
    engine = std::move(e).value();
  }

  std::unique_ptr<Instance> instantiate(const LoadOptions& options = {}) {
    auto m = engine->load(test::guest_bytes("engine_basics.wasm"), "engine_basics.wasm", options);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().to_string());
    module = std::move(m).value();
    std::vector<HostFunction> imports{{"test", "host", {{I32}, {I32}}, [this](CallerMemory& mem, const Val* a, Val* r) {
                                         ++host_calls;
                                         memory_seen = mem.bytes().size();
                                         if (a[0].i32 < 0) return HostOutcome::trapped("negative argument");
                                         r[0].i32 = a[0].i32 * 2;
                                         return HostOutcome::ok();
                                       }}};
    auto inst = module->instantiate(imports);
    EXPECT_TRUE(inst.ok()) << (inst.ok() ? "" : inst.error().to_string());
    return std::move(inst).value();
  }


  std::unique_ptr<Engine> engine;
  std::shared_ptr<const Module> module;
  int host_calls = 0;
  std::size_t memory_seen = 0;
};

TEST_P(EngineTest, CallsExportsAndDescribesTheModule) {
  auto inst = instantiate();
  EXPECT_EQ(*call_i32(*inst, "add", {40, 2}), 42);
  const ModuleInfo& info = module->info();
  ASSERT_EQ(info.imports.size(), 1u);
  EXPECT_EQ(info.imports[0].module, "test");
  EXPECT_EQ(info.imports[0].sig.to_string(), "(i32) -> (i32)");
  ASSERT_NE(info.find_export("add"), nullptr);
  EXPECT_EQ(info.find_export("add")->sig.to_string(), "(i32, i32) -> (i32)");
  EXPECT_EQ(info.find_export("memory")->kind, ExternKind::kMemory);
  ASSERT_EQ(info.memories.size(), 1u);
  EXPECT_EQ(info.memories[0].initial_pages, 1u);
}

TEST_P(EngineTest, I64RoundTrips) {
  auto inst = instantiate();
  auto fn = inst->find_function("i64_id", {{I64}, {I64}});
  ASSERT_TRUE(fn.ok());
  Val a{}, r{};
  a.i64 = -(1LL << 40) - 7;
  ASSERT_TRUE(inst->call(*fn, std::span<const Val>(&a, 1), std::span<Val>(&r, 1)).ok());
  EXPECT_EQ(r.i64, a.i64);
}

TEST_P(EngineTest, HostImportsSeeArgumentsAndCallerMemory) {
  auto inst = instantiate();
  EXPECT_EQ(*call_i32(*inst, "call_host", {21}), 42);
  EXPECT_EQ(host_calls, 1);
  EXPECT_EQ(memory_seen, 65536u);
}

TEST_P(EngineTest, HostTrapFailsTheCallOnly) {
  auto inst = instantiate();
  auto r = call_i32(*inst, "call_host", {-1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTrap);
  EXPECT_NE(r.error().message.find("negative argument"), std::string::npos);
  EXPECT_EQ(*call_i32(*inst, "add", {1, 2}), 3);
}

TEST_P(EngineTest, TrapsAreContainedAndTheInstanceStaysUsable) {
  auto inst = instantiate();
  auto fn = inst->find_function("trap", {});
  ASSERT_TRUE(fn.ok());
  auto r = inst->call(*fn, {}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTrap);
  auto div = call_i32(*inst, "div", {1, 0});
  ASSERT_FALSE(div.ok());
  EXPECT_EQ(div.error().code, ErrorCode::kTrap);
  auto oob = call_i32(*inst, "load", {70000});
  ASSERT_FALSE(oob.ok());
  EXPECT_EQ(oob.error().code, ErrorCode::kTrap);
  EXPECT_EQ(*call_i32(*inst, "add", {2, 3}), 5);
}

TEST_P(EngineTest, StackOverflowTrapsCleanly) {
  auto inst = instantiate();
  auto r = call_i32(*inst, "recurse", {0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTrap);
  EXPECT_EQ(*call_i32(*inst, "add", {2, 3}), 5);
}

TEST_P(EngineTest, MemoryLimitCapsGrowth) {
  LoadOptions o;
  o.max_memory_pages = 3;
  auto inst = instantiate(o);
  EXPECT_EQ(*call_i32(*inst, "grow", {2}), 1);   // 1 -> 3 pages
  EXPECT_EQ(*call_i32(*inst, "grow", {1}), -1);  // past the limit
  EXPECT_EQ(inst->memory().size(), 3u * 65536u);
}

TEST_P(EngineTest, InitialMemoryOverTheLimitIsRefused) {
  LoadOptions o;
  o.max_memory_pages = 0;
  auto m = engine->load(test::guest_bytes("engine_basics.wasm"), "engine_basics.wasm", o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kResourceExhausted);
}

TEST_P(EngineTest, WrongExportSignatureIsAnError) {
  auto inst = instantiate();
  auto fn = inst->find_function("add", {{I32}, {I32}});
  ASSERT_FALSE(fn.ok());
  EXPECT_EQ(fn.error().code, ErrorCode::kAbiViolation);
  EXPECT_EQ(inst->find_function("nope", {}).error().code, ErrorCode::kNotFound);
}

TEST_P(EngineTest, MissingImportIsRefusedAtInstantiation) {
  auto m = engine->load(test::guest_bytes("engine_basics.wasm"), "engine_basics.wasm", {});
  ASSERT_TRUE(m.ok());
  auto inst = (*m)->instantiate({});
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message.find("test.host"), std::string::npos);
}

TEST_P(EngineTest, MalformedBytesAreRefusedWithTheOrigin) {
  auto bytes = test::guest_bytes("probe.wasm");
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{7}, std::size_t{9}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<std::uint8_t> part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    auto m = engine->load(part, "cut.wasm", {});
    ASSERT_FALSE(m.ok()) << cut;
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidModule);
    EXPECT_EQ(m.error().message.rfind("cut.wasm: ", 0), 0u) << m.error().message;
  }
  // The 8-byte header alone is a valid empty module (and not an ABI guest: that check is the ABI layer's).
  std::vector<std::uint8_t> header(bytes.begin(), bytes.begin() + 8);
  EXPECT_TRUE(engine->load(header, "empty.wasm", {}).ok());
  std::vector<std::uint8_t> garbage(100, 0xAB);
  EXPECT_FALSE(engine->load(garbage, "garbage.wasm", {}).ok());
}

TEST_P(EngineTest, StartFunctionTrapFailsInstantiation) {
  auto m = engine->load(test::guest_bytes("start_traps.wasm"), "start_traps.wasm", {});
  ASSERT_TRUE(m.ok());
  auto inst = (*m)->instantiate({});
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().code, ErrorCode::kTrap);
}

// A doubling host function under `module`.`name` that counts its calls.
HostFunction doubler(std::string module, std::string name, int* calls) {
  return {std::move(module), std::move(name), {{I32}, {I32}}, [calls](CallerMemory&, const Val* a, Val* r) {
            ++*calls;
            r[0].i32 = a[0].i32 * 2;
            return HostOutcome::ok();
          }};
}

// Issue 9, item 1: names that are C code if copied into wasm2c's output (a constructor that
// aborts, an #error) load and run, and are bound and found by their original text.
TEST_P(EngineTest, HostileNamesLoadAndRunAndNothingElseExecutes) {
  auto m = engine->load(test::guest_bytes("hostile_names.wasm"), "hostile_names.wasm", {});
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  const std::string inject_import_module = "*/ __attribute__((constructor)) static void m(void){abort();} /*";
  const std::string inject_import_name = "*/ __attribute__((constructor)) static void n(void){abort();} /*";
  const std::string inject_export = "*/ __attribute__((constructor)) static void x(void){abort();} /*";
  ASSERT_EQ((*m)->info().imports.size(), 2u);
  EXPECT_EQ((*m)->info().imports[0].module, inject_import_module);
  EXPECT_EQ((*m)->info().imports[0].name, inject_import_name);
  ASSERT_NE((*m)->info().find_export("*/ #error injected /*"), nullptr);
  int hostile_calls = 0, plain_calls = 0;
  std::vector<HostFunction> imports{doubler("test", "host", &plain_calls),
                                    doubler(inject_import_module, inject_import_name, &hostile_calls)};
  auto inst = (*m)->instantiate(imports);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(*call_i32(**inst, inject_export, {21}), 42);
  EXPECT_EQ(*call_i32(**inst, "", {5}), 10);
  EXPECT_EQ(*call_i32(**inst, "\xe2\x82\xac \\ \" \n #define Z_mZ_e0 abort()", {}), 7);
  EXPECT_EQ(hostile_calls, 1);
  EXPECT_EQ(plain_calls, 1);
  EXPECT_EQ((*inst)->memory().size(), 65536u);
}

// Issue 9, item 2: an imported host function reached through the guest's table (an element
// segment, and ref.func + table.set) gets the right arguments and instance, like a direct call.
TEST_P(EngineTest, ImportedFunctionCalledThroughTheTable) {
  auto m = engine->load(test::guest_bytes("indirect_import.wasm"), "indirect_import.wasm", {});
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  int calls = 0;
  std::vector<HostFunction> imports{doubler("test", "host", &calls)};
  auto inst = (*m)->instantiate(imports);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(*call_i32(**inst, "direct", {20}), 40);
  EXPECT_EQ(*call_i32(**inst, "via_table", {0, 21}), 42);
  EXPECT_EQ(*call_i32(**inst, "via_table", {1, 21}), 22);
  EXPECT_EQ(*call_i32(**inst, "via_ref_func", {50}), 100);
  EXPECT_EQ(*call_i32(**inst, "via_table", {2, 4}), 8);  // the entry ref.func made
  EXPECT_EQ(calls, 4);
  auto outside = call_i32(**inst, "via_table", {3, 1});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, ErrorCode::kTrap);
}

TEST_P(EngineTest, ExportedGlobalsAreReadWithTheirType) {
  auto inst = instantiate();
  auto counter = inst->get_global("counter");
  ASSERT_TRUE(counter.ok()) << counter.error().to_string();
  EXPECT_EQ(counter->type, ValType::kI32);
  EXPECT_EQ(counter->val.i32, 7);
  auto bump = inst->find_function("bump", {});
  ASSERT_TRUE(bump.ok());
  ASSERT_TRUE(inst->call(*bump, {}, {}).ok());
  EXPECT_EQ(inst->get_global("counter")->val.i32, 8);
  EXPECT_EQ(inst->get_global("wide")->type, I64);
  EXPECT_EQ(inst->get_global("wide")->val.i64, -5);
  EXPECT_EQ(inst->get_global("half")->type, ValType::kF32);
  EXPECT_EQ(inst->get_global("half")->val.f32, 0.5f);
  EXPECT_EQ(inst->get_global("third")->type, ValType::kF64);
  EXPECT_EQ(inst->get_global("third")->val.f64, 0.25);
  EXPECT_EQ(inst->get_global("add").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(inst->get_global("nope").error().code, ErrorCode::kNotFound);
}

// A host import exported again returns the host's result (libwabt passes an empty result
// list when such a function is called from outside).
TEST_P(EngineTest, ReexportedImportReturnsTheHostResult) {
  auto inst = instantiate();
  EXPECT_EQ(*call_i32(*inst, "host_again", {21}), 42);
  EXPECT_EQ(host_calls, 1);
}

// The feature set is pinned: SIMD (which wasm2c 1.0.32 cannot compile) is refused by every
// engine with the same error at load.
TEST_P(EngineTest, SimdIsRefusedAtLoadOnEveryEngine) {
  // (func (export "f") (result i32) (i32x4.extract_lane 0 (i32x4.splat (i32.const 7))))
  const std::vector<std::uint8_t> simd{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00,
                                       0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
                                       0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0x07, 0xfd, 0x11, 0xfd, 0x1b, 0x00, 0x0b};
  auto m = engine->load(simd, "simd.wasm", {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidModule);
  EXPECT_EQ(m.error().message.rfind("simd.wasm: not a valid WebAssembly module: ", 0), 0u) << m.error().message;
}

// A custom section's contents are never an error (the spec's rule), on every engine: a
// malformed "name" section (which wasm2c would parse) loads and runs.
TEST_P(EngineTest, MalformedNameSectionIsIgnoredOnEveryEngine) {
  auto bytes = test::guest_bytes("engine_basics.wasm");
  const std::vector<std::uint8_t> name_section{0, 8, 4, 'n', 'a', 'm', 'e', 1, 0xff, 0xff};
  bytes.insert(bytes.end(), name_section.begin(), name_section.end());
  auto m = engine->load(bytes, "named.wasm", {});
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  int calls = 0;
  std::vector<HostFunction> imports{doubler("test", "host", &calls)};
  auto inst = (*m)->instantiate(imports);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(*call_i32(**inst, "add", {40, 2}), 42);
}

// An allocation failure inside a call (here thrown by a host function; in practice a grow
// or the interpreter's stacks) fails that call, never the process. The aot engine's glue
// is C and is not covered here.
TEST(InterpBoundary, AnExceptionInsideACallFailsTheCallOnly) {
  auto engine = make_engine("interp");
  ASSERT_TRUE(engine.ok());
  auto m = (*engine)->load(test::guest_bytes("engine_basics.wasm"), "engine_basics.wasm", {});
  ASSERT_TRUE(m.ok());
  bool fail = true;
  std::vector<HostFunction> imports{{"test", "host", {{I32}, {I32}}, [&](CallerMemory&, const Val* a, Val* r) {
                                       if (fail) throw std::bad_alloc();
                                       r[0].i32 = a[0].i32;
                                       return HostOutcome::ok();
                                     }}};
  auto inst = (*m)->instantiate(imports);
  ASSERT_TRUE(inst.ok());
  auto r = call_i32(**inst, "call_host", {1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTrap);
  EXPECT_NE(r.error().message.find("out of memory"), std::string::npos) << r.error().message;
  fail = false;
  EXPECT_EQ(*call_i32(**inst, "call_host", {4}), 4);
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest, ::testing::ValuesIn([] {
                           std::vector<std::string> names;
                           for (auto n : engine_names()) names.emplace_back(n);
                           return names;
                         }()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor::engine
