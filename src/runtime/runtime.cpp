// Runtime lifecycle: creating components, starting, stopping, idling, the timer.
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

Runtime::Impl::Impl(RuntimeOptions options, std::unique_ptr<engine::Engine> engine)
    : options_(std::move(options)),
      engine_(std::move(engine)),
      clock_(options_.clock ? options_.clock : &system_clock_),
      epoch_(clock_->now()),
      host_mailbox_bytes_(options_.host_budget.max_mailbox_bytes),
      host_pending_(options_.host_budget.max_pending_requests),
      host_memory_bytes_(options_.host_budget.max_memory_bytes),
      scheduler_(options_.workers ? options_.workers : std::max(1u, std::thread::hardware_concurrency())) {
  if (!options_.log) options_.log = default_log_sink();
  if (!options_.events) options_.events = default_event_sink();
}

Runtime::Impl::~Impl() { stop(std::chrono::milliseconds(1'000)); }

Status Runtime::Impl::add_component(ComponentSpec spec) {
  const std::string where = "component '" + spec.id + "'";
  if (!valid_component_id(spec.id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid component id '" + spec.id + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
  }
  if (by_id_.count(spec.id)) return make_error(ErrorCode::kInvalidArgument, "duplicate component id '" + spec.id + "'");
  const std::string origin = spec.origin.empty() ? where : spec.origin;
  const ComponentLimits limits = spec.limits ? *spec.limits : options_.limits;
  for (const auto* grants : {&spec.capabilities.send, &spec.capabilities.request, &spec.capabilities.publish,
                             &spec.capabilities.subscribe}) {
    for (const auto& g : *grants) {
      if (!messaging::valid_pattern(g)) {
        return make_error(ErrorCode::kInvalidArgument, where + ": invalid capability pattern '" + g + "'");
      }
    }
  }
  // Components made from the same bytes with the same memory cap share one loaded module.
  engine::LoadOptions load;
  if (limits.max_memory_bytes) load.max_memory_pages = limits.max_memory_bytes / 65536;
  auto engine = engine_for(spec.engine);
  if (!engine.ok()) return make_error(engine.error().code, where + ": " + engine.error().message);
  std::string key(spec.wasm.begin(), spec.wasm.end());
  key += "|pages=" + (load.max_memory_pages ? std::to_string(*load.max_memory_pages) : std::string("none"));
  key += "|engine=" + std::string((*engine)->name());
  std::shared_ptr<const engine::Module> module;
  if (auto it = modules_.find(key); it != modules_.end()) {
    module = it->second;
  } else {
    auto metered = instrument::add_metering(spec.wasm, origin);
    if (!metered.ok()) return make_error(metered.error().code, where + ": " + metered.error().message);
    // Then every memory.grow asks for the host-wide memory budget (Component::permit_memory).
    auto guarded = instrument::add_memory_guard(*metered, origin);
    if (!guarded.ok()) return make_error(guarded.error().code, where + ": " + guarded.error().message);
    // The ABI check runs before anything is compiled (a non-ABI module never reaches a compiler).
    load.check = [origin](const engine::ModuleInfo& info) { return abi::check_module(info, origin); };
    auto loaded = (*engine)->load(*guarded, origin, load);
    if (!loaded.ok()) return make_error(loaded.error().code, where + ": " + loaded.error().message);
    module = std::move(loaded).value();
    modules_.emplace(std::move(key), module);
  }
  const auto index = static_cast<std::uint32_t>(components_.size());
  const std::size_t capacity = spec.mailbox_capacity ? spec.mailbox_capacity : options_.mailbox_capacity;
  health_intervals_.push_back(spec.health_interval.value_or(options_.health_interval));
  components_.push_back(std::make_unique<actor::Component>(
      index, spec.id, std::move(spec.config), std::move(module), capacity, limits,
      spec.budget ? *spec.budget : options_.budget, std::move(spec.capabilities), *this, &host_mailbox_bytes_,
      &host_memory_bytes_));
  by_id_.emplace(spec.id, index);
  return {};
}

Result<engine::Engine*> Runtime::Impl::engine_for(const std::string& name) {
  if (name.empty() || name == engine_->name()) return engine_.get();
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
  if (started_) return make_error(ErrorCode::kFailedPrecondition, "runtime already started");
  started_ = true;
  for (auto& c : components_) {
    auto st = c->start_instance();
    if (!st.ok()) return make_error(st.error().code, "component '" + c->id() + "': " + st.error().message);
  }
  scheduler_.start();
  schedule_health_polls();
  if (options_.clock == nullptr) timer_ = std::jthread([this] { timer_loop(); });
  return {};
}

void Runtime::Impl::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  if (started_) {
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
  // shutdown calls run normally again (each under its deadline) unless interrupt() is called anew.
  interrupt_all_.store(false, std::memory_order_release);
  if (!started_) return;
  for (auto& c : components_) c->stop_instance();
}

std::int32_t Runtime::Impl::post(std::string_view target, std::string payload) {
  if (payload.size() > options_.max_payload_bytes) return abi::kTooLarge;
  actor::Component* to = find(target);
  if (to == nullptr || to->down() || draining_.load(std::memory_order_acquire)) return abi::kNotFound;
  actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, "$host", std::move(payload), {}};
  if (enqueue(*to, std::move(e), Placement::kBounded) == actor::Mailbox::Push::kFull) return abi::kQueueFull;
  return abi::kOk;
}

bool Runtime::Impl::drain(std::chrono::milliseconds grace) {
  draining_.store(true, std::memory_order_seq_cst);  // request() re-checks it after registering
  for (const auto& r : table_.take_all()) complete(r, abi::kCallbackTargetDown, {});
  return wait_idle(grace);
}

bool Runtime::Impl::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(idle_mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return idle(); });
}

void Runtime::Impl::finish(std::size_t n) {
  if (n == 0) return;
  const auto k = static_cast<std::int64_t>(n);
  if (outstanding_.fetch_sub(k, std::memory_order_acq_rel) == k) {
    std::lock_guard lock(idle_mu_);
    idle_cv_.notify_all();
  }
}

void Runtime::Impl::expire_timers() { (void)fire_due_timers(); }

std::optional<std::chrono::nanoseconds> Runtime::Impl::fire_due_timers() {
  const auto now = clock_->now();
  for (const auto& r : table_.take_expired(now)) complete(r, abi::kCallbackTimeout, {});
  const auto next_action = run_timer_actions(now);
  auto next = table_.next_deadline();
  if (next_action && (!next || *next_action < *next)) next = next_action;
  return next;
}

void Runtime::Impl::wake_timer() {
  {
    std::lock_guard lock(timer_mu_);
    ++timer_generation_;
  }
  timer_cv_.notify_one();
}

void Runtime::Impl::timer_loop() {
  std::unique_lock lock(timer_mu_);
  while (!timer_stop_) {
    const std::uint64_t generation = timer_generation_;
    lock.unlock();
    std::optional<std::chrono::nanoseconds> next;
    try {
      next = fire_due_timers();
    } catch (const std::exception& e) {  // the crash boundary of the timer thread
      std::fprintf(stderr, "wactor: timer: host error: %s\n", e.what());
      next = clock_->now() + std::chrono::milliseconds(10);
    }
    lock.lock();
    auto woken = [&] { return timer_stop_ || timer_generation_ != generation; };
    if (woken()) continue;
    if (next) {
      const std::chrono::steady_clock::time_point at(
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(*next));
      timer_cv_.wait_until(lock, at, woken);
    } else {
      timer_cv_.wait(lock, woken);
    }
  }
}

Result<ComponentStats> Runtime::Impl::stats(std::string_view id) const {
  actor::Component* c = find(id);
  if (c == nullptr) return make_error(ErrorCode::kNotFound, "no component '" + std::string(id) + "'");
  ComponentStats s = c->counters().snapshot();
  s.mailbox_depth = c->mailbox().size();
  s.mailbox_high_water = c->mailbox().high_water();
  return s;
}

RuntimeMetrics Runtime::Impl::metrics() const {
  RuntimeMetrics m;
  for (const auto& c : components_) {
    auto s = stats(c->id());
    m.total += *s;
    m.components.emplace_back(c->id(), *s);
  }
  m.pending_requests = table_.size();
  return m;
}

Status Runtime::Impl::stop_component(std::string_view id) {
  actor::Component* c = find(id);
  if (c == nullptr) return make_error(ErrorCode::kNotFound, "no component '" + std::string(id) + "'");
  if (c->down()) return {};
  c->mark_down();  // new sends and requests get -1 from now on
  c->interrupt();  // a handler running now stops at its next fuel check
  enqueue(*c, actor::Envelope{actor::Envelope::Kind::kStop, 0, 0, "$host", {}, {}}, Placement::kResume);
  return {};
}

std::vector<std::string> Runtime::Impl::component_ids() const {
  std::vector<std::string> ids;
  for (const auto& c : components_) ids.push_back(c->id());
  return ids;
}

actor::Component* Runtime::Impl::find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : components_[it->second].get();
}

// ---- Runtime (public facade) ----

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::create(RuntimeOptions options, std::vector<ComponentSpec> components,
                                                 std::vector<GroupSpec> groups) {
  if (options.engine.empty()) options.engine = std::string(engine::engine_names().front());
  auto engine = engine::make_engine(options.engine);
  if (!engine.ok()) return std::move(engine).take_error();
  auto impl = std::make_unique<Impl>(std::move(options), std::move(engine).value());
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
std::size_t Runtime::pending_requests() const { return impl_->pending_requests(); }
std::vector<std::string> Runtime::component_ids() const { return impl_->component_ids(); }
std::vector<std::string> Runtime::escalated_groups() const { return impl_->escalated_groups(); }

}  // namespace wactor
