// How messages, requests and replies move between components (the Router side of the runtime).
#include "abi/abi_v1.h"
#include "messaging/topic.h"
#include "runtime/runtime_impl.h"

namespace wactor {
namespace {
std::string to_string(std::span<const std::uint8_t> s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }
std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

actor::Mailbox::Push Runtime::Impl::enqueue(actor::Component& to, actor::Envelope&& e, Placement placement) {
  // Count first: a worker may handle (and un-count) the envelope before push() returns.
  work_.add();
  const auto pushed = placement == Placement::kFront    ? to.mailbox().push_front(std::move(e))
                      : placement == Placement::kResume ? to.mailbox().resume_front(std::move(e))
                                                        : to.mailbox().push(std::move(e), placement == Placement::kBypass);
  switch (pushed) {
    case actor::Mailbox::Push::kFull:
      to.counters().bump(&actor::ComponentCounters::shed_queue_full);
      finish_one();
      break;
    case actor::Mailbox::Push::kClosed:
      finish_one();
      break;
    case actor::Mailbox::Push::kQueuedNeedsSchedule:
      scheduler_.schedule(&to);
      break;
    case actor::Mailbox::Push::kQueued:
      // A sender far ahead of a consumer running on another worker waits for it: a backlog
      // past the caches makes both sides slower (docs/BENCHMARKS.md, "The collapse").
      if (to.mailbox().depth() > actor::Scheduler::kThrottleBacklog) {
        scheduler_.throttle(&to, [&to] { return to.mailbox().depth() <= actor::Scheduler::kThrottleBacklog / 2; });
      }
      break;
  }
  return pushed;
}

void Runtime::Impl::hold(actor::Component& from, std::function<void(bool)> output) {
  work_.add();  // the runtime is not idle while an output waits
  from.hold([this, output = std::move(output)](bool durable) {
    output(durable);
    finish_one();
  });
}

actor::Mailbox::Push Runtime::Impl::deliver(ComponentPtr& to, std::string_view target, actor::Envelope&& e) {
  auto pushed = enqueue(*to, std::move(e), Placement::kBounded);
  // It passivated between the lookup and the push: the envelope was not queued (and is
  // still ours); the next activation takes it.
  for (int attempt = 0; pushed == actor::Mailbox::Push::kClosed && attempt < 3; ++attempt) {
    // Its mailbox closes before it is marked down: find() could still return it.
    const ModuleTemplate* m = activator(target);
    to = m ? activate(*m, target) : nullptr;
    if (to == nullptr || to->down()) break;
    // A request goes to the new instance: only it may answer (before it can run).
    if (e.request_id != 0) table_.retarget(e.request_id, to->handle());
    pushed = enqueue(*to, std::move(e), Placement::kBounded);
  }
  return pushed;
}

std::int32_t Runtime::Impl::refuse(actor::Component& from, std::int32_t status) {
  using C = actor::ComponentCounters;
  auto& k = from.counters();
  switch (status) {
    case abi::kNotFound: k.bump(&C::refused_not_found); break;
    case abi::kDenied: k.bump(&C::refused_denied); break;
    case abi::kQueueFull: k.bump(&C::refused_queue_full); break;
    case abi::kInvalidArgument: k.bump(&C::refused_invalid); break;
    case abi::kTooLarge: k.bump(&C::refused_too_large); break;
    case abi::kLimitReached: k.bump(&C::refused_limit); break;
    default: break;
  }
  return status;
}

bool Runtime::Impl::permitted(actor::Component& from, const std::vector<std::string>& grants, std::string_view what,
                              std::string_view name) {
  for (const auto& g : grants) {
    if (messaging::topic_matches(g, name)) return true;
  }
  report(from, "denied", std::string(what) + " '" + std::string(name) + "' not granted");
  return false;
}

void Runtime::Impl::complete(const messaging::PendingRequest& r, std::int32_t status, std::string payload) {
  if (r.target == runtime::kRemoteTarget) forget_remote(r.id);
  if (r.requester == runtime::kHostRequester) {
    complete_host(r, status, std::move(payload));
    return;
  }
  host_pending_.give(1);
  ComponentPtr requester_ptr = directory_.at(r.requester);
  if (!requester_ptr) {  // the requester is gone for good: nobody is waiting for this callback
    finish_one();
    return;
  }
  actor::Component& requester = *requester_ptr;
  requester.pending_out().fetch_sub(1, std::memory_order_relaxed);
  requester.counters().request_time.record(
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, (clock_->now() - r.started).count())));
  using C = actor::ComponentCounters;
  switch (status) {
    case abi::kCallbackOk: requester.counters().bump(&C::replies_ok); break;
    case abi::kCallbackErrorReply: requester.counters().bump(&C::replies_error); break;
    case abi::kCallbackTimeout: requester.counters().bump(&C::requests_timed_out); break;
    case abi::kCallbackCancelled: requester.counters().bump(&C::requests_cancelled); break;
    case abi::kCallbackTargetDown: requester.counters().bump(&C::requests_target_down); break;
    default: break;
  }
  actor::Envelope e{actor::Envelope::Kind::kCallback, status, r.id, {}, std::move(payload), {}};
  enqueue(requester, std::move(e), Placement::kBypass);
  finish_one();  // the pending request itself
}

std::int32_t Runtime::Impl::send(actor::Component& from, std::string_view target,
                                 std::span<const std::uint8_t> payload) {
  // The same target as the last send that passed the id and grant checks: they hold again.
  const bool known = from.send_cache().granted(target, false);
  if (!known && !valid_component_id(target)) return refuse(from, abi::kInvalidArgument);
  if (payload.size() > options_.max_payload_bytes) return refuse(from, abi::kTooLarge);
  if (!known) {
    if (!permitted(from, from.capabilities().send, "send to", target)) return refuse(from, abi::kDenied);
    from.send_cache().grant(target, false);
  }
  if (draining_.load(std::memory_order_acquire)) return refuse(from, abi::kNotFound);
  ComponentPtr to = find_for(from, target);
  if (unreachable(to)) {
    if (!cluster_) return refuse(from, abi::kNotFound);
    if (!from.holding()) return send_remote(from, target, payload);
    // To another host, but also only once what this handler wrote is durable.
    if (!remote_runs(target)) return refuse(from, abi::kNotFound);
    if (!from.hold_within(payload.size())) return refuse(from, abi::kQueueFull);
    hold(from, [this, &from, target = std::string(target), bytes = to_string(payload)](bool durable) {
      if (!durable) return;
      if (send_remote(from, target, bytes_of(bytes)) !=
          abi::kOk) {
        report(from, "shed", "held message to '" + target + "' refused: no host took it");
      }
    });
    return abi::kOk;
  }
  actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, from.id(), actor::Payload(payload), {}};
  if (from.holding()) {  // after the commit of what this handler (and its batch) wrote
    if (!from.hold_within(payload.size())) return refuse(from, abi::kQueueFull);
    hold(from, [this, &from, to, target = std::string(target), e = std::move(e)](bool durable) mutable {
      if (!durable) return;
      const auto pushed = deliver(to, target, std::move(e));
      if (pushed == actor::Mailbox::Push::kFull) {
        refuse(from, abi::kQueueFull);
        report(from, "shed", "held message to '" + target + "' refused: mailbox full");
      } else if (pushed == actor::Mailbox::Push::kClosed) {
        refuse(from, abi::kNotFound);
      } else {
        from.counters().bump_own(&actor::ComponentCounters::messages_sent);
        from.edges().count(to->handle());
      }
    });
    return abi::kOk;
  }
  const auto pushed = deliver(to, target, std::move(e));
  if (pushed == actor::Mailbox::Push::kFull) return refuse(from, abi::kQueueFull);
  if (pushed == actor::Mailbox::Push::kClosed) return refuse(from, abi::kNotFound);
  from.counters().bump_own(&actor::ComponentCounters::messages_sent);
  from.edges().count(to->handle());
  if (pushed == actor::Mailbox::Push::kQueued && options_.helping) help(from, *to);
  return abi::kOk;
}

void Runtime::Impl::help(actor::Component& from, actor::Component& to) {
  // No lock is held here (the consumer's handlers run inside), `to` is kept alive by the
  // caller's pointer, and neither side has storage (whose commits belong to their own batch).
  const std::size_t depth = to.mailbox().depth();
  // A consumer whose last batch was slow would hold the sender's call (and its worker) for
  // long: it runs on its own, where an idle worker may take it.
  if (depth <= actor::Scheduler::kHelpBacklog || &from == &to || !to.helpable() || from.uses_storage() ||
      to.uses_storage()) {
    return;
  }
  // Other workers' queues (a lock each) are searched only every kHelpBacklog sends or so: a
  // consumer running elsewhere is not queued anywhere, and each send would look in vain.
  if (!scheduler_.claim(&to, depth % actor::Scheduler::kHelpBacklog == 1)) return;
  // Timed on the stopwatch: what is excluded is taken off the sender's stopwatch spans.
  const auto t0 = stopwatch_.now();
  // About what is queued now, in batches of 64: the backlog ends in this core's cache.
  scheduler_.run_claimed(&to, static_cast<unsigned>(depth / 64));
  from.exclude(stopwatch_.now() - t0);
}

std::int64_t Runtime::Impl::request(actor::Component& from, std::string_view target,
                                    std::span<const std::uint8_t> payload, std::int32_t timeout_ms) {
  const bool known = from.send_cache().granted(target, true);  // as in send()
  if (!known && !valid_component_id(target)) return refuse(from, abi::kInvalidArgument);
  if (payload.size() > options_.max_payload_bytes) return refuse(from, abi::kTooLarge);
  // Without handle-callback the reply would have nowhere to go.
  if (!from.can_receive_callbacks()) return refuse(from, abi::kInvalidArgument);
  if (!known) {
    if (!permitted(from, from.capabilities().request, "request to", target)) return refuse(from, abi::kDenied);
    from.send_cache().grant(target, true);
  }
  if (draining_.load(std::memory_order_acquire)) return refuse(from, abi::kNotFound);
  ComponentPtr to = find_for(from, target);
  // Not here: on another host, if one runs it (remote.cpp).
  const bool remote = unreachable(to) && remote_runs(target);
  if (unreachable(to) && !remote) return refuse(from, abi::kNotFound);
  const auto timeout = timeout_ms == 0 ? std::chrono::nanoseconds(options_.default_timeout)
                                       : std::chrono::nanoseconds(std::chrono::milliseconds(timeout_ms));
  // The budgets: the requester's own, then the host's.
  const std::uint32_t max_pending = from.budget().max_pending_requests;
  if (max_pending && from.pending_out().load(std::memory_order_relaxed) >= max_pending) {
    report(from, "budget", "request refused: " + std::to_string(max_pending) + " requests already pending");
    return refuse(from, abi::kLimitReached);
  }
  if (!host_pending_.take(1)) {
    report(from, "budget", "request refused: the host's " + std::to_string(host_pending_.limit()) +
                               " pending requests are used up");
    return refuse(from, abi::kLimitReached);
  }
  from.pending_out().fetch_add(1, std::memory_order_relaxed);
  // Registered before delivery, so a reply can never arrive before its entry exists.
  work_.add();
  const auto now = clock_->now();
  const auto added = table_.add(from.handle(), remote ? runtime::kRemoteTarget : to->handle(), now + timeout, now);
  // drain() may have taken every entry just before this one was added: whoever takes it
  // back owns it (seq_cst on both sides: one of the two sees the other).
  if (draining_.load(std::memory_order_seq_cst)) {
    if (table_.take(added.id)) {
      from.pending_out().fetch_sub(1, std::memory_order_relaxed);
      host_pending_.give(1);
      finish_one();
      return refuse(from, abi::kNotFound);
    }
    // drain() took it: its callback (status 4) is on its way.
    from.counters().bump(&actor::ComponentCounters::requests_sent);
    return added.id;
  }
  if (remote && from.holding()) {  // leaves for the other host once what this handler wrote is durable
    hold(from, [this, &from, target = std::string(target), bytes = to_string(payload), id = added.id, timeout,
                earliest = added.earliest](bool durable) {
      const std::int32_t rc =
          durable ? dispatch_remote_request(id, from, target,
                                            bytes_of(bytes),
                                            timeout)
                  : abi::kNotFound;
      if (rc != abi::kOk) {
        if (auto r = table_.take(id)) complete(*r, abi::kCallbackTargetDown, {});
        return;
      }
      if (earliest) wake_timer();
    });
    from.counters().bump(&actor::ComponentCounters::requests_sent);
    return added.id;
  }
  if (remote) {
    const std::int32_t rc = dispatch_remote_request(added.id, from, target, payload, timeout);
    if (rc != abi::kOk) {
      if (table_.take(added.id)) {
        from.pending_out().fetch_sub(1, std::memory_order_relaxed);
        host_pending_.give(1);
        finish_one();
        return refuse(from, rc);
      }
    } else if (added.earliest) {
      wake_timer();
    }
    from.counters().bump(&actor::ComponentCounters::requests_sent);
    return added.id;
  }
  actor::Envelope e{actor::Envelope::Kind::kMessage, 0, added.id, from.id(), actor::Payload(payload), {}};
  if (from.holding()) {  // delivered after the commit; a request that cannot be still gets its callback
    hold(from, [this, &from, to, target = std::string(target), e = std::move(e), id = added.id,
                earliest = added.earliest](bool durable) mutable {
      const auto pushed = durable ? deliver(to, target, std::move(e)) : actor::Mailbox::Push::kClosed;
      if (pushed == actor::Mailbox::Push::kFull || pushed == actor::Mailbox::Push::kClosed) {
        if (auto r = table_.take(id)) complete(*r, abi::kCallbackTargetDown, {});
        return;
      }
      from.edges().count(to->handle());
      if (earliest) wake_timer();
    });
    from.counters().bump(&actor::ComponentCounters::requests_sent);
    return added.id;
  }
  const auto pushed = deliver(to, target, std::move(e));
  if (pushed == actor::Mailbox::Push::kFull || pushed == actor::Mailbox::Push::kClosed) {
    if (table_.take(added.id)) {
      from.pending_out().fetch_sub(1, std::memory_order_relaxed);
      host_pending_.give(1);
      finish_one();
      return refuse(from, pushed == actor::Mailbox::Push::kFull ? abi::kQueueFull : abi::kNotFound);
    }
    // Already ended (timed out) in between: its callback is on its way.
  } else {
    from.edges().count(to->handle());
    if (added.earliest) wake_timer();
  }
  from.counters().bump(&actor::ComponentCounters::requests_sent);
  return added.id;
}

std::int32_t Runtime::Impl::respond(actor::Component& from, std::int64_t id, bool is_error,
                                    std::span<const std::uint8_t> payload) {
  if (payload.size() > options_.max_payload_bytes) return refuse(from, abi::kTooLarge);
  auto taken = table_.take_as_target(id, from.handle());
  switch (taken.outcome) {
    case messaging::CorrelationTable::Outcome::kNotFound:
      from.counters().bump(&actor::ComponentCounters::orphaned_replies);
      report(from, "orphaned-reply", "reply to request " + std::to_string(id) + ": no longer pending");
      return abi::kNotFound;
    case messaging::CorrelationTable::Outcome::kDenied:
      report(from, "denied", "reply to request " + std::to_string(id) + ": not a request it received");
      return refuse(from, abi::kDenied);
    case messaging::CorrelationTable::Outcome::kOk:
      break;
  }
  const std::int32_t status = is_error ? abi::kCallbackErrorReply : abi::kCallbackOk;
  if (from.holding()) {  // the reply is observed only once what the handler wrote is durable
    hold(from, [this, r = taken.request, status, reply = to_string(payload)](bool durable) mutable {
      if (durable) {
        complete(r, status, std::move(reply));
        return;
      }
      if (r.requester == runtime::kHostRequester) host_requests_.mark_failed(r.id);
      complete(r, abi::kCallbackErrorReply, "storage commit failed");
    });
    return abi::kOk;
  }
  complete(taken.request, status, to_string(payload));
  return abi::kOk;
}

std::int32_t Runtime::Impl::cancel(actor::Component& from, std::int64_t id) {
  auto taken = table_.take_as_requester(id, from.handle());
  switch (taken.outcome) {
    case messaging::CorrelationTable::Outcome::kNotFound: return abi::kNotFound;
    case messaging::CorrelationTable::Outcome::kDenied:
      report(from, "denied", "cancel of request " + std::to_string(id) + ": not a request it made");
      return refuse(from, abi::kDenied);
    case messaging::CorrelationTable::Outcome::kOk: break;
  }
  complete(taken.request, abi::kCallbackCancelled, {});
  return abi::kOk;
}

std::int64_t Runtime::Impl::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_->now() - epoch_).count();
}

std::int32_t Runtime::Impl::subscribe(actor::Component& from, std::string_view pattern) {
  if (!messaging::valid_pattern(pattern)) return refuse(from, abi::kInvalidArgument);
  bool covered = false;
  for (const auto& g : from.capabilities().subscribe) covered = covered || messaging::pattern_covers(g, pattern);
  if (!covered) {
    report(from, "denied", "subscribe to '" + std::string(pattern) + "' not granted");
    return refuse(from, abi::kDenied);
  }
  const std::uint32_t max_subs = from.budget().max_subscriptions;
  if (max_subs && from.subscription_count().load(std::memory_order_relaxed) >= max_subs) {
    report(from, "budget", "subscribe refused: " + std::to_string(max_subs) + " subscriptions already");
    return refuse(from, abi::kLimitReached);
  }
  if (subscriptions_.add(from.handle(), pattern)) from.subscription_count().fetch_add(1, std::memory_order_relaxed);
  return abi::kOk;
}

std::int32_t Runtime::Impl::unsubscribe(actor::Component& from, std::string_view pattern) {
  if (!messaging::valid_pattern(pattern)) return refuse(from, abi::kInvalidArgument);
  if (!subscriptions_.remove(from.handle(), pattern)) return abi::kNotFound;
  from.subscription_count().fetch_sub(1, std::memory_order_relaxed);
  return abi::kOk;
}

std::int32_t Runtime::Impl::publish(actor::Component& from, std::string_view topic,
                                    std::span<const std::uint8_t> payload) {
  if (!messaging::valid_topic(topic)) return refuse(from, abi::kInvalidArgument);
  if (draining_.load(std::memory_order_acquire)) return refuse(from, abi::kNotFound);
  if (payload.size() > options_.max_payload_bytes) return refuse(from, abi::kTooLarge);
  if (!permitted(from, from.capabilities().publish, "publish on", topic)) return refuse(from, abi::kDenied);
  from.counters().bump(&actor::ComponentCounters::published);
  std::int32_t queued = 0;
  for (auto handle : subscriptions_.matching(topic)) {
    ComponentPtr to_ptr = directory_.at(handle);
    if (!to_ptr || to_ptr->down()) continue;
    actor::Component& to = *to_ptr;
    actor::Envelope e = actor::Envelope::published(from.id(), topic, payload);
    if (from.holding()) {
      if (!from.hold_within(payload.size())) {
        report(from, "shed", "published message on '" + std::string(topic) + "' refused: held outputs over budget");
        continue;
      }
      hold(from, [this, &from, to_ptr, handle, topic = std::string(topic), e = std::move(e)](bool durable) mutable {
        if (!durable) return;
        const auto pushed = enqueue(*to_ptr, std::move(e), Placement::kBounded);
        if (pushed == actor::Mailbox::Push::kFull) {
          report(from, "shed", "published message on '" + topic + "' to '" + to_ptr->id() + "' refused: mailbox full");
        } else if (pushed != actor::Mailbox::Push::kClosed) {
          from.edges().count(handle);
        }
      });
      ++queued;
      continue;
    }
    const auto pushed = enqueue(to, std::move(e), Placement::kBounded);
    if (pushed == actor::Mailbox::Push::kClosed) continue;
    if (pushed == actor::Mailbox::Push::kFull) {
      report(from, "shed", "published message on '" + std::string(topic) + "' to '" + to.id() +
                               "' refused: mailbox full");
      continue;
    }
    from.edges().count(handle);
    ++queued;
  }
  from.counters().bump_own(&actor::ComponentCounters::messages_sent, static_cast<std::uint64_t>(queued));
  if (cluster_) {  // other hosts deliver to their own subscribers
    if (from.holding()) {
      hold(from, [this, &from, topic = std::string(topic), bytes = to_string(payload)](bool durable) {
        if (durable) {
          publish_remote(from, topic, bytes_of(bytes));
        }
      });
    } else {
      publish_remote(from, topic, payload);
    }
  }
  return queued;
}

std::int32_t Runtime::Impl::broadcast(actor::Component& from, std::span<const std::uint8_t> payload) {
  if (payload.size() > options_.max_payload_bytes) return refuse(from, abi::kTooLarge);
  if (draining_.load(std::memory_order_acquire)) return refuse(from, abi::kNotFound);
  if (from.capabilities().send.empty()) {
    report(from, "denied", "broadcast: no send grant");
    return refuse(from, abi::kDenied);
  }
  std::int32_t queued = 0;
  directory_.for_each([&](const ComponentPtr& to) {
    if (to.get() == &from || to->down()) return;
    bool granted = false;  // only the recipients its send grants cover
    for (const auto& g : from.capabilities().send) granted = granted || messaging::topic_matches(g, to->id());
    if (!granted) return;
    actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, from.id(), actor::Payload(payload), {}};
    if (from.holding()) {
      if (!from.hold_within(payload.size())) {
        report(from, "shed", "broadcast to '" + to->id() + "' refused: held outputs over budget");
        return;
      }
      hold(from, [this, to, e = std::move(e)](bool durable) mutable {
        if (durable) (void)enqueue(*to, std::move(e), Placement::kBounded);
      });
      from.edges().count(to->handle());
      ++queued;
      return;
    }
    const auto pushed = enqueue(*to, std::move(e), Placement::kBounded);
    if (pushed == actor::Mailbox::Push::kClosed) return;
    if (pushed == actor::Mailbox::Push::kFull) {
      report(from, "shed", "broadcast to '" + to->id() + "' refused: mailbox full");
      return;
    }
    from.edges().count(to->handle());
    ++queued;
  });
  from.counters().bump_own(&actor::ComponentCounters::messages_sent, static_cast<std::uint64_t>(queued));
  return queued;
}

void Runtime::Impl::log(actor::Component& from, std::int32_t level, std::string_view message) {
  options_.log(from.id(), level, message);
}

void Runtime::Impl::request_received(actor::Component&, std::int64_t id) { table_.mark_received(id); }

void Runtime::Impl::request_failed(actor::Component& target, std::int64_t id, std::string reason) {
  auto taken = table_.take_as_target(id, target.handle());
  if (taken.outcome == messaging::CorrelationTable::Outcome::kOk) {
    if (taken.request.requester == runtime::kHostRequester) host_requests_.mark_failed(id);
    if (target.holding()) {  // behind the replies of the batch's earlier handlers
      hold(target, [this, r = taken.request, reason = std::move(reason)](bool) mutable {
        complete(r, abi::kCallbackErrorReply, std::move(reason));
      });
      return;
    }
    complete(taken.request, abi::kCallbackErrorReply, std::move(reason));
  }
}

void Runtime::Impl::request_target_down(actor::Component& target, std::int64_t id) {
  auto taken = table_.take_as_target(id, target.handle());
  if (taken.outcome == messaging::CorrelationTable::Outcome::kOk) {
    complete(taken.request, abi::kCallbackTargetDown, {});
  }
}

void Runtime::Impl::instance_lost(actor::Component& target) {
  subscriptions_.remove_all(target.handle());  // a fresh instance subscribes again in init
  target.subscription_count().store(0, std::memory_order_relaxed);
  monitors_.remove_watcher(target.handle());  // monitors too belong to the instance
  target.monitor_count().store(0, std::memory_order_relaxed);
  for (const auto& r : table_.take_received_by(target.handle())) complete(r, abi::kCallbackTargetDown, {});
}

std::int32_t Runtime::Impl::monitor(actor::Component& from, std::string_view target) {
  if (!valid_component_id(target)) return refuse(from, abi::kInvalidArgument);
  if (!permitted(from, from.capabilities().send, "monitor of", target)) return refuse(from, abi::kDenied);
  ComponentPtr t = find_live(target);
  const bool remote = (t == nullptr || t->down()) && remote_runs(target);
  if ((t == nullptr || t->down()) && !remote) return refuse(from, abi::kNotFound);
  const std::uint32_t max = from.budget().max_monitors;
  if (max && from.monitor_count().load(std::memory_order_relaxed) >= max) {
    report(from, "budget", "monitor refused: " + std::to_string(max) + " monitors already");
    return refuse(from, abi::kLimitReached);
  }
  if (remote) return monitor_remote(from, target);
  switch (monitors_.add(from.handle(), t->handle(), [&] { return !t->down(); })) {
    case runtime::Monitors::Add::kAdded: from.monitor_count().fetch_add(1, std::memory_order_relaxed); return abi::kOk;
    case runtime::Monitors::Add::kAlready: return abi::kOk;
    case runtime::Monitors::Add::kGone: return refuse(from, abi::kNotFound);
  }
  return abi::kOk;
}

std::int32_t Runtime::Impl::demonitor(actor::Component& from, std::string_view target) {
  if (!valid_component_id(target)) return refuse(from, abi::kInvalidArgument);
  ComponentPtr t = find_live(target);
  if (t == nullptr && cluster_) return demonitor_remote(from, target);
  if (t == nullptr || !monitors_.remove(from.handle(), t->handle())) return abi::kNotFound;
  from.monitor_count().fetch_sub(1, std::memory_order_relaxed);
  return abi::kOk;
}

void Runtime::Impl::report(actor::Component& c, std::string_view kind, std::string_view detail) {
  // What a guest can repeat in a loop is charged to its per-call event budget.
  const bool guest_driven = kind == "denied" || kind == "shed" || kind == "bad-log-call" ||
                            kind == "orphaned-reply" || kind == "budget";
  if (guest_driven && !c.take_event()) return;
  options_.events(RuntimeEvent{c.id(), kind, detail});
}

}  // namespace wactor
