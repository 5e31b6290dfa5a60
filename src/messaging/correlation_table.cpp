#include "messaging/correlation_table.h"

namespace wactor::messaging {

CorrelationTable::Added CorrelationTable::add(ComponentIndex requester, ComponentIndex target,
                                              std::chrono::nanoseconds deadline, std::chrono::nanoseconds started) {
  std::lock_guard lock(mu_);
  const std::int64_t id = next_id_++;
  pending_.emplace(id, PendingRequest{id, requester, target, deadline, started, false});
  const bool earliest = deadlines_.empty() || deadline < deadlines_.top().at;
  deadlines_.push(Deadline{deadline, id});
  if (deadlines_.size() > 1024 && deadlines_.size() > 2 * pending_.size()) compact_locked();
  return {id, earliest};
}

CorrelationTable::Taken CorrelationTable::take_as_target(std::int64_t id, ComponentIndex responder) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return {};
  if (it->second.target != responder) return {Outcome::kDenied, it->second};
  Taken t{Outcome::kOk, it->second};
  pending_.erase(it);
  return t;
}

CorrelationTable::Taken CorrelationTable::take_as_requester(std::int64_t id, ComponentIndex requester) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return {};
  if (it->second.requester != requester) return {Outcome::kDenied, it->second};
  Taken t{Outcome::kOk, it->second};
  pending_.erase(it);
  return t;
}

std::optional<PendingRequest> CorrelationTable::take(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  PendingRequest r = it->second;
  pending_.erase(it);
  return r;
}

std::optional<ComponentIndex> CorrelationTable::target_of(std::int64_t id) const {
  std::lock_guard lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  return it->second.target;
}

void CorrelationTable::retarget(std::int64_t id, ComponentIndex target) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(id);
  if (it != pending_.end()) it->second.target = target;
}

void CorrelationTable::mark_received(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(id);
  if (it != pending_.end()) it->second.received = true;
}

std::vector<PendingRequest> CorrelationTable::take_expired(std::chrono::nanoseconds now) {
  std::vector<PendingRequest> out;
  std::lock_guard lock(mu_);
  while (!deadlines_.empty() && deadlines_.top().at <= now) {
    const Deadline d = deadlines_.top();
    deadlines_.pop();
    auto it = pending_.find(d.id);
    if (it == pending_.end() || it->second.deadline != d.at) continue;  // already finished
    out.push_back(it->second);
    pending_.erase(it);
  }
  return out;
}

std::vector<PendingRequest> CorrelationTable::take_received_by(ComponentIndex target) {
  std::vector<PendingRequest> out;
  std::lock_guard lock(mu_);
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.target == target && it->second.received) {
      out.push_back(it->second);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<PendingRequest> CorrelationTable::take_all() {
  std::vector<PendingRequest> out;
  std::lock_guard lock(mu_);
  out.reserve(pending_.size());
  for (auto& [id, r] : pending_) out.push_back(r);
  pending_.clear();
  deadlines_ = {};
  return out;
}

std::optional<std::chrono::nanoseconds> CorrelationTable::next_deadline() {
  std::lock_guard lock(mu_);
  while (!deadlines_.empty()) {
    auto it = pending_.find(deadlines_.top().id);
    if (it != pending_.end() && it->second.deadline == deadlines_.top().at) return deadlines_.top().at;
    deadlines_.pop();
  }
  return std::nullopt;
}

std::size_t CorrelationTable::size() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

void CorrelationTable::compact_locked() {
  std::vector<Deadline> live;
  live.reserve(pending_.size());
  for (const auto& [id, r] : pending_) live.push_back(Deadline{r.deadline, id});
  deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
}

}  // namespace wactor::messaging
