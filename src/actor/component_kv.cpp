// A component's key-value storage imports and the settling of a batch: commit what its
// successful handlers wrote, then let their held outputs go (docs/STORAGE.md).
#include <cstring>

#include "actor/component.h"

namespace wactor::actor {

std::int32_t Component::storage_failed(const Error& e) {
  router_.report(*this, "storage-failed", e.to_string());
  return abi::kStorageFailed;
}

std::int32_t Component::kv_get(std::string_view key, std::string& value) {
  if (!kv_) return abi::kDenied;
  auto v = kv_->get(key);
  if (!v.ok()) return storage_failed(v.error());
  if (!*v) return abi::kNotFound;
  value = std::move(**v);
  return abi::kOk;
}

std::int32_t Component::kv_set(std::string_view key, std::span<const std::uint8_t> value) {
  if (!kv_) return abi::kDenied;
  if (value.size() > max_value_bytes_) return abi::kTooLarge;
  auto r = kv_->set(key, {reinterpret_cast<const char*>(value.data()), value.size()});
  if (!r.ok()) return storage_failed(r.error());
  if (*r == storage::Space::SetOutcome::kOverQuota) {
    counters_.bump(&ComponentCounters::refused_limit);
    return abi::kLimitReached;
  }
  return abi::kOk;
}

std::int32_t Component::kv_delete(std::string_view key) {
  if (!kv_) return abi::kDenied;
  auto r = kv_->remove(key);
  if (!r.ok()) return storage_failed(r.error());
  return *r ? abi::kOk : abi::kNotFound;
}

std::int32_t Component::kv_list(std::string_view prefix, std::string_view after, std::size_t cap, std::string& out) {
  if (!kv_) return abi::kDenied;
  // Every key fits 4 + 1024 bytes: a page never asks for more keys than could fit.
  const std::size_t limit = std::min<std::size_t>(cap / 5 + 1, 4096);
  auto keys = kv_->keys(prefix, after, limit);
  if (!keys.ok()) return storage_failed(keys.error());
  std::int32_t n = 0;
  for (const auto& k : *keys) {
    if (out.size() + 4 + k.size() > cap) break;
    const auto len = static_cast<std::uint32_t>(k.size());
    const char le[4] = {static_cast<char>(len & 0xff), static_cast<char>((len >> 8) & 0xff),
                        static_cast<char>((len >> 16) & 0xff), static_cast<char>(len >> 24)};
    out.append(le, 4);
    out.append(k);
    ++n;
  }
  // Keys remain but not even the next one fits: the buffer is too small.
  if (n == 0 && !keys->empty()) return abi::kTooLarge;
  return n;
}

std::int64_t Component::kv_usage() {
  if (!kv_) return abi::kDenied;
  auto u = kv_->usage();
  if (!u.ok()) return storage_failed(u.error());
  return static_cast<std::int64_t>(*u);
}

void Component::settle() {
  // A failed commit restarts the instance (its memory holds what was lost); the fresh
  // instance's init writes and sends again, so settle once more (bounded by the restart
  // intensity: fail() stops restarting).
  for (;;) {
    bool durable = true;
    if (kv_ && kv_->pending()) {
      auto st = kv_->commit();
      if (!st.ok()) {
        durable = false;
        counters_.bump(&ComponentCounters::traps);
        router_.report(*this, "storage-failed", "commit failed, the writes and outputs of this batch are dropped: " +
                                                    st.error().to_string());
      }
    }
    auto held = std::move(held_);
    held_.clear();
    held_bytes_ = 0;
    for (auto& output : held) output(durable);
    if (durable || !instance_ || down()) break;
    fail("storage commit failed");
    if (!(kv_ && kv_->pending()) && held_.empty()) break;
  }
  holding_ = false;
}

}  // namespace wactor::actor
