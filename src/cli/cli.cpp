#include "wactor/cli.h"

#include <map>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <iostream>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/ctl.h"
#include "cli/files.h"
#include "http/address.h"
#include "http/frontend.h"
#include "wactor/engine.h"
#include "wactor/manifest.h"
#include "wactor/runtime.h"

namespace wactor::cli {
namespace {

constexpr std::string_view kMainHelp =
    "usage: wactor <command> [options]\n"
    "\n"
    "Runs WebAssembly components as actors that message each other.\n"
    "\n"
    "commands:\n"
    "  run <app.toml>     run the components a manifest lists\n"
    "  inspect <x.wasm>   show a module's imports and exports and whether it satisfies ABI v1\n"
    "  compile <x.wasm>...  compile modules ahead of time into the aot engine's cache\n"
    "  new <lang> <name>  write a ready-to-build component project (c, cpp, rust, as)\n"
    "  ctl <command> ...  control a running 'wactor run --listen': list, spawn, stop, upgrade, send, request, metrics\n"
    "\n"
    "Run 'wactor <command> --help' for a command's options. Docs: docs/CLI.md, docs/MANIFEST.md, docs/ABI.md\n";

constexpr std::string_view kRunHelp =
    "usage: wactor run <app.toml> [--until-idle] [--max-seconds S] [--workers N] [--engine E] [--metrics-json FILE]\n"
    "                  [--audit-log FILE] [--listen ADDR:PORT] [--token-file FILE]\n"
    "                  [--nats URL] [--lattice NAME] [--host-id ID]\n"
    "\n"
    "Loads every [[component]] of the manifest, runs each init in order, delivers the\n"
    "[[message]] entries, then handles messages until stopped (SIGINT/SIGTERM).\n"
    "Each guest log call prints one line on stdout: <component> <LEVEL> <text>.\n"
    "\n"
    "options:\n"
    "  --until-idle      exit 0 once no message is queued or being handled and no request is pending\n"
    "  --max-seconds S   with --until-idle: give up after S seconds (exit 3)\n"
    "  --workers N       worker threads (overrides [runtime] workers)\n"
    "  --engine E        aot or interp for every component (overrides the manifest)\n"
    "  --metrics-json F  when the run ends, write every component's counters to F as JSON\n"
    "  --audit-log F     append denials, traps, fuel/deadline stops and restarts to F as JSON lines\n"
    "  --listen A:P      serve HTTP on A:P (routes, /v1 control API, /metrics, dashboard; docs/HTTP.md);\n"
    "                    port 0 picks a free one; the address is printed as 'wactor: listening on http://A:P'\n"
    "  --token-file F    the bearer token /v1, /metrics and the dashboard require (needed off loopback)\n"
    "  --nats URL        join a lattice through this NATS server (overrides [cluster] url; docs/CLUSTER.md)\n"
    "  --lattice NAME    the lattice to join (overrides [cluster] lattice; default 'default')\n"
    "  --host-id ID      this host's id in the lattice (overrides [cluster] host_id)\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit status: 0 ok, 1 bad input or failed start, 2 bad command line, 3 not idle in time\n";

constexpr std::string_view kInspectHelp =
    "usage: wactor inspect <x.wasm>\n"
    "\n"
    "Prints the module's imports and exports with their types, and whether it satisfies\n"
    "wactor guest ABI v1 (and if not, every reason). Exit 0 if it does, 1 if not.\n";

constexpr std::string_view kCompileHelp =
    "usage: wactor compile <x.wasm>...\n"
    "\n"
    "Compiles each module with the aot engine (metered exactly as 'wactor run' meters it) and\n"
    "stores the native object in the cache ($WACTOR_CACHE_DIR, else $XDG_CACHE_HOME/wactor,\n"
    "else ~/.cache/wactor), so that 'wactor run' starts without compiling. Prints one line per\n"
    "module: <x.wasm>: <object path> (compiled|cached). Exit 0 if every module compiled.\n";

std::atomic<int> g_signal{0};  // set by the signal handler; only read by run()
std::atomic<Runtime*> g_runtime{nullptr};  // the running runtime, for a second signal
// A first SIGINT/SIGTERM asks for a graceful drain; a second one interrupts every running
// guest at once (Runtime::interrupt is one atomic store: async-signal-safe).
extern "C" void on_signal(int sig) {
  if (g_signal.exchange(sig) != 0) {
    if (Runtime* rt = g_runtime.load()) rt->interrupt();
  }
}

bool is_help(std::string_view a) { return a == "-h" || a == "--help"; }

int usage_error(std::string_view msg, std::string_view help) {
  std::cerr << "wactor: " << msg << "\n\n" << help;
  return kExitUsage;
}

int parse_run(const std::vector<std::string_view>& args) {
  RunOptions o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto a = args[i];
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      (void)name;
      return std::string(args[++i]);
    };
    if (is_help(a)) {
      std::cout << kRunHelp;
      return kExitOk;
    } else if (a == "--until-idle") {
      o.until_idle = true;
    } else if (a == "--max-seconds") {
      auto v = value(a);
      if (!v) return usage_error("--max-seconds needs a value", kRunHelp);
      try {
        std::size_t used = 0;
        double s = std::stod(*v, &used);
        if (used != v->size() || !(s > 0)) throw std::invalid_argument("");
        o.max_seconds = s;
      } catch (const std::exception&) {
        return usage_error("--max-seconds: '" + *v + "' is not a positive number", kRunHelp);
      }
    } else if (a == "--metrics-json") {
      auto v = value(a);
      if (!v || v->empty()) return usage_error("--metrics-json needs a file name", kRunHelp);
      o.metrics_json = *v;
    } else if (a == "--listen") {
      auto v = value(a);
      if (!v) return usage_error("--listen needs ADDR:PORT", kRunHelp);
      if (auto parsed = http::parse_listen(*v); !parsed.ok()) return usage_error(parsed.error().message, kRunHelp);
      o.listen = *v;
    } else if (a == "--nats" || a == "--lattice" || a == "--host-id") {
      auto v = value(a);
      if (!v || v->empty()) return usage_error(std::string(a) + " needs a value", kRunHelp);
      (a == "--nats" ? o.nats : a == "--lattice" ? o.lattice : o.host_id) = *v;
    } else if (a == "--token-file") {
      auto v = value(a);
      if (!v) return usage_error("--token-file needs a file", kRunHelp);
      o.token_file = *v;
    } else if (a == "--audit-log") {
      auto v = value(a);
      if (!v || v->empty()) return usage_error("--audit-log needs a file name", kRunHelp);
      o.audit_log = *v;
    } else if (a == "--engine") {
      auto v = value(a);
      if (!v || (*v != "aot" && *v != "interp")) return usage_error("--engine needs 'aot' or 'interp'", kRunHelp);
      o.engine = *v;
    } else if (a == "--workers") {
      auto v = value(a);
      if (!v) return usage_error("--workers needs a value", kRunHelp);
      try {
        std::size_t used = 0;
        long n = std::stol(*v, &used);
        if (used != v->size() || n < 1 || n > 1024) throw std::invalid_argument("");
        o.workers = static_cast<unsigned>(n);
      } catch (const std::exception&) {
        return usage_error("--workers: '" + *v + "' is not a number from 1 to 1024", kRunHelp);
      }
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + std::string(a) + "'", kRunHelp);
    } else if (o.manifest.empty()) {
      o.manifest = std::string(a);
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'", kRunHelp);
    }
  }
  if (o.manifest.empty()) return usage_error("run needs a manifest (app.toml)", kRunHelp);
  if (o.max_seconds && !o.until_idle) return usage_error("--max-seconds only applies with --until-idle", kRunHelp);
  return run(o, std::cerr);
}

// Events go to stderr as usual and, as JSON lines, to the audit log.
EventSink audit_sink(std::shared_ptr<std::ofstream> file) {
  auto mu = std::make_shared<std::mutex>();
  return [file, mu](const RuntimeEvent& e) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    const nlohmann::ordered_json j{
        {"time_ms", ms}, {"component", std::string(e.component)}, {"kind", std::string(e.kind)}, {"reason", std::string(e.detail)}};
    const std::string line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    std::string human = "wactor: " + escape_event_text(e.component, 256) + ": " + std::string(e.kind) + ": " +
                        escape_event_text(e.detail) + "\n";
    std::lock_guard lock(*mu);
    *file << line;
    file->flush();
    std::fwrite(human.data(), 1, human.size(), stderr);
  };
}

int parse_inspect(const std::vector<std::string_view>& args) {
  InspectOptions o;
  for (auto a : args) {
    if (is_help(a)) {
      std::cout << kInspectHelp;
      return kExitOk;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + std::string(a) + "'", kInspectHelp);
    } else if (o.wasm.empty()) {
      o.wasm = std::string(a);
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'", kInspectHelp);
    }
  }
  if (o.wasm.empty()) return usage_error("inspect needs a .wasm file", kInspectHelp);
  return inspect(o, std::cout, std::cerr);
}

constexpr std::string_view kNewHelp =
    "usage: wactor new <lang> <name> [--dir DIR]\n"
    "\n"
    "Writes a ready-to-build component project in DIR (default ./<name>): its source, build\n"
    "file, manifest (app.toml), a README with the two commands that build and run it, and a\n"
    "copy of the SDK it needs (sdk/). <name> is the component's id. Exit 1 if DIR exists.\n";

int parse_new(const std::vector<std::string_view>& args) {
  NewOptions o;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto a = args[i];
    if (is_help(a)) {
      std::cout << kNewHelp << "languages: " << new_languages() << "\n";
      return kExitOk;
    }
    if (a == "--dir") {
      if (i + 1 >= args.size()) return usage_error("--dir needs a directory", kNewHelp);
      o.dir = std::string(args[++i]);
    } else if (a.starts_with("-")) {
      return usage_error("unknown option '" + std::string(a) + "'", kNewHelp);
    } else {
      positional.emplace_back(a);
    }
  }
  if (positional.size() != 2) return usage_error("new needs a language and a name", kNewHelp);
  o.language = positional[0];
  o.name = positional[1];
  return new_project(o, std::cout, std::cerr);
}

int parse_compile(const std::vector<std::string_view>& args) {
  CompileOptions o;
  for (const auto a : args) {
    if (is_help(a)) {
      std::cout << kCompileHelp;
      return kExitOk;
    }
    if (a.starts_with("-")) return usage_error("unknown option '" + std::string(a) + "'", kCompileHelp);
    o.wasm.emplace_back(a);
  }
  if (o.wasm.empty()) return usage_error("compile needs at least one .wasm file", kCompileHelp);
  return compile(o, std::cout, std::cerr);
}

// Starts the HTTP frontend of `rt` on `listen` with the manifest's [http] and [[route]]s.
Result<std::unique_ptr<http::Frontend>> serve_http(Runtime& rt, const Manifest& manifest, const RunOptions& options,
                                                   const std::string& listen, std::ostream& err) {
  auto addr = http::parse_listen(listen);
  if (!addr.ok()) return std::move(addr).take_error();
  http::FrontendOptions fo;
  fo.server.address = addr->first;
  fo.server.port = addr->second;
  if (manifest.http.timeout_ms) fo.server.timeout = std::chrono::seconds((*manifest.http.timeout_ms + 999) / 1000);
  if (manifest.http.max_upload_bytes) fo.max_upload_bytes = *manifest.http.max_upload_bytes;
  if (manifest.http.metrics_max_components) fo.metrics_max_components = *manifest.http.metrics_max_components;
  const std::string token_file = !options.token_file.empty() ? options.token_file : manifest.http.token_file.value_or("");
  if (!token_file.empty()) {
    auto bytes = read_file(token_file, "token file");
    if (!bytes.ok()) return std::move(bytes).take_error();
    std::string token(bytes->begin(), bytes->end());
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (token.size() < 16 || token.find_first_of(" \t\r\n") != std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument, token_file + ": the token must be one line of at least 16 characters");
    }
    fo.token = std::move(token);
  }
  for (const auto& r : manifest.routes) {
    fo.routes.push_back(http::Route{r.path, r.method, r.component, std::chrono::milliseconds(r.timeout_ms)});
  }
  auto f = http::Frontend::start(rt, std::move(fo));
  if (!f.ok()) return std::move(f).take_error();
  const std::string host = addr->first.find(':') != std::string::npos ? "[" + addr->first + "]" : addr->first;
  err << "wactor: listening on http://" << host << ":" << (*f)->port() << "\n" << std::flush;
  return f;
}

}  // namespace

Result<RuntimeOptions> runtime_options(const Manifest& manifest, const RunOptions& options) {
  RuntimeOptions ro;
  const ManifestRuntime& mr = manifest.runtime;
  ro.engine = !options.engine.empty() ? options.engine : mr.engine.value_or("");
  if (mr.workers) ro.workers = *mr.workers;
  if (mr.helping) ro.helping = *mr.helping;
  if (mr.worker_spin_us) ro.worker_spin = std::chrono::microseconds(*mr.worker_spin_us);
  if (options.workers) ro.workers = *options.workers;
  if (mr.default_timeout_ms) ro.default_timeout = std::chrono::milliseconds(*mr.default_timeout_ms);
  if (mr.mailbox_capacity) ro.mailbox_capacity = *mr.mailbox_capacity;
  if (mr.max_payload_bytes) ro.max_payload_bytes = *mr.max_payload_bytes;
  if (mr.health_interval_ms) ro.health_interval = std::chrono::milliseconds(*mr.health_interval_ms);
  mr.supervision.apply(ro.supervision);
  mr.budget.apply(ro.budget);
  if (mr.max_total_mailbox_bytes) ro.host_budget.max_mailbox_bytes = *mr.max_total_mailbox_bytes;
  if (mr.max_total_pending_requests) ro.host_budget.max_pending_requests = *mr.max_total_pending_requests;
  if (mr.max_total_memory_bytes) ro.host_budget.max_memory_bytes = *mr.max_total_memory_bytes;

  if (mr.max_total_timers) ro.host_budget.max_timers = *mr.max_total_timers;
  if (mr.max_components) ro.max_components = *mr.max_components;
  ro.storage.path = manifest.storage.path;  // opened only if a module imports kv-*
  ro.storage.full_sync = manifest.storage.full_sync;
  ro.storage.backend = manifest.storage.backend;
  ro.storage.jetstream_replicas = manifest.storage.replicas;
  const ManifestCluster& mc = manifest.cluster;
  ro.cluster.url = !options.nats.empty() ? options.nats : mc.url.value_or("");
  if (!options.lattice.empty() || mc.lattice) ro.cluster.lattice = !options.lattice.empty() ? options.lattice : *mc.lattice;
  ro.cluster.host_id = !options.host_id.empty() ? options.host_id : mc.host_id.value_or("");
  ro.cluster.creds_file = mc.creds_file.value_or("");
  ro.cluster.tls_ca_file = mc.tls_ca_file.value_or("");
  ro.cluster.tls_cert_file = mc.tls_cert_file.value_or("");
  ro.cluster.tls_key_file = mc.tls_key_file.value_or("");
  if (mc.heartbeat_ms) ro.cluster.heartbeat = std::chrono::milliseconds(*mc.heartbeat_ms);
  if (mc.dead_after_ms) ro.cluster.dead_after = std::chrono::milliseconds(*mc.dead_after_ms);
  ro.cluster.accept_from = mc.accept_from;
  ro.cluster.accept_spawn = mc.accept_spawn;
  ro.cluster.send_asap = mc.send_asap.value_or(false);
  if (ro.cluster.url.empty() && (mc.present || !options.lattice.empty() || !options.host_id.empty())) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[cluster] (or --lattice/--host-id) needs a NATS url: [cluster] url or --nats URL");
  }
  return ro;
}

int run(const RunOptions& options, std::ostream& err) {
  auto manifest = load_manifest(options.manifest);
  if (!manifest.ok()) {
    err << "wactor: " << manifest.error().message << "\n";
    return kExitError;
  }
  auto options_made = runtime_options(*manifest, options);
  if (!options_made.ok()) {
    err << "wactor: " << options_made.error().message << "\n";
    return kExitError;
  }
  RuntimeOptions ro = std::move(options_made).value();
  const ManifestRuntime& mr = manifest->runtime;
  if (ro.engine.empty()) {  // neither the command line nor the manifest chose: aot if it works here
    if (auto aot = engine::make_engine("aot"); !aot.ok()) {
      err << "wactor: " << aot.error().message << "; using the interpreter\n";
      ro.engine = "interp";
    }
  }

  // A component or module's spec from what the manifest wrote (over a module's settings,
  // for a component made from one: its own keys win).
  auto make_spec = [&](const ManifestComponent& c, const ManifestComponent* module) {
    auto pick = [&](std::string_view key) -> const ManifestComponent& {
      return (module == nullptr || c.has(key)) ? c : *module;
    };
    ComponentLimits limits = ro.limits;
    for (const ManifestLimits* l : {&mr.limits, module ? &module->limits : nullptr, &c.limits}) {
      if (l == nullptr) continue;
      if (l->fuel) limits.fuel = *l->fuel;
      if (l->deadline_ms) limits.deadline = std::chrono::milliseconds(*l->deadline_ms);
      if (l->max_memory_bytes) limits.max_memory_bytes = *l->max_memory_bytes;
      if (l->shutdown_deadline_ms) limits.shutdown_deadline = std::chrono::milliseconds(*l->shutdown_deadline_ms);
    }
    std::optional<std::chrono::milliseconds> health;
    if (const auto& h = pick("health_interval_ms").health_interval_ms) health = std::chrono::milliseconds(*h);
    ComponentBudget budget = ro.budget;
    if (module) module->budget.apply(budget);
    c.budget.apply(budget);
    ComponentSpec spec;
    spec.id = c.id;
    spec.config = pick("config").config;
    spec.mailbox_capacity = pick("mailbox_capacity").mailbox_capacity;
    spec.limits = limits;
    spec.capabilities = Capabilities{pick("send").send, pick("request").request, pick("publish").publish,
                                     pick("subscribe").subscribe, pick("spawn").spawn};
    spec.health_interval = health;
    spec.engine = options.engine.empty() ? pick("engine").engine.value_or("") : options.engine;
    spec.budget = budget;
    return spec;
  };
  std::map<std::string, std::vector<std::uint8_t>> module_bytes;
  std::vector<ModuleSpec> modules;
  for (const auto& m : manifest->modules) {
    auto bytes = read_file(m.settings.wasm, "wasm module");
    if (!bytes.ok()) {
      err << "wactor: " << manifest->path << ":" << m.line << ": module '" << m.name << "': " << bytes.error().message
          << "\n";
      return kExitError;
    }
    module_bytes[m.name] = *bytes;
    ModuleSpec ms;
    ms.name = m.name;
    ms.settings = make_spec(m.settings, nullptr);
    ms.settings.wasm = std::move(bytes).value();
    ms.settings.origin = m.settings.wasm;
    ms.activate = m.activate;
    ms.passivate_after = std::chrono::milliseconds(m.passivate_after_ms.value_or(0));
    modules.push_back(std::move(ms));
  }
  std::vector<ComponentSpec> specs;
  for (const auto& c : manifest->components) {
    const ManifestComponent* module = nullptr;
    for (const auto& m : manifest->modules) {
      if (c.module && m.name == *c.module) module = &m.settings;
    }
    ComponentSpec spec = make_spec(c, module);
    if (module) {  // the same bytes: loaded (and compiled) once with the module
      spec.wasm = module_bytes[*c.module];
      spec.origin = module->wasm;
      spec.module = *c.module;
    } else {
      auto bytes = read_file(c.wasm, "wasm module");
      if (!bytes.ok()) {
        err << "wactor: " << manifest->path << ":" << c.line << ": component '" << c.id
            << "': " << bytes.error().message << "\n";
        return kExitError;
      }
      spec.wasm = std::move(bytes).value();
      spec.origin = c.wasm;
    }
    specs.push_back(std::move(spec));
  }
  std::vector<GroupSpec> groups;
  for (const auto& g : manifest->groups) {
    SupervisionPolicy policy = ro.supervision;
    policy.strategy = g.strategy;
    g.supervision.apply(policy);
    groups.push_back(GroupSpec{g.name, policy, g.members});
  }
  const std::string audit_path = !options.audit_log.empty() ? options.audit_log : mr.audit_log.value_or("");
  std::shared_ptr<std::ofstream> audit;
  if (!audit_path.empty()) {
    audit = std::make_shared<std::ofstream>(audit_path, std::ios::app);
    if (!*audit) {
      err << "wactor: " << audit_path << ": cannot open audit log: " << std::strerror(errno) << "\n";
      return kExitError;
    }
    ro.events = audit_sink(audit);
  }
  const std::string lattice = ro.cluster.lattice;
  auto runtime = Runtime::create(std::move(ro), std::move(specs), std::move(groups), std::move(modules));
  if (!runtime.ok()) {
    err << "wactor: " << runtime.error().message << "\n";
    return kExitError;
  }
  Runtime& rt = **runtime;
  g_signal.store(0);
  g_runtime.store(&rt);
  struct Unpublish {
    ~Unpublish() { g_runtime.store(nullptr); }
  } unpublish;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto st = rt.start();
  if (!st.ok()) {
    err << "wactor: " << st.error().message << "\n";
    return kExitError;
  }
  if (const std::string host = rt.host_id(); !host.empty()) {
    err << "wactor: joined lattice '" << lattice << "' as host '" << host << "'\n" << std::flush;
  }
  for (const auto& m : manifest->messages) {
    const std::int32_t rc = rt.post(m.to, m.payload);
    if (rc != 0) {
      err << "wactor: " << manifest->path << ":" << m.line << ": message to '" << m.to
          << "' refused (status " << rc << ")\n";
      return kExitError;
    }
  }
  std::unique_ptr<http::Frontend> frontend;
  const std::string listen = !options.listen.empty() ? options.listen : manifest->http.listen.value_or("");
  if (!listen.empty()) {
    auto served = serve_http(rt, *manifest, options, listen, err);
    if (!served.ok()) {
      err << "wactor: " << served.error().message << "\n";
      rt.stop(std::chrono::milliseconds(0));
      return kExitError;
    }
    frontend = std::move(served).value();
  }
  const auto started = std::chrono::steady_clock::now();
  int status = kExitOk;
  for (;;) {
    if (g_signal.load() != 0) break;
    if (options.until_idle && rt.wait_idle(std::chrono::milliseconds(20))) break;
    if (!options.until_idle) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (options.max_seconds &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() > *options.max_seconds) {
      err << "wactor: not idle after " << *options.max_seconds << " s (" << rt.pending_requests()
          << " requests pending)\n";
      status = kExitNotIdle;
      break;
    }
  }
  if (g_signal.load() != 0) {
    // Stop accepting, end what is pending with status 4, let handlers and callbacks finish.
    if (!rt.drain(std::chrono::seconds(5))) {
      err << "wactor: shutdown grace period of 5 s ran out: interrupting running handlers\n";
    }
  }
  if (frontend) frontend->stop();  // after the drain: requests it ended were answered (503)
  // Interrupts whatever still runs (a spinning handler, --max-seconds): never waits on a guest.
  rt.stop(std::chrono::milliseconds(0));
  if (const auto gave_up = rt.escalated_groups(); !gave_up.empty() && status == kExitOk) {
    std::string names;
    for (const auto& g : gave_up) names += (names.empty() ? "'" : ", '") + g + "'";
    err << "wactor: supervision stopped group " << names << ": restart intensity exceeded\n";
    status = kExitEscalated;
  }
  if (!options.metrics_json.empty()) {
    std::ofstream out(options.metrics_json, std::ios::trunc);
    out << to_json(rt.metrics());
    if (!out.good()) {
      err << "wactor: " << options.metrics_json << ": cannot write metrics: " << std::strerror(errno) << "\n";
      return kExitError;
    }
  }
  return status;
}

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("no command given", kMainHelp);
  const auto cmd = args.front();
  std::vector<std::string_view> rest(args.begin() + 1, args.end());
  if (is_help(cmd) || cmd == "help") {
    std::cout << kMainHelp;
    return kExitOk;
  }
  if (cmd == "run") return parse_run(rest);
  if (cmd == "inspect") return parse_inspect(rest);
  if (cmd == "compile") return parse_compile(rest);
  if (cmd == "new") return parse_new(rest);
  if (cmd == "ctl") return ctl_main(rest, std::cout, std::cerr);
  return usage_error("unknown command '" + std::string(cmd) + "'", kMainHelp);
}

}  // namespace wactor::cli
