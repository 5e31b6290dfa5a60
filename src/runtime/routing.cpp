// How messages, requests and replies move between components (the Router side of the runtime).
#include "abi/abi_v1.h"
#include "runtime/runtime_impl.h"

namespace wactor {
namespace {
std::string to_string(std::span<const std::uint8_t> s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }
}  // namespace

actor::Mailbox::Push Runtime::Impl::enqueue(actor::Component& to, actor::Envelope&& e, bool bypass_capacity) {
  // Count first: a worker may handle (and un-count) the envelope before push() returns.
  outstanding_.fetch_add(1, std::memory_order_acq_rel);
  const auto pushed = to.mailbox().push(std::move(e), bypass_capacity);
  switch (pushed) {
    case actor::Mailbox::Push::kFull:
      to.counters().refused_queue_full.fetch_add(1, std::memory_order_relaxed);
      finish_one();
      break;
    case actor::Mailbox::Push::kQueuedNeedsSchedule:
      scheduler_.schedule(&to);
      break;
    case actor::Mailbox::Push::kQueued:
      break;
  }
  return pushed;
}

void Runtime::Impl::complete(const messaging::PendingRequest& r, std::int32_t status, std::string payload) {
  actor::Component& requester = *components_[r.requester];
  actor::Envelope e{actor::Envelope::Kind::kCallback, status, r.id, components_[r.target]->id(), std::move(payload)};
  enqueue(requester, std::move(e), /*bypass_capacity=*/true);
  finish_one();  // the pending request itself
}

std::int32_t Runtime::Impl::send(actor::Component& from, std::string_view target,
                                 std::span<const std::uint8_t> payload) {
  if (payload.size() > options_.max_payload_bytes) return abi::kTooLarge;
  actor::Component* to = find(target);
  if (to == nullptr || to->down()) return abi::kNotFound;
  actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, from.id(), to_string(payload)};
  if (enqueue(*to, std::move(e), false) == actor::Mailbox::Push::kFull) return abi::kQueueFull;
  return abi::kOk;
}

std::int64_t Runtime::Impl::request(actor::Component& from, std::string_view target,
                                    std::span<const std::uint8_t> payload, std::int32_t timeout_ms) {
  if (payload.size() > options_.max_payload_bytes) return abi::kTooLarge;
  if (!from.can_receive_callbacks()) return abi::kInvalidArgument;  // the reply would have nowhere to go
  actor::Component* to = find(target);
  if (to == nullptr || to->down()) return abi::kNotFound;
  const auto timeout = timeout_ms == 0 ? std::chrono::nanoseconds(options_.default_timeout)
                                       : std::chrono::nanoseconds(std::chrono::milliseconds(timeout_ms));
  // Registered before delivery, so a reply can never arrive before its entry exists.
  outstanding_.fetch_add(1, std::memory_order_acq_rel);
  const auto added = table_.add(from.index(), to->index(), clock_->now() + timeout);
  actor::Envelope e{actor::Envelope::Kind::kMessage, 0, added.id, from.id(), to_string(payload)};
  if (enqueue(*to, std::move(e), false) == actor::Mailbox::Push::kFull) {
    if (table_.take(added.id)) {
      finish_one();
      return abi::kQueueFull;
    }
    return added.id;  // already ended (timed out) in between: its callback is on its way
  }
  if (added.earliest) wake_timer();
  return added.id;
}

std::int32_t Runtime::Impl::respond(actor::Component& from, std::int64_t id, bool is_error,
                                    std::span<const std::uint8_t> payload) {
  if (payload.size() > options_.max_payload_bytes) return abi::kTooLarge;
  auto taken = table_.take_as_target(id, from.index());
  switch (taken.outcome) {
    case messaging::CorrelationTable::Outcome::kNotFound:
      orphaned_replies_.fetch_add(1, std::memory_order_relaxed);
      return abi::kNotFound;
    case messaging::CorrelationTable::Outcome::kDenied:
      return abi::kDenied;
    case messaging::CorrelationTable::Outcome::kOk:
      break;
  }
  complete(taken.request, is_error ? abi::kCallbackErrorReply : abi::kCallbackOk, to_string(payload));
  return abi::kOk;
}

std::int32_t Runtime::Impl::cancel(actor::Component& from, std::int64_t id) {
  auto taken = table_.take_as_requester(id, from.index());
  switch (taken.outcome) {
    case messaging::CorrelationTable::Outcome::kNotFound: return abi::kNotFound;
    case messaging::CorrelationTable::Outcome::kDenied: return abi::kDenied;
    case messaging::CorrelationTable::Outcome::kOk: break;
  }
  complete(taken.request, abi::kCallbackCancelled, {});
  return abi::kOk;
}

std::int64_t Runtime::Impl::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_->now() - epoch_).count();
}

void Runtime::Impl::log(actor::Component& from, std::int32_t level, std::string_view message) {
  options_.log(from.id(), level, message);
}

void Runtime::Impl::request_received(actor::Component&, std::int64_t id) { table_.mark_received(id); }

void Runtime::Impl::request_failed(actor::Component& target, std::int64_t id, std::string reason) {
  auto taken = table_.take_as_target(id, target.index());
  if (taken.outcome == messaging::CorrelationTable::Outcome::kOk) {
    complete(taken.request, abi::kCallbackErrorReply, std::move(reason));
  }
}

void Runtime::Impl::request_target_down(actor::Component& target, std::int64_t id) {
  auto taken = table_.take_as_target(id, target.index());
  if (taken.outcome == messaging::CorrelationTable::Outcome::kOk) {
    complete(taken.request, abi::kCallbackTargetDown, {});
  }
}

void Runtime::Impl::instance_lost(actor::Component& target) {
  for (const auto& r : table_.take_received_by(target.index())) complete(r, abi::kCallbackTargetDown, {});
}

void Runtime::Impl::report(actor::Component& c, std::string_view kind, std::string_view detail) {
  options_.events(RuntimeEvent{c.id(), kind, detail});
}

}  // namespace wactor
