#include "wactor/manifest.h"

#include "http/routes.h"
#include "http/address.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <climits>
#include <map>
#include <set>
#include <sstream>

#include "abi/abi_v1.h"
#include "messaging/topic.h"
#include "wactor/runtime.h"

#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

namespace wactor {
namespace {

namespace fs = std::filesystem;

// The first non-ASCII byte, or npos. toml++ 3.3 reaches __builtin_unreachable on some
// non-ASCII characters wherever it tests for whitespace — between tokens, after a
// line-ending backslash in a multi-line string, ... (found by fuzzing) — so manifests are
// ASCII, and strings carry other characters as \uXXXX escapes.
std::size_t first_non_ascii(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (static_cast<unsigned char>(t[i]) >= 0x80) return i;
  }
  return std::string_view::npos;
}

class Parser {
 public:
  explicit Parser(std::string_view path) : path_(path) {}

  Error error_at(const toml::source_region& where, const std::string& what) const {
    return make_error(ErrorCode::kManifest, path_ + ":" + std::to_string(where.begin.line) + ": " + what);
  }

  // Every key of `table` must be one of `allowed`.
  Status only_keys(const toml::table& table, std::initializer_list<std::string_view> allowed,
                   std::string_view section) const {
    return only_keys(table, std::vector<std::string_view>(allowed), section);
  }
  Status only_keys(const toml::table& table, std::initializer_list<std::string_view>, std::string_view section,
                   const std::vector<std::string_view>& allowed) const {
    return only_keys(table, allowed, section);
  }
  Status only_keys(const toml::table& table, const std::vector<std::string_view>& allowed,
                   std::string_view section) const {
    for (auto&& [key, value] : table) {
      bool known = false;
      for (auto a : allowed) known = known || key.str() == a;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return error_at(key.source(), "unknown key '" + std::string(key.str()) + "' in " + std::string(section) +
                                          " (allowed: " + list + ")");
      }
    }
    return {};
  }

  Result<std::optional<std::string>> string_key(const toml::table& t, std::string_view key, bool required,
                                                std::string_view section) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) return error_at(t.source(), std::string(section) + " needs '" + std::string(key) + "'");
      return std::optional<std::string>();
    }
    if (!n->is_string()) return error_at(n->source(), "'" + std::string(key) + "' must be a string");
    return std::optional<std::string>(n->as_string()->get());
  }

  Result<std::optional<std::int64_t>> int_key(const toml::table& t, std::string_view key, std::int64_t min,
                                              std::int64_t max) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::optional<std::int64_t>();
    if (!n->is_integer()) return error_at(n->source(), "'" + std::string(key) + "' must be an integer");
    const std::int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      return error_at(n->source(), "'" + std::string(key) + "' must be between " + std::to_string(min) + " and " +
                                       std::to_string(max) + ", not " + std::to_string(v));
    }
    return std::optional<std::int64_t>(v);
  }

  Result<Manifest> parse(std::string_view text) {
    auto line_of = [&](std::size_t offset) {
      return std::to_string(1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    };
    if (const std::size_t good = abi::valid_utf8_prefix(text); good != text.size()) {
      return make_error(ErrorCode::kManifest, path_ + ":" + line_of(good) + ": not valid UTF-8");
    }
    if (const std::size_t bad = first_non_ascii(text); bad != std::string_view::npos) {
      return make_error(ErrorCode::kManifest, path_ + ":" + line_of(bad) +
                                                  ": non-ASCII character: write it as a \\uXXXX escape in a \"string\"");
    }
    // toml++ frees nested tables recursively and its depth limit does not cover dotted
    // keys (a.b.c...): refuse deep keys before parsing.
    if (text.size() > kMaxManifestBytes) {
      return make_error(ErrorCode::kManifest, path_ + ": larger than " + std::to_string(kMaxManifestBytes) + " bytes");
    }
    if (auto deep = too_deep_line(text)) {
      return make_error(ErrorCode::kManifest, path_ + ":" + std::to_string(*deep) +
                                                  ": key nested too deeply (more than " +
                                                  std::to_string(kMaxKeyDepth) + " levels)");
    }
    toml::table root;
    try {
      root = toml::parse(text, path_);
    } catch (const toml::parse_error& e) {
      return error_at(e.source(), std::string(e.description()));
    }
    Manifest m;
    m.path = path_;
    WACTOR_TRY(only_keys(root, {"runtime", "module", "component", "group", "message", "http", "route", "storage",
                         "cluster"},
                         "the manifest"));
    m.storage.path = resolve("state.db");
    if (const toml::node* st = root.get("storage")) {
      if (!st->is_table()) return error_at(st->source(), "'storage' must be a table ([storage])");
      WACTOR_TRY(parse_storage(*st->as_table(), m.storage));
    }
    if (const toml::node* c = root.get("cluster")) {
      if (!c->is_table()) return error_at(c->source(), "'cluster' must be a table ([cluster])");
      WACTOR_TRY(parse_cluster(*c->as_table(), m.cluster));
    }
    if (const toml::node* h = root.get("http")) {
      if (!h->is_table()) return error_at(h->source(), "'http' must be a table ([http])");
      WACTOR_TRY(parse_http(*h->as_table(), m.http));
    }
    if (const toml::node* routes = root.get("route")) {
      if (!routes->is_array_of_tables()) return error_at(routes->source(), "'route' must be [[route]] tables");
      for (const toml::node& n : *routes->as_array()) {
        auto r = parse_route(*n.as_table());
        if (!r.ok()) return std::move(r).take_error();
        for (const auto& other : m.routes) {
          if (other.path == r->path && other.method == r->method) {
            return error_at(n.source(), "duplicate [[route]] " + (r->method.empty() ? "" : r->method + " ") + r->path);
          }
        }
        m.routes.push_back(std::move(r).value());
      }
    }
    if (const toml::node* rt = root.get("runtime")) {
      if (!rt->is_table()) return error_at(rt->source(), "'runtime' must be a table ([runtime])");
      WACTOR_TRY(parse_runtime(*rt->as_table(), m.runtime));
    }
    const toml::node* comps = root.get("component");
    if (comps == nullptr) return make_error(ErrorCode::kManifest, path_ + ": no [[component]] entries: nothing to run");
    if (!comps->is_array_of_tables()) return error_at(comps->source(), "'component' must be [[component]] tables");
    std::set<std::string> module_names;
    if (const toml::node* mods = root.get("module")) {
      if (!mods->is_array_of_tables()) return error_at(mods->source(), "'module' must be [[module]] tables");
      for (const toml::node& n : *mods->as_array()) {
        auto mod = parse_module(*n.as_table());
        if (!mod.ok()) return std::move(mod).take_error();
        if (!module_names.insert(mod->name).second) {
          return error_at(n.source(), "duplicate module name '" + mod->name + "'");
        }
        m.modules.push_back(std::move(mod).value());
      }
    }
    std::set<std::string> ids;
    for (const toml::node& n : *comps->as_array()) {
      auto c = parse_component(*n.as_table());
      if (!c.ok()) return std::move(c).take_error();
      if (c->module && !module_names.count(*c->module)) {
        return error_at(n.as_table()->get("module")->source(), "component '" + c->id + "': no [[module]] named '" +
                                                                    *c->module + "'");
      }
      if (!ids.insert(c->id).second) {
        return error_at(n.source(), "duplicate component id '" + c->id + "'");
      }
      m.components.push_back(std::move(c).value());
    }
    if (const toml::node* groups = root.get("group")) {
      if (!groups->is_array_of_tables()) return error_at(groups->source(), "'group' must be [[group]] tables");
      std::map<std::string, std::string> group_of;
      std::set<std::string> names;
      for (const toml::node& n : *groups->as_array()) {
        auto g = parse_group(*n.as_table(), ids, group_of);
        if (!g.ok()) return std::move(g).take_error();
        if (!names.insert(g->name).second) return error_at(n.source(), "duplicate group name '" + g->name + "'");
        m.groups.push_back(std::move(g).value());
      }
    }
    if (const toml::node* msgs = root.get("message")) {
      if (!msgs->is_array_of_tables()) return error_at(msgs->source(), "'message' must be [[message]] tables");
      for (const toml::node& n : *msgs->as_array()) {
        const toml::table& t = *n.as_table();
        WACTOR_TRY(only_keys(t, {"to", "payload"}, "[[message]]"));
        auto to = string_key(t, "to", true, "[[message]]");
        if (!to.ok()) return std::move(to).take_error();
        auto payload = string_key(t, "payload", true, "[[message]]");
        if (!payload.ok()) return std::move(payload).take_error();
        bool activated = false;  // an id a module activates on demand
        for (const auto& mod : m.modules) {
          activated = activated || (!mod.activate.empty() && messaging::topic_matches(mod.activate, **to));
        }
        if (!ids.count(**to) && !activated) {
          return error_at(t.source(), "[[message]] to unknown component '" + **to + "'");
        }
        m.messages.push_back(ManifestMessage{**to, **payload, static_cast<int>(t.source().begin.line)});
      }
    }
    return m;
  }

 private:
  static constexpr std::size_t kMaxManifestBytes = 4u << 20;
  static constexpr int kMaxKeyDepth = 32;

  // The first line (1-based) holding more than kMaxKeyDepth dots or brackets outside strings
  // and comments: a key (or value) nested deeper than any manifest needs.
  static std::optional<std::size_t> too_deep_line(std::string_view text) {
    std::size_t line = 1;
    int depth = 0;
    char quote = 0;
    bool comment = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '\n') {
        ++line;
        depth = 0;
        comment = false;
        if (quote == '"' || quote == '\'') quote = 0;  // single-line strings end (toml++ reports it)
        continue;
      }
      if (comment) continue;
      if (quote) {
        if (c == '\\' && quote == '"' && i + 1 < text.size()) ++i;
        else if (c == quote) quote = 0;
        continue;
      }
      if (c == '"' || c == '\'') quote = c;
      else if (c == '#') comment = true;
      else if ((c == '.' || c == '[' || c == '{') && ++depth > kMaxKeyDepth) return line;
    }
    return std::nullopt;
  }

  Status parse_budget(const toml::table& t, ManifestBudget& b) {
    struct Key {
      const char* name;
      std::optional<std::uint64_t> ManifestBudget::*field;
      std::int64_t max;
    };
    static const Key keys[] = {
        {"max_pending_requests", &ManifestBudget::max_pending_requests, 1LL << 30},
        {"max_mailbox_bytes", &ManifestBudget::max_mailbox_bytes, 1LL << 40},
        {"max_subscriptions", &ManifestBudget::max_subscriptions, 1LL << 30},
        {"max_log_bytes_per_call", &ManifestBudget::max_log_bytes_per_call, 1LL << 30},
        {"max_log_line_bytes", &ManifestBudget::max_log_line_bytes, 1LL << 30},
        {"max_events_per_call", &ManifestBudget::max_events_per_call, 1LL << 20},
        {"max_timers", &ManifestBudget::max_timers, 1LL << 30},
        {"max_monitors", &ManifestBudget::max_monitors, 1LL << 30},
        {"max_children", &ManifestBudget::max_children, 1LL << 30},
        {"storage_quota_bytes", &ManifestBudget::storage_quota_bytes, 1LL << 50},
    };
    for (const auto& k : keys) {
      auto v = int_key(t, k.name, 0, k.max);
      if (!v.ok()) return std::move(v).take_error();
      if (*v) b.*k.field = static_cast<std::uint64_t>(**v);
    }
    return {};
  }

  Status parse_storage(const toml::table& t, ManifestStorage& st) {
    WACTOR_TRY(only_keys(t, {"path", "sync", "backend", "replicas"}, "[storage]"));
    auto path = string_key(t, "path", false, "[storage]");
    if (!path.ok()) return std::move(path).take_error();
    if (*path) {
      if ((*path)->empty()) return error_at(t.get("path")->source(), "[storage] path must not be empty");
      st.path = resolve(**path);
    }
    auto sync = string_key(t, "sync", false, "[storage]");
    if (!sync.ok()) return std::move(sync).take_error();
    if (*sync) {
      if (**sync != "normal" && **sync != "full") {
        return error_at(t.get("sync")->source(), "[storage] sync must be \"normal\" or \"full\"");
      }
      st.full_sync = **sync == "full";
    }
    auto backend = string_key(t, "backend", false, "[storage]");
    if (!backend.ok()) return std::move(backend).take_error();
    if (*backend) {
      if (**backend != "sqlite" && **backend != "jetstream") {
        return error_at(t.get("backend")->source(), "[storage] backend must be \"sqlite\" or \"jetstream\"");
      }
      st.backend = **backend;
    }
    auto replicas = int_key(t, "replicas", 1, 5);
    if (!replicas.ok()) return std::move(replicas).take_error();
    if (*replicas) st.replicas = static_cast<int>(**replicas);
    return {};
  }

  Status parse_http(const toml::table& t, ManifestHttp& h) {
    WACTOR_TRY(only_keys(t, {"listen", "token_file", "max_upload_bytes", "timeout_ms", "metrics_max_components"},
                         "[http]"));
    auto listen = string_key(t, "listen", false, "[http]");
    if (!listen.ok()) return std::move(listen).take_error();
    if (*listen) {
      auto parsed = http::parse_listen(**listen);
      if (!parsed.ok()) return error_at(t.get("listen")->source(), parsed.error().message);
      h.listen = **listen;
    }
    auto token = string_key(t, "token_file", false, "[http]");
    if (!token.ok()) return std::move(token).take_error();
    if (*token) h.token_file = resolve(**token);
    auto upload = int_key(t, "max_upload_bytes", 1024, std::int64_t{1} << 30);
    if (!upload.ok()) return std::move(upload).take_error();
    if (*upload) h.max_upload_bytes = static_cast<std::uint64_t>(**upload);
    auto timeout = int_key(t, "timeout_ms", 1000, 3'600'000);
    if (!timeout.ok()) return std::move(timeout).take_error();
    h.timeout_ms = *timeout;
    auto series = int_key(t, "metrics_max_components", 0, 100'000);
    if (!series.ok()) return std::move(series).take_error();
    if (*series) h.metrics_max_components = static_cast<std::uint64_t>(**series);
    return {};
  }

  Status parse_cluster(const toml::table& t, ManifestCluster& c) {
    WACTOR_TRY(only_keys(t, {"url", "lattice", "host_id", "creds_file", "tls_ca_file", "tls_cert_file", "tls_key_file",
                             "heartbeat_ms", "dead_after_ms", "accept_from", "accept_spawn", "send_asap"},
                         "[cluster]"));
    c.present = true;
    struct Key {
      std::string_view name;
      std::optional<std::string> ManifestCluster::*field;
      bool file;
    };
    for (const Key& k : {Key{"url", &ManifestCluster::url, false}, Key{"lattice", &ManifestCluster::lattice, false},
                         Key{"host_id", &ManifestCluster::host_id, false},
                         Key{"creds_file", &ManifestCluster::creds_file, true},
                         Key{"tls_ca_file", &ManifestCluster::tls_ca_file, true},
                         Key{"tls_cert_file", &ManifestCluster::tls_cert_file, true},
                         Key{"tls_key_file", &ManifestCluster::tls_key_file, true}}) {
      auto v = string_key(t, k.name, false, "[cluster]");
      if (!v.ok()) return std::move(v).take_error();
      if (*v) c.*k.field = k.file ? resolve(**v) : **v;
    }
    if (c.host_id && !valid_component_id(*c.host_id)) {
      return error_at(t.get("host_id")->source(), "'host_id' must be 1-128 characters from A-Z a-z 0-9 _ - .");
    }
    if (c.lattice) {
      const bool ok = !c.lattice->empty() && c.lattice->size() <= 64 &&
                      c.lattice->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
                          std::string::npos;
      if (!ok) return error_at(t.get("lattice")->source(), "'lattice' must be 1-64 characters from A-Z a-z 0-9 _ -");
    }
    auto hb = int_key(t, "heartbeat_ms", 10, 60'000);
    if (!hb.ok()) return std::move(hb).take_error();
    c.heartbeat_ms = *hb;
    auto dead = int_key(t, "dead_after_ms", 20, 600'000);
    if (!dead.ok()) return std::move(dead).take_error();
    c.dead_after_ms = *dead;
    if (c.heartbeat_ms.value_or(250) >= c.dead_after_ms.value_or(1500)) {
      return error_at(t.source(), "[cluster] dead_after_ms must be longer than heartbeat_ms");
    }
    WACTOR_TRY(patterns(t, "accept_from", c.accept_from));
    WACTOR_TRY(patterns(t, "accept_spawn", c.accept_spawn));
    if (const toml::node* asap = t.get("send_asap")) {
      if (!asap->is_boolean()) return error_at(asap->source(), "'send_asap' must be true or false");
      c.send_asap = asap->as_boolean()->get();
    }
    return {};
  }

  Result<ManifestRoute> parse_route(const toml::table& t) {
    WACTOR_TRY(only_keys(t, {"path", "method", "component", "timeout_ms"}, "[[route]]"));
    ManifestRoute r;
    r.line = static_cast<int>(t.source().begin.line);
    auto path = string_key(t, "path", true, "[[route]]");
    if (!path.ok()) return std::move(path).take_error();
    if (auto why = http::route_path_problem(**path)) return error_at(t.get("path")->source(), *why);
    r.path = **path;
    auto method = string_key(t, "method", false, "[[route]]");
    if (!method.ok()) return std::move(method).take_error();
    if (*method) {
      if (!http::valid_route_method(**method)) {
        return error_at(t.get("method")->source(), "'method' must be one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
      }
      r.method = **method;
    }
    auto comp = string_key(t, "component", true, "[[route]]");
    if (!comp.ok()) return std::move(comp).take_error();
    if (!valid_component_id(**comp)) return error_at(t.get("component")->source(), "'component' is not a valid component id");
    r.component = **comp;
    auto timeout = int_key(t, "timeout_ms", 1, 3'600'000);
    if (!timeout.ok()) return std::move(timeout).take_error();
    if (*timeout) r.timeout_ms = **timeout;
    return r;
  }

  Status parse_runtime(const toml::table& t, ManifestRuntime& rt) {
    WACTOR_TRY(only_keys(t, {"workers", "helping", "worker_spin_us", "default_timeout_ms", "mailbox_capacity", "max_payload_bytes", "engine", "fuel",
                             "deadline_ms", "max_memory_bytes", "shutdown_deadline_ms", "audit_log",
                             "health_interval_ms", "max_restarts", "restart_window_ms", "backoff_ms",
                             "backoff_max_ms", "max_pending_requests", "max_mailbox_bytes", "max_subscriptions",
                             "max_log_bytes_per_call", "max_log_line_bytes", "max_events_per_call",
                             "max_total_mailbox_bytes", "max_total_pending_requests", "max_total_memory_bytes",
                             "max_timers", "max_monitors", "max_children", "max_total_timers", "max_components",
                             "storage_quota_bytes"},
                         "[runtime]"));
    auto total_timers = int_key(t, "max_total_timers", 0, 1LL << 40);
    if (!total_timers.ok()) return std::move(total_timers).take_error();
    if (*total_timers) rt.max_total_timers = static_cast<std::uint64_t>(**total_timers);
    auto max_components = int_key(t, "max_components", 1, 1LL << 24);
    if (!max_components.ok()) return std::move(max_components).take_error();
    if (*max_components) rt.max_components = static_cast<std::uint64_t>(**max_components);
    WACTOR_TRY(parse_budget(t, rt.budget));
    auto total_bytes = int_key(t, "max_total_mailbox_bytes", 0, 1LL << 50);
    if (!total_bytes.ok()) return std::move(total_bytes).take_error();
    if (*total_bytes) rt.max_total_mailbox_bytes = static_cast<std::uint64_t>(**total_bytes);
    auto total_pending = int_key(t, "max_total_pending_requests", 0, 1LL << 40);
    if (!total_pending.ok()) return std::move(total_pending).take_error();
    if (*total_pending) rt.max_total_pending_requests = static_cast<std::uint64_t>(**total_pending);
    auto total_memory = int_key(t, "max_total_memory_bytes", 0, 1LL << 50);
    if (!total_memory.ok()) return std::move(total_memory).take_error();
    if (*total_memory) rt.max_total_memory_bytes = static_cast<std::uint64_t>(**total_memory);
    WACTOR_TRY(parse_supervision(t, rt.supervision));
    auto health = int_key(t, "health_interval_ms", 0, 24LL * 3600 * 1000);
    if (!health.ok()) return std::move(health).take_error();
    rt.health_interval_ms = *health;
    auto audit = string_key(t, "audit_log", false, "[runtime]");
    if (!audit.ok()) return std::move(audit).take_error();
    if (*audit) rt.audit_log = resolve(**audit);
    WACTOR_TRY(parse_limits(t, rt.limits));
    auto workers = int_key(t, "workers", 1, 1024);
    if (!workers.ok()) return std::move(workers).take_error();
    if (*workers) rt.workers = static_cast<unsigned>(**workers);
    if (const toml::node* helping = t.get("helping")) {
      if (!helping->is_boolean()) return error_at(helping->source(), "'helping' must be true or false");
      rt.helping = helping->as_boolean()->get();
    }
    auto spin = int_key(t, "worker_spin_us", 0, 1'000'000);
    if (!spin.ok()) return std::move(spin).take_error();
    rt.worker_spin_us = *spin;
    auto timeout = int_key(t, "default_timeout_ms", 1, 24LL * 3600 * 1000);
    if (!timeout.ok()) return std::move(timeout).take_error();
    rt.default_timeout_ms = *timeout;
    auto cap = int_key(t, "mailbox_capacity", 1, 1LL << 30);
    if (!cap.ok()) return std::move(cap).take_error();
    if (*cap) rt.mailbox_capacity = static_cast<std::size_t>(**cap);
    auto maxp = int_key(t, "max_payload_bytes", 1, 1LL << 30);
    if (!maxp.ok()) return std::move(maxp).take_error();
    if (*maxp) rt.max_payload_bytes = static_cast<std::size_t>(**maxp);
    auto engine = engine_key(t, "[runtime]");
    if (!engine.ok()) return std::move(engine).take_error();
    rt.engine = *engine;
    return {};
  }

  std::string resolve(const std::string& file) const {
    fs::path p(file);
    if (p.is_relative()) p = fs::path(path_).parent_path() / p;
    return p.lexically_normal().string();
  }

  // An array of capability patterns.
  Status patterns(const toml::table& t, std::string_view key, std::vector<std::string>& out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return {};
    if (!n->is_array()) return error_at(n->source(), "'" + std::string(key) + "' must be an array of patterns");
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) return error_at(e.source(), "'" + std::string(key) + "' entries must be strings");
      const std::string& v = e.as_string()->get();
      if (!messaging::valid_pattern(v)) {
        return error_at(e.source(), "'" + std::string(key) + "': invalid pattern '" + v +
                                        "' (dot-separated segments; '*' is one whole segment, '#' the rest)");
      }
      out.push_back(v);
    }
    return {};
  }

  Status parse_supervision(const toml::table& t, ManifestSupervision& s) {
    constexpr std::int64_t kDay = 24LL * 3600 * 1000;
    auto max = int_key(t, "max_restarts", 0, 1'000'000);
    if (!max.ok()) return std::move(max).take_error();
    if (*max) s.max_restarts = static_cast<std::uint32_t>(**max);
    auto window = int_key(t, "restart_window_ms", 1, kDay);
    if (!window.ok()) return std::move(window).take_error();
    s.restart_window_ms = *window;
    auto backoff = int_key(t, "backoff_ms", 0, kDay);
    if (!backoff.ok()) return std::move(backoff).take_error();
    s.backoff_ms = *backoff;
    auto backoff_max = int_key(t, "backoff_max_ms", 0, kDay);
    if (!backoff_max.ok()) return std::move(backoff_max).take_error();
    s.backoff_max_ms = *backoff_max;
    if (s.backoff_ms && s.backoff_max_ms && *s.backoff_max_ms < *s.backoff_ms) {
      return error_at(t.get("backoff_max_ms")->source(), "'backoff_max_ms' must be >= 'backoff_ms'");
    }
    return {};
  }

  // An optional engine name: "aot" or "interp".
  Result<std::optional<std::string>> engine_key(const toml::table& t, std::string_view section) const {
    auto engine = string_key(t, "engine", false, section);
    if (!engine.ok()) return std::move(engine).take_error();
    if (*engine && **engine != "aot" && **engine != "interp") {
      return error_at(t.get("engine")->source(), "unknown engine '" + **engine + "' (aot or interp)");
    }
    return *engine;
  }

  Result<ManifestGroup> parse_group(const toml::table& t, const std::set<std::string>& ids,
                                    std::map<std::string, std::string>& group_of) {
    WACTOR_TRY(only_keys(t, {"name", "strategy", "members", "max_restarts", "restart_window_ms", "backoff_ms",
                             "backoff_max_ms"},
                         "[[group]]"));
    ManifestGroup g;
    g.line = static_cast<int>(t.source().begin.line);
    auto name = string_key(t, "name", true, "[[group]]");
    if (!name.ok()) return std::move(name).take_error();
    g.name = **name;
    if (!valid_component_id(g.name)) {
      return error_at(t.get("name")->source(),
                      "invalid group name '" + g.name + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
    }
    if (ids.count(g.name)) {
      return error_at(t.get("name")->source(), "group name '" + g.name +
                                                   "' is a component id (a component in no group is supervised "
                                                   "as a group of its own name): give the group another name");
    }
    auto strategy = string_key(t, "strategy", false, "[[group]]");
    if (!strategy.ok()) return std::move(strategy).take_error();
    if (*strategy) {
      bool known = false;
      for (auto s : {RestartStrategy::kOneForOne, RestartStrategy::kOneForAll, RestartStrategy::kRestForOne}) {
        if (**strategy == restart_strategy_name(s)) {
          g.strategy = s;
          known = true;
        }
      }
      if (!known) {
        return error_at(t.get("strategy")->source(), "unknown strategy '" + **strategy +
                                                         "' (one-for-one, one-for-all or rest-for-one)");
      }
    }
    WACTOR_TRY(parse_supervision(t, g.supervision));
    const toml::node* members = t.get("members");
    if (members == nullptr) return error_at(t.source(), "[[group]] needs 'members'");
    if (!members->is_array() || members->as_array()->empty()) {
      return error_at(members->source(), "'members' must be a non-empty array of component ids");
    }
    for (const toml::node& e : *members->as_array()) {
      if (!e.is_string()) return error_at(e.source(), "'members' entries must be strings");
      const std::string& id = e.as_string()->get();
      if (!ids.count(id)) return error_at(e.source(), "group '" + g.name + "': no component '" + id + "'");
      auto [it, fresh] = group_of.emplace(id, g.name);
      if (!fresh) {
        return error_at(e.source(), "group '" + g.name + "': component '" + id + "' is already in group '" +
                                        it->second + "'");
      }
      g.members.push_back(id);
    }
    return g;
  }

  Status parse_limits(const toml::table& t, ManifestLimits& l) {
    auto fuel = int_key(t, "fuel", 0, INT64_MAX);
    if (!fuel.ok()) return std::move(fuel).take_error();
    if (*fuel) l.fuel = static_cast<std::uint64_t>(**fuel);
    auto deadline = int_key(t, "deadline_ms", 0, 24LL * 3600 * 1000);
    if (!deadline.ok()) return std::move(deadline).take_error();
    l.deadline_ms = *deadline;
    auto memory = int_key(t, "max_memory_bytes", 65536, 4LL << 30);
    if (!memory.ok()) return std::move(memory).take_error();
    if (*memory) l.max_memory_bytes = static_cast<std::uint64_t>(**memory);
    auto shutdown = int_key(t, "shutdown_deadline_ms", 0, 24LL * 3600 * 1000);
    if (!shutdown.ok()) return std::move(shutdown).take_error();
    l.shutdown_deadline_ms = *shutdown;
    return {};
  }

  // The settings a [[component]] and a [[module]] share.
  Status parse_settings(const toml::table& t, ManifestComponent& c, std::string_view section) {
    for (const auto& [k, v] : t) c.keys.emplace_back(k.str());
    WACTOR_TRY(parse_budget(t, c.budget));
    auto engine = engine_key(t, section);
    if (!engine.ok()) return std::move(engine).take_error();
    c.engine = *engine;
    auto health = int_key(t, "health_interval_ms", 0, 24LL * 3600 * 1000);
    if (!health.ok()) return std::move(health).take_error();
    c.health_interval_ms = *health;
    WACTOR_TRY(parse_limits(t, c.limits));
    WACTOR_TRY(patterns(t, "send", c.send));
    WACTOR_TRY(patterns(t, "request", c.request));
    WACTOR_TRY(patterns(t, "publish", c.publish));
    WACTOR_TRY(patterns(t, "subscribe", c.subscribe));
    WACTOR_TRY(patterns(t, "spawn", c.spawn));
    c.line = static_cast<int>(t.source().begin.line);
    auto config = string_key(t, "config", false, section);
    if (!config.ok()) return std::move(config).take_error();
    if (*config) c.config = **config;
    auto cap = int_key(t, "mailbox_capacity", 1, 1LL << 30);
    if (!cap.ok()) return std::move(cap).take_error();
    if (*cap) c.mailbox_capacity = static_cast<std::size_t>(**cap);
    return {};
  }

  Result<std::string> wasm_key(const toml::table& t, std::string_view section) {
    auto wasm = string_key(t, "wasm", true, section);
    if (!wasm.ok()) return std::move(wasm).take_error();
    if ((*wasm)->empty()) return error_at(t.get("wasm")->source(), "'wasm' must not be empty");
    return resolve(**wasm);
  }

  static std::vector<std::string_view> settings_keys() {
    return {"wasm", "config", "mailbox_capacity", "fuel", "deadline_ms", "max_memory_bytes", "shutdown_deadline_ms",
            "health_interval_ms", "engine", "send", "request", "publish", "subscribe", "spawn",
            "max_pending_requests", "max_mailbox_bytes", "max_subscriptions", "max_log_bytes_per_call",
            "max_log_line_bytes", "max_events_per_call", "max_timers", "max_monitors", "max_children",
            "storage_quota_bytes"};
  }

  Result<ManifestComponent> parse_component(const toml::table& t) {
    auto keys = settings_keys();
    keys.push_back("id");
    keys.push_back("module");
    WACTOR_TRY(only_keys(t, std::initializer_list<std::string_view>(), "[[component]]", keys));
    ManifestComponent c;
    WACTOR_TRY(parse_settings(t, c, "[[component]]"));
    auto id = string_key(t, "id", true, "[[component]]");
    if (!id.ok()) return std::move(id).take_error();
    c.id = **id;
    if (!valid_component_id(c.id)) {
      return error_at(t.get("id")->source(), "invalid component id '" + c.id +
                                                 "': use 1-128 characters from A-Z a-z 0-9 _ - .");
    }
    auto module = string_key(t, "module", false, "[[component]]");
    if (!module.ok()) return std::move(module).take_error();
    c.module = *module;
    if (c.module && t.get("wasm")) {
      return error_at(t.get("wasm")->source(), "component '" + c.id + "': give 'wasm' or 'module', not both");
    }
    if (!c.module) {
      if (!t.get("wasm")) return error_at(t.source(), "[[component]] needs 'wasm' (or 'module')");
      auto wasm = wasm_key(t, "[[component]]");
      if (!wasm.ok()) return std::move(wasm).take_error();
      c.wasm = *wasm;
    }
    return c;
  }

  Result<ManifestModule> parse_module(const toml::table& t) {
    auto keys = settings_keys();
    keys.push_back("name");
    keys.push_back("activate");
    keys.push_back("passivate_after_ms");
    WACTOR_TRY(only_keys(t, std::initializer_list<std::string_view>(), "[[module]]", keys));
    ManifestModule m;
    m.line = static_cast<int>(t.source().begin.line);
    WACTOR_TRY(parse_settings(t, m.settings, "[[module]]"));
    auto name = string_key(t, "name", true, "[[module]]");
    if (!name.ok()) return std::move(name).take_error();
    m.name = **name;
    if (!valid_component_id(m.name)) {
      return error_at(t.get("name")->source(),
                      "invalid module name '" + m.name + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
    }
    auto wasm = wasm_key(t, "[[module]]");
    if (!wasm.ok()) return std::move(wasm).take_error();
    m.settings.wasm = *wasm;
    auto activate = string_key(t, "activate", false, "[[module]]");
    if (!activate.ok()) return std::move(activate).take_error();
    if (*activate) {
      if (!messaging::valid_pattern(**activate)) {
        return error_at(t.get("activate")->source(), "'activate': invalid pattern '" + **activate + "'");
      }
      m.activate = **activate;
    }
    auto passivate = int_key(t, "passivate_after_ms", 0, 24LL * 3600 * 1000);  // 0: never
    if (!passivate.ok()) return std::move(passivate).take_error();
    m.passivate_after_ms = *passivate;
    return m;
  }

  std::string path_;
};

}  // namespace

void ManifestBudget::apply(ComponentBudget& b) const {
  if (max_pending_requests) b.max_pending_requests = static_cast<std::uint32_t>(*max_pending_requests);
  if (max_mailbox_bytes) b.max_mailbox_bytes = *max_mailbox_bytes;
  if (max_subscriptions) b.max_subscriptions = static_cast<std::uint32_t>(*max_subscriptions);
  if (max_log_bytes_per_call) b.max_log_bytes_per_call = static_cast<std::uint32_t>(*max_log_bytes_per_call);
  if (max_log_line_bytes) b.max_log_line_bytes = static_cast<std::uint32_t>(*max_log_line_bytes);
  if (max_events_per_call) b.max_events_per_call = static_cast<std::uint32_t>(*max_events_per_call);
  if (max_timers) b.max_timers = static_cast<std::uint32_t>(*max_timers);
  if (max_monitors) b.max_monitors = static_cast<std::uint32_t>(*max_monitors);
  if (max_children) b.max_children = static_cast<std::uint32_t>(*max_children);
  if (storage_quota_bytes) b.storage_quota_bytes = *storage_quota_bytes;
}

bool ManifestComponent::has(std::string_view key) const {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

void ManifestSupervision::apply(SupervisionPolicy& policy) const {
  if (max_restarts) policy.max_restarts = *max_restarts;
  if (restart_window_ms) policy.within = std::chrono::milliseconds(*restart_window_ms);
  if (backoff_ms) {
    policy.backoff = std::chrono::milliseconds(*backoff_ms);
    if (policy.backoff_max < policy.backoff) policy.backoff_max = policy.backoff;
  }
  if (backoff_max_ms) policy.backoff_max = std::chrono::milliseconds(*backoff_max_ms);
}

Result<Manifest> parse_manifest(std::string_view text, std::string_view path) { return Parser(path).parse(text); }

Result<Manifest> load_manifest(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return make_error(ErrorCode::kIo, path + ": is a directory, not a manifest");
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, path + ": cannot open manifest: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_manifest(ss.str(), path);
}

}  // namespace wactor
