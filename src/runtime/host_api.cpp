// What the host itself does through the message path (requests from the HTTP ingress and
// the control API) and what it reads for them (components, edges), plus the guest's side of
// an HTTP request (docs/ABI.md, "HTTP").
#include "abi/abi_v1.h"
#include "runtime/runtime_impl.h"

#include <algorithm>
#include <cctype>

namespace wactor {

std::int64_t Runtime::Impl::host_request(HostRequest r, HostReplyFn done) {
  if (!valid_component_id(r.target) || (r.sender != "$host" && r.sender != "$http") || !done) {
    return abi::kInvalidArgument;
  }
  return host_request_as(std::move(r), std::move(done));
}

std::int64_t Runtime::Impl::host_request_as(HostRequest r, HostReplyFn done) {
  if (!valid_component_id(r.target) || r.sender.empty() || !done) return abi::kInvalidArgument;
  if (r.payload.size() > options_.max_payload_bytes) return abi::kTooLarge;
  if (draining_.load(std::memory_order_acquire)) return abi::kNotFound;
  ComponentPtr to = find(r.target);
  if (unreachable(to)) return abi::kNotFound;
  if (!host_pending_.take(1)) return abi::kLimitReached;
  const auto now = clock_->now();
  const auto timeout = r.timeout.count() == 0 ? std::chrono::nanoseconds(options_.default_timeout)
                                              : std::chrono::nanoseconds(r.timeout);
  work_.add();
  const auto added = host_requests_.add({std::move(done), std::move(r.http), 0, {}, 0}, [&] {
    return table_.add(runtime::kHostRequester, to->handle(), now + timeout, now);
  });
  auto refused = [&](std::int32_t status) -> std::int64_t {
    host_requests_.drop(added.id);
    host_pending_.give(1);
    finish_one();
    return status;
  };
  if (draining_.load(std::memory_order_seq_cst)) {
    if (table_.take(added.id)) return refused(abi::kNotFound);
    return added.id;  // drain() took it: it ends with status 4
  }
  const auto handle = to->handle();
  const bool http = r.sender == "$http";
  actor::Envelope e{actor::Envelope::Kind::kMessage, 0, added.id, std::move(r.sender), std::move(r.payload), {}};
  const auto pushed = deliver(to, r.target, std::move(e));
  if (pushed == actor::Mailbox::Push::kFull || pushed == actor::Mailbox::Push::kClosed) {
    if (table_.take(added.id)) return refused(pushed == actor::Mailbox::Push::kFull ? abi::kQueueFull : abi::kNotFound);
    return added.id;  // ended meanwhile (timed out): its callback is on its way
  }
  count_host_edge(http, handle);
  if (added.earliest) wake_timer();
  return added.id;
}

void Runtime::Impl::complete_host(const messaging::PendingRequest& r, std::int32_t status, std::string payload) {
  host_pending_.give(1);
  host_request_time_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, (clock_->now() - r.started).count())));
  host_requests_.finish(r.id, status, std::move(payload));
  finish_one();
}

namespace {
ComponentInfo info_of(const runtime::ComponentPtr& c, std::string_view default_engine) {
  ComponentInfo info;
  info.id = c->id();
  info.module = c->module_name();
  info.engine = c->engine_name().empty() ? std::string(default_engine) : c->engine_name();
  info.state = c->down() ? "stopped" : c->restarting() ? "restarting" : "running";
  info.pending_requests = c->pending_out().load(std::memory_order_relaxed);
  info.stats = c->counters().snapshot();
  info.stats.mailbox_depth = c->mailbox().size();
  info.stats.mailbox_high_water = c->mailbox().high_water();
  return info;
}
}  // namespace

std::vector<ComponentInfo> Runtime::Impl::components() const {
  std::vector<ComponentInfo> out;
  directory_.for_each([&](const ComponentPtr& c) { out.push_back(info_of(c, engine_->name())); });
  return out;
}

std::optional<ComponentInfo> Runtime::Impl::component(std::string_view id) const {
  ComponentPtr c = find_live(id);
  if (!c) return std::nullopt;
  return info_of(c, engine_->name());
}

std::vector<Edge> Runtime::Impl::edges() const {
  std::vector<Edge> out;
  auto add = [&](const std::string& from, const actor::Edges& edges) {
    for (const auto& [target, n] : edges.read()) {
      if (n == 0) continue;
      if (target == 0) {
        out.push_back({from, "*", n});
        continue;
      }
      ComponentPtr to = directory_.at(target);
      if (to) out.push_back({from, to->id(), n});
    }
  };
  add("$host", host_edges_);
  add("$http", http_edges_);
  directory_.for_each([&](const ComponentPtr& c) { add(c->id(), c->edges()); });
  return out;
}

std::vector<std::string> Runtime::Impl::module_names() const {
  std::vector<std::string> out;
  for (const auto& t : templates_) out.push_back(t->spec.name);
  return out;
}

std::int32_t Runtime::Impl::http_access(actor::Component& from, std::int64_t id) const {
  const auto target = table_.target_of(id);
  if (!target) return abi::kNotFound;
  if (*target != from.handle()) return abi::kDenied;
  return abi::kOk;
}

namespace {
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

std::int32_t Runtime::Impl::http_info(actor::Component& from, std::int64_t id, std::int32_t what,
                                      std::string_view name, std::string& out) {
  if (const auto st = http_access(from, id); st != abi::kOk) return refuse(from, st);
  bool found = false;
  const bool open = host_requests_.with_http(id, [&](runtime::HostRequests::Entry& e) {
    const HttpRequestHead& h = *e.http;
    switch (what) {
      case abi::kHttpMethod: out = h.method; found = true; break;
      case abi::kHttpPath: out = h.path; found = true; break;
      case abi::kHttpQuery: out = h.query; found = true; break;
      case abi::kHttpHeader:
        for (const auto& [k, v] : h.headers) {
          if (!same_name(k, name)) continue;
          if (found) out += ", ";
          out += v;
          found = true;
        }
        break;
      case abi::kHttpHeaderList:
        for (const auto& [k, v] : h.headers) out += k + ": " + v + "\n";
        found = true;
        break;
      default: break;
    }
  });
  return open && found ? abi::kOk : abi::kNotFound;
}

std::int32_t Runtime::Impl::http_set_status(actor::Component& from, std::int64_t id, std::int32_t status) {
  if (const auto st = http_access(from, id); st != abi::kOk) return refuse(from, st);
  const bool open = host_requests_.with_http(id, [&](runtime::HostRequests::Entry& e) { e.http_status = status; });
  return open ? abi::kOk : abi::kNotFound;
}

std::int32_t Runtime::Impl::http_set_header(actor::Component& from, std::int64_t id, std::string_view name,
                                            std::string_view value) {
  if (const auto st = http_access(from, id); st != abi::kOk) return refuse(from, st);
  std::int32_t result = abi::kOk;
  const bool open = host_requests_.with_http(id, [&](runtime::HostRequests::Entry& e) {
    const std::size_t bytes = name.size() + value.size();
    if (e.http_headers.size() >= abi::kHttpMaxResponseHeaders ||
        e.http_header_bytes + bytes > abi::kHttpMaxResponseHeaderBytes) {
      result = abi::kLimitReached;
      return;
    }
    e.http_headers.emplace_back(name, value);
    e.http_header_bytes += bytes;
  });
  if (!open) return abi::kNotFound;
  return result == abi::kOk ? result : refuse(from, result);
}

}  // namespace wactor
