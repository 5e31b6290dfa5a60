// Components on other hosts (docs/CLUSTER.md): the one place where the message path meets
// the NATS link. A target no local component has goes to the cluster; what arrives from
// the cluster enters the local path as if a local sender had sent it. The requester's host
// keeps each remote request in its correlation table (target kRemoteTarget): a reply from
// the other host is one more way to end that entry, and only whoever takes it calls back.
#include "abi/abi_v1.h"
#include "messaging/topic.h"
#include "runtime/runtime_impl.h"

#include <unordered_set>

namespace wactor {
namespace {
std::string to_string(std::span<const std::uint8_t> s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }
constexpr std::chrono::milliseconds kRemoteRequestGrace{500};  // see accept_request
}  // namespace

std::vector<std::string> Runtime::Impl::ClusterBridge::local_ids() {
  std::vector<std::string> ids;
  if (rt_.draining_.load(std::memory_order_acquire)) return ids;
  rt_.directory_.for_each([&](const ComponentPtr& c) {
    if (!c->down()) ids.push_back(c->id());
  });
  return ids;
}
void Runtime::Impl::ClusterBridge::on_send(cluster::Frame&& f) { rt_.accept_send(std::move(f)); }
void Runtime::Impl::ClusterBridge::on_request(cluster::Frame&& f) { rt_.accept_request(std::move(f)); }
void Runtime::Impl::ClusterBridge::on_reply(cluster::Frame&& f) { rt_.accept_reply(std::move(f)); }
void Runtime::Impl::ClusterBridge::on_publish(cluster::Frame&& f) { rt_.accept_publish(std::move(f)); }
void Runtime::Impl::ClusterBridge::on_ids_lost(const std::vector<std::string>& ids) { rt_.remote_ids_lost(ids); }

Status Runtime::Impl::start_cluster() {
  if (options_.cluster.url.empty()) return {};
  cluster_bridge_ = std::make_unique<ClusterBridge>(*this);
  std::string error;
  auto events = [this](std::string_view kind, const std::string& detail) {
    options_.events(RuntimeEvent{"$cluster", kind, detail});
  };
  cluster_ = cluster::Link::connect(options_.cluster, *cluster_bridge_, events, error);
  if (!cluster_) return make_error(ErrorCode::kIo, "cluster: " + error);
  return {};
}

void Runtime::Impl::stop_cluster() {
  if (cluster_) cluster_->close();
}

bool Runtime::Impl::wait_remote(std::string_view id, bool present, std::chrono::milliseconds timeout) {
  return cluster_ && cluster_->wait_runs(id, present, timeout);
}

std::string Runtime::Impl::host_id() const { return cluster_ ? cluster_->host_id() : std::string(); }

bool Runtime::Impl::remote_runs(std::string_view id) const { return cluster_ && cluster_->runs(id); }

std::int32_t Runtime::Impl::forward_remote(std::string sender, std::string target, std::string payload) {
  cluster::Frame f;
  f.kind = cluster::Kind::kSend;
  f.sender = std::move(sender);
  f.target = std::move(target);
  f.payload = std::move(payload);
  return cluster_->to_component(f);
}

std::int32_t Runtime::Impl::send_remote(actor::Component& from, std::string_view target,
                                        std::span<const std::uint8_t> payload) {
  const std::int32_t rc = forward_remote(from.id(), std::string(target), to_string(payload));
  if (rc != abi::kOk) return refuse(from, rc);
  from.counters().bump_own(&actor::ComponentCounters::messages_sent);
  return abi::kOk;
}

std::int32_t Runtime::Impl::dispatch_remote_request(std::int64_t id, actor::Component& from, std::string_view target,
                                                    std::span<const std::uint8_t> payload,
                                                    std::chrono::nanoseconds timeout) {
  {
    std::lock_guard lock(remote_mu_);
    remote_pending_.emplace(id, std::string(target));
  }
  cluster::Frame f;
  f.kind = cluster::Kind::kRequest;
  f.sender = from.id();
  f.target = std::string(target);
  f.request_id = id;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  f.timeout_ms = static_cast<std::uint32_t>(std::clamp<std::int64_t>(ms, 1, INT32_MAX));
  f.payload = to_string(payload);
  const std::int32_t rc = cluster_->to_component(f);
  if (rc != abi::kOk) forget_remote(id);
  return rc;
}

void Runtime::Impl::forget_remote(std::int64_t id) {
  std::lock_guard lock(remote_mu_);
  remote_pending_.erase(id);
}

void Runtime::Impl::publish_remote(actor::Component& from, std::string_view topic,
                                   std::span<const std::uint8_t> payload) {
  cluster::Frame f;
  f.kind = cluster::Kind::kPublish;
  f.sender = from.id();
  f.target = std::string(topic);
  f.payload = to_string(payload);
  (void)cluster_->to_topic(f);  // a failure is counted by the link (send_failed)
}

void Runtime::Impl::accept_send(cluster::Frame&& f) {
  ComponentPtr to = draining_.load(std::memory_order_acquire) ? nullptr : find(f.target);
  if (unreachable(to)) {
    cluster_->count(&cluster::ClusterCounters::refused_no_target);
    return;
  }
  actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, std::move(f.sender), std::move(f.payload), {}};
  const auto pushed = deliver(to, f.target, std::move(e));
  if (pushed == actor::Mailbox::Push::kFull) cluster_->count(&cluster::ClusterCounters::refused_queue_full);
  if (pushed == actor::Mailbox::Push::kClosed) cluster_->count(&cluster::ClusterCounters::refused_no_target);
}

void Runtime::Impl::accept_request(cluster::Frame&& f) {
  cluster::Link* link = cluster_.get();
  auto answer = [link, host = f.host, target = f.target, id = f.request_id](std::int32_t status, std::string payload) {
    cluster::Frame r;
    r.kind = cluster::Kind::kReply;
    r.target = target;
    r.request_id = id;
    r.status = status;
    r.payload = std::move(payload);
    (void)link->to_host(host, r);
  };
  HostRequest r;
  r.target = f.target;
  r.payload = std::move(f.payload);
  // The requester's host decides the timeout (its own timer, status 2); this copy ends 500 ms
  // later, so that a timer that fires late here on a loaded machine cannot answer first
  // (what it answers after the requester's timeout is a late reply there).
  r.timeout = std::chrono::milliseconds(f.timeout_ms == 0 ? 1 : f.timeout_ms) + kRemoteRequestGrace;
  r.sender = std::move(f.sender);
  const std::int64_t rc =
      host_request_as(std::move(r), [answer](HostReply&& reply) { answer(reply.status, std::move(reply.payload)); });
  if (rc > 0) return;
  // Refused here: the requester's callback says so at once (status 4: no such target now;
  // 1 with the reason otherwise).
  if (rc == abi::kNotFound) {
    cluster_->count(&cluster::ClusterCounters::refused_no_target);
    answer(abi::kCallbackTargetDown, {});
  } else {
    if (rc == abi::kQueueFull) cluster_->count(&cluster::ClusterCounters::refused_queue_full);
    answer(abi::kCallbackErrorReply, "refused by host '" + cluster_->host_id() + "': status " + std::to_string(rc));
  }
}

void Runtime::Impl::accept_reply(cluster::Frame&& f) {
  {
    std::lock_guard lock(remote_mu_);
    auto it = remote_pending_.find(f.request_id);
    // Only the target's host may answer: the id must be pending for that very target.
    if (it == remote_pending_.end() || it->second != f.target) {
      cluster_->count(&cluster::ClusterCounters::late_replies);
      cluster_->event("late-reply", "reply to request " + std::to_string(f.request_id) + " from host '" + f.host +
                                        "': not pending");
      return;
    }
  }
  // ...and only a host that runs it: another member cannot end someone else's request.
  if (!cluster_->announced_by(f.host, f.target)) {
    cluster_->count(&cluster::ClusterCounters::late_replies);
    cluster_->event("refused", "reply to request " + std::to_string(f.request_id) + " from host '" + f.host +
                                   "', which does not run '" + f.target + "'");
    return;
  }
  auto taken = table_.take_as_target(f.request_id, runtime::kRemoteTarget);
  if (taken.outcome != messaging::CorrelationTable::Outcome::kOk) {
    cluster_->count(&cluster::ClusterCounters::late_replies);
    cluster_->event("late-reply", "reply to request " + std::to_string(f.request_id) + " from host '" + f.host +
                                      "': no longer pending");
    return;
  }
  complete(taken.request, f.status, std::move(f.payload));
}

void Runtime::Impl::accept_publish(cluster::Frame&& f) {
  if (draining_.load(std::memory_order_acquire)) return;
  for (auto handle : subscriptions_.matching(f.target)) {
    ComponentPtr to = directory_.at(handle);
    if (!to || to->down()) continue;
    actor::Envelope e = actor::Envelope::published(f.sender, f.target, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(f.payload.data()), f.payload.size()));
    if (enqueue(*to, std::move(e), Placement::kBounded) == actor::Mailbox::Push::kFull) {
      cluster_->count(&cluster::ClusterCounters::refused_queue_full);
    }
  }
}

std::int32_t Runtime::Impl::monitor_remote(actor::Component& from, std::string_view target) {
  std::lock_guard lock(remote_mu_);
  if (remote_watchers_[std::string(target)].insert(from.handle()).second) {
    from.monitor_count().fetch_add(1, std::memory_order_relaxed);
  }
  return abi::kOk;
}

std::int32_t Runtime::Impl::demonitor_remote(actor::Component& from, std::string_view target) {
  std::lock_guard lock(remote_mu_);
  auto it = remote_watchers_.find(std::string(target));
  if (it == remote_watchers_.end() || it->second.erase(from.handle()) == 0) return abi::kNotFound;
  if (it->second.empty()) remote_watchers_.erase(it);
  from.monitor_count().fetch_sub(1, std::memory_order_relaxed);
  return abi::kOk;
}

void Runtime::Impl::remote_ids_lost(const std::vector<std::string>& ids) {
  const std::unordered_set<std::string> lost(ids.begin(), ids.end());
  std::vector<std::int64_t> ended;
  std::vector<std::pair<std::string, std::unordered_set<runtime::Handle>>> notices;
  {
    std::lock_guard lock(remote_mu_);
    for (const auto& [id, target] : remote_pending_) {
      if (lost.contains(target)) ended.push_back(id);
    }
    for (const auto& id : ids) {
      if (auto node = remote_watchers_.extract(id)) notices.emplace_back(id, std::move(node.mapped()));
    }
  }
  // Watchers hear of it as of a local component gone for good: "$down" "<id> host-lost".
  for (const auto& [id, watchers] : notices) {
    for (auto w : watchers) {
      ComponentPtr watcher = directory_.at(w);
      if (!watcher || watcher->down()) continue;
      auto& count = watcher->monitor_count();
      auto n = count.load(std::memory_order_relaxed);  // its instance may have been renewed (count reset)
      while (n > 0 && !count.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) {
      }
      actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, "$down", id + " host-lost", {}};
      if (enqueue(*watcher, std::move(e), Placement::kBypass) != actor::Mailbox::Push::kClosed) {
        watcher->counters().bump(&actor::ComponentCounters::down_notices);
      }
    }
  }
  for (auto id : ended) {
    auto taken = table_.take_as_target(id, runtime::kRemoteTarget);
    if (taken.outcome == messaging::CorrelationTable::Outcome::kOk) complete(taken.request, abi::kCallbackTargetDown, {});
  }
}

}  // namespace wactor
