#include "http/routes.h"

namespace wactor::http {

namespace {
// How well `pattern` matches `path`: -1 not at all; exact matches beat every prefix.
long specificity(std::string_view pattern, std::string_view path) {
  if (!pattern.empty() && pattern.back() == '*') {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return path.substr(0, prefix.size()) == prefix ? static_cast<long>(prefix.size()) : -1;
  }
  return pattern == path ? 1L << 20 : -1;
}
}  // namespace

RouteTable::Match RouteTable::match(std::string_view method, std::string_view path) const {
  Match m;
  long best = -1;
  bool best_exact_method = false;
  for (const auto& r : routes_) {
    const long s = specificity(r.path, path);
    if (s < 0) continue;
    if (!r.method.empty() && r.method != method) {
      if (m.allow.find(r.method) == std::string::npos) m.allow += (m.allow.empty() ? "" : ", ") + r.method;
      continue;
    }
    const bool exact_method = !r.method.empty();
    if (s > best || (s == best && exact_method && !best_exact_method)) {
      best = s;
      best_exact_method = exact_method;
      m.route = &r;
    }
  }
  if (m.route) m.allow.clear();
  return m;
}

bool valid_route_method(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    if (method == m) return true;
  }
  return false;
}

bool reserved_path(std::string_view path) {
  return path == "/" || path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/v1" ||
         path.substr(0, 4) == "/v1/";
}

std::optional<std::string> route_path_problem(std::string_view path) {
  if (path.empty() || path.front() != '/') return "a route's path must start with '/'";
  if (path.size() > 1024) return "a route's path must be at most 1024 bytes";
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') {
      return "a route's path may hold only visible ASCII without '?' or '#'";
    }
    if (c == '*' && i + 1 != path.size()) return "'*' may only end a route's path (a prefix: \"/api/*\")";
  }
  const std::string_view fixed = path.back() == '*' ? path.substr(0, path.size() - 1) : path;
  if (path.back() != '*' && reserved_path(path)) {
    return "'" + std::string(path) + "' is served by the host (/, the dashboard; /v1/..., /metrics, /healthz, /readyz)";
  }
  if (fixed.substr(0, 4) == "/v1/") return "paths under /v1/ are the control API's";
  return std::nullopt;
}

}  // namespace wactor::http
