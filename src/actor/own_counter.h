// Adding to a counter that one thread at a time writes (others only read it): a load and a
// store, no locked read-modify-write. The writer's exclusivity comes from elsewhere (a
// component's handlers run one at a time; a worker's own counts).
#pragma once

#include <atomic>
#include <cstdint>

namespace wactor::actor {

inline void own_add(std::atomic<std::uint64_t>& a, std::uint64_t n = 1,
                    std::memory_order order = std::memory_order_relaxed) {
  a.store(a.load(std::memory_order_relaxed) + n, order);
}

}  // namespace wactor::actor
