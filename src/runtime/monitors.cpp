#include "runtime/monitors.h"

namespace wactor::runtime {

Monitors::Add Monitors::add(Handle watcher, Handle target, const std::function<bool()>& up) {
  std::lock_guard lock(mu_);
  if (!up()) return Add::kGone;
  if (!by_target_[target].insert(watcher).second) return Add::kAlready;
  by_watcher_[watcher].insert(target);
  return Add::kAdded;
}

bool Monitors::remove(Handle watcher, Handle target) {
  std::lock_guard lock(mu_);
  auto w = by_watcher_.find(watcher);
  if (w == by_watcher_.end() || w->second.erase(target) == 0) return false;
  if (w->second.empty()) by_watcher_.erase(w);
  auto t = by_target_.find(target);
  if (t != by_target_.end()) {
    t->second.erase(watcher);
    if (t->second.empty()) by_target_.erase(t);
  }
  return true;
}

std::size_t Monitors::remove_watcher(Handle watcher) {
  std::lock_guard lock(mu_);
  auto w = by_watcher_.find(watcher);
  if (w == by_watcher_.end()) return 0;
  const std::size_t n = w->second.size();
  for (Handle target : w->second) {
    auto t = by_target_.find(target);
    if (t == by_target_.end()) continue;
    t->second.erase(watcher);
    if (t->second.empty()) by_target_.erase(t);
  }
  by_watcher_.erase(w);
  return n;
}

std::vector<Monitors::Handle> Monitors::take_watchers(Handle target) {
  std::lock_guard lock(mu_);
  std::vector<Handle> out;
  auto t = by_target_.find(target);
  if (t == by_target_.end()) return out;
  out.assign(t->second.begin(), t->second.end());
  for (Handle watcher : out) {
    auto w = by_watcher_.find(watcher);
    if (w == by_watcher_.end()) continue;
    w->second.erase(target);
    if (w->second.empty()) by_watcher_.erase(w);
  }
  by_target_.erase(t);
  return out;
}

std::size_t Monitors::size() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [w, targets] : by_watcher_) n += targets.size();
  return n;
}

}  // namespace wactor::runtime
