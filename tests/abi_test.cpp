// ABI v1 checks at load, through Runtime::create and abi_problems.
#include <gtest/gtest.h>

#include "abi/abi_v1.h"
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
  return ComponentSpec{id, test::guest_bytes(file), test::guest_path(file), "", 0, {}, {}, {}};
}

TEST(Abi, UnknownImportIsRefusedNamingIt) {
  auto e = create_error({guest("x", "bad_import.wasm")});
  EXPECT_EQ(e.code, ErrorCode::kAbiViolation);
  EXPECT_NE(e.message.find("bad_import.wasm"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("unknown import wactor.teleport"), std::string::npos) << e.message;
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
