// One component: a persistent wasm instance with a mailbox, run by the shared worker pool.
// Its instance is touched only by the worker currently running it (the mailbox's scheduled
// flag guarantees there is at most one).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "abi/abi_v1.h"
#include "actor/mailbox.h"
#include "actor/router.h"
#include "actor/scheduler.h"
#include "sandbox/allowance.h"
#include "wactor/engine.h"
#include "wactor/metrics.h"
#include "wactor/runtime.h"
#include "wactor/result.h"

namespace wactor::actor {

// Live counters, written by the component's worker and the router; read at any time.
struct ComponentCounters {
#define WACTOR_ATOMIC(name, doc) std::atomic<std::uint64_t> name{0};
  WACTOR_COUNTERS(WACTOR_ATOMIC)
#undef WACTOR_ATOMIC
  void bump(std::atomic<std::uint64_t> ComponentCounters::*c, std::uint64_t n = 1) {
    (this->*c).fetch_add(n, std::memory_order_relaxed);
  }
  [[nodiscard]] ComponentStats snapshot() const;
};

class Component final : public Runnable, private abi::GuestHost {
 public:
  Component(std::uint32_t index, std::string id, std::string config, std::shared_ptr<const engine::Module> module,
            std::size_t mailbox_capacity, const ComponentLimits& limits, const ComponentBudget& budget,
            Capabilities capabilities, Router& router, sandbox::Allowance* host_mailbox_bytes,
            sandbox::Allowance* host_memory_bytes);

  std::uint32_t index() const { return index_; }
  const std::string& id() const { return id_; }
  Mailbox& mailbox() { return mailbox_; }
  ComponentCounters& counters() { return counters_; }
  bool can_receive_callbacks() const { return has_callback_; }
  bool has_health() const { return has_health_; }
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
  // Refuse new messages from now on; the worker stops the instance when it takes the
  // kStop envelope queued at the front. @threadsafe
  void mark_down() { down_.store(true, std::memory_order_release); }

  // Creates a fresh instance and runs its init. Only while the component is not running.
  [[nodiscard]] Status start_instance();
  // Calls shutdown (if exported, under the shutdown deadline) and drops the instance for
  // good. Only while not running.
  void stop_instance();

  bool run_batch() override;

 private:
  void handle(Envelope& e);
  void handle_message(Envelope& e);
  void handle_callback(Envelope& e);
  void handle_stop();
  void handle_restart(const Envelope& e);
  void handle_start(std::uint64_t token);
  void handle_health();
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
  std::string_view current_topic() override { return current_topic_; }
  void invalid_call(std::string_view) override { counters_.bump(&ComponentCounters::refused_invalid); }

  // A host-side failure (an exception) while handling `e`: fails the guest's call, not the host.
  void host_error(Envelope& e, std::string_view what);

  const std::uint32_t index_;
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
  std::chrono::nanoseconds deadline_at_{0};
  std::chrono::milliseconds armed_deadline_{0};
  const std::string id_;
  const std::string config_;
  const std::shared_ptr<const engine::Module> module_;  // shared with every restart of this component
  const bool has_callback_;
  const bool has_health_;
  Router& router_;
  Mailbox mailbox_;
  std::vector<engine::HostFunction> imports_;  // bound to this component
  ComponentCounters counters_;
  std::vector<Envelope> batch_;  // envelopes taken from the mailbox, being handled
  std::unique_ptr<engine::Instance> instance_;
  std::optional<abi::GuestExports> exports_;
  std::int64_t current_request_ = 0;
  std::string_view current_topic_;
  std::atomic<bool> down_{false};
  std::atomic<bool> health_queued_{false};
  // Identifies the latest scheduled restart (written by the worker, read by the timer).
  std::atomic<std::uint64_t> restart_token_{0};
  bool restart_pending_ = false;
  bool stopped_reported_ = false;     // instance gone, mailbox paused until kStart(restart_token_)
  static constexpr int kBatch = 64;
  static constexpr std::int64_t kFuelSlice = 10'000;  // fuel units between two looks at the clock
};

}  // namespace wactor::actor
