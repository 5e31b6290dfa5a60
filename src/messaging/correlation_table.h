// Pending requests: who asked whom, until when. Every entry leaves exactly once — answered,
// timed out, cancelled or failed — and whoever removes it owns the requester's callback.
// Sharded by requester (the shard is in the id's low bits), so workers making and answering
// requests do not all wait for one lock. @threadsafe
#pragma once

#include <chrono>
#include <cstdint>
#include <array>
#include <mutex>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

namespace wactor::messaging {

using ComponentIndex = std::uint64_t;  // a runtime::Handle: slot and generation

struct PendingRequest {
  std::int64_t id = 0;
  ComponentIndex requester = 0;
  ComponentIndex target = 0;
  std::chrono::nanoseconds deadline{0};
  std::chrono::nanoseconds started{0};  // when it was made (runtime clock): its round-trip time
  bool received = false;  // handed to the target's handler (not merely queued)
};

class CorrelationTable {
 public:
  struct Added {
    std::int64_t id;
    // Its deadline may now be the earliest: a timer waiting for later must wake up. Never
    // false when it is the earliest; may be true when it is not (a wake-up for nothing).
    bool earliest;
  };
  // Registers a request before it is delivered, so a fast reply always finds it.
  Added add(ComponentIndex requester, ComponentIndex target, std::chrono::nanoseconds deadline,
            std::chrono::nanoseconds started = {});
  // The target of a pending request, if it is pending.
  std::optional<ComponentIndex> target_of(std::int64_t id) const;

  enum class Outcome { kOk, kNotFound, kDenied };
  struct Taken {
    Outcome outcome = Outcome::kNotFound;
    PendingRequest request;
  };
  // Removes `id` if `responder` is its target.
  Taken take_as_target(std::int64_t id, ComponentIndex responder);
  // Removes `id` if `requester` made it.
  Taken take_as_requester(std::int64_t id, ComponentIndex requester);
  // Removes `id` unconditionally.
  std::optional<PendingRequest> take(std::int64_t id);
  // The request is now for `target` (its first target passivated before it was queued).
  void retarget(std::int64_t id, ComponentIndex target);
  // The target's handler has started on it.
  void mark_received(std::int64_t id);
  // Removes and returns every request whose deadline is <= now.
  std::vector<PendingRequest> take_expired(std::chrono::nanoseconds now);
  // Removes and returns every request `target` received and has not answered.
  std::vector<PendingRequest> take_received_by(ComponentIndex target);
  // Removes and returns everything (the runtime is shutting down).
  std::vector<PendingRequest> take_all();
  std::optional<std::chrono::nanoseconds> next_deadline();
  std::size_t size() const;

 private:
  struct Deadline {
    std::chrono::nanoseconds at;
    std::int64_t id;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };
  struct alignas(64) Shard {
    void compact_locked();
    std::optional<std::chrono::nanoseconds> next_deadline_locked();
    mutable std::mutex mu;
    std::int64_t next_seq = 1;
    std::unordered_map<std::int64_t, PendingRequest> pending;
    // Min-heap with lazy deletion; rebuilt when mostly stale so finished requests cost no memory.
    std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines;
  };
  static constexpr int kShardBits = 6;
  static constexpr std::size_t kShards = std::size_t{1} << kShardBits;
  Shard& shard(std::int64_t id) { return shards_[static_cast<std::uint64_t>(id) & (kShards - 1)]; }
  const Shard& shard(std::int64_t id) const { return shards_[static_cast<std::uint64_t>(id) & (kShards - 1)]; }
  std::array<Shard, kShards> shards_;
};

}  // namespace wactor::messaging
