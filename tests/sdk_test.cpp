// The C++ and AssemblyScript SDKs end to end (docs/SDK-CPP.md, docs/SDK-ASSEMBLYSCRIPT.md):
// each language's examples, its statuses guest (every status the ABI returns, mapped by the
// SDK without a trap), its bench guest, and C, C++ and AssemblyScript components messaging
// each other — each run as a user runs it (`wactor run --engine E`) on every engine.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <tuple>

#include "http/frontend.h"
#include "http_client.h"
#include "test_support.h"

namespace wactor {
namespace {

struct RunOutput {
  int exit_code = -1;
  std::string out;
};

RunOutput wactor_run(const std::string& manifest, const std::string& engine) {
  const std::string cmd = std::string(WACTOR_BINARY) + " run " + manifest + " --engine " + engine +
                          " --until-idle --max-seconds 60 2>&1";
  RunOutput r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

bool have(const std::string& lang) {
#if !WACTOR_HAVE_AS
  if (lang == "as") return false;
#endif
  (void)lang;
  return true;
}

// (language, engine): "cpp" (with libc++ when installed), "cpp-std" / "cpp" guests, "as".
class SdkLanguage : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  void SetUp() override {
    if (!have(lang())) GTEST_SKIP() << "AssemblyScript not installed (npm ci --prefix sdk/assemblyscript)";
  }
  std::string lang() const { return std::get<0>(GetParam()); }
  std::string engine() const { return std::get<1>(GetParam()); }
  std::string example(const std::string& name) const {
    return std::string(WACTOR_EXAMPLE_DIR) + "/" + lang() + "/" + name + "/app.toml";
  }
};

TEST_P(SdkLanguage, PingPongExample) {
  const RunOutput r = wactor_run(example("pingpong"), engine());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(count(r.out, "ping INFO reply to request "), 3u) << r.out;
  for (const char* want : {": pong 1\n", ": pong 2\n", ": pong 3\n", "ping INFO all 3 replies received\n",
                           "pong INFO message from ping: done\n"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
}

TEST_P(SdkLanguage, WorkerPoolExample) {
  const RunOutput r = wactor_run(example("workerpool"), engine());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  for (const char* want : {"boss INFO job.3 failed (flaky), retrying in 50 ms\n", "boss INFO job.5 = 15\n",
                           "boss INFO job.1 down: stopped\n", "boss INFO all 5 jobs done\n"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Sdk, SdkLanguage,
                         ::testing::Combine(::testing::Values("cpp", "as"), ::testing::ValuesIn(test::engine_params())),
                         [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

// The guests built for tests: "cpp" freestanding, "cpp-std" with libc++, "as".
class SdkGuest : public SdkLanguage {
 protected:
  std::string manifest(const std::string& name) const {
    return std::string(WACTOR_GUEST_DIR) + "/" + lang() + "/" + name + ".toml";
  }
};

TEST_P(SdkGuest, EveryStatusIsMappedWithoutATrap) {
  const RunOutput r = wactor_run(manifest("statuses"), engine());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("driver INFO statuses all ok\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("trap"), std::string::npos) << r.out;
  for (const char* what : {"send-not-found", "send-denied", "send-queue-full", "send-too-large", "request-limit-reached",
                           "spawn-id-in-use", "outcome-ok", "outcome-error-reply", "outcome-timeout",
                           "outcome-cancelled", "outcome-target-down", "send-after", "cancel-timer", "topic",
                           "published-text", "self-id",
                           "reply-plain-not-found", "reply-error-plain-not-found"}) {
    EXPECT_NE(r.out.find(std::string("driver INFO check ") + what + " ok\n"), std::string::npos) << what << "\n"
                                                                                                << r.out;
  }
}

TEST_P(SdkGuest, BenchGuestAnswersPingsAndTakesABlast) {
  const RunOutput r = wactor_run(manifest("bench"), engine());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(count(r.out, "p DEBUG \n"), 10u) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Sdk, SdkGuest,
                         ::testing::Combine(::testing::Values("cpp", "cpp-std", "as"),
                                            ::testing::ValuesIn(test::engine_params())),
                         [](const auto& info) {
                           std::string l = std::get<0>(info.param);
                           for (auto& c : l)
                             if (c == '-') c = '_';
                           return l + "_" + std::get<1>(info.param);
                         });

class Polyglot : public ::testing::TestWithParam<std::string> {};

TEST_P(Polyglot, CCppAssemblyScriptAndRustComponentsMessageEachOther) {
  if (!have("as")) GTEST_SKIP() << "AssemblyScript not installed";
  const RunOutput r = wactor_run(std::string(WACTOR_GUEST_DIR) + "/polyglot.toml", GetParam());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  for (const char* who : {"ping ", "ping-cpp ", "ping-as ", "ping-rust "}) {
    EXPECT_NE(r.out.find(std::string(who) + "INFO all 3 replies received\n"), std::string::npos) << who << r.out;
    EXPECT_EQ(count(r.out, std::string(who) + "INFO reply to request "), 3u) << who << r.out;
  }
  EXPECT_EQ(count(r.out, ": pong 2\n"), 4u) << r.out;  // every pong answered its ping
  for (const char* pong : {"pong INFO message from ping: done", "pong-as INFO message from ping-cpp: done",
                           "pong-rust INFO message from ping-as: done",
                           "pong-c INFO message from ping-rust: done"}) {
    EXPECT_NE(r.out.find(pong), std::string::npos) << pong << "\n" << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Sdk, Polyglot, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

// The HTTP imports through each SDK: the request head read (a long header through the
// SDK's second, bigger buffer), the status and a header set, a server-owned header refused.
class SdkHttp : public test::EngineRuntimeTest {
 protected:
  void serve(const std::string& lang) {
    const std::string file = lang + "/http_hello.wasm";
    start({ComponentSpec{"web", test::guest_bytes(file), test::guest_path(file), {}, 0, {}, Capabilities::all(), {},
                         {}, {}, {}}});
    http::FrontendOptions fo;
    fo.routes = {{"/*", "", "web", std::chrono::milliseconds(0)}};
    auto f = http::Frontend::start(*runtime, std::move(fo));
    ASSERT_TRUE(f.ok()) << f.error().to_string();
    frontend = std::move(f).value();
  }
  void check(const std::string& lang) {
    test::HttpClient client;
    const std::string url = "http://127.0.0.1:" + std::to_string(frontend->port()) + "/a/b?x=1";
    auto r = client.fetch("GET", url, {}, {"X-Test: yes", "X-Long: " + std::string(1000, 'l')});
    EXPECT_EQ(r.status, 201) << r.error;
    EXPECT_EQ(r.headers["x-sdk"], lang);
    EXPECT_EQ(r.body, "GET /a/b?x=1 x-test=yes absent=not-found long=1000 owned=invalid-argument");
  }
  void TearDown() override {
    if (frontend) frontend->stop();
  }
  std::unique_ptr<http::Frontend> frontend;  // after the runtime: stopped first
};

TEST_P(SdkHttp, Cpp) {
  serve("cpp");
  check("cpp");
}

TEST_P(SdkHttp, AssemblyScript) {
  if (!have("as")) GTEST_SKIP() << "AssemblyScript not installed";
  serve("as");
  check("as");
}

INSTANTIATE_TEST_SUITE_P(Sdk, SdkHttp, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
