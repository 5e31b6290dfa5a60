// HTTP ingress end to end, on every engine: real HTTP requests (libcurl) to the embedded
// server, routed to wasm guests (guests/c/http_probe.c) that read the request head and set
// the response's status and headers; every status the ingress promises; hostile clients.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "http/frontend.h"
#include "http_client.h"
#include "test_support.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
using test::HttpClient;
using test::HttpResult;

class Http : public test::EngineRuntimeTest {
 protected:
  ComponentSpec http_probe(const std::string& id, std::size_t capacity = 0) {
    return ComponentSpec{id, test::guest_bytes("http_probe.wasm"), test::guest_path("http_probe.wasm"), {}, capacity,
                         {}, Capabilities::all(), {}, {}, {}, {}};
  }
  static std::vector<http::Route> routes() {
    return {
        {"/hello", "GET", "web", 0ms},
        {"/silent", "", "web", 200ms},
        {"/*", "", "web", 0ms},
        {"/down/*", "", "gone", 0ms},
        {"/full/*", "", "tiny", 0ms},
        {"/only-post", "POST", "web", 0ms},
    };
  }
  void serve(http::FrontendOptions fo = {}) {
    if (fo.routes.empty()) fo.routes = routes();
    auto f = http::Frontend::start(*runtime, std::move(fo));
    ASSERT_TRUE(f.ok()) << f.error().to_string();
    frontend = std::move(f).value();
  }
  std::string url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(frontend->port()) + path; }
  HttpResult get(const std::string& path, std::vector<std::string> headers = {}) {
    return client.fetch("GET", url(path), {}, headers);
  }
  void TearDown() override {
    if (frontend) frontend->stop();
  }

  HttpClient client;
  std::unique_ptr<http::Frontend> frontend;  // after the runtime: stopped first
};

TEST_P(Http, AReplyBecomes200WithTheRequestHeadVisibleToTheGuest) {
  start({http_probe("web")});
  serve();
  auto r = get("/hello?x=1&y=two");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "hello GET /hello?x=1&y=two");
  EXPECT_EQ(r.headers["content-type"], "text/plain; charset=utf-8");
  r = get("/header?X-Trace", {"X-Trace: abc", "x-trace: def"});
  EXPECT_EQ(r.body, "abc, def");  // case-insensitive, several joined
  r = get("/header?X-None");
  EXPECT_EQ(r.body, "absent=-1");
  r = get("/headers", {"X-One: 1"});
  EXPECT_NE(r.body.find("X-One: 1\n"), std::string::npos) << r.body;
  r = client.fetch("POST", url("/echo"), std::string("bin\0\xff", 5), {"Content-Type: application/x-test"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::string("bin\0\xff", 5));
  EXPECT_EQ(r.headers["content-type"], "application/octet-stream");  // the guest did not set it
  ASSERT_TRUE(runtime->wait_idle(10s));  // the reply can arrive before the handler has returned
  EXPECT_EQ(stats("web").messages_handled, 5u);
}

TEST_P(Http, TheGuestSetsTheStatusAndHeaders) {
  start({http_probe("web")});
  serve();
  auto r = get("/status/418");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.body, "set=0");
  r = get("/many");  // 32 headers at most
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok=32 then=-7");
  EXPECT_EQ(r.headers["x-haa"], "v");
  // Framing headers, CR/LF injection, bad names, statuses out of range, unknown fields, other
  // requests and bad pointers: refused with a status, nothing reaches the response.
  r = get("/bad");
  EXPECT_EQ(r.body, "cl=-4 crlf=-4 name=-4 s99=-4 s600=-4 what=-4 other=-1 ptr=-4");
  EXPECT_EQ(r.headers.count("injected"), 0u);
  EXPECT_EQ(r.status, 200);
  // A reply after the handler returned keeps the status set while handling.
  HttpResult later;
  std::thread t([&] {
    HttpClient c;
    later = c.fetch("GET", url("/later"));
  });
  // /release answers the kept request; it may arrive before /later is handled: retry until released.
  std::string body;
  for (int i = 0; i < 2000 && body.find("release=0") == std::string::npos; ++i) {
    body = get("/release").body;
    if (body.find("release=0") == std::string::npos) std::this_thread::yield();
  }
  t.join();
  EXPECT_EQ(body, "release=0 after=-1");
  EXPECT_EQ(later.status, 201);
  EXPECT_EQ(later.body, "released");
}

TEST_P(Http, OnlyTheComponentThatReceivedARequestMayReadIt) {
  start({http_probe("web"), http_probe("peer")});
  serve();
  auto r = get("/deny");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "not-http=-1 peer=-2");  // the peer's own request is not HTTP; web's is not its
}

TEST_P(Http, EveryFailureHasItsStatus) {
  auto o = options();
  o.limits.deadline = 300ms;  // /spin
  start({http_probe("web"), http_probe("gone")}, o);
  serve();
  auto r = get("/error");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret"), std::string::npos) << "an error text is not leaked to HTTP clients";
  EXPECT_EQ(r.headers["content-type"], "application/json");
  r = get("/error-status");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, "bad input");
  r = get("/trap");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("trap"), std::string::npos);
  r = get("/spin");
  EXPECT_EQ(r.status, 500);
  r = get("/silent");  // the route's timeout
  EXPECT_EQ(r.status, 504);
  ASSERT_TRUE(runtime->stop_component("gone").ok());
  r = get("/down/x");
  EXPECT_EQ(r.status, 503);
  r = get("/nothing-routed-here-but-star");  // "/*" routes it; the guest says 404
  EXPECT_EQ(r.status, 404);
  // The host keeps serving.
  EXPECT_EQ(get("/hello").status, 200);
}

TEST_P(Http, NoRouteIs404) {
  start({http_probe("web")});
  http::FrontendOptions fo;
  fo.routes = {{"/hello", "GET", "web", 0ms}, {"/only-post", "POST", "web", 0ms}};
  serve(fo);
  auto r = get("/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos);
  r = get("/only-post");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "POST");
  EXPECT_EQ(stats("web").messages_handled, 0u);
}

TEST_P(Http, AFullMailboxIs503WithRetryAfter) {
  auto o = options();
  o.workers = 1;
  o.limits.deadline = 5s;
  start({http_probe("web"), http_probe("tiny", 1), probe("spinner")}, o);
  serve();
  // The only worker is busy: what reaches "tiny" waits in its mailbox (capacity 1).
  ASSERT_EQ(runtime->post("spinner", test::spin_command(GetParam(), 400'000'000)), 0);
  HttpResult first;
  std::thread t([&] {
    HttpClient c;
    first = c.fetch("GET", url("/full/a"));
  });
  while (runtime->stats("tiny")->mailbox_depth == 0) std::this_thread::yield();
  auto r = get("/full/b");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers["retry-after"], "1");
  EXPECT_EQ(stats("tiny").shed_queue_full, 1u);
  runtime->interrupt();  // end the spin; the queued request is then answered
  t.join();
  EXPECT_EQ(first.status, 404) << "queued, then answered by the guest (no such path)";
}

TEST_P(Http, ABodyOverTheLimitsIs413) {
  auto o = options();
  o.max_payload_bytes = 1024;
  start({http_probe("web")}, o);
  http::FrontendOptions fo;
  fo.max_upload_bytes = 64 * 1024;
  serve(fo);
  auto r = client.fetch("POST", url("/echo"), std::string(2048, 'x'));
  EXPECT_EQ(r.status, 413);
  r = client.fetch("POST", url("/echo"), std::string(1024, 'x'));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 1024u);
  // Past every limit the server refuses before reading the body.
  HttpClient c;
  r = c.fetch("POST", url("/echo"), std::string(200 * 1024, 'x'));
  EXPECT_EQ(r.status, 413);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(stats("web").messages_handled, 1u);
}

TEST_P(Http, KeepAliveAndManyConcurrentClients) {
  start({http_probe("web")});
  serve();
  constexpr int kClients = 32, kEach = 50;
  std::atomic<int> ok{0}, reused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      HttpClient c;
      for (int k = 0; k < kEach; ++k) {
        auto r = c.fetch("GET", url("/hello"));
        if (r.status == 200 && r.body == "hello GET /hello?") ++ok;
        if (k > 0 && r.new_connections == 0) ++reused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kEach);
  EXPECT_EQ(reused.load(), kClients * (kEach - 1)) << "every request after the first reused its connection";
}

// A client that sends half a request and stalls, and one that waits on a guest that never
// answers, hold no thread: everyone else is served meanwhile.
TEST_P(Http, SlowClientsAndSilentGuestsHoldNoThread) {
  start({http_probe("web")});
  http::FrontendOptions fo;
  fo.routes = {{"/silent", "", "web", 3000ms}, {"/*", "", "web", 0ms}};
  serve(fo);
  std::vector<int> stalled;
  for (int i = 0; i < 16; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(frontend->port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const std::string partial = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    ASSERT_EQ(write(fd, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
    stalled.push_back(fd);
  }
  std::vector<std::thread> silent;
  std::atomic<int> timeouts{0};
  for (int i = 0; i < 8; ++i) {
    silent.emplace_back([&] {
      HttpClient c;
      if (c.fetch("GET", url("/silent")).status == 504) ++timeouts;
    });
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(get("/hello").status, 200);
  for (auto& t : silent) t.join();
  EXPECT_EQ(timeouts.load(), 8);
  for (int fd : stalled) close(fd);
}

// Clients that hang up before their answer: the late answers go nowhere (under ASan: no
// use of a freed request) and the server goes on.
TEST_P(Http, ClientsThatLeaveEarlyCostNothing) {
  start({http_probe("web")});
  serve();
  for (int i = 0; i < 8; ++i) {
    HttpClient c;
    auto r = c.fetch("GET", url("/silent"), {}, {}, 50);  // the route's timeout is 200 ms
    EXPECT_EQ(r.status, 0);
  }
  ASSERT_TRUE(runtime->wait_idle(10s));  // every one timed out and was answered into the void
  EXPECT_EQ(runtime->metrics().pending_requests, 0u);
  EXPECT_EQ(get("/hello").status, 200);
}

// What the server sends back for `raw` (pipelined requests on one connection), read until
// `until` appears (the last answer's body) or 10 s pass (a failure bound, not an ordering).
std::string exchange(std::uint16_t port, const std::string& raw, const std::string& until) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return {};
  if (write(fd, raw.data(), raw.size()) != static_cast<ssize_t>(raw.size())) return {};
  std::string out;
  char buf[4096];
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (out.find(until) == std::string::npos && std::chrono::steady_clock::now() < give_up) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// A guest cannot forge a second response: 204 and 304 answers carry no body (libevent writes
// no length for them; a body would be read as the next response on the connection).
TEST_P(Http, ABodilessStatusCannotSmuggleAResponse) {
  start({http_probe("web")});
  serve();
  for (const std::string code : {"204", "304"}) {
    const std::string out = exchange(frontend->port(), "GET /forge/" + code + " HTTP/1.1\r\nHost: x\r\n\r\n" +
                                                           "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                      "\"status\": \"ok\"");
    EXPECT_EQ(count_of(out, "HTTP/1.1 "), 2u) << out;
    EXPECT_EQ(out.find("<script>"), std::string::npos) << out;
    EXPECT_NE(out.find("HTTP/1.1 " + code), std::string::npos) << out;
  }
}

// A handler that fails after setting a status and headers: a generic 500, nothing of the
// guest's and no trap text.
TEST_P(Http, AFailedHandlerIs500WhateverItSet) {
  start({http_probe("web")});
  serve();
  for (const char* path : {"/trap-after-status", "/fail-after-status"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 500) << path;
    EXPECT_EQ(r.headers.count("x-guest"), 0u) << path;
    EXPECT_EQ(r.body.find("trap"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("returned"), std::string::npos) << r.body;
  }
}

// "/" is the dashboard even beside a catch-all route: its ?token= never reaches a guest.
TEST_P(Http, TheRootIsTheDashboardNotARoute) {
  start({http_probe("web")});
  serve();  // routes() has "/*"
  auto r = get("/?token=whatever");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(stats("web").messages_handled, 0u);
}

// Stopping the server after a drain still writes the answers the drain ended (503).
TEST_P(Http, AStopWritesTheAnswersADrainEnded) {
  start({http_probe("web")});
  http::FrontendOptions fo;
  fo.routes = {{"/silent", "", "web", 30000ms}};
  serve(fo);
  HttpResult r;
  std::thread t([&] {
    HttpClient c;
    r = c.fetch("GET", url("/silent"));
  });
  while (runtime->pending_requests() == 0) std::this_thread::yield();
  (void)runtime->drain(5s);
  frontend->stop();
  t.join();
  EXPECT_EQ(r.status, 503) << r.error;
}

TEST_P(Http, HugeHeadersAreRefused) {
  start({http_probe("web")});
  serve();
  auto r = get("/hello", {"X-Big: " + std::string(64 * 1024, 'a')});
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
  EXPECT_EQ(get("/hello").status, 200);
  ASSERT_TRUE(runtime->wait_idle(10s));
  EXPECT_EQ(stats("web").messages_handled, 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Http, ::testing::ValuesIn(test::engine_params()));

}  // namespace
}  // namespace wactor
