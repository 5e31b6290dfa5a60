// Supervision: groups with OTP restart strategies, restart intensity and backoff, health
// polls, and the timer actions behind them.
#include <algorithm>

#include "runtime/runtime_impl.h"

namespace wactor {

std::string_view restart_strategy_name(RestartStrategy s) {
  switch (s) {
    case RestartStrategy::kOneForOne: return "one-for-one";
    case RestartStrategy::kOneForAll: return "one-for-all";
    case RestartStrategy::kRestForOne: return "rest-for-one";
  }
  return "?";
}

namespace {
Status check_policy(const SupervisionPolicy& p, const std::string& where) {
  if (p.within.count() <= 0) return make_error(ErrorCode::kInvalidArgument, where + ": restart window must be > 0 ms");
  if (p.backoff.count() < 0 || p.backoff_max < p.backoff) {
    return make_error(ErrorCode::kInvalidArgument, where + ": backoff must be >= 0 and backoff_max >= backoff");
  }
  return {};
}
}  // namespace

Status Runtime::Impl::set_groups(std::vector<GroupSpec> groups) {
  WACTOR_TRY(check_policy(options_.supervision, "runtime supervision"));
  std::unordered_map<std::uint64_t, std::string> taken;  // component handle -> its group
  for (auto& g : groups) {
    const std::string where = "group '" + g.name + "'";
    if (!valid_component_id(g.name)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "invalid group name '" + g.name + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
    }
    for (const auto& other : groups_) {
      if (other->name == g.name) return make_error(ErrorCode::kInvalidArgument, "duplicate group name '" + g.name + "'");
    }
    if (find_live(g.name)) {
      // A component in no group is supervised as a group of its own name.
      return make_error(ErrorCode::kInvalidArgument,
                        "group name '" + g.name + "' is a component id: give the group another name");
    }
    WACTOR_TRY(check_policy(g.policy, where));
    if (g.members.empty()) return make_error(ErrorCode::kInvalidArgument, where + ": no members");
    auto group = std::make_shared<actor::SupervisionGroup>(g.name, g.policy);
    std::vector<ComponentPtr> members;
    for (const auto& id : g.members) {
      ComponentPtr c = find_live(id);
      if (!c) return make_error(ErrorCode::kNotFound, where + ": no component '" + id + "'");
      if (auto it = taken.find(c->handle()); it != taken.end()) {
        return make_error(ErrorCode::kInvalidArgument,
                          where + ": component '" + id + "' is already in group '" + it->second + "'");
      }
      taken.emplace(c->handle(), g.name);
      group->members.push_back(c->handle());
      members.push_back(std::move(c));
    }
    for (auto& c : members) c->set_group(group);  // before start(): nothing runs yet
    groups_.push_back(std::move(group));
  }
  return {};
}

std::optional<std::chrono::nanoseconds> Runtime::Impl::member_failed(actor::Component& c, std::string_view reason) {
  const auto now = clock_->now();
  std::string escalation;
  std::optional<std::chrono::nanoseconds> at;
  {
    std::lock_guard lock(supervision_mu_);
    actor::SupervisionGroup& g = *c.group();
    if (g.stopped || draining_.load(std::memory_order_acquire)) return std::nullopt;
    const auto& policy = g.window.policy();
    auto delay = g.window.admit(now);
    if (!delay) {
      g.stopped = true;
      if (escalated_.size() < 10'000) escalated_.push_back(g.name);
      c.counters().bump(&actor::ComponentCounters::escalations);
      escalation = "group '" + g.name + "' (" + std::string(restart_strategy_name(policy.strategy)) +
                   ") exceeded " + std::to_string(policy.max_restarts) + " restarts in " +
                   std::to_string(policy.within.count()) + " ms; stopped";
      for (auto m : g.members) {
        ComponentPtr member = directory_.at(m);
        if (!member) continue;
        escalation += " " + member->id();
        (void)stop_for_good(*member, actor::DownReason::kEscalated);
      }
      escalation += "; last failure: " + std::string(reason);
    } else {
      at = now + *delay;
      // Which siblings restart with it.
      const auto self = std::find(g.members.begin(), g.members.end(), c.handle());
      auto first = g.members.end();
      if (policy.strategy == RestartStrategy::kOneForAll) first = g.members.begin();
      if (policy.strategy == RestartStrategy::kRestForOne) first = self;
      for (auto it = first; it != g.members.end(); ++it) {
        if (*it == c.handle()) continue;
        ComponentPtr member = directory_.at(*it);
        if (!member || member->down()) continue;
        actor::Envelope e{actor::Envelope::Kind::kRestart, 0, 0, "$host", {}, {}};
        e.control = at->count();
        enqueue(*member, std::move(e), Placement::kResume);
      }
    }
  }
  if (!escalation.empty()) report(c, "escalated", escalation);
  return at;
}

std::vector<std::string> Runtime::Impl::escalated_groups() const {
  std::lock_guard lock(supervision_mu_);
  return escalated_;
}

}  // namespace wactor
