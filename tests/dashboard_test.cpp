// The dashboard page built into the binary (cmake/EmbedAsset.cmake, docs/DASHBOARD.md):
// byte for byte the source file, self-contained, with the hooks the browser test uses.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "http/dashboard.h"

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
