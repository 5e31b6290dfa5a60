// Actors that come and go: making components (manifest, spawn, activation), stopping them
// for good and what follows (notices, children, the freed id), and hot upgrades.
#include <future>
#include <thread>

#include "abi/abi_v1.h"
#include "instrument/memory_guard.h"
#include "instrument/metering.h"
#include "messaging/topic.h"
#include "runtime/runtime_impl.h"
#include "storage/jetstream_store.h"

namespace wactor {
namespace {

Status check_grants(const Capabilities& caps, const std::string& where) {
  for (const auto* grants : {&caps.send, &caps.request, &caps.publish, &caps.subscribe, &caps.spawn}) {
    for (const auto& g : *grants) {
      if (!messaging::valid_pattern(g)) {
        return make_error(ErrorCode::kInvalidArgument, where + ": invalid capability pattern '" + g + "'");
      }
    }
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<const engine::Module>> Runtime::Impl::load_module(const std::vector<std::uint8_t>& wasm,
                                                                         const std::string& origin,
                                                                         const ComponentLimits& limits,
                                                                         const std::string& engine_name,
                                                                         const std::string& where) {
  // Components made from the same bytes with the same memory cap share one loaded module.
  engine::LoadOptions load;
  if (limits.max_memory_bytes) load.max_memory_pages = limits.max_memory_bytes / 65536;
  auto engine = engine_for(engine_name);
  if (!engine.ok()) return make_error(engine.error().code, where + ": " + engine.error().message);
  std::string key(wasm.begin(), wasm.end());
  key += "|pages=" + (load.max_memory_pages ? std::to_string(*load.max_memory_pages) : std::string("none"));
  key += "|engine=" + engine_name;
  std::lock_guard lock(modules_mu_);  // one load at a time: a module is compiled once
  if (auto it = modules_.find(key); it != modules_.end()) return it->second;
  auto metered = instrument::add_metering(wasm, origin);
  if (!metered.ok()) return make_error(metered.error().code, where + ": " + metered.error().message);
  // Then every memory.grow asks for the host-wide memory budget (Component::permit_memory).
  auto guarded = instrument::add_memory_guard(*metered, origin);
  if (!guarded.ok()) return make_error(guarded.error().code, where + ": " + guarded.error().message);
  // The ABI check runs before anything is compiled (a non-ABI module never reaches a compiler).
  load.check = [origin](const engine::ModuleInfo& info) { return abi::check_module(info, origin); };
  auto loaded = (*engine)->load(*guarded, origin, load);
  if (!loaded.ok()) return make_error(loaded.error().code, where + ": " + loaded.error().message);
  std::shared_ptr<const engine::Module> module = std::move(loaded).value();
  modules_.emplace(std::move(key), module);
  return module;
}

actor::ComponentSetup Runtime::Impl::setup_from(const ComponentSpec& spec, std::shared_ptr<const engine::Module> module,
                                                const std::string& engine) const {
  actor::ComponentSetup s;
  s.config = spec.config;
  s.module = std::move(module);
  s.module_name = spec.module;
  s.mailbox_capacity = spec.mailbox_capacity ? spec.mailbox_capacity : options_.mailbox_capacity;
  s.limits = spec.limits ? *spec.limits : options_.limits;
  s.budget = spec.budget ? *spec.budget : options_.budget;
  s.capabilities = spec.capabilities;
  s.health_interval = spec.health_interval.value_or(options_.health_interval);
  s.engine = engine;
  s.storage_quota = s.budget.storage_quota_bytes;
  s.max_value_bytes = options_.max_payload_bytes;
  return s;
}

Result<std::unique_ptr<storage::Store>> Runtime::Impl::open_jetstream_store() {
  const ClusterOptions& c = options_.cluster;
  if (c.url.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "storage backend \"jetstream\" needs a NATS url ([cluster] url)");
  }
  storage::JetStreamOptions o;
  o.url = c.url;
  o.lattice = c.lattice;
  o.creds_file = c.creds_file;
  o.tls_ca_file = c.tls_ca_file;
  o.tls_cert_file = c.tls_cert_file;
  o.tls_key_file = c.tls_key_file;
  o.replicas = options_.storage.jetstream_replicas;
  return storage::open_jetstream(o);
}

Result<storage::GroupCommitter*> Runtime::Impl::storage_for(const engine::Module& module) {
  std::lock_guard lock(storage_mu_);
  if (committer_) return committer_.get();
  bool uses = false;
  for (const auto& imp : module.info().imports) {
    uses = uses || (imp.module == abi::kImportModule && imp.name.starts_with("kv-"));
  }
  const bool jetstream = options_.storage.backend == "jetstream";
  if (!uses || (!jetstream && options_.storage.path.empty())) return static_cast<storage::GroupCommitter*>(nullptr);
  auto opened = jetstream ? open_jetstream_store() : [&] {
    storage::SqliteOptions o;
    o.path = options_.storage.path;
    o.synchronous = options_.storage.full_sync ? storage::Synchronous::kFull : storage::Synchronous::kNormal;
    o.max_pages = options_.storage.max_pages;
    return storage::open_sqlite(o);
  }();
  if (!opened.ok()) return std::move(opened).take_error();
  store_ = std::move(opened).value();
  committer_ = std::make_unique<storage::GroupCommitter>(*store_);
  return committer_.get();
}

Status Runtime::Impl::make_component(actor::ComponentSetup setup, actor::Component* owner, bool run_init) {
  WACTOR_TRY(check_grants(setup.capabilities, "component '" + setup.id + "'"));
  if (setup.storage_quota) {  // a corrupt or locked database: one line at start, or a failed spawn
    auto committer = storage_for(*setup.module);
    if (!committer.ok()) return make_error(committer.error().code, "component '" + setup.id + "': " + committer.error().message);
    setup.storage = *committer;
  }
  auto handle = directory_.open();
  if (!handle) {
    return make_error(ErrorCode::kResourceExhausted,
                      "max_components (" + std::to_string(directory_.limit()) + ") reached");
  }
  setup.handle = *handle;
  setup.owner = owner ? owner->handle() : 0;
  if (!setup.group) {
    setup.group = std::make_shared<actor::SupervisionGroup>(setup.id, options_.supervision);
    setup.group->members.push_back(*handle);
  }
  const std::string id = setup.id;
  auto c = std::make_shared<actor::Component>(std::move(setup), *this, &host_mailbox_bytes_, &host_memory_bytes_);
  // Registered with its owner first: a child whose init fails at once still finds it.
  if (owner) owner->add_child(*handle);
  if (!directory_.publish(*handle, id, c)) {
    if (owner) owner->remove_child(*handle);
    directory_.abandon(*handle);
    return make_error(ErrorCode::kAlreadyExists, "component id '" + id + "' is in use");
  }
  if (!run_init) {
    manifest_components_.push_back(c);  // start() runs their inits, in order
    return {};
  }
  enqueue(*c, actor::Envelope{actor::Envelope::Kind::kInit, 0, 0, "$host", {}, {}}, Placement::kFront);
  schedule_health(*c, clock_->now());
  if (c->passivate_after().count() > 0) {
    runtime::Timer t;
    t.kind = runtime::Timer::Kind::kIdleCheck;
    t.owner = c->handle();
    t.at = clock_->now() + c->passivate_after();
    add_timer(std::move(t));
  }
  return {};
}

const ModuleTemplate* Runtime::Impl::find_module(std::string_view name) const {
  for (const auto& t : templates_) {
    if (t->spec.name == name) return t.get();
  }
  return nullptr;
}

const ModuleTemplate* Runtime::Impl::activator(std::string_view id) const {
  for (const auto& t : templates_) {
    if (!t->spec.activate.empty() && messaging::topic_matches(t->spec.activate, id)) return t.get();
  }
  return nullptr;
}

Runtime::Impl::ComponentPtr Runtime::Impl::find(std::string_view id) {
  ComponentPtr c = directory_.find(id);
  if (c && !c->down()) return c;
  if (templates_.empty() || !started_.load(std::memory_order_acquire) || !valid_component_id(id)) return c;
  const ModuleTemplate* m = activator(id);
  return m ? activate(*m, id) : c;
}

Runtime::Impl::ComponentPtr Runtime::Impl::activate(const ModuleTemplate& m, std::string_view id) {
  // A passivating component (its mailbox closed) frees its id within microseconds (no
  // shutdown call): wait for it, so that the message activates the next instance, however
  // busy the host (but never past a second). One stopped for good keeps its id until its
  // shutdown ends: wait for it, but not long.
  const auto now = std::chrono::steady_clock::now();
  const auto until = now + std::chrono::milliseconds(20), closed_until = now + std::chrono::seconds(1);
  for (;;) {
    ComponentPtr c = directory_.find(id);
    if (c && !c->down() && !c->mailbox().closed()) return c;
    if (draining_.load(std::memory_order_acquire)) return nullptr;
    if (c) {
      const auto t = std::chrono::steady_clock::now();
      if (t > (c->mailbox().closed() ? closed_until : until)) return nullptr;
      std::this_thread::yield();
      continue;
    }
    auto setup = setup_from(m.spec.settings, m.module, m.engine);
    setup.id = std::string(id);
    setup.module_name = m.spec.name;
    setup.passivate_after = m.spec.passivate_after;
    {
      std::lock_guard lock(kept_mu_);
      if (auto it = kept_states_.find(std::string(id)); it != kept_states_.end()) {
        host_mailbox_bytes_.give(it->second.size());
        setup.restore_state = std::move(it->second);
        kept_states_.erase(it);
      }
    }
    std::optional<std::string> kept = setup.restore_state;
    auto st = make_component(std::move(setup), nullptr, true);
    if (st.ok()) {
      if (ComponentPtr made = directory_.find(id)) {
        report(*made, "activated", kept ? "with its kept state (" + std::to_string(kept->size()) + " bytes)" : "fresh");
      }
    } else {
      if (kept) keep_state_for(std::string(id), std::move(*kept));
      if (st.error().code != ErrorCode::kAlreadyExists) return nullptr;  // max_components
    }
  }
}

void Runtime::Impl::keep_state_for(std::string id, std::string state) {
  if (!host_mailbox_bytes_.take(state.size())) return;  // over the host's budget: not kept
  std::lock_guard lock(kept_mu_);
  auto [it, fresh] = kept_states_.try_emplace(std::move(id));
  if (!fresh) host_mailbox_bytes_.give(it->second.size());
  it->second = std::move(state);
}

void Runtime::Impl::keep_state(actor::Component& c, std::string state) {
  if (state.size() > options_.max_payload_bytes) {
    report(c, "passivated", "snapshot of " + std::to_string(state.size()) + " bytes is over max_payload_bytes: not kept");
    return;
  }
  keep_state_for(c.id(), std::move(state));
}

std::int32_t Runtime::Impl::spawn(actor::Component& from, std::string_view module, std::string_view id,
                                  std::string_view config) {
  // "module@host": placed on another host (placement.cpp); no module name holds '@'.
  if (module.find('@') != std::string_view::npos) return spawn_placed(from, module, id, config);
  if (!valid_component_id(id)) return refuse(from, abi::kInvalidArgument);
  const ModuleTemplate* m = find_module(module);
  if (m == nullptr) return refuse(from, abi::kNotFound);
  if (!permitted(from, from.capabilities().spawn, "spawn from module", module)) return refuse(from, abi::kDenied);
  if (draining_.load(std::memory_order_acquire)) return refuse(from, abi::kNotFound);
  const std::uint32_t max_children = from.budget().max_children;
  if (max_children && from.child_count() >= max_children) {
    report(from, "budget", "spawn refused: " + std::to_string(max_children) + " children already");
    return refuse(from, abi::kLimitReached);
  }
  auto setup = setup_from(m->spec.settings, m->module, m->engine);
  setup.id = std::string(id);
  setup.module_name = m->spec.name;
  setup.passivate_after = m->spec.passivate_after;
  if (!config.empty()) setup.config = std::string(config);
  auto st = make_component(std::move(setup), &from, true);
  if (!st.ok()) {
    if (st.error().code == ErrorCode::kAlreadyExists) return refuse(from, abi::kInUse);
    report(from, "budget", "spawn refused: " + st.error().message);
    return refuse(from, abi::kLimitReached);
  }
  from.counters().bump(&actor::ComponentCounters::spawned);
  return abi::kOk;
}

Status Runtime::Impl::spawn(std::string_view module, std::string_view id, std::optional<std::string> config) {
  if (!valid_component_id(id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid component id '" + std::string(id) + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
  }
  const ModuleTemplate* m = find_module(module);
  if (m == nullptr) return make_error(ErrorCode::kNotFound, "no module '" + std::string(module) + "'");
  if (draining_.load(std::memory_order_acquire)) return make_error(ErrorCode::kFailedPrecondition, "the runtime is stopping");
  auto setup = setup_from(m->spec.settings, m->module, m->engine);
  setup.id = std::string(id);
  setup.module_name = m->spec.name;
  setup.passivate_after = m->spec.passivate_after;
  if (config) setup.config = std::move(*config);
  return make_component(std::move(setup), nullptr, true);
}

Status Runtime::Impl::spawn(ComponentSpec spec) {
  if (!spec.host.empty() && spec.host != host_id()) {  // placed elsewhere: from its [[module]] by name
    if (spec.module.empty() || !spec.wasm.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "component '" + spec.id + "' placed on host '" + spec.host +
                                                         "': name its [[module]] in `module` and leave `wasm` empty "
                                                         "(bytes never cross hosts)");
    }
    std::optional<std::string> config;
    if (!spec.config.empty()) config = std::move(spec.config);
    return spawn_on(spec.host, spec.module, spec.id, std::move(config));
  }
  if (find_live(spec.id)) return make_error(ErrorCode::kAlreadyExists, "component id '" + spec.id + "' is in use");
  if (draining_.load(std::memory_order_acquire)) return make_error(ErrorCode::kFailedPrecondition, "the runtime is stopping");
  return add_component(std::move(spec), /*run_init=*/true);
}

std::int32_t Runtime::Impl::stop(actor::Component& from, std::string_view target) {
  if (!valid_component_id(target)) return refuse(from, abi::kInvalidArgument);
  ComponentPtr c = directory_.find(target);
  if (c == nullptr || c->down()) return refuse(from, abi::kNotFound);
  if (c->owner() != from.handle()) {
    report(from, "denied", "stop of '" + std::string(target) + "': not its owner");
    return refuse(from, abi::kDenied);
  }
  if (!stop_for_good(*c, actor::DownReason::kStopped)) return refuse(from, abi::kNotFound);
  return abi::kOk;
}

void Runtime::Impl::gone(actor::Component& c) {
  // Its timers go with it (what they stood for is no longer pending work).
  for (auto& t : timers_.take_owned_by(c.handle())) {
    if (t.kind == runtime::Timer::Kind::kSendAfter) {
      host_timers_.give(1);
      c.timers_pending().fetch_sub(1, std::memory_order_relaxed);
      c.counters().bump(&actor::ComponentCounters::timers_cancelled);
    }
    if (t.kind == runtime::Timer::Kind::kSendAfter || t.kind == runtime::Timer::Kind::kStart) finish_one();
  }
  {
    std::lock_guard lock(gone_mu_);
    ComponentStats s = c.counters().snapshot();
    gone_total_ += s;
    ++components_gone_;
    s.mailbox_high_water = c.mailbox().high_water();
    if (recently_gone_.insert_or_assign(c.id(), s).second) gone_order_.push_back(c.id());
    while (gone_order_.size() > kRecentlyGone) {
      recently_gone_.erase(gone_order_.front());
      gone_order_.pop_front();
    }
  }
  // Its id is free before anyone hears of it: a watcher that spawns the id again on its
  // notice must not get -6.
  directory_.close(c.handle(), c.id());
  // One notice to its owner and one to each other watcher.
  const std::string notice = c.id() + " " + std::string(actor::down_reason_name(c.down_reason()));
  auto notify = [&](actor::Component& to) {
    if (to.down()) return;  // stopping for good: it would only drop the notice
    actor::Envelope e{actor::Envelope::Kind::kMessage, 0, 0, "$down", notice, {}};
    if (enqueue(to, std::move(e), Placement::kBypass) != actor::Mailbox::Push::kClosed) {
      to.counters().bump(&actor::ComponentCounters::down_notices);
    }
  };
  ComponentPtr owner = c.owner() ? directory_.at(c.owner()) : nullptr;
  if (owner) {
    owner->remove_child(c.handle());
    notify(*owner);
  }
  for (auto w : monitors_.take_watchers(c.handle())) {
    ComponentPtr watcher = directory_.at(w);
    if (!watcher) continue;
    watcher->monitor_count().fetch_sub(1, std::memory_order_relaxed);
    if (watcher != owner) notify(*watcher);
  }
  // Its children stop too (and theirs, as each of them goes).
  for (auto h : c.take_children()) {
    if (ComponentPtr child = directory_.at(h)) (void)stop_for_good(*child, actor::DownReason::kOwnerStopped);
  }
}

void Runtime::Impl::health_gained(actor::Component& c) { schedule_health(c, clock_->now()); }

Status Runtime::Impl::upgrade(std::string_view id, std::vector<std::uint8_t> wasm, std::string origin) {
  const std::string where = "upgrade of '" + std::string(id) + "'";
  if (!started_.load() || stopped_.load() || draining_.load()) {
    return make_error(ErrorCode::kFailedPrecondition, where + ": the runtime is not running");
  }
  ComponentPtr c = find_live(id);
  if (c == nullptr || c->down()) return make_error(ErrorCode::kNotFound, where + ": no live component '" + std::string(id) + "'");
  if (origin.empty()) origin = where;
  auto module = load_module(wasm, origin, c->limits(), c->engine_name(), where);
  if (!module.ok()) {
    c->counters().bump(&actor::ComponentCounters::upgrade_rollbacks);
    report(*c, "upgrade-failed", module.error().message);
    return std::move(module).take_error();
  }
  auto job = std::make_shared<actor::UpgradeJob>();
  job->module = std::move(module).value();
  auto done = job->done.get_future();
  if (!c->offer_upgrade(job)) return make_error(ErrorCode::kFailedPrecondition, where + ": another upgrade is in progress");
  // Between two messages: ahead of what is queued, after the message being handled.
  enqueue(*c, actor::Envelope{actor::Envelope::Kind::kUpgrade, 0, 0, "$host", {}, {}}, Placement::kFront);
  // Once stop() has begun no worker may ever take the job (the component may even have left
  // the directory its sweep walks): whoever takes the job first, a worker or this, ends it.
  while (done.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    if (stopped_.load()) c->abandon_upgrade();
  }
  return done.get();
}

}  // namespace wactor
