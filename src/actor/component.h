// One component: a persistent wasm instance with a mailbox, run by the shared worker pool.
// Its instance is touched only by the worker currently running it (the mailbox's scheduled
// flag guarantees there is at most one).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "abi/abi_v1.h"
#include "actor/mailbox.h"
#include "actor/restart_window.h"
#include "actor/router.h"
#include "actor/scheduler.h"
#include "actor/send_cache.h"
#include "actor/stopwatch.h"
#include "sandbox/allowance.h"
#include "storage/space.h"
#include "wactor/engine.h"
#include "wactor/metrics.h"
#include "wactor/runtime.h"
#include "wactor/result.h"

namespace wactor::actor {

// Live counters, written by the component's worker and the router; read at any time.
// A Histogram written with relaxed atomics (one writer at a time in practice).
struct AtomicHistogram {
  std::array<std::atomic<std::uint64_t>, Histogram::kBuckets> counts{};
  std::atomic<std::uint64_t> sum_ns{0};
  void record(std::uint64_t ns) {
    counts[Histogram::bucket(ns)].fetch_add(1, std::memory_order_relaxed);
    sum_ns.fetch_add(ns, std::memory_order_relaxed);
  }
  // For a histogram only its component's running handlers write (one worker at a time, handed
  // over by the scheduler): a load and a store each, no locked read-modify-write per call.
  void record_own(std::uint64_t ns) {
    own_add(counts[Histogram::bucket(ns)]);
    own_add(sum_ns, ns);
  }
  [[nodiscard]] Histogram snapshot() const;
};

struct ComponentCounters {
#define WACTOR_ATOMIC(name, doc) std::atomic<std::uint64_t> name{0};
  WACTOR_COUNTERS(WACTOR_ATOMIC)
#undef WACTOR_ATOMIC
  AtomicHistogram handler_time;
  AtomicHistogram request_time;
  // Sends of send-after timers (the timer thread's): added to messages_sent in snapshot().
  std::atomic<std::uint64_t> messages_sent_by_timers{0};
  void bump(std::atomic<std::uint64_t> ComponentCounters::*c, std::uint64_t n = 1) {
    (this->*c).fetch_add(n, std::memory_order_relaxed);
  }
  // For the counters only the component's running handlers (and the outputs they held, sent
  // in the same batch: Component::settle) write: messages_handled, callbacks_handled,
  // messages_sent, handler_ns, handler_time. See AtomicHistogram::record_own.
  void bump_own(std::atomic<std::uint64_t> ComponentCounters::*c, std::uint64_t n = 1) { own_add(this->*c, n); }
  [[nodiscard]] ComponentStats snapshot() const;
};

// Who a component sends to (the dashboard's graph): the first kSlots distinct targets get a
// slot each, the rest are counted together. One writer at a time (own_add: no locked add):
// the component's own handlers; the runtime's "$host" and "$http" edges are counted under a
// mutex. Read at any time.
class Edges {
 public:
  static constexpr std::size_t kSlots = 8;
  void count(std::uint64_t target) {
    auto& s = slots_[(target ^ (target >> 32)) % kSlots];
    const std::uint64_t t = s.target.load(std::memory_order_relaxed);
    if (t == target) {
      own_add(s.messages);
    } else if (t == 0) {
      s.messages.store(1, std::memory_order_relaxed);
      s.target.store(target, std::memory_order_release);
    } else {
      own_add(others_);
    }
  }
  // (target handle, messages) of every claimed slot, then (0, the others' count).
  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> read() const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    for (const auto& s : slots_) {
      const std::uint64_t t = s.target.load(std::memory_order_acquire);
      if (t != 0) out.emplace_back(t, s.messages.load(std::memory_order_relaxed));
    }
    out.emplace_back(0, others_.load(std::memory_order_relaxed));
    return out;
  }

 private:
  struct Slot {
    std::atomic<std::uint64_t> target{0};
    std::atomic<std::uint64_t> messages{0};
  };
  std::array<Slot, kSlots> slots_{};
  std::atomic<std::uint64_t> others_{0};
};

// Why a component went down for good (the reason word of its `$down` notices).
enum class DownReason : std::uint8_t { kNone, kStopped, kEscalated, kInitFailed, kOwnerStopped };
std::string_view down_reason_name(DownReason r);

// Everything a component is made with.
struct ComponentSetup {
  std::uint64_t handle = 0;  // runtime::Handle
  std::uint64_t owner = 0;   // the component that spawned it; 0: the host
  std::string id;
  std::string config;
  std::shared_ptr<const engine::Module> module;
  std::string module_name;  // the [[module]] it was made from, if any
  std::size_t mailbox_capacity = 0;
  ComponentLimits limits;
  ComponentBudget budget;
  Capabilities capabilities;
  std::chrono::milliseconds health_interval{0};
  std::chrono::milliseconds passivate_after{0};
  std::string engine;  // the engine its module was loaded by (for upgrades)
  std::shared_ptr<SupervisionGroup> group;  // empty: supervised on its own
  std::optional<std::string> restore_state;  // handed to `restore` after its first init (activation)
  // Key-value storage: the runtime's committer (nullptr: none) and its quota (0: off).
  storage::GroupCommitter* storage = nullptr;
  std::uint64_t storage_quota = 0;
  std::size_t max_value_bytes = 0;
};

// A module waiting to replace the instance (Runtime::upgrade), and its outcome.
struct UpgradeJob {
  std::shared_ptr<const engine::Module> module;
  std::promise<Status> done;
};

class Component final : public Runnable, private abi::GuestHost {
 public:
  Component(ComponentSetup setup, Router& router, sandbox::Allowance* host_mailbox_bytes,
            sandbox::Allowance* host_memory_bytes);

  std::uint64_t handle() const { return handle_; }
  std::uint64_t owner() const { return owner_; }
  const std::string& module_name() const { return module_name_; }
  std::chrono::milliseconds health_interval() const { return health_interval_; }
  std::chrono::milliseconds passivate_after() const { return passivate_after_; }
  const std::string& engine_name() const { return engine_; }
  const ComponentLimits& limits() const { return limits_; }
  // Its supervision group (set once, before it runs).
  const std::shared_ptr<SupervisionGroup>& group() const { return group_; }
  void set_group(std::shared_ptr<SupervisionGroup> g) { group_ = std::move(g); }
  // Fails a pending upgrade that will never run (the runtime stopped first).
  void abandon_upgrade();
  // When it last handled something (runtime clock, ns). @threadsafe
  std::int64_t last_active_ns() const { return last_active_ns_.load(std::memory_order_acquire); }
  // True once nothing is queued for it and no worker runs or will run it. @threadsafe
  bool quiescent() { return mailbox_.idle(); }
  // Live children it spawned. @threadsafe
  void add_child(std::uint64_t h) {
    std::lock_guard lock(children_mu_);
    children_.insert(h);
  }
  void remove_child(std::uint64_t h) {
    std::lock_guard lock(children_mu_);
    children_.erase(h);
  }
  std::vector<std::uint64_t> take_children() {
    std::lock_guard lock(children_mu_);
    std::vector<std::uint64_t> out(children_.begin(), children_.end());
    children_.clear();
    return out;
  }
  std::size_t child_count() const {
    std::lock_guard lock(children_mu_);
    return children_.size();
  }
  std::atomic<std::uint32_t>& timers_pending() { return timers_pending_; }
  std::atomic<std::uint32_t>& monitor_count() { return monitor_count_; }
  DownReason down_reason() const { return down_reason_.load(std::memory_order_acquire); }
  // Hands an upgrade to the worker (queue kUpgrade after it); false if one is in progress.
  bool offer_upgrade(std::shared_ptr<UpgradeJob> job);
  const std::string& id() const { return id_; }
  Mailbox& mailbox() { return mailbox_; }
  ComponentCounters& counters() { return counters_; }
  Edges& edges() { return edges_; }
  SendCache& send_cache() { return send_cache_; }
  bool can_receive_callbacks() const { return has_callback_.load(std::memory_order_acquire); }
  bool has_health() const { return has_health_.load(std::memory_order_acquire); }
  // The restart a kStart must carry to be current; older ones are dropped. @threadsafe
  std::uint64_t restart_token() const { return restart_token_.load(std::memory_order_acquire); }
  // Set by the runtime when it queues a health poll; one poll at a time. @threadsafe
  bool claim_health_poll() { return !health_queued_.exchange(true, std::memory_order_acq_rel); }
  const Capabilities& capabilities() const { return capabilities_; }
  const ComponentBudget& budget() const { return budget_; }
  // Its own requests awaiting a callback: counted by the router. @threadsafe
  std::atomic<std::uint32_t>& pending_out() { return pending_out_; }
  // Patterns it is subscribed with: counted by the router. @threadsafe
  std::atomic<std::uint32_t>& subscription_count() { return subscription_count_; }
  // One operator event about something it did; false once this handler call's events are
  // used up (the event is then counted, not reported). @threadsafe
  bool take_event();
  // Makes the guest call running now (if any) trap at its next fuel check; cleared when the
  // component's stop is handled. @threadsafe
  void interrupt() { interrupt_.store(true, std::memory_order_release); }
  bool down() const { return down_.load(std::memory_order_acquire); }
  // Its instance is gone and a fresh one is due (a restart backoff). @threadsafe
  bool restarting() const { return restart_pending_.load(std::memory_order_relaxed); }
  // Refuse new messages from now on; the worker stops the instance when it takes the
  // kStop envelope queued at the front. False if it was down already. @threadsafe
  bool mark_down(DownReason why = DownReason::kStopped) {
    DownReason none = DownReason::kNone;
    down_reason_.compare_exchange_strong(none, why, std::memory_order_acq_rel);
    return !down_.exchange(true, std::memory_order_acq_rel);
  }

  // Creates a fresh instance and runs its init. Only while the component is not running.
  [[nodiscard]] Status start_instance();
  // Instantiates module_ and runs init into instance_/exports_ (nothing else on failure).
  [[nodiscard]] Status instantiate_and_init();
  // Calls shutdown (if exported, under the shutdown deadline) and drops the instance for
  // good. Only while not running.
  void stop_instance();

  bool run_batch() override;
  bool helpable() const override { return !slow(); }
  std::size_t backlog() const override { return mailbox_.depth(); }
  bool run_nested() override {
    nested_ = true;
    struct Reset {
      bool& b;
      ~Reset() { b = false; }
    } reset{nested_};
    return run_batch();
  }
  // The guest call in progress spent `d` running another component's batch (Scheduler::
  // run_claimed): its deadline and handler time do not count it. Only its own worker calls this.
  void exclude(std::chrono::nanoseconds d) {
    if (deadline_at_ != kNever) deadline_at_ += d;
    if (call_started_ != kNever) call_started_ += d;
    excluded_ += d;
  }
  bool uses_storage() const { return kv_ != nullptr; }
  // A recent batch used a fuel slice (kFuelSlice) or more per message (or, run nested, any
  // refill), and 16 batches in a row have not since: a consumer not to run nested in a
  // sender's call (helpable(), Runtime::Impl::help). Counted in fuel, not time, so that it does not
  // depend on the machine's load. @threadsafe
  bool slow() const { return slow_.load(std::memory_order_relaxed); }

  // Outputs held until durable (docs/STORAGE.md): while holding() the router hands what the
  // guest sends to hold() instead of delivering it; settle() commits what the successful
  // handlers wrote, then runs each held output in order with `durable` (false: the commit
  // failed, the output must not be observed as a success). Only its own worker calls these.
  bool holding() const { return holding_; }
  void hold(std::function<void(bool durable)> output) { held_.push_back(std::move(output)); }
  // Held messages are bounded like a mailbox: false once `bytes` more would take what this
  // batch holds past its max_mailbox_bytes (the message is then refused with -3).
  bool hold_within(std::size_t bytes) {
    const std::uint64_t cost = bytes + kHeldOverhead;
    if (budget_.max_mailbox_bytes && held_bytes_ + cost > budget_.max_mailbox_bytes) return false;
    held_bytes_ += cost;
    return true;
  }
  // Holds the outputs of the guest calls made until settle() (a batch, or the manifest's init).
  void hold_outputs() { holding_ = kv_ != nullptr && kv_writes_; }
  void settle();

 private:
  void handle(Envelope& e);
  void handle_message(Envelope& e);
  void handle_callback(Envelope& e);
  void handle_stop();
  void handle_restart(const Envelope& e);
  void handle_start(std::uint64_t token);
  void handle_health();
  void handle_init();
  void handle_upgrade();
  void handle_passivate();
  // Goes down for good: drops the instance (shutdown first if asked) and tells the router.
  void go_down(bool call_shutdown);
  // The instance trapped or was stopped by a limit: report it, then fail().
  void recover(std::string_view reason);
  // The instance is unusable: drop it, end what it received, and let the supervisor decide.
  void fail(std::string_view reason);
  // The supervisor refused a restart: the component stays down.
  void stay_down();
  // Drops the instance (calling shutdown first if asked) and ends what it received.
  void drop_instance(bool call_shutdown);
  // Starts a fresh instance at `at` (runtime clock): now, or after pausing the mailbox.
  // A failed start counts as another failure.
  void restart_at(std::chrono::nanoseconds at);
  // The host functions an instance of it imports, bound to this component.
  std::vector<engine::HostFunction> make_imports();
  // Gives the next guest call its full fuel budget and the deadline.
  void arm(std::chrono::milliseconds deadline);
  void arm() { arm(limits_.deadline); }
  // wactor-internal.fuel-refill: the next slice of fuel, or a trap.
  engine::HostOutcome refill(engine::Val* result);
  // wactor-internal.memory-permit / memory-refund (instrument/memory_guard.h): the host-wide
  // memory budget. The instance holds memory_pages_ pages of it: its initial size plus every
  // granted grow, all given back when it is dropped.
  bool permit_memory(std::uint32_t pages);
  void refund_memory(std::uint32_t pages);
  void release_memory();

  // abi::GuestHost
  std::int32_t send(std::string_view target, std::span<const std::uint8_t> payload) override;
  std::int64_t request(std::string_view target, std::span<const std::uint8_t> payload,
                       std::int32_t timeout_ms) override;
  std::int32_t respond(std::int64_t id, bool is_error, std::span<const std::uint8_t> payload) override;
  std::int64_t current_request() override { return current_request_; }
  std::int32_t cancel(std::int64_t id) override;
  std::string_view self_id() override { return id_; }
  void log(std::int32_t level, std::string_view message) override;
  void bad_log_call(std::string_view why) override;
  std::int64_t now_ms() override;
  std::int32_t subscribe(std::string_view pattern) override { return router_.subscribe(*this, pattern); }
  std::int32_t unsubscribe(std::string_view pattern) override { return router_.unsubscribe(*this, pattern); }
  std::int32_t publish(std::string_view topic, std::span<const std::uint8_t> payload) override {
    return router_.publish(*this, topic, payload);
  }
  std::int32_t broadcast(std::span<const std::uint8_t> payload) override { return router_.broadcast(*this, payload); }
  std::int32_t spawn(std::string_view module, std::string_view id, std::string_view config) override {
    return router_.spawn(*this, module, id, config);
  }
  std::int32_t stop(std::string_view target) override { return router_.stop(*this, target); }
  std::int64_t send_after(std::string_view target, std::span<const std::uint8_t> payload,
                          std::int32_t delay_ms) override {
    return router_.send_after(*this, target, payload, delay_ms);
  }
  std::int32_t cancel_timer(std::int64_t timer_id) override { return router_.cancel_timer(*this, timer_id); }
  std::int32_t monitor(std::string_view target) override { return router_.monitor(*this, target); }
  std::int32_t demonitor(std::string_view target) override { return router_.demonitor(*this, target); }
  std::string_view current_topic() override { return current_topic_; }
  std::int32_t http_info(std::int64_t id, std::int32_t what, std::string_view name, std::string& out) override {
    return router_.http_info(*this, id, what, name, out);
  }
  std::int32_t http_set_status(std::int64_t id, std::int32_t status) override {
    return router_.http_set_status(*this, id, status);
  }
  std::int32_t http_set_header(std::int64_t id, std::string_view name, std::string_view value) override {
    return router_.http_set_header(*this, id, name, value);
  }
  void invalid_call(std::string_view) override { counters_.bump(&ComponentCounters::refused_invalid); }
  std::int32_t kv_get(std::string_view key, std::string& value) override;
  std::int32_t kv_set(std::string_view key, std::span<const std::uint8_t> value) override;
  std::int32_t kv_delete(std::string_view key) override;
  std::int32_t kv_list(std::string_view prefix, std::string_view after, std::size_t cap, std::string& out) override;
  std::int64_t kv_usage() override;
  // The guest call succeeded (returned 0): its storage writes will commit.
  void accept_writes() {
    if (kv_) kv_->accept_call();
  }
  // A backend failure: reported once per call; the import traps.
  std::int32_t storage_failed(const Error& e);

  // A host-side failure (an exception) while handling `e`: fails the guest's call, not the host.
  void host_error(Envelope& e, std::string_view what);

  const std::uint64_t handle_;
  const std::uint64_t owner_;
  const std::string module_name_;
  const std::chrono::milliseconds health_interval_;
  const std::chrono::milliseconds passivate_after_;
  std::optional<std::string> restore_state_;
  const std::string engine_;
  std::shared_ptr<SupervisionGroup> group_;
  std::atomic<std::int64_t> last_active_ns_{0};
  mutable std::mutex children_mu_;
  std::unordered_set<std::uint64_t> children_;
  std::atomic<std::uint32_t> timers_pending_{0};
  std::atomic<std::uint32_t> monitor_count_{0};
  std::atomic<DownReason> down_reason_{DownReason::kNone};
  std::mutex upgrade_mu_;
  std::shared_ptr<UpgradeJob> upgrade_;
  const ComponentLimits limits_;
  const ComponentBudget budget_;
  std::atomic<std::uint32_t> pending_out_{0};
  std::atomic<std::uint32_t> subscription_count_{0};
  std::atomic<std::uint32_t> events_left_{0};
  std::atomic<bool> interrupt_{false};
  std::uint64_t log_bytes_this_call_ = 0;
  bool log_cut_reported_ = false;
  const Capabilities capabilities_;
  std::optional<engine::ExportIndex> fuel_global_;
  std::int64_t fuel_left_ = 0;
  sandbox::Allowance* const host_memory_bytes_;
  std::uint64_t memory_pages_ = 0;
  bool memory_refusal_reported_ = false;  // this handler call
  // Guest call timing (arm(), refill(), run_batch()) on the stopwatch; kNever: none.
  static constexpr Stopwatch::time_point kNever = Stopwatch::time_point::max();
  const Stopwatch& stopwatch_;
  Stopwatch::time_point deadline_at_ = kNever;
  std::chrono::milliseconds armed_deadline_{0};
  const std::string id_;
  const std::string config_;
  std::shared_ptr<const engine::Module> module_;  // shared with every restart; replaced by an upgrade
  std::atomic<bool> has_callback_;
  std::atomic<bool> has_health_;
  Router& router_;
  Mailbox mailbox_;
  ComponentCounters counters_;
  Edges edges_;
  SendCache send_cache_;
  Stopwatch::time_point call_started_ = kNever;  // the guest call armed last in this batch (handler_time)
  Stopwatch::time_point clock_hint_ = kNever;    // run_batch's stopwatch read, for the first arm() of its batch
  std::chrono::nanoseconds excluded_{0};       // this batch's time spent helping (exclude())
  std::uint64_t batch_refills_ = 0;            // fuel refills during this batch
  unsigned fast_batches_ = 0;                  // batches in a row that were not slow (while slow())
  bool nested_ = false;                        // in run_nested()
  std::vector<Envelope> batch_;  // envelopes taken from the mailbox, being handled
  std::size_t batch_next_ = 0;   // the next of batch_ to handle
  std::unique_ptr<engine::Instance> instance_;
  std::optional<abi::GuestExports> exports_;
  std::int64_t current_request_ = 0;
  std::string_view current_topic_;
  // Read by every sender on every send (slow_ by help() at each send into a deep backlog):
  // on a line of their own, away from what the worker writes per message (batch_next_,
  // call_started_, current_request_ above), which each such read would take from its core.
  alignas(64) std::atomic<bool> down_{false};
  std::atomic<bool> slow_{false};  // slow(): written only when it changes
  alignas(64) std::atomic<bool> health_queued_{false};
  // Identifies the latest scheduled restart (written by the worker, read by the timer).
  std::atomic<std::uint64_t> restart_token_{0};
  std::atomic<bool> restart_pending_{false};  // read by the control API (restarting())
  bool stopped_reported_ = false;     // instance gone, mailbox paused until kStart(restart_token_)
  std::unique_ptr<storage::Space> kv_;  // nullptr: storage off
  const std::size_t max_value_bytes_;
  bool kv_writes_ = false;  // its module imports kv-set or kv-delete: its outputs are held
  bool holding_ = false;
  std::vector<std::function<void(bool)>> held_;
  std::uint64_t held_bytes_ = 0;
  static constexpr std::uint64_t kHeldOverhead = 128;  // an envelope and its closure
  static constexpr int kBatch = 64;
  static_assert(Scheduler::kCoalesceBacklog == kBatch, "coalescing waits for one full batch");
  static constexpr std::int64_t kFuelSlice = 10'000;  // fuel units between two looks at the clock
};

}  // namespace wactor::actor
