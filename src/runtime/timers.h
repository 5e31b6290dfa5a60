// The runtime's one timer service: guests' send-after timers, the ends of restart
// backoffs, health polls and idle checks (passivation). Request deadlines live with their
// requests in the correlation table; the same timer thread fires both. Every timer leaves
// exactly once, fired (take_due) or cancelled, and whoever removes it owns what it stood
// for. 1M pending timers cost ~150 bytes each plus their payloads. @threadsafe
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "messaging/correlation_table.h"

namespace wactor::runtime {

struct Timer {
  enum class Kind : std::uint8_t {
    kSendAfter,  // deliver `payload` to `target` as a send from `owner`
    kStart,      // the backoff of restart `token` of `owner` is over
    kHealth,     // poll `owner`'s health
    kIdleCheck,  // passivate `owner` if it has been idle long enough
  };
  std::int64_t id = 0;
  std::chrono::nanoseconds at{0};
  Kind kind = Kind::kSendAfter;
  messaging::ComponentIndex owner = 0;
  std::uint64_t token = 0;
  std::string target;
  std::string payload;
};

class TimerService {
 public:
  struct Added {
    std::int64_t id;  // > 0
    bool earliest;    // now the earliest: a timer thread waiting for later must wake up
  };
  Added add(Timer t);

  enum class Cancel { kOk, kNotFound, kDenied };
  // Removes a send-after timer of `owner`: kNotFound if unknown, fired or cancelled already.
  Cancel cancel(std::int64_t id, messaging::ComponentIndex owner);
  // Moves a pending timer to `at` (a held send-after, released: docs/STORAGE.md); false if
  // it is gone (cancelled). `earliest` as for add().
  bool arm(std::int64_t id, std::chrono::nanoseconds at, bool& earliest);
  // Removes and returns the timers due by `now`, earliest first (at most `max`).
  std::vector<Timer> take_due(std::chrono::nanoseconds now, std::size_t max = SIZE_MAX);
  // Removes and returns every timer of `owner` (it is gone for good).
  std::vector<Timer> take_owned_by(messaging::ComponentIndex owner);
  std::optional<std::chrono::nanoseconds> next_due();
  std::size_t size() const;
  // Send-after timers pending for `owner`.
  std::size_t pending_for(messaging::ComponentIndex owner) const;

 private:
  struct Due {
    std::chrono::nanoseconds at;
    std::int64_t id;
    bool operator>(const Due& o) const { return at != o.at ? at > o.at : id > o.id; }
  };
  struct Owned {
    std::vector<std::int64_t> ids;  // may hold ids already gone (compacted as it grows)
    std::size_t live = 0;
  };
  void forget_owned_locked(const Timer& t);
  void compact_locked();
  mutable std::mutex mu_;
  std::int64_t next_id_ = 1;
  std::unordered_map<std::int64_t, Timer> timers_;
  // Min-heap with lazy deletion; rebuilt when mostly stale.
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::unordered_map<messaging::ComponentIndex, Owned> owned_;
};

}  // namespace wactor::runtime
