// The Rust SDK (sdk/rust, docs/SDK-RUST.md) end to end on every engine: the examples'
// Rust components, Rust and C components messaging each other, and a guest that drives
// every status the ABI returns and checks the SDK maps each without trapping.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "http/frontend.h"
#include "http_client.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

std::string example(const std::string& dir, const std::string& file) {
  return std::string(WACTOR_EXAMPLE_DIR) + "/" + dir + "/" + file;
}

std::vector<std::uint8_t> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing guest " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class SdkRust : public test::EngineRuntimeTest {
 protected:
  ComponentSpec component(const std::string& id, const std::string& path, std::string config = {},
                          Capabilities caps = Capabilities::all(), std::size_t capacity = 0) {
    return ComponentSpec{id, bytes_of(path), path, std::move(config), capacity, {}, std::move(caps), {}, {}, {}, {}};
  }

  // ping asks pong three times; both log what the pingpong example logs, whatever their language.
  void ping_pong(const std::string& ping_path, const std::string& pong_path) {
    start({component("ping", ping_path, "3"), component("pong", pong_path)});
    post("ping", "start");
    EXPECT_FALSE(collector.wait_log("^ping: all 3 replies received$").empty()) << testing::PrintToString(collector.logs());
    EXPECT_FALSE(collector.wait_log("^pong: message from ping: done$").empty());
    ASSERT_TRUE(runtime->wait_idle(30s));
    EXPECT_EQ(collector.logs_matching("^ping: reply to request [0-9]+: pong [123]$").size(), 3u)
        << testing::PrintToString(collector.logs());
    EXPECT_TRUE(collector.events_matching("trap").empty()) << testing::PrintToString(collector.logs());
  }
};

TEST_P(SdkRust, PingPongInRust) {
  ping_pong(example("pingpong-rust", "ping.wasm"), example("pingpong-rust", "pong.wasm"));
}

TEST_P(SdkRust, RustPingAndCPongMessageEachOther) {
  ping_pong(example("pingpong-rust", "ping.wasm"), example("pingpong", "pong.wasm"));
}

TEST_P(SdkRust, CPingAndRustPongMessageEachOther) {
  ping_pong(example("pingpong", "ping.wasm"), example("pingpong-rust", "pong.wasm"));
}

TEST_P(SdkRust, EveryStatusMapsWithoutTrapping) {
  Capabilities driver;
  driver.send = {"sink", "holder", "crasher", "nobody"};
  driver.request = {"holder", "crasher"};
  driver.spawn = {"#"};
  const auto guest = test::guest_path("statuses_rust.wasm");
  auto o = options();
  o.max_payload_bytes = 1024;
  start({component("sink", guest, "", Capabilities{}, 1), component("holder", guest), component("crasher", guest),
         component("driver", guest, "driver sink", driver)},
        std::move(o));
  post("driver", "run");
  const auto done = collector.wait_log("^driver: statuses done ");
  ASSERT_FALSE(done.empty()) << testing::PrintToString(collector.logs());
  EXPECT_EQ(done, "driver: statuses done ok=20 fail=0") << testing::PrintToString(collector.logs());
  EXPECT_TRUE(collector.logs_matching("FAIL").empty()) << testing::PrintToString(collector.logs());
  for (const char* name : {"queue-full", "not-found", "denied", "request-denied", "too-large", "invalid-argument",
                           "timeout", "cancelled", "target-down", "error-reply", "reply"}) {
    EXPECT_EQ(collector.logs_matching(std::string("^driver: check ") + name + " ok$").size(), 1u) << name;
  }
  // The target's panic is a trap, logged first by the SDK's panic hook; the driver never trapped.
  EXPECT_FALSE(collector.wait_log("^crasher: panic: .*crash requested").empty());
  EXPECT_TRUE(collector.events_matching("^driver: trap").empty()) << testing::PrintToString(collector.logs());
  EXPECT_EQ(runtime->stats("driver")->handler_errors, 0u);
}

// Publish/subscribe, timers, self id and the clock; then a hot upgrade of a Rust component
// (its snapshot and restore exports) keeps it answering.
TEST_P(SdkRust, PubSubTimersAndUpgrade) {
  Capabilities driver = Capabilities::all();
  const auto guest = test::guest_path("statuses_rust.wasm");
  start({component("sink", guest), component("holder", guest), component("driver", guest, "driver sink", driver)});
  post("driver", "more");
  EXPECT_FALSE(collector.wait_log("^driver: more: published to 1 self=driver timer>0=true cancel=Ok\\(\\(\\)\\) "
                                  "again=Err\\(NotFound\\) clock>=0=true$")
                   .empty())
      << testing::PrintToString(collector.logs());
  EXPECT_FALSE(collector.wait_log("^driver: more: topic news.rust from driver: extra$").empty());
  EXPECT_FALSE(collector.wait_log("^driver: more: tick from driver$").empty());
  ASSERT_TRUE(runtime->wait_idle(30s));
  EXPECT_TRUE(collector.logs_matching("never").empty());
  // A hot upgrade of the driver (snapshot, new instance, init, restore): the new instance
  // handles the next "more", and the subscription was kept.
  ASSERT_TRUE(runtime->upgrade("driver", bytes_of(guest), guest).ok());
  post("driver", "more");
  EXPECT_EQ(collector.wait_logs_more_than("^driver: more: topic news.rust from driver: extra$", 1).size(), 2u);
  EXPECT_FALSE(collector.wait_event("^driver: upgraded").empty()) << testing::PrintToString(collector.logs());
}

// A Rust component answering the HTTP ingress: it reads the request head and sets the status
// and a header through wactor::http; what the host refuses comes back as an Err.
TEST_P(SdkRust, AnswersHttpThroughTheSdk) {
  const auto guest = test::guest_path("statuses_rust.wasm");
  start({component("web", guest)});
  http::FrontendOptions fo;
  fo.routes = {{"/*", "", "web", 0ms}};
  auto f = http::Frontend::start(*runtime, std::move(fo));
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  auto frontend = std::move(f).value();
  test::HttpClient client;
  const std::string base = "http://127.0.0.1:" + std::to_string(frontend->port());
  auto r = client.fetch("GET", base + "/hi?x=1", {}, {"X-Name: bob"});
  EXPECT_EQ(r.status, 201) << r.error << r.body;
  EXPECT_EQ(r.headers["x-sdk"], "rust");
  EXPECT_EQ(r.body, "rust GET /hi x=1 bob lines=true refused=Err(InvalidArgument) bad=Err(InvalidArgument)");
  r = client.fetch("POST", base + "/other", "body", {});
  EXPECT_EQ(r.body, "rust POST /other  absent lines=true refused=Err(InvalidArgument) bad=Err(InvalidArgument)");
  ASSERT_TRUE(runtime->wait_idle(10s));
  frontend->stop();
}

INSTANTIATE_TEST_SUITE_P(Engines, SdkRust, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

std::string run_cli(const std::string& args, int* status) {
  const std::string cmd = std::string(WACTOR_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  std::string out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  *status = pclose(p);
  return out;
}

class SdkRustExample : public ::testing::TestWithParam<std::string> {};

// The worker-pool example's manifest with its components in Rust, as a user runs it.
TEST_P(SdkRustExample, WorkerPoolRunsEveryJob) {
  int st = 0;
  const auto out = run_cli("run " + example("workerpool-rust", "app.toml") + " --until-idle --max-seconds 30 --engine " +
                               GetParam(),
                           &st);
  ASSERT_TRUE(WIFEXITED(st)) << out;
  EXPECT_EQ(WEXITSTATUS(st), 0) << out;
  EXPECT_NE(out.find("boss INFO job.3 failed (flaky), retrying in 50 ms"), std::string::npos) << out;
  EXPECT_NE(out.find("boss INFO all 5 jobs done"), std::string::npos) << out;
}

TEST_P(SdkRustExample, PingPongRuns) {
  int st = 0;
  const auto out = run_cli("run " + example("pingpong-rust", "app.toml") + " --until-idle --max-seconds 30 --engine " +
                               GetParam(),
                           &st);
  ASSERT_TRUE(WIFEXITED(st)) << out;
  EXPECT_EQ(WEXITSTATUS(st), 0) << out;
  EXPECT_NE(out.find("ping INFO all 3 replies received"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, SdkRustExample, ::testing::ValuesIn(test::engine_params()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wactor
