// Ingress routes: which component an HTTP request goes to ([[route]], docs/HTTP.md).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wactor::http {

struct Route {
  std::string path;    // "/hello" exactly, or "/api/*": every path starting with "/api/"
  std::string method;  // empty: any
  std::string component;
  std::chrono::milliseconds timeout{0};  // 0: the runtime's default
};

class RouteTable {
 public:
  RouteTable() = default;
  explicit RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {}

  struct Match {
    const Route* route = nullptr;  // null: no route for this method and path
    std::string allow;             // no route for the method but some for the path: their methods (405)
  };
  // The most specific route: an exact path before a prefix, a longer prefix before a
  // shorter one, a route for the method before one for any method.
  [[nodiscard]] Match match(std::string_view method, std::string_view path) const;
  [[nodiscard]] bool empty() const { return routes_.empty(); }

 private:
  std::vector<Route> routes_;
};

// Why `path` cannot be a route's path, or nothing if it can.
[[nodiscard]] std::optional<std::string> route_path_problem(std::string_view path);
[[nodiscard]] bool valid_route_method(std::string_view method);
// Paths the host serves itself (control API, metrics, probes): never a route.
[[nodiscard]] bool reserved_path(std::string_view path);

}  // namespace wactor::http
