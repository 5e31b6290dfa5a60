// Who monitors whom. A monitor belongs to the watcher's instance (dropped when the instance
// is lost, like subscriptions); when the target goes down for good its watchers are taken
// at once, so each hears exactly once. @threadsafe
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "messaging/correlation_table.h"

namespace wactor::runtime {

class Monitors {
 public:
  using Handle = messaging::ComponentIndex;
  enum class Add { kAdded, kAlready, kGone };
  // `up` is asked under the same lock take_watchers() runs under: a target that went down
  // before is refused (kGone), one that goes down after will list this watcher.
  Add add(Handle watcher, Handle target, const std::function<bool()>& up);
  bool remove(Handle watcher, Handle target);
  // Drops every monitor `watcher` holds; returns how many.
  std::size_t remove_watcher(Handle watcher);
  // Removes and returns the watchers of `target` (it is down for good).
  std::vector<Handle> take_watchers(Handle target);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<Handle, std::unordered_set<Handle>> by_target_;
  std::unordered_map<Handle, std::unordered_set<Handle>> by_watcher_;
};

}  // namespace wactor::runtime
