// What `wactor run --listen` serves (docs/HTTP.md): the ingress routes, the /v1 control API,
// /metrics for Prometheus, the probes and the dashboard, on one embedded server.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/routes.h"
#include "http/server.h"
#include "wactor/runtime.h"

namespace wactor::http {

struct FrontendOptions {
  ServerOptions server;
  std::string token;  // non-empty: /v1, /metrics and the dashboard need "Authorization: Bearer <token>"
  std::vector<Route> routes;
  // A module's bytes (upgrade). Bodies up to max(this, max_payload_bytes) are read before a
  // request is routed or its token checked: keep it modest.
  std::size_t max_upload_bytes = 4u << 20;
  std::size_t metrics_max_components = 1000;     // /metrics: per-component series; the rest as "(others)"
};

// Totals sampled once a second over the last five minutes (the dashboard's chart).
struct Sample {
  std::int64_t t_ms = 0;  // unix time
  ComponentStats total;
};

class Frontend {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Frontend>> start(Runtime& runtime, FrontendOptions options);
  ~Frontend();
  [[nodiscard]] std::uint16_t port() const { return server_->port(); }
  // Stops serving (in-flight requests are dropped) and joins its threads. Idempotent.
  void stop();

 private:
  Frontend(Runtime& runtime, FrontendOptions options);
  void handle(Request&& req, const Responder& res);
  bool authorized(const Request& req) const;
  void ingress(const Route& route, Request&& req, const Responder& res);
  void control(Request&& req, const Responder& res);
  void component_call(std::string_view id, std::string_view action, Request&& req, const Responder& res);
  // Runs `job` on the control thread (spawn, stop, upgrade may block); false if too many wait.
  bool offload(std::function<void()> job);
  void control_loop(std::stop_token st);
  void sample_loop(std::stop_token st);
  std::string history_json() const;
  static Response dashboard_page();

  Runtime& runtime_;
  FrontendOptions options_;
  RouteTable routes_;
  std::string token_digest_;  // SHA-256 of the token
  static constexpr int kMaxWaitingUpgrades = 2;
  std::atomic<int> upgrades_waiting_{0};
  std::mutex jobs_mu_;
  std::condition_variable_any jobs_cv_;
  std::deque<std::function<void()>> jobs_;
  mutable std::mutex samples_mu_;
  std::condition_variable_any samples_cv_;
  std::deque<Sample> samples_;
  std::jthread control_thread_;
  std::jthread sample_thread_;
  std::unique_ptr<Server> server_;  // last: stopped first
};

// The Prometheus text exposition of `m` (docs/METRICS.md, "Prometheus").
[[nodiscard]] std::string prometheus_text(const RuntimeMetrics& m, const std::vector<ComponentInfo>& components,
                                          std::size_t max_components);
// One JSON object per component (the control API's GET /v1/components).
[[nodiscard]] std::string components_json(const std::vector<ComponentInfo>& components);
// A JSON response (not cached), and one carrying json_error(message).
[[nodiscard]] Response json_response(int status, std::string body);
[[nodiscard]] Response error_response(int status, std::string_view message);
// The answer to a message or request the runtime refused (a negative abi::GuestStatus):
// 503 with Retry-After when full or over budget, 413 too large, 503 not running, else 500.
[[nodiscard]] Response refused_response(std::int32_t status);
// {"error": "<message>"} and a newline.
[[nodiscard]] std::string json_error(std::string_view message);

}  // namespace wactor::http
