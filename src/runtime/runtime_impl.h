// The runtime's internals: the component directory, the correlation table, the worker pool
// and the timer service. It is the Router every component talks to.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actor/component.h"
#include "actor/restart_window.h"
#include "actor/router.h"
#include "actor/scheduler.h"
#include "actor/stopwatch.h"
#include "cluster/link.h"
#include "messaging/correlation_table.h"
#include "messaging/subscriptions.h"
#include "runtime/control_calls.h"
#include "runtime/directory.h"
#include "runtime/host_requests.h"
#include "runtime/monitors.h"
#include "runtime/timers.h"
#include "runtime/work_count.h"
#include "sandbox/allowance.h"
#include "storage/store.h"
#include "wactor/engine.h"
#include "wactor/runtime.h"

namespace wactor {

// A [[module]]: loaded once, the template of every component made from it.
struct ModuleTemplate {
  ModuleSpec spec;
  std::shared_ptr<const engine::Module> module;
  std::string engine;  // its engine's name
};

class Runtime::Impl final : public actor::Router {
 public:
  Impl(RuntimeOptions options, std::unique_ptr<engine::Engine> engine);
  ~Impl() override;

  Status add_module(ModuleSpec spec);
  // run_init: its init is queued for a worker (a spawn); else start() runs it (the manifest's).
  Status add_component(ComponentSpec spec, bool run_init = false);
  // After every component: puts each in its group (its own, when in none).
  Status set_groups(std::vector<GroupSpec> groups);
  Status start();
  void stop(std::chrono::milliseconds grace);
  void interrupt() { interrupt_all_.store(true, std::memory_order_release); }
  std::int32_t post(std::string_view target, std::string payload);
  bool wait_idle(std::chrono::milliseconds timeout);
  bool drain(std::chrono::milliseconds grace);
  bool idle() const { return work_.idle(); }
  void expire_timers();
  Result<ComponentStats> stats(std::string_view id) const;
  RuntimeMetrics metrics() const;
  Status stop_component(std::string_view id);
  Status spawn(std::string_view module, std::string_view id, std::optional<std::string> config);
  Status spawn(ComponentSpec spec);
  Status upgrade(std::string_view id, std::vector<std::uint8_t> wasm, std::string origin);
  std::size_t pending_requests() const { return table_.size(); }
  std::vector<std::string> component_ids() const;
  std::vector<std::string> escalated_groups() const;
  // The host's own requests and what the control API reads (host_api.cpp).
  std::int64_t host_request(HostRequest r, HostReplyFn done);
  // host_request for any sender id (a component on another host).
  std::int64_t host_request_as(HostRequest r, HostReplyFn done);
  std::vector<ComponentInfo> components() const;
  std::optional<ComponentInfo> component(std::string_view id) const;
  std::vector<Edge> edges() const;
  std::vector<std::string> module_names() const;
  bool has_component(std::string_view id) const {
    ComponentPtr c = find_live(id);
    return c != nullptr && !c->down();
  }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  std::size_t max_payload_bytes() const { return options_.max_payload_bytes; }

  // actor::Router
  std::int32_t send(actor::Component& from, std::string_view target, std::span<const std::uint8_t> payload) override;
  std::int64_t request(actor::Component& from, std::string_view target, std::span<const std::uint8_t> payload,
                       std::int32_t timeout_ms) override;
  std::int32_t respond(actor::Component& from, std::int64_t id, bool is_error,
                       std::span<const std::uint8_t> payload) override;
  std::int32_t cancel(actor::Component& from, std::int64_t id) override;
  std::int64_t now_ms() override;
  std::chrono::nanoseconds now() override { return clock_->now(); }
  const actor::Stopwatch& stopwatch() const override { return stopwatch_; }
  std::int32_t subscribe(actor::Component& from, std::string_view pattern) override;
  std::int32_t unsubscribe(actor::Component& from, std::string_view pattern) override;
  std::int32_t publish(actor::Component& from, std::string_view topic, std::span<const std::uint8_t> payload) override;
  std::int32_t broadcast(actor::Component& from, std::span<const std::uint8_t> payload) override;
  void log(actor::Component& from, std::int32_t level, std::string_view message) override;
  std::int32_t spawn(actor::Component& from, std::string_view module, std::string_view id,
                     std::string_view config) override;
  std::int32_t stop(actor::Component& from, std::string_view target) override;
  std::int64_t send_after(actor::Component& from, std::string_view target, std::span<const std::uint8_t> payload,
                          std::int32_t delay_ms) override;
  std::int32_t cancel_timer(actor::Component& from, std::int64_t timer_id) override;
  std::int32_t monitor(actor::Component& from, std::string_view target) override;
  std::int32_t demonitor(actor::Component& from, std::string_view target) override;
  void request_received(actor::Component& target, std::int64_t id) override;
  void request_failed(actor::Component& target, std::int64_t id, std::string reason) override;
  void request_target_down(actor::Component& target, std::int64_t id) override;
  void instance_lost(actor::Component& target) override;
  void report(actor::Component& c, std::string_view kind, std::string_view detail) override;
  std::optional<std::chrono::nanoseconds> member_failed(actor::Component& c, std::string_view reason) override;
  void start_later(actor::Component& c, std::chrono::nanoseconds at, std::uint64_t token) override;
  void gone(actor::Component& c) override;
  void keep_state(actor::Component& c, std::string state) override;
  void health_gained(actor::Component& c) override;
  std::int32_t http_info(actor::Component& from, std::int64_t id, std::int32_t what, std::string_view name,
                         std::string& out) override;
  std::int32_t http_set_status(actor::Component& from, std::int64_t id, std::int32_t status) override;
  std::int32_t http_set_header(actor::Component& from, std::int64_t id, std::string_view name,
                               std::string_view value) override;
  void envelopes_done(std::size_t n) override { finish(n); }
  bool interrupting() const override { return interrupt_all_.load(std::memory_order_acquire); }

 private:
  using ComponentPtr = runtime::ComponentPtr;
  // The live component `id`; for an id some module activates, made on demand.
  ComponentPtr find(std::string_view id);
  // find() for a send or request of `from`: through its SendCache (runtime/send_cache.cpp).
  ComponentPtr find_for(actor::Component& from, std::string_view id);
  ComponentPtr find_live(std::string_view id) const { return directory_.find(id); }
  // No such component, or down for good: messages to it are refused. One passivating (down,
  // its mailbox closed) is not: deliver() finds the next instance.
  static bool unreachable(const ComponentPtr& c) { return c == nullptr || (c->down() && !c->mailbox().closed()); }
  // Virtual actors: the module whose `activate` pattern matches `id`, if any.
  const ModuleTemplate* activator(std::string_view id) const;
  ComponentPtr activate(const ModuleTemplate& m, std::string_view id);
  const ModuleTemplate* find_module(std::string_view name) const;
  void keep_state_for(std::string id, std::string state);

  enum class Placement {
    kBounded,  // at the back, refused when the mailbox is full
    kBypass,   // at the back, whatever the capacity (callbacks answer accepted requests)
    kFront,    // ahead of everything (control)
    kResume,   // ahead of everything, and wakes a mailbox paused for a restart
  };
  // Queues an envelope, keeping the outstanding count exact and scheduling the actor.
  actor::Mailbox::Push enqueue(actor::Component& to, actor::Envelope&& e, Placement placement);
  // After a send left `to` with a deep backlog: run it here if it waits for a worker
  // (Scheduler::claim, run_claimed), its time not counted against `from`'s call.
  void help(actor::Component& from, actor::Component& to);
  // Queues a message for `target` (activating it if it passivated meanwhile); the Push.
  actor::Mailbox::Push deliver(ComponentPtr& to, std::string_view target, actor::Envelope&& e);
  // Runs `output` once `from`'s held outputs are settled (Component::settle), counted as
  // outstanding meanwhile.
  void hold(actor::Component& from, std::function<void(bool durable)> output);
  // The storage committer, opened on first use by a component whose module imports kv-*
  // (nullptr when RuntimeOptions::storage.path is empty).
  Result<storage::GroupCommitter*> storage_for(const engine::Module& module);
  Result<std::unique_ptr<storage::Store>> open_jetstream_store();
  // Ends a request taken from the table: queues the requester's callback.
  void complete(const messaging::PendingRequest& r, std::int32_t status, std::string payload);
  void finish_one() { finish(1); }
  void finish(std::size_t n);
  // Counts a refusal by its status against the caller, and returns the status.
  static std::int32_t refuse(actor::Component& from, std::int32_t status);
  // True if one of `grants` matches `name`; otherwise reports the denial.
  bool permitted(actor::Component& from, const std::vector<std::string>& grants, std::string_view what,
                 std::string_view name);
  // Marks `c` down for good and queues its stop; false if it was down already.
  bool stop_for_good(actor::Component& c, actor::DownReason why);

  // The NATS link (remote.cpp): a target no local component has may run on another host.
  class ClusterBridge final : public cluster::LinkHost {
   public:
    explicit ClusterBridge(Impl& rt) : rt_(rt) {}
    std::vector<std::string> local_ids() override;
    void on_send(cluster::Frame&& f) override;
    void on_request(cluster::Frame&& f) override;
    void on_reply(cluster::Frame&& f) override;
    void on_publish(cluster::Frame&& f) override;
    void on_ids_lost(const std::vector<std::string>& ids) override;
    void on_control(cluster::Frame&& f) override;
    void on_control_reply(cluster::Frame&& f) override;

   private:
    Impl& rt_;
  };
  Status start_cluster();
  void stop_cluster();
  std::int32_t send_remote(actor::Component& from, std::string_view target, std::span<const std::uint8_t> payload);
  // A kSend frame to a host running `target` (send-after timers too): 0, -1 or -3.
  std::int32_t forward_remote(std::string sender, std::string target, std::string payload);
  // Hands request `id` (registered with target kRemoteTarget) to the host running `target`.
  std::int32_t dispatch_remote_request(std::int64_t id, actor::Component& from, std::string_view target,
                                       std::span<const std::uint8_t> payload, std::chrono::nanoseconds timeout);
  void publish_remote(actor::Component& from, std::string_view topic, std::span<const std::uint8_t> payload);
  bool remote_runs(std::string_view id) const;

 public:
  bool wait_remote(std::string_view id, bool present, std::chrono::milliseconds timeout);
  std::string host_id() const;
  // Placement and the control API across hosts (placement.cpp).
  Status spawn_on(std::string_view host, std::string_view module, std::string_view id,
                  std::optional<std::string> config);
  LatticeComponents lattice_components();
  Result<ComponentInfo> lattice_component(std::string_view id);
  Status stop_lattice_component(std::string_view id);

 private:
  // A spawn placed on `host` ("any", a host id, or this host's): an abi status, with the
  // reason in `why` when not 0. `from`: the spawning component (nullptr: the host).
  std::int32_t place_spawn(actor::Component* from, std::string_view host, std::string_view module,
                           std::string_view id, std::optional<std::string> config, std::string& why);
  // Spawn "module@host" from a guest (the spawn import's placement form).
  std::int32_t spawn_placed(actor::Component& from, std::string_view module_at_host, std::string_view id,
                            std::string_view config);
  // Sends control frame `f` to `host` and waits for its answer (up to `timeout`, or until
  // the host leaves): the answer, or why there is none.
  Result<runtime::ControlCalls::Answer> control_call(const std::string& host, cluster::Frame f,
                                                     std::chrono::milliseconds timeout);
  void accept_control(cluster::Frame&& f);
  void accept_control_reply(cluster::Frame&& f);
  runtime::ControlCalls control_calls_;

 private:
  void accept_send(cluster::Frame&& f);
  void accept_request(cluster::Frame&& f);
  void accept_reply(cluster::Frame&& f);
  void accept_publish(cluster::Frame&& f);
  void remote_ids_lost(const std::vector<std::string>& ids);
  void forget_remote(std::int64_t id);
  std::int32_t monitor_remote(actor::Component& from, std::string_view target);
  std::int32_t demonitor_remote(actor::Component& from, std::string_view target);
  std::unique_ptr<ClusterBridge> cluster_bridge_;
  std::unique_ptr<cluster::Link> cluster_;
  std::mutex remote_mu_;
  std::unordered_map<std::int64_t, std::string> remote_pending_;  // request id -> target id
  // Monitors of components on other hosts: target id -> watchers (remote_mu_).
  std::unordered_map<std::string, std::unordered_set<runtime::Handle>> remote_watchers_;

  // Making components (spawning.cpp).
  Result<std::shared_ptr<const engine::Module>> load_module(const std::vector<std::uint8_t>& wasm,
                                                            const std::string& origin, const ComponentLimits& limits,
                                                            const std::string& engine, const std::string& where);
  // Makes, publishes and (when `run_init`) queues the init of one component.
  Status make_component(actor::ComponentSetup setup, actor::Component* owner, bool run_init);
  actor::ComponentSetup setup_from(const ComponentSpec& spec, std::shared_ptr<const engine::Module> module,
                                   const std::string& engine) const;

  // Timers (timing.cpp).
  void timer_loop();
  void wake_timer();
  void add_timer(runtime::Timer t);
  // Ends expired requests and fires due timers; returns when the next one is due.
  std::optional<std::chrono::nanoseconds> fire_due_timers();
  struct FireCache {
    runtime::Handle owner = 0;
    ComponentPtr owner_ptr;
    std::string target;
    ComponentPtr target_ptr;
  };
  void fire(runtime::Timer& t, std::chrono::nanoseconds now, FireCache& cache);
  void schedule_health(actor::Component& c, std::chrono::nanoseconds now);

  RuntimeOptions options_;
  std::unique_ptr<engine::Engine> engine_;  // the runtime's default
  // Engines components asked for by name, made on first use.
  std::mutex engines_mu_;
  std::unordered_map<std::string, std::unique_ptr<engine::Engine>> other_engines_;
  Result<engine::Engine*> engine_for(const std::string& name);
  SystemClock system_clock_;
  const Clock* clock_;
  actor::Stopwatch stopwatch_;  // reads clock_, or the CPU's counter with the system clock
  std::chrono::nanoseconds epoch_;
  std::vector<ComponentPtr> manifest_components_;  // in manifest order, until start() (then in the directory)
  // Loaded modules by (bytes, memory cap, engine): shared by every component made from them.
  std::mutex modules_mu_;
  std::unordered_map<std::string, std::shared_ptr<const engine::Module>> modules_;
  std::vector<std::unique_ptr<ModuleTemplate>> templates_;  // fixed once the runtime is created
  messaging::CorrelationTable table_;
  runtime::HostRequests host_requests_;
  // Edges::count has one writer at a time: the host's and HTTP's come from any thread.
  std::mutex host_edges_mu_;
  actor::Edges host_edges_;  // "$host" (post, control API requests)
  actor::Edges http_edges_;  // "$http" (ingress)
  void count_host_edge(bool http, std::uint64_t handle) {
    std::lock_guard lock(host_edges_mu_);
    (http ? http_edges_ : host_edges_).count(handle);
  }
  actor::AtomicHistogram host_request_time_;
  // Ends a request the host made (complete() for requester kHostRequester).
  void complete_host(const messaging::PendingRequest& r, std::int32_t status, std::string payload);
  // The open HTTP request `id` if `from` received it: -1/-2 otherwise.
  std::int32_t http_access(actor::Component& from, std::int64_t id) const;
  messaging::Subscriptions subscriptions_;
  runtime::Monitors monitors_;
  runtime::TimerService timers_;
  // Passivated components' snapshots by id (charged to the host's mailbox bytes).
  std::mutex kept_mu_;
  std::unordered_map<std::string, std::string> kept_states_;
  mutable std::mutex supervision_mu_;
  std::vector<std::shared_ptr<actor::SupervisionGroup>> groups_;  // the manifest's [[group]]s
  std::vector<std::string> escalated_;
  // Counters of components gone for good (their own vanish with them).
  mutable std::mutex gone_mu_;
  ComponentStats gone_total_;
  std::uint64_t components_gone_ = 0;
  // The final counters of the last kRecentlyGone components gone, by id (stats() serves them).
  static constexpr std::size_t kRecentlyGone = 1024;
  std::unordered_map<std::string, ComponentStats> recently_gone_;
  std::deque<std::string> gone_order_;
  runtime::WorkCount work_;  // queued envelopes + envelopes in handling + pending requests and timers
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
  sandbox::Allowance host_timers_;
  std::atomic<bool> started_{false};
  std::atomic<bool> ready_{false};  // every manifest init ran
  std::atomic<bool> stopped_{false};
  std::mutex storage_mu_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  // After what components use (the allowances, the store): destroyed before them.
  runtime::Directory directory_;
  actor::Scheduler scheduler_;  // after the components: its workers are joined first
  std::jthread timer_;
};

}  // namespace wactor
