// The dashboard page built into the binary (cmake/EmbedAsset.cmake, docs/DASHBOARD.md):
// byte for byte the source file, self-contained, with the hooks the browser test uses; served
// at GET / with the answers it reads.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "http/dashboard.h"
#include "http/frontend.h"
#include "http_client.h"
#include "test_support.h"

namespace {

using wactor::http::kDashboardHtml;

std::string read_source() {
  std::ifstream in(WACTOR_SOURCE_DIR "/src/http/dashboard/index.html", std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Dashboard, EmbedsTheSourceFileExactly) {
  const std::string source = read_source();
  ASSERT_FALSE(source.empty());
  EXPECT_EQ(kDashboardHtml, source);
  EXPECT_EQ(kDashboardHtml.data()[kDashboardHtml.size()], '\0');  // NUL-terminated past its end
}

TEST(Dashboard, IsOneHtmlPageThatPollsTheControlApi) {
  EXPECT_TRUE(kDashboardHtml.starts_with("<!doctype html>"));
  EXPECT_TRUE(kDashboardHtml.ends_with("</html>\n"));
  for (std::string_view s : {"v1/components", "v1/edges", "v1/history", "Authorization", "Bearer ",
                             "data-testid=\"total-rate\"", "data-testid=\"graph\"", "data-testid=\"chart\"",
                             "'component-row'", "'rate'"}) {
    EXPECT_NE(kDashboardHtml.find(s), std::string_view::npos) << s;
  }
}

// No CDN, no external script, style, font or image: the page works offline and leaks nothing.
TEST(Dashboard, FetchesNothingFromElsewhere) {
  for (std::string_view s : {"src=\"http", "src='http", "href=\"http", "href='http", "url(http", "url(//",
                             "@import", "src=\"//", "href=\"//", "fetch('http", "fetch(\"http"}) {
    EXPECT_EQ(kDashboardHtml.find(s), std::string_view::npos) << s;
  }
  // The only absolute URL is the SVG namespace (an identifier, never fetched).
  for (std::size_t at = kDashboardHtml.find("http"); at != std::string_view::npos;
       at = kDashboardHtml.find("http", at + 1)) {
    const std::string_view rest = kDashboardHtml.substr(at);
    if (!rest.starts_with("http://") && !rest.starts_with("https://")) continue;
    EXPECT_TRUE(rest.starts_with("http://www.w3.org/2000/svg")) << rest.substr(0, 60);
  }
}

}  // namespace

// Served by the host: the page at GET / (and HEAD), and the answers it reads, in the shapes
// it expects (docs/DASHBOARD.md). The engine does not matter here.

namespace wactor {
namespace {

using json = nlohmann::json;

class DashboardServed : public test::EngineRuntimeTest {
 protected:
  void SetUp() override {
    start({probe("a"), probe("b")});
    auto f = http::Frontend::start(*runtime, http::FrontendOptions{});
    ASSERT_TRUE(f.ok()) << f.error().to_string();
    frontend = std::move(f).value();
  }
  void TearDown() override {
    if (frontend) frontend->stop();
  }
  test::HttpResult get(const std::string& path, const std::string& method = "GET") {
    return client.fetch(method, "http://127.0.0.1:" + std::to_string(frontend->port()) + path);
  }
  test::HttpClient client;
  std::unique_ptr<http::Frontend> frontend;
};

TEST_P(DashboardServed, TheRootIsThePageWithAPolicyThatKeepsItToItself) {
  auto r = get("/");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(r.body, kDashboardHtml);
  const std::string csp = r.headers["content-security-policy"];
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
}

// HEAD / on a keep-alive connection, then GET: the HEAD answer has the page's length and no
// body, so the next answer on the connection is read whole (libevent alone sent the body).
TEST_P(DashboardServed, HeadAnswersWithoutTheBody) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(frontend->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string ask =
      "HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(write(fd, ask.data(), ask.size()), static_cast<ssize_t>(ask.size()));
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  close(fd);
  ASSERT_TRUE(got.starts_with("HTTP/1.1 200")) << got.substr(0, 200);
  EXPECT_NE(got.find("Content-Length: " + std::to_string(kDashboardHtml.size()) + "\r\n"), std::string::npos)
      << got.substr(0, 600);
  EXPECT_EQ(got.find("<!doctype"), std::string::npos) << "the HEAD answer carried the page";
  const auto second = got.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << got.substr(0, 600);
  EXPECT_NE(got.find("\"status\": \"ok\"", second), std::string::npos) << got.substr(second);
}

TEST_P(DashboardServed, TheApiAnswersInTheShapesThePageReads) {
  post("a", "send b hello");
  collector.wait_log("^b: msg from=a ");
  const json comps = json::parse(get("/v1/components").body);
  ASSERT_TRUE(comps.is_array());
  ASSERT_EQ(comps.size(), 2u);
  for (const auto& c : comps) {
    for (const char* k : {"id", "module", "engine", "state", "mailbox_depth", "pending_requests", "messages_handled",
                          "messages_sent", "traps", "handler_errors", "restarts"}) {
      EXPECT_TRUE(c.contains(k)) << k << " in " << c.dump();
    }
  }
  const json edges = json::parse(get("/v1/edges").body);
  ASSERT_TRUE(edges.is_array());
  bool a_to_b = false;
  for (const auto& e : edges) a_to_b |= e["from"] == "a" && e["to"] == "b" && e["messages"] == 1;
  EXPECT_TRUE(a_to_b) << edges.dump();
  const json history = json::parse(get("/v1/history").body);
  EXPECT_EQ(history["interval_ms"], 1000);
  ASSERT_TRUE(history["samples"].is_array());
  for (const auto& s : history["samples"]) {
    for (const char* k : {"t_ms", "messages_handled", "messages_sent", "traps", "handler_errors", "restarts"}) {
      EXPECT_TRUE(s.contains(k)) << k << " in " << s.dump();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Interp, DashboardServed, ::testing::Values(std::string("interp")));

}  // namespace
}  // namespace wactor
