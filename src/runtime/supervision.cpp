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
  constexpr std::uint32_t kNone = UINT32_MAX;
  group_of_.assign(components_.size(), kNone);
  WACTOR_TRY(check_policy(options_.supervision, "runtime supervision"));
  for (auto& g : groups) {
    const std::string where = "group '" + g.name + "'";
    if (!valid_component_id(g.name)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "invalid group name '" + g.name + "': use 1-128 characters from A-Z a-z 0-9 _ - .");
    }
    for (const auto& other : groups_) {
      if (other.name == g.name) return make_error(ErrorCode::kInvalidArgument, "duplicate group name '" + g.name + "'");
    }
    if (by_id_.count(g.name)) {
      // A component in no group is supervised as a group of its own name.
      return make_error(ErrorCode::kInvalidArgument,
                        "group name '" + g.name + "' is a component id: give the group another name");
    }
    WACTOR_TRY(check_policy(g.policy, where));
    if (g.members.empty()) return make_error(ErrorCode::kInvalidArgument, where + ": no members");
    Group group{g.name, {}, actor::RestartWindow(g.policy)};
    for (const auto& id : g.members) {
      auto it = by_id_.find(id);
      if (it == by_id_.end()) return make_error(ErrorCode::kNotFound, where + ": no component '" + id + "'");
      if (group_of_[it->second] != kNone) {
        return make_error(ErrorCode::kInvalidArgument,
                          where + ": component '" + id + "' is already in group '" + groups_[group_of_[it->second]].name + "'");
      }
      group_of_[it->second] = static_cast<std::uint32_t>(groups_.size());
      group.members.push_back(it->second);
    }
    groups_.push_back(std::move(group));
  }
  for (std::uint32_t i = 0; i < components_.size(); ++i) {
    if (group_of_[i] != kNone) continue;
    group_of_[i] = static_cast<std::uint32_t>(groups_.size());
    groups_.push_back(Group{components_[i]->id(), {i}, actor::RestartWindow(options_.supervision)});
  }
  return {};
}

std::optional<std::chrono::nanoseconds> Runtime::Impl::member_failed(actor::Component& c, std::string_view reason) {
  const auto now = clock_->now();
  std::string escalation;
  std::optional<std::chrono::nanoseconds> at;
  {
    std::lock_guard lock(supervision_mu_);
    Group& g = groups_[group_of_[c.index()]];
    if (g.stopped || draining_.load(std::memory_order_acquire)) return std::nullopt;
    const auto& policy = g.window.policy();
    auto delay = g.window.admit(now);
    if (!delay) {
      g.stopped = true;
      escalated_.push_back(g.name);
      c.counters().bump(&actor::ComponentCounters::escalations);
      escalation = "group '" + g.name + "' (" + std::string(restart_strategy_name(policy.strategy)) +
                   ") exceeded " + std::to_string(policy.max_restarts) + " restarts in " +
                   std::to_string(policy.within.count()) + " ms; stopped";
      for (std::uint32_t m : g.members) {
        actor::Component& member = *components_[m];
        escalation += " " + member.id();
        member.mark_down();
        enqueue(member, actor::Envelope{actor::Envelope::Kind::kStop, 0, 0, "$host", {}, {}}, Placement::kResume);
      }
      escalation += "; last failure: " + std::string(reason);
    } else {
      at = now + *delay;
      // Which siblings restart with it.
      const auto self = std::find(g.members.begin(), g.members.end(), c.index());
      auto first = g.members.end();
      if (policy.strategy == RestartStrategy::kOneForAll) first = g.members.begin();
      if (policy.strategy == RestartStrategy::kRestForOne) first = self;
      for (auto it = first; it != g.members.end(); ++it) {
        if (*it == c.index()) continue;
        actor::Component& member = *components_[*it];
        if (member.down()) continue;
        actor::Envelope e{actor::Envelope::Kind::kRestart, 0, 0, "$host", {}, {}};
        e.at_ns = at->count();
        enqueue(member, std::move(e), Placement::kResume);
      }
    }
  }
  if (!escalation.empty()) report(c, "escalated", escalation);
  return at;
}

void Runtime::Impl::start_later(actor::Component& c, std::chrono::nanoseconds at, std::uint64_t token) {
  outstanding_.fetch_add(1, std::memory_order_acq_rel);  // a pending restart keeps the runtime busy
  add_timer_action(TimerAction{at, c.index(), false, token});
}

void Runtime::Impl::add_timer_action(TimerAction a) {
  {
    std::lock_guard lock(actions_mu_);
    actions_.push(a);
  }
  wake_timer();
}

void Runtime::Impl::schedule_health_polls() {
  const auto now = clock_->now();
  for (std::uint32_t i = 0; i < components_.size(); ++i) {
    if (health_intervals_[i].count() > 0 && components_[i]->has_health()) {
      add_timer_action(TimerAction{now + health_intervals_[i], i, true, 0});
    }
  }
}

std::optional<std::chrono::nanoseconds> Runtime::Impl::run_timer_actions(std::chrono::nanoseconds now) {
  for (;;) {
    TimerAction a;
    {
      std::lock_guard lock(actions_mu_);
      if (actions_.empty()) return std::nullopt;
      if (actions_.top().at > now) return actions_.top().at;
      a = actions_.top();
      actions_.pop();
    }
    actor::Component& c = *components_[a.component];
    if (a.health) {
      // Stopped for good, or the runtime drains: no more polls.
      if (c.down() || draining_.load(std::memory_order_acquire)) continue;
      if (c.claim_health_poll()) {
        enqueue(c, actor::Envelope{actor::Envelope::Kind::kHealth, 0, 0, "$host", {}, {}}, Placement::kFront);
      }
      std::lock_guard lock(actions_mu_);
      actions_.push(TimerAction{now + health_intervals_[a.component], a.component, true, 0});
    } else if (a.token != c.restart_token()) {
      // A newer restart was scheduled since: its own start is (or will be) queued. Queuing
      // this one too could put it ahead of the current one (both go to the front).
      finish_one();  // the pending restart it stood for
    } else {
      actor::Envelope e{actor::Envelope::Kind::kStart, 0, 0, "$host", {}, {}};
      e.token = a.token;
      enqueue(c, std::move(e), Placement::kResume);
      finish_one();  // the pending restart itself
    }
  }
}

std::vector<std::string> Runtime::Impl::escalated_groups() const {
  std::lock_guard lock(supervision_mu_);
  return escalated_;
}

}  // namespace wactor
