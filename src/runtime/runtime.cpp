// Runtime lifecycle: creating components, starting, stopping, idling, the timer.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "abi/abi_v1.h"
#include "instrument/memory_guard.h"
#include "instrument/metering.h"
#include "messaging/topic.h"
#include "runtime/runtime_impl.h"

namespace wactor {
namespace {

constexpr std::size_t kMaxIdLength = 128;

std::string escape_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20 && c != '\t') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else out += ch;
  }
  return out;
}

LogSink default_log_sink() {
  auto mu = std::make_shared<std::mutex>();
  return [mu](std::string_view component, std::int32_t level, std::string_view text) {
    std::string line = std::string(component) + " " + std::string(abi::log_level_name(level)) + " " +
                       escape_line(text) + "\n";
    std::lock_guard lock(*mu);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  };
}

EventSink default_event_sink() {
  auto mu = std::make_shared<std::mutex>();
  return [mu](const RuntimeEvent& e) {
    std::string line = "wactor: " + escape_event_text(e.component, 256) + ": " + std::string(e.kind) + ": " +
                       escape_event_text(e.detail) + "\n";
    std::lock_guard lock(*mu);
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

}  // namespace

std::string escape_event_text(std::string_view text, std::size_t max) {
  std::string out;
  const std::size_t n = std::min(text.size(), max);
  out.reserve(n + 16);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  if (text.size() > max) out += "... (" + std::to_string(text.size() - max) + " more bytes)";
  return out;
}

bool valid_component_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

namespace {
unsigned worker_count(const RuntimeOptions& o) {
  return o.workers ? o.workers : std::max(1u, std::thread::hardware_concurrency());
}
}  // namespace

Runtime::Impl::Impl(RuntimeOptions options, std::unique_ptr<engine::Engine> engine)
    : options_(std::move(options)),
      engine_(std::move(engine)),
      clock_(options_.clock ? options_.clock : &system_clock_),
      stopwatch_(*clock_, options_.clock == nullptr),
      epoch_(clock_->now()),
      work_(&scheduler_, worker_count(options_)),
      // Each worker keeps a chunk of the mailbox bytes at hand (sandbox/allowance.h).
      host_mailbox_bytes_(options_.host_budget.max_mailbox_bytes, &scheduler_, worker_count(options_)),
      host_pending_(options_.host_budget.max_pending_requests),
      host_memory_bytes_(options_.host_budget.max_memory_bytes),
      host_timers_(options_.host_budget.max_timers),
      directory_(options_.max_components),
      scheduler_(worker_count(options_), std::clamp(options_.worker_spin, std::chrono::microseconds(0),
                                                    std::chrono::microseconds(1'000'000))) {
  if (!options_.log) options_.log = default_log_sink();
  if (!options_.events) options_.events = default_event_sink();
}

Runtime::Impl::~Impl() { stop(std::chrono::milliseconds(1'000)); }

Status Runtime::Impl::add_component(ComponentSpec spec, bool run_init) {
  const std::string where = "component '" + spec.id + "'";
  if (!valid_component_id(spec.id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid component id '" + spec.id + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
  }
  if (directory_.find(spec.id)) return make_error(ErrorCode::kInvalidArgument, "duplicate component id '" + spec.id + "'");
  const std::string origin = spec.origin.empty() ? where : spec.origin;
  const ComponentLimits limits = spec.limits ? *spec.limits : options_.limits;
  auto engine = engine_for(spec.engine);
  if (!engine.ok()) return make_error(engine.error().code, where + ": " + engine.error().message);
  const std::string engine_name((*engine)->name());
  auto module = load_module(spec.wasm, origin, limits, engine_name, where);
  if (!module.ok()) return std::move(module).take_error();
  auto setup = setup_from(spec, std::move(module).value(), engine_name);
  setup.id = spec.id;
  setup.config = std::move(spec.config);
  WACTOR_TRY(make_component(std::move(setup), nullptr, run_init));
  return {};
}

Status Runtime::Impl::add_module(ModuleSpec spec) {
  const std::string where = "module '" + spec.name + "'";
  if (!valid_component_id(spec.name)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid module name '" + spec.name + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
  }
  if (find_module(spec.name)) return make_error(ErrorCode::kInvalidArgument, "duplicate module name '" + spec.name + "'");
  if (!spec.activate.empty() && !messaging::valid_pattern(spec.activate)) {
    return make_error(ErrorCode::kInvalidArgument, where + ": invalid activate pattern '" + spec.activate + "'");
  }
  if (spec.passivate_after.count() < 0) {
    return make_error(ErrorCode::kInvalidArgument, where + ": passivate_after must be >= 0 ms");
  }
  const ComponentSpec& c = spec.settings;
  const std::string origin = c.origin.empty() ? where : c.origin;
  auto engine = engine_for(c.engine);
  if (!engine.ok()) return make_error(engine.error().code, where + ": " + engine.error().message);
  const std::string engine_name((*engine)->name());
  auto module = load_module(c.wasm, origin, c.limits ? *c.limits : options_.limits, engine_name, where);
  if (!module.ok()) return std::move(module).take_error();
  auto t = std::make_unique<ModuleTemplate>();
  t->spec = std::move(spec);
  t->spec.settings.wasm.clear();  // loaded: the bytes are not needed any more
  t->spec.settings.wasm.shrink_to_fit();
  t->module = std::move(module).value();
  t->engine = engine_name;
  templates_.push_back(std::move(t));
  return {};
}

Result<engine::Engine*> Runtime::Impl::engine_for(const std::string& name) {
  if (name.empty() || name == engine_->name()) return engine_.get();
  std::lock_guard lock(engines_mu_);
  auto& slot = other_engines_[name];
  if (!slot) {
    auto made = engine::make_engine(name);
    if (!made.ok()) {
      other_engines_.erase(name);
      return std::move(made).take_error();
    }
    slot = std::move(made).value();
  }
  return slot.get();
}

Status Runtime::Impl::start() {
  if (started_.load()) return make_error(ErrorCode::kFailedPrecondition, "runtime already started");
  started_.store(true);
  WACTOR_TRY(start_cluster());  // first: an unreachable NATS server stops the start before any init runs
  for (auto& c : manifest_components_) {
    c->hold_outputs();  // init is a handler: what it sends leaves once its writes are durable
    auto st = c->start_instance();
    c->settle();
    if (!st.ok()) return make_error(st.error().code, "component '" + c->id() + "': " + st.error().message);
  }
  const auto now = clock_->now();
  for (auto& c : manifest_components_) schedule_health(*c, now);
  manifest_components_.clear();
  scheduler_.start();
  if (options_.clock == nullptr) timer_ = std::jthread([this] { timer_loop(); });
  ready_.store(true, std::memory_order_release);
  return {};
}

void Runtime::Impl::stop(std::chrono::milliseconds grace) {
  if (stopped_.exchange(true)) return;
  if (started_.load()) {
    // Every pending request ends with status 4 and its callback is handled (up to `grace`);
    // nothing new is accepted meanwhile.
    draining_.store(true, std::memory_order_seq_cst);
    for (const auto& r : table_.take_all()) complete(r, abi::kCallbackTargetDown, {});
    (void)wait_idle(grace);
  }
  interrupt();  // a handler still running must not hold the workers
  scheduler_.stop();
  {
    std::lock_guard lock(timer_mu_);
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  stop_cluster();  // after the drain: its replies to other hosts have gone out
  // shutdown calls run normally again (each under its deadline) unless interrupt() is called anew.
  interrupt_all_.store(false, std::memory_order_release);
  directory_.for_each([](const ComponentPtr& c) { c->abandon_upgrade(); });
  if (!started_.load()) return;
  directory_.for_each([](const ComponentPtr& c) { c->stop_instance(); });
}

std::int32_t Runtime::Impl::post(std::string_view target, std::string payload) {
  if (payload.size() > options_.max_payload_bytes) return abi::kTooLarge;
  if (draining_.load(std::memory_order_acquire)) return abi::kNotFound;
  ComponentPtr to = find(target);
  if (unreachable(to)) return abi::kNotFound;
  actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, "$host", std::move(payload), {}};
  const auto pushed = deliver(to, target, std::move(e));
  if (pushed == actor::Mailbox::Push::kFull) return abi::kQueueFull;
  if (pushed == actor::Mailbox::Push::kClosed) return abi::kNotFound;
  count_host_edge(false, to->handle());
  return abi::kOk;
}

bool Runtime::Impl::drain(std::chrono::milliseconds grace) {
  draining_.store(true, std::memory_order_seq_cst);  // request() re-checks it after registering
  for (const auto& r : table_.take_all()) complete(r, abi::kCallbackTargetDown, {});
  return wait_idle(grace);
}

bool Runtime::Impl::wait_idle(std::chrono::milliseconds timeout) {
  return work_.wait_idle(timeout);
}

void Runtime::Impl::finish(std::size_t n) {
  if (n == 0) return;
  work_.done(n);
}

Result<ComponentStats> Runtime::Impl::stats(std::string_view id) const {
  ComponentPtr c = find_live(id);
  if (c == nullptr) {
    std::lock_guard lock(gone_mu_);
    if (auto it = recently_gone_.find(std::string(id)); it != recently_gone_.end()) return it->second;
    return make_error(ErrorCode::kNotFound, "no component '" + std::string(id) + "'");
  }
  ComponentStats s = c->counters().snapshot();
  s.mailbox_depth = c->mailbox().size();
  s.mailbox_high_water = c->mailbox().high_water();
  return s;
}

RuntimeMetrics Runtime::Impl::metrics() const {
  RuntimeMetrics m;
  directory_.for_each([&](const ComponentPtr& c) {
    ComponentStats s = c->counters().snapshot();
    s.mailbox_depth = c->mailbox().size();
    s.mailbox_high_water = c->mailbox().high_water();
    m.total += s;
    m.components.emplace_back(c->id(), s);
  });
  {
    std::lock_guard lock(gone_mu_);
    m.total += gone_total_;
    m.components_gone = components_gone_;
  }
  m.pending_requests = table_.size();
  m.pending_timers = host_timers_.used();
  m.live_components = directory_.size();
  m.host_request_time = host_request_time_.snapshot();
  if (cluster_) m.cluster = cluster_->stats();
  m.scheduler = scheduler_.stats();
  return m;
}

bool Runtime::Impl::stop_for_good(actor::Component& c, actor::DownReason why) {
  if (!c.mark_down(why)) return false;  // new sends and requests get -1 from now on
  c.interrupt();  // a handler running now stops at its next fuel check
  enqueue(c, actor::Envelope{actor::Envelope::Kind::kStop, 0, 0, "$host", {}, {}}, Placement::kResume);
  return true;
}

Status Runtime::Impl::stop_component(std::string_view id) {
  ComponentPtr c = find_live(id);
  if (c == nullptr) return make_error(ErrorCode::kNotFound, "no component '" + std::string(id) + "'");
  (void)stop_for_good(*c, actor::DownReason::kStopped);
  return {};
}

std::vector<std::string> Runtime::Impl::component_ids() const {
  std::vector<std::string> ids;
  directory_.for_each([&](const ComponentPtr& c) { ids.push_back(c->id()); });
  return ids;
}

// ---- Runtime (public facade) ----

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::create(RuntimeOptions options, std::vector<ComponentSpec> components,
                                                 std::vector<GroupSpec> groups, std::vector<ModuleSpec> modules) {
  if (options.engine.empty()) options.engine = std::string(engine::engine_names().front());
  auto engine = engine::make_engine(options.engine);
  if (!engine.ok()) return std::move(engine).take_error();
  auto impl = std::make_unique<Impl>(std::move(options), std::move(engine).value());
  for (auto& m : modules) WACTOR_TRY(impl->add_module(std::move(m)));
  for (auto& spec : components) WACTOR_TRY(impl->add_component(std::move(spec)));
  WACTOR_TRY(impl->set_groups(std::move(groups)));
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

Status Runtime::start() { return impl_->start(); }
std::int32_t Runtime::post(std::string_view target, std::string payload) {
  return impl_->post(target, std::move(payload));
}
bool Runtime::wait_idle(std::chrono::milliseconds timeout) { return impl_->wait_idle(timeout); }
bool Runtime::drain(std::chrono::milliseconds grace) { return impl_->drain(grace); }
bool Runtime::idle() const { return impl_->idle(); }
void Runtime::expire_timers() { impl_->expire_timers(); }
void Runtime::stop(std::chrono::milliseconds grace) { impl_->stop(grace); }
void Runtime::interrupt() { impl_->interrupt(); }
Result<ComponentStats> Runtime::stats(std::string_view component) const { return impl_->stats(component); }
RuntimeMetrics Runtime::metrics() const { return impl_->metrics(); }
Status Runtime::stop_component(std::string_view id) { return impl_->stop_component(id); }
Status Runtime::spawn(std::string_view module, std::string_view id, std::optional<std::string> config) {
  return impl_->spawn(module, id, std::move(config));
}
Status Runtime::spawn(ComponentSpec spec) { return impl_->spawn(std::move(spec)); }
Status Runtime::upgrade(std::string_view id, std::vector<std::uint8_t> wasm, std::string origin) {
  return impl_->upgrade(id, std::move(wasm), std::move(origin));
}
std::size_t Runtime::pending_requests() const { return impl_->pending_requests(); }
std::vector<std::string> Runtime::component_ids() const { return impl_->component_ids(); }
std::vector<std::string> Runtime::escalated_groups() const { return impl_->escalated_groups(); }
std::int64_t Runtime::request(HostRequest request, HostReplyFn done) {
  return impl_->host_request(std::move(request), std::move(done));
}
std::vector<ComponentInfo> Runtime::components() const { return impl_->components(); }
std::optional<ComponentInfo> Runtime::component(std::string_view id) const { return impl_->component(id); }
std::vector<Edge> Runtime::edges() const { return impl_->edges(); }
std::vector<std::string> Runtime::module_names() const { return impl_->module_names(); }
bool Runtime::ready() const { return impl_->ready(); }
bool Runtime::has_component(std::string_view id) const { return impl_->has_component(id); }
bool Runtime::wait_remote(std::string_view id, bool present, std::chrono::milliseconds timeout) {
  return impl_->wait_remote(id, present, timeout);
}
std::string Runtime::host_id() const { return impl_->host_id(); }
Status Runtime::spawn_on(std::string_view host, std::string_view module, std::string_view id,
                         std::optional<std::string> config) {
  return impl_->spawn_on(host, module, id, std::move(config));
}
LatticeComponents Runtime::lattice_components() { return impl_->lattice_components(); }
Result<ComponentInfo> Runtime::lattice_component(std::string_view id) { return impl_->lattice_component(id); }
Status Runtime::stop_lattice_component(std::string_view id) { return impl_->stop_lattice_component(id); }
std::size_t Runtime::max_payload_bytes() const { return impl_->max_payload_bytes(); }

}  // namespace wactor
