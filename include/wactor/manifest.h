// The application manifest (TOML): components, initial messages, runtime settings.
// docs/MANIFEST.md describes the format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wactor/result.h"
#include "wactor/runtime.h"

namespace wactor {

// Limits as written; unset keys fall back (component -> [runtime] -> built-in default).
struct ManifestLimits {
  std::optional<std::uint64_t> fuel;
  std::optional<std::int64_t> deadline_ms;
  std::optional<std::uint64_t> max_memory_bytes;
  std::optional<std::int64_t> shutdown_deadline_ms;
};

// Budgets as written (component -> [runtime] -> built-in default); see ComponentBudget.
struct ManifestBudget {
  std::optional<std::uint64_t> max_pending_requests, max_mailbox_bytes, max_subscriptions, max_log_bytes_per_call,
      max_log_line_bytes, max_events_per_call, max_timers, max_monitors, max_children, storage_quota_bytes;
  // Applies what is set on top of `budget`.
  void apply(ComponentBudget& budget) const;
};

// Restart intensity and backoff as written ([runtime] defaults, or one [[group]]).
struct ManifestSupervision {
  std::optional<std::uint32_t> max_restarts;
  std::optional<std::int64_t> restart_window_ms;
  std::optional<std::int64_t> backoff_ms;
  std::optional<std::int64_t> backoff_max_ms;
  // Applies what is set on top of `policy`.
  void apply(SupervisionPolicy& policy) const;
};

struct ManifestGroup {
  std::string name;
  RestartStrategy strategy = RestartStrategy::kOneForOne;
  std::vector<std::string> members;
  ManifestSupervision supervision;
  int line = 0;
};

struct ManifestComponent {
  std::string id;
  std::string wasm;           // resolved against the manifest's directory; empty with `module`
  std::optional<std::string> module;  // made from this [[module]] (its settings, under these keys)
  std::string config;
  std::size_t mailbox_capacity = 0;  // 0: runtime default
  ManifestLimits limits;
  ManifestBudget budget;
  std::optional<std::int64_t> health_interval_ms;
  std::optional<std::string> engine;  // "aot" or "interp"; empty: [runtime] engine
  std::vector<std::string> send, request, publish, subscribe;  // capability grants (deny by default)
  std::vector<std::string> spawn;  // modules it may spawn components from
  std::vector<std::string> keys;   // the keys written in its table (which settings override a module's)
  int line = 0;               // where it is declared, for messages
  [[nodiscard]] bool has(std::string_view key) const;
};

// A [[module]]: a template for components (docs/MANIFEST.md, "Modules").
struct ManifestModule {
  std::string name;
  ManifestComponent settings;  // wasm, config, limits, grants...; `id` unused
  std::string activate;        // virtual actors: ids matching it are made on first message
  std::optional<std::int64_t> passivate_after_ms;
  int line = 0;
};

struct ManifestMessage {
  std::string to;
  std::string payload;
  int line = 0;
};

struct ManifestRuntime {
  std::optional<unsigned> workers;
  std::optional<bool> helping;
  std::optional<std::int64_t> worker_spin_us;
  std::optional<std::int64_t> default_timeout_ms;
  std::optional<std::size_t> mailbox_capacity;
  std::optional<std::size_t> max_payload_bytes;
  std::optional<std::string> engine;
  std::optional<std::string> audit_log;  // resolved against the manifest's directory
  std::optional<std::int64_t> health_interval_ms;
  ManifestLimits limits;
  ManifestBudget budget;
  std::optional<std::uint64_t> max_total_mailbox_bytes;
  std::optional<std::uint64_t> max_total_pending_requests;
  std::optional<std::uint64_t> max_total_memory_bytes;
  std::optional<std::uint64_t> max_total_timers;
  std::optional<std::uint64_t> max_components;
  ManifestSupervision supervision;  // for components in no group, and defaults of every group
};

// [http]: the embedded server (docs/HTTP.md).
struct ManifestHttp {
  std::optional<std::string> listen;      // "ADDR:PORT"
  std::optional<std::string> token_file;  // resolved against the manifest's directory
  std::optional<std::uint64_t> max_upload_bytes;  // module bodies (upgrade)
  std::optional<std::int64_t> timeout_ms;         // idle or slow connections are closed after it
  std::optional<std::uint64_t> metrics_max_components;  // /metrics: per-component series at most
};

// [storage]: per-component key-value storage (docs/STORAGE.md).
struct ManifestStorage {
  std::string path;  // resolved against the manifest's directory; default "state.db" beside it
  bool full_sync = false;  // sync = "full" (default "normal")
  std::string backend;     // "sqlite" (default) or "jetstream" (needs [cluster])
  int replicas = 1;        // of the JetStream bucket, if created by this host
};

// [cluster]: join a lattice of hosts over NATS (docs/CLUSTER.md). Files resolved against
// the manifest's directory.
struct ManifestCluster {
  std::optional<std::string> url, lattice, host_id, creds_file, tls_ca_file, tls_cert_file, tls_key_file;
  std::optional<std::int64_t> heartbeat_ms, dead_after_ms;
  std::optional<bool> send_asap;
  std::vector<std::string> accept_from;
  std::vector<std::string> accept_spawn;  // [[module]] names (patterns) other hosts may spawn from
  bool present = false;  // the manifest has a [cluster] table
};

// [[route]]: HTTP requests to a component (docs/HTTP.md, "Ingress").
struct ManifestRoute {
  std::string path;    // "/hello", or a prefix "/api/*"
  std::string method;  // "GET", ...; empty: any
  std::string component;
  std::int64_t timeout_ms = 0;  // 0: [runtime] default_timeout_ms
  int line = 0;
};

struct Manifest {
  std::string path;
  ManifestRuntime runtime;
  ManifestHttp http;
  ManifestStorage storage;
  ManifestCluster cluster;
  std::vector<ManifestRoute> routes;
  std::vector<ManifestModule> modules;
  std::vector<ManifestComponent> components;
  std::vector<ManifestGroup> groups;
  std::vector<ManifestMessage> messages;
};

// Parses manifest text; `path` is used in messages ("app.toml:12: ...") and to resolve wasm paths.
[[nodiscard]] Result<Manifest> parse_manifest(std::string_view text, std::string_view path);
// Reads and parses a manifest file.
[[nodiscard]] Result<Manifest> load_manifest(const std::string& path);

}  // namespace wactor
