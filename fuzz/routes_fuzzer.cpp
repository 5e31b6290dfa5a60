// The ingress route matcher (src/http/routes.cpp) on fuzzed tables and requests. The input
// is lines: every line but the last two is a route, "[METHOD ]PATH" (kept only if
// route_path_problem accepts the path and the method is valid); the last two are the
// request's method and path. Checks the match against a brute-force reading of the rules:
// the route really matches, an exact path beats every prefix, a longer prefix a shorter
// one, a route for the method one for any method; no route: `allow` lists the methods of
// the routes for the path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/routes.h"

using wactor::http::Route;
using wactor::http::RouteTable;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) return out;
    s.remove_prefix(nl + 1);
  }
}

// -1: no match; exact paths rank above every prefix, longer prefixes above shorter.
long rank(const Route& r, std::string_view path) {
  const std::string_view p = r.path;
  if (p.back() == '*') {
    const std::string_view prefix = p.substr(0, p.size() - 1);
    return path.size() >= prefix.size() && path.compare(0, prefix.size(), prefix) == 0 ? static_cast<long>(prefix.size()) : -1;
  }
  return p == path ? 1L << 30 : -1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto ls = lines(std::string_view(reinterpret_cast<const char*>(data), size));
  if (ls.size() < 2) return 0;
  std::vector<Route> routes;
  for (std::size_t i = 0; i + 2 < ls.size() && routes.size() < 64; ++i) {
    std::string_view line = ls[i];
    Route r;
    if (const auto sp = line.find(' '); sp != std::string_view::npos) {
      r.method = std::string(line.substr(0, sp));
      line.remove_prefix(sp + 1);
      if (!wactor::http::valid_route_method(r.method)) continue;
    }
    if (wactor::http::route_path_problem(line)) continue;
    r.path = std::string(line);
    // Accepted paths never shadow what the host serves itself.
    check(!r.path.empty() && r.path.front() == '/' && r.path.compare(0, 4, "/v1/") != 0);
    if (r.path.back() != '*') check(!wactor::http::reserved_path(r.path));
    r.component = "c" + std::to_string(routes.size());
    routes.push_back(std::move(r));
  }
  const std::string_view method = ls[ls.size() - 2];
  const std::string_view path = ls.back();
  const RouteTable table(routes);
  const auto m = table.match(method, path);

  // The brute-force answer: the best (rank, method-specific) over the routes for the method.
  long best = -1;
  bool best_for_method = false;
  bool any_for_path = false;
  for (const auto& r : routes) {
    const long k = rank(r, path);
    if (k < 0) continue;
    any_for_path = true;
    if (!r.method.empty() && r.method != method) continue;
    const bool for_method = !r.method.empty();
    if (k > best || (k == best && for_method && !best_for_method)) {
      best = k;
      best_for_method = for_method;
    }
  }
  if (best < 0) {
    check(m.route == nullptr);
    check(m.allow.empty() == !any_for_path);
    for (const auto& r : routes) {
      if (rank(r, path) >= 0) check(m.allow.find(r.method) != std::string::npos);  // each method listed
    }
    return 0;
  }
  check(m.route != nullptr && m.allow.empty());
  check(rank(*m.route, path) == best);                                   // it matches, and no better one does
  check(m.route->method.empty() || m.route->method == method);           // for this method or any
  check(!m.route->method.empty() == best_for_method);                    // for the method beats for any
  return 0;
}
