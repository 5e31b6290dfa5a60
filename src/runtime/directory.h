// The components by id and by handle. It grows and shrinks while messages flow: lookups
// take one short per-shard lock, never a global one. A handle names one component for
// good (a slot and its generation): once the component is gone, its handle finds nothing,
// even after the slot serves another component. @threadsafe
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actor/spin_lock.h"
#include "messaging/correlation_table.h"

namespace wactor::actor {
class Component;
}

namespace wactor::runtime {

using Handle = messaging::ComponentIndex;  // slot | generation << 32; 0 names nothing
using ComponentPtr = std::shared_ptr<actor::Component>;

class Directory {
 public:
  // At most `max_components` live at once (0: 16M, the most handles can name).
  explicit Directory(std::uint64_t max_components);
  ~Directory();
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // A handle for a component about to be made, or nothing if max_components are live
  // (they count from open() to close()).
  [[nodiscard]] std::optional<Handle> open();
  // Publishes `c` (made with handle `h`) under `id`; false if the id is in use (then call
  // abandon(h)).
  [[nodiscard]] bool publish(Handle h, const std::string& id, ComponentPtr c);
  // Gives back a handle whose component was never published.
  void abandon(Handle h);
  // The live component, or nullptr.
  [[nodiscard]] ComponentPtr find(std::string_view id) const;
  [[nodiscard]] ComponentPtr at(Handle h) const;
  // Bumped after every change of what find() returns (publish, close): a find() result
  // taken when epoch() read E is still what find() returns while epoch() reads E.
  [[nodiscard]] std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  // Removes the component: its id is free from now on and its handle finds nothing. The
  // object itself is kept until no one uses it any more (sweep()).
  void close(Handle h, const std::string& id);
  // Frees closed components that nothing refers to and whose mailbox is idle.
  void sweep();
  // Calls f on every live component (a consistent view of each, not of all at once).
  void for_each(const std::function<void(const ComponentPtr&)>& f) const;
  [[nodiscard]] std::uint64_t size() const { return live_.load(std::memory_order_acquire); }
  [[nodiscard]] std::uint64_t limit() const { return limit_; }
  // Closed components not yet freed.
  [[nodiscard]] std::size_t retired() const;

  static constexpr std::uint32_t slot_of(Handle h) { return static_cast<std::uint32_t>(h & 0xffffffffu); }

 private:
  struct Slot {
    mutable actor::SpinLock mu;
    std::uint32_t generation = 1;
    ComponentPtr ptr;
  };
  static constexpr std::uint32_t kChunkBits = 12;
  static constexpr std::uint32_t kChunk = 1u << kChunkBits;
  static constexpr std::uint32_t kShards = 64;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable actor::SpinLock mu;
    std::unordered_map<std::string, ComponentPtr, StringHash, std::equal_to<>> by_id;
  };
  Slot* slot(std::uint32_t index) const;
  Shard& shard(std::string_view id) const { return shards_[StringHash{}(id) % kShards]; }

  const std::uint64_t limit_;
  std::atomic<std::uint64_t> live_{0};
  alignas(64) std::atomic<std::uint64_t> epoch_{1};  // read by every send: its own cache line
  char epoch_pad_[64 - sizeof(std::atomic<std::uint64_t>)] = {};
  std::unique_ptr<std::atomic<Slot*>[]> chunks_;
  std::uint32_t chunk_count_;
  mutable std::mutex alloc_mu_;  // open/abandon/close: the free slots and new chunks
  std::vector<std::uint32_t> free_slots_;
  std::uint32_t next_slot_ = 1;  // slot 0 is never used: handle 0 names nothing
  mutable std::unique_ptr<Shard[]> shards_;
  mutable std::mutex retired_mu_;
  std::vector<ComponentPtr> retired_;
};

}  // namespace wactor::runtime
