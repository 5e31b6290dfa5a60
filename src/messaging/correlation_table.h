// Pending requests: who asked whom, until when. Every entry leaves exactly once — answered,
// timed out, cancelled or failed — and whoever removes it owns the requester's callback.
// @threadsafe
#pragma once

#include <chrono>
#include <cstdint>
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
    bool earliest;  // its deadline is now the earliest: a timer waiting for later must wake up
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
  void compact_locked();
  mutable std::mutex mu_;
  std::int64_t next_id_ = 1;
  std::unordered_map<std::int64_t, PendingRequest> pending_;
  // Min-heap with lazy deletion; rebuilt when mostly stale so finished requests cost no memory.
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
};

}  // namespace wactor::messaging
