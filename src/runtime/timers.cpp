#include "runtime/timers.h"

namespace wactor::runtime {

TimerService::Added TimerService::add(Timer t) {
  std::lock_guard lock(mu_);
  t.id = next_id_++;
  const bool earliest = due_.empty() || t.at < due_.top().at;
  due_.push(Due{t.at, t.id});
  Owned& o = owned_[t.owner];
  o.ids.push_back(t.id);
  ++o.live;
  const std::int64_t id = t.id;
  timers_.emplace(id, std::move(t));
  if (due_.size() > 2 * timers_.size() + 1024) compact_locked();
  return {id, earliest};
}

void TimerService::forget_owned_locked(const Timer& t) {
  auto it = owned_.find(t.owner);
  if (it == owned_.end()) return;
  Owned& o = it->second;
  if (--o.live == 0) {
    owned_.erase(it);
    return;
  }
  if (o.ids.size() > 2 * o.live + 16) {  // drop the ids already gone
    std::erase_if(o.ids, [&](std::int64_t id) {
      auto t2 = timers_.find(id);
      return t2 == timers_.end() || t2->second.owner != t.owner || id == t.id;
    });
  }
}

TimerService::Cancel TimerService::cancel(std::int64_t id, messaging::ComponentIndex owner) {
  std::lock_guard lock(mu_);
  auto it = timers_.find(id);
  if (it == timers_.end() || it->second.kind != Timer::Kind::kSendAfter) return Cancel::kNotFound;
  if (it->second.owner != owner) return Cancel::kDenied;
  Timer t = std::move(it->second);
  timers_.erase(it);
  forget_owned_locked(t);
  return Cancel::kOk;
}

bool TimerService::arm(std::int64_t id, std::chrono::nanoseconds at, bool& earliest) {
  std::lock_guard lock(mu_);
  auto it = timers_.find(id);
  if (it == timers_.end()) return false;
  earliest = due_.empty() || at < due_.top().at;
  it->second.at = at;  // its old entry in due_ is stale now (take_due skips it)
  due_.push(Due{at, id});
  return true;
}

std::vector<Timer> TimerService::take_due(std::chrono::nanoseconds now, std::size_t max) {
  std::vector<Timer> out;
  std::lock_guard lock(mu_);
  while (!due_.empty() && due_.top().at <= now && out.size() < max) {
    const Due d = due_.top();
    due_.pop();
    auto it = timers_.find(d.id);
    if (it == timers_.end() || it->second.at != d.at) continue;  // cancelled, or moved by arm()
    out.push_back(std::move(it->second));
    timers_.erase(it);
    forget_owned_locked(out.back());
  }
  return out;
}

std::vector<Timer> TimerService::take_owned_by(messaging::ComponentIndex owner) {
  std::vector<Timer> out;
  std::lock_guard lock(mu_);
  auto it = owned_.find(owner);
  if (it == owned_.end()) return out;
  for (std::int64_t id : it->second.ids) {
    auto t = timers_.find(id);
    if (t == timers_.end() || t->second.owner != owner) continue;
    out.push_back(std::move(t->second));
    timers_.erase(t);
  }
  owned_.erase(it);
  return out;
}

std::optional<std::chrono::nanoseconds> TimerService::next_due() {
  std::lock_guard lock(mu_);
  while (!due_.empty()) {
    auto it = timers_.find(due_.top().id);
    if (it != timers_.end() && it->second.at == due_.top().at) return due_.top().at;
    due_.pop();
  }
  return std::nullopt;
}

std::size_t TimerService::size() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

std::size_t TimerService::pending_for(messaging::ComponentIndex owner) const {
  std::lock_guard lock(mu_);
  auto it = owned_.find(owner);
  if (it == owned_.end()) return 0;
  std::size_t n = 0;
  for (std::int64_t id : it->second.ids) {
    auto t = timers_.find(id);
    if (t != timers_.end() && t->second.owner == owner && t->second.kind == Timer::Kind::kSendAfter) ++n;
  }
  return n;
}

void TimerService::compact_locked() {
  std::vector<Due> live;
  live.reserve(timers_.size());
  for (const auto& [id, t] : timers_) live.push_back(Due{t.at, id});
  due_ = decltype(due_)(std::greater<>(), std::move(live));
}

}  // namespace wactor::runtime
