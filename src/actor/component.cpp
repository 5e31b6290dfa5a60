#include "actor/component.h"

#include <chrono>
#include <algorithm>
#include <climits>
#include <span>
#include <utility>

#include "instrument/memory_guard.h"
#include "instrument/metering.h"

namespace wactor::actor {
namespace {
std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
// Its guests can write to storage: their outputs wait for the commit.
bool writes_storage(const engine::Module& m) {
  for (const auto& imp : m.info().imports) {
    if (imp.module == abi::kImportModule && (imp.name == "kv-set" || imp.name == "kv-delete")) return true;
  }
  return false;
}
}  // namespace

Histogram AtomicHistogram::snapshot() const {
  Histogram h;
  for (std::size_t i = 0; i < Histogram::kBuckets; ++i) h.counts[i] = counts[i].load(std::memory_order_relaxed);
  h.sum_ns = sum_ns.load(std::memory_order_relaxed);
  return h;
}

ComponentStats ComponentCounters::snapshot() const {
  ComponentStats s;
#define WACTOR_LOAD(name, doc) s.name = name.load(std::memory_order_relaxed);
  WACTOR_COUNTERS(WACTOR_LOAD)
#undef WACTOR_LOAD
  s.messages_sent += messages_sent_by_timers.load(std::memory_order_relaxed);
  s.handler_time = handler_time.snapshot();
  s.request_time = request_time.snapshot();
  return s;
}

std::string_view down_reason_name(DownReason r) {
  switch (r) {
    case DownReason::kNone: return "none";
    case DownReason::kStopped: return "stopped";
    case DownReason::kEscalated: return "escalated";
    case DownReason::kInitFailed: return "init-failed";
    case DownReason::kOwnerStopped: return "owner-stopped";
  }
  return "?";
}

Component::Component(ComponentSetup setup, Router& router, sandbox::Allowance* host_mailbox_bytes,
                     sandbox::Allowance* host_memory_bytes)
    : handle_(setup.handle),
      owner_(setup.owner),
      module_name_(std::move(setup.module_name)),
      health_interval_(setup.health_interval),
      passivate_after_(setup.passivate_after),
      restore_state_(std::move(setup.restore_state)),
      engine_(std::move(setup.engine)),
      group_(std::move(setup.group)),
      limits_(setup.limits),
      budget_(setup.budget),
      capabilities_(std::move(setup.capabilities)),
      host_memory_bytes_(host_memory_bytes),
      stopwatch_(router.stopwatch()),
      id_(std::move(setup.id)),
      config_(std::move(setup.config)),
      module_(std::move(setup.module)),
      has_callback_(module_->info().find_export("handle-callback") != nullptr),
      has_health_(module_->info().find_export("health") != nullptr),
      router_(router),
      mailbox_(setup.mailbox_capacity, setup.budget.max_mailbox_bytes, host_mailbox_bytes),
      kv_(setup.storage && setup.storage_quota
              ? std::make_unique<storage::Space>(*setup.storage, id_, setup.storage_quota)
              : nullptr),
      max_value_bytes_(setup.max_value_bytes),
      kv_writes_(writes_storage(*module_)) {
  events_left_.store(budget_.max_events_per_call ? budget_.max_events_per_call : UINT32_MAX);
}

// Made for each instantiation and dropped after it (the engines copy what the module
// imports): ~30 host functions held by every idle component would cost it ~4 KiB.
std::vector<engine::HostFunction> Component::make_imports() {
  std::vector<engine::HostFunction> imports = abi::make_imports(*this);
  imports.push_back(engine::HostFunction{std::string(instrument::kInternalModule),
                                         std::string(instrument::kRefillImport),
                                         {{}, {engine::ValType::kI64}},
                                         [this](engine::CallerMemory&, const engine::Val*, engine::Val* r) {
                                           try {
                                             return refill(r);
                                           } catch (const std::exception& e) {
                                             return engine::HostOutcome::trapped(
                                                 std::string("wactor: host error: ") + e.what());
                                           }
                                         }});
  imports.push_back(engine::HostFunction{std::string(instrument::kInternalModule),
                                         std::string(instrument::kMemoryPermitImport),
                                         {{engine::ValType::kI32}, {engine::ValType::kI32}},
                                         [this](engine::CallerMemory&, const engine::Val* a, engine::Val* r) {
                                           try {
                                             r[0].i32 = permit_memory(static_cast<std::uint32_t>(a[0].i32)) ? 1 : 0;
                                             return engine::HostOutcome::ok();
                                           } catch (const std::exception& e) {
                                             return engine::HostOutcome::trapped(
                                                 std::string("wactor: host error: ") + e.what());
                                           }
                                         }});
  imports.push_back(engine::HostFunction{std::string(instrument::kInternalModule),
                                         std::string(instrument::kMemoryRefundImport),
                                         {{engine::ValType::kI32}, {}},
                                         [this](engine::CallerMemory&, const engine::Val* a, engine::Val*) {
                                           refund_memory(static_cast<std::uint32_t>(a[0].i32));
                                           return engine::HostOutcome::ok();
                                         }});
  return imports;
}

bool Component::permit_memory(std::uint32_t pages) {
  if (pages == 0) return true;
  const std::uint64_t bytes = std::uint64_t{pages} * 65536;
  if (!host_memory_bytes_ || host_memory_bytes_->take(bytes)) {
    memory_pages_ += pages;
    return true;
  }
  counters_.bump(&ComponentCounters::refused_memory);
  if (!memory_refusal_reported_) {
    memory_refusal_reported_ = true;
    router_.report(*this, "budget",
                   "memory.grow of " + std::to_string(pages) + " pages refused: host memory budget of " +
                       std::to_string(host_memory_bytes_->limit()) + " bytes (" +
                       std::to_string(host_memory_bytes_->used()) + " in use) would be exceeded");
  }
  return false;
}

void Component::refund_memory(std::uint32_t pages) {
  const std::uint64_t n = std::min<std::uint64_t>(pages, memory_pages_);
  memory_pages_ -= n;
  if (host_memory_bytes_) host_memory_bytes_->give(n * 65536);
}

void Component::release_memory() {
  if (host_memory_bytes_) host_memory_bytes_->give(memory_pages_ * 65536);
  memory_pages_ = 0;
}

bool Component::take_event() {
  std::uint32_t left = events_left_.load(std::memory_order_relaxed);
  while (left > 0) {
    if (events_left_.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) return true;
  }
  counters_.bump(&ComponentCounters::events_suppressed);
  return false;
}

namespace {
// A measured span as a count: never negative (a span that excluded helping time measured
// apart could come out a little below 0).
std::uint64_t span_ns(std::chrono::nanoseconds d) { return static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count())); }
}  // namespace

void Component::arm(std::chrono::milliseconds deadline) {
  const std::int64_t budget = limits_.fuel ? static_cast<std::int64_t>(limits_.fuel) : INT64_MAX;
  armed_deadline_ = deadline;
  // Per-call budgets start afresh.
  log_bytes_this_call_ = 0;
  log_cut_reported_ = false;
  memory_refusal_reported_ = false;
  if (kv_) kv_->begin_call();  // what an unaccepted earlier call wrote is discarded
  events_left_.store(budget_.max_events_per_call ? budget_.max_events_per_call : UINT32_MAX,
                     std::memory_order_relaxed);
  // One stopwatch read per guest call serves the deadline and the handler_time histogram (the
  // previous call of this batch ends where this one starts); the first message of a batch
  // reuses the batch's own read (taken just before: the deadline can only start earlier).
  const auto now = clock_hint_ != kNever ? std::exchange(clock_hint_, kNever) : stopwatch_.now();
  if (call_started_ != kNever) counters_.handler_time.record_own(span_ns(now - call_started_));
  call_started_ = now;
  deadline_at_ = deadline.count() ? now + deadline : kNever;
  // The first slice goes straight into the guest's counter (no refill call for a short
  // handler); leftover fuel of the previous call does not carry over.
  const std::int64_t first = std::min(budget, kFuelSlice);
  if (instance_ && fuel_global_ && instance_->set_i64_global(*fuel_global_, first).ok()) {
    fuel_left_ = budget - first;
  } else {
    fuel_left_ = budget;
  }
}

engine::HostOutcome Component::refill(engine::Val* result) {
  // The one interruption point of a running guest (every engine): the host asked it to stop.
  if (interrupt_.load(std::memory_order_acquire) || router_.interrupting()) {
    return engine::HostOutcome::trapped("wactor: interrupted by the host");
  }
  if (deadline_at_ != kNever && stopwatch_.now() >= deadline_at_) {
    return engine::HostOutcome::trapped("wactor: deadline of " + std::to_string(armed_deadline_.count()) +
                                        " ms exceeded");
  }
  if (fuel_left_ <= 0) {
    return engine::HostOutcome::trapped("wactor: fuel budget of " + std::to_string(limits_.fuel) + " exhausted");
  }
  const std::int64_t slice = std::min(fuel_left_, kFuelSlice);
  fuel_left_ -= slice;
  ++batch_refills_;
  result[0].i64 = slice;
  return engine::HostOutcome::ok();
}

Status Component::start_instance() {
  exports_.reset();
  instance_.reset();
  release_memory();
  auto st = instantiate_and_init();
  // What the failed init set up (subscriptions, monitors) goes with its instance.
  if (!st.ok()) router_.instance_lost(*this);
  return st;
}

Status Component::instantiate_and_init() {
  fuel_global_.reset();
  // The initial memory is charged first: the start function may grow it.
  std::uint64_t initial = 0;
  for (const auto& m : module_->info().memories) initial += m.initial_pages;
  if (host_memory_bytes_ && !host_memory_bytes_->take(initial * 65536)) {
    counters_.bump(&ComponentCounters::refused_memory);
    return make_error(ErrorCode::kResourceExhausted,
                      "host memory budget: the initial memory of " + std::to_string(initial) +
                          " pages does not fit (" + std::to_string(host_memory_bytes_->used()) + " of " +
                          std::to_string(host_memory_bytes_->limit()) + " bytes in use)");
  }
  memory_pages_ = initial;
  arm();  // the start function runs metered too
  auto inst = module_->instantiate(make_imports());
  if (!inst.ok()) {
    release_memory();
    return std::move(inst).take_error();
  }
  auto exports = abi::GuestExports::resolve(**inst);
  if (!exports.ok()) {
    inst->reset();
    release_memory();
    return std::move(exports).take_error();
  }
  instance_ = std::move(inst).value();
  exports_ = std::move(exports).value();
  if (auto g = instance_->find_i64_global(instrument::kFuelGlobal); g.ok()) fuel_global_ = *g;
  arm();
  auto rc = exports_->init(*instance_, bytes_of(config_));
  if (rc.ok() && *rc == 0) accept_writes();
  if (!rc.ok() || *rc != 0) {
    instance_.reset();
    exports_.reset();
    release_memory();
    if (!rc.ok()) return make_error(rc.error().code, "init failed: " + rc.error().message);
    return make_error(ErrorCode::kGuestError, "init returned " + std::to_string(*rc));
  }
  return {};
}

void Component::handle_init() {
  if (down() || instance_) return;  // stopped before its init ran (its kStop came first)
  auto st = start_instance();
  if (st.ok() && restore_state_) {  // an activation: the state its last passivation kept
    arm();
    auto rc = exports_->restore(*instance_, bytes_of(*restore_state_));
    if (rc.ok() && *rc == 0) accept_writes();
    if (!rc.ok()) st = make_error(rc.error().code, "restore failed: " + rc.error().message);
    else if (*rc != 0) st = make_error(ErrorCode::kGuestError, "restore returned " + std::to_string(*rc));
    if (!st.ok()) drop_instance(false);
  }
  restore_state_.reset();
  if (st.ok()) return;
  counters_.bump(&ComponentCounters::traps);
  router_.report(*this, "init-failed", st.error().to_string());
  mark_down(DownReason::kInitFailed);
  go_down(false);
}

bool Component::offer_upgrade(std::shared_ptr<UpgradeJob> job) {
  std::lock_guard lock(upgrade_mu_);
  if (upgrade_) return false;
  upgrade_ = std::move(job);
  return true;
}

void Component::abandon_upgrade() {
  std::shared_ptr<UpgradeJob> job;
  {
    std::lock_guard lock(upgrade_mu_);
    job = std::move(upgrade_);
    upgrade_.reset();
  }
  if (job) job->done.set_value(make_error(ErrorCode::kFailedPrecondition, "upgrade of '" + id_ + "': the runtime stopped"));
}

void Component::handle_upgrade() {
  std::shared_ptr<UpgradeJob> job;
  {
    std::lock_guard lock(upgrade_mu_);
    job = std::move(upgrade_);
    upgrade_.reset();
  }
  if (!job) return;
  auto refuse = [&](const std::string& why) {
    counters_.bump(&ComponentCounters::upgrade_rollbacks);
    router_.report(*this, "upgrade-failed", why + "; the old instance goes on");
    job->done.set_value(make_error(ErrorCode::kFailedPrecondition, "upgrade of '" + id_ + "': " + why));
  };
  // Spawned a moment ago: the upgrade came ahead of its init (both go to the front), which
  // runs now (the kInit behind finds the instance and does nothing).
  if (!instance_ && !down() && !restart_pending_) handle_init();
  if (!instance_ || down()) {
    counters_.bump(&ComponentCounters::upgrade_rollbacks);
    job->done.set_value(make_error(ErrorCode::kFailedPrecondition, "upgrade of '" + id_ + "': the component is down"));
    return;
  }
  // 1. The old instance's state.
  std::string state;
  if (exports_->has_snapshot()) {
    arm();
    auto snap = exports_->snapshot(*instance_);
    if (!snap.ok()) return refuse("snapshot failed: " + snap.error().to_string());
    state = std::move(snap).value();
  }
  // 2. A fresh instance of the new module runs init, then restore gets the state; the old
  // instance waits aside, untouched, until the new one has succeeded.
  auto old_instance = std::move(instance_);
  auto old_exports = std::move(exports_);
  exports_.reset();
  const auto old_fuel = fuel_global_;
  const std::uint64_t old_pages = memory_pages_;
  memory_pages_ = 0;
  auto old_module = module_;
  module_ = job->module;
  Status st = instantiate_and_init();
  if (st.ok() && exports_->has_restore()) {
    arm();
    auto rc = exports_->restore(*instance_, bytes_of(state));
    if (rc.ok() && *rc == 0) accept_writes();
    if (!rc.ok()) st = make_error(rc.error().code, "restore failed: " + rc.error().message);
    else if (*rc != 0) st = make_error(ErrorCode::kGuestError, "restore returned " + std::to_string(*rc));
  }
  if (!st.ok()) {  // rollback
    exports_.reset();
    instance_.reset();
    release_memory();
    instance_ = std::move(old_instance);
    exports_ = std::move(old_exports);
    fuel_global_ = old_fuel;
    memory_pages_ = old_pages;
    module_ = std::move(old_module);
    return refuse(st.error().to_string());
  }
  old_exports.reset();
  old_instance.reset();
  if (host_memory_bytes_) host_memory_bytes_->give(old_pages * 65536);
  has_callback_.store(module_->info().find_export("handle-callback") != nullptr, std::memory_order_release);
  kv_writes_ = writes_storage(*module_);
  if (kv_writes_ && kv_) holding_ = true;  // from now on in this batch
  const bool had_health = has_health_.exchange(module_->info().find_export("health") != nullptr);
  if (!had_health && has_health()) router_.health_gained(*this);
  counters_.bump(&ComponentCounters::upgrades);
  router_.report(*this, "upgraded", "new instance running, " + std::to_string(state.size()) + " bytes of state restored");
  job->done.set_value({});
}

void Component::handle_passivate() {
  if (down() || !instance_) return;
  // Idle: nothing queued, nothing pending, long enough. The mailbox closes only if still
  // empty, atomically with every push: a message either comes first (no passivation) or
  // finds it closed (and activates the component anew).
  if (pending_out_.load(std::memory_order_acquire) != 0 || timers_pending_.load(std::memory_order_acquire) != 0) return;
  // Envelopes taken with this one are still to be handled: the mailbox looks empty, but a
  // message among them would be lost with the instance.
  if (batch_next_ < batch_.size()) return;
  const auto idle_for = router_.now().count() - last_active_ns();
  if (idle_for < std::chrono::nanoseconds(passivate_after_).count()) return;
  std::string state;
  if (exports_->has_snapshot()) {
    arm();
    auto snap = exports_->snapshot(*instance_);
    if (!snap.ok()) {
      router_.report(*this, "passivated", "snapshot failed (" + snap.error().to_string() + "): not passivated");
      return;
    }
    state = std::move(snap).value();
  }
  if (!mailbox_.close_if_empty()) return;
  if (exports_->has_snapshot()) router_.keep_state(*this, std::move(state));
  mark_down(DownReason::kStopped);
  router_.report(*this, "passivated", "idle for " + std::to_string(idle_for / 1'000'000) + " ms");
  go_down(false);  // no shutdown: the snapshot is the hand-over, and the id is free at once
}

void Component::go_down(bool call_shutdown) {
  if (stopped_reported_) return;
  stopped_reported_ = true;
  down_.store(true, std::memory_order_release);
  restart_pending_ = false;
  restart_token_.fetch_add(1, std::memory_order_acq_rel);
  drop_instance(call_shutdown);
  router_.gone(*this);
}

void Component::drop_instance(bool call_shutdown) {
  if (instance_ && exports_ && call_shutdown) {
    arm(limits_.shutdown_deadline);
    auto rc = exports_->shutdown(*instance_);
    if (!rc.ok()) {
      router_.report(*this, "shutdown-failed", rc.error().message);
    } else if (*rc != 0) {
      router_.report(*this, "shutdown-failed", "shutdown returned " + std::to_string(*rc));
    }
  }
  const bool had = instance_ != nullptr;
  exports_.reset();
  instance_.reset();
  release_memory();
  if (had) router_.instance_lost(*this);
}

void Component::stop_instance() {
  down_.store(true, std::memory_order_release);
  restart_pending_ = false;
  restart_token_.fetch_add(1, std::memory_order_acq_rel);
  drop_instance(true);
}

bool Component::run_batch() {
  batch_.clear();
  if (!mailbox_.take(batch_, kBatch)) return false;  // idle: the mailbox cleared the scheduled flag
  // Two stopwatch reads per batch besides one per guest call after the first: they serve
  // handler_ns, handler_time and the first call's deadline. The runtime's clock is read only
  // for the last activity of a component that passivates.
  const auto s0 = stopwatch_.now();
  excluded_ = std::chrono::nanoseconds(0);
  batch_refills_ = 0;
  hold_outputs();
  call_started_ = kNever;  // guest calls made outside a batch are not timed
  std::size_t done = 0;
  bool active = false;
  while (done < batch_.size()) {
    // Nested in a sender's call (run_nested, Scheduler::run_claimed): messages and callbacks only (an instance
    // to make, a restart or an upgrade wait for a batch of its own), and no more after one
    // that used more than its first fuel slice: the sender's call waits meanwhile.
    if (nested_ && (batch_refills_ > 0 || (batch_[done].kind != Envelope::Kind::kMessage &&
                                           batch_[done].kind != Envelope::Kind::kCallback))) {
      mailbox_.give_back(batch_, done);
      break;
    }
    Envelope& e = batch_[done++];
    batch_next_ = done;
    // What the host does on its own (health polls, idle checks) is not activity.
    active = active || (e.kind != Envelope::Kind::kHealth && e.kind != Envelope::Kind::kPassivate);
    // Only a message or a callback arms a guest call at once; control envelopes (an instance
    // to make first) read the stopwatch themselves.
    if (done == 1 && (e.kind == Envelope::Kind::kMessage || e.kind == Envelope::Kind::kCallback)) clock_hint_ = s0;
    try {
      handle(e);
    } catch (const std::exception& ex) {  // the crash boundary: a host failure fails one call
      host_error(e, ex.what());
    } catch (...) {
      host_error(e, "unknown exception");
    }
    clock_hint_ = kNever;  // unused when the envelope armed nothing
    // A control envelope arrived, or the component now waits for a restart: what this
    // batch still holds goes back to the mailbox, behind the control envelopes.
    if (done < batch_.size() && (restart_pending_ || mailbox_.urgent())) {
      mailbox_.give_back(batch_, done);
      break;
    }
  }
  if (holding_ || (kv_ && kv_->pending())) settle();  // a component without storage pays one test
  const auto end = stopwatch_.now();
  const auto busy = end - s0 - excluded_;
  counters_.bump_own(&ComponentCounters::handler_ns, span_ns(busy));
  // Slow once a batch used a fuel slice or more per message, or (nested) refilled at all; fast
  // again only after 16 batches in a row that were not.
  if (done > 0 && (batch_refills_ >= done || (nested_ && batch_refills_ > 0))) {
    fast_batches_ = 0;
    if (!slow_.load(std::memory_order_relaxed)) slow_.store(true, std::memory_order_relaxed);
  } else if (done > 0 && slow_.load(std::memory_order_relaxed) && ++fast_batches_ >= 16) {
    slow_.store(false, std::memory_order_relaxed);
  }
  if (call_started_ != kNever) {
    counters_.handler_time.record_own(span_ns(end - call_started_));
    call_started_ = kNever;
  }
  if (active && passivate_after_.count() > 0) last_active_ns_.store(router_.now().count(), std::memory_order_release);
  router_.envelopes_done(done);
  batch_.clear();
  // Batch used up: run again later if anything is left (fairness between components).
  return mailbox_.keep_scheduled();
}

void Component::handle(Envelope& e) {
  switch (e.kind) {
    case Envelope::Kind::kMessage: handle_message(e); break;
    case Envelope::Kind::kCallback: handle_callback(e); break;
    case Envelope::Kind::kStop: handle_stop(); break;
    case Envelope::Kind::kRestart: handle_restart(e); break;
    case Envelope::Kind::kStart: handle_start(static_cast<std::uint64_t>(e.control)); break;
    case Envelope::Kind::kHealth: handle_health(); break;
    case Envelope::Kind::kInit: handle_init(); break;
    case Envelope::Kind::kUpgrade: handle_upgrade(); break;
    case Envelope::Kind::kPassivate: handle_passivate(); break;
  }
}

void Component::host_error(Envelope& e, std::string_view what) {
  const std::string why = "host error: " + std::string(what);
  current_request_ = 0;
  current_topic_ = {};
  if (e.kind == Envelope::Kind::kMessage && e.request_id != 0) router_.request_failed(*this, e.request_id, why);
  counters_.bump(&ComponentCounters::traps);
  router_.report(*this, "host-error", why);
  if (instance_) fail(why);
}

void Component::handle_stop() {
  interrupt_.store(false, std::memory_order_release);  // shutdown runs under its own deadline
  if (stopped_reported_) return;
  router_.report(*this, "stopped", "stopped for good (" + std::string(down_reason_name(down_reason())) + ")");
  go_down(true);
}

void Component::handle_restart(const Envelope& e) {
  if (down()) return;  // stopped for good meanwhile
  drop_instance(true);
  restart_at(std::chrono::nanoseconds(e.control));
}

void Component::handle_start(std::uint64_t token) {
  if (!restart_pending_ || down()) return;
  if (token != restart_token()) {
    mailbox_.pause();  // a newer restart is scheduled: keep waiting for it
    return;
  }
  restart_at(router_.now());
}

void Component::handle_health() {
  health_queued_.store(false, std::memory_order_release);
  if (!instance_) return;
  arm();
  auto rc = exports_->health(*instance_);
  counters_.bump(&ComponentCounters::health_checks);
  if (!rc.ok()) {
    counters_.bump(&ComponentCounters::unhealthy);
    recover("health failed: " + rc.error().to_string());
    return;
  }
  if (*rc != 0) {
    counters_.bump(&ComponentCounters::unhealthy);
    const std::string why = "health returned " + std::to_string(*rc);
    router_.report(*this, "unhealthy", why);
    fail(why);
  }
}

void Component::handle_message(Envelope& e) {
  if (!instance_) {
    counters_.bump(&ComponentCounters::dropped_while_down);
    if (e.request_id != 0) {
      router_.request_target_down(*this, e.request_id);
    } else {
      router_.report(*this, "dropped", "message from '" + std::string(e.sender) + "' arrived while the component is down");
    }
    return;
  }
  current_request_ = e.request_id;
  current_topic_ = e.topic();
  if (e.request_id != 0) router_.request_received(*this, e.request_id);
  arm();
  auto rc = exports_->handle_message(*instance_, e.sender, e.body());
  current_request_ = 0;
  current_topic_ = {};
  counters_.bump_own(&ComponentCounters::messages_handled);
  if (!rc.ok()) {
    if (e.request_id != 0) router_.request_failed(*this, e.request_id, rc.error().to_string());
    recover("handle-message failed: " + rc.error().to_string());
    return;
  }
  if (*rc == 0) accept_writes();
  if (*rc != 0) {
    counters_.bump(&ComponentCounters::handler_errors);
    if (e.request_id != 0) {
      router_.request_failed(*this, e.request_id, "handle-message returned " + std::to_string(*rc));
    }
  }
}

void Component::handle_callback(Envelope& e) {
  if (!instance_) {
    counters_.bump(&ComponentCounters::dropped_while_down);
    router_.report(*this, "dropped", "callback for request " + std::to_string(e.request_id) +
                                         " arrived while the component is down");
    return;
  }
  arm();
  auto rc = exports_->handle_callback(*instance_, e.request_id, e.status, bytes_of(e.payload));
  counters_.bump_own(&ComponentCounters::callbacks_handled);
  if (!rc.ok()) {
    recover("handle-callback failed: " + rc.error().to_string());
  } else if (*rc == 0) {
    accept_writes();
  } else {
    counters_.bump(&ComponentCounters::handler_errors);
  }
}

void Component::recover(std::string_view reason) {
  if (reason.find("wactor: interrupted") != std::string_view::npos) {
    counters_.bump(&ComponentCounters::interrupted);
    router_.report(*this, "interrupted", reason);
    drop_instance(false);
    // Stopped (its kStop is queued) or the host is stopping: nothing restarts.
    if (down() || router_.interrupting()) return;
    fail(reason);
    return;
  }
  counters_.bump(&ComponentCounters::traps);
  // Stops by the host's limits are reported as such; anything else is the guest's own trap.
  const bool deadline = reason.find("wactor: deadline") != std::string_view::npos;
  const bool fuel = reason.find("wactor: fuel") != std::string_view::npos;
  router_.report(*this, deadline ? "deadline" : fuel ? "fuel" : "trap", reason);
  fail(reason);
}

void Component::fail(std::string_view reason) {
  // The old instance's unanswered requests cannot be answered by a fresh one. A failed
  // instance gets no shutdown call: it may be in any state.
  drop_instance(false);
  if (down()) return;  // stopped for good meanwhile: its kStop is queued, nothing restarts
  auto at = router_.member_failed(*this, reason);
  if (!at) {
    stay_down();
    return;
  }
  restart_at(*at);
}

void Component::stay_down() {
  if (down()) return;  // the group gave up: it marked the component down and queued its kStop
  // The runtime is draining: no restart, and no kStop will come.
  down_.store(true, std::memory_order_release);
  router_.report(*this, "stopped", "failed while the runtime drains: not restarted");
}

void Component::restart_at(std::chrono::nanoseconds at) {
  for (;;) {
    if (down()) {  // stopped for good meanwhile: let its kStop run
      restart_pending_ = false;
      return;
    }
    restart_token_.fetch_add(1, std::memory_order_acq_rel);
    if (const auto now = router_.now(); at > now) {
      restart_pending_ = true;
      mailbox_.pause();  // what is queued waits for the fresh instance
      router_.start_later(*this, at, restart_token());
      router_.report(*this, "restart-scheduled",
                     "backoff: fresh instance in " +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(at - now).count()) + " ms");
      return;
    }
    restart_pending_ = false;
    counters_.bump(&ComponentCounters::restarts);
    auto st = start_instance();
    if (st.ok()) {
      router_.report(*this, "restarted", "fresh instance");
      return;
    }
    const std::string why = "restart failed: " + st.error().to_string();
    router_.report(*this, "restart-failed", why);
    auto next = router_.member_failed(*this, why);  // bounded by the group's intensity
    if (!next) {
      stay_down();
      return;
    }
    at = *next;
  }
}

std::int32_t Component::send(std::string_view target, std::span<const std::uint8_t> payload) {
  return router_.send(*this, target, payload);
}
std::int64_t Component::request(std::string_view target, std::span<const std::uint8_t> payload,
                                std::int32_t timeout_ms) {
  return router_.request(*this, target, payload, timeout_ms);
}
std::int32_t Component::respond(std::int64_t id, bool is_error, std::span<const std::uint8_t> payload) {
  return router_.respond(*this, id, is_error, payload);
}
std::int32_t Component::cancel(std::int64_t id) { return router_.cancel(*this, id); }
void Component::log(std::int32_t level, std::string_view message) {
  std::string_view text = message;
  std::uint64_t cut = 0;
  if (budget_.max_log_line_bytes && text.size() > budget_.max_log_line_bytes) {
    text = text.substr(0, abi::valid_utf8_prefix(text.substr(0, budget_.max_log_line_bytes)));
  }
  if (budget_.max_log_bytes_per_call) {
    const std::uint64_t left =
        log_bytes_this_call_ < budget_.max_log_bytes_per_call ? budget_.max_log_bytes_per_call - log_bytes_this_call_ : 0;
    if (text.size() > left) text = {};
  }
  cut = message.size() - text.size();
  log_bytes_this_call_ += text.size();
  if (cut > 0) {
    counters_.bump(&ComponentCounters::log_bytes_dropped, cut);
    if (!log_cut_reported_) {
      log_cut_reported_ = true;
      router_.report(*this, "budget", "log output cut: " + std::to_string(cut) + " bytes over the line (" +
                                          std::to_string(budget_.max_log_line_bytes) + ") or per-call (" +
                                          std::to_string(budget_.max_log_bytes_per_call) + ") budget");
    }
  }
  if (!text.empty() || message.empty()) router_.log(*this, level, text);
}
void Component::bad_log_call(std::string_view why) {
  counters_.bump(&ComponentCounters::refused_invalid);
  router_.report(*this, "bad-log-call", why);
}
std::int64_t Component::now_ms() { return router_.now_ms(); }

}  // namespace wactor::actor
