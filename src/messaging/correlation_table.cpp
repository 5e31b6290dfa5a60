#include "messaging/correlation_table.h"

#include <algorithm>

namespace wactor::messaging {

CorrelationTable::Added CorrelationTable::add(ComponentIndex requester, ComponentIndex target,
                                              std::chrono::nanoseconds deadline, std::chrono::nanoseconds started) {
  // One requester's requests share a shard (and its lock); requesters spread over the shards.
  const auto index = static_cast<std::size_t>((requester * 0x9E3779B97F4A7C15ull) >> (64 - kShardBits));
  Shard& s = shards_[index];
  std::lock_guard lock(s.mu);
  const std::int64_t id = static_cast<std::int64_t>((static_cast<std::uint64_t>(s.next_seq++) << kShardBits) | index);
  s.pending.emplace(id, PendingRequest{id, requester, target, deadline, started, false});
  // Earliest of its shard: the timer waits for the earliest of all, so this may wake it for
  // nothing (never the reverse: a deadline later than its shard's earliest is not the first).
  const bool earliest = s.deadlines.empty() || deadline < s.deadlines.top().at;
  s.deadlines.push(Deadline{deadline, id});
  if (s.deadlines.size() > 1024 && s.deadlines.size() > 2 * s.pending.size()) s.compact_locked();
  return {id, earliest};
}

CorrelationTable::Taken CorrelationTable::take_as_target(std::int64_t id, ComponentIndex responder) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mu);
  auto it = s.pending.find(id);
  if (it == s.pending.end()) return {};
  if (it->second.target != responder) return {Outcome::kDenied, it->second};
  Taken t{Outcome::kOk, it->second};
  s.pending.erase(it);
  return t;
}

CorrelationTable::Taken CorrelationTable::take_as_requester(std::int64_t id, ComponentIndex requester) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mu);
  auto it = s.pending.find(id);
  if (it == s.pending.end()) return {};
  if (it->second.requester != requester) return {Outcome::kDenied, it->second};
  Taken t{Outcome::kOk, it->second};
  s.pending.erase(it);
  return t;
}

std::optional<PendingRequest> CorrelationTable::take(std::int64_t id) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mu);
  auto it = s.pending.find(id);
  if (it == s.pending.end()) return std::nullopt;
  PendingRequest r = it->second;
  s.pending.erase(it);
  return r;
}

std::optional<ComponentIndex> CorrelationTable::target_of(std::int64_t id) const {
  const Shard& s = shard(id);
  std::lock_guard lock(s.mu);
  auto it = s.pending.find(id);
  if (it == s.pending.end()) return std::nullopt;
  return it->second.target;
}

void CorrelationTable::retarget(std::int64_t id, ComponentIndex target) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mu);
  auto it = s.pending.find(id);
  if (it != s.pending.end()) it->second.target = target;
}

void CorrelationTable::mark_received(std::int64_t id) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mu);
  auto it = s.pending.find(id);
  if (it != s.pending.end()) it->second.received = true;
}

std::vector<PendingRequest> CorrelationTable::take_expired(std::chrono::nanoseconds now) {
  std::vector<PendingRequest> out;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    while (!s.deadlines.empty() && s.deadlines.top().at <= now) {
      const Deadline d = s.deadlines.top();
      s.deadlines.pop();
      auto it = s.pending.find(d.id);
      if (it == s.pending.end() || it->second.deadline != d.at) continue;  // already finished
      out.push_back(it->second);
      s.pending.erase(it);
    }
  }
  // In deadline order across the shards, as one table would give them.
  std::stable_sort(out.begin(), out.end(), [](const PendingRequest& a, const PendingRequest& b) {
    return a.deadline < b.deadline;
  });
  return out;
}

std::vector<PendingRequest> CorrelationTable::take_received_by(ComponentIndex target) {
  std::vector<PendingRequest> out;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (auto it = s.pending.begin(); it != s.pending.end();) {
      if (it->second.target == target && it->second.received) {
        out.push_back(it->second);
        it = s.pending.erase(it);
      } else {
        ++it;
      }
    }
  }
  return out;
}

std::vector<PendingRequest> CorrelationTable::take_all() {
  std::vector<PendingRequest> out;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (auto& [id, r] : s.pending) out.push_back(r);
    s.pending.clear();
    s.deadlines = {};
  }
  return out;
}

std::optional<std::chrono::nanoseconds> CorrelationTable::next_deadline() {
  std::optional<std::chrono::nanoseconds> next;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    const auto d = s.next_deadline_locked();
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

std::size_t CorrelationTable::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.pending.size();
  }
  return n;
}

std::optional<std::chrono::nanoseconds> CorrelationTable::Shard::next_deadline_locked() {
  while (!deadlines.empty()) {
    auto it = pending.find(deadlines.top().id);
    if (it != pending.end() && it->second.deadline == deadlines.top().at) return deadlines.top().at;
    deadlines.pop();
  }
  return std::nullopt;
}

void CorrelationTable::Shard::compact_locked() {
  std::vector<Deadline> live;
  live.reserve(pending.size());
  for (const auto& [id, r] : pending) live.push_back(Deadline{r.deadline, id});
  deadlines = decltype(deadlines)(std::greater<>(), std::move(live));
}

}  // namespace wactor::messaging
