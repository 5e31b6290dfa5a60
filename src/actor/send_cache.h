// The last target a component sent to: its id and the component the directory mapped it to,
// valid while the directory's epoch (bumped by every publish and close) is unchanged. Saves
// the directory lookup (a shard lock and a hash) on every send of a stream to one target.
// Written and read only by the component's own handlers (one at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace wactor::actor {

class Component;

struct SendCache {
  std::string target;
  std::weak_ptr<Component> to;  // weak: a cached target that stops is freed as usual
  std::uint64_t epoch = 0;      // 0: empty (directory epochs start at 1)
  // `target` is a valid id that the component's send (request) grant covers: a component's
  // capabilities never change, so the next send (request) to it skips both checks. Denials
  // are never kept (each one is checked and reported).
  bool send_granted = false, request_granted = false;

  bool granted(std::string_view id, bool request) const {
    return (request ? request_granted : send_granted) && target == id;
  }
  void grant(std::string_view id, bool request) {
    retarget(id);
    (request ? request_granted : send_granted) = true;
  }
  // Makes `id` the cached target; what was kept for another target is dropped.
  void retarget(std::string_view id) {
    if (target == id) return;
    target.assign(id);
    to.reset();
    epoch = 0;
    send_granted = request_granted = false;
  }
};

}  // namespace wactor::actor
