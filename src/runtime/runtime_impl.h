// The runtime's internals: components, the correlation table, the worker pool and the timer.
// It is the Router every component talks to.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actor/component.h"
#include "actor/restart_window.h"
#include "actor/router.h"
#include "actor/scheduler.h"
#include "messaging/correlation_table.h"
#include "messaging/subscriptions.h"
#include "sandbox/allowance.h"
#include "wactor/engine.h"
#include "wactor/runtime.h"

namespace wactor {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class Runtime::Impl final : public actor::Router {
 public:
  Impl(RuntimeOptions options, std::unique_ptr<engine::Engine> engine);
  ~Impl() override;

  Status add_component(ComponentSpec spec);
  // After every component: puts each in its group (its own, when in none).
  Status set_groups(std::vector<GroupSpec> groups);
  Status start();
  void stop(std::chrono::milliseconds grace);
  void interrupt() { interrupt_all_.store(true, std::memory_order_release); }
  std::int32_t post(std::string_view target, std::string payload);
  bool wait_idle(std::chrono::milliseconds timeout);
  bool drain(std::chrono::milliseconds grace);
  bool idle() const { return outstanding_.load(std::memory_order_acquire) == 0; }
  void expire_timers();
  Result<ComponentStats> stats(std::string_view id) const;
  RuntimeMetrics metrics() const;
  Status stop_component(std::string_view id);
  std::size_t pending_requests() const { return table_.size(); }
  std::vector<std::string> component_ids() const;
  std::vector<std::string> escalated_groups() const;

  // actor::Router
  std::int32_t send(actor::Component& from, std::string_view target, std::span<const std::uint8_t> payload) override;
  std::int64_t request(actor::Component& from, std::string_view target, std::span<const std::uint8_t> payload,
                       std::int32_t timeout_ms) override;
  std::int32_t respond(actor::Component& from, std::int64_t id, bool is_error,
                       std::span<const std::uint8_t> payload) override;
  std::int32_t cancel(actor::Component& from, std::int64_t id) override;
  std::int64_t now_ms() override;
  std::chrono::nanoseconds now() override { return clock_->now(); }
  std::int32_t subscribe(actor::Component& from, std::string_view pattern) override;
  std::int32_t unsubscribe(actor::Component& from, std::string_view pattern) override;
  std::int32_t publish(actor::Component& from, std::string_view topic, std::span<const std::uint8_t> payload) override;
  std::int32_t broadcast(actor::Component& from, std::span<const std::uint8_t> payload) override;
  void log(actor::Component& from, std::int32_t level, std::string_view message) override;
  void request_received(actor::Component& target, std::int64_t id) override;
  void request_failed(actor::Component& target, std::int64_t id, std::string reason) override;
  void request_target_down(actor::Component& target, std::int64_t id) override;
  void instance_lost(actor::Component& target) override;
  void report(actor::Component& c, std::string_view kind, std::string_view detail) override;
  std::optional<std::chrono::nanoseconds> member_failed(actor::Component& c, std::string_view reason) override;
  void start_later(actor::Component& c, std::chrono::nanoseconds at, std::uint64_t token) override;
  void envelopes_done(std::size_t n) override { finish(n); }
  bool interrupting() const override { return interrupt_all_.load(std::memory_order_acquire); }

 private:
  actor::Component* find(std::string_view id) const;
  enum class Placement {
    kBounded,  // at the back, refused when the mailbox is full
    kBypass,   // at the back, whatever the capacity (callbacks answer accepted requests)
    kFront,    // ahead of everything (control)
    kResume,   // ahead of everything, and wakes a mailbox paused for a restart
  };
  // Queues an envelope, keeping the outstanding count exact and scheduling the actor.
  actor::Mailbox::Push enqueue(actor::Component& to, actor::Envelope&& e, Placement placement);
  // Ends a request taken from the table: queues the requester's callback.
  void complete(const messaging::PendingRequest& r, std::int32_t status, std::string payload);
  void finish_one() { finish(1); }
  void finish(std::size_t n);
  // Counts a refusal by its status against the caller, and returns the status.
  static std::int32_t refuse(actor::Component& from, std::int32_t status);
  // True if one of `grants` matches `name`; otherwise reports the denial.
  bool permitted(actor::Component& from, const std::vector<std::string>& grants, std::string_view what,
                 std::string_view name);
  void timer_loop();
  void wake_timer();
  // Ends expired requests and runs due timer actions; returns when the next one is due.
  std::optional<std::chrono::nanoseconds> fire_due_timers();

  // Supervision (supervision.cpp).
  struct Group {
    std::string name;
    std::vector<std::uint32_t> members;  // component indexes, in order
    actor::RestartWindow window;
    bool stopped = false;
  };
  // Something the timer does at a time: the end of a restart backoff, or a health poll.
  struct TimerAction {
    std::chrono::nanoseconds at;
    std::uint32_t component;
    bool health;          // else: start (the end of a backoff)
    std::uint64_t token;  // start: the restart it ends
    bool operator>(const TimerAction& o) const { return at > o.at; }
  };
  void schedule_health_polls();
  // Runs the actions due by `now`; returns when the next one is due.
  std::optional<std::chrono::nanoseconds> run_timer_actions(std::chrono::nanoseconds now);
  void add_timer_action(TimerAction a);
  std::vector<std::chrono::milliseconds> health_intervals_;  // per component; 0: not polled

  RuntimeOptions options_;
  std::unique_ptr<engine::Engine> engine_;  // the runtime's default
  // Engines components asked for by name, made on first use.
  std::unordered_map<std::string, std::unique_ptr<engine::Engine>> other_engines_;
  Result<engine::Engine*> engine_for(const std::string& name);
  SystemClock system_clock_;
  const Clock* clock_;
  std::chrono::nanoseconds epoch_;
  std::vector<std::unique_ptr<actor::Component>> components_;
  // Loaded modules by (bytes, memory cap): shared by every component made from them.
  std::unordered_map<std::string, std::shared_ptr<const engine::Module>> modules_;
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> by_id_;
  messaging::CorrelationTable table_;
  messaging::Subscriptions subscriptions_;
  mutable std::mutex supervision_mu_;
  std::vector<Group> groups_;
  std::vector<std::uint32_t> group_of_;  // per component index
  std::vector<std::string> escalated_;
  std::mutex actions_mu_;
  std::priority_queue<TimerAction, std::vector<TimerAction>, std::greater<>> actions_;
  std::atomic<std::int64_t> outstanding_{0};  // queued envelopes + envelopes in handling + pending requests
  mutable std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::uint64_t timer_generation_ = 0;
  bool timer_stop_ = false;
  std::atomic<bool> draining_{false};
  std::atomic<bool> interrupt_all_{false};  // lock-free: Runtime::interrupt is async-signal-safe
  static_assert(std::atomic<bool>::is_always_lock_free);
  sandbox::Allowance host_mailbox_bytes_;
  sandbox::Allowance host_pending_;
  sandbox::Allowance host_memory_bytes_;
  bool started_ = false;
  bool stopped_ = false;
  actor::Scheduler scheduler_;  // after the components: its workers are joined first
  std::jthread timer_;
};

}  // namespace wactor
