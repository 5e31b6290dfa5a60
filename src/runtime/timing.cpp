// Time: the timer thread, guests' send-after timers, and the timer actions of supervision
// (restart backoffs, health polls) and passivation (idle checks).
#include <cstdio>

#include "abi/abi_v1.h"
#include "runtime/runtime_impl.h"

namespace wactor {

void Runtime::Impl::add_timer(runtime::Timer t) {
  if (timers_.add(std::move(t)).earliest) wake_timer();
}

std::int64_t Runtime::Impl::send_after(actor::Component& from, std::string_view target,
                                       std::span<const std::uint8_t> payload, std::int32_t delay_ms) {
  if (delay_ms < 0 || !valid_component_id(target)) return refuse(from, abi::kInvalidArgument);
  if (payload.size() > options_.max_payload_bytes) return refuse(from, abi::kTooLarge);
  if (!permitted(from, from.capabilities().send, "send to", target)) return refuse(from, abi::kDenied);
  if (draining_.load(std::memory_order_acquire)) return refuse(from, abi::kNotFound);
  ComponentPtr to = find(target);
  // A target on another host is looked up again when the timer fires (remote.cpp).
  if (unreachable(to) && !remote_runs(target)) return refuse(from, abi::kNotFound);
  const std::uint32_t max = from.budget().max_timers;
  if (max && from.timers_pending().load(std::memory_order_relaxed) >= max) {
    report(from, "budget", "send-after refused: " + std::to_string(max) + " timers already pending");
    return refuse(from, abi::kLimitReached);
  }
  if (!host_timers_.take(1)) {
    report(from, "budget", "send-after refused: the host's " + std::to_string(host_timers_.limit()) +
                               " pending timers are used up");
    return refuse(from, abi::kLimitReached);
  }
  from.timers_pending().fetch_add(1, std::memory_order_relaxed);
  work_.add();  // a pending timer is work (--until-idle)
  runtime::Timer t;
  t.kind = runtime::Timer::Kind::kSendAfter;
  t.owner = from.handle();
  const auto at = clock_->now() + std::chrono::milliseconds(delay_ms);
  // A storage writer's timer waits for the commit of what the handler wrote, like its sends
  // (docs/STORAGE.md): parked far ahead (cancellable by its id meanwhile), then armed.
  const bool held = from.holding();
  t.at = held ? at + std::chrono::hours(24 * 365) : at;
  t.target = std::string(target);
  t.payload.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto added = timers_.add(std::move(t));
  if (held) {
    hold(from, [this, &from, id = added.id, at](bool durable) {
      bool earliest = false;
      if (durable) {
        if (timers_.arm(id, at, earliest) && earliest) wake_timer();
      } else if (timers_.cancel(id, from.handle()) == runtime::TimerService::Cancel::kOk) {
        host_timers_.give(1);
        from.timers_pending().fetch_sub(1, std::memory_order_relaxed);
        from.counters().bump(&actor::ComponentCounters::timers_dropped);
        finish_one();
      }
    });
  } else if (added.earliest) {
    wake_timer();
  }
  from.counters().bump(&actor::ComponentCounters::timers_set);
  return added.id;
}

std::int32_t Runtime::Impl::cancel_timer(actor::Component& from, std::int64_t timer_id) {
  switch (timers_.cancel(timer_id, from.handle())) {
    case runtime::TimerService::Cancel::kNotFound: return abi::kNotFound;
    case runtime::TimerService::Cancel::kDenied:
      report(from, "denied", "cancel-timer " + std::to_string(timer_id) + ": another component's timer");
      return refuse(from, abi::kDenied);
    case runtime::TimerService::Cancel::kOk: break;
  }
  host_timers_.give(1);
  from.timers_pending().fetch_sub(1, std::memory_order_relaxed);
  from.counters().bump(&actor::ComponentCounters::timers_cancelled);
  finish_one();
  return abi::kOk;
}

void Runtime::Impl::start_later(actor::Component& c, std::chrono::nanoseconds at, std::uint64_t token) {
  work_.add();  // a pending restart keeps the runtime busy
  runtime::Timer t;
  t.kind = runtime::Timer::Kind::kStart;
  t.owner = c.handle();
  t.at = at;
  t.token = token;
  add_timer(std::move(t));
}

void Runtime::Impl::schedule_health(actor::Component& c, std::chrono::nanoseconds now) {
  if (c.health_interval().count() <= 0 || !c.has_health()) return;
  runtime::Timer t;
  t.kind = runtime::Timer::Kind::kHealth;
  t.owner = c.handle();
  t.at = now + c.health_interval();
  add_timer(std::move(t));
}

void Runtime::Impl::fire(runtime::Timer& t, std::chrono::nanoseconds now, FireCache& cache) {
  // Timers due together often share their owner and target: look each up once per batch.
  if (cache.owner != t.owner || !cache.owner_ptr) {
    cache.owner = t.owner;
    cache.owner_ptr = directory_.at(t.owner);  // null once it is gone (its timers went with it)
  }
  ComponentPtr& c = cache.owner_ptr;
  switch (t.kind) {
    case runtime::Timer::Kind::kSendAfter: {
      host_timers_.give(1);
      if (!c) {
        finish_one();
        return;
      }
      c->timers_pending().fetch_sub(1, std::memory_order_relaxed);
      // Delivered like a send from its owner; dropped (and counted) if the target is gone or full.
      if (cache.target != t.target || !cache.target_ptr || cache.target_ptr->down()) {
        cache.target = t.target;
        cache.target_ptr = draining_.load(std::memory_order_acquire) ? nullptr : find(t.target);
      }
      ComponentPtr& to = cache.target_ptr;
      auto pushed = actor::Mailbox::Push::kClosed;
      if (!unreachable(to)) {
        actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, c->id(), std::move(t.payload), {}};
        pushed = deliver(to, t.target, std::move(e));
      } else if (cluster_ && !draining_.load(std::memory_order_acquire) &&
                 forward_remote(c->id(), t.target, std::move(t.payload)) == abi::kOk) {
        pushed = actor::Mailbox::Push::kQueued;  // handed to NATS for a host that runs the target
      }
      if (pushed == actor::Mailbox::Push::kFull || pushed == actor::Mailbox::Push::kClosed) {
        c->counters().bump(&actor::ComponentCounters::timers_dropped);
      } else {
        c->counters().bump(&actor::ComponentCounters::messages_sent_by_timers);
      }
      finish_one();  // the pending timer itself
      return;
    }
    case runtime::Timer::Kind::kStart:
      if (c && t.token == c->restart_token()) {
        actor::Envelope e{actor::Envelope::Kind::kStart, 0, 0, "$host", {}, {}};
        e.control = static_cast<std::int64_t>(t.token);
        enqueue(*c, std::move(e), Placement::kResume);
      }
      // else a newer restart was scheduled since: its own start is (or will be) queued.
      // Queuing this one too could put it ahead of the current one (both go to the front).
      finish_one();  // the pending restart itself
      return;
    case runtime::Timer::Kind::kHealth:
      // Stopped for good, or the runtime drains: no more polls.
      if (!c || c->down() || draining_.load(std::memory_order_acquire)) return;
      if (c->claim_health_poll()) {
        enqueue(*c, actor::Envelope{actor::Envelope::Kind::kHealth, 0, 0, "$host", {}, {}}, Placement::kFront);
      }
      schedule_health(*c, now);
      return;
    case runtime::Timer::Kind::kIdleCheck: {
      if (!c || c->down() || draining_.load(std::memory_order_acquire)) return;
      const auto idle_since = std::chrono::nanoseconds(c->last_active_ns());
      const auto due = idle_since + c->passivate_after();
      if (due <= now) {
        enqueue(*c, actor::Envelope{actor::Envelope::Kind::kPassivate, 0, 0, "$host", {}, {}}, Placement::kBounded);
      }
      runtime::Timer next;
      next.kind = runtime::Timer::Kind::kIdleCheck;
      next.owner = t.owner;
      next.at = std::max(due, now) + c->passivate_after() / 2 + std::chrono::milliseconds(1);
      add_timer(std::move(next));
      return;
    }
  }
}

void Runtime::Impl::expire_timers() { (void)fire_due_timers(); }

std::optional<std::chrono::nanoseconds> Runtime::Impl::fire_due_timers() {
  const auto now = clock_->now();
  for (const auto& r : table_.take_expired(now)) complete(r, abi::kCallbackTimeout, {});
  // In batches: a million timers due at once do not hold the lock for long.
  for (;;) {
    auto due = timers_.take_due(now, 1024);
    FireCache cache;
    for (auto& t : due) fire(t, now, cache);
    if (due.size() < 1024) break;
  }
  if (directory_.retired() > 0) directory_.sweep();  // frees components gone for good that nothing refers to
  auto next = table_.next_deadline();
  const auto next_timer = timers_.next_due();
  if (next_timer && (!next || *next_timer < *next)) next = next_timer;
  if (directory_.retired() > 0) {  // look again soon
    const auto soon = now + std::chrono::milliseconds(50);
    if (!next || soon < *next) next = soon;
  }
  return next;
}

void Runtime::Impl::wake_timer() {
  {
    std::lock_guard lock(timer_mu_);
    ++timer_generation_;
  }
  timer_cv_.notify_one();
}

void Runtime::Impl::timer_loop() {
  std::unique_lock lock(timer_mu_);
  while (!timer_stop_) {
    const std::uint64_t generation = timer_generation_;
    lock.unlock();
    std::optional<std::chrono::nanoseconds> next;
    try {
      next = fire_due_timers();
    } catch (const std::exception& e) {  // the crash boundary of the timer thread
      std::fprintf(stderr, "wactor: timer: host error: %s\n", e.what());
      next = clock_->now() + std::chrono::milliseconds(10);
    }
    lock.lock();
    auto woken = [&] { return timer_stop_ || timer_generation_ != generation; };
    if (woken()) continue;
    if (next) {
      const std::chrono::steady_clock::time_point at(
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(*next));
      timer_cv_.wait_until(lock, at, woken);
    } else {
      timer_cv_.wait(lock, woken);
    }
  }
}

}  // namespace wactor
