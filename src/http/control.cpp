// The /v1 control API (docs/HTTP.md, "Control API"). Every input is JSON or bytes from the
// network: parsed by nlohmann::json, checked, and answered with a status and a one-line
// JSON error when refused.
#include <nlohmann/json.hpp>

#include "abi/abi_v1.h"
#include "http/control_parse.h"
#include "http/dashboard.h"
#include "http/frontend.h"
#include "runtime/metrics_json.h"

namespace wactor::http {

namespace {


int status_of(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kResourceExhausted: return 503;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kInvalidModule:
    case ErrorCode::kAbiViolation: return 400;
    default: return 422;
  }
}

// GET /v1/components with [cluster]: the list, and in headers what it lacks.
Response lattice_response(const LatticeComponents& l) {
  Response r = json_response(200, components_json(l.components));
  if (!l.missing.empty()) {
    std::string hosts;
    for (const auto& h : l.missing) hosts += (hosts.empty() ? "" : ",") + h;
    r.headers.emplace_back("X-Wactor-Hosts-Missing", hosts.substr(0, 4096));
  }
  if (l.truncated) r.headers.emplace_back("X-Wactor-Truncated", "1");
  return r;
}

}  // namespace

std::string components_json(const std::vector<ComponentInfo>& components) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& c : components) {
    nlohmann::ordered_json j;
    j["id"] = c.id;
    if (!c.host.empty()) j["host"] = c.host;
    j["module"] = c.module;
    j["engine"] = c.engine;
    j["state"] = c.state;
    j["pending_requests"] = c.pending_requests;
    j.update(stats_json(c.stats));
    arr.push_back(std::move(j));
  }
  return arr.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string Frontend::history_json() const {
  nlohmann::json samples = nlohmann::json::array();
  {
    std::lock_guard lock(samples_mu_);
    for (const auto& s : samples_) {
      samples.push_back({{"t_ms", s.t_ms},
                         {"messages_handled", s.total.messages_handled},
                         {"messages_sent", s.total.messages_sent},
                         {"traps", s.total.traps},
                         {"handler_errors", s.total.handler_errors},
                         {"restarts", s.total.restarts}});
    }
  }
  return nlohmann::json{{"interval_ms", 1000}, {"samples", std::move(samples)}}.dump() + "\n";
}

void Frontend::control(Request&& req, const Responder& res) {
  const std::string& p = req.path;
  const std::string& m = req.method;
  if (p == "/v1/components") {
    if (m == "GET" && runtime_.host_id().empty()) {
      return res.send(json_response(200, components_json(runtime_.components())));
    }
    if (m == "GET") {  // [cluster]: every live host's, asked over NATS (control thread)
      if (!offload([this, res] { res.send(lattice_response(runtime_.lattice_components())); })) {
        res.send(error_response(503, "too many control operations waiting"));
      }
      return;
    }
    if (m != "POST") return res.send(error_response(405, "use GET or POST"));
    auto body = parse_spawn_body(req.body);
    if (!body.ok()) return res.send(error_response(400, body.error().message));
    const bool queued = offload([this, res, id = std::move(body->id), module = std::move(body->module),
                                 config = std::move(body->config), host = std::move(body->host)] {
      const Status st = host.empty() ? runtime_.spawn(module, id, config) : runtime_.spawn_on(host, module, id, config);
      if (!st.ok()) return res.send(error_response(status_of(st.error()), st.error().message));
      nlohmann::json out{{"id", id}, {"module", module}};
      if (!host.empty()) out["host"] = host;
      res.send(json_response(201, out.dump() + "\n"));
    });
    if (!queued) res.send(error_response(503, "too many control operations waiting"));
    return;
  }
  if (p == "/v1/edges" && m == "GET") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : runtime_.edges()) arr.push_back({{"from", e.from}, {"to", e.to}, {"messages", e.messages}});
    return res.send(json_response(200, arr.dump() + "\n"));
  }
  if (p == "/v1/history" && m == "GET") return res.send(json_response(200, history_json()));
  if (p == "/v1/metrics" && m == "GET") return res.send(json_response(200, to_json(runtime_.metrics())));
  if (p == "/v1/modules" && m == "GET") return res.send(json_response(200, nlohmann::json(runtime_.module_names()).dump() + "\n"));
  if (const auto cp = split_component_path(p)) {
    const std::string id(cp->id);
    const std::string action(cp->action);
    if (!valid_component_id(id)) return res.send(error_response(404, "no such component"));
    return component_call(id, action, std::move(req), res);
  }
  res.send(error_response(404, "no such endpoint: " + m + " " + p.substr(0, 256)));
}

void Frontend::component_call(std::string_view id_view, std::string_view action, Request&& req, const Responder& res) {
  const std::string id(id_view);
  const std::string& m = req.method;
  auto exists = [&] { return runtime_.has_component(id); };
  // [cluster] A component this host does not have may live on another: asked over NATS.
  const bool elsewhere = action.empty() && !runtime_.host_id().empty() && !runtime_.component(id);
  if (elsewhere && (m == "GET" || m == "DELETE")) {
    const bool queued = offload([this, res, id, get = m == "GET"] {
      if (get) {
        auto c = runtime_.lattice_component(id);
        if (!c.ok()) return res.send(error_response(status_of(c.error()), c.error().message));
        std::string arr = components_json({*c});
        return res.send(json_response(200, arr.substr(1, arr.size() - 3) + "\n"));
      }
      const Status st = runtime_.stop_lattice_component(id);
      if (!st.ok()) return res.send(error_response(status_of(st.error()), st.error().message));
      res.send(Response{204, {}, {}});
    });
    if (!queued) res.send(error_response(503, "too many control operations waiting"));
    return;
  }
  if (action.empty()) {
    if (m == "GET") {
      auto c = runtime_.component(id);
      if (!c) return res.send(error_response(404, "no such component"));
      std::string arr = components_json({*c});
      return res.send(json_response(200, arr.substr(1, arr.size() - 3) + "\n"));  // the one object
    }
    if (m != "DELETE") return res.send(error_response(405, "use GET or DELETE"));
    const Status st = runtime_.stop_component(id);
    if (!st.ok()) return res.send(error_response(status_of(st.error()), st.error().message));
    return res.send(Response{204, {}, {}});
  }
  if (m != "POST") return res.send(error_response(405, "use POST"));
  if (action == "upgrade") {
    if (!exists()) return res.send(error_response(404, "no such component"));
    // Each waiting upgrade holds its module's bytes: two at most.
    if (upgrades_waiting_.fetch_add(1) >= kMaxWaitingUpgrades) {
      upgrades_waiting_.fetch_sub(1);
      return res.send(error_response(503, "too many upgrades waiting"));
    }
    std::vector<std::uint8_t> wasm(req.body.begin(), req.body.end());
    std::string().swap(req.body);
    const bool queued = offload([this, res, id, wasm = std::move(wasm)]() mutable {
      upgrades_waiting_.fetch_sub(1);
      const Status st = runtime_.upgrade(id, std::move(wasm), "the uploaded module");
      if (!st.ok()) return res.send(error_response(status_of(st.error()), st.error().message));
      res.send(json_response(200, nlohmann::json{{"id", id}, {"upgraded", true}}.dump() + "\n"));
    });
    if (!queued) {
      upgrades_waiting_.fetch_sub(1);
      res.send(error_response(503, "too many control operations waiting"));
    }
    return;
  }
  if (req.body.size() > runtime_.max_payload_bytes()) {
    return res.send(error_response(413, "body larger than max_payload_bytes (" + std::to_string(runtime_.max_payload_bytes()) + ")"));
  }
  if (action == "messages") {
    const std::int32_t status = runtime_.post(id, std::move(req.body));
    switch (status) {
      case abi::kOk: return res.send(json_response(202, "{\"queued\": true}\n"));
      case abi::kQueueFull:
      case abi::kTooLarge: return res.send(refused_response(status));
      default: return res.send(error_response(exists() ? 503 : 404, exists() ? "the component is down" : "no such component"));
    }
  }
  if (action == "requests") {
    const auto timeout = parse_timeout_ms(req.query);
    if (!timeout.ok()) return res.send(error_response(400, timeout.error().message));
    if (!exists()) return res.send(error_response(404, "no such component"));
    HostRequest hr{id, std::move(req.body), *timeout, "$host", nullptr};
    const std::int64_t rid = runtime_.request(std::move(hr), [res](HostReply&& reply) {
      switch (reply.status) {
        case abi::kCallbackOk:
          return res.send(Response{200, {{"Content-Type", "application/octet-stream"}}, std::move(reply.payload)});
        case abi::kCallbackErrorReply:
          return res.send(Response{502, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(reply.payload)});
        case abi::kCallbackTimeout: return res.send(error_response(504, "no reply in time"));
        default: return res.send(error_response(503, "the component went down before answering"));
      }
    });
    if (rid <= 0) res.send(refused_response(static_cast<std::int32_t>(rid)));
    return;
  }
  res.send(error_response(404, "no such endpoint: " + m + " " + req.path.substr(0, 256)));
}

// The page built into the binary (docs/DASHBOARD.md). Its policy lets it run its own inline
// script and style and fetch from this origin only: no CDN, nothing from elsewhere.
Response Frontend::dashboard_page() {
  return Response{200,
                  {{"Content-Type", "text/html; charset=utf-8"},
                   {"Content-Security-Policy",
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
                   {"X-Content-Type-Options", "nosniff"},
                   {"Cache-Control", "no-cache"}},
                  std::string(kDashboardHtml)};
}

}  // namespace wactor::http
