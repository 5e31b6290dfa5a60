// ABI v1 checks at load, through Runtime::create and abi_problems.
#include <gtest/gtest.h>

#include "abi/abi_v1.h"
#include "engine/wasm2c/aot_engine.h"
#include "test_support.h"
#include "wactor/runtime.h"

namespace wactor {
namespace {

Error create_error(std::vector<ComponentSpec> specs) {
  RuntimeOptions o;
  o.workers = 1;
  auto rt = Runtime::create(std::move(o), std::move(specs));
  EXPECT_FALSE(rt.ok());
  return rt.ok() ? Error{ErrorCode::kInternal, "unexpectedly ok"} : rt.error();
}

ComponentSpec guest(const std::string& id, const std::string& file) {
  return ComponentSpec{id, test::guest_bytes(file), test::guest_path(file), "", 0, {}, {}, {}, {}, {}, {}};
}

TEST(Abi, UnknownImportIsRefusedNamingIt) {
  auto e = create_error({guest("x", "bad_import.wasm")});
  EXPECT_EQ(e.code, ErrorCode::kAbiViolation);
  EXPECT_NE(e.message.find("bad_import.wasm"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("unknown import wactor.teleport"), std::string::npos) << e.message;
}

// Issue 9: the ABI check comes before compiling, so a module that is no ABI guest (here one
// whose names are C code) never reaches wasm2c or the C compiler.
TEST(Abi, NonAbiModuleIsRefusedBeforeCompiling) {
  if (!engine::aot_available()) GTEST_SKIP() << "no C compiler or wasm2c here";
  const auto before = engine::aot::cache_counters();
  auto spec = guest("x", "hostile_names.wasm");
  spec.engine = "aot";
  auto e = create_error({spec});
  EXPECT_EQ(e.code, ErrorCode::kAbiViolation) << e.message;
  EXPECT_EQ(engine::aot::cache_counters().compiled, before.compiled);
  EXPECT_EQ(engine::aot::cache_counters().hits, before.hits);
}

TEST(Abi, ImportFromAnotherModuleIsRefused) {
  auto e = create_error({guest("x", "env_import.wasm")});
  EXPECT_NE(e.message.find("unknown import env.printf"), std::string::npos) << e.message;
}

TEST(Abi, MissingHandleMessageIsRefused) {
  auto e = create_error({guest("x", "no_handler.wasm")});
  EXPECT_NE(e.message.find("missing export 'handle-message'"), std::string::npos) << e.message;
}

TEST(Abi, WrongExportTypeIsRefused) {
  auto e = create_error({guest("x", "wrong_signature.wasm")});
  EXPECT_NE(e.message.find("export 'handle-message' has type (i32, i32) -> (i32), expected (i32, i32, i32, i32) -> (i32)"),
            std::string::npos)
      << e.message;
}

TEST(Abi, EveryProblemIsListed) {
  engine::ModuleInfo info;
  info.imports.push_back({"wactor", "send", engine::ExternKind::kFunc, {{}, {}}});
  info.imports.push_back({"wasi", "fd_write", engine::ExternKind::kFunc, {}});
  const auto problems = abi::abi_problems(info);
  ASSERT_EQ(problems.size(), 5u) << testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("import wactor.send has type () -> (), expected (i32, i32, i32, i32) -> (i32)"), std::string::npos);
  EXPECT_NE(problems[1].find("unknown import wasi.fd_write"), std::string::npos);
  EXPECT_EQ(problems[2], "missing export 'memory'");
  EXPECT_EQ(problems[3], "missing export 'cabi_realloc'");
  EXPECT_EQ(problems[4], "missing export 'handle-message'");
}

TEST(Abi, DuplicateAndInvalidIdsAreRefused) {
  EXPECT_NE(create_error({guest("a", "echo.wasm"), guest("a", "echo.wasm")}).message.find("duplicate component id 'a'"),
            std::string::npos);
  EXPECT_NE(create_error({guest("", "echo.wasm")}).message.find("invalid component id ''"), std::string::npos);
  EXPECT_NE(create_error({guest("a b", "echo.wasm")}).message.find("invalid component id 'a b'"), std::string::npos);
  EXPECT_NE(create_error({guest("$host", "echo.wasm")}).message.find("invalid component id"), std::string::npos);
}

TEST(Abi, TruncatedModuleIsRefusedNamingTheFile) {
  auto spec = guest("x", "probe.wasm");
  spec.wasm.resize(spec.wasm.size() / 3);
  auto e = create_error({std::move(spec)});
  EXPECT_EQ(e.code, ErrorCode::kInvalidModule);
  EXPECT_NE(e.message.find("probe.wasm: not a valid WebAssembly module"), std::string::npos) << e.message;
}

TEST(Abi, InitFailureStopsTheStart) {
  RuntimeOptions o;
  o.workers = 1;
  auto rt = Runtime::create(std::move(o), {guest("x", "init_fails.wasm")});
  ASSERT_TRUE(rt.ok());
  auto st = (*rt)->start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "component 'x': init returned 3");
}

TEST(Abi, Utf8Validation) {
  EXPECT_TRUE(abi::valid_utf8(""));
  EXPECT_TRUE(abi::valid_utf8("plain ascii"));
  EXPECT_TRUE(abi::valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(abi::valid_utf8("\xFF"));
  EXPECT_FALSE(abi::valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(abi::valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(abi::valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(abi::valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
}

}  // namespace
}  // namespace wactor

namespace wactor {
namespace {

// The delivery buffer, on every engine: small deliveries go to the guest's inbox without
// an allocation call, larger ones through cabi_realloc; sender and payload share a buffer.
class Delivery : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto e = engine::make_engine(GetParam());
    ASSERT_TRUE(e.ok());
    engine_ = std::move(e).value();
  }
  std::unique_ptr<engine::Instance> instance(const std::string& file) {
    auto m = engine_->load(test::guest_bytes(file), file, {});
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    module_ = std::move(m).value();
    auto inst = module_->instantiate({});
    EXPECT_TRUE(inst.ok()) << inst.error().to_string();
    return std::move(inst).value();
  }
  std::int32_t get(engine::Instance& inst, const char* fn) {
    auto f = inst.find_function(fn, {{}, {engine::ValType::kI32}});
    EXPECT_TRUE(f.ok());
    engine::Val out{};
    EXPECT_TRUE(inst.call(*f, {}, std::span<engine::Val>(&out, 1)).ok());
    return out.i32;
  }
  std::unique_ptr<engine::Engine> engine_;
  std::shared_ptr<const engine::Module> module_;
};

TEST_P(Delivery, SmallDeliveriesUseTheInboxLargerOnesCabiRealloc) {
  auto inst = instance("inbox.wasm");
  auto exports = abi::GuestExports::resolve(*inst);
  ASSERT_TRUE(exports.ok()) << exports.error().to_string();
  auto send = [&](std::size_t n) {
    std::vector<std::uint8_t> payload(n);
    int sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += (payload[i] = static_cast<std::uint8_t>(i * 7 + 1));
    auto rc = exports->handle_message(*inst, "alice", payload);
    EXPECT_TRUE(rc.ok() && *rc == 0);
    return sum;
  };
  int sum = send(59);  // 5 + 59 = 64 bytes: fits the inbox exactly
  EXPECT_EQ(get(*inst, "sum"), sum);
  EXPECT_EQ(get(*inst, "reallocs"), 0);
  EXPECT_EQ(get(*inst, "adjacent"), 1);
  sum = send(60);  // 65 bytes: allocated
  EXPECT_EQ(get(*inst, "sum"), sum);
  EXPECT_EQ(get(*inst, "reallocs"), 1);
  EXPECT_EQ(get(*inst, "adjacent"), 1);
  sum = send(3);
  EXPECT_EQ(get(*inst, "sum"), sum);
  EXPECT_EQ(get(*inst, "reallocs"), 1);
}

TEST_P(Delivery, InboxOutsideMemoryFailsTheStart) {
  auto inst = instance("bad_inbox.wasm");
  auto exports = abi::GuestExports::resolve(*inst);
  ASSERT_FALSE(exports.ok());
  EXPECT_EQ(exports.error().message,
            "inbox() returned buffer 65000 of 1000 bytes: outside memory (65536 bytes) or larger than 16 MiB");
}

INSTANTIATE_TEST_SUITE_P(Engines, Delivery, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
