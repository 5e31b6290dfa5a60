// The dashboard page served at GET / (docs/DASHBOARD.md): src/http/dashboard/index.html,
// built into the binary by cmake/EmbedAsset.cmake. One self-contained HTML file (inline CSS
// and JS, no external fetches) that polls /v1/components, /v1/edges and /v1/history.
#pragma once

#include <string_view>

namespace wactor::http {

// The page's exact bytes (UTF-8), served with `Content-Type: text/html; charset=utf-8`.
extern const std::string_view kDashboardHtml;

}  // namespace wactor::http
