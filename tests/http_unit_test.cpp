// The HTTP layer's pure parts: the route matcher, listen addresses, header checks, the
// histogram buckets, and the Prometheus exposition (checked by `promtool check metrics`).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "http/address.h"
#include "http/frontend.h"
#include "http/routes.h"
#include "wactor/abi.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;

TEST(Routes, ExactBeatsPrefixAndLongerPrefixBeatsShorter) {
  http::RouteTable t({{"/*", "", "any", 0ms},
                      {"/api/*", "", "api", 0ms},
                      {"/api/users/*", "GET", "users", 0ms},
                      {"/api/users/me", "", "me", 0ms},
                      {"/post", "POST", "poster", 0ms}});
  auto m = t.match("GET", "/api/users/me");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->component, "me");
  EXPECT_EQ(t.match("GET", "/api/users/7").route->component, "users");
  EXPECT_EQ(t.match("POST", "/api/users/7").route->component, "api");  // users is GET only
  EXPECT_EQ(t.match("GET", "/api/").route->component, "api");
  EXPECT_EQ(t.match("GET", "/api").route->component, "any");
  EXPECT_EQ(t.match("GET", "/").route->component, "any");
  EXPECT_EQ(t.match("POST", "/post").route->component, "poster");
  EXPECT_EQ(t.match("GET", "/post").route->component, "any");
}

TEST(Routes, AMethodMismatchNamesTheAllowedMethods) {
  http::RouteTable t({{"/x", "POST", "a", 0ms}, {"/x", "PUT", "b", 0ms}});
  auto m = t.match("GET", "/x");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "POST, PUT");
  m = t.match("GET", "/y");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "");
}

TEST(Routes, PathsAreChecked) {
  EXPECT_FALSE(http::route_path_problem("/hello"));
  EXPECT_FALSE(http::route_path_problem("/api/*"));
  EXPECT_FALSE(http::route_path_problem("/*"));
  for (const char* bad : {"", "/", "hello", "/a*/b", "/a b", "/a?b", "/a#b", "/v1/components", "/v1/*", "/metrics",
                          "/healthz", "/readyz", "/\x7f"}) {
    EXPECT_TRUE(http::route_path_problem(bad)) << bad;
  }
  EXPECT_TRUE(http::route_path_problem("/" + std::string(1024, 'a')));
  EXPECT_TRUE(http::valid_route_method("GET"));
  EXPECT_FALSE(http::valid_route_method("get"));
  EXPECT_FALSE(http::valid_route_method("CONNECT"));
}

TEST(Address, ParsesAndClassifies) {
  auto a = http::parse_listen("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);
  a = http::parse_listen("[::1]:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "::1");
  a = http::parse_listen(":9000");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "0.0.0.0");
  for (const char* bad : {"8080", "127.0.0.1:", "127.0.0.1:65536", "localhost:80", "1.2.3.4:-1", "1.2.3.4:8x"}) {
    EXPECT_FALSE(http::parse_listen(bad).ok()) << bad;
  }
  EXPECT_TRUE(http::is_loopback("127.0.0.1"));
  EXPECT_TRUE(http::is_loopback("127.5.0.1"));
  EXPECT_TRUE(http::is_loopback("::1"));
  EXPECT_FALSE(http::is_loopback("0.0.0.0"));
  EXPECT_FALSE(http::is_loopback("::"));
  EXPECT_FALSE(http::is_loopback("10.0.0.1"));
}

TEST(HttpHeaders, NamesAndValuesAGuestMaySet) {
  EXPECT_TRUE(abi::valid_header_name("X-Thing"));
  EXPECT_TRUE(abi::valid_header_name("Content-Type"));
  for (const char* owned : {"Content-Length", "transfer-encoding", "Connection", "Date", "Server", "Upgrade"}) {
    EXPECT_FALSE(abi::valid_header_name(owned)) << owned;
  }
  for (std::string bad : {std::string(), std::string("X A"), std::string("X:A"), std::string("X\r"),
                          std::string(129, 'a'), std::string("\xc3\xa9")}) {
    EXPECT_FALSE(abi::valid_header_name(bad)) << bad;
  }
  EXPECT_TRUE(abi::valid_header_value("text/plain; charset=utf-8"));
  EXPECT_TRUE(abi::valid_header_value(""));
  for (std::string bad : {std::string("a\r\nb"), std::string("a\nb"), std::string("a\0b", 3), std::string(8193, 'a')}) {
    EXPECT_FALSE(abi::valid_header_value(bad));
  }
}

TEST(HistogramBuckets, PowersOfFourMicroseconds) {
  EXPECT_EQ(Histogram::bucket(0), 0u);
  EXPECT_EQ(Histogram::bucket(1000), 0u);
  EXPECT_EQ(Histogram::bucket(1001), 1u);
  EXPECT_EQ(Histogram::bucket(4000), 1u);
  EXPECT_EQ(Histogram::bucket(4001), 2u);
  EXPECT_EQ(Histogram::bucket(16'000), 2u);
  EXPECT_EQ(Histogram::bucket(1'000'000), 5u);   // 1.024 ms bound
  EXPECT_EQ(Histogram::bucket(UINT64_MAX), Histogram::kBuckets - 1);
  EXPECT_DOUBLE_EQ(Histogram::bound_seconds(0), 1e-6);
  EXPECT_DOUBLE_EQ(Histogram::bound_seconds(5), 1024e-6);
  for (std::uint64_t ns : {1ull, 999ull, 5000ull, 123456789ull, 4'000'000'000ull}) {
    const auto b = Histogram::bucket(ns);
    EXPECT_LE(static_cast<double>(ns) * 1e-9, Histogram::bound_seconds(b) * (1 + 1e-12)) << ns;
    if (b > 0) EXPECT_GT(static_cast<double>(ns) * 1e-9, Histogram::bound_seconds(b - 1)) << ns;
  }
}

// Runs promtool on `text`; its output, and whether it passed.
std::pair<bool, std::string> promtool(const std::string& text) {
  const std::string path = ::testing::TempDir() + "/metrics.txt";
  std::ofstream(path) << text;
  std::string out;
  FILE* p = popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  if (!p) return {false, "cannot run promtool"};
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int rc = pclose(p);
  return {rc == 0, out};
}

TEST(Prometheus, TheExpositionPassesPromtoolAndBoundsCardinality) {
  RuntimeMetrics m;
  std::vector<ComponentInfo> comps;
  for (int i = 0; i < 5; ++i) {
    ComponentInfo c;
    c.id = "c" + std::to_string(i);
    c.stats.messages_handled = 10 + i;
    c.stats.handler_ns = 1'500'000'000;
    c.stats.mailbox_depth = i;
    c.pending_requests = 1;
    c.stats.handler_time.counts[2] = 3;
    c.stats.handler_time.sum_ns = 30'000;
    m.total += c.stats;
    comps.push_back(c);
  }
  m.pending_requests = 2;
  m.live_components = 5;
  m.host_request_time.counts[12] = 1;
  m.host_request_time.sum_ns = 9'000'000'000;
  m.scheduler.throttled = 4;
  const std::string text = http::prometheus_text(m, comps, 3);
  auto [ok, out] = promtool(text);
  EXPECT_TRUE(ok) << out << "\n" << text.substr(0, 2000);
  EXPECT_NE(text.find("wactor_messages_handled_total{component=\"c0\"} 10\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_messages_handled_total{component=\"(others)\"} 27\n"), std::string::npos);
  EXPECT_EQ(text.find("component=\"c3\""), std::string::npos);
  EXPECT_NE(text.find("wactor_handler_seconds_total{component=\"c1\"} 1.5\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_handler_duration_seconds_bucket{le=\"1.6e-05\"} 15\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_request_duration_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_request_duration_seconds_sum 9\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_components_alive 5\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_scheduler_throttled_total 4\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_scheduler_batches_total 0\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_component_pending_requests{component=\"c2\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("wactor_component_pending_requests{component=\"(others)\"} 2\n"), std::string::npos);
}

}  // namespace
}  // namespace wactor
