#include "storage/space.h"

#include <algorithm>

namespace wactor::storage {

void Space::begin_call() {
  call_.clear();
  call_delta_ = 0;
}

void Space::accept_call() {
  for (auto& [k, v] : call_) batch_[k] = std::move(v);
  batch_delta_ += call_delta_;
  begin_call();
}

Status Space::commit() {
  if (batch_.empty()) return {};
  WriteSet set{space_, {}};
  set.writes.reserve(batch_.size());
  for (auto& [k, v] : batch_) set.writes.push_back(Write{k, std::move(v)});
  batch_.clear();
  const std::int64_t delta = std::exchange(batch_delta_, 0);
  auto st = committer_.commit(std::move(set));
  if (st.ok() && committed_) {
    committed_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(*committed_) + delta);
  } else {
    committed_.reset();  // reloaded from the store on next use
  }
  return st;
}

Result<std::uint64_t> Space::committed_usage() {
  if (!committed_) {
    auto u = committer_.store().usage(space_);
    if (!u.ok()) return u;
    committed_ = *u;
  }
  return *committed_;
}

Result<std::uint64_t> Space::usage() {
  auto c = committed_usage();
  if (!c.ok()) return c;
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(*c) + batch_delta_ + call_delta_);
}

Result<std::optional<std::string>> Space::lookup(std::string_view key) {
  if (auto it = call_.find(key); it != call_.end()) return it->second;
  if (auto it = batch_.find(key); it != batch_.end()) return it->second;
  return committer_.store().get(space_, key);
}

Result<std::optional<std::string>> Space::get(std::string_view key) { return lookup(key); }

Result<Space::SetOutcome> Space::set(std::string_view key, std::string_view value) {
  auto old = lookup(key);
  if (!old.ok()) return std::move(old).take_error();
  auto now = usage();
  if (!now.ok()) return std::move(now).take_error();
  const std::int64_t before = *old ? static_cast<std::int64_t>(key.size() + (*old)->size()) : 0;
  const std::int64_t delta = static_cast<std::int64_t>(key.size() + value.size()) - before;
  // Over the quota only if it grows: a component over a lowered quota may still shrink.
  if (delta > 0 && *now + static_cast<std::uint64_t>(delta) > quota_) return SetOutcome::kOverQuota;
  call_[std::string(key)] = std::string(value);
  call_delta_ += delta;
  return SetOutcome::kOk;
}

Result<bool> Space::remove(std::string_view key) {
  auto old = lookup(key);
  if (!old.ok()) return std::move(old).take_error();
  if (!*old) return false;
  call_delta_ -= static_cast<std::int64_t>(key.size() + (*old)->size());
  call_[std::string(key)] = std::nullopt;
  return true;
}

Result<std::vector<std::string>> Space::keys(std::string_view prefix, std::string_view after, std::size_t limit) {
  // The store's keys, then the overlay's sets and deletes over them. The store is asked for
  // enough keys that deletes in the overlay cannot leave the page short of what it has.
  std::size_t deletes = 0;
  for (const Overlay* o : {&batch_, &call_}) {
    for (const auto& [k, v] : *o) deletes += v ? 0 : 1;
  }
  const std::size_t asked = limit + deletes;
  auto stored = committer_.store().keys(space_, prefix, after, asked);
  if (!stored.ok()) return stored;
  const bool more_in_store = stored->size() == asked;
  const std::string last = stored->empty() ? std::string() : stored->back();
  Overlay merged;
  for (auto& k : *stored) merged.emplace(std::move(k), std::string());
  auto in_range = [&](const std::string& k) {
    return k > after && k.compare(0, prefix.size(), prefix) == 0 && k.size() >= prefix.size();
  };
  for (const Overlay* o : {&batch_, &call_}) {
    for (const auto& [k, v] : *o) {
      if (!in_range(k)) continue;
      if (v) merged[k] = std::string();
      else merged.erase(k);
    }
  }
  std::vector<std::string> out;
  for (auto& [k, v] : merged) {
    // Past the store's last key, keys it did not return may exist: stop there.
    if (more_in_store && k > last) break;
    if (out.size() == limit) break;
    out.push_back(k);
  }
  return out;
}

}  // namespace wactor::storage
