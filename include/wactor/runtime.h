// The wactor runtime: components (wasm instances with mailboxes) on a shared worker pool,
// messaging each other through the host.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/clock.h"
#include "wactor/metrics.h"
#include "wactor/result.h"

namespace wactor {

// What one handler call of a component may use. 0 means "no limit" for each.
struct ComponentLimits {
  std::uint64_t fuel = 0;                   // units per handler call (1 per function entry and loop iteration)
  std::chrono::milliseconds deadline{0};    // wall-clock time per handler call, host calls included
  std::uint64_t max_memory_bytes = 0;       // linear memory cap (rounded down to 64 KiB pages)
  std::chrono::milliseconds shutdown_deadline{1'000};  // wall-clock time the guest's `shutdown` may take
};

// What one component may make the host hold or do (docs/MANIFEST.md, "Budgets"). A guest
// over its budget gets a status (-7, or -3 for mailbox bytes) or loses the excess (log
// text, operator events), never the host's memory. 0 means "no limit" for each.
struct ComponentBudget {
  std::uint32_t max_pending_requests = 10'000;  // its own requests awaiting their callback
  std::uint64_t max_mailbox_bytes = 8ull << 20;  // payload bytes queued for it (one message always fits)
  std::uint32_t max_subscriptions = 256;         // patterns it is subscribed with
  std::uint32_t max_log_bytes_per_call = 64u << 10;  // log text per handler call; the rest is dropped
  std::uint32_t max_log_line_bytes = 16u << 10;      // one log line; longer ones are cut
  std::uint32_t max_events_per_call = 16;            // operator events per handler call; the rest counted
  std::uint32_t max_timers = 10'000;      // its send-after timers pending at once
  std::uint32_t max_monitors = 10'000;    // components its instance monitors at once
  std::uint32_t max_children = 100'000;   // live components it spawned
  // Key-value storage (keys + values) it may hold; 0 turns storage off for it (-2).
  std::uint64_t storage_quota_bytes = 64ull << 20;
};

// The host-wide side: totals over every component, so that many hostile components
// together cannot exhaust the host either. 0 means "no limit".
struct HostBudget {
  std::uint64_t max_mailbox_bytes = 4ull << 30;       // payload bytes queued in all mailboxes
  std::uint64_t max_pending_requests = 1'000'000;     // requests awaiting a callback, all components
  // Linear memory of all instances (initial size and every granted memory.grow): past it
  // memory.grow returns -1 and a start fails. 16 GiB leaves a 24 GiB host room for the
  // mailboxes (4 GiB) and itself.
  std::uint64_t max_memory_bytes = 16ull << 30;
  std::uint64_t max_timers = 1'000'000;  // send-after timers pending, all components
};

// How a supervision group reacts when one of its members fails (a trap, a fuel or deadline
// stop, a failed init on restart, an unhealthy health answer). As in Erlang/OTP.
enum class RestartStrategy : std::uint8_t {
  kOneForOne,   // restart only the failing member
  kOneForAll,   // restart every member of the group
  kRestForOne,  // restart the failing member and the members declared after it
};
[[nodiscard]] std::string_view restart_strategy_name(RestartStrategy s);

struct SupervisionPolicy {
  RestartStrategy strategy = RestartStrategy::kOneForOne;
  // Restart intensity: more than `max_restarts` restarts within `within` and the group is
  // stopped for good and the failure escalated (reported as "escalated"). 0: never restart.
  std::uint32_t max_restarts = 5;
  std::chrono::milliseconds within{10'000};
  // Backoff: the first restart in a window is immediate, the next waits `backoff`, and each
  // further one twice as long as the previous, up to `backoff_max`.
  std::chrono::milliseconds backoff{10};
  std::chrono::milliseconds backoff_max{1'000};
};

// A supervision group: members are restarted together per the policy. A component in no
// group is supervised alone (one-for-one) with RuntimeOptions::supervision.
struct GroupSpec {
  std::string name;                  // [A-Za-z0-9_.-]{1,128}, unique among groups
  SupervisionPolicy policy;
  std::vector<std::string> members;  // component ids, in order (rest-for-one uses the order)
};

// What a component may do to others. Deny by default: an empty list grants nothing.
// Entries are segment-aware patterns (docs/ABI.md, "Topics and patterns"): "pong",
// "workers.*", "#" (everything). Component ids are matched the same way as topics.
struct Capabilities {
  std::vector<std::string> send;       // targets of send (and broadcast recipients)
  std::vector<std::string> request;    // targets of request
  std::vector<std::string> publish;    // topics it may publish on
  std::vector<std::string> subscribe;  // patterns it may subscribe with (each must be covered by one)
  std::vector<std::string> spawn;      // module names it may spawn components from (patterns too)
  static Capabilities all() { return {{"#"}, {"#"}, {"#"}, {"#"}, {"#"}}; }
};

struct ComponentSpec {
  std::string id;               // [A-Za-z0-9_.-]{1,128}, unique
  std::vector<std::uint8_t> wasm;  // module bytes
  std::string origin;           // where the bytes came from (a path), for messages
  std::string config;           // passed to init
  std::size_t mailbox_capacity = 0;  // 0: the runtime default
  std::optional<ComponentLimits> limits;  // empty: RuntimeOptions::limits
  Capabilities capabilities;              // default: may message no one
  // How often `health` is polled if the module exports it; 0 never. Empty: the runtime default.
  std::optional<std::chrono::milliseconds> health_interval;
  // The engine running this component ("aot", "interp"); empty: RuntimeOptions::engine.
  std::string engine;
  std::optional<ComponentBudget> budget;  // empty: RuntimeOptions::budget
  std::string module;  // set by the runtime: the [[module]] it was made from, if any
  // [cluster] Where spawn(ComponentSpec) makes it (docs/CLUSTER.md, "Placement"): empty or
  // this host's id: here; "any": the least loaded live host with the module; another host's
  // id: there. Off this host it is made from the [[module]] named by `module` (with
  // `config`, if not empty): `wasm` must be empty, since bytes never cross hosts.
  std::string host = {};
};

// A template components are made from at run time (spawn, activation) or in the manifest.
// Loaded (and compiled) once; every component made from it shares the loaded module and
// gets its settings and grants, never more.
struct ModuleSpec {
  std::string name;        // [A-Za-z0-9_.-]{1,128}, unique among modules
  ComponentSpec settings;  // wasm, origin, config, limits, grants, ...; `id` is unused
  // Virtual actors: a message or request to an id matching this pattern that names no live
  // component spawns it first (owned by the host). Empty: never.
  std::string activate;
  // A component made from this module idle that long is stopped (its snapshot, if it
  // exports `snapshot`, is kept for its next activation). 0: never.
  std::chrono::milliseconds passivate_after{0};
};

// One line a guest logged. Called from worker threads, possibly concurrently.
using LogSink = std::function<void(std::string_view component, std::int32_t level, std::string_view text)>;

// Something the operator should know: kind is "denied", "trap", "fuel", "deadline",
// "unhealthy", "restarted", "restart-failed", "escalated", "stopped", "shutdown-failed",
// "dropped", "bad-log-call", "orphaned-reply", "shed", "budget", "interrupted", "host-error",
// "restart-scheduled", "init-failed", "upgraded", "upgrade-failed", "passivated",
// "activated", "spawn-refused" (a spawn placed on another host, docs/CLUSTER.md).
// Called from worker and timer threads. `detail` may hold guest-chosen text: sinks that
// print it must escape it (escape_event_text).
struct RuntimeEvent {
  std::string_view component;
  std::string_view kind;
  std::string_view detail;
};
using EventSink = std::function<void(const RuntimeEvent&)>;

// Per-component key-value storage (docs/STORAGE.md).
struct StorageOptions {
  // The SQLite database file; empty: no storage (every kv-* import answers -2).
  std::string path;
  // false: synchronous=NORMAL (a committed write survives SIGKILL of the process, not a
  // power loss); true: FULL (one flush per grouped commit; survives a power loss too).
  bool full_sync = false;
  // Caps the database at that many 4 KiB pages (0: no cap): simulates a full disk in tests.
  std::uint64_t max_pages = 0;
  // "jetstream": the lattice's JetStream key-value bucket over the [cluster] connection
  // settings (cluster.url, cluster.lattice, credentials, TLS) instead of the SQLite file;
  // empty or "sqlite": the file at `path` (docs/STORAGE.md, "JetStream backend").
  std::string backend;
  int jetstream_replicas = 1;  // of the bucket, if this host creates it
};

// [cluster]: join a lattice of hosts over NATS (docs/CLUSTER.md). Empty url: no cluster,
// nothing connects.
struct ClusterOptions {
  std::string url;                 // "nats://127.0.0.1:4222"
  std::string lattice = "default";  // [A-Za-z0-9_-], at most 64
  std::string host_id;             // a component-id-like name; empty: "<hostname>-<pid>"
  std::string creds_file;          // NATS user credentials (.creds)
  std::string tls_ca_file;         // trust these CAs (implies TLS)
  std::string tls_cert_file, tls_key_file;  // client certificate
  std::chrono::milliseconds heartbeat{250};
  std::chrono::milliseconds dead_after{1'500};  // no heartbeat for this long: the host is gone
  // No batching of sends and publishes: each frame goes at once (lower latency, lower bulk
  // throughput). Default: batched per subject for up to 100 us (docs/CLUSTER.md, "Batching").
  // Requests and replies always go at once.
  bool send_asap = false;
  // Sender ids (patterns as for send grants) whose messages this host accepts from other
  // hosts; empty: every sender.
  std::vector<std::string> accept_from;
  // [[module]] names (patterns) other hosts may spawn components from here (docs/CLUSTER.md,
  // "Placement"); empty: every [[module]]. Bytes never cross hosts: only modules by name.
  std::vector<std::string> accept_spawn;
};

struct RuntimeOptions {
  std::string engine;  // empty: the fastest available (engine::engine_names().front())
  unsigned workers = 0;  // 0: one per hardware thread
  // A send that leaves a deep backlog for a target waiting for a worker may run the target's
  // handlers nested in the sender's call (docs/ABI.md `send`, "helping"); false: never.
  bool helping = true;
  // How long an idle worker keeps looking for work before it parks (sleeps until woken). A
  // send to a parked worker's side pays a wake (several µs on a virtual machine); shorter
  // saves CPU on a quiet host: one worker per two cores spins this long after each burst.
  // 0: park at once. Between 0 and 1 s.
  std::chrono::microseconds worker_spin{300};
  std::chrono::milliseconds default_timeout{30'000};
  std::size_t mailbox_capacity = 1024;
  std::size_t max_payload_bytes = 1u << 20;
  // Default limits: a runaway handler is stopped after 10 s, memory is capped at 256 MiB.
  ComponentLimits limits{0, std::chrono::milliseconds(10'000), 256ull << 20, std::chrono::milliseconds(1'000)};
  ComponentBudget budget;  // per component, unless its spec has one
  HostBudget host_budget;
  // Supervision of components that are in no group.
  SupervisionPolicy supervision;
  std::chrono::milliseconds health_interval{1'000};
  // Live components at most, the manifest's included (spawn answers -7 past it).
  std::uint64_t max_components = 1'000'000;
  // nullptr: the system clock, and a timer thread fires timeouts. With another clock (a
  // ManualClock in tests) the caller fires them with Runtime::expire_timers().
  const Clock* clock = nullptr;
  StorageOptions storage;
  LogSink log;       // default: stdout "<id> <LEVEL> <text>"
  EventSink events;  // default: stderr
  ClusterOptions cluster;  // empty url: no cluster
};


// What an HTTP request looked like (ingress): the guest reads it while the request is open.
struct HttpRequestHead {
  std::string method;  // "GET", "POST", ...
  std::string path;    // as sent (not percent-decoded), without the query: "/hello/world"
  std::string query;   // after '?', as sent; empty if none
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
};

// How a request the host made ended.
struct HostReply {
  std::int32_t status = 0;  // abi::CallbackStatus: 0 ok, 1 error reply, 2 timeout, 3 cancelled, 4 target down
  std::string payload;      // the reply (status 0), the error text (1), else empty
  std::int32_t http_status = 0;  // set by the guest with http-set-status; 0: not set
  std::vector<std::pair<std::string, std::string>> http_headers;  // set by the guest (http-set-header)
  // Status 1 not from respond(id, 1, ...) but from a failed handler (non-zero return, trap,
  // fuel or deadline stop): the payload is the host's text, not the guest's answer.
  bool failed = false;
};
// Runs exactly once, on a runtime thread (a worker or the timer thread): keep it short.
using HostReplyFn = std::function<void(HostReply&&)>;

struct HostRequest {
  std::string target;
  std::string payload;
  std::chrono::milliseconds timeout{0};  // 0: RuntimeOptions::default_timeout
  std::string sender = "$host";          // "$host" or "$http"
  std::shared_ptr<const HttpRequestHead> http;  // ingress: the HTTP request the guest may read
};

// One live component, for the control API and the dashboard.
struct ComponentInfo {
  std::string id;
  std::string module;  // its [[module]], or empty for a manifest component with its own wasm
  std::string engine;
  std::string state;   // "running", "restarting", "stopped"
  std::uint64_t pending_requests = 0;  // its own requests awaiting a callback
  ComponentStats stats;
  std::string host = {};  // [cluster] the host running it (empty without [cluster])
};

// [cluster] The components of every live host (Runtime::lattice_components).
struct LatticeComponents {
  std::vector<ComponentInfo> components;  // this host's first, then each host's in host order
  std::vector<std::string> missing;       // live hosts that did not answer in time
  bool truncated = false;                 // more than kMaxLatticeComponents: the rest left out
};
inline constexpr std::size_t kMaxLatticeComponents = 100'000;
inline constexpr std::size_t kMaxComponentsPerHost = 10'000;  // listed per remote host

// Messages from one component (or "$host"/"$http") to another since the start.
struct Edge {
  std::string from;
  std::string to;  // "*" for the sender's targets past the first eight
  std::uint64_t messages = 0;
};

class Runtime {
 public:
  // Loads and checks every module (nothing runs yet). Errors name the component and file.
  // Errors also for groups naming unknown components or a component twice.
  [[nodiscard]] static Result<std::unique_ptr<Runtime>> create(RuntimeOptions options,
                                                               std::vector<ComponentSpec> components,
                                                               std::vector<GroupSpec> groups = {},
                                                               std::vector<ModuleSpec> modules = {});
  ~Runtime();  // stops
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Instantiates every component and runs its init, in order, before any message is
  // handled; then starts the workers. Messages sent during init are queued.
  [[nodiscard]] Status start();

  // Delivers a message from the host (sender "$host"). Returns an abi::GuestStatus. @threadsafe
  std::int32_t post(std::string_view target, std::string payload);

  // Waits until no message is queued or being handled and no request is pending.
  // False if `timeout` passed first. @threadsafe
  bool wait_idle(std::chrono::milliseconds timeout);
  [[nodiscard]] bool idle() const;

  // Ends every request whose deadline has passed on the runtime's clock. @threadsafe
  void expire_timers();

  // Graceful end: from now on sends, requests, publishes and posts are refused (-1); every
  // pending request ends with status 4 (target down), and the callbacks and the messages
  // already queued are handled, up to `grace`. True if everything finished in time.
  // Call stop() afterwards. @threadsafe
  bool drain(std::chrono::milliseconds grace);

  // Stops the workers, calls each component's shutdown, ends what is pending with
  // status 4 (target down). Handlers still running are interrupted (as by interrupt());
  // callbacks already queued are handled for up to `grace` first. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(1'000));

  // Interrupts every guest call running now or started from now on: each traps with
  // "wactor: interrupted" at its next fuel check (within milliseconds, on every engine),
  // until stop() returns; shutdown calls made by stop() after the workers ended run
  // normally unless interrupt() is called again. Async-signal-safe (one atomic store),
  // @threadsafe.
  void interrupt();

  // Stops one component for good: its shutdown runs, every request queued for it or
  // received and unanswered ends at once with status 4, and sends to it get -1. @threadsafe
  [[nodiscard]] Status stop_component(std::string_view id);

  // Makes a component from a module of the manifest (or create()), owned by the host, with
  // the module's config unless `config` is given. Its init runs on a worker; messages to it
  // queue behind its init. Errors: kNotFound (no such module), kInvalidArgument (bad id),
  // kAlreadyExists (id in use), kResourceExhausted (max_components). @threadsafe
  [[nodiscard]] Status spawn(std::string_view module, std::string_view id,
                             std::optional<std::string> config = std::nullopt);
  // Makes a component from a spec (its bytes are loaded once per distinct module). @threadsafe
  [[nodiscard]] Status spawn(ComponentSpec spec);
  // Replaces a live component's module between two messages, keeping its mailbox, its
  // pending requests both ways, its subscriptions, monitors and timers: the old instance's
  // `snapshot` (if exported) is read, a new instance runs init, then `restore` gets the
  // state. If the new module is refused or init/restore fails or traps, the old instance
  // goes on untouched and the error is returned. A component spawned a moment ago runs its
  // init first. Blocks until done (or until stop() ends it with an error). @threadsafe
  [[nodiscard]] Status upgrade(std::string_view id, std::vector<std::uint8_t> wasm, std::string origin = {});

  // Sends a request from the host (sender "$host", or "$http" for ingress). Returns a
  // positive request id, after which `done` runs exactly once (reply, error reply, timeout,
  // target down, shutdown), or a negative abi::GuestStatus (-1 unknown or down target, -3
  // mailbox full, -4 invalid, -5 too large, -7 the host's pending requests used up), in
  // which case `done` never runs. @threadsafe
  std::int64_t request(HostRequest request, HostReplyFn done);
  // One live component's state and counters. @threadsafe
  [[nodiscard]] std::optional<ComponentInfo> component(std::string_view id) const;
  // Every live component with its state and counters (directory order). @threadsafe
  [[nodiscard]] std::vector<ComponentInfo> components() const;
  // Who sent how many messages to whom (send, request, publish, broadcast). @threadsafe
  [[nodiscard]] std::vector<Edge> edges() const;
  // True if a component with this id is live (not stopped for good). @threadsafe
  [[nodiscard]] bool has_component(std::string_view id) const;
  // [cluster]: waits until another host of the lattice announces `id` (present) or until
  // none does (!present); false after `timeout` or without [cluster]. @threadsafe
  bool wait_remote(std::string_view id, bool present, std::chrono::milliseconds timeout);
  // [cluster]: this host's id ("" without [cluster]).
  [[nodiscard]] std::string host_id() const;
  // [cluster] Placement (docs/CLUSTER.md): makes `id` from the [[module]] `module` on `host`:
  // empty or this host's id: here, as spawn(); "any": the least loaded live host that has
  // the module (this one included); another host's id: there, asked over NATS (its
  // accept_spawn applies), waiting up to 2 s for the answer and then until this host knows
  // the new id (up to 1 s). Errors as spawn(), and kNotFound when the named host is not
  // live or did not answer. Blocks: not for a worker thread. @threadsafe
  [[nodiscard]] Status spawn_on(std::string_view host, std::string_view module, std::string_view id,
                                std::optional<std::string> config = std::nullopt);
  // [cluster] The control API across hosts: every live host's components (each with its
  // `host`), asking the others over NATS (up to 2 s; bounded: see LatticeComponents). Without
  // [cluster]: this host's. Blocks. @threadsafe
  [[nodiscard]] LatticeComponents lattice_components();
  // [cluster] component(id) here, else on the host that runs it (asked over NATS). Blocks.
  [[nodiscard]] Result<ComponentInfo> lattice_component(std::string_view id);
  // [cluster] stop_component(id) here, else on a host that runs it (asked over NATS). Blocks.
  [[nodiscard]] Status stop_lattice_component(std::string_view id);
  // The [[module]] names components can be spawned from.
  [[nodiscard]] std::vector<std::string> module_names() const;
  // True once start() has run every manifest component's init. @threadsafe
  [[nodiscard]] bool ready() const;
  [[nodiscard]] std::size_t max_payload_bytes() const;

  [[nodiscard]] Result<ComponentStats> stats(std::string_view component) const;
  // Every component's counters and the totals. @threadsafe
  [[nodiscard]] RuntimeMetrics metrics() const;
  [[nodiscard]] std::size_t pending_requests() const;
  [[nodiscard]] std::vector<std::string> component_ids() const;
  // Supervision groups whose restart intensity was exceeded (stopped for good). @threadsafe
  [[nodiscard]] std::vector<std::string> escalated_groups() const;

  class Impl;

 private:
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True if `id` is a valid component id.
[[nodiscard]] bool valid_component_id(std::string_view id);

// `text` with control characters, quotes and backslashes escaped (\n, \x1b, ...) and cut
// at `max` bytes: safe to print on one line of a terminal or a log file.
[[nodiscard]] std::string escape_event_text(std::string_view text, std::size_t max = 1024);

}  // namespace wactor
