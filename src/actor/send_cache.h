// The last target a component sent to: its id and the component the directory mapped it to,
// valid while the directory's epoch (bumped by every publish and close) is unchanged. Saves
// the directory lookup (a shard lock and a hash) on every send of a stream to one target.
// Written and read only by the component's own handlers (one at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace wactor::actor {

class Component;

struct SendCache {
  std::string target;
  std::weak_ptr<Component> to;  // weak: a cached target that stops is freed as usual
  std::uint64_t epoch = 0;      // 0: empty (directory epochs start at 1)
};

}  // namespace wactor::actor
