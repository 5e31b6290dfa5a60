// The /v1 control API end to end, on every engine: spawn, list, stop, upgrade, messages and
// requests over real HTTP; the token; malformed and hostile input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "http/frontend.h"
#include "http_client.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::HttpClient;
using test::HttpResult;
using json = nlohmann::json;

class Control : public test::EngineRuntimeTest {
 protected:
  void start_with_modules(std::vector<ComponentSpec> specs, RuntimeOptions o) {
    ModuleSpec m;
    m.name = "prober";
    m.settings = probe("unused");
    ModuleSpec c;
    c.name = "counter";
    c.settings = ComponentSpec{"unused", test::guest_bytes("counter_v1.wasm"), test::guest_path("counter_v1.wasm"),
                               {}, 0, {}, Capabilities::all(), {}, {}, {}, {}};
    auto rt = Runtime::create(std::move(o), std::move(specs), {}, {m, c});
    ASSERT_TRUE(rt.ok()) << rt.error().to_string();
    runtime = std::move(rt).value();
    ASSERT_TRUE(runtime->start().ok());
  }
  void serve(std::string token = {}, std::string address = "127.0.0.1") {
    http::FrontendOptions fo;
    fo.token = std::move(token);
    fo.server.address = std::move(address);
    auto f = http::Frontend::start(*runtime, std::move(fo));
    ASSERT_TRUE(f.ok()) << f.error().to_string();
    frontend = std::move(f).value();
  }
  std::string url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(frontend->port()) + path; }
  HttpResult call(const std::string& method, const std::string& path, const std::string& body = {},
                  std::vector<std::string> headers = {}) {
    return client.fetch(method, url(path), body, headers);
  }
  json list() {
    auto r = call("GET", "/v1/components");
    EXPECT_EQ(r.status, 200);
    return json::parse(r.body);
  }
  static const json* find(const json& arr, const std::string& id) {
    for (const auto& c : arr) {
      if (c["id"] == id) return &c;
    }
    return nullptr;
  }
  void TearDown() override {
    if (frontend) frontend->stop();
  }
  HttpClient client;
  std::unique_ptr<http::Frontend> frontend;
};

TEST_P(Control, ListsComponentsWithStateAndCounters) {
  start_with_modules({probe("a"), probe("b")}, options());
  serve();
  post("a", "count");
  ASSERT_TRUE(runtime->wait_idle(10s));
  json arr = list();
  ASSERT_EQ(arr.size(), 2u);
  const json* a = find(arr, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["state"], "running");
  EXPECT_EQ((*a)["engine"], GetParam());
  EXPECT_EQ((*a)["messages_handled"], 1);
  for (const char* key : {"module", "mailbox_depth", "pending_requests", "traps", "restarts", "handler_ns",
                          "requests_timed_out", "upgrades"}) {
    EXPECT_TRUE(a->contains(key)) << key;
  }
  auto r = call("GET", "/v1/components/a");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["id"], "a");
  EXPECT_EQ(call("GET", "/v1/components/zzz").status, 404);
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  EXPECT_EQ(call("GET", "/readyz").status, 200);
  EXPECT_EQ(json::parse(call("GET", "/v1/modules").body), json({"prober", "counter"}));
}

TEST_P(Control, SpawnsAndStopsComponents) {
  start_with_modules({probe("a")}, options());
  serve();
  auto r = call("POST", "/v1/components", R"({"id": "w1", "module": "prober", "config": ""})");
  EXPECT_EQ(r.status, 201) << r.body;
  ASSERT_NE(find(list(), "w1"), nullptr);
  EXPECT_EQ((*find(list(), "w1"))["module"], "prober");
  post("w1", "count");
  collector.wait_log("^w1: count=1$");
  r = call("POST", "/v1/components", R"({"id": "w1", "module": "prober"})");
  EXPECT_EQ(r.status, 409) << r.body;
  r = call("POST", "/v1/components", R"({"id": "w2", "module": "nope"})");
  EXPECT_EQ(r.status, 404) << r.body;
  r = call("DELETE", "/v1/components/w1");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(call("DELETE", "/v1/components/never").status, 404);
  // It leaves the list once stopped.
  for (int i = 0; i < 100000 && find(list(), "w1") != nullptr; ++i) std::this_thread::yield();
  EXPECT_EQ(find(list(), "w1"), nullptr);
  EXPECT_EQ(call("POST", "/v1/components/w1/messages", "x").status, 404);
}

TEST_P(Control, RefusesMalformedJsonWithOneLineErrors) {
  start_with_modules({probe("a")}, options());
  serve();
  for (const std::string& body : std::vector<std::string>{"", "{", "[]", "null", "{\"id\": 1, \"module\": \"prober\"}", "{\"id\": \"x\"}", "{\"module\": \"prober\"}",
        "{\"id\": \"bad id!\", \"module\": \"prober\"}", "{\"id\": \"x\", \"module\": \"prober\", \"extra\": \"1\"}",
        "{\"id\": \"x\", \"module\": \"prober\", \"config\": {}}", std::string(100000, '['),
        "{\"id\": \"\\u0000\", \"module\": \"prober\"}", "\xff\xfe"}) {
    auto r = call("POST", "/v1/components", body);
    EXPECT_EQ(r.status, 400) << body.substr(0, 60);
    auto j = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.body;
    EXPECT_TRUE(j["error"].is_string());
    EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 1);
  }
  EXPECT_EQ(list().size(), 1u);
}

TEST_P(Control, MessagesAndRequests) {
  auto o = options();
  o.max_payload_bytes = 4096;
  start_with_modules({probe("a")}, o);
  serve();
  auto r = call("POST", "/v1/components/a/messages", "count");
  EXPECT_EQ(r.status, 202);
  collector.wait_log("^a: count=1$");
  EXPECT_EQ(call("POST", "/v1/components/zz/messages", "count").status, 404);
  EXPECT_EQ(call("POST", "/v1/components/a/messages", std::string(5000, 'x')).status, 413);
  // A request the probe answers ("echo"-like: "count" answers with the count).
  r = call("POST", "/v1/components/a/requests?timeout_ms=5000", "count");
  EXPECT_EQ(r.status, 200) << r.body;
  r = call("POST", "/v1/components/a/requests?timeout_ms=200", "defer");
  EXPECT_EQ(r.status, 504) << r.body;
  r = call("POST", "/v1/components/a/requests", "fail");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("returned"), std::string::npos) << r.body;
  EXPECT_EQ(call("POST", "/v1/components/a/requests?timeout_ms=abc", "count").status, 400);
  EXPECT_EQ(call("POST", "/v1/components/a/requests?timeout_ms=0", "count").status, 400);
  EXPECT_EQ(call("POST", "/v1/components/zz/requests", "count").status, 404);
  ASSERT_TRUE(runtime->stop_component("a").ok());
  r = call("POST", "/v1/components/a/requests", "count");
  EXPECT_TRUE(r.status == 503 || r.status == 404) << r.status;
}

TEST_P(Control, UpgradesKeepStateAndRollBackOnBadModules) {
  start_with_modules({ComponentSpec{"c", test::guest_bytes("counter_v1.wasm"), test::guest_path("counter_v1.wasm"), {},
                                    0, {}, Capabilities::all(), {}, {}, {}, {}}},
                     options());
  serve();
  for (int i = 0; i < 3; ++i) post("c", "tick");
  auto v2 = test::guest_bytes("counter_v2.wasm");
  auto r = call("POST", "/v1/components/c/upgrade", "this is not wasm", {"Content-Type: application/wasm"});
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
  EXPECT_TRUE(json::parse(r.body)["error"].is_string()) << r.body;
  post("c", "get");
  collector.wait_log("^c: v1 count=3$");
  r = call("POST", "/v1/components/c/upgrade", std::string(v2.begin(), v2.end()), {"Content-Type: application/wasm"});
  EXPECT_EQ(r.status, 200) << r.body;
  post("c", "get");
  collector.wait_log("^c: v2 count=3$");
  EXPECT_EQ(call("POST", "/v1/components/zz/upgrade", "x").status, 404);
}

TEST_P(Control, TheTokenGuardsEverythingButIngressAndProbes) {
  start_with_modules({probe("a")}, options());
  const std::string token = "0123456789abcdef-secret";
  serve(token);
  auto r = call("GET", "/v1/components");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(call("GET", "/v1/components", {}, {"Authorization: Bearer wrong"}).status, 401);
  EXPECT_EQ(call("GET", "/v1/components", {}, {"Authorization: Bearer " + token + "x"}).status, 401);
  EXPECT_EQ(call("GET", "/v1/components", {}, {"Authorization: Basic " + token}).status, 401);
  EXPECT_EQ(call("GET", "/v1/components", {}, {"Authorization: Bearer " + token}).status, 200);
  EXPECT_EQ(call("GET", "/metrics").status, 401);
  EXPECT_EQ(call("GET", "/metrics", {}, {"Authorization: Bearer " + token}).status, 200);
  EXPECT_EQ(call("GET", "/").status, 401);
  EXPECT_EQ(call("GET", "/?token=" + token).status, 200);
  EXPECT_EQ(call("POST", "/v1/components", R"({"id": "w", "module": "prober"})").status, 401);
  EXPECT_EQ(runtime->component_ids().size(), 1u) << "the refused spawn did not happen";
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_P(Control, OffLoopbackNeedsAToken) {
  start_with_modules({probe("a")}, options());
  http::FrontendOptions fo;
  fo.server.address = "0.0.0.0";
  auto f = http::Frontend::start(*runtime, std::move(fo));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("token"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, Control, ::testing::ValuesIn(test::engine_params()));

}  // namespace
}  // namespace wactor
