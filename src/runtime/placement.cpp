// Placement and the control API across hosts (docs/CLUSTER.md, "Placement" and "Control
// API across hosts"). A spawn placed on another host, and the operator's list, inspect and
// stop of another host's components, are kControl frames to that host's subject, each
// answered by one kControlReply. The asking host waits for the answer (bounded: at most
// runtime::ControlCalls::kMaxOpen calls at once, each up to kControlTimeout) on its own
// thread, never on a NATS delivery thread; the answering host acts on the delivery thread
// without waiting on anything remote. Only [[module]]s by name are ever spawned for another
// host: bytes never cross hosts.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "abi/abi_v1.h"
#include "messaging/topic.h"
#include "runtime/metrics_json.h"
#include "runtime/runtime_impl.h"

namespace wactor {
namespace {

using namespace std::chrono_literals;
constexpr std::chrono::milliseconds kControlTimeout = 2s;
// How long a spawn placed elsewhere waits for this host to hear of the new id.
constexpr std::chrono::milliseconds kAnnounceWait = 1s;
// "any": at most this many hosts are asked in turn.
constexpr std::size_t kMaxCandidates = 8;

std::int32_t guest_status_of(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return abi::kInvalidArgument;
    case ErrorCode::kAlreadyExists: return abi::kInUse;
    case ErrorCode::kNotFound:
    case ErrorCode::kFailedPrecondition: return abi::kNotFound;
    default: return abi::kLimitReached;
  }
}

Error error_of(std::int32_t status, std::string message) {
  switch (status) {
    case abi::kNotFound: return make_error(ErrorCode::kNotFound, std::move(message));
    case abi::kDenied: return make_error(ErrorCode::kFailedPrecondition, std::move(message));
    case abi::kInvalidArgument:
    case abi::kTooLarge: return make_error(ErrorCode::kInvalidArgument, std::move(message));
    case abi::kInUse: return make_error(ErrorCode::kAlreadyExists, std::move(message));
    default: return make_error(ErrorCode::kResourceExhausted, std::move(message));
  }
}

nlohmann::ordered_json info_json(const ComponentInfo& c) {
  nlohmann::ordered_json j;
  j["id"] = c.id;
  j["module"] = c.module;
  j["engine"] = c.engine;
  j["state"] = c.state;
  j["pending_requests"] = c.pending_requests;
  j.update(stats_json(c.stats));
  return j;
}

// One component as another host described it: checked, never trusted; its host is the
// one that answered, whatever the text says.
std::optional<ComponentInfo> info_from_json(const nlohmann::json& j, const std::string& host) {
  if (!j.is_object()) return std::nullopt;
  auto text = [&](const char* key, std::string& into) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    into = it->get<std::string>().substr(0, 128);
    return true;
  };
  auto number = [&](const char* key, std::uint64_t& into) {
    auto it = j.find(key);
    if (it != j.end() && it->is_number_unsigned()) into = it->get<std::uint64_t>();
  };
  ComponentInfo c;
  if (!text("id", c.id) || !valid_component_id(c.id)) return std::nullopt;
  (void)text("module", c.module);
  (void)text("engine", c.engine);
  (void)text("state", c.state);
  number("pending_requests", c.pending_requests);
#define WACTOR_READ(name, doc) number(#name, c.stats.name);
  WACTOR_COUNTERS(WACTOR_READ)
#undef WACTOR_READ
  number("mailbox_depth", c.stats.mailbox_depth);
  number("mailbox_high_water", c.stats.mailbox_high_water);
  c.host = host;
  return c;
}

}  // namespace

void Runtime::Impl::ClusterBridge::on_control(cluster::Frame&& f) { rt_.accept_control(std::move(f)); }
void Runtime::Impl::ClusterBridge::on_control_reply(cluster::Frame&& f) { rt_.accept_control_reply(std::move(f)); }

Result<runtime::ControlCalls::Answer> Runtime::Impl::control_call(const std::string& host, cluster::Frame f,
                                                                  std::chrono::milliseconds timeout) {
  if (!cluster_ || !cluster_->live(host)) return make_error(ErrorCode::kNotFound, "host '" + host + "' is not live");
  const auto id = control_calls_.open(host);
  if (!id) return make_error(ErrorCode::kResourceExhausted, "too many calls to other hosts at once");
  f.kind = cluster::Kind::kControl;
  f.request_id = *id;
  if (cluster_->to_host(host, f) != abi::kOk) {
    control_calls_.close(*id);
    return make_error(ErrorCode::kNotFound, "host '" + host + "' could not be reached");
  }
  auto answer = control_calls_.wait(*id, std::chrono::steady_clock::now() + timeout,
                                    [&] { return !cluster_->live(host); });
  if (!answer) {
    if (!cluster_->live(host)) return make_error(ErrorCode::kNotFound, "host '" + host + "' is gone");
    return make_error(ErrorCode::kNotFound, "host '" + host + "' did not answer within " +
                                                std::to_string(timeout.count()) + " ms");
  }
  return std::move(*answer);
}

void Runtime::Impl::accept_control_reply(cluster::Frame&& f) {
  if (!control_calls_.answer(f.request_id, f.host, {f.status, std::move(f.payload)})) {
    cluster_->count(&cluster::ClusterCounters::late_replies);
    cluster_->event("late-reply", "control answer " + std::to_string(f.request_id) + " from host '" + f.host +
                                      "': not pending");
  }
}

void Runtime::Impl::accept_control(cluster::Frame&& f) {
  cluster::Link* link = cluster_.get();
  auto answer = [&](std::int32_t status, std::string payload) {
    cluster::Frame r;
    r.kind = cluster::Kind::kControlReply;
    r.request_id = f.request_id;
    r.status = status;
    r.payload = std::move(payload);
    (void)link->to_host(f.host, r);
  };
  if (draining_.load(std::memory_order_acquire) || !started_.load(std::memory_order_acquire)) {
    return answer(abi::kNotFound, "host '" + link->host_id() + "' is not running");
  }
  switch (f.op) {
    case cluster::ControlOp::kList: {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      auto all = components();
      if (all.size() > kMaxComponentsPerHost) all.resize(kMaxComponentsPerHost);
      for (const auto& info : all) arr.push_back(info_json(info));
      std::string out = arr.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      if (out.size() > cluster::kMaxControlReplyBytes) return answer(abi::kLimitReached, "the list is too long");
      return answer(abi::kOk, std::move(out));
    }
    case cluster::ControlOp::kInspect: {
      auto info = component(f.target);
      if (!info) return answer(abi::kNotFound, "no component '" + f.target + "' on host '" + link->host_id() + "'");
      return answer(abi::kOk, info_json(*info).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    }
    case cluster::ControlOp::kStop: {
      const Status st = stop_component(f.target);
      if (!st.ok()) return answer(abi::kNotFound, st.error().message + " on host '" + link->host_id() + "'");
      link->event("remote-control", "stop of '" + f.target + "' asked by host '" + f.host + "'");
      return answer(abi::kOk, {});
    }
    case cluster::ControlOp::kSpawn: {
      const auto& accept = link->options().accept_spawn;
      bool accepted = accept.empty();
      for (const auto& p : accept) accepted = accepted || messaging::topic_matches(p, f.module);
      const std::string who = f.sender.empty() ? "the operator of host '" + f.host + "'"
                                               : "'" + f.sender + "' of host '" + f.host + "'";
      if (!accepted) {
        link->count(&cluster::ClusterCounters::refused_sender);
        link->event("refused", "spawn from module '" + f.module + "' asked by " + who + " (accept_spawn)");
        return answer(abi::kDenied, "denied: host '" + link->host_id() + "' does not accept spawns from module '" +
                                        f.module + "' (accept_spawn)");
      }
      if (find_module(f.module) == nullptr) {
        return answer(abi::kNotFound, "no module '" + f.module + "' on host '" + link->host_id() + "'");
      }
      std::optional<std::string> config;
      if (f.has_config) config = std::move(f.payload);
      const Status st = spawn(f.module, f.target, std::move(config));
      if (!st.ok()) return answer(guest_status_of(st.error()), st.error().message + " (host '" + link->host_id() + "')");
      // The new id is announced before the answer leaves: the asker knows it on return.
      link->announce_now();
      link->event("remote-spawn", "'" + f.target + "' from module '" + f.module + "' for " + who);
      return answer(abi::kOk, {});
    }
  }
}

std::int32_t Runtime::Impl::place_spawn(actor::Component* from, std::string_view host, std::string_view module,
                                        std::string_view id, std::optional<std::string> config, std::string& why) {
  auto local = [&]() -> std::int32_t {
    if (from) return spawn(*from, module, id, config.value_or(std::string()));
    const Status st = spawn(module, id, config);
    if (st.ok()) return abi::kOk;
    why = st.error().message;
    return guest_status_of(st.error());
  };
  const std::string self = host_id();
  if (host.empty() || host == self || (host == "any" && !cluster_)) return local();
  if (!cluster_) {
    why = "no host '" + std::string(host) + "': this host is in no cluster";
    return abi::kNotFound;
  }
  auto remote = [&](const std::string& h) -> std::int32_t {
    cluster::Frame f;
    f.op = cluster::ControlOp::kSpawn;
    f.sender = from ? from->id() : std::string();
    f.target = std::string(id);
    f.module = std::string(module);
    f.has_config = config.has_value() && !(from && config->empty());
    if (f.has_config) f.payload = *config;
    auto answer = control_call(h, std::move(f), kControlTimeout);
    if (!answer.ok()) {
      why = answer.error().message;
      return abi::kNotFound;
    }
    if (answer->status != abi::kOk) {
      why = answer->payload.substr(0, 1024);
      return answer->status;
    }
    (void)cluster_->wait_runs(id, true, kAnnounceWait);
    if (from) from->counters().bump(&actor::ComponentCounters::spawned);
    return abi::kOk;
  };
  if (host != "any") {
    if (!cluster_->live(host)) {
      why = "host '" + std::string(host) + "' is not live";
      return abi::kNotFound;
    }
    return remote(std::string(host));
  }
  // "any": the least loaded live host (by the components it announces) that has the module
  // and takes the spawn; ties go by host id.
  std::vector<std::pair<std::size_t, std::string>> candidates;
  if (find_module(module) != nullptr) {
    std::size_t n = 0;
    directory_.for_each([&](const ComponentPtr& c) { n += c->down() ? 0 : 1; });
    candidates.emplace_back(n, self);
  }
  for (auto& [h, n] : cluster_->loads()) candidates.emplace_back(n, std::move(h));
  std::sort(candidates.begin(), candidates.end());
  if (candidates.size() > kMaxCandidates) candidates.resize(kMaxCandidates);
  std::int32_t last = abi::kNotFound;
  why = "no live host has module '" + std::string(module) + "'";
  for (const auto& [n, h] : candidates) {
    last = h == self ? local() : remote(h);
    if (last == abi::kOk) return last;
    // Another host may have the module, or take it: ask the next one.
    if (last != abi::kNotFound && last != abi::kDenied) return last;
  }
  return last;
}

std::int32_t Runtime::Impl::spawn_placed(actor::Component& from, std::string_view module_at_host, std::string_view id,
                                         std::string_view config) {
  const auto at = module_at_host.rfind('@');
  const std::string_view module = module_at_host.substr(0, at), host = module_at_host.substr(at + 1);
  if (!valid_component_id(id)) return refuse(from, abi::kInvalidArgument);
  if (!valid_component_id(module) || host.empty() || (host != "any" && !valid_component_id(host))) {
    return refuse(from, abi::kNotFound);  // no such module or host (as for any unknown module)
  }
  if (!permitted(from, from.capabilities().spawn, "spawn from module", module)) return refuse(from, abi::kDenied);
  if (draining_.load(std::memory_order_acquire)) return refuse(from, abi::kNotFound);
  std::string why;
  std::optional<std::string> cfg;
  if (!config.empty()) cfg = std::string(config);
  const std::int32_t rc = place_spawn(&from, host, module, id, std::move(cfg), why);
  if (rc == abi::kOk) return rc;
  if (!why.empty()) report(from, "spawn-refused", "spawn of '" + std::string(id) + "' on '" + std::string(host) + "': " + why);
  // A local spawn counted its own refusal already.
  const bool counted = host.empty() || host == host_id() || (host == "any" && !cluster_);
  return counted ? rc : refuse(from, rc);
}

Status Runtime::Impl::spawn_on(std::string_view host, std::string_view module, std::string_view id,
                               std::optional<std::string> config) {
  if (!valid_component_id(id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid component id '" + std::string(id) + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
  }
  const std::string self = host_id();
  if (host.empty() || host == self) return spawn(module, id, std::move(config));
  if (!valid_component_id(module)) return make_error(ErrorCode::kNotFound, "no module '" + std::string(module) + "'");
  std::string why;
  const std::int32_t rc = place_spawn(nullptr, host, module, id, std::move(config), why);
  if (rc == abi::kOk) return {};
  return error_of(rc, why.empty() ? "spawn of '" + std::string(id) + "' refused: status " + std::to_string(rc) : why);
}

LatticeComponents Runtime::Impl::lattice_components() {
  LatticeComponents out;
  const std::string self = host_id();
  out.components = components();
  for (auto& c : out.components) c.host = self;
  if (!cluster_) return out;
  // Ask every live host at once, then take the answers as they come (one deadline for all).
  struct Asked {
    std::string host;
    std::int64_t id;
  };
  std::vector<Asked> asked;
  for (const auto& h : cluster_->hosts()) {
    const auto id = control_calls_.open(h);
    if (!id) {
      out.missing.push_back(h);
      continue;
    }
    cluster::Frame f;
    f.kind = cluster::Kind::kControl;
    f.op = cluster::ControlOp::kList;
    f.request_id = *id;
    if (cluster_->to_host(h, f) != abi::kOk) {
      control_calls_.close(*id);
      out.missing.push_back(h);
      continue;
    }
    asked.push_back({h, *id});
  }
  const auto until = std::chrono::steady_clock::now() + kControlTimeout;
  for (const auto& a : asked) {
    auto answer = control_calls_.wait(a.id, until, [&] { return !cluster_->live(a.host); });
    if (!answer || answer->status != abi::kOk) {
      out.missing.push_back(a.host);
      continue;
    }
    const auto arr = nlohmann::json::parse(answer->payload, nullptr, /*allow_exceptions=*/false);
    std::string().swap(answer->payload);
    if (!arr.is_array()) {
      out.missing.push_back(a.host);
      continue;
    }
    std::size_t taken = 0;
    for (const auto& j : arr) {
      if (taken >= kMaxComponentsPerHost || out.components.size() >= kMaxLatticeComponents) {
        out.truncated = true;
        break;
      }
      if (auto c = info_from_json(j, a.host)) {
        out.components.push_back(std::move(*c));
        ++taken;
      }
    }
  }
  return out;
}

Result<ComponentInfo> Runtime::Impl::lattice_component(std::string_view id) {
  if (auto c = component(id)) {
    c->host = host_id();
    return std::move(*c);
  }
  const std::string none = "no component '" + std::string(id) + "'";
  if (!cluster_ || !valid_component_id(id)) return make_error(ErrorCode::kNotFound, none);
  for (const auto& h : cluster_->hosts_running(id)) {
    cluster::Frame f;
    f.op = cluster::ControlOp::kInspect;
    f.target = std::string(id);
    auto answer = control_call(h, std::move(f), kControlTimeout);
    if (!answer.ok()) return std::move(answer).take_error();
    if (answer->status != abi::kOk) continue;
    const auto j = nlohmann::json::parse(answer->payload, nullptr, /*allow_exceptions=*/false);
    if (auto c = info_from_json(j, h); c && c->id == id) return std::move(*c);
  }
  return make_error(ErrorCode::kNotFound, none);
}

Status Runtime::Impl::stop_lattice_component(std::string_view id) {
  if (find_live(id) || !cluster_ || !valid_component_id(id)) return stop_component(id);
  const auto hosts = cluster_->hosts_running(id);
  if (hosts.empty()) return stop_component(id);  // kNotFound
  // Replicas: each host running the id stops its own.
  for (const auto& h : hosts) {
    cluster::Frame f;
    f.op = cluster::ControlOp::kStop;
    f.target = std::string(id);
    auto answer = control_call(h, std::move(f), kControlTimeout);
    if (!answer.ok()) return std::move(answer).take_error();
    if (answer->status != abi::kOk) return error_of(answer->status, answer->payload.substr(0, 1024));
  }
  return {};
}

}  // namespace wactor
